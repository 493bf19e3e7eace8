// Internal: the duration units shared by the model's parse_duration and the formula lexer.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace crmrules::detail {

struct duration_unit {
  std::string_view name;
  std::int64_t micros;
};

/// Longest names first, so that "ms" is not read as "m" followed by "s".
inline constexpr std::array<duration_unit, 12> duration_units{{
    {"小时", 3'600'000'000},
    {"分钟", 60'000'000},
    {"ms", 1'000},
    {"us", 1},
    {"周", 7 * 86'400'000'000LL},
    {"天", 86'400'000'000},
    {"秒", 1'000'000},
    {"w", 7 * 86'400'000'000LL},
    {"d", 86'400'000'000},
    {"h", 3'600'000'000},
    {"m", 60'000'000},
    {"s", 1'000'000},
}};

}  // namespace crmrules::detail
