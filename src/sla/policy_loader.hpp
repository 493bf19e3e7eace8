// Internal: the "sla" section of a rules file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crmrules/sla/calendar.hpp"
#include "crmrules/sla/policy.hpp"
#include "rules/reader.hpp"

namespace crmrules::detail {

/// Reads every policy of the section against the file's calendars; reports each error at its
/// place and returns the policies that could be made. `declared` names every calendar of the
/// "calendars" section, including those that had errors (reported there, not again here).
sla::policy_set load_sla_policies(
    object_reader& section,
    const std::map<std::string, std::shared_ptr<const sla::business_calendar>, std::less<>>&
        calendars,
    const std::vector<std::string>& declared);

}  // namespace crmrules::detail
