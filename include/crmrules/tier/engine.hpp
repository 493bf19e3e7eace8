// crmrules tier: the tiering engine. It keeps every customer's behaviour events in rolling
// windows, re-tiers a customer when an event arrives (and, in a sweep, as time passes), fires the
// actions bound to a tier once when the customer enters it and an upgrade's once when its
// condition becomes true, records every tier change, and lists the daily must-do touches not yet
// done.
//
// **Example**
// ```
// crmrules::tier::engine tiers(rules->tier_policy(), {.notify = &notifier, .store = &storage});
// for (const auto& c : customers) tiers.add_customer(c);          // their stored tier kept
// tiers.rebuild(storage.events());                                // windows from the event store
// auto r = tiers.apply(event, now);                               // as each event arrives
// if (r && r->changed) ...;                                       // A -> B, and why
// auto gaps = tiers.must_do(crmrules::rep_id{"R7"}, day_start, day_start + 24h);
// ```
//
// Thread-safety: one engine is used by one thread at a time (hosts shard customers over several
// engines, or lock). The callbacks it makes (`on_action`, the notifier, the storage, the SLA
// engine) must not call back into the same engine: an add_customer during an apply may move the
// customer data the apply is reading. Ownership: the engine copies customers; it keeps pointers to
// the notifier, the storage and the SLA engine, which must outlive it. The engine does not write
// customers: the host stores the new `tier` of a changed customer if it wants it kept (see
// add_customer).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/status.hpp"
#include "crmrules/store/notifier.hpp"
#include "crmrules/store/storage.hpp"
#include "crmrules/tier/policy.hpp"
#include "crmrules/tier/windows.hpp"

namespace crmrules::sla {
class engine;
}

namespace crmrules::tier {

/// A customer's tier changed.
struct tier_change {
  customer_id customer;
  std::string from;  ///< "" when the customer had no tier
  std::string to;    ///< "" when no tier's condition holds any more
  timestamp at{};
  /// The event that caused it (empty id when time passing did: a window emptied).
  event_id cause;
  std::string cause_type;
  /// The customer's event counts in the horizon when it changed: what the conditions saw.
  std::vector<std::pair<std::string, std::int64_t>> counts;
};

/// An action fired: a tier entered or an upgrade's condition became true.
struct fired_action {
  customer_id customer;
  std::string source;  ///< the tier ("A") or upgrade ("high_intent") it belongs to
  bool upgrade = false;
  const action_def* action = nullptr;
  std::vector<std::string> recipients;  ///< resolved ("$owner" -> the customer's owner)
  timestamp at{};
};

struct apply_result {
  // User-provided: a value-initialized apply_result (result's in-place construction) then
  // initializes its members only, instead of zeroing all of its bytes first.
  apply_result() noexcept {}  // NOLINT(modernize-use-equals-default)

  /// The customer's tier after the event ("" for none): a view of the tier's name in the
  /// policy, valid while the policy lives (the engine holds it; copy it to keep it longer).
  std::string_view tier;
  bool changed = false;
  std::optional<tier_change> change;
  std::vector<fired_action> actions;
  std::vector<std::string> errors;  ///< formula errors (#NUM! ...) met, with the tier or upgrade
};

struct sweep_report {
  std::size_t customers = 0;
  std::size_t changed = 0;
  std::size_t actions = 0;
  std::vector<std::string> errors;
};

/// A must-do touch not (yet) done.
struct must_do_gap {
  customer_id customer;
  std::string tier;
  std::string event;  ///< the event type required
  std::int64_t min = 0;
  std::int64_t done = 0;
};

struct engine_options {
  notifier* notify = nullptr;  ///< tier changes (info) and actions (reminder); may be null
  /// Tier changes are appended to its decision log as tier_change decisions, one batch per
  /// apply or retier and per 1,000 changes of a sweep; may be null.
  storage* store = nullptr;
  sla::engine* deadlines = nullptr;  ///< starts the deadlines of actions with an `sla`
  /// Called for every fired action (the host's action sink); errors are reported, not retried.
  std::function<status(const fired_action&)> on_action;
  /// Keep every tier change in memory for changes() (the funnel's input). Off by default: a
  /// long-running engine's history belongs in the decision log (`store`), not in memory.
  bool keep_changes = false;
  /// Conditions made only of COUNT_EVENTS and HAS_EVENT with constant arguments (a window up
  /// to the horizon), compared with constant numbers under AND, OR and NOT, are evaluated from
  /// one pass over the customer's events instead of by the formula machine, with the same
  /// results and without reading the customer record. Off: every condition goes through the
  /// machine (for comparing the two).
  bool lower_conditions = true;
  std::string actor = "crmrules.tier";
};

class engine {
 public:
  /// `policy` must not be null.
  engine(std::shared_ptr<const tier_policy> policy, engine_options options = {});
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Adds or replaces a customer (copied: conditions read its fields). Its `tier` is taken as
  /// its current tier, so a restarted engine does not fire the entry actions again.
  /// invalid_argument for an empty id, or a tier name the policy does not have.
  status add_customer(const customer& c);

