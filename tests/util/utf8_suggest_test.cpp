#include <catch2/catch.hpp>
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
