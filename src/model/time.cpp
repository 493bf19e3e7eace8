#include "crmrules/model/time.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "model/duration_units.hpp"
#include "util/numbers.hpp"
#include "util/utf8.hpp"

namespace crmrules {
namespace {

using namespace std::chrono;

class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}
  [[nodiscard]] bool done() const { return i_ >= s_.size(); }
  [[nodiscard]] char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  /// Exactly n decimal digits.
  bool digits(int n, int& out) {
    out = 0;
    for (int k = 0; k < n; ++k) {
      const char c = peek();
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
      ++i_;
    }
    return true;
  }
  [[nodiscard]] std::size_t pos() const { return i_; }
  void advance() { ++i_; }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

result<timestamp> parse_timestamp(std::string_view text, minutes default_offset) {
  auto bad = [&](std::string_view why) {
    return status::invalid_argument("invalid time '" + std::string(text) +
                                    "': " + std::string(why) +
                                    " (expected e.g. 2026-11-22T09:30:00+08:00)");
  };
  text = detail::trim_blanks(text);
  cursor c(text);
  int y = 0, mo = 0, d = 0;
  if (!c.digits(4, y) || !c.eat('-') || !c.digits(2, mo) || !c.eat('-') || !c.digits(2, d)) {
    return bad("date must be YYYY-MM-DD");
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (y < 1 || !ymd.ok()) return bad("no such date");
  int hh = 0, mi = 0, ss = 0;
  std::int64_t micros = 0;
  minutes offset = default_offset;
  if (!c.done()) {
    if (!(c.eat('T') || c.eat('t') || c.eat(' ')))
      return bad("expected 'T' or a space after the date");
    if (!c.digits(2, hh) || !c.eat(':') || !c.digits(2, mi)) return bad("time must be HH:MM[:SS]");
    if (c.eat(':')) {
      if (!c.digits(2, ss)) return bad("seconds must be two digits");
      if (c.eat('.') || c.eat(',')) {
        int n = 0;
        std::int64_t scale = 100000;
        while (c.peek() >= '0' && c.peek() <= '9') {
          if (n < 6) micros += (c.peek() - '0') * scale;
          scale /= 10;
          ++n;
          c.advance();
        }
        if (n == 0) return bad("empty fraction of a second");
      }
    }
    if (hh > 23 || mi > 59 || ss > 59) return bad("time of day out of range");
    if (c.eat('Z') || c.eat('z')) {
      offset = minutes{0};
    } else if (c.peek() == '+' || c.peek() == '-') {
      const bool neg = c.peek() == '-';
      c.advance();
      int oh = 0, om = 0;
      if (!c.digits(2, oh)) return bad("offset must be ±HH:MM");
      c.eat(':');
      if (!c.digits(2, om)) return bad("offset must be ±HH:MM");
      if (oh > 23 || om > 59) return bad("offset out of range");
      offset = minutes{(neg ? -1 : 1) * (oh * 60 + om)};
    }
  }
  if (!c.done()) return bad("unexpected text at position " + std::to_string(c.pos() + 1));
  const auto local = sys_days{ymd} + hours{hh} + minutes{mi} + seconds{ss} + microseconds{micros};
  const timestamp t{local - offset};
  if (!in_supported_range(t)) return bad("outside years 1..9999 once converted to UTC");
  return t;
}

std::string format_timestamp(timestamp t) {
  if (!in_supported_range(t)) return "out-of-range(" + std::to_string(to_unix_micros(t)) + ")";
  const auto dp = floor<days>(t);
  const year_month_day ymd{dp};
  const hh_mm_ss<duration> hms{t - dp};
  std::array<char, 48> buf{};
  const auto frac = hms.subseconds().count();
  int n = 0;
  if (frac == 0) {
    n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                      static_cast<int>(hms.minutes().count()),
                      static_cast<int>(hms.seconds().count()));
  } else {
    n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                      static_cast<int>(hms.minutes().count()),
                      static_cast<int>(hms.seconds().count()), static_cast<long long>(frac));
  }
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

namespace {
using unit = detail::duration_unit;
}  // namespace

result<duration> parse_duration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return status::invalid_argument("invalid duration '" + std::string(text) +
                                    "': " + std::string(why) + " (expected e.g. 2h, 7d, 1h30m)");
  };
  std::string_view s = detail::trim_blanks(text);
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return bad("empty");
  // Magnitudes are accumulated unsigned so that the most negative duration parses.
  std::uint64_t total = 0;
  while (!s.empty()) {
    std::uint64_t n = 0;
    std::size_t k = 0;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') {
      if (!detail::push_digit(n, s[k])) return bad("too large");
      ++k;
    }
    if (k == 0) return bad("expected a number");
    s.remove_prefix(k);
    const unit* found = nullptr;
    for (const unit& u : detail::duration_units) {
      if (s.substr(0, u.name.size()) == u.name) {
        found = &u;
        break;
      }
    }
    if (found == nullptr) return bad("missing or unknown unit (w, d, h, m, s, ms, us)");
    s.remove_prefix(found->name.size());
    std::uint64_t part = 0;
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(found->micros), &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return bad("too large");
    }
  }
  const auto micros = detail::to_signed(total, negative);
  if (!micros) return bad("too large");
  return duration{*micros};
}

std::string format_duration(duration d) {
  if (d.count() == 0) return "0s";
  std::string out;
  // Unsigned magnitude: -INT64_MIN does not fit an int64.
  std::uint64_t us = static_cast<std::uint64_t>(d.count());
  if (d.count() < 0) {
    out = "-";
    us = std::uint64_t{0} - us;
  }
  for (const unit& u : {unit{"d", 86'400'000'000}, unit{"h", 3'600'000'000}, unit{"m", 60'000'000},
                        unit{"s", 1'000'000}, unit{"ms", 1'000}, unit{"us", 1}}) {
    const auto step = static_cast<std::uint64_t>(u.micros);
    if (us >= step) {
      out += std::to_string(us / step);
      out += u.name;
      us %= step;
    }
  }
  return out;
}

}  // namespace crmrules
