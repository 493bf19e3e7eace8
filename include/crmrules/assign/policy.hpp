// crmrules assign: the assignment policy, compiled from the "assign" section of a rules file.
//
// ```json
// "assign": {
//   "pools": [
//     {"name": "华东", "team": "T-east", "takes": "IN(线索.区域, \"华东\", \"华中\")"},
//     {"name": "全国", "mode": "round_robin"}
//   ],
//   "eligible": "NOT(rep.role = \"intern\") OR 客户预算 < 10万",
//   "score": ["IF(线索来源=\"官网表单\", 100, 40)",
//             "+ IF(IN(lead.industry, rep.industries), 30, 0) - 5 * rep.load"],
//   "load": {"follow_ups": 1, "open_tasks": 0.5, "revenue_3d_per_10k": 0.2},
//   "role_coefficients": {"manager": 0.8, "new_hire": 0.95},
//   "cold_start": {"days": 7, "leads": "线索来源 = \"二次来访\" OR 线索来源 = \"活动报名\""},
//   "fallback": {"rep": "R-director", "alert": ["sales_ops"]}
// }
// ```
//
// A `policy` is immutable once loaded: share it across threads through
// `std::shared_ptr<const policy>` (rule_set::assign_policy). See docs/ASSIGNMENT.md for every
// field and for exactly how the score is formed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/rules/formula.hpp"

namespace crmrules::assign {

/// How a pool picks among its eligible reps.
enum class pool_mode : std::uint8_t {
  score,        ///< the highest final score wins (ties: least recently assigned, then id)
  round_robin,  ///< weighted rotation: the fewest leads today per unit of weight wins
};

/// Weights of the load figure `rep.load` that score formulas read (a higher load means a
/// busier rep). The 3-day revenue is judged per working day present (the other terms are
/// today's or current counts), see docs/ASSIGNMENT.md.
struct load_weights {
  double follow_ups = 1.0;          ///< per follow-up scheduled today (rep::today_follow_ups)
  double open_tasks = 0.5;          ///< per open task (rep::open_tasks)
  double open_leads = 0.0;          ///< per lead held open (rep::open_leads)
  double revenue_3d_per_10k = 0.0;  ///< per 10,000 yuan (万) closed in the last 3 days
};

/// A team or group of reps that takes some of the leads.
struct pool {
  std::string name;
  std::optional<team_id> team;  ///< members: the reps of this team...
  std::vector<rep_id> members;  ///< ...and/or these reps; both empty: every rep
  /// Over (lead): which leads this pool takes. Null: every lead.
  std::shared_ptr<const formula> takes;
  pool_mode mode = pool_mode::score;
  /// Round robin: weight per rep role (default 1); a rep of weight 2 gets twice the leads.
  std::map<std::string, double, std::less<>> rotation_weights;
};

/// The escalation ladder for a lead its owner has not touched: remind the owner, tell the
/// manager, take the lead back and reassign it. Each step's time counts from the assignment
/// (calendar time; business hours once the SLA engine's calendars drive it).
struct reclaim_ladder {
  std::optional<duration> remind_owner;    ///< e.g. 1h; nullopt: no reminder
  std::optional<duration> notify_manager;  ///< e.g. 1h30m; nullopt: no manager step
  duration reassign = std::chrono::hours(2);
};

/// A compiled assignment policy.
struct policy {
  /// Scope indices of the formulas over (lead, rep), and the variable index of `rep.load`.
  static constexpr std::size_t lead_scope = 0;
  static constexpr std::size_t rep_scope = 1;
  static constexpr std::size_t load_variable = 0;

  /// A lead goes to the first pool whose `takes` is TRUE. No pools: one pool of every rep.
  std::vector<pool> pools;
  /// Over (lead): whether any rule covers the lead at all (e.g. its channel is known); a lead
  /// that is not covered, or that no pool takes, goes to the fallback with an alert. Null: all.
  std::shared_ptr<const formula> covers;
  /// Over (lead, rep), boolean: eligibility beyond the built-in checks (active, accepts leads,
  /// not on leave, under the daily and open caps, cold start). Null: no further condition.
  std::shared_ptr<const formula> eligible;
  /// Over (lead, rep), number: the score before the role coefficient. Required.
  std::shared_ptr<const formula> score;
  load_weights load;
  /// Multiplies the score by rep role; the key "new_hire", when present, applies instead to a
  /// rep hired less than `cold_start_period` ago (or not yet started), whether or not cold-start
  /// protection is on. Roles not listed: 1. The whole score is multiplied, so a coefficient
  /// below 1 brings a negative score closer to 0.
  std::map<std::string, double, std::less<>> role_coefficients;
  /// Cold-start protection: a rep hired less than `cold_start_period` ago (or with a hire date
  /// still to come) only receives leads for which `cold_start_leads` (over the lead) is TRUE.
  /// Null rule: protection off.
  duration cold_start_period = std::chrono::days(7);
  std::shared_ptr<const formula> cold_start_leads;
  /// Who gets a lead nobody else can take; nullopt: such leads stay unassigned (and say why).
  std::optional<rep_id> fallback;
  /// Recipients (rep ids or role names) of the alert sent when a lead falls to the fallback
  /// because no rule covers it.
  std::vector<std::string> alert_recipients;
  /// Reclaim on no-touch (assign::reclaim_check).
  reclaim_ladder reclaim;
};

}  // namespace crmrules::assign
