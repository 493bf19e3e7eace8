// Internal: "did you mean ...?" for unknown names (rules-file keys, fields, functions, types).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace crmrules::detail {

/// Optimal-string-alignment edit distance over code points (a transposition counts one).
std::size_t edit_distance(std::u32string_view a, std::u32string_view b);

/// The candidate closest to `word`, if one is close enough to be a plausible typo: an edit
/// distance of at most max(1, length/3) code points (ASCII compared case-insensitively), or a
/// candidate that starts with `word` or is its prefix (线索来源 → 线索来源渠道). Ties go to the
/// earliest candidate, so pass candidates in a stable order.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

}  // namespace crmrules::detail
