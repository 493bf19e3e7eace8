#include "crmrules/model/money.hpp"

#include <catch2/catch.hpp>

using crmrules::money;

TEST_CASE("money parses plain, grouped and signed amounts into fen", "[model][money]") {
  CHECK(money::parse("1234.56")->minor() == 123456);
  CHECK(money::parse("1,234.5")->minor() == 123450);
  CHECK(money::parse("-12")->minor() == -1200);
  CHECK(money::parse("  ¥800 ")->minor() == 80000);
  CHECK(money::parse("￥0.01")->minor() == 1);
  CHECK(money::parse("CNY 9.90")->minor() == 990);
  CHECK(money::parse("300元")->minor() == 30000);
}

TEST_CASE("money understands the Chinese magnitude suffixes 万 and 亿", "[model][money]") {
  CHECK(money::parse("50万")->minor() == 50'0000'00);
  CHECK(money::parse("1.5亿")->minor() == 1'5000'0000'00);
  CHECK(money::parse("0.0001万")->minor() == 100);
}

TEST_CASE("money refuses amounts finer than one fen or with stray characters", "[model][money]") {
  auto finer = money::parse("0.001");
  REQUIRE_FALSE(finer);
  CHECK(finer.error().is_invalid_argument());
  CHECK_THAT(finer.error().message(), Catch::Contains("one fen"));
  CHECK_FALSE(money::parse(""));
  CHECK_FALSE(money::parse("abc"));
  CHECK_FALSE(money::parse("1.2.3"));
  CHECK_FALSE(money::parse("12x"));
  CHECK(money::parse("1.230")->minor() == 123);  // trailing zeros beyond fen are exact
}

TEST_CASE("money refuses amounts that do not fit 64 bits instead of wrapping", "[model][money]") {
  auto big = money::parse("99999999999999999999");
  REQUIRE_FALSE(big);
  CHECK_THAT(big.error().message(), Catch::Contains("too large"));
  CHECK_FALSE(money::parse("1000000000亿"));  // 10^19 fen
}

TEST_CASE("money prints two decimals, including negatives and the extreme values",
          "[model][money]") {
  CHECK(money::from_minor(123456).to_string() == "1234.56");
  CHECK(money::from_minor(-50).to_string() == "-0.50");
  CHECK(money{}.to_string() == "0.00");
  CHECK(money::from_minor(INT64_MIN).to_string() == "-92233720368547758.08");
  CHECK(money::from_major(500000).to_string() == "500000.00");
}

TEST_CASE("money arithmetic saturates and checked_add reports overflow", "[model][money]") {
  const money max = money::from_minor(INT64_MAX);
  CHECK((max + money::from_minor(1)) == max);
  CHECK((money::from_minor(INT64_MIN) - money::from_minor(1)).minor() == INT64_MIN);
  CHECK_FALSE(checked_add(max, money::from_minor(1)).has_value());
  CHECK(checked_add(money::from_minor(1), money::from_minor(2))->minor() == 3);
  CHECK(money::from_major(INT64_MAX).minor() == INT64_MAX);
  CHECK(money::from_minor(5) < money::from_minor(7));
}

TEST_CASE("the most negative and most positive amounts round trip through text", "[model][money]") {
  for (auto m :
       {money::from_minor(INT64_MIN), money::from_minor(INT64_MAX), money::from_minor(-1)}) {
    INFO(m.to_string());
    CHECK(*money::parse(m.to_string()) == m);
  }
  CHECK_FALSE(money::parse("92233720368547758.08"));  // one past the maximum
}
