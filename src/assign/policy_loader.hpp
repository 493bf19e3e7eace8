// Internal: the "assign" section of a rules file.
#pragma once

#include <memory>

#include "crmrules/assign/policy.hpp"
#include "crmrules/rules/rule_set.hpp"
#include "rules/reader.hpp"

namespace crmrules::detail {

/// Reads and compiles the section; reports every error through the reader's context and
/// returns what it could build (callers look at context().failed()).
std::shared_ptr<const assign::policy> load_assign_policy(object_reader& section,
                                                         const schema_set& schemas,
                                                         const rules_options& options);

/// The environment of the policy's formulas over (lead, rep): scopes `lead` (线索) and `rep`
/// (销售), and the variable `rep.load`; with `with_rep` false, the lead only.
formula_env assign_env(const schema_set& schemas, const rules_options& options, bool with_rep);

}  // namespace crmrules::detail
