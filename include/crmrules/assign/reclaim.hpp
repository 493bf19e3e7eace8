// crmrules assign: reclaim on no-touch. A lead its owner has not first-touched climbs the
// policy's escalation ladder (remind the owner, notify the manager, reassign), as a function of
// (lead, now) so that the SLA engine's timers can drive it.
//
// **Example** (called by a timer, or by a periodic sweep over assigned leads)
// ```
// const auto step = crmrules::assign::reclaim_check(policy, lead, now);
// if (step.step == crmrules::assign::reclaim_step::reassign) {
//   auto r = crmrules::assign::reclaim_and_commit(store, policy, lead.id, now, &notifier);
//   if (r && r->released) crmrules::assign::assign_and_commit(store, assigner, lead.id, now);
// }
// // else schedule the next check at step.next_at
// ```
#pragma once

#include <optional>
#include <string>

#include "crmrules/assign/policy.hpp"
#include "crmrules/store/notifier.hpp"
#include "crmrules/store/storage.hpp"

namespace crmrules::assign {

enum class reclaim_step : std::uint8_t {
  none,            ///< touched, not assigned, or not yet due
  remind_owner,    ///< the owner should call now
  notify_manager,  ///< the owner's manager is told
  reassign,        ///< the lead is taken back and reassigned, not to the same owner
};
[[nodiscard]] std::string_view to_string(reclaim_step s) noexcept;

struct reclaim_decision {
  reclaim_step step = reclaim_step::none;
  /// When the next step falls due (nullopt: nothing further, or the lead is out of scope).
  std::optional<timestamp> next_at;
  std::string reason;  ///< "not touched 2h5m after assignment to R7" (whole minutes)
};

/// The highest step of the ladder that is due for `l` at `now`. Only leads in status
/// `assigned` with an owner, an `assigned_at` and no `first_touch_at` are in scope. Pure.
[[nodiscard]] reclaim_decision reclaim_check(const policy& p, const lead& l, timestamp now);

struct reclaim_result {
  reclaim_decision decision;
  bool released = false;  ///< the lead is now to_reassign (call assign_and_commit next)
  std::uint64_t decision_seq = 0;
};

/// Reads lead `id`, checks the ladder, and acts on the step due: a reminder to the owner, a
/// notification to the manager (the owner's team manager, else the policy's alert recipients),
/// or the release: the lead becomes to_reassign (its owner kept as the one to skip), the
/// owner's open_leads drops by one, and a reclaim decision is logged, in one versioned batch
/// (conflicts retried). Notifications go out after the commit; `n` may be null.
[[nodiscard]] result<reclaim_result> reclaim_and_commit(storage& store, const policy& p,
                                                        const lead_id& id, timestamp now,
                                                        notifier* n, int max_attempts = 256);

}  // namespace crmrules::assign
