// crmrules sla: business calendars. Working hours per weekday (several intervals a day, such as
// 9:00-12:00 and 13:30-18:00), a time zone (DST included), holidays (fixed dates, ranges, yearly
// dates, "the nth weekday of a month") and make-up working days (调休: a Saturday or Sunday
// worked). Deadlines are counted in business time: 2 business hours from Friday 17:30 with
// 9:00-18:00 hours is Monday 10:30.
//
// A `business_calendar` is immutable once made: share it freely across threads.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crmrules/model/time.hpp"
#include "crmrules/status.hpp"

namespace crmrules::sla {

/// [from, to) in local wall-clock time, as minutes since midnight (0..1440).
struct hours_interval {
  std::chrono::minutes from{};
  std::chrono::minutes to{};
};

/// A day off: one date, a range of dates, a date every year, or the nth weekday of a month
/// every year (n = 1..5, or -1 for the last).
struct holiday_rule {
  enum class kind : std::uint8_t { date, range, yearly, nth_weekday };
  kind what = kind::date;
  std::chrono::year_month_day first{};  ///< date; range start; yearly: its month and day
  std::chrono::year_month_day last{};   ///< range end (inclusive)
  std::chrono::month month{};           ///< nth_weekday
  std::chrono::weekday weekday{};       ///< nth_weekday
  int nth = 1;                          ///< nth_weekday: 1..5, -1 = last
  std::string name;                     ///< for people: "春节"
};

struct calendar_spec {
  std::string name;
  /// A POSIX-style time zone in Boost.Date_Time's notation, where the offset is signed as in
  /// ISO 8601: "CST+08" is UTC+8 (China), "EST-05EDT,M3.2.0/2,M11.1.0/2" is US Eastern.
  std::string time_zone = "CST+08";
  /// Working hours per weekday, Monday first; an empty day is a day off.
  std::array<std::vector<hours_interval>, 7> week;
  std::vector<holiday_rule> holidays;
  /// Make-up working days (调休): dates worked even though their weekday is off (or a holiday
  /// rule covers them), with the hours of `makeup_hours_of`.
  std::vector<std::chrono::year_month_day> workdays;
  std::chrono::weekday makeup_hours_of = std::chrono::Monday;
};

/// Business time on a calendar. Times are UTC instants; the calendar works in its zone's local
/// time, on the years 1400 to 9989 (Boost.Date_Time's dates, less the ten years a search may look
/// ahead): `add` and `next_open` refuse an instant outside them with invalid_argument, `is_open`
/// is false there, `business_time_between` counts only the part inside, and `utc_offset` /
/// `from_local` use the nearest instant inside. At a DST change, a working interval that starts in
/// the skipped hour starts when the clock jumps; in the repeated hour the earlier instant is used.
class business_calendar {
 public:
  /// Checks the spec: a known time zone, intervals inside the day, ordered and not
  /// overlapping, valid dates, nth in range, some working time in the week (or make-up days).
  /// invalid_argument with the offending part otherwise.
  [[nodiscard]] static result<business_calendar> make(calendar_spec spec);

  ~business_calendar();
  business_calendar(const business_calendar&);
  business_calendar& operator=(const business_calendar&);
  business_calendar(business_calendar&&) noexcept;
  business_calendar& operator=(business_calendar&&) noexcept;

  /// Whether `t` falls in working time.
  [[nodiscard]] bool is_open(timestamp t) const;
  /// `t` when open, else the start of the next working interval. invalid_argument when there
  /// is none within ten years (a calendar whose every working day is a holiday).
  [[nodiscard]] result<timestamp> next_open(timestamp t) const;
  /// The instant `d` of business time after `start` (d >= 0). A deadline that ends exactly at
  /// the close of a working interval is that close, not the next opening.
  [[nodiscard]] result<timestamp> add(timestamp start, duration d) const;
  /// Business time in [a, b); zero when b <= a.
  [[nodiscard]] duration business_time_between(timestamp a, timestamp b) const;

  /// Whether the local date is a working day (has working hours after holidays and make-up
  /// days are applied).
  [[nodiscard]] bool is_working_day(std::chrono::year_month_day d) const;
  [[nodiscard]] const calendar_spec& spec() const noexcept;

  /// The calendar's offset from UTC at instant `t` (+08:00 for CST+08; DST included), for
  /// writing instants in the calendar's local time.
  [[nodiscard]] std::chrono::minutes utc_offset(timestamp t) const;
  /// The instant at which the calendar's local wall clock reads `wall` (a local date and time
  /// carried in a timestamp as if it were UTC, as parse_timestamp reads a time without an
  /// offset at offset 0). In a repeated hour the earlier instant; in a skipped hour the moment
  /// the clock jumps.
  [[nodiscard]] timestamp from_local(timestamp wall) const;

 private:
  struct impl;
  explicit business_calendar(std::shared_ptr<const impl> p) noexcept;
  std::shared_ptr<const impl> p_;
};

}  // namespace crmrules::sla
