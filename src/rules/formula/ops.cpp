// Operations shared by the tree evaluator and the bytecode VM: one definition of each semantic.
#include "rules/formula/ops.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "util/utf8.hpp"

namespace crmrules::detail::fx {

int text_cmp(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(fold(a[i]));
    const auto y = static_cast<unsigned char>(fold(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

bool starts_with_fold(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && text_eq(s.substr(0, p.size()), p);
}
bool ends_with_fold(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && text_eq(s.substr(s.size() - p.size()), p);
}
bool contains_fold(std::string_view s, std::string_view p) noexcept {
  if (p.empty()) return true;
  for (std::size_t i = 0; i + p.size() <= s.size(); ++i) {
    if (text_eq(s.substr(i, p.size()), p)) return true;
  }
  return false;
}

bool is_space(char32_t cp) noexcept {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000 || cp == 0xA0;
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// x rounded to `digits` decimals, halves away from zero, on the number as a spreadsheet shows it
/// (15 significant digits), so ROUND(2.675, 2) is 2.68 as the user expects, not 2.67.
/// Works on the decimal digits in fixed buffers: no allocation.
double round_decimal(double x, int digits) noexcept {
  if (!std::isfinite(x) || x == 0) return x;
  digits = std::clamp(digits, -15, 15);
  std::array<char, 48> buf{};
  const auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::scientific, 14);
  if (ec != std::errc{}) return x;
  // buf: [-]d.dddddddddddddde[+-]xx, 15 significant digits
  std::string_view s(buf.data(), static_cast<std::size_t>(end - buf.data()));
  const bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  const auto e_pos = s.find('e');
  int exponent = 0;
  std::from_chars(s.data() + e_pos + 1 + (s[e_pos + 1] == '+' ? 1 : 0), s.data() + s.size(),
                  exponent);
  std::array<char, 16> d{};  // the 15 significant digits: x = 0.d1d2...d15 * 10^(exponent + 1)
  std::size_t nd = 0;
  for (const char c : s.substr(0, e_pos)) {
    if (c != '.' && nd < d.size()) d[nd++] = c;
  }
  const int keep = exponent + 1 + digits;  // leading digits that stay
  if (keep < 0) return negative ? -0.0 : 0.0;
  if (keep >= static_cast<int>(nd)) {  // nothing to round: the value as shown (0.1+0.2 is 0.3)
    double shown = x;
    std::from_chars(buf.data(), end, shown);
    return shown;
  }
  const auto k = static_cast<std::size_t>(keep);
  // kept = '0' followed by the digits that stay; the leading '0' takes a carry (9.99 -> 10.0).
  std::array<char, 40> text{};
  std::size_t n = 0;
  if (negative) text[n++] = '-';
  const std::size_t first = n;
  text[n++] = '0';
  for (std::size_t i = 0; i < k; ++i)
    text[n++] = d[i];
  if (d[k] >= '5') {
    std::size_t i = n;
    while (i-- > first) {
      if (text[i] == '9') {
        text[i] = '0';
      } else {
        ++text[i];
        break;
      }
    }
  }
  // The kept digits form an integer; its scale is 10^(exponent + 1 - keep) = 10^(-digits).
  text[n++] = 'e';
  const auto [e_end, e_ec] = std::to_chars(text.data() + n, text.data() + text.size(), -digits);
  if (e_ec != std::errc{}) return x;
  double out = 0;
  std::from_chars(text.data(), e_end, out);
  return negative && out == 0 ? -0.0 : out;
}

std::optional<std::int64_t> scale_i64(std::int64_t v, double factor, bool divide) noexcept {
  const double raw = divide ? static_cast<double>(v) / factor : static_cast<double>(v) * factor;
  const double r = std::round(round_decimal(raw, 0));
  if (!std::isfinite(r) || r >= 9.2e18 || r <= -9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(r);
}

std::optional<std::int64_t> round_to_unit(std::int64_t v, std::int64_t unit) noexcept {
  if (unit <= 1) return v;
  const std::int64_t rem = v % unit;
  const std::int64_t base = v - rem;
  const std::int64_t abs_rem = rem < 0 ? -rem : rem;
  if (abs_rem < unit - abs_rem) return base;  // 2 * |rem| < unit, without overflow
  std::int64_t out = 0;
  if (__builtin_add_overflow(base, rem < 0 ? -unit : unit, &out)) return std::nullopt;
  return out;
}

/// Up to 15 significant digits, like a spreadsheet cell: 0.1 + 0.2 shows as 0.3.
std::string format_number(double d) {
  if (d == 0) return "0";  // also -0
  std::array<char, 40> buf{};
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::general, 15);
  if (ec != std::errc{}) return "#NUM!";
  return std::string(buf.data(), end);
}

formula_value change_case(access::act_state& st, std::string_view s, bool upper) {
  // Full Unicode case mapping (utf8proc); unchanged text is returned as is, without copying.
  std::size_t size = 0;
  bool changed = false;
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = decode_utf8(s, i);
    const auto m =
        static_cast<char32_t>(upper ? utf8proc_toupper(static_cast<utf8proc_int32_t>(cp))
                                    : utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
    changed = changed || m != cp;
    size += m < 0x80 ? 1 : m < 0x800 ? 2 : m < 0x10000 ? 3 : 4;
  }
  if (!changed) return formula_value::of_string(s);
  char* out = st.allocate(size);
  std::string tmp;  // small: append_utf8 writes here, then one copy
  tmp.reserve(size);
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = decode_utf8(s, i);
    append_utf8(tmp,
                static_cast<char32_t>(upper ? utf8proc_toupper(static_cast<utf8proc_int32_t>(cp))
                                            : utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
  }
  std::memcpy(out, tmp.data(), size);
  return formula_value::of_string({out, size});
}

formula_value trim(access::act_state& st, std::string_view s) {
  // Strip both ends and collapse inner runs of spaces to one, as a spreadsheet's TRIM does.
  std::size_t b = 0, e = s.size();
  for (std::size_t i = 0; i < s.size();) {
    if (!is_space(decode_utf8(s, i))) break;
    b = i;
  }
  while (e > b) {
    std::size_t at = e - 1;
    while (at > b && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80)
      --at;
    std::size_t j = at;
    if (!is_space(decode_utf8(s, j))) break;
    e = at;
  }
  const std::string_view core = s.substr(b, e - b);
  // Copy only when something changes: a run of spaces, or a single space that is not ' '
  // (U+3000, NBSP, a tab), which becomes ' ' like every other inner space.
  bool changes = false;
  bool prev_space = false;
  for (std::size_t i = 0; i < core.size() && !changes;) {
    const char32_t cp = decode_utf8(core, i);
    const bool sp = is_space(cp);
    changes = sp && (prev_space || cp != U' ');
    prev_space = sp;
  }
  if (!changes) return formula_value::of_string(core);
  char* out = st.allocate(core.size());
  std::size_t n = 0;
  prev_space = false;
  for (std::size_t i = 0; i < core.size();) {
    const std::size_t at = i;
    const bool sp = is_space(decode_utf8(core, i));
    if (sp && prev_space) continue;
    if (sp) {
      out[n++] = ' ';
    } else {
      std::memcpy(out + n, core.data() + at, i - at);
      n += i - at;
    }
    prev_space = sp;
  }
  return formula_value::of_string({out, n});
}

}  // namespace crmrules::detail::fx
