// crmrules host interfaces: one store per record kind, and the decision log.
//
// Each store is a `record_store<R>` (get / insert / update / remove / list / count, see
// record_store.hpp for the version and error contract) plus the few queries the engines need,
// each backed by an index in the SQLite store. Every query returns its results in a documented,
// deterministic order.
//
// Same contract as record_store: non-virtual public calls validate and guard; hosts implement
// the protected `do_*` hooks; implementations are safe for concurrent use from several threads
// and never throw across the interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/store/record_store.hpp"

namespace crmrules {

class lead_store : public record_store<lead> {
 public:
  /// Leads owned by `owner`, ids after `after`, in id order.
  [[nodiscard]] result<std::vector<lead>> list_by_owner(
      const rep_id& owner, const lead_id& after = lead_id{},
      std::size_t limit = default_page_size) const noexcept {
    if (owner.empty()) return status::invalid_argument("empty owner id");
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("list_by_owner", [&] { return do_list_by_owner(owner, after, limit); });
  }
  /// Leads waiting for an owner (status unassigned or to_reassign), in id order.
  [[nodiscard]] result<std::vector<lead>> list_unassigned(
      const lead_id& after = lead_id{}, std::size_t limit = default_page_size) const noexcept {
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("list_unassigned", [&] { return do_list_unassigned(after, limit); });
  }

 protected:
  virtual result<std::vector<lead>> do_list_by_owner(const rep_id& owner, const lead_id& after,
                                                     std::size_t limit) const = 0;
  virtual result<std::vector<lead>> do_list_unassigned(const lead_id& after,
                                                       std::size_t limit) const = 0;
};

/// The exact-match keys customers are indexed by.
enum class customer_key : std::uint8_t {
  uscc,   ///< customer::uscc
  phone,  ///< any of customer::phones
  email,  ///< any of customer::emails
};

/// "uscc", "phone", "email".
[[nodiscard]] std::string_view to_string(customer_key k) noexcept;

class customer_store : public record_store<customer> {
 public:
  /// Customers whose USCC, or one of whose phones or emails, equals `key` exactly (the host or
  /// the dedup engine normalises first), in id order.
  [[nodiscard]] result<std::vector<customer>> find_by_key(customer_key kind,
                                                          std::string_view key) const noexcept {
    if (key.empty()) return status::invalid_argument("empty key");
    return detail::guarded("find_by_key", [&] { return do_find_by_key(kind, key); });
  }

 protected:
  virtual result<std::vector<customer>> do_find_by_key(customer_key kind,
                                                       std::string_view key) const = 0;
};

class contact_store : public record_store<contact> {
 public:
  /// Contacts of `c`, in id order.
  [[nodiscard]] result<std::vector<contact>> list_by_customer(const customer_id& c) const noexcept {
    if (c.empty()) return status::invalid_argument("empty customer id");
    return detail::guarded("list_by_customer", [&] { return do_list_by_customer(c); });
  }

 protected:
  virtual result<std::vector<contact>> do_list_by_customer(const customer_id& c) const = 0;
};

class rep_store : public record_store<rep> {
 public:
  /// Members of team `t`, in id order.
  [[nodiscard]] result<std::vector<rep>> list_by_team(const team_id& t) const noexcept {
    if (t.empty()) return status::invalid_argument("empty team id");
    return detail::guarded("list_by_team", [&] { return do_list_by_team(t); });
  }

 protected:
  virtual result<std::vector<rep>> do_list_by_team(const team_id& t) const = 0;
};

class team_store : public record_store<team> {};

class opportunity_store : public record_store<opportunity> {
 public:
  /// Opportunities of customer `c`, in id order.
  [[nodiscard]] result<std::vector<opportunity>> list_by_customer(
      const customer_id& c) const noexcept {
    if (c.empty()) return status::invalid_argument("empty customer id");
    return detail::guarded("list_by_customer", [&] { return do_list_by_customer(c); });
  }
  /// Opportunities in stage `stage`, ids after `after`, in id order.
  [[nodiscard]] result<std::vector<opportunity>> list_by_stage(
      std::string_view stage, const opportunity_id& after = opportunity_id{},
      std::size_t limit = default_page_size) const noexcept {
    if (stage.empty()) return status::invalid_argument("empty stage");
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("list_by_stage", [&] { return do_list_by_stage(stage, after, limit); });
  }

