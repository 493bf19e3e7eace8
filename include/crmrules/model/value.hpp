// crmrules model: dynamically typed values, for custom attributes and generic field access.
//
// Records hold their built-in fields as typed C++ members. A `value` is what a field looks like
// when it is reached by name (through a `schema`), and what a host-defined custom attribute holds.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "crmrules/model/money.hpp"
#include "crmrules/model/time.hpp"

namespace crmrules {

/// The types a field can have. The order is the `value` variant's order.
enum class value_type : std::uint8_t {
  null,         ///< blank: no value
  boolean,      ///< true / false
  integer,      ///< signed 64-bit
  decimal,      ///< IEEE double: scores, ratios, coefficients (never money)
  money,        ///< crmrules::money, integer minor units
  string,       ///< UTF-8 text
  time,         ///< crmrules::timestamp (UTC)
  interval,     ///< crmrules::duration (named "duration" in rules files; SQL calls it INTERVAL)
  string_list,  ///< a list of UTF-8 strings (tags, regions)
};

/// "null", "boolean", "integer", "decimal", "money", "string", "time", "duration", "string_list".
[[nodiscard]] std::string_view to_string(value_type type) noexcept;
/// The inverse of to_string; nullopt for any other spelling.
[[nodiscard]] std::optional<value_type> parse_value_type(std::string_view name) noexcept;
/// Every value type name, in enum order (for suggestions in error messages).
[[nodiscard]] const std::vector<std::string_view>& value_type_names();

/// A typed value or null. Equality is exact (same type and same content; 1 != 1.0).
class value {
 public:
  using string_list = std::vector<std::string>;

  value() noexcept = default;
  value(std::nullptr_t) noexcept {}  // NOLINT: implicit like a literal
  value(bool b) noexcept : v_(b) {}  // NOLINT
  /// Any integer type (int, long, std::size_t...). Unsigned values above INT64_MAX, which no
  /// CRM count reaches, are stored as INT64_MAX.
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) value(I i)
  noexcept  // NOLINT
      : v_(std::in_range<std::int64_t>(i) ? static_cast<std::int64_t>(i)
                                          : std::numeric_limits<std::int64_t>::max()) {}
  value(double d) noexcept : v_(d) {}                  // NOLINT
  value(money m) noexcept : v_(m) {}                   // NOLINT
  value(std::string s) noexcept : v_(std::move(s)) {}  // NOLINT
  value(std::string_view s) : v_(std::string(s)) {}    // NOLINT
  value(const char* s) : v_(std::string(s)) {}         // NOLINT: not bool
  value(timestamp t) noexcept : v_(t) {}               // NOLINT
  value(duration d) noexcept : v_(d) {}                // NOLINT
  /// Any std::chrono duration or system time point that converts to microseconds without loss
  /// (hours, minutes, seconds, sys_days...).
  template <class Rep, class Period>
  requires std::is_convertible_v<std::chrono::duration<Rep, Period>, duration> value(
      std::chrono::duration<Rep, Period> d)
  noexcept : v_(duration(d)) {}  // NOLINT
  template <class D>
  requires std::is_convertible_v<std::chrono::sys_time<D>, timestamp> value(
      std::chrono::sys_time<D> t)
  noexcept : v_(timestamp(t)) {}                       // NOLINT
  value(string_list l) noexcept : v_(std::move(l)) {}  // NOLINT

  [[nodiscard]] value_type type() const noexcept { return static_cast<value_type>(v_.index()); }
  [[nodiscard]] bool is_null() const noexcept { return v_.index() == 0; }

  /// Pointer to the held alternative if it is a T, else nullptr.
  template <class T>
  [[nodiscard]] const T* get_if() const noexcept {
    return std::get_if<T>(&v_);
  }
  template <class T>
  [[nodiscard]] T* get_if() noexcept {
    return std::get_if<T>(&v_);
  }

  /// Human-readable form: "null", "true", "42", "0.95", "500000.00", text as is,
  /// RFC 3339 times, "2h" durations, lists as "[a, b]".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const value&, const value&) = default;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, money, std::string, timestamp, duration,
               string_list>
      v_;
};

/// A non-owning look at a field's value, for hot paths that must not copy (the rules language
/// binds records through it). Strings and lists point into the record or value they came from
/// and stay valid while that is unchanged. `type` is null for a blank value.
struct field_view {
  value_type type = value_type::null;
  std::uint32_t size = 0;  ///< text length (chars)
  union {
    std::int64_t integer = 0;  ///< integer; money in minor units; time and duration in microseconds
    bool boolean;
    double decimal;
    const char* chars;  ///< text (with `size`)
    const std::vector<std::string>* list;
  };

  [[nodiscard]] std::string_view text() const noexcept { return {chars, size}; }
  /// A text view (16 bytes in all, so views travel in registers).
  [[nodiscard]] static field_view of_text(std::string_view s) noexcept {
    field_view v;
    v.type = value_type::string;
    v.size = static_cast<std::uint32_t>(s.size());
    v.chars = s.data();
    return v;
  }
};

/// A view of `v` (valid while `v` is unchanged).
[[nodiscard]] inline field_view view_of(const value& v) noexcept {
  field_view out;
  out.type = v.type();
  switch (out.type) {
    case value_type::null:
      break;
    case value_type::boolean:
      out.boolean = *v.get_if<bool>();
      break;
    case value_type::integer:
      out.integer = *v.get_if<std::int64_t>();
      break;
    case value_type::decimal:
      out.decimal = *v.get_if<double>();
      break;
    case value_type::money:
      out.integer = v.get_if<money>()->minor();
      break;
    case value_type::string:
      out = field_view::of_text(*v.get_if<std::string>());
      break;
    case value_type::time:
      out.integer = to_unix_micros(*v.get_if<timestamp>());
      break;
    case value_type::interval:
      out.integer = v.get_if<duration>()->count();
      break;
    case value_type::string_list:
      out.list = v.get_if<value::string_list>();
      break;
  }
  return out;
}

/// Converts `v` in place to `target` where that is lossless and unsurprising: null stays null
/// (blank is allowed for every type), an integer becomes a decimal, a decimal with no fraction
/// becomes an integer. Anything else is invalid_argument naming `field` and both types.
[[nodiscard]] status coerce(value& v, value_type target, std::string_view field);

}  // namespace crmrules
