// crmrules: errors as values.
//
// `status` reports whether an operation on infrastructure (a store, a file, a clock) worked, and
// if not, which kind of failure it was. `result<T>` carries either a value or the reason there is
// none. A rule that is not satisfied is *not* a status: engines return that as a value in their
// decision, with its reason (see docs/ARCHITECTURE.md, "Two kinds of failure").
//
// Both types are cheap on the OK path: an OK status holds no message and allocates nothing.
// Thread-safety: plain values; distinct objects may be used from different threads freely.
#pragma once

#include <cassert>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace crmrules {

/// What went wrong. The set is closed; hosts map their own failures onto it.
enum class status_code : std::uint8_t {
  ok = 0,
  not_found,           ///< the record, file or key does not exist
  already_exists,      ///< an insert found the id taken
  conflict,            ///< optimistic concurrency: the record's version is not the stored one
  invalid_argument,    ///< the caller's input is malformed (bad id, invalid UTF-8, bad value)
  unavailable,         ///< transient: a lock held too long, a connection down; retry later
  corrupted,           ///< stored data cannot be read back (not a database, bad JSON in a row)
  unsupported,         ///< e.g. a database written by a newer schema version
  resource_exhausted,  ///< disk full, database size limit reached
  internal,            ///< a bug, or a host implementation that threw across an interface
};

/// The lowercase name of a code, e.g. "not_found". Never fails.
[[nodiscard]] std::string_view to_string(status_code code) noexcept;

/// The outcome of an operation that returns no value.
///
/// **Example**
/// ```
/// crmrules::status s = store.update(lead);
/// if (s.is_conflict()) { /* re-read, re-apply, retry */ }
/// else if (!s.ok()) { log(s.to_string()); }
/// ```
class [[nodiscard]] status {
 public:
  /// An OK status.
  status() noexcept = default;
  status(status_code code, std::string message) : code_(code), message_(std::move(message)) {}

  static status not_found(std::string message) {
    return {status_code::not_found, std::move(message)};
  }
  static status already_exists(std::string message) {
    return {status_code::already_exists, std::move(message)};
  }
  static status conflict(std::string message) {
    return {status_code::conflict, std::move(message)};
  }
  static status invalid_argument(std::string message) {
    return {status_code::invalid_argument, std::move(message)};
  }
  static status unavailable(std::string message) {
    return {status_code::unavailable, std::move(message)};
  }
  static status corrupted(std::string message) {
    return {status_code::corrupted, std::move(message)};
  }
  static status unsupported(std::string message) {
    return {status_code::unsupported, std::move(message)};
  }
  static status resource_exhausted(std::string message) {
    return {status_code::resource_exhausted, std::move(message)};
  }
  static status internal(std::string message) {
    return {status_code::internal, std::move(message)};
  }

  [[nodiscard]] bool ok() const noexcept { return code_ == status_code::ok; }
  [[nodiscard]] status_code code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  [[nodiscard]] bool is_not_found() const noexcept { return code_ == status_code::not_found; }
  [[nodiscard]] bool is_already_exists() const noexcept {
    return code_ == status_code::already_exists;
  }
  [[nodiscard]] bool is_conflict() const noexcept { return code_ == status_code::conflict; }
  [[nodiscard]] bool is_invalid_argument() const noexcept {
    return code_ == status_code::invalid_argument;
  }
  [[nodiscard]] bool is_unavailable() const noexcept { return code_ == status_code::unavailable; }
  [[nodiscard]] bool is_corrupted() const noexcept { return code_ == status_code::corrupted; }
  [[nodiscard]] bool is_unsupported() const noexcept { return code_ == status_code::unsupported; }
  [[nodiscard]] bool is_resource_exhausted() const noexcept {
    return code_ == status_code::resource_exhausted;
  }
  [[nodiscard]] bool is_internal() const noexcept { return code_ == status_code::internal; }

  /// "ok", or "<code>: <message>".
  [[nodiscard]] std::string to_string() const;

 private:
  status_code code_ = status_code::ok;
  std::string message_;
};

/// Thrown only by `result::value()` on a result that holds an error: a programming error in the
/// caller, who should have tested `ok()` first. Library code never lets it escape an interface.
class bad_result_access : public std::exception {
 public:
  explicit bad_result_access(std::string what) : what_(std::move(what)) {}
  [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

namespace detail {
template <class E>
std::string describe_error(const E& e) {
  if constexpr (requires { e.to_string(); }) {
    return e.to_string();
  } else {
    return "result holds an error";
  }
}
}  // namespace detail

/// A value of type `T`, or the error `E` (a `status` unless stated) explaining why there is none.
///
/// **Example**
/// ```
/// crmrules::result<crmrules::lead> r = store.leads().get(crmrules::lead_id{"L0001"});
/// if (!r) return r.error();           // propagate the status
/// fmt::print("{}\n", r->company_name);
/// ```
template <class T, class E = status>
class [[nodiscard]] result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, E>, "value and error types must differ");

 public:
  // Implicit on purpose: `return value;` and `return status::not_found(...)` both read naturally.
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  /// A value constructed in place from `args` (no temporary to move from).
  template <class... Args>
  explicit result(std::in_place_t, Args&&... args)
      : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; throws `bad_result_access` if this holds an error.
  [[nodiscard]] T& value() & {
    check();
    return *std::get_if<0>(&v_);
  }
  [[nodiscard]] const T& value() const& {
    check();
    return *std::get_if<0>(&v_);
  }
  [[nodiscard]] T&& value() && {
    check();
    return std::move(*std::get_if<0>(&v_));
  }

  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return ok() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// The error; precondition: `!ok()` (asserted in debug builds).
  [[nodiscard]] const E& error() const& noexcept {
    assert(!ok() && "result::error() called on a result that holds a value");
    return *std::get_if<1>(&v_);
  }
  [[nodiscard]] E&& error() && noexcept {
    assert(!ok() && "result::error() called on a result that holds a value");
    return std::move(*std::get_if<1>(&v_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check() const {
    if (!ok()) throw bad_result_access(detail::describe_error(*std::get_if<1>(&v_)));
  }

  std::variant<T, E> v_;
};

}  // namespace crmrules
