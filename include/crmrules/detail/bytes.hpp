// Internal: byte-string helpers used by inline code in public headers. Not part of the API.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace crmrules::detail {

/// a == b for the short keys of the hot paths (attribute names, switch cases): compares
/// lengths, then 8 bytes at a time, without a library call.
[[nodiscard]] inline bool bytes_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  for (; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace crmrules::detail