 protected:
  virtual result<std::vector<opportunity>> do_list_by_customer(const customer_id& c) const = 0;
  virtual result<std::vector<opportunity>> do_list_by_stage(std::string_view stage,
                                                            const opportunity_id& after,
                                                            std::size_t limit) const = 0;
};

/// Behaviour events. Append with `insert`; events are facts, so updates are for corrections only.
class event_store : public record_store<event> {
 public:
  /// Events of customer `c` with `from <= at < to`, ordered by (at, id).
  [[nodiscard]] result<std::vector<event>> list_by_customer(const customer_id& c, timestamp from,
                                                            timestamp to) const noexcept {
    if (c.empty()) return status::invalid_argument("empty customer id");
    return detail::guarded("list_by_customer", [&] { return do_list_by_customer(c, from, to); });
  }
  /// Events of lead `l` with `from <= at < to`, ordered by (at, id).
  [[nodiscard]] result<std::vector<event>> list_by_lead(const lead_id& l, timestamp from,
                                                        timestamp to) const noexcept {
    if (l.empty()) return status::invalid_argument("empty lead id");
    return detail::guarded("list_by_lead", [&] { return do_list_by_lead(l, from, to); });
  }

 protected:
  virtual result<std::vector<event>> do_list_by_customer(const customer_id& c, timestamp from,
                                                         timestamp to) const = 0;
  virtual result<std::vector<event>> do_list_by_lead(const lead_id& l, timestamp from,
                                                     timestamp to) const = 0;
};

class promise_store : public record_store<promise> {
 public:
  /// Open promises due before `t`, ordered by (due, id).
  [[nodiscard]] result<std::vector<promise>> list_open_due_before(
      timestamp t, std::size_t limit = default_page_size) const noexcept {
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("list_open_due_before",
                           [&] { return do_list_open_due_before(t, limit); });
  }

 protected:
  virtual result<std::vector<promise>> do_list_open_due_before(timestamp t,
                                                               std::size_t limit) const = 0;
};

class timer_store : public record_store<timer> {
 public:
  /// Pending timers with `due_at <= t`, ordered by (due_at, id): what recovery must fire.
  [[nodiscard]] result<std::vector<timer>> list_due(
      timestamp t, std::size_t limit = default_page_size) const noexcept {
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("list_due", [&] { return do_list_due(t, limit); });
  }
  /// Pending and paused timers, ids after `after`, in id order: what a restart reloads.
  [[nodiscard]] result<std::vector<timer>> list_active(
      const timer_id& after = timer_id{}, std::size_t limit = default_page_size) const noexcept {
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("list_active", [&] { return do_list_active(after, limit); });
  }
  /// Timers about `subject` in any state, in id order.
  [[nodiscard]] result<std::vector<timer>> list_by_subject(
      const record_ref& subject) const noexcept {
    if (subject.id.empty()) return status::invalid_argument("empty subject id");
    return detail::guarded("list_by_subject", [&] { return do_list_by_subject(subject); });
  }

 protected:
  virtual result<std::vector<timer>> do_list_due(timestamp t, std::size_t limit) const = 0;
  virtual result<std::vector<timer>> do_list_active(const timer_id& after,
                                                    std::size_t limit) const = 0;
  virtual result<std::vector<timer>> do_list_by_subject(const record_ref& subject) const = 0;
};

/// The append-only log of decisions: assignments, fallbacks, refusals, overrides, merges.
/// Entries are never changed or removed; `seq` is assigned on append and strictly increases.
class decision_log {
 public:
  virtual ~decision_log() = default;
  decision_log(const decision_log&) = delete;
  decision_log& operator=(const decision_log&) = delete;

  /// Appends `d` (its `seq` is ignored) and returns the assigned sequence number.
  [[nodiscard]] result<std::uint64_t> append(const decision& d) noexcept {
    return detail::guarded("append", [&]() -> result<std::uint64_t> {
      if (status s = check(d); !s.ok()) return s;
      return do_append(d);
    });
  }
  /// Up to `limit` entries with seq > `after_seq`, in seq order.
  [[nodiscard]] result<std::vector<decision>> read(
      std::uint64_t after_seq = 0, std::size_t limit = default_page_size) const noexcept {
    if (status s = detail::check_limit(limit); !s.ok()) return s;
    return detail::guarded("read", [&] { return do_read(after_seq, limit); });
  }
  /// Entries about `subject`, in seq order.
  [[nodiscard]] result<std::vector<decision>> for_subject(
      const record_ref& subject) const noexcept {
    if (subject.id.empty()) return status::invalid_argument("empty subject id");
    return detail::guarded("for_subject", [&] { return do_for_subject(subject); });
  }
  /// The highest seq appended so far (0 when empty).
  [[nodiscard]] result<std::uint64_t> last_seq() const noexcept {
    return detail::guarded("last_seq", [&] { return do_last_seq(); });
  }

  /// What `append` checks: a subject id, valid UTF-8 everywhere.
  [[nodiscard]] static status check(const decision& d);

 protected:
  decision_log() = default;
  virtual result<std::uint64_t> do_append(const decision& d) = 0;
  virtual result<std::vector<decision>> do_read(std::uint64_t after_seq,
                                                std::size_t limit) const = 0;
  virtual result<std::vector<decision>> do_for_subject(const record_ref& subject) const = 0;
  virtual result<std::uint64_t> do_last_seq() const = 0;
};

}  // namespace crmrules
