// The string-similarity kernels of the dedup engine: Levenshtein (bit-parallel, checked against
// the textbook DP), Jaro-Winkler, bigram Dice/Jaccard, token-set ratio, and the cached query
// forms, on Latin and CJK text.
#include "crmrules/dedup/similarity.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

using namespace crmrules;

namespace {

/// The textbook O(nm) dynamic programme.
std::size_t reference_distance(std::u32string_view a, std::u32string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// Textbook Jaro-Winkler (boost threshold 0.7, prefix up to 4).
double reference_jaro_winkler(std::u32string_view a, std::u32string_view b, double p = 0.1) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const std::size_t half = std::max(a.size(), b.size()) / 2;
  const std::size_t window = half == 0 ? 0 : half - 1;
  std::vector<bool> ma(a.size()), mb(b.size());
  std::size_t m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = (i > window ? i - window : 0); j < std::min(b.size(), i + window + 1);
         ++j) {
      if (!mb[j] && a[i] == b[j]) {
        ma[i] = mb[j] = true;
        ++m;
        break;
      }
    }
  }
  if (m == 0) return 0.0;
  std::u32string sa, sb;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ma[i]) sa.push_back(a[i]);
  for (std::size_t j = 0; j < b.size(); ++j)
    if (mb[j]) sb.push_back(b[j]);
  std::size_t t = 0;
  for (std::size_t k = 0; k < sa.size(); ++k)
    if (sa[k] != sb[k]) ++t;
  const double md = static_cast<double>(m);
  const double jaro = (md / static_cast<double>(a.size()) + md / static_cast<double>(b.size()) +
                       (md - static_cast<double>(t / 2)) / md) /
                      3.0;
  if (jaro <= 0.7) return jaro;
  std::size_t l = 0;
  while (l < 4 && l < a.size() && l < b.size() && a[l] == b[l])
    ++l;
  return jaro + static_cast<double>(l) * p * (1.0 - jaro);
}

/// Random strings over a small alphabet mixing ASCII, CJK (BMP and a supplementary-plane
/// ideograph) and U+FFFD, so that equal code points are frequent.
class random_strings {
 public:
  explicit random_strings(std::uint32_t seed) : rng_(seed) {}

  std::u32string make(std::size_t max_length) {
    std::uniform_int_distribution<std::size_t> length(0, max_length);
    return make_exact(length(rng_));
  }

  std::u32string make_exact(std::size_t length) {
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::u32string s;
    for (std::size_t i = 0; i < length; ++i)
      s.push_back(alphabet[pick(rng_)]);
    return s;
  }

  /// `s` with a few random insertions, deletions and substitutions.
  std::u32string mutate(std::u32string s) {
    std::uniform_int_distribution<int> edits(0, 6);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (int e = edits(rng_); e > 0; --e) {
      std::uniform_int_distribution<std::size_t> at(0, s.size());
      const std::size_t i = at(rng_);
      switch (e % 3) {
        case 0:
          s.insert(s.begin() + static_cast<std::ptrdiff_t>(i), alphabet[pick(rng_)]);
          break;
        case 1:
          if (i < s.size()) s.erase(i, 1);
          break;
        default:
          if (i < s.size()) s[i] = alphabet[pick(rng_)];
      }
    }
    return s;
  }

  bool coin() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }

  std::size_t number(std::size_t max) {
    return std::uniform_int_distribution<std::size_t>(0, max)(rng_);
  }

 private:
  static inline const std::u32string alphabet = U"abcA 中国石化瑞金\U00020000\uFFFD";
  std::mt19937 rng_;
};

}  // namespace

TEST_CASE("levenshtein distance of known pairs, Latin and CJK", "[dedup][similarity]") {
  CHECK(dedup::levenshtein_distance(U"kitten", U"sitting") == 3);
  CHECK(dedup::levenshtein_distance(U"flaw", U"lawn") == 2);
  CHECK(dedup::levenshtein_distance(U"瑞金医院", U"瑞金医院有限公司") == 4);
  CHECK(dedup::levenshtein_distance(U"中国石化", U"中国石油化工") == 2);
  CHECK(dedup::levenshtein_distance(U"北京", U"南京") == 1);
  CHECK(dedup::levenshtein_distance(U"上海浦东发展银行", U"浦发银行") == 4);
  CHECK(dedup::levenshtein_distance(U"same", U"same") == 0);
}