  /// Records event `e` for its customer and re-tiers the customer at `now`. not_found for a
  /// customer never added; invalid_argument for an event without a customer or type.
  [[nodiscard]] result<apply_result> apply(const event& e, timestamp now);
  /// apply(e, now) for each event in order, with the same results (one per event, errors
  /// included) and the same effects, tier changes logged per event as apply logs them; events
  /// of one customer in a batch see the earlier ones. Faster when the customers are many: each
  /// event's customer is fetched from memory while the events before it are handled, so the
  /// cache misses overlap (1.5–2× fewer nanoseconds per event at 1,000,000 customers, see
  /// docs/PERFORMANCE.md). Batches of 16 events or more get the whole benefit.
  [[nodiscard]] std::vector<result<apply_result>> apply_batch(std::span<const event> events,
                                                              timestamp now);
  /// Records an event without re-tiering (bulk loading); the same errors.
  status record(const event& e);
  /// Re-tiers one customer at `now` (windows move as time passes).
  [[nodiscard]] result<apply_result> retier(const customer_id& id, timestamp now);
  /// Re-tiers every customer at `now` and forgets events older than the horizon: a daily job.
  [[nodiscard]] sweep_report sweep(timestamp now);

  /// Forgets every event and reloads them from `events` (all of them, page by page), for the
  /// customers added; then the windows are as if every event had been applied. Tiers are not
  /// changed (call sweep for that).
  status rebuild(const event_store& events);

  /// The customer's current tier ("" for none); not_found for an unknown customer.
  [[nodiscard]] result<std::string> tier_of(const customer_id& id) const;
  /// COUNT_EVENTS for one customer, from C++.
  [[nodiscard]] result<std::int64_t> count(const customer_id& id, std::string_view type,
                                           duration window, timestamp now) const;

  /// For the customers `owner` owns, the daily must-do touches of their tier with fewer events
  /// than required in [day_start, day_end), in customer id order.
  [[nodiscard]] std::vector<must_do_gap> must_do(const rep_id& owner, timestamp day_start,
                                                 timestamp day_end) const;

  /// Every tier change since construction (or the last take_changes), in order, when
  /// `engine_options::keep_changes` is on; empty otherwise.
  [[nodiscard]] const std::vector<tier_change>& changes() const noexcept;
  /// Hands over the kept changes and forgets them.
  [[nodiscard]] std::vector<tier_change> take_changes() noexcept;
  [[nodiscard]] const event_windows& windows() const noexcept;
  [[nodiscard]] std::size_t customers() const noexcept;
  /// How many of the policy's tier and upgrade conditions are evaluated from one pass over the
  /// events rather than by the formula machine (see engine_options::lower_conditions): to
  /// check that a policy's conditions take the fast path.
  [[nodiscard]] std::size_t lowered_conditions() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

/// The monthly funnel from tier `from` to tier `to`: for each month (in UTC + `utc_offset`),
/// how many customers were in `from` at some time in it, and how many of them moved from
/// `from` straight to `to` in it. `initial` gives each customer's tier before the first change
/// (customers absent start with no tier).
struct funnel_month {
  int year = 0;
  unsigned month = 0;
  std::size_t in_from = 0;
  std::size_t moved = 0;
  [[nodiscard]] double rate() const noexcept {
    return in_from == 0 ? 0.0 : static_cast<double>(moved) / static_cast<double>(in_from);
  }
};
[[nodiscard]] std::vector<funnel_month> funnel(
    const std::vector<tier_change>& changes,
    const std::vector<std::pair<customer_id, std::string>>& initial, std::string_view from,
    std::string_view to, std::chrono::minutes utc_offset = std::chrono::hours(8));

}  // namespace crmrules::tier
