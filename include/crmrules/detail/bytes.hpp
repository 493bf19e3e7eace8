// Internal: byte-string helpers used by inline code in public headers. Not part of the API.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace crmrules::detail {

/// Byte equality of two texts of `n` bytes each, without a library call: 8 bytes at a time
/// (the last word overlapping the one before), or two overlapping 4-byte halves (a
/// two-character Chinese word is 6 bytes).
[[nodiscard]] inline bool same_bytes(const char* x, const char* y, std::size_t n) noexcept {
  if (n >= 8) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&a, x + i, 8);
      std::memcpy(&b, y + i, 8);
      if (a != b) return false;
    }
    std::memcpy(&a, x + n - 8, 8);
    std::memcpy(&b, y + n - 8, 8);
    return a == b;
  }
  if (n >= 4) {
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::uint32_t c = 0;
    std::uint32_t d = 0;
    std::memcpy(&a, x, 4);
    std::memcpy(&b, y, 4);
    std::memcpy(&c, x + n - 4, 4);
    std::memcpy(&d, y + n - 4, 4);
    return ((a ^ b) | (c ^ d)) == 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

/// a == b for the short keys of the hot paths (attribute names, switch cases, list items).
[[nodiscard]] inline bool bytes_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size());
}

}  // namespace crmrules::detail
