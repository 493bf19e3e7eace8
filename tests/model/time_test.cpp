#include "crmrules/model/time.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono;
using crmrules::format_duration;
using crmrules::format_timestamp;
using crmrules::parse_duration;
using crmrules::parse_timestamp;

TEST_CASE("timestamps parse RFC 3339 with Z, offsets and fractions", "[model][time]") {
  CHECK(format_timestamp(*parse_timestamp("2026-11-22T09:30:00Z")) == "2026-11-22T09:30:00Z");
  CHECK(format_timestamp(*parse_timestamp("2026-11-22T17:30:00+08:00")) == "2026-11-22T09:30:00Z");
  CHECK(format_timestamp(*parse_timestamp("2026-11-22t01:00:00-0500")) == "2026-11-22T06:00:00Z");
  CHECK(format_timestamp(*parse_timestamp("2026-11-22T09:30:00.25Z")) ==
        "2026-11-22T09:30:00.250000Z");
  CHECK(format_timestamp(*parse_timestamp("2026-11-22 09:30")) == "2026-11-22T09:30:00Z");
  CHECK(format_timestamp(*parse_timestamp("2026-11-22")) == "2026-11-22T00:00:00Z");
}

TEST_CASE("timestamps without an offset use the default offset given", "[model][time]") {
  auto t = parse_timestamp("2026-11-22 09:30:00", hours(8));
  REQUIRE(t);
  CHECK(format_timestamp(*t) == "2026-11-22T01:30:00Z");
  // An explicit offset wins over the default.
  CHECK(format_timestamp(*parse_timestamp("2026-11-22T09:30:00Z", hours(8))) ==
        "2026-11-22T09:30:00Z");
}

TEST_CASE("impossible dates and times are refused with a reason", "[model][time]") {
  for (const char* bad : {"2026-02-30", "2026-13-01", "2026-11-22T24:00", "2026-11-22T10:60",
                          "2026/11/22", "2026-11-22T10:00:00+25:00", "2026-11-22T10:00:00Zjunk", "",
                          "0000-01-01", "2026-11-22T10:00:00."}) {
    INFO(bad);
    auto t = parse_timestamp(bad);
    REQUIRE_FALSE(t);
    CHECK(t.error().is_invalid_argument());
  }
  CHECK(parse_timestamp("2024-02-29"));  // a leap day exists
  CHECK_FALSE(parse_timestamp("2025-02-29"));
}

TEST_CASE("timestamps before 1970 format correctly", "[model][time]") {
  CHECK(format_timestamp(*parse_timestamp("1969-12-31T23:59:59.5Z")) ==
        "1969-12-31T23:59:59.500000Z");
}

TEST_CASE("durations parse units, combinations, negatives and Chinese units", "[model][time]") {
  CHECK(*parse_duration("2h") == hours(2));
  CHECK(*parse_duration("72h") == hours(72));
  CHECK(*parse_duration("7d") == days(7));
  CHECK(*parse_duration("1h30m") == minutes(90));
  CHECK(*parse_duration("90s") == seconds(90));
  CHECK(*parse_duration("250ms") == milliseconds(250));
  CHECK(*parse_duration("1w") == days(7));
  CHECK(*parse_duration("-2h") == hours(-2));
  CHECK(*parse_duration("3天") == days(3));
  CHECK(*parse_duration("2小时") == hours(2));
  CHECK(*parse_duration("30分钟") == minutes(30));
}

TEST_CASE("durations without a unit or with an unknown unit are refused", "[model][time]") {
  for (const char* bad : {"", "2", "h", "2x", "2hh", "1.5h", "99999999999999999999d"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
}

TEST_CASE("durations format in the shortest exact form and round trip", "[model][time]") {
  CHECK(format_duration(hours(2)) == "2h");
  CHECK(format_duration(days(7)) == "7d");
  CHECK(format_duration(minutes(90)) == "1h30m");
  CHECK(format_duration(crmrules::duration{0}) == "0s");
  CHECK(format_duration(-hours(2)) == "-2h");
  CHECK(format_duration(milliseconds(1500)) == "1s500ms");
  for (crmrules::duration d : {crmrules::duration(hours(26) + seconds(3)),
                               crmrules::duration(days(30)), microseconds(7)}) {
    CHECK(*parse_duration(format_duration(d)) == d);
  }
}

TEST_CASE("periods are half-open", "[model][time]") {
  const auto a = *parse_timestamp("2026-11-01");
  const auto b = *parse_timestamp("2026-11-08");
  const crmrules::period p{a, b};
  CHECK(p.contains(a));
  CHECK_FALSE(p.contains(b));
  CHECK(p.contains(b - microseconds(1)));
}

TEST_CASE(
    "the extreme representable values format without undefined behaviour and round trip where they "
    "can",
    "[model][time]") {
  CHECK(format_timestamp(crmrules::timestamp::min()) == "out-of-range(-9223372036854775808)");
  CHECK(format_timestamp(crmrules::timestamp::max()) == "out-of-range(9223372036854775807)");
  CHECK(format_timestamp(crmrules::max_timestamp) == "9999-12-31T23:59:59.999999Z");
  CHECK(format_timestamp(crmrules::min_timestamp) == "0001-01-01T00:00:00Z");
  CHECK(*parse_timestamp(format_timestamp(crmrules::max_timestamp)) == crmrules::max_timestamp);
  CHECK(*parse_timestamp(format_timestamp(crmrules::min_timestamp)) == crmrules::min_timestamp);
  for (auto d : {crmrules::duration::min(), crmrules::duration::max(), crmrules::duration{-1}}) {
    INFO(format_duration(d));
    CHECK(*parse_duration(format_duration(d)) == d);
  }
  CHECK_FALSE(parse_duration("9223372036854775808us"));  // one past the maximum
}

TEST_CASE("a time that falls outside years 1..9999 once converted to UTC is refused",
          "[model][time]") {
  auto early = parse_timestamp("0001-01-01T00:00:00+08:00");
  REQUIRE_FALSE(early);
  CHECK_THAT(early.error().message(), Catch::Contains("outside years 1..9999"));
  CHECK(parse_timestamp("0001-01-01T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("9999-12-31T23:00:00-08:00"));
}
