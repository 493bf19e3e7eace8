// crmrules model: money as integer minor units.
//
// Amounts are held in fen (1/100 yuan), or the minor unit of whatever single book currency the
// host uses, as a signed 64-bit integer: never floating point. Arithmetic saturates at the
// limits instead of overflowing (±92 trillion yuan, far beyond any CRM amount); use
// `checked_add` where saturation must be detected.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "crmrules/status.hpp"

namespace crmrules {

class money {
 public:
  constexpr money() noexcept = default;

  /// From minor units (fen): `money::from_minor(12345)` is 123.45.
  [[nodiscard]] static constexpr money from_minor(std::int64_t minor) noexcept {
    return money(minor);
  }
  /// From whole major units (yuan), saturating.
  [[nodiscard]] static constexpr money from_major(std::int64_t major) noexcept {
    std::int64_t out = 0;
    if (__builtin_mul_overflow(major, std::int64_t{100}, &out)) {
      return money(major < 0 ? min_minor : max_minor);
    }
    return money(out);
  }

  /// Parses an amount in major units: "1234.56", "-12", "1,234.5", "¥800", "50万" (×10^4),
  /// "1.5亿" (×10^8). At most two decimals after scaling; anything else is invalid_argument.
  [[nodiscard]] static result<money> parse(std::string_view text);

  [[nodiscard]] constexpr std::int64_t minor() const noexcept { return minor_; }
  /// The amount in major units as a double, for formulas and reports (exact below 2^53 fen).
  [[nodiscard]] constexpr double major() const noexcept {
    return static_cast<double>(minor_) / 100.0;
  }

  /// "1234.56", "-0.50", "0.00": always two decimals, no grouping, no currency sign.
  [[nodiscard]] std::string to_string() const;

  friend constexpr bool operator==(money, money) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(money, money) noexcept = default;

  friend constexpr money operator+(money a, money b) noexcept {
    std::int64_t out = 0;
    if (__builtin_add_overflow(a.minor_, b.minor_, &out))
      return money(b.minor_ < 0 ? min_minor : max_minor);
    return money(out);
  }
  friend constexpr money operator-(money a, money b) noexcept {
    std::int64_t out = 0;
    if (__builtin_sub_overflow(a.minor_, b.minor_, &out))
      return money(b.minor_ > 0 ? min_minor : max_minor);
    return money(out);
  }
  constexpr money& operator+=(money other) noexcept { return *this = *this + other; }
  constexpr money& operator-=(money other) noexcept { return *this = *this - other; }

  /// a + b, or nullopt if it would overflow.
  [[nodiscard]] friend constexpr std::optional<money> checked_add(money a, money b) noexcept {
    std::int64_t out = 0;
    if (__builtin_add_overflow(a.minor_, b.minor_, &out)) return std::nullopt;
    return money(out);
  }

 private:
  static constexpr std::int64_t max_minor = std::numeric_limits<std::int64_t>::max();
  static constexpr std::int64_t min_minor = std::numeric_limits<std::int64_t>::min();
  constexpr explicit money(std::int64_t minor) noexcept : minor_(minor) {}
  std::int64_t minor_ = 0;
};

}  // namespace crmrules
