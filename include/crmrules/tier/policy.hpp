// crmrules tier: customer tiers from behaviour, as the rules file's "tiers" section describes
// them: ordered tiers (first match wins) whose conditions count behaviour events in rolling
// windows, intent upgrades, the actions bound to each, and each tier's daily must-do touches.
//
// The section's formulas see the customer (scope "customer", 客户) and four functions over the
// customer's events:
//   COUNT_EVENTS(type, window)  events of `type` in the last `window` (a duration: 30d)
//   HAS_EVENT(type, window)     COUNT_EVENTS(type, window) >= 1
//   LAST_EVENT_AT(type)         the time of the last one (blank when none)
//   DAYS_SINCE_LAST(type)       days since the last one, fractional (blank when none)
// A window longer than the section's `horizon` is #NUM!. See docs/TIERING.md.
//
// A policy is immutable once loaded; share it freely across threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crmrules/model/attributes.hpp"
#include "crmrules/model/time.hpp"
#include "crmrules/rules/formula.hpp"

namespace crmrules::tier {

/// What to do when a customer enters a tier or an upgrade: reported to the host's action sink
/// and the notifier; `sla` starts that SLA policy's deadline for the customer when the tier
/// engine has an SLA engine.
struct action_def {
  std::string action;           ///< "respond", "assign_advisor", "push_content", ...
  std::vector<std::string> to;  ///< recipients; "$owner" is the customer's owner
  std::string sla;              ///< an SLA policy (about customers) to start, or empty
  attributes params;            ///< anything else the host needs ("content": "...")
};

/// One daily must-do touch: at least `min` events of `event` per day.
struct daily_requirement {
  std::string event;
  std::int64_t min = 1;
};

struct tier_def {
  std::string name;                      ///< "A", "B", ...
  std::shared_ptr<const formula> when;   ///< boolean, over the customer
  std::vector<action_def> actions;       ///< on entering the tier, once per entry
  std::vector<daily_requirement> daily;  ///< must-do touches per day while in the tier
};

/// An intent upgrade: a condition whose becoming true fires its actions once (again only after
/// it was false in between), whatever the tier.
struct upgrade_def {
  std::string name;  ///< "high_intent"
  std::shared_ptr<const formula> when;
  std::vector<action_def> actions;
};

struct tier_policy {
  std::vector<tier_def> tiers;  ///< in order: the first whose condition holds is the tier
  std::vector<upgrade_def> upgrades;
  duration horizon = std::chrono::days(90);  ///< the longest window formulas may ask for
  std::uint32_t cap_per_type = 1024;         ///< events of one type kept per customer

  /// The index of tier `name`, or nullopt.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const;
};

/// The formula environment tier conditions compile in: the customer scope and the event
/// functions above (plus `extra`, the host's functions). For hosts that build policies in C++.
[[nodiscard]] formula_env tier_env(const schema_set& schemas,
                                   const std::vector<function_def>& extra = {});

}  // namespace crmrules::tier
