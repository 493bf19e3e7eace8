#include "crmrules/dedup/similarity.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <utility>

#include "util/utf8.hpp"

namespace crmrules::dedup {

namespace {

constexpr std::size_t word_bits = 64;
/// Patterns of up to this many 64-bit words keep the Myers column state on the stack.
constexpr std::size_t stack_words = 16;
/// Jaro-Winkler keeps its match flags on the stack for strings up to this length.
constexpr std::size_t jaro_stack_length = 256;
/// The bigram functions keep their grams on the stack up to this many per string.
constexpr std::size_t gram_stack_count = 64;

/// Fibonacci hashing: the top bits of c * 2^32 / phi.
inline std::size_t hash_slot(char32_t c, unsigned shift) noexcept {
  return static_cast<std::size_t>((static_cast<std::uint32_t>(c) * 0x9E3779B1U) >> shift);
}

/// log2 of the open-addressing table size for `keys` keys: a power of two, at least 8 and at
/// least twice the keys (load <= 1/2, so probes stay short).
inline unsigned table_bits(std::size_t keys) noexcept {
  unsigned bits = 3;
  while ((std::size_t{1} << bits) < 2 * keys)
    ++bits;
  return bits;
}

/// Pattern masks of a pattern of 1..64 code points, on the stack: an open-addressing table whose
/// size follows the pattern's length, so building it costs O(m), not the clearing of a table
/// over the alphabet. A slot is empty when its mask is 0 (a key's mask has at least one bit), so
/// any char32_t value may be a key. A lookup ends at the key or at an empty slot, and returns
/// that slot's mask either way (0 for an empty one): one well-predicted branch per lookup.
class small_masks {
 public:
  explicit small_masks(std::u32string_view pattern) noexcept {
    const unsigned bits = table_bits(pattern.size());
    shift_ = 32 - bits;
    slot_mask_ = (std::size_t{1} << bits) - 1;
    std::fill_n(keys_.begin(), slot_mask_ + 1, char32_t{0});
    std::fill_n(masks_.begin(), slot_mask_ + 1, std::uint64_t{0});
    std::uint64_t bit = 1;
    for (const char32_t c : pattern) {
      std::size_t i = hash_slot(c, shift_);
      while (masks_[i] != 0 && keys_[i] != c)
        i = (i + 1) & slot_mask_;
      keys_[i] = c;
      masks_[i] |= bit;
      bit <<= 1;
    }
  }

  std::uint64_t operator()(char32_t c) const noexcept {
    std::size_t i = hash_slot(c, shift_);
    for (;;) {
      const std::uint64_t mask = masks_[i];
      if ((mask == 0) | (keys_[i] == c)) return mask;
      i = (i + 1) & slot_mask_;
    }
  }

 private:
  std::array<char32_t, 128> keys_;  // meaningful only where masks_ is non-zero
  std::array<std::uint64_t, 128> masks_;
  std::size_t slot_mask_ = 0;
  unsigned shift_ = 32;
};

/// Read-only view of a levenshtein_query's masks.
struct query_masks {
  const std::uint64_t* ascii;
  const char32_t* keys;
  const std::uint64_t* masks;
  std::size_t words;
  std::size_t slot_mask;
  unsigned shift;

  /// The `words` words of c's mask, or nullptr when c is not in the pattern.
  const std::uint64_t* row(char32_t c) const noexcept {
    if (c < 128) return ascii + static_cast<std::size_t>(c) * words;
    std::size_t i = hash_slot(c, shift);
    while (keys[i] != 0) {
      if (keys[i] == c) return masks + i * words;
      i = (i + 1) & slot_mask;
    }
    return nullptr;
  }

