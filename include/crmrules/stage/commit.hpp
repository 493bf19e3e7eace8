// crmrules stage: moving an opportunity through the gate and recording it.
//
// `move_and_commit` is the one way a deal changes stage under crmrules: it validates the move
// with a gate, and writes the deal (new stage, time of entry, the proof submitted with the move)
// and the decision in one versioned batch, retrying when another writer got there first. A
// refusal is written to the decision log too, with every unmet requirement (and the deal is
// written back unchanged, bumping its version, so refusals and moves are ordered). An authorised
// role may override a refusal with a reason; the override is its own decision, listing what was
// missing. Nothing else moves a deal: hosts route their own screens, imports and admin tools
// through here (the stores themselves do not know about stages).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crmrules/stage/pipeline.hpp"
#include "crmrules/store/storage.hpp"

namespace crmrules::stage {

struct move_request {
  opportunity_id id;
  std::string target;                   ///< the stage id to move to
  std::vector<evidence_item> evidence;  ///< proof submitted with the move (stored if it moves)
  std::string actor;                    ///< who asks (a user id), written as the decision's actor
  std::string actor_role;               ///< checked against pipeline::override_roles
  /// Set to override a refusal: the reason, in words (an empty reason is refused).
  std::optional<std::string> override_reason;
  /// For a move to a lost terminal: the coded reasons, checked and stored with the move (in
  /// place of any on the deal). Empty: the deal's own opportunity::lost_reasons are checked.
  std::vector<lost_reason> lost_reasons{};
  int max_attempts = 256;  ///< on version conflicts (each re-reads the deal)
};

struct move_result {
  move_verdict verdict;  ///< the gate's verdict (before any override)
  bool moved = false;
  bool overridden = false;  ///< moved despite a refusal, by an authorised override
  std::string refusal;      ///< why it did not move, in words (empty when it moved)
  std::uint64_t decision_seq = 0;
  int attempts = 0;
};

/// Validates and commits one move. Errors: not_found for an unknown deal, invalid_argument for
/// an empty actor, conflict after max_attempts lost races, whatever the store reports. A
/// refused move is not an error: the result says why, and the refusal is in the decision log.
/// Invalid moves (unknown stage, closed deal, already there) cannot be overridden.
[[nodiscard]] result<move_result> move_and_commit(storage& store, gate& g,
                                                  const move_request& request, timestamp now);

}  // namespace crmrules::stage
