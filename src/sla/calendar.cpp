// Business calendars on Boost.Date_Time (time zones with DST, date generators for holidays).
// Nothing of Boost leaves this file.
#include "crmrules/sla/calendar.hpp"

#include <algorithm>
#include <boost/date_time/gregorian/gregorian.hpp>
#include <boost/date_time/local_time/local_time.hpp>
#include <boost/date_time/posix_time/posix_time.hpp>
#include <cctype>
#include <exception>
#include <string>

namespace crmrules::sla {

namespace bg = boost::gregorian;
namespace bp = boost::posix_time;
namespace bl = boost::local_time;

namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr int max_days_searched = 3660;  // ten years: a calendar with no time left in it

/// The instants the calendar can work on: Boost.Date_Time's dates (1400..9999), less the ten
/// years a search may look ahead.
const timestamp range_first = sys_days{std::chrono::year{1400} / 1 / 2};
const timestamp range_last = sys_days{std::chrono::year{9989} / 12 / 31};

bool in_range(timestamp t) {
  return range_first <= t && t <= range_last;
}

timestamp clamped(timestamp t) {
  return std::clamp(t, range_first, range_last);
}

status out_of_range(const std::string& calendar, timestamp t) {
  return status::invalid_argument("calendar '" + calendar + "': " + format_timestamp(t) +
                                  " is outside the years a calendar counts (1400 to 9989)");
}

bg::date to_boost(year_month_day d) {
  return bg::date(static_cast<unsigned short>(static_cast<int>(d.year())),
                  static_cast<unsigned short>(static_cast<unsigned>(d.month())),
                  static_cast<unsigned short>(static_cast<unsigned>(d.day())));
}

year_month_day from_boost(const bg::date& d) {
  return year_month_day{std::chrono::year{static_cast<int>(d.year())},
                        std::chrono::month{static_cast<unsigned>(d.month().as_number())},
                        std::chrono::day{static_cast<unsigned>(d.day().as_number())}};
}

bp::ptime to_ptime(timestamp t) {
  static const bp::ptime epoch(bg::date(1970, 1, 1));
  return epoch + bp::microseconds(to_unix_micros(t));
}

timestamp from_ptime(const bp::ptime& p) {
  static const bp::ptime epoch(bg::date(1970, 1, 1));
  return from_unix_micros((p - epoch).total_microseconds());
}

std::string ymd_text(year_month_day d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

}  // namespace

struct business_calendar::impl {
  calendar_spec spec;
  bl::time_zone_ptr zone;

  /// The UTC instant of local wall-clock time `minutes` after midnight of `d`: the earlier of
  /// two in the repeated hour, the moment the clock jumps when it falls in the skipped hour.
  [[nodiscard]] timestamp utc_of(const bg::date& d, std::chrono::minutes local) const {
    const bp::time_duration td = bp::minutes(local.count());
    const bp::ptime wall(d, td);
    const bp::time_duration base = zone->base_utc_offset();
    if (!zone->has_dst()) return from_ptime(wall - base);
    const bp::ptime as_std = wall - base;                       // read as standard time
    const bp::ptime as_dst = wall - base - zone->dst_offset();  // read as daylight time
    auto round_trips = [&](const bp::ptime& utc) {
      return bl::local_date_time(utc, zone).local_time() == wall;
    };
    if (round_trips(as_dst)) return from_ptime(as_dst);  // the earlier, if both
    if (round_trips(as_std)) return from_ptime(as_std);
    // In the skipped hour: the clock jumped at the start of daylight time.
    return from_ptime(zone->dst_local_start_time(d.year()) - base);
  }

  /// The local date of instant `t`.
  [[nodiscard]] bg::date local_date(timestamp t) const {
    return bl::local_date_time(to_ptime(t), zone).local_time().date();
  }

  [[nodiscard]] bool is_holiday(const bg::date& d) const {
    const year_month_day ymd = from_boost(d);
    for (const auto& h : spec.holidays) {
      switch (h.what) {
        case holiday_rule::kind::date:
          if (ymd == h.first) return true;
          break;
        case holiday_rule::kind::range:
          if (sys_days{h.first} <= sys_days{ymd} && sys_days{ymd} <= sys_days{h.last}) return true;
          break;
        case holiday_rule::kind::yearly:
          if (ymd.month() == h.first.month() && ymd.day() == h.first.day()) return true;
          break;
        case holiday_rule::kind::nth_weekday: {
          if (ymd.month() != h.month) break;
          const auto month = static_cast<unsigned short>(static_cast<unsigned>(h.month));
          const bg::greg_weekday wd(static_cast<unsigned short>(h.weekday.c_encoding()));
          bg::date day;
          if (h.nth < 0) {
            day = bg::last_day_of_the_week_in_month(wd, month).get_date(d.year());
          } else {
            day = bg::nth_day_of_the_week_in_month(
                      static_cast<bg::nth_day_of_the_week_in_month::week_num>(h.nth), wd, month)
                      .get_date(d.year());
          }
          if (day == d) return true;
          break;
        }
      }
    }
    return false;
  }