  /// c's mask of a single-word pattern (an empty slot's mask is 0).
  std::uint64_t operator()(char32_t c) const noexcept {
    if (c < 128) return ascii[c];
    std::size_t i = hash_slot(c, shift);
    for (;;) {
      const char32_t key = keys[i];
      if ((key == 0) | (key == c)) return masks[i];
      i = (i + 1) & slot_mask;
    }
  }
};

/// Levenshtein distance between a pattern of m (1..64) code points, given by its masks, and
/// `text`: Hyyrö's formulation of Myers' bit-vector algorithm, one column of the DP matrix per
/// text code point. Bounded: gives up with max + 1 once the last row's value, which falls by at
/// most one per remaining column, cannot come back to `max` (requires max < m + |text|).
template <bool Bounded, class Masks>
std::size_t myers_single(const Masks& peq, std::size_t m, std::u32string_view text,
                         std::size_t max) noexcept {
  std::uint64_t vp = ~std::uint64_t{0};
  std::uint64_t vn = 0;
  const unsigned last = static_cast<unsigned>(m - 1);
  std::size_t score = m;
  const std::size_t n = text.size();
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint64_t x = peq(text[j]) | vn;
    const std::uint64_t d0 = (((x & vp) + vp) ^ vp) | x;
    std::uint64_t hp = vn | ~(d0 | vp);
    std::uint64_t hn = d0 & vp;
    score += static_cast<std::size_t>((hp >> last) & 1U);
    score -= static_cast<std::size_t>((hn >> last) & 1U);
    if constexpr (Bounded) {
      if (score > max + (n - j - 1)) return max + 1;
    }
    hp = (hp << 1) | 1U;  // the top row grows by one per column
    hn <<= 1;
    vp = hn | ~(d0 | hp);
    vn = hp & d0;
  }
  return score;
}

/// The same for a pattern of m > 64 code points in `words` blocks of 64 (Myers' block-based
/// algorithm: each block passes its horizontal delta at the bottom row up to the next).
/// vp and vn are scratch of `words` words each.
template <bool Bounded>
std::size_t myers_blocks(const query_masks& peq, std::size_t m, std::u32string_view text,
                         std::uint64_t* vp, std::uint64_t* vn, std::size_t max) noexcept {
  const std::size_t words = peq.words;
  std::fill_n(vp, words, ~std::uint64_t{0});
  std::fill_n(vn, words, std::uint64_t{0});
  const unsigned last = static_cast<unsigned>((m - 1) % word_bits);
  std::size_t score = m;
  const std::size_t n = text.size();
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint64_t* row = peq.row(text[j]);
    std::uint64_t hp_carry = 1;  // the top row grows by one per column
    std::uint64_t hn_carry = 0;
    for (std::size_t w = 0; w < words; ++w) {
      const std::uint64_t pm = row != nullptr ? row[w] : 0;
      const std::uint64_t v_p = vp[w];
      const std::uint64_t v_n = vn[w];
      const std::uint64_t x = pm | hn_carry;
      const std::uint64_t d0 = (((x & v_p) + v_p) ^ v_p) | x | v_n;
      std::uint64_t hp = v_n | ~(d0 | v_p);
      std::uint64_t hn = d0 & v_p;
      const std::uint64_t hp_in = hp_carry;
      const std::uint64_t hn_in = hn_carry;
      if (w + 1 < words) {
        hp_carry = hp >> 63;
        hn_carry = hn >> 63;
      } else {
        hp_carry = (hp >> last) & 1U;
        hn_carry = (hn >> last) & 1U;
      }
      hp = (hp << 1) | hp_in;
      hn = (hn << 1) | hn_in;
      vp[w] = hn | ~(d0 | hp);
      vn[w] = hp & d0;
    }
    score += static_cast<std::size_t>(hp_carry);
    score -= static_cast<std::size_t>(hn_carry);
    if constexpr (Bounded) {
      if (score > max + (n - j - 1)) return max + 1;
    }
  }
  return score;
}

/// Levenshtein distance after removing the common prefix and suffix; the shorter string is the
/// pattern. Bounded: see myers_single (the caller clamps to max + 1).
template <bool Bounded>
std::size_t distance_impl(std::u32string_view a, std::u32string_view b, std::size_t max) noexcept {
  while (!a.empty() && !b.empty() && a.front() == b.front()) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  while (!a.empty() && !b.empty() && a.back() == b.back()) {
    a.remove_suffix(1);
    b.remove_suffix(1);
  }
  if (a.size() > b.size()) std::swap(a, b);
  if (a.empty()) return b.size();
  if (a.size() <= word_bits) return myers_single<Bounded>(small_masks(a), a.size(), b, max);
  const levenshtein_query q(a);  // rare: long strings; builds the blocked masks on the heap
  return Bounded ? q.distance_bounded(b, max) : q.distance(b);
}

double ratio_of(std::size_t distance, std::size_t la, std::size_t lb) noexcept {
  const std::size_t longest = std::max(la, lb);
  if (longest == 0) return 1.0;
  return 1.0 - static_cast<double>(distance) / static_cast<double>(longest);
}

// ------------------------------------------------------------------------------------------------
// Jaro-Winkler

