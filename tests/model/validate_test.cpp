#include "crmrules/model/validate.hpp"

#include <catch2/catch.hpp>
#include <limits>

using namespace crmrules;

TEST_CASE("UTF-8 validation rejects overlongs, surrogates, truncation and stray bytes",
          "[model][validate]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("上海瑞金医院 ascii 😀"));
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xE4\xB8"));          // truncated 中
  CHECK_FALSE(is_valid_utf8("\x80"));              // stray continuation
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST_CASE("a record needs an id without control characters", "[model][validate]") {
  lead l;
  CHECK(validate(l).is_invalid_argument());
  l.id = lead_id{"L\n1"};
  CHECK(validate(l).is_invalid_argument());
  l.id = lead_id{"L1"};
  CHECK(validate(l).ok());
}

TEST_CASE("invalid UTF-8 anywhere in a record is refused, naming where", "[model][validate]") {
  lead l;
  l.id = lead_id{"L1"};
  l.company_name = "瑞金\xff";
  auto s = validate(l);
  CHECK(s.is_invalid_argument());
  CHECK_THAT(s.message(), Catch::Contains("company_name"));

  l.company_name = "ok";
  l.tags = {"ok", "\xfe"};
  CHECK(validate(l).is_invalid_argument());
  l.tags.clear();
  l.custom.set("备注", "\xC0\xAF");
  CHECK_THAT(validate(l).message(), Catch::Contains("备注"));
  l.custom = {};
  l.custom.set("\xff", 1);
  CHECK(validate(l).is_invalid_argument());

  opportunity o;
  o.id = opportunity_id{"O1"};
  o.evidence.push_back({"e1", evidence_type::note, "s", "\xff", {}, {}});
  CHECK(validate(o).is_invalid_argument());
}

TEST_CASE("kind-specific invariants are checked", "[model][validate]") {
  rep r;
  r.id = rep_id{"R1"};
  r.open_tasks = -1;
  CHECK_THAT(validate(r).message(), Catch::Contains("open_tasks"));
  r.open_tasks = 0;
  r.daily_cap = -5;
  CHECK(validate(r).is_invalid_argument());
  r.daily_cap.reset();
  r.open_leads = std::numeric_limits<std::int64_t>::max();  // one more lead would overflow
  CHECK_THAT(validate(r).message(), Catch::Contains("open_leads"));
  r.open_leads = 1'000'000'000;
  CHECK(validate(r).ok());
  r.open_leads = 0;
  const auto t = *parse_timestamp("2026-11-20");
  r.leave = {{t, t}};
  CHECK(validate(r).is_invalid_argument());
  r.leave = {{t, t + std::chrono::hours(1)}};
  CHECK(validate(r).ok());

  timer x;
  x.id = timer_id{"T1"};
  CHECK(validate(x).is_invalid_argument());  // no policy
  x.policy = "first_touch";
  CHECK(validate(x).is_invalid_argument());  // no subject
  x.subject = {record_kind::lead, "L1"};
  CHECK(validate(x).ok());

  event e;
  e.id = event_id{"E1"};
  CHECK(validate(e).is_invalid_argument());  // no type
  opportunity o;
  o.id = opportunity_id{"O1"};
  o.lost_reasons = {{"", true, "n"}};
  CHECK(validate(o).is_invalid_argument());
}

TEST_CASE("values a store could not read back are refused: far times, non-finite numbers",
          "[model][validate]") {
  lead l;
  l.id = lead_id{"L1"};
  l.first_touch_at = timestamp::max();
  CHECK_THAT(validate(l).message(), Catch::Contains("first_touch_at is outside years 1..9999"));
  l.first_touch_at = max_timestamp;
  CHECK(validate(l).ok());
  l.created_at = min_timestamp - std::chrono::microseconds(1);
  CHECK(validate(l).is_invalid_argument());
  l.created_at = {};
  l.custom.set("score", std::numeric_limits<double>::quiet_NaN());
  CHECK_THAT(validate(l).message(), Catch::Contains("score is not a finite number"));
  l.custom.set("score", std::numeric_limits<double>::infinity());
  CHECK(validate(l).is_invalid_argument());
  l.custom.set("score", std::numeric_limits<double>::max());
  CHECK(validate(l).ok());
  l.custom.set("when", timestamp::min());
  CHECK(validate(l).is_invalid_argument());

  rep r;
  r.id = rep_id{"R1"};
  r.leave = {{min_timestamp, timestamp::max()}};
  CHECK(validate(r).is_invalid_argument());
}