  /// The working hours of local date `d`, after holidays and make-up days.
  [[nodiscard]] const std::vector<hours_interval>& hours_of(const bg::date& d) const {
    static const std::vector<hours_interval> none;
    const year_month_day ymd = from_boost(d);
    if (std::find(spec.workdays.begin(), spec.workdays.end(), ymd) != spec.workdays.end())
      return spec.week[(spec.makeup_hours_of.c_encoding() + 6) % 7];
    if (is_holiday(d)) return none;
    // Boost: Sunday = 0; the spec: Monday = 0.
    return spec.week[(static_cast<unsigned>(d.day_of_week().as_number()) + 6) % 7];
  }

  /// Calls fn(open, close) for every working interval from the local date of `from` on, in
  /// time order, until fn returns false or the search gives up. Returns whether fn stopped it.
  template <class Fn>
  bool each_interval(timestamp from, Fn&& fn) const {
    bg::date d = local_date(from) - bg::days(1);  // an interval of the day before may run on
    for (int k = 0; k < max_days_searched; ++k, d += bg::days(1)) {
      for (const hours_interval& h : hours_of(d)) {
        const timestamp open = utc_of(d, h.from);
        const timestamp close = h.to >= std::chrono::minutes(1440)
                                    ? utc_of(d + bg::days(1), std::chrono::minutes(0))
                                    : utc_of(d, h.to);
        if (close <= from || close <= open) continue;
        if (!fn(open, close)) return true;
      }
    }
    return false;
  }
};

result<business_calendar> business_calendar::make(calendar_spec spec) {
  auto p = std::make_shared<impl>();
  // Boost reads "Mars" as a zone at UTC+0; insist on the offset: letters, then a sign and digits.
  const std::string& tz = spec.time_zone;
  std::size_t letters = 0;
  while (letters < tz.size() && std::isalpha(static_cast<unsigned char>(tz[letters])) != 0)
    ++letters;
  const bool has_offset = letters >= 3 && letters + 1 < tz.size() &&
                          (tz[letters] == '+' || tz[letters] == '-') &&
                          std::isdigit(static_cast<unsigned char>(tz[letters + 1])) != 0;
  if (!has_offset) {
    return status::invalid_argument("calendar '" + spec.name + "': time zone '" + tz +
                                    "' is not a POSIX time zone string with an offset (such as "
                                    "\"CST+08\" for China, \"EST-05EDT,M3.2.0/2,M11.1.0/2\")");
  }
  try {
    p->zone.reset(new bl::posix_time_zone(spec.time_zone));
  } catch (const std::exception& e) {
    return status::invalid_argument("calendar '" + spec.name + "': time zone '" + spec.time_zone +
                                    "' is not a POSIX time zone string (" + e.what() +
                                    "); for China write \"CST+08\"");
  }
  bool any_hours = !spec.workdays.empty();
  static constexpr const char* day_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                              "Friday", "Saturday", "Sunday"};
  for (std::size_t w = 0; w < 7; ++w) {
    std::chrono::minutes end{0};
    for (const auto& h : spec.week[w]) {
      if (h.from < std::chrono::minutes(0) || h.to > std::chrono::minutes(1440) || h.from >= h.to) {
        return status::invalid_argument("calendar '" + spec.name + "': " + day_names[w] +
                                        " has an interval that is empty or outside the day");
      }
      if (h.from < end) {
        return status::invalid_argument("calendar '" + spec.name + "': " + day_names[w] +
                                        "'s intervals overlap or are out of order");
      }
      end = h.to;
      any_hours = true;
    }
  }
  if (!any_hours)
    return status::invalid_argument("calendar '" + spec.name + "' has no working hours at all");
  for (const auto& h : spec.holidays) {
    if (h.what != holiday_rule::kind::nth_weekday && !h.first.ok())
      return status::invalid_argument("calendar '" + spec.name + "': holiday '" + h.name +
                                      "' has an invalid date");
    if (h.what == holiday_rule::kind::range &&
        (!h.last.ok() || sys_days{h.last} < sys_days{h.first}))
      return status::invalid_argument("calendar '" + spec.name + "': holiday '" + h.name +
                                      "' ends before it starts");
    if (h.what == holiday_rule::kind::nth_weekday &&
        (!h.month.ok() || !h.weekday.ok() || h.nth == 0 || h.nth < -1 || h.nth > 5))
      return status::invalid_argument("calendar '" + spec.name + "': holiday '" + h.name +
                                      "' needs a month, a weekday and nth 1..5 or -1 (last)");
  }
  for (const auto& d : spec.workdays) {
    if (!d.ok())
      return status::invalid_argument("calendar '" + spec.name + "': make-up day " + ymd_text(d) +
                                      " is not a valid date");
  }
  if (spec.week[(spec.makeup_hours_of.c_encoding() + 6) % 7].empty() && !spec.workdays.empty())
    return status::invalid_argument("calendar '" + spec.name +
                                    "': make-up days take the hours of a day with none");
  p->spec = std::move(spec);
  return business_calendar(std::move(p));
}

