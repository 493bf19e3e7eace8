// crmrules stage: pipeline analytics from the decision log, and the pipeline as a Graphviz graph.
//
// Every move, refusal and override is a decision (stage/commit.hpp); from them:
// per-stage counts, how long deals stay (median and 90th percentile), where they go next, and
// where they get stuck (refusals, long stays). `to_dot` draws the pipeline with the figures:
// stages as boxes shaded by dwell (against the stage's limit), moves as edges labelled with
// their counts, so a manager can look at the flow instead of reading tables:
// `dot -Tsvg pipeline.dot > pipeline.svg`.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/stage/pipeline.hpp"

namespace crmrules::stage {

struct stage_stats {
  std::string stage;
  std::size_t entered = 0;     ///< moves into the stage
  std::size_t advanced = 0;    ///< moves out of it forward (a later stage or won)
  std::size_t lost = 0;        ///< moves out of it to a lost terminal
  std::size_t back = 0;        ///< moves out of it to an earlier stage
  std::size_t refused = 0;     ///< refused moves out of it
  std::size_t overridden = 0;  ///< moves out of it by override
  /// Stays that began and ended within the log (entered, then left): their lengths.
  std::size_t stays = 0;
  duration median_stay{};
  duration p90_stay{};
  /// advanced / (advanced + lost): of the deals that left, the share that went forward; 0
  /// when none left.
  double conversion = 0;
};

struct stage_flow {
  std::string from;
  std::string to;
  std::size_t moves = 0;  ///< overrides included
};

struct pipeline_report {
  std::vector<stage_stats> stages;  ///< in pipeline order
  std::vector<stage_flow> flows;    ///< every (from, to) pair moved along, most used first
  std::size_t decisions_read = 0;   ///< stage decisions read (others in the log are skipped)
  std::size_t unreadable = 0;       ///< stage decisions whose detail could not be read
};

/// Reads the stage decisions (stage_move, gate_refusal, override) of `log`, in seq order.
/// Moves from or to stages the pipeline no longer has are counted in `flows` only.
[[nodiscard]] pipeline_report analyse(const pipeline& p, std::span<const decision> log);

/// The pipeline as a Graphviz DOT digraph: open stages left to right, terminals at the end;
/// with `report`, each stage shows entries, median and 90th-percentile stay and refusals, is
/// shaded by its median stay against its dwell limit (green under half, amber under the limit,
/// red over it), and each move taken is an edge labelled with its count.
[[nodiscard]] std::string to_dot(const pipeline& p, const pipeline_report* report = nullptr);

}  // namespace crmrules::stage
