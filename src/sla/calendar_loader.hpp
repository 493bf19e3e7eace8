// Internal: the "calendars" section of a rules file.
#pragma once

#include <map>
#include <string>

#include "crmrules/sla/calendar.hpp"
#include "rules/reader.hpp"

namespace crmrules::detail {

/// Reads every calendar of the section; reports each error at its place and returns the
/// calendars that could be made.
std::map<std::string, sla::business_calendar, std::less<>> load_calendars(object_reader& section);

}  // namespace crmrules::detail
