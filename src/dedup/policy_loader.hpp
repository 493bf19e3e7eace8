// Internal: the "dedup" section of a rules file.
#pragma once

#include <memory>

#include "crmrules/dedup/policy.hpp"
#include "crmrules/rules/rule_set.hpp"
#include "rules/reader.hpp"

namespace crmrules::detail {

/// Reads the section; reports each error at its place and returns what it could build.
std::shared_ptr<const dedup::policy> load_dedup_policy(object_reader& section,
                                                       const schema_set& schemas,
                                                       const rules_options& options);

}  // namespace crmrules::detail
