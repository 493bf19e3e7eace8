// Internal: the operations both evaluators (tree and bytecode) share, so each semantic is
// written once: case-insensitive text equality, blank-aware comparison, rounding, text functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/detail/bytes.hpp"
#include "rules/formula/program.hpp"

namespace crmrules::detail::fx {

inline char fold(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

int text_cmp(std::string_view a, std::string_view b) noexcept;
bool starts_with_fold(std::string_view s, std::string_view p) noexcept;
bool ends_with_fold(std::string_view s, std::string_view p) noexcept;
bool contains_fold(std::string_view s, std::string_view p) noexcept;
bool is_space(char32_t cp) noexcept;

/// Text `=`: ASCII letters compare case-insensitively, everything else byte for byte.
inline bool text_eq(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  // Equal bytes are the common match (list lookups, codes). At a difference the folding loop
  // decides, usually at once: two Chinese words differ in a byte that is no ASCII letter.
  if (crmrules::detail::same_bytes(a.data(), b.data(), n)) return true;
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i] && fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

/// The first case of `t` that `s` matches with the text `=`, or t.cases.size() for none.
inline std::size_t find_case(const switch_table& t, std::string_view s) noexcept {
  std::size_t k = 0;
  for (; k < t.cases.size(); ++k) {
    const switch_case& c = t.cases[k];
    if (c.fold ? text_eq(s, c.key) : crmrules::detail::bytes_equal(s, c.key)) break;
  }
  return k;
}

/// True when `s` has an ASCII letter: only then can text `=` differ from byte equality.
inline bool has_ascii_letter(std::string_view s) noexcept {
  for (const char c : s) {
    if (fold(c) >= 'a' && fold(c) <= 'z') return true;
  }
  return false;
}

/// IN(s, list) for a subject known to have no ASCII letter (has_ascii_letter(s) is false):
/// then text `=` is byte equality.
inline bool in_list_exact(const std::vector<std::string>* l, std::string_view s) noexcept {
  if (l == nullptr) return false;
  for (const auto& e : *l) {
    if (crmrules::detail::bytes_equal(e, s)) return true;
  }
  return false;
}

inline bool in_list(const std::vector<std::string>* l, std::string_view s) noexcept {
  if (l == nullptr) return false;
  for (const auto& e : *l) {
    if (text_eq(e, s)) return true;
  }
  return false;
}

/// Blank-aware comparison (blank is 0, "" or FALSE; a blank time equals only a blank time).
[[gnu::always_inline]] inline bool compare(cmp_class c, cmp_op o, const formula_value& l,
                                           const formula_value& r) noexcept {
  int ord = 0;
  switch (c) {
    case cmp_class::number: {
      const double x = access::num(l), y = access::num(r);
      ord = x < y ? -1 : x > y ? 1 : 0;
      break;
    }
    case cmp_class::money:
    case cmp_class::interval: {
      const std::int64_t x = access::i64(l), y = access::i64(r);
      ord = x < y ? -1 : x > y ? 1 : 0;
      break;
    }
    case cmp_class::text:
      if (o == cmp_op::eq) return text_eq(access::text(l), access::text(r));
      if (o == cmp_op::ne) return !text_eq(access::text(l), access::text(r));
      ord = text_cmp(access::text(l), access::text(r));
      break;
    case cmp_class::boolean: {
      const int x = access::truthy(l) ? 1 : 0, y = access::truthy(r) ? 1 : 0;
      ord = x - y;
      break;
    }
    case cmp_class::time: {
      const bool lb = l.is_blank(), rb = r.is_blank();
      if (lb != rb) return o == cmp_op::ne;  // a blank time is not before or after anything
      if (!lb) {
        const std::int64_t x = access::i64(l), y = access::i64(r);
        ord = x < y ? -1 : x > y ? 1 : 0;
      }
      break;
    }
  }
  switch (o) {
    case cmp_op::eq:
      return ord == 0;
    case cmp_op::ne:
      return ord != 0;
    case cmp_op::lt:
      return ord < 0;
    case cmp_op::le:
      return ord <= 0;
    case cmp_op::gt:
      return ord > 0;
    case cmp_op::ge:
      return ord >= 0;
  }
  return false;
}

/// x rounded to `digits` decimals, halves away from zero, on the number as a spreadsheet shows it.
double round_decimal(double x, int digits) noexcept;
/// v * factor (or v / factor when `divide`), rounded half away from zero on the 15 significant
/// digits a user sees (1.00 * 0.285 is 0.29, 1.47 / 98 is 0.02); nullopt when out of range.
std::optional<std::int64_t> scale_i64(std::int64_t v, double factor, bool divide = false) noexcept;
/// Rounds an integer amount to a multiple of `unit`, halves away from zero; nullopt when the
/// result does not fit.
std::optional<std::int64_t> round_to_unit(std::int64_t v, std::int64_t unit) noexcept;
/// Up to 15 significant digits, like a spreadsheet cell.
std::string format_number(double d);
/// LOWER / UPPER with full Unicode case mapping; unchanged text is returned without copying.
formula_value change_case(access::act_state& st, std::string_view s, bool upper);
/// TRIM: strips both ends and collapses inner runs of spaces.
formula_value trim(access::act_state& st, std::string_view s);

}  // namespace crmrules::detail::fx
