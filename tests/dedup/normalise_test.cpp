// The strong-key normalisers: phone numbers as people type them, e-mail addresses, and unified
// social credit codes with their check character.
#include "crmrules/dedup/normalise.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace crmrules;

TEST_CASE("one mobile number typed three ways is one E.164 number", "[dedup][phone]") {
  for (const char* typed : {"+86-138 0013 8000", "13800138000", "0086 138-0013-8000",
                            "+86 (138) 0013-8000", "１３８００１３８０００"}) {
    INFO(typed);
    const auto p = dedup::normalise_phone(typed);
    REQUIRE(p);
    CHECK(p->e164 == "+8613800138000");
    CHECK(p->valid);
    CHECK(p->kind == dedup::phone_kind::mobile);
    CHECK(p->region == "CN");
  }
}

TEST_CASE("fixed lines, toll-free and foreign numbers are told apart", "[dedup][phone]") {
  auto shanghai = dedup::normalise_phone("(021) 6288 0000");
  REQUIRE(shanghai);
  CHECK(shanghai->e164 == "+862162880000");
  CHECK(shanghai->kind == dedup::phone_kind::fixed_line);
  auto free_call = dedup::normalise_phone("800-820-8888");  // 800: free for the caller
  REQUIRE(free_call);
  CHECK(free_call->kind == dedup::phone_kind::toll_free);
  auto hotline = dedup::normalise_phone("400-810-8888");  // 400: shared cost, "other"
  REQUIRE(hotline);
  CHECK(hotline->kind == dedup::phone_kind::other);
  CHECK(hotline->e164 == "+864008108888");
  auto us = dedup::normalise_phone("+1 650-253-0000");
  REQUIRE(us);
  CHECK(us->e164 == "+16502530000");
  CHECK(us->region == "US");
  auto us_local = dedup::normalise_phone("650-253-0000", "US");
  REQUIRE(us_local);
  CHECK(us_local->e164 == "+16502530000");
}

TEST_CASE("text that is not a phone number is refused; an unassigned one is marked invalid",
          "[dedup][phone]") {
  CHECK(dedup::normalise_phone("").error().code() == status_code::invalid_argument);
  CHECK(dedup::normalise_phone("call me").error().code() == status_code::invalid_argument);
  CHECK(dedup::normalise_phone("\xff\xfe").error().code() == status_code::invalid_argument);
  const auto short_one = dedup::normalise_phone("1380013");
  if (short_one) CHECK_FALSE(short_one->valid);
  const auto unassigned = dedup::normalise_phone("+86 100 0000 0000");
  if (unassigned) CHECK_FALSE(unassigned->valid);
}

TEST_CASE("e-mail addresses are trimmed, lower-cased, split, and test ones flagged",
          "[dedup][email]") {
  auto e = dedup::normalise_email("  Zhang.Wei@Example-Corp.COM ");
  REQUIRE(e);
  CHECK(e->address == "zhang.wei@example-corp.com");
  CHECK(e->local == "zhang.wei");
  CHECK(e->domain == "example-corp.com");
  CHECK_FALSE(e->test);
  CHECK(dedup::normalise_email("test@corp.cn")->test);
  CHECK(dedup::normalise_email("test123@corp.cn")->test);
  CHECK(dedup::normalise_email("li@example.com")->test);
  CHECK_FALSE(dedup::normalise_email("tester.li@corp.cn")->test);
  CHECK(dedup::normalise_email("ｌｉ＠ｃｏｒｐ．ｃｎ")->address == "li@corp.cn");
  for (const char* bad :
       {"", "li", "@corp.cn", "li@", "li@corp", "li wei@corp.cn", "a@b@corp.cn", "li@.cn"}) {
    INFO(bad);
    CHECK(dedup::normalise_email(bad).error().code() == status_code::invalid_argument);
  }
}

TEST_CASE("a unified social credit code is checked character by character", "[dedup][uscc]") {
  // The check character of a code's first 17 characters (GB 32100-2015).
  const std::string base = "91350100M000100Y4";
  const char check = dedup::uscc_check_character(base);
  REQUIRE(check != '\0');
  const std::string code = base + check;
  const auto ok = dedup::check_uscc(code);
  CHECK(ok.valid());
  CHECK(ok.problem.empty());
  // Lower case, spaces, hyphens and full-width are folded.
  CHECK(dedup::check_uscc("91350100m000100y4" + std::string(1, check)).valid());
  CHECK(dedup::check_uscc("9135 0100-M000 100Y4" + std::string(1, check)).code == code);
  // Any other last character fails the check, and says what it should be.
  const char wrong = check == '0' ? '1' : '0';
  const auto bad = dedup::check_uscc(base + wrong);
  CHECK(bad.well_formed);
  CHECK_FALSE(bad.check_ok);
  CHECK_THAT(bad.problem, Catch::Contains(std::string("give '") + check + "'"));
  // Malformed codes.
  CHECK_THAT(dedup::check_uscc("91350100M000100Y").problem, Catch::Contains("18 characters"));
  CHECK_THAT(dedup::check_uscc("91350100M000100I43").problem, Catch::Contains("alphabet"));
  CHECK_THAT(dedup::check_uscc("9135A100M000100Y43").problem, Catch::Contains("division code"));
  CHECK(dedup::uscc_check_character("short") == '\0');
}

TEST_CASE("the check character agrees with a hand computation", "[dedup][uscc]") {
  // 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4 with weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30
  // 28 and values M = 21, Y = 30: the sum is 9 + 3 + 27 + 135 + 0 + 26 + 0 + 0 + 420 + 0 + 0 +
  // 0 + 8 + 0 + 0 + 900 + 112 = 1640; 1640 mod 31 = 28; 31 - 28 = 3.
  CHECK(dedup::uscc_check_character("91350100M000100Y4") == '3');
  CHECK(dedup::check_uscc("91350100M000100Y43").valid());
}

TEST_CASE("an extension after a landline is kept apart from the number", "[dedup][phone]") {
  for (const char* text : {"021-62880000-8001", "021-62880000转8001", "(021) 6288 0000-8001"}) {
    INFO(text);
    auto p = crmrules::dedup::normalise_phone(text);
    REQUIRE(p);
    CHECK(p->valid);
    CHECK(p->e164 == "+862162880000");
    CHECK(p->extension == "8001");
  }
  // A mobile number with a dash and digits is not an extension case: it stays invalid.
  auto bad = crmrules::dedup::normalise_phone("138-0013-8000-12");
  REQUIRE(bad);
  CHECK_FALSE(bad->valid);
  CHECK(bad->extension.empty());
}
