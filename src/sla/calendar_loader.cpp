#include "sla/calendar_loader.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <string_view>

#include "util/suggest.hpp"

namespace crmrules::detail {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 7> day_keys = {"mon", "tue", "wed", "thu",
                                                      "fri", "sat", "sun"};

std::optional<int> number(std::string_view s) {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

/// "2026-02-15" -> a valid date.
std::optional<year_month_day> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto y = number(s.substr(0, 4)), m = number(s.substr(5, 2)), d = number(s.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *d < 1) return std::nullopt;
  const year_month_day out{year{*y}, month{static_cast<unsigned>(*m)},
                           day{static_cast<unsigned>(*d)}};
  return out.ok() ? std::optional(out) : std::nullopt;
}

/// "09:00" -> minutes; "24:00" allowed as the end of the day.
std::optional<minutes> parse_clock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  const auto h = number(s.substr(0, 2)), m = number(s.substr(3, 2));
  if (!h || !m || *h < 0 || *m < 0 || *m > 59 || *h > 24 || (*h == 24 && *m != 0))
    return std::nullopt;
  return minutes(*h * 60 + *m);
}

/// "mon", "mon-fri", "sat-sun" -> the day indexes (Monday = 0).
std::optional<std::vector<std::size_t>> parse_days(std::string_view s) {
  auto index = [](std::string_view k) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < day_keys.size(); ++i) {
      if (day_keys[i] == k) return i;
    }
    return std::nullopt;
  };
  const auto dash = s.find('-');
  const auto a = index(s.substr(0, dash));
  const auto b = dash == std::string_view::npos ? a : index(s.substr(dash + 1));
  if (!a || !b || *b < *a) return std::nullopt;
  std::vector<std::size_t> out;
  for (std::size_t i = *a; i <= *b; ++i)
    out.push_back(i);
  return out;
}

void load_week(object_reader& r, sla::calendar_spec& spec) {
  auto week = r.object("week", /*required=*/true);
  if (!week) return;
  load_context& ctx = r.context();
  for (const auto& key : week->member_names()) {
    const std::string at = week->child(key);
    const auto days_of = parse_days(key);
    if (!days_of) {
      week->known({key});
      ctx.error(at, "'" + key + "' is not a day or a range of days (mon, tue, ..., sun; mon-fri)",
                "", /*at_key=*/true);
      continue;
    }
    auto intervals = week->string_list(key);
    if (!intervals) continue;
    std::vector<sla::hours_interval> hours;
    for (std::size_t i = 0; i < intervals->size(); ++i) {
      const std::string& text = (*intervals)[i];
      const auto dash = text.find('-');
      const auto from = parse_clock(std::string_view(text).substr(0, dash));
      const auto to = dash == std::string::npos
                          ? std::nullopt
                          : parse_clock(std::string_view(text).substr(dash + 1));
      if (!from || !to) {
        ctx.error(at + "/" + std::to_string(i),
                  "'" + text + "' is not a time range such as \"09:00-12:00\"");
        continue;
      }
      hours.push_back({*from, *to});
    }
    for (const std::size_t d : *days_of)
      spec.week[d] = hours;
  }
  week->finish();
}

void load_holidays(object_reader& r, sla::calendar_spec& spec) {
  load_context& ctx = r.context();
  const nlohmann::json* node = r.get("holidays");
  if (node == nullptr) return;
  const std::string pointer = r.child("holidays");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader h(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!h.valid()) continue;
    sla::holiday_rule rule;
    if (auto name = h.string("name")) rule.name = *name;
    auto date_of = [&](std::string_view key) -> std::optional<year_month_day> {
      auto text = h.string(key);
      if (!text) return std::nullopt;
      auto d = parse_date(*text);
      if (!d) ctx.error(h.child(key), "'" + *text + "' is not a date such as \"2026-02-15\"");
      return d;
    };
    if (h.get("date") != nullptr) {
      rule.what = sla::holiday_rule::kind::date;
      if (auto d = date_of("date")) rule.first = *d;
    } else if (h.get("from") != nullptr) {
      rule.what = sla::holiday_rule::kind::range;
      if (auto d = date_of("from")) rule.first = *d;
      if (auto d = date_of("to")) rule.last = *d;
      if (rule.first.ok() && rule.last.ok() && sys_days{rule.last} < sys_days{rule.first})
        ctx.error(h.child("to"), "the holiday ends before it starts");
    } else if (auto yearly = h.string("yearly")) {
      rule.what = sla::holiday_rule::kind::yearly;
      const auto d = parse_date("2000-" + *yearly);  // a leap year: 02-29 is accepted
      if (!d) {
        ctx.error(h.child("yearly"), "'" + *yearly + "' is not a month and day such as \"10-01\"");
      } else {
        rule.first = *d;
      }
    } else if (auto nth = h.integer("nth", false, -1, 5)) {
      rule.what = sla::holiday_rule::kind::nth_weekday;
      rule.nth = static_cast<int>(*nth);
      if (rule.nth == 0) ctx.error(h.child("nth"), "'nth' is 1..5, or -1 for the last");
      if (auto m = h.integer("month", true, 1, 12)) rule.month = month{static_cast<unsigned>(*m)};
      if (auto wd = h.choice("weekday", {day_keys.begin(), day_keys.end()}, true)) {
        for (std::size_t k = 0; k < day_keys.size(); ++k) {
          if (day_keys[k] == *wd) rule.weekday = weekday{static_cast<unsigned>((k + 1) % 7)};
        }
      }
    } else {
      ctx.error(h.pointer(), "a holiday needs \"date\", \"from\"/\"to\", \"yearly\" or \"nth\"");
    }
    h.finish();
    spec.holidays.push_back(std::move(rule));
  }
}

}  // namespace

std::map<std::string, sla::business_calendar, std::less<>> load_calendars(object_reader& section) {
  std::map<std::string, sla::business_calendar, std::less<>> out;
  load_context& ctx = section.context();
  for (const auto& name : section.member_names()) {
    auto r = section.object(name);
    if (!r) continue;
    sla::calendar_spec spec;
    spec.name = name;
    if (auto tz = r->string("time_zone")) spec.time_zone = *tz;
    load_week(*r, spec);
    load_holidays(*r, spec);
    if (auto days = r->string_list("workdays")) {
      for (std::size_t i = 0; i < days->size(); ++i) {
        if (auto d = parse_date((*days)[i])) {
          spec.workdays.push_back(*d);
        } else {
          ctx.error(r->child("workdays") + "/" + std::to_string(i),
                    "'" + (*days)[i] + "' is not a date such as \"2026-02-14\"");
        }
      }
    }
    if (auto d = r->choice("makeup_hours_of", {day_keys.begin(), day_keys.end()})) {
      for (std::size_t k = 0; k < day_keys.size(); ++k) {
        if (day_keys[k] == *d) spec.makeup_hours_of = weekday{static_cast<unsigned>((k + 1) % 7)};
      }
    }
    r->finish();
    if (ctx.failed()) continue;
    auto cal = sla::business_calendar::make(std::move(spec));
    if (!cal) {
      ctx.error(section.child(name), cal.error().message());
      continue;
    }
    out.emplace(name, std::move(*cal));
  }
  section.finish();
  return out;
}

}  // namespace crmrules::detail