TEST_CASE("levenshtein distance of empty strings is the other string's length",
          "[dedup][similarity]") {
  CHECK(dedup::levenshtein_distance(U"", U"") == 0);
  CHECK(dedup::levenshtein_distance(U"", U"abc") == 3);
  CHECK(dedup::levenshtein_distance(U"瑞金医院", U"") == 4);
  CHECK(dedup::levenshtein_ratio(U"", U"") == 1.0);
  CHECK(dedup::levenshtein_ratio(U"", U"abc") == 0.0);
  CHECK(dedup::levenshtein_ratio(U"abc", U"") == 0.0);
}

TEST_CASE("levenshtein ratio is one minus distance over the longer length", "[dedup][similarity]") {
  CHECK(dedup::levenshtein_ratio(U"中国石化", U"中国石油化工") == Approx(1.0 - 2.0 / 6.0));
  CHECK(dedup::levenshtein_ratio(U"kitten", U"sitting") == Approx(1.0 - 3.0 / 7.0));
  CHECK(dedup::levenshtein_ratio(U"瑞金医院", U"瑞金医院") == 1.0);
  CHECK(dedup::levenshtein_ratio(U"abc", U"xyz") == 0.0);
}

TEST_CASE("bit-parallel levenshtein agrees with the textbook DP on random strings up to 150",
          "[dedup][similarity]") {
  random_strings gen(20261122);
  for (int round = 0; round < 3000; ++round) {
    const std::u32string a = gen.make(150);
    // Half the pairs are near-duplicates: small distances on long strings.
    const std::u32string b = gen.coin() ? gen.mutate(a) : gen.make(150);
    const std::size_t expected = reference_distance(a, b);
    INFO("round " << round << ", |a| = " << a.size() << ", |b| = " << b.size());
    REQUIRE(dedup::levenshtein_distance(a, b) == expected);
    REQUIRE(dedup::levenshtein_distance(b, a) == expected);  // symmetric
    const std::size_t max = gen.number(40);
    REQUIRE(dedup::levenshtein_distance_bounded(a, b, max) == std::min(expected, max + 1));
  }
}

TEST_CASE("levenshtein agrees with the DP on strings of thousands of code points",
          "[dedup][similarity]") {
  random_strings gen(7);
  for (const std::size_t length : {65, 127, 128, 129, 1023, 1100, 2000}) {
    const std::u32string a = gen.make_exact(length);
    const std::u32string b = gen.coin() ? gen.mutate(a) : gen.make_exact(length + 3);
    const std::u32string c = gen.make_exact(length / 2);
    INFO("length " << length);
    CHECK(dedup::levenshtein_distance(a, b) == reference_distance(a, b));
    CHECK(dedup::levenshtein_distance(a, c) == reference_distance(a, c));
    const dedup::levenshtein_query q(a);
    CHECK(q.distance(b) == reference_distance(a, b));
    CHECK(q.distance(c) == reference_distance(a, c));
    CHECK(q.distance(U"中国") == reference_distance(a, U"中国"));
  }
}

TEST_CASE("levenshtein distance satisfies the triangle inequality", "[dedup][similarity]") {
  random_strings gen(99);
  for (int round = 0; round < 1000; ++round) {
    const std::u32string a = gen.make(150);
    const std::u32string b = gen.coin() ? gen.mutate(a) : gen.make(150);
    const std::u32string c = gen.coin() ? gen.mutate(b) : gen.make(150);
    const std::size_t ab = dedup::levenshtein_distance(a, b);
    const std::size_t bc = dedup::levenshtein_distance(b, c);
    const std::size_t ac = dedup::levenshtein_distance(a, c);
    INFO("round " << round);
    REQUIRE(ac <= ab + bc);
    REQUIRE(ab <= ac + bc);
    REQUIRE(bc <= ab + ac);
  }
}

