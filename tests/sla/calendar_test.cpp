// Business calendars: weekends, lunch breaks, holidays, make-up days and a DST zone, each with
// expected times worked out by hand.
#include "crmrules/sla/calendar.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "sla/sla_test_support.hpp"

using namespace crmrules;
using namespace std::chrono_literals;
using sla_test::at;
using std::chrono::year_month_day;

namespace {

std::string show(const result<timestamp>& t) {
  return t ? format_timestamp(*t) : t.error().message();
}

year_month_day ymd(int y, unsigned m, unsigned d) {
  return year_month_day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

/// 9:00-18:00 Monday to Friday, Beijing time.
sla::calendar_spec nine_to_six() {
  sla::calendar_spec s;
  s.name = "office";
  for (int d = 0; d < 5; ++d)
    s.week[static_cast<std::size_t>(d)] = {{9h, 18h}};
  return s;
}

/// 9:00-12:00 and 13:30-18:00 Monday to Friday, Beijing time, with the 2026 Spring Festival
/// (Feb 15-23 off) and its make-up Saturday (Feb 14) and Sunday (Feb 28).
sla::calendar_spec china_2026() {
  sla::calendar_spec s;
  s.name = "华东";
  for (int d = 0; d < 5; ++d)
    s.week[static_cast<std::size_t>(d)] = {{9h, 12h}, {13h + 30min, 18h}};
  sla::holiday_rule spring;
  spring.what = sla::holiday_rule::kind::range;
  spring.first = ymd(2026, 2, 15);
  spring.last = ymd(2026, 2, 23);
  spring.name = "春节";
  sla::holiday_rule new_year;
  new_year.what = sla::holiday_rule::kind::yearly;
  new_year.first = ymd(2026, 1, 1);
  new_year.name = "元旦";
  s.holidays = {spring, new_year};
  s.workdays = {ymd(2026, 2, 14), ymd(2026, 2, 28)};
  return s;
}

}  // namespace

TEST_CASE("2 business hours from Friday 17:30 with 9:00-18:00 hours is Monday 10:30", "[sla]") {
  auto cal = sla::business_calendar::make(nine_to_six());
  REQUIRE(cal);
  // 2026-11-20 is a Friday; 17:30 Beijing is 09:30 UTC; Monday 10:30 Beijing is 02:30 UTC.
  CHECK(show(cal->add(at("2026-11-20T17:30:00+08:00"), 2h)) == "2026-11-23T02:30:00Z");
  // Ending exactly at closing time is closing time, not the next opening.
  CHECK(show(cal->add(at("2026-11-20T17:30:00+08:00"), 30min)) == "2026-11-20T10:00:00Z");
  // Started on a Saturday: counting begins Monday 9:00.
  CHECK(show(cal->add(at("2026-11-21T11:00:00+08:00"), 1h)) == "2026-11-23T02:00:00Z");
  // Across midnight: 20:00 Wednesday + 1h = Thursday 10:00.
  CHECK(show(cal->add(at("2026-11-18T20:00:00+08:00"), 1h)) == "2026-11-19T02:00:00Z");
  CHECK(cal->is_open(at("2026-11-20T17:59:59+08:00")));
  CHECK_FALSE(cal->is_open(at("2026-11-20T18:00:00+08:00")));
  CHECK_FALSE(cal->is_open(at("2026-11-21T10:00:00+08:00")));
  CHECK(show(cal->next_open(at("2026-11-21T10:00:00+08:00"))) == "2026-11-23T01:00:00Z");
  CHECK(show(cal->next_open(at("2026-11-20T10:00:00+08:00"))) == "2026-11-20T02:00:00Z");
  // Business time between Friday 17:00 and Monday 10:00: 1h + 1h.
  CHECK(cal->business_time_between(at("2026-11-20T17:00:00+08:00"),
                                   at("2026-11-23T10:00:00+08:00")) == 2h);
  CHECK(cal->business_time_between(at("2026-11-23T10:00:00+08:00"),
                                   at("2026-11-20T17:00:00+08:00")) == 0h);
}

TEST_CASE("lunch breaks are skipped", "[sla]") {
  auto cal = sla::business_calendar::make(china_2026());
  REQUIRE(cal);
  // Monday 2026-11-23 11:00 + 2h: 11:00-12:00 (1h), 13:30-14:30.
  CHECK(show(cal->add(at("2026-11-23T11:00:00+08:00"), 2h)) == "2026-11-23T06:30:00Z");
  CHECK_FALSE(cal->is_open(at("2026-11-23T12:30:00+08:00")));
  CHECK(show(cal->next_open(at("2026-11-23T12:30:00+08:00"))) == "2026-11-23T05:30:00Z");
  CHECK(cal->business_time_between(at("2026-11-23T00:00:00+08:00"),
                                   at("2026-11-24T00:00:00+08:00")) == 7h + 30min);
}

TEST_CASE("holidays are off and make-up Saturdays and Sundays are worked", "[sla]") {
  auto cal = sla::business_calendar::make(china_2026());
  REQUIRE(cal);
  // Friday 2026-02-13 17:00 + 2h: 1h Friday, then Saturday the 14th is a make-up day: 10:00.
  CHECK(show(cal->add(at("2026-02-13T17:00:00+08:00"), 2h)) == "2026-02-14T02:00:00Z");
  // Saturday the 14th 17:00 + 2h: 1h, then the holiday Feb 15-23, then Tuesday the 24th 10:00.
  CHECK(show(cal->add(at("2026-02-14T17:00:00+08:00"), 2h)) == "2026-02-24T02:00:00Z");
  CHECK(cal->is_working_day(ymd(2026, 2, 14)));
  CHECK_FALSE(cal->is_working_day(ymd(2026, 2, 16)));  // a Monday inside the festival
  CHECK(cal->is_working_day(ymd(2026, 2, 28)));        // make-up Sunday
  CHECK_FALSE(cal->is_working_day(ymd(2026, 3, 1)));   // an ordinary Sunday
  CHECK_FALSE(cal->is_working_day(ymd(2027, 1, 1)));   // New Year, every year
  CHECK(cal->business_time_between(at("2026-02-15T00:00:00+08:00"),
                                   at("2026-02-24T00:00:00+08:00")) == 0h);
}

TEST_CASE("the nth or last weekday of a month can be a holiday", "[sla]") {
  sla::calendar_spec s = nine_to_six();
  s.time_zone = "UTC+00";
  sla::holiday_rule thanksgiving;
  thanksgiving.what = sla::holiday_rule::kind::nth_weekday;
  thanksgiving.month = std::chrono::November;
  thanksgiving.weekday = std::chrono::Thursday;
  thanksgiving.nth = 4;
  sla::holiday_rule memorial;
  memorial.what = sla::holiday_rule::kind::nth_weekday;
  memorial.month = std::chrono::May;
  memorial.weekday = std::chrono::Monday;
  memorial.nth = -1;
  s.holidays = {thanksgiving, memorial};
  auto cal = sla::business_calendar::make(s);
  REQUIRE(cal);
  CHECK_FALSE(cal->is_working_day(ymd(2026, 11, 26)));  // 4th Thursday of November 2026
  CHECK(cal->is_working_day(ymd(2026, 11, 19)));
  CHECK_FALSE(cal->is_working_day(ymd(2026, 5, 25)));  // last Monday of May 2026
  CHECK(cal->is_working_day(ymd(2026, 5, 18)));
}

TEST_CASE("a DST zone counts local hours right across the spring and autumn changes", "[sla]") {
  sla::calendar_spec s = nine_to_six();
  s.name = "New York";
  s.time_zone = "EST-05EDT,M3.2.0/2,M11.1.0/2";
  auto cal = sla::business_calendar::make(s);
  REQUIRE(cal);
  // Friday 2026-03-06 17:00 EST (22:00 UTC) + 2h: 1h Friday, Monday 2026-03-09 9:00 EDT + 1h =
  // 10:00 EDT = 14:00 UTC (DST began on Sunday the 8th).
  CHECK(show(cal->add(at("2026-03-06T17:00:00-05:00"), 2h)) == "2026-03-09T14:00:00Z");
  // Friday 2026-10-30 17:00 EDT (21:00 UTC) + 2h: Monday 2026-11-02 10:00 EST = 15:00 UTC.
  CHECK(show(cal->add(at("2026-10-30T17:00:00-04:00"), 2h)) == "2026-11-02T15:00:00Z");
  // A summer working day, 9:00-18:00 EDT, is 13:00-22:00 UTC: all 9 hours in July 1 UTC.
  CHECK(cal->business_time_between(at("2026-07-01T00:00:00Z"), at("2026-07-02T00:00:00Z")) == 9h);
  CHECK(cal->is_open(at("2026-07-01T13:00:00Z")));
  CHECK_FALSE(cal->is_open(at("2026-07-01T12:59:59Z")));
  // The same hours in winter are 14:00-23:00 UTC.
  CHECK(cal->is_open(at("2026-12-01T14:00:00Z")));
  CHECK_FALSE(cal->is_open(at("2026-12-01T13:30:00Z")));
}

TEST_CASE("a calendar converts between its local wall clock and UTC, DST included", "[sla]") {
  auto beijing = sla::business_calendar::make(nine_to_six());
  REQUIRE(beijing);
  CHECK(beijing->utc_offset(at("2026-07-01T00:00:00Z")) == 8h);
  CHECK(show(beijing->from_local(at("2026-11-20T09:00:30Z"))) == "2026-11-20T01:00:30Z");

  sla::calendar_spec s = nine_to_six();
  s.time_zone = "EST-05EDT,M3.2.0/2,M11.1.0/2";
  auto ny = sla::business_calendar::make(s);
  REQUIRE(ny);
  CHECK(ny->utc_offset(at("2026-07-01T12:00:00Z")) == -4h);
  CHECK(ny->utc_offset(at("2026-12-01T12:00:00Z")) == -5h);
  CHECK(show(ny->from_local(at("2026-07-01T09:00:00Z"))) == "2026-07-01T13:00:00Z");
  CHECK(show(ny->from_local(at("2026-12-01T09:00:00Z"))) == "2026-12-01T14:00:00Z");
  // 2026-11-01 01:30 happens twice in New York: the earlier (EDT, 05:30 UTC) is taken.
  CHECK(show(ny->from_local(at("2026-11-01T01:30:00Z"))) == "2026-11-01T05:30:00Z");
  // 2026-03-08 02:30 never happens: the clock jumps from 02:00 EST (07:00 UTC) to 03:00 EDT.
  CHECK(show(ny->from_local(at("2026-03-08T02:30:00Z"))) == "2026-03-08T07:00:00Z");
}

TEST_CASE("times outside the years a calendar counts are refused, not thrown", "[sla]") {
  auto cal = sla::business_calendar::make(nine_to_six());
  REQUIRE(cal);
  const auto early = cal->add(at("1000-01-01T00:00:00Z"), 1h);
  REQUIRE_FALSE(early);
  CHECK(early.error().message().find("outside the years a calendar counts") != std::string::npos);
  CHECK_FALSE(cal->add(at("9999-12-31T10:00:00+08:00"), 8h));
  CHECK_FALSE(cal->next_open(at("0001-01-01T00:00:00Z")));
  CHECK_FALSE(cal->is_open(at("9999-06-01T02:00:00Z")));
  CHECK_FALSE(cal->is_working_day(ymd(1000, 6, 1)));
  CHECK(cal->utc_offset(at("0001-01-01T00:00:00Z")) == 8h);
  // Only the part inside counts: 1400-01-02 was a Thursday (proleptic Gregorian), so 9 hours
  // on the 2nd and 9 on the 3rd.
  CHECK(cal->business_time_between(at("1300-01-01T00:00:00Z"), at("1400-01-04T00:00:00+08:00")) ==
        18h);
}

TEST_CASE("bad calendars are refused with the reason", "[sla]") {
  sla::calendar_spec s = nine_to_six();
  s.time_zone = "Mars/Olympus";
  auto r = sla::business_calendar::make(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("time zone 'Mars/Olympus'") != std::string::npos);
  s = nine_to_six();
  s.week[0] = {{13h, 18h}, {9h, 12h}};
  CHECK(sla::business_calendar::make(s).error().message().find("overlap or are out of order") !=
        std::string::npos);
  s = nine_to_six();
  s.week[1] = {{18h, 9h}};
  CHECK_FALSE(sla::business_calendar::make(s));
  sla::calendar_spec empty;
  empty.name = "none";
  CHECK(sla::business_calendar::make(empty).error().message() ==
        "calendar 'none' has no working hours at all");
  // Every working day a holiday: adding gives up with an error instead of looping.
  s = nine_to_six();
  sla::holiday_rule always;
  always.what = sla::holiday_rule::kind::range;
  always.first = ymd(2026, 1, 1);
  always.last = ymd(2099, 12, 31);
  s.holidays = {always};
  auto cal = sla::business_calendar::make(s);
  REQUIRE(cal);
  CHECK_FALSE(cal->add(at("2026-06-01T09:00:00+08:00"), 1h));
  CHECK_FALSE(cal->next_open(at("2026-06-01T09:00:00+08:00")));
}

TEST_CASE("the rules file's calendars section makes the calendars; mistakes are placed",
          "[sla][rules]") {
  auto rules = rule_set::load_string(R"js({
  "calendars": {
    "华东": {
      "time_zone": "CST+08",
      "week": {"mon-fri": ["09:00-12:00", "13:30-18:00"]},
      "holidays": [{"name": "春节", "from": "2026-02-15", "to": "2026-02-23"},
                   {"name": "元旦", "yearly": "01-01"},
                   {"name": "国庆", "date": "2026-10-01"}],
      "workdays": ["2026-02-14", "2026-02-28"]
    },
    "New York": {
      "time_zone": "EST-05EDT,M3.2.0/2,M11.1.0/2",
      "week": {"mon-fri": ["09:00-18:00"]},
      "holidays": [{"name": "Thanksgiving", "nth": 4, "weekday": "thu", "month": 11}]
    }
  }
})js");
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  CHECK((*rules)->calendar_names() == std::vector<std::string>{"New York", "华东"});
  const auto east = (*rules)->calendar("华东");
  REQUIRE(east);
  CHECK(show(east->add(at("2026-02-14T17:00:00+08:00"), 2h)) == "2026-02-24T02:00:00Z");
  CHECK_FALSE(east->is_working_day(ymd(2026, 10, 1)));
  const auto ny = (*rules)->calendar("New York");
  REQUIRE(ny);
  CHECK_FALSE(ny->is_working_day(ymd(2026, 11, 26)));
  CHECK((*rules)->calendar("nowhere") == nullptr);

  auto bad = rule_set::load_string(R"js({"calendars": {"x": {
    "week": {"mon-fry": ["09:00-18:00"], "sat": ["9-5"]},
    "holidays": [{"date": "2026-13-01"}, {"from": "2026-02-10", "to": "2026-02-01"}, {}],
    "workdays": ["tomorrow"],
    "time_zone": "CST+08"}}})js");
  REQUIRE_FALSE(bad);
  const std::string all = bad.error().to_string();
  CHECK(all.find("'mon-fry' is not a day or a range of days") != std::string::npos);
  CHECK(all.find("'9-5' is not a time range such as \"09:00-12:00\"") != std::string::npos);
  CHECK(all.find("'2026-13-01' is not a date") != std::string::npos);
  CHECK(all.find("the holiday ends before it starts") != std::string::npos);
  CHECK(all.find("a holiday needs \"date\"") != std::string::npos);
  CHECK(all.find("'tomorrow' is not a date") != std::string::npos);
  auto tz = rule_set::load_string(
      R"js({"calendars": {"x": {"time_zone": "Mars", "week": {"mon": ["09:00-18:00"]}}}})js");
  REQUIRE_FALSE(tz);
  CHECK(tz.error().to_string().find("time zone 'Mars'") != std::string::npos);
}