/// Jaro similarity of two non-empty strings; fa and fb are scratch flags of |a| and |b| bytes.
double jaro_core(std::u32string_view a, std::u32string_view b, unsigned char* fa,
                 unsigned char* fb) noexcept {
  const std::size_t na = a.size();
  const std::size_t nb = b.size();
  const std::size_t half = std::max(na, nb) / 2;
  const std::size_t window = half > 0 ? half - 1 : 0;
  std::fill_n(fa, na, static_cast<unsigned char>(0));
  std::fill_n(fb, nb, static_cast<unsigned char>(0));
  std::size_t matches = 0;
  for (std::size_t i = 0; i < na; ++i) {
    const std::size_t lo = i > window ? i - window : 0;
    const std::size_t hi = std::min(nb, i + window + 1);
    for (std::size_t j = lo; j < hi; ++j) {
      if (fb[j] == 0 && b[j] == a[i]) {
        fa[i] = 1;
        fb[j] = 1;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  std::size_t transposed = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < na; ++i) {
    if (fa[i] == 0) continue;
    while (fb[k] == 0)
      ++k;
    if (a[i] != b[k]) ++transposed;
    ++k;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(transposed / 2);
  return (m / static_cast<double>(na) + m / static_cast<double>(nb) + (m - t) / m) / 3.0;
}

// ------------------------------------------------------------------------------------------------
// Bigrams

/// Scratch for the grams of one string: on the stack up to gram_stack_count.
class gram_buffer {
 public:
  std::uint64_t* get(std::size_t n) {
    if (n <= stack_.size()) return stack_.data();
    heap_.resize(n);
    return heap_.data();
  }

 private:
  std::array<std::uint64_t, gram_stack_count> stack_;
  std::vector<std::uint64_t> heap_;
};

inline std::size_t gram_count(std::size_t length, bool unigrams) noexcept {
  return unigrams ? length : length - 1;
}

/// Writes the sorted grams of `s` (bigrams as (first << 32) | second, or single code points) to
/// `out`, which holds gram_count(|s|, unigrams) values.
void make_grams(std::u32string_view s, bool unigrams, std::uint64_t* out) noexcept {
  const std::size_t n = gram_count(s.size(), unigrams);
  if (unigrams) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = s[i];
  } else {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = (static_cast<std::uint64_t>(s[i]) << 32) | static_cast<std::uint64_t>(s[i + 1]);
  }
  std::sort(out, out + n);
}

/// Size of the multiset intersection of two sorted ranges.
std::size_t common_count(const std::uint64_t* a, std::size_t na, const std::uint64_t* b,
                         std::size_t nb) noexcept {
  std::size_t i = 0;
  std::size_t j = 0;
  std::size_t common = 0;
  while (i < na && j < nb) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  return common;
}

struct overlap {
  std::size_t common = 0;
  std::size_t size_a = 0;
  std::size_t size_b = 0;
};

double dice_of(const overlap& o) noexcept {
  return 2.0 * static_cast<double>(o.common) / static_cast<double>(o.size_a + o.size_b);
}

double jaccard_of(const overlap& o) noexcept {
  return static_cast<double>(o.common) / static_cast<double>(o.size_a + o.size_b - o.common);
}

/// Gram overlap of two non-empty strings.
overlap gram_overlap(std::u32string_view a, std::u32string_view b) noexcept {
  const bool unigrams = std::min(a.size(), b.size()) < 2;
  overlap o;
  o.size_a = gram_count(a.size(), unigrams);
  o.size_b = gram_count(b.size(), unigrams);
  gram_buffer buffer_a;
  gram_buffer buffer_b;
  std::uint64_t* ga = buffer_a.get(o.size_a);
  std::uint64_t* gb = buffer_b.get(o.size_b);
  make_grams(a, unigrams, ga);
  make_grams(b, unigrams, gb);
  o.common = common_count(ga, o.size_a, gb, o.size_b);
  return o;
}

// ------------------------------------------------------------------------------------------------
// Tokens

constexpr bool is_ascii_alnum(char32_t c) noexcept {
  return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}

/// Token separators: ASCII other than letters and digits; Unicode spaces and punctuation.
constexpr bool is_separator(char32_t c) noexcept {
  if (c < 0x80) return !is_ascii_alnum(c);
  return c == 0x00A0 || c == 0x1680 || c == 0xFEFF ||
         (c >= 0x2000 && c <= 0x206F) ||  // general punctuation, spaces
         (c >= 0x3000 && c <= 0x3003) ||  // ideographic space, 、。〃
         (c >= 0x3008 && c <= 0x3011) ||  // 〈〉《》「」『』【】
         (c >= 0x3014 && c <= 0x301F) ||  // 〔〕〖〗〘〙〚〛〜〝〞〟
         c == 0x30FB ||                   // ・
         (c >= 0xFF01 && c <= 0xFF0F) ||  // full-width ！＂＃＄％＆＇（）＊＋，－．／
         (c >= 0xFF1A && c <= 0xFF20) ||  // ：；＜＝＞？＠
         (c >= 0xFF3B && c <= 0xFF40) ||  // ［＼］＾＿｀
         (c >= 0xFF5B && c <= 0xFF65);    // ｛｜｝～ and half-width CJK punctuation
}

/// Sorted, distinct, ASCII-lower-cased tokens.
std::vector<std::u32string> token_set(std::u32string_view s) {
  std::vector<std::u32string> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_separator(s[i]))
      ++i;
    if (i == s.size()) break;
    std::u32string token;
    while (i < s.size() && !is_separator(s[i])) {
      char32_t c = s[i++];
      if (c >= U'A' && c <= U'Z') c = c - U'A' + U'a';
      token.push_back(c);
    }
    tokens.push_back(std::move(token));
  }
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

void append_joined(std::u32string& out, const std::vector<std::u32string>& tokens) {
  for (const auto& t : tokens) {
    if (!out.empty()) out.push_back(U' ');
    out += t;
  }
}

}  // namespace