TEST_CASE("bounded levenshtein gives max + 1 once the distance exceeds max",
          "[dedup][similarity]") {
  CHECK(dedup::levenshtein_distance_bounded(U"kitten", U"sitting", 3) == 3);
  CHECK(dedup::levenshtein_distance_bounded(U"kitten", U"sitting", 2) == 3);
  CHECK(dedup::levenshtein_distance_bounded(U"kitten", U"sitting", 0) == 1);
  CHECK(dedup::levenshtein_distance_bounded(U"a", U"abcdefgh", 2) == 3);  // lengths alone
  CHECK(dedup::levenshtein_distance_bounded(U"瑞金医院", U"瑞金医院有限公司", 10) == 4);
  CHECK(dedup::levenshtein_distance_bounded(U"", U"", 0) == 0);
}

TEST_CASE("jaro-winkler of the classic pairs", "[dedup][similarity]") {
  CHECK(dedup::jaro_winkler(U"MARTHA", U"MARHTA") == Approx(0.9611).margin(1e-4));
  CHECK(dedup::jaro_winkler(U"DWAYNE", U"DUANE") == Approx(0.84).margin(1e-4));
  CHECK(dedup::jaro_winkler(U"DIXON", U"DICKSONX") == Approx(0.8133).margin(1e-4));
  // Plain Jaro when the prefix scale is 0.
  CHECK(dedup::jaro_winkler(U"MARTHA", U"MARHTA", 0.0) == Approx(0.9444).margin(1e-4));
  CHECK(dedup::jaro_winkler(U"DIXON", U"DICKSONX", 0.0) == Approx(0.7667).margin(1e-4));
}

TEST_CASE("jaro-winkler of equal, empty and disjoint strings", "[dedup][similarity]") {
  CHECK(dedup::jaro_winkler(U"", U"") == 1.0);
  CHECK(dedup::jaro_winkler(U"", U"a") == 0.0);
  CHECK(dedup::jaro_winkler(U"a", U"") == 0.0);
  CHECK(dedup::jaro_winkler(U"瑞金医院", U"瑞金医院") == 1.0);
  CHECK(dedup::jaro_winkler(U"a", U"a") == 1.0);
  CHECK(dedup::jaro_winkler(U"abc", U"xyz") == 0.0);
  CHECK(dedup::jaro_winkler(U"北京", U"南京") == Approx(2.0 / 3.0));  // jaro 0.667: no boost
}

TEST_CASE("jaro-winkler gives the prefix bonus only above 0.7 and at most 4 code points",
          "[dedup][similarity]") {
  // Jaro of 中国石化 / 中国石油化工 is (4/4 + 4/6 + 1) / 3 = 0.8889; the common prefix 中国石 is 3.
  const double jaro = (1.0 + 4.0 / 6.0 + 1.0) / 3.0;
  CHECK(dedup::jaro_winkler(U"中国石化", U"中国石油化工", 0.0) == Approx(jaro));
  CHECK(dedup::jaro_winkler(U"中国石化", U"中国石油化工") == Approx(jaro + 0.3 * (1 - jaro)));
  // A long common prefix counts as 4; an over-large scale is clamped to 0.25.
  CHECK(dedup::jaro_winkler(U"abcdefgh", U"abcdefgX", 0.1) ==
        Approx(dedup::jaro_winkler(U"abcdefgh", U"abcdefgX", 0.0) * 0.6 + 0.4));
  CHECK(dedup::jaro_winkler(U"abcdefgh", U"abcdefgX", 1.0) <= 1.0);
  CHECK(dedup::jaro_winkler(U"abcdefgh", U"abcdefgX", 1.0) ==
        Approx(dedup::jaro_winkler(U"abcdefgh", U"abcdefgX", 0.25)));
}

