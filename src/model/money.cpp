#include "crmrules/model/money.hpp"

#include <cstdint>
#include <string>

namespace crmrules {
namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

result<money> money::parse(std::string_view text) {
  const std::string original(text);
  auto bad = [&](std::string_view why) {
    return status::invalid_argument("invalid amount '" + original + "': " + std::string(why));
  };
  std::string_view s = trim(text);
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  for (std::string_view sign : {"¥", "￥"}) {
    if (starts_with(s, sign)) s.remove_prefix(sign.size());
  }
  if (starts_with(s, "CNY")) s = trim(s.substr(3));
  if (ends_with(s, "元")) s.remove_suffix(std::string_view("元").size());
  int scale = 2;  // minor units per major unit, as a power of ten
  if (ends_with(s, "万")) {
    scale += 4;
    s.remove_suffix(std::string_view("万").size());
  } else if (ends_with(s, "亿")) {
    scale += 8;
    s.remove_suffix(std::string_view("亿").size());
  }
  s = trim(s);
  if (s.empty()) return bad("no digits");

  std::string digits;
  int fraction_digits = -1;  // -1 until the decimal point is seen
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      if (fraction_digits >= 0) ++fraction_digits;
    } else if (c == '.' && fraction_digits < 0) {
      fraction_digits = 0;
    } else if (c == ',' && fraction_digits < 0) {
      continue;  // digit grouping
    } else {
      return bad(std::string("unexpected character '") + c + "'");
    }
  }
  if (digits.empty()) return bad("no digits");
  if (fraction_digits < 0) fraction_digits = 0;
  int exponent = scale - fraction_digits;
  while (exponent < 0) {
    if (digits.back() != '0') return bad("more precision than one fen");
    digits.pop_back();
    ++exponent;
    if (digits.empty()) digits = "0";
  }
  // The magnitude is accumulated unsigned so that the most negative amount (-2^63 fen) parses.
  std::uint64_t magnitude = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(magnitude, std::uint64_t{10}, &magnitude) ||
        __builtin_add_overflow(magnitude, static_cast<std::uint64_t>(c - '0'), &magnitude)) {
      return bad("too large");
    }
  }
  for (int k = 0; k < exponent; ++k) {
    if (__builtin_mul_overflow(magnitude, std::uint64_t{10}, &magnitude)) return bad("too large");
  }
  constexpr std::uint64_t limit = std::uint64_t{1} << 63;  // |INT64_MIN|
  if (magnitude > (negative ? limit : limit - 1)) return bad("too large");
  if (negative) return money::from_minor(static_cast<std::int64_t>(std::uint64_t{0} - magnitude));
  return money::from_minor(static_cast<std::int64_t>(magnitude));
}

std::string money::to_string() const {
  // Work in unsigned to handle INT64_MIN.
  const bool negative = minor_ < 0;
  const std::uint64_t abs = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(minor_)
                                     : static_cast<std::uint64_t>(minor_);
  std::string out = std::to_string(abs / 100);
  const auto cents = static_cast<unsigned>(abs % 100);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + cents / 10));
  out.push_back(static_cast<char>('0' + cents % 10));
  return negative ? "-" + out : out;
}

}  // namespace crmrules
