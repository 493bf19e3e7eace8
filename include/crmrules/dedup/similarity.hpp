// crmrules dedup: string-similarity kernels for fuzzy matching of names, company names and
// addresses, Latin and CJK alike.
//
// Contracts:
// - Every kernel works on Unicode code points (std::u32string_view; to_code_points() decodes
//   UTF-8), so one CJK character is one unit, as one Latin letter is. Code points are compared
//   as they are: no case folding or normalisation (the normalisers do that), except where a
//   function says otherwise (token_set_ratio).
// - Similarities are in [0, 1] and are 1 for equal strings. Two empty strings are 1.0; an empty
//   string against a non-empty one is 0.0.
// - All functions are pure and thread-safe; const member functions of the query classes may be
//   called concurrently on one object.
// - The hot calls are noexcept and do not allocate for the short strings dedup sees (names are
//   mostly 2-20 code points): levenshtein_distance up to 64 code points in the shorter string,
//   jaro_winkler up to 256 code points in each, the bigram functions up to 64 bigrams in each,
//   levenshtein_query for patterns up to 1024 code points, bigram_query for texts up to 64
//   bigrams. Longer strings use a heap buffer; as the calls are noexcept, running out of memory
//   there ends the program. Constructing a query class allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crmrules::dedup {

/// Decodes UTF-8 to code points; each ill-formed byte becomes U+FFFD.
[[nodiscard]] std::u32string to_code_points(std::string_view utf8);

/// Levenshtein distance (insertions, deletions and substitutions of one code point each cost 1).
/// Bit-parallel (Myers 1999 / Hyyrö 2003): one 64-bit word when the shorter string, less the
/// prefix and suffix both strings share, has at most 64 code points; blocks of 64 beyond.
[[nodiscard]] std::size_t levenshtein_distance(std::u32string_view a,
                                               std::u32string_view b) noexcept;

/// levenshtein_distance(a, b) when it is at most `max`, otherwise max + 1 (computed faster: it
/// gives up early when the lengths differ by more than `max`, or once the distance cannot come
/// back to `max`).
[[nodiscard]] std::size_t levenshtein_distance_bounded(std::u32string_view a, std::u32string_view b,
                                                       std::size_t max) noexcept;

/// 1 - levenshtein_distance(a, b) / max(|a|, |b|).
[[nodiscard]] double levenshtein_ratio(std::u32string_view a, std::u32string_view b) noexcept;

/// Jaro-Winkler similarity: Jaro (match window max(|a|, |b|) / 2 - 1, half-transpositions
/// rounded down), plus Winkler's bonus prefix_scale * l * (1 - jaro) for a common prefix of
/// l <= 4 code points, given only when jaro > 0.7 (Winkler's boost threshold, as in most
/// implementations). prefix_scale is clamped to [0, 0.25] so the result stays in [0, 1].
[[nodiscard]] double jaro_winkler(std::u32string_view a, std::u32string_view b,
                                  double prefix_scale = 0.1) noexcept;

/// Sørensen-Dice coefficient 2|A ∩ B| / (|A| + |B|) on the multisets of adjacent code-point
/// pairs (bigrams) of each string: "瑞金医院" has the bigrams 瑞金, 金医, 医院. Suited to CJK
/// names, where one character carries a word's weight. When either string has a single code point
/// (no bigrams), both strings are compared as multisets of single code points instead, so
/// "中" against "中国" is 2·1 / (1 + 2) = 0.667 rather than 0.
[[nodiscard]] double bigram_dice(std::u32string_view a, std::u32string_view b) noexcept;

/// Jaccard index |A ∩ B| / |A ∪ B| on the same multisets as bigram_dice (same rule for a
/// single code point).
[[nodiscard]] double bigram_jaccard(std::u32string_view a, std::u32string_view b) noexcept;

/// Token-set ratio (fuzzywuzzy's token_set_ratio) for Latin text: each string is split into
/// tokens on ASCII spaces, punctuation and symbols (anything not an ASCII letter or digit) and
/// on Unicode spaces and common punctuation (U+00A0, U+2000..U+206F, CJK and full-width
/// punctuation); ASCII letters are lower-cased; duplicate tokens count once. With I the sorted
/// tokens both share and D1, D2 the sorted rest of each, it is the best levenshtein_ratio of
/// I against I+D1, I against I+D2, and I+D1 against I+D2 (tokens joined by one space). So word
/// order and repeats do not matter, and a string whose tokens are all in the other scores 1.0.
/// Two strings without tokens are 1.0, one without tokens against one with tokens 0.0.
/// Allocates.
[[nodiscard]] double token_set_ratio(std::u32string_view a, std::u32string_view b);

/// One string compared against many: the bit masks of the Myers algorithm are built once.
/// distance() and ratio() equal levenshtein_distance() and levenshtein_ratio() with the
/// pattern as first argument, and do not allocate for patterns of up to 1024 code points
/// (texts of any length).
class levenshtein_query {
 public:
  explicit levenshtein_query(std::u32string_view pattern);

  [[nodiscard]] std::size_t distance(std::u32string_view text) const noexcept;
  /// levenshtein_distance_bounded(pattern, text, max).
  [[nodiscard]] std::size_t distance_bounded(std::u32string_view text,
                                             std::size_t max) const noexcept;
  [[nodiscard]] double ratio(std::u32string_view text) const noexcept;
  /// Code points in the pattern.
  [[nodiscard]] std::size_t size() const noexcept { return pattern_.size(); }

 private:
  template <bool Bounded>
  std::size_t distance_(std::u32string_view text, std::size_t max) const noexcept;

  std::u32string pattern_;
  std::size_t words_ = 0;  ///< 64-bit words per mask: ceil(size / 64)
  /// Masks of the ASCII code points: ascii_[c * words_ + w] is word w of c's mask.
  std::vector<std::uint64_t> ascii_;
  /// Open-addressing table (linear probing) of the other code points; 0 marks an empty slot
  /// (U+0000 is ASCII, so never a key). masks_[slot * words_ + w] is word w of the key's mask.
  std::vector<char32_t> keys_;
  std::vector<std::uint64_t> masks_;
  unsigned shift_ = 32;  ///< hash shift: 32 - log2(keys_.size())
};

/// One string compared against many by bigram_dice() / bigram_jaccard(): the query's sorted
/// bigrams (and single code points, for the one-code-point rule) are built once.
class bigram_query {
 public:
  explicit bigram_query(std::u32string_view query);

  /// bigram_dice(query, text).
  [[nodiscard]] double dice(std::u32string_view text) const noexcept;
  /// bigram_jaccard(query, text).
  [[nodiscard]] double jaccard(std::u32string_view text) const noexcept;
  /// Code points in the query.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::size_t size_ = 0;
  std::vector<std::uint64_t> bigrams_;   ///< sorted, (first << 32) | second
  std::vector<std::uint64_t> unigrams_;  ///< sorted code points
};

}  // namespace crmrules::dedup