TEST_CASE("jaro-winkler matches a textbook implementation, short and long (heap) strings",
          "[dedup][similarity]") {
  random_strings gen(31);
  for (int round = 0; round < 2000; ++round) {
    const std::size_t max_length = round % 10 == 0 ? 400 : 30;
    const std::u32string a = gen.make(max_length);
    const std::u32string b = gen.coin() ? gen.mutate(a) : gen.make(max_length);
    const double jw = dedup::jaro_winkler(a, b);
    INFO("round " << round << ", |a| = " << a.size() << ", |b| = " << b.size());
    REQUIRE(jw == Approx(reference_jaro_winkler(a, b)).margin(1e-12));
    REQUIRE(jw >= 0.0);
    REQUIRE(jw <= 1.0);
  }
}

TEST_CASE("bigram dice and jaccard of known pairs", "[dedup][similarity]") {
  CHECK(dedup::bigram_dice(U"night", U"nacht") == Approx(0.25));
  // 瑞金 金医 医院 against those three and 院有 有限 限公 公司: 2·3 / (3 + 7).
  CHECK(dedup::bigram_dice(U"瑞金医院", U"瑞金医院有限公司") == Approx(0.6));
  // 中国 国石 石化 against 中国 国石 石油 油化 化工: 2·2 / (3 + 5).
  CHECK(dedup::bigram_dice(U"中国石化", U"中国石油化工") == Approx(0.5));
  CHECK(dedup::bigram_jaccard(U"中国石化", U"中国石油化工") == Approx(2.0 / 6.0));
  CHECK(dedup::bigram_jaccard(U"瑞金医院", U"瑞金医院有限公司") == Approx(3.0 / 7.0));
  CHECK(dedup::bigram_dice(U"瑞金医院", U"瑞金医院") == 1.0);
  CHECK(dedup::bigram_jaccard(U"瑞金医院", U"瑞金医院") == 1.0);
  CHECK(dedup::bigram_dice(U"ab", U"cd") == 0.0);
}

TEST_CASE("bigrams count as multisets", "[dedup][similarity]") {
  // aa aa aa against aa: one in common.
  CHECK(dedup::bigram_dice(U"aaaa", U"aa") == Approx(2.0 / 4.0));
  CHECK(dedup::bigram_jaccard(U"aaaa", U"aa") == Approx(1.0 / 3.0));
  CHECK(dedup::bigram_dice(U"abab", U"baba") == Approx(2.0 * 2.0 / 6.0));  // ab ba ab / ba ab ba
}

TEST_CASE("a single code point is compared as unigrams, empty strings by convention",
          "[dedup][similarity]") {
  CHECK(dedup::bigram_dice(U"中", U"中") == 1.0);
  CHECK(dedup::bigram_dice(U"中", U"国") == 0.0);
  CHECK(dedup::bigram_dice(U"中", U"中国") == Approx(2.0 / 3.0));
  CHECK(dedup::bigram_dice(U"中国", U"中") == Approx(2.0 / 3.0));
  CHECK(dedup::bigram_jaccard(U"中", U"中国") == Approx(0.5));
  CHECK(dedup::bigram_dice(U"", U"") == 1.0);
  CHECK(dedup::bigram_dice(U"", U"中") == 0.0);
  CHECK(dedup::bigram_jaccard(U"", U"") == 1.0);
  CHECK(dedup::bigram_jaccard(U"中国", U"") == 0.0);
}

TEST_CASE("token-set ratio ignores order, case, punctuation and repeats", "[dedup][similarity]") {
  CHECK(dedup::token_set_ratio(U"Acme Inc", U"inc acme") == 1.0);
  CHECK(dedup::token_set_ratio(U"Acme, Inc.", U"ACME INC") == 1.0);
  CHECK(dedup::token_set_ratio(U"acme acme inc", U"Inc. Acme") == 1.0);
  CHECK(dedup::token_set_ratio(U"Acme（China）Ltd", U"acme china ltd") == 1.0);
}

TEST_CASE("token-set ratio is 1 when one token set contains the other", "[dedup][similarity]") {
  CHECK(dedup::token_set_ratio(U"Acme", U"Acme Holdings Inc") == 1.0);
  CHECK(dedup::token_set_ratio(U"Acme Holdings Inc", U"Acme") == 1.0);
}

