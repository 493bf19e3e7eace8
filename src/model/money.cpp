#include "crmrules/model/money.hpp"

#include <cstdint>
#include <string>

#include "util/numbers.hpp"
#include "util/utf8.hpp"

namespace crmrules {
result<money> money::parse(std::string_view text) {
  const std::string original(text);
  auto bad = [&](std::string_view why) {
    return status::invalid_argument("invalid amount '" + original + "': " + std::string(why));
  };
  std::string_view s = detail::trim_blanks(text);
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  for (std::string_view sign : {"¥", "￥"}) {
    if (s.starts_with(sign)) s.remove_prefix(sign.size());
  }
  if (s.starts_with("CNY")) s = detail::trim_blanks(s.substr(3));
  if (s.ends_with("元")) s.remove_suffix(std::string_view("元").size());
  int scale = 2;  // minor units per major unit, as a power of ten
  if (s.ends_with("万")) {
    scale += 4;
    s.remove_suffix(std::string_view("万").size());
  } else if (s.ends_with("亿")) {
    scale += 8;
    s.remove_suffix(std::string_view("亿").size());
  }
  s = detail::trim_blanks(s);
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
  std::uint64_t magnitude = 0;
  for (char c : digits) {
    if (!detail::push_digit(magnitude, c)) return bad("too large");
  }
  for (int k = 0; k < exponent; ++k) {
    if (!detail::push_digit(magnitude, '0')) return bad("too large");
  }
  const auto minor = detail::to_signed(magnitude, negative);
  if (!minor) return bad("too large");
  return money::from_minor(*minor);
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
