// crmrules host interface: the store of one record kind.
//
// `record_store<R>` is the narrow interface every per-kind store (leads, customers, reps, ...)
// extends with the queries its engines need. Public calls are non-virtual: they validate the
// arguments, call the implementation's protected `do_*` hook, and turn any exception a hook
// throws into status_code::internal, so nothing ever throws across the interface. A host
// implements the hooks; see docs/STORAGE.md for a complete example.
//
// Versions (optimistic concurrency): `insert` requires version 0 and stores version 1; `update`
// requires the stored version and stores version + 1; a mismatch is status_code::conflict and
// changes nothing. Ids are unique per kind.
//
// Ownership: stores are owned by their `storage`; callers hold references only while the storage
// lives. Thread-safety: every implementation shipped with crmrules is safe for concurrent use
// from several threads, and host implementations must be too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/model/schema.hpp"
#include "crmrules/model/validate.hpp"
#include "crmrules/status.hpp"

namespace crmrules {

namespace detail {
/// Runs `f` and converts an escaping exception into a status: what the non-virtual interface
/// does around every host hook.
template <class F>
auto guarded(const char* what, F&& f) noexcept -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    // A short literal fits std::string's inline buffer: building this status allocates nothing.
    (void)what;
    return status(status_code::resource_exhausted, "out of memory");
  } catch (const std::exception& e) {
    try {
      return status::internal(std::string(what) + ": host implementation threw: " + e.what());
    } catch (...) {
      return status(status_code::internal, "host threw");  // fits the inline buffer: no allocation
    }
  } catch (...) {
    try {
      return status::internal(std::string(what) + ": host implementation threw");
    } catch (...) {
      return status(status_code::internal, "host threw");
    }
  }
}

inline status check_limit(std::size_t limit) {
  if (limit == 0) return status::invalid_argument("limit must be at least 1");
  return {};
}
}  // namespace detail

/// Largest page a list call returns when the caller does not say.
inline constexpr std::size_t default_page_size = 1000;

template <stored_record R>
class record_store {
 public:
  using record_type = R;
  using id_type = typename record_traits<R>::id_type;

  virtual ~record_store() = default;
  record_store(const record_store&) = delete;
  record_store& operator=(const record_store&) = delete;

  /// The stored record, with its version; not_found if there is none.
  [[nodiscard]] result<R> get(const id_type& id) const noexcept {
    if (id.empty()) return status::invalid_argument("empty id");
    return detail::guarded("get", [&] { return do_get(id); });
  }

  /// Stores a new record; returns its version (1). `r.version` must be 0; already_exists if the
  /// id is taken; invalid_argument if `validate(r)` fails.
  [[nodiscard]] result<std::uint64_t> insert(const R& r) noexcept {
    if (r.version != 0)
      return status::invalid_argument("insert needs version 0, got " + std::to_string(r.version));
    if (status s = validate(r); !s.ok()) return s;
    return detail::guarded("insert", [&] { return do_insert(r); });
  }

  /// Replaces the stored record if `r.version` is the stored version; returns the new version.
  /// not_found if absent; conflict (nothing changed) if the version is stale.
  [[nodiscard]] result<std::uint64_t> update(const R& r) noexcept {
    return detail::guarded("update", [&]() -> result<std::uint64_t> {
      if (r.version == 0) return status::invalid_argument("update needs the stored version, got 0");
      if (status s = validate(r); !s.ok()) return s;
      return do_update(r);
    });
  }

  /// Deletes the record if its stored version is `expected_version`. not_found / conflict.
  [[nodiscard]] status remove(const id_type& id, std::uint64_t expected_version) noexcept {
    if (id.empty()) return status::invalid_argument("empty id");
    return detail::guarded("remove", [&] { return do_remove(id, expected_version); });
  }

  /// Up to `limit` records with ids greater than `after` (byte order), in id order. Page through
  /// everything by passing the last id of each page; an empty id starts at the beginning.
  [[nodiscard]] result<std::vector<R>> list(const id_type& after = id_type{},
                                            std::size_t limit = default_page_size) const noexcept {
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("list", [&] { return do_list(after, limit); });
  }

  /// How many records are stored.
  [[nodiscard]] result<std::uint64_t> count() const noexcept {
    return detail::guarded("count", [&] { return do_count(); });
  }

 protected:
  record_store() = default;

  virtual result<R> do_get(const id_type& id) const = 0;
  virtual result<std::uint64_t> do_insert(const R& r) = 0;
  virtual result<std::uint64_t> do_update(const R& r) = 0;
  virtual status do_remove(const id_type& id, std::uint64_t expected_version) = 0;
  virtual result<std::vector<R>> do_list(const id_type& after, std::size_t limit) const = 0;
  virtual result<std::uint64_t> do_count() const = 0;
};

}  // namespace crmrules
