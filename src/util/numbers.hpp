// Internal: checked accumulation of decimal digits, shared by the money and duration parsers.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace crmrules::detail {

/// magnitude = magnitude * 10 + digit; false on overflow (magnitude unchanged then is unspecified).
inline bool push_digit(std::uint64_t& magnitude, char digit) noexcept {
  return !__builtin_mul_overflow(magnitude, std::uint64_t{10}, &magnitude) &&
         !__builtin_add_overflow(magnitude, static_cast<std::uint64_t>(digit - '0'), &magnitude);
}

/// The signed value of a magnitude, including the most negative one (-2^63); nullopt when it
/// does not fit. Magnitudes are accumulated unsigned for that reason.
inline std::optional<std::int64_t> to_signed(std::uint64_t magnitude, bool negative) noexcept {
  constexpr std::uint64_t limit = std::uint64_t{1} << 63;  // |INT64_MIN|
  if (magnitude > (negative ? limit : limit - 1)) return std::nullopt;
  return negative ? static_cast<std::int64_t>(std::uint64_t{0} - magnitude)
                  : static_cast<std::int64_t>(magnitude);
}

}  // namespace crmrules::detail