business_calendar::business_calendar(std::shared_ptr<const impl> p) noexcept : p_(std::move(p)) {}
business_calendar::~business_calendar() = default;
business_calendar::business_calendar(const business_calendar&) = default;
business_calendar& business_calendar::operator=(const business_calendar&) = default;
business_calendar::business_calendar(business_calendar&&) noexcept = default;
business_calendar& business_calendar::operator=(business_calendar&&) noexcept = default;

const calendar_spec& business_calendar::spec() const noexcept {
  return p_->spec;
}

std::chrono::minutes business_calendar::utc_offset(timestamp t) const {
  const bp::ptime utc = to_ptime(clamped(t));
  const bl::local_date_time local(utc, p_->zone);
  return std::chrono::minutes((local.local_time() - utc).total_seconds() / 60);
}

timestamp business_calendar::from_local(timestamp wall) const {
  const bp::ptime w = to_ptime(clamped(wall));
  const auto since_midnight = std::chrono::duration_cast<std::chrono::minutes>(
      std::chrono::microseconds(w.time_of_day().total_microseconds()));
  const timestamp at = p_->utc_of(w.date(), since_midnight);
  // utc_of works in whole minutes; keep the seconds and below of `wall`.
  return at + (std::chrono::microseconds(w.time_of_day().total_microseconds()) - since_midnight);
}

bool business_calendar::is_working_day(year_month_day d) const {
  return d.ok() && d.year() >= std::chrono::year{1400} && d.year() <= std::chrono::year{9999} &&
         !p_->hours_of(to_boost(d)).empty();
}

bool business_calendar::is_open(timestamp t) const {
  if (!in_range(t)) return false;
  bool open = false;
  p_->each_interval(t, [&](timestamp from, timestamp) {
    open = from <= t;  // the first interval that closes after t
    return false;
  });
  return open;
}

result<timestamp> business_calendar::next_open(timestamp t) const {
  if (!in_range(t)) return out_of_range(p_->spec.name, t);
  timestamp at{};
  const bool found = p_->each_interval(t, [&](timestamp from, timestamp) {
    at = std::max(from, t);
    return false;
  });
  if (!found)
    return status::invalid_argument("calendar '" + p_->spec.name +
                                    "' has no working time in the ten years after " +
                                    format_timestamp(t));
  return at;
}

result<timestamp> business_calendar::add(timestamp start, duration d) const {
  if (d < duration::zero())
    return status::invalid_argument("business_calendar::add: a negative duration");
  if (!in_range(start)) return out_of_range(p_->spec.name, start);
  duration left = d;
  timestamp at{};
  const bool found = p_->each_interval(start, [&](timestamp from, timestamp to) {
    const timestamp begin = std::max(from, start);
    if (left <= to - begin) {
      at = begin + left;
      return false;
    }
    left -= to - begin;
    return true;
  });
  if (!found)
    return status::invalid_argument("calendar '" + p_->spec.name + "' runs out of working time " +
                                    "within ten years of " + format_timestamp(start));
  return at;
}

duration business_calendar::business_time_between(timestamp a, timestamp b) const {
  duration total{};
  a = clamped(a);
  b = clamped(b);
  if (b <= a) return total;
  p_->each_interval(a, [&](timestamp from, timestamp to) {
    if (from >= b) return false;
    total += std::min(to, b) - std::max(from, a);
    return true;
  });
  return total;
}

}  // namespace crmrules::sla
