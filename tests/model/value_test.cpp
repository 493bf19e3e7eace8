#include "crmrules/model/value.hpp"

#include <catch2/catch.hpp>

#include "crmrules/model/attributes.hpp"

using crmrules::value;
using crmrules::value_type;

TEST_CASE("a value knows its type and a string literal is never a bool", "[model][value]") {
  CHECK(value{}.type() == value_type::null);
  CHECK(value(true).type() == value_type::boolean);
  CHECK(value(3).type() == value_type::integer);
  CHECK(value(0.8).type() == value_type::decimal);
  CHECK(value(crmrules::money::from_major(5)).type() == value_type::money);
  CHECK(value("官网表单").type() == value_type::string);
  CHECK(value(std::chrono::hours(2)).type() == value_type::interval);
  CHECK(value(value::string_list{"华东", "华南"}).type() == value_type::string_list);
  CHECK(*value("x").get_if<std::string>() == "x");
  CHECK(value(1) != value(1.0));
}

TEST_CASE("value types round trip through their names", "[model][value]") {
  for (auto name : crmrules::value_type_names()) {
    auto t = crmrules::parse_value_type(name);
    REQUIRE(t);
    CHECK(crmrules::to_string(*t) == name);
  }
  CHECK(crmrules::to_string(value_type::interval) == "duration");
  CHECK_FALSE(crmrules::parse_value_type("int"));
}

TEST_CASE("coerce widens integers to decimals and narrows whole decimals only", "[model][value]") {
  value v(3);
  CHECK(crmrules::coerce(v, value_type::decimal, "score").ok());
  CHECK(v == value(3.0));
  value w(4.0);
  CHECK(crmrules::coerce(w, value_type::integer, "n").ok());
  CHECK(w == value(4));
  value x(4.5);
  auto s = crmrules::coerce(x, value_type::integer, "n");
  CHECK(s.is_invalid_argument());
  CHECK_THAT(s.message(), Catch::Contains("'n' is integer, got decimal 4.5"));
  value blank;
  CHECK(crmrules::coerce(blank, value_type::money, "budget").ok());
  value text("x");
  CHECK_FALSE(crmrules::coerce(text, value_type::boolean, "b").ok());
}

TEST_CASE("values print readably", "[model][value]") {
  CHECK(value{}.to_string() == "null");
  CHECK(value(0.95).to_string() == "0.95");
  CHECK(value(crmrules::money::from_major(500000)).to_string() == "500000.00");
  CHECK(value(value::string_list{"a", "b"}).to_string() == "[a, b]");
}

TEST_CASE("attributes keep one value per name, sorted, and null is a value",
          "[model][attributes]") {
  crmrules::attributes a;
  a.set("课程偏好", "Python");
  a.set("b", 1);
  a.set("a", value{});
  a.set("b", 2);
  REQUIRE(a.size() == 3);
  CHECK(*a.find("b") == value(2));
  CHECK(a.find("a")->is_null());
  CHECK(a.find("missing") == nullptr);
  std::vector<std::string> names;
  for (const auto& [k, v] : a)
    names.push_back(k);
  CHECK(names == std::vector<std::string>{"a", "b", "课程偏好"});
  CHECK(a.erase("a"));
  CHECK_FALSE(a.erase("a"));
  CHECK(a == crmrules::attributes{{"课程偏好", "Python"}, {"b", 2}});
}

TEST_CASE("every integer type makes an integer value", "[model][value]") {
  const std::vector<int> v{1, 2, 3};
  CHECK(value(v.size()) == value(3));
  CHECK(value(5LL) == value(5));
  CHECK(value(5u) == value(5));
  CHECK(value(static_cast<short>(-2)) == value(-2));
  CHECK(*value(UINT64_MAX).get_if<std::int64_t>() == INT64_MAX);
  crmrules::attributes a;
  a.set("n", v.size());
  CHECK(a.find("n")->type() == value_type::integer);
}

TEST_CASE("an integer too large for a double is not silently rounded into a decimal",
          "[model][value]") {
  value ok(std::int64_t{1} << 53);
  CHECK(crmrules::coerce(ok, value_type::decimal, "n").ok());
  value big((std::int64_t{1} << 53) + 1);
  CHECK(crmrules::coerce(big, value_type::decimal, "n").is_invalid_argument());
  CHECK(big == value((std::int64_t{1} << 53) + 1));
}
