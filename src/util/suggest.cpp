#include "util/suggest.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "util/utf8.hpp"

namespace crmrules::detail {

std::size_t edit_distance(std::u32string_view a, std::u32string_view b) {
  // Three rolling rows: previous-previous (for transpositions), previous, current.
  std::vector<std::size_t> pp(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], pp[j - 2] + 1);
      }
    }
    std::swap(pp, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates) {
  if (word.empty()) return std::nullopt;
  const std::u32string w = to_u32(ascii_lower(word));
  const std::size_t limit = std::max<std::size_t>(1, w.size() / 3);
  std::optional<std::string> best;
  std::size_t best_score = std::numeric_limits<std::size_t>::max();
  std::size_t best_prefix = 0;
  for (std::string_view c : candidates) {
    if (c == word) continue;
    const std::u32string cw = to_u32(ascii_lower(c));
    std::size_t score = edit_distance(w, cw);
    const bool prefix_related =
        (cw.size() > w.size() && cw.compare(0, w.size(), w) == 0) ||
        (w.size() > cw.size() && w.compare(0, cw.size(), cw) == 0 && cw.size() >= 2);
    if (score > limit && !prefix_related) continue;
    // Replacing every code point is no typo: 'Z' is not a misspelt 'A'.
    if (!prefix_related && score >= std::max(w.size(), cw.size())) continue;
    if (prefix_related) score = std::min(score, limit);
    // Ties go to the candidate that shares the longest beginning with the word: 线索来源渠 is
    // more likely 线索来源渠道 than 线索来源.
    std::size_t prefix = 0;
    while (prefix < w.size() && prefix < cw.size() && w[prefix] == cw[prefix])
      ++prefix;
    if (score < best_score || (score == best_score && prefix > best_prefix)) {
      best_score = score;
      best_prefix = prefix;
      best = std::string(c);
    }
  }
  return best;
}

}  // namespace crmrules::detail