std::u32string to_code_points(std::string_view utf8) {
  return detail::to_u32(utf8);
}

std::size_t levenshtein_distance(std::u32string_view a, std::u32string_view b) noexcept {
  return distance_impl<false>(a, b, 0);
}

std::size_t levenshtein_distance_bounded(std::u32string_view a, std::u32string_view b,
                                         std::size_t max) noexcept {
  const std::size_t shorter = std::min(a.size(), b.size());
  const std::size_t longer = std::max(a.size(), b.size());
  if (longer - shorter > max) return max + 1;
  if (max >= longer) return distance_impl<false>(a, b, 0);  // the distance is at most |longer|
  return std::min(distance_impl<true>(a, b, max), max + 1);
}

double levenshtein_ratio(std::u32string_view a, std::u32string_view b) noexcept {
  return ratio_of(levenshtein_distance(a, b), a.size(), b.size());
}

double jaro_winkler(std::u32string_view a, std::u32string_view b, double prefix_scale) noexcept {
  if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
  double jaro = 0.0;
  if (a.size() <= jaro_stack_length && b.size() <= jaro_stack_length) {
    std::array<unsigned char, jaro_stack_length> fa;
    std::array<unsigned char, jaro_stack_length> fb;
    jaro = jaro_core(a, b, fa.data(), fb.data());
  } else {
    std::vector<unsigned char> flags(a.size() + b.size());
    jaro = jaro_core(a, b, flags.data(), flags.data() + a.size());
  }
  if (!(jaro > 0.7)) return jaro;
  const double scale = prefix_scale > 0.0 ? std::min(prefix_scale, 0.25) : 0.0;
  const std::size_t limit = std::min({a.size(), b.size(), std::size_t{4}});
  std::size_t prefix = 0;
  while (prefix < limit && a[prefix] == b[prefix])
    ++prefix;
  return std::min(1.0, jaro + static_cast<double>(prefix) * scale * (1.0 - jaro));
}

double bigram_dice(std::u32string_view a, std::u32string_view b) noexcept {
  if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
  return dice_of(gram_overlap(a, b));
}

double bigram_jaccard(std::u32string_view a, std::u32string_view b) noexcept {
  if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
  return jaccard_of(gram_overlap(a, b));
}

double token_set_ratio(std::u32string_view a, std::u32string_view b) {
  const auto ta = token_set(a);
  const auto tb = token_set(b);
  if (ta.empty() || tb.empty()) return ta.empty() && tb.empty() ? 1.0 : 0.0;
  std::vector<std::u32string> common;
  std::vector<std::u32string> only_a;
  std::vector<std::u32string> only_b;
  std::set_intersection(ta.begin(), ta.end(), tb.begin(), tb.end(), std::back_inserter(common));
  std::set_difference(ta.begin(), ta.end(), tb.begin(), tb.end(), std::back_inserter(only_a));
  std::set_difference(tb.begin(), tb.end(), ta.begin(), ta.end(), std::back_inserter(only_b));
  // One token set inside the other: the intersection equals one side's combination.
  if (!common.empty() && (only_a.empty() || only_b.empty())) return 1.0;
  std::u32string sect;
  append_joined(sect, common);
  std::u32string with_a = sect;
  append_joined(with_a, only_a);
  std::u32string with_b = sect;
  append_joined(with_b, only_b);
  return std::max({levenshtein_ratio(sect, with_a), levenshtein_ratio(sect, with_b),
                   levenshtein_ratio(with_a, with_b)});
}

// ------------------------------------------------------------------------------------------------
// levenshtein_query