TEST_CASE("token-set ratio takes the best of the three comparisons", "[dedup][similarity]") {
  // "acme trading" against "acme trading co" (0.8), "acme trading ltd" (0.75), and the two
  // combinations against each other: co -> ltd is 3 edits in 16, 0.8125.
  CHECK(dedup::token_set_ratio(U"Acme Trading Co", U"ACME trading ltd") == Approx(0.8125));
  // Nothing in common: the two token lists compared.
  CHECK(dedup::token_set_ratio(U"foo", U"bar") == 0.0);
  CHECK(dedup::token_set_ratio(U"bar baz", U"baz bat") == Approx(1.0 - 1.0 / 7.0));
}

TEST_CASE("token-set ratio of strings without tokens", "[dedup][similarity]") {
  CHECK(dedup::token_set_ratio(U"", U"") == 1.0);
  CHECK(dedup::token_set_ratio(U" .,- ", U"") == 1.0);
  CHECK(dedup::token_set_ratio(U"...", U"acme") == 0.0);
  CHECK(dedup::token_set_ratio(U"acme", U"") == 0.0);
}

TEST_CASE("levenshtein_query equals the free functions on random inputs", "[dedup][similarity]") {
  random_strings gen(4242);
  for (int round = 0; round < 300; ++round) {
    const std::u32string pattern = gen.make(round % 3 == 0 ? 150 : 20);
    const dedup::levenshtein_query q(pattern);
    REQUIRE(q.size() == pattern.size());
    for (int k = 0; k < 10; ++k) {
      const std::u32string text = gen.coin() ? gen.mutate(pattern) : gen.make(150);
      INFO("round " << round << ", |pattern| = " << pattern.size() << ", |text| = " << text.size());
      REQUIRE(q.distance(text) == dedup::levenshtein_distance(pattern, text));
      REQUIRE(q.ratio(text) == dedup::levenshtein_ratio(pattern, text));
      const std::size_t max = gen.number(30);
      REQUIRE(q.distance_bounded(text, max) ==
              dedup::levenshtein_distance_bounded(pattern, text, max));
    }
  }
}

TEST_CASE("levenshtein_query of an empty pattern", "[dedup][similarity]") {
  const dedup::levenshtein_query q(U"");
  CHECK(q.size() == 0);
  CHECK(q.distance(U"") == 0);
  CHECK(q.distance(U"瑞金") == 2);
  CHECK(q.ratio(U"") == 1.0);
  CHECK(q.ratio(U"瑞金") == 0.0);
}

TEST_CASE("bigram_query equals the free functions on random inputs", "[dedup][similarity]") {
  random_strings gen(777);
  for (int round = 0; round < 300; ++round) {
    const std::u32string query = gen.make(round % 3 == 0 ? 100 : 6);
    const dedup::bigram_query q(query);
    REQUIRE(q.size() == query.size());
    for (int k = 0; k < 10; ++k) {
      const std::u32string text = gen.coin() ? gen.mutate(query) : gen.make(100);
      INFO("round " << round << ", |query| = " << query.size() << ", |text| = " << text.size());
      REQUIRE(q.dice(text) == dedup::bigram_dice(query, text));
      REQUIRE(q.jaccard(text) == dedup::bigram_jaccard(query, text));
      REQUIRE(dedup::bigram_dice(query, text) == dedup::bigram_dice(text, query));
    }
  }
}

TEST_CASE("to_code_points decodes UTF-8 and replaces ill-formed bytes", "[dedup][similarity]") {
  CHECK(dedup::to_code_points("瑞金医院 Ltd") == U"瑞金医院 Ltd");
  CHECK(dedup::to_code_points("") == U"");
  CHECK(dedup::to_code_points("a\xFF"
                              "b") == U"a\uFFFDb");
  CHECK(dedup::levenshtein_distance(dedup::to_code_points("中国石化"),
                                    dedup::to_code_points("中国石油化工")) == 2);
}
