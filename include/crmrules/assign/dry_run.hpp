// crmrules assign: the rules sandbox. Runs a candidate policy over a batch of leads against a
// snapshot of reps, writing nothing, and compares it with the policy in force.
//
// Each policy is simulated on its own copy of the snapshot, lead after lead in the order given:
// a lead assigned to a rep raises that rep's counters (assigned today, open leads, last
// assigned), so caps fill up and loads grow as they would in production. The report says how
// many leads each rep would get, each rep's load afterwards, which leads would fall to the
// fallback and why, and, against the policy in force, how many leads change owner and between
// whom.
//
// **Example**
// ```
// auto report = crmrules::assign::dry_run(candidate_rules->assign_policy(),
//                                         rules_in_force->assign_policy(), last_month, reps, now);
// std::cout << report.summary();
// ```
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crmrules/assign/assigner.hpp"

namespace crmrules::assign {

/// One policy's outcome over the batch.
struct simulation {
  std::map<std::string, std::size_t> leads_per_rep;  ///< by rep id (fallback rep included)
  std::map<std::string, double> load_after;          ///< rep.load after the batch, every rep
  std::size_t assigned = 0;
  std::size_t fallback = 0;                    ///< given to the fallback rep
  std::size_t unassigned = 0;                  ///< nobody, and no fallback rep
  std::map<std::string, std::size_t> reasons;  ///< fallback_reason code -> leads
  /// Leads that fell to the fallback or stayed unassigned, with the reason in words.
  std::vector<std::pair<std::string, std::string>> fallen;
  std::vector<std::string> owners;  ///< per lead, in batch order: rep id, or "" if none
};

struct dry_run_report {
  std::size_t leads = 0;
  simulation candidate;
  /// Only when a policy in force was given.
  std::optional<simulation> in_force;
  std::size_t changed_owner = 0;  ///< leads whose owner differs between the two
  /// (from, to) -> leads, for leads that change owner ("" = nobody).
  std::map<std::pair<std::string, std::string>, std::size_t> moves;

  /// A plain-text report for people: distribution, fallbacks and reasons, the diff.
  [[nodiscard]] std::string summary() const;
};

/// Simulates `candidate` (and `in_force`, when not null) over `leads` at `now`, starting from
/// `reps`. Pure: writes nothing, changes none of its inputs.
[[nodiscard]] dry_run_report dry_run(std::shared_ptr<const policy> candidate,
                                     std::shared_ptr<const policy> in_force,
                                     std::span<const lead> leads, std::span<const rep> reps,
                                     timestamp now);

}  // namespace crmrules::assign
