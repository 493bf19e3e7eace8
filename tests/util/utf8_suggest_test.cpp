#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "util/suggest.hpp"
#include "util/utf8.hpp"

using namespace crmrules::detail;

TEST_CASE("edit distance counts code points, not bytes, and transpositions as one", "[util]") {
  CHECK(edit_distance(U"线索来源", U"线索来源渠道") == 2);
  CHECK(edit_distance(U"intger", U"integer") == 1);
  CHECK(edit_distance(U"itneger", U"integer") == 1);
  CHECK(edit_distance(U"", U"abc") == 3);
}

TEST_CASE("closest_match suggests plausible typos and prefixes, nothing for strangers", "[util]") {
  const std::vector<std::string_view> names{"线索来源渠道", "客户预算", "integer", "decimal",
                                            "string"};
  CHECK(closest_match("线索来源", names) == "线索来源渠道");
  CHECK(closest_match("intger", names) == "integer");
  CHECK(closest_match("INTEGER", names) == "integer");
  CHECK(closest_match("客户预箅", names) == "客户预算");
  CHECK_FALSE(closest_match("banana", names).has_value());
  CHECK_FALSE(closest_match("", names).has_value());
}

TEST_CASE("display width counts CJK as two columns", "[util]") {
  CHECK(display_columns("ab", 2) == 2);
  CHECK(display_columns("线索a", 3) == 5);
  CHECK(display_columns("线索", 1) == 2);
  CHECK(count_code_points("线索ab") == 4);
  CHECK(first_invalid_utf8("ab\xffz") == 2u);
}

namespace {

/// The reference: one code point at a time, no fast paths.
std::optional<std::size_t> first_invalid_slow(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t start = i;
    if (decode_utf8(s, i) == invalid_code_point) return start;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("first_invalid_utf8 agrees with a code-point-at-a-time check on every 3-byte input",
          "[util]") {
  // Every three-byte string, behind an ASCII run (so the 8-byte stride hands over mid-text)
  // and before an ASCII tail: overlongs (E0 80 80), surrogates (ED A0 80), truncations and
  // stray continuation bytes are all in here.
  std::string s = "abcdefg";
  std::size_t mismatches = 0;
  for (unsigned a = 0x80; a < 0x100; ++a) {
    for (unsigned b = 0; b < 0x100; b += 3) {
      for (unsigned c = 0; c < 0x100; c += 5) {
        s.resize(7);
        s += static_cast<char>(a);
        s += static_cast<char>(b);
        s += static_cast<char>(c);
        s += "xyz";
        if (first_invalid_utf8(s) != first_invalid_slow(s)) ++mismatches;
      }
    }
  }
  CHECK(mismatches == 0);
  CHECK_FALSE(first_invalid_utf8("上海瑞金医院有限公司 and ASCII").has_value());
  CHECK(first_invalid_utf8("上海\xed\xa0\x80") == 6u);     // a surrogate
  CHECK(first_invalid_utf8("上海\xe0\x80\xaf") == 6u);     // an overlong '/'
  CHECK(first_invalid_utf8("12345678上\xe6\xb5") == 11u);  // truncated at the end
}
