// crmrules model: time.
//
// One representation everywhere: `timestamp` is a UTC instant with microsecond resolution on
// std::chrono's system clock (Unix epoch, leap seconds not counted), and `duration` is a span of
// microseconds. Local time, business calendars and time zones (Boost.Date_Time) live in the SLA
// engine; records and stores only ever hold UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "crmrules/status.hpp"

namespace crmrules {

using duration = std::chrono::microseconds;
using timestamp = std::chrono::sys_time<duration>;

/// Microseconds since the Unix epoch, and back. Used by stores that keep integers.
[[nodiscard]] constexpr std::int64_t to_unix_micros(timestamp t) noexcept {
  return t.time_since_epoch().count();
}
[[nodiscard]] constexpr timestamp from_unix_micros(std::int64_t us) noexcept {
  return timestamp(duration(us));
}

/// The instants crmrules stores and writes as text: years 1 to 9999, as RFC 3339 allows.
/// `validate()` refuses records with times outside this range (use an empty optional, not
/// timestamp::max(), for "never").
inline constexpr timestamp min_timestamp{
    duration{-62135596800LL * 1000000}};  // 0001-01-01T00:00:00Z
inline constexpr timestamp max_timestamp{
    duration{253402300799LL * 1000000 + 999999}};  // 9999-12-31T23:59:59.999999Z
[[nodiscard]] constexpr bool in_supported_range(timestamp t) noexcept {
  return min_timestamp <= t && t <= max_timestamp;
}

/// Parses RFC 3339 / ISO 8601 date-times: "2026-11-22T09:30:00Z", "2026-11-22T17:30:00+08:00",
/// "2026-11-22 09:30:00.250", "2026-11-22T09:30" and a bare date "2026-11-22" (midnight).
/// Text without an offset is taken to be at `default_offset` from UTC (e.g. +08:00 for data
/// exported from a CRM in China). Out-of-range fields (month 13, 25:00, Feb 30) are
/// invalid_argument. Years 1..9999.
[[nodiscard]] result<timestamp> parse_timestamp(
    std::string_view text, std::chrono::minutes default_offset = std::chrono::minutes{0});

/// RFC 3339 in UTC: "2026-11-22T09:30:00Z", with ".250000" style fractions only when nonzero.
/// A time outside years 1..9999 (which cannot be written in RFC 3339) is written
/// "out-of-range(<microseconds since the epoch>)" and does not parse back.
[[nodiscard]] std::string format_timestamp(timestamp t);

/// Parses a duration: one or more `<integer><unit>` parts with units w, d, h, m (minutes), s,
/// ms, us, or 周, 天, 小时, 分钟, 秒; e.g. "2h", "72h", "7d", "1h30m", "90s", "3天". Calendar days
/// here are 24 hours; business time is the SLA engine's job. Negative durations are written "-2h".
[[nodiscard]] result<duration> parse_duration(std::string_view text);

/// The shortest exact form in the units above: "2h", "7d", "1h30m", "0s".
[[nodiscard]] std::string format_duration(duration d);

/// A half-open interval [from, to) of time, e.g. a leave period.
struct period {
  timestamp from{};
  timestamp to{};

  [[nodiscard]] constexpr bool contains(timestamp t) const noexcept { return from <= t && t < to; }
  friend constexpr bool operator==(const period&, const period&) = default;
};

}  // namespace crmrules
