// Internal: the "pipeline" section of a rules file.
#pragma once

#include <memory>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/stage/pipeline.hpp"
#include "rules/reader.hpp"

namespace crmrules::detail {

/// Reads and checks the section (the stages' graph included); reports every error through the
/// reader's context and returns what it could build (callers look at context().failed()).
std::shared_ptr<const stage::pipeline> load_pipeline(object_reader& section,
                                                     const schema_set& schemas,
                                                     const rules_options& options);

/// The pipeline as a graph, checked with Boost.Graph: one start, every stage reachable from it,
/// a won and a lost terminal reachable from every open stage, no cycle among forward moves.
/// Returns one message per problem (empty: sound). Shortcut and backward endpoints must exist
/// (the loader drops the ones that do not before calling this).
std::vector<std::string> check_pipeline_graph(const stage::pipeline& p);

}  // namespace crmrules::detail
