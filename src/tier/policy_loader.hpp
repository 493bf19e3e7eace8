// Internal: the "tiers" section of a rules file.
#pragma once

#include <memory>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/sla/policy.hpp"
#include "crmrules/tier/policy.hpp"
#include "rules/reader.hpp"

namespace crmrules::detail {

/// Reads the section; reports each error at its place. `sla` (may be null) checks the policies
/// actions name.
std::shared_ptr<const tier::tier_policy> load_tier_policy(object_reader& section,
                                                          const schema_set& schemas,
                                                          const rules_options& options,
                                                          const sla::policy_set* sla);

}  // namespace crmrules::detail