levenshtein_query::levenshtein_query(std::u32string_view pattern) : pattern_(pattern) {
  const std::size_t m = pattern.size();
  words_ = std::max<std::size_t>(1, (m + word_bits - 1) / word_bits);
  ascii_.assign(128 * words_, 0);
  const auto non_ascii = static_cast<std::size_t>(
      std::count_if(pattern.begin(), pattern.end(), [](char32_t c) { return c >= 128; }));
  const unsigned bits = table_bits(non_ascii);
  shift_ = 32 - bits;
  keys_.assign(std::size_t{1} << bits, 0);
  masks_.assign(keys_.size() * words_, 0);
  const std::size_t slot_mask = keys_.size() - 1;
  for (std::size_t i = 0; i < m; ++i) {
    const char32_t c = pattern[i];
    std::uint64_t* row = nullptr;
    if (c < 128) {
      row = ascii_.data() + static_cast<std::size_t>(c) * words_;
    } else {
      std::size_t slot = hash_slot(c, shift_);
      while (keys_[slot] != 0 && keys_[slot] != c)
        slot = (slot + 1) & slot_mask;
      keys_[slot] = c;
      row = masks_.data() + slot * words_;
    }
    row[i / word_bits] |= std::uint64_t{1} << (i % word_bits);
  }
}

template <bool Bounded>
std::size_t levenshtein_query::distance_(std::u32string_view text, std::size_t max) const noexcept {
  const std::size_t m = pattern_.size();
  const std::size_t n = text.size();
  if (m == 0) return n;
  if (n == 0) return m;
  const query_masks peq{ascii_.data(), keys_.data(),     masks_.data(),
                        words_,        keys_.size() - 1, shift_};
  if (m <= word_bits) return myers_single<Bounded>(peq, m, text, max);
  if (n <= word_bits) {  // the text is the shorter: it makes the cheaper pattern
    return Bounded ? levenshtein_distance_bounded(text, pattern_, max)
                   : levenshtein_distance(text, pattern_);
  }
  if (words_ <= stack_words) {
    std::array<std::uint64_t, stack_words> vp;
    std::array<std::uint64_t, stack_words> vn;
    return myers_blocks<Bounded>(peq, m, text, vp.data(), vn.data(), max);
  }
  std::vector<std::uint64_t> state(2 * words_);
  return myers_blocks<Bounded>(peq, m, text, state.data(), state.data() + words_, max);
}

std::size_t levenshtein_query::distance(std::u32string_view text) const noexcept {
  return distance_<false>(text, 0);
}

std::size_t levenshtein_query::distance_bounded(std::u32string_view text,
                                                std::size_t max) const noexcept {
  const std::size_t shorter = std::min(pattern_.size(), text.size());
  const std::size_t longer = std::max(pattern_.size(), text.size());
  if (longer - shorter > max) return max + 1;
  if (max >= longer) return distance_<false>(text, 0);
  return std::min(distance_<true>(text, max), max + 1);
}

double levenshtein_query::ratio(std::u32string_view text) const noexcept {
  return ratio_of(distance(text), pattern_.size(), text.size());
}

// ------------------------------------------------------------------------------------------------
// bigram_query

bigram_query::bigram_query(std::u32string_view query) : size_(query.size()) {
  if (size_ >= 2) {
    bigrams_.resize(size_ - 1);
    make_grams(query, false, bigrams_.data());
  }
  unigrams_.resize(size_);
  make_grams(query, true, unigrams_.data());
}

namespace {

overlap query_overlap(std::size_t size, const std::vector<std::uint64_t>& bigrams,
                      const std::vector<std::uint64_t>& unigrams,
                      std::u32string_view text) noexcept {
  const bool use_unigrams = std::min(size, text.size()) < 2;
  const auto& mine = use_unigrams ? unigrams : bigrams;
  overlap o;
  o.size_a = mine.size();
  o.size_b = gram_count(text.size(), use_unigrams);
  gram_buffer buffer;
  std::uint64_t* grams = buffer.get(o.size_b);
  make_grams(text, use_unigrams, grams);
  o.common = common_count(mine.data(), o.size_a, grams, o.size_b);
  return o;
}

}  // namespace

double bigram_query::dice(std::u32string_view text) const noexcept {
  if (size_ == 0 || text.empty()) return size_ == 0 && text.empty() ? 1.0 : 0.0;
  return dice_of(query_overlap(size_, bigrams_, unigrams_, text));
}

double bigram_query::jaccard(std::u32string_view text) const noexcept {
  if (size_ == 0 || text.empty()) return size_ == 0 && text.empty() ? 1.0 : 0.0;
  return jaccard_of(query_overlap(size_, bigrams_, unigrams_, text));
}

}  // namespace crmrules::dedup
