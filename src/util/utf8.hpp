// Internal: UTF-8 decoding shared by validation, suggestions and diagnostics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace crmrules::detail {

/// Sentinel returned by decode_utf8 for an ill-formed sequence.
inline constexpr char32_t invalid_code_point = 0xFFFFFFFF;

/// Decodes the code point starting at `s[i]` and advances `i` past it. On an ill-formed
/// sequence (overlong, surrogate, > U+10FFFF, truncated, stray continuation byte) returns
/// `invalid_code_point` and advances `i` by one byte.
char32_t decode_utf8(std::string_view s, std::size_t& i) noexcept;

/// utf8_valid_prefix from byte `i` on (s[..i) being valid).
std::size_t utf8_valid_prefix_from(std::string_view s, std::size_t i) noexcept;

/// Byte offset of the first ill-formed sequence, or s.size() when `s` is valid UTF-8 (the
/// plain-integer form: validation of every record runs on it). ASCII text (ids, codes,
/// phones, emails) is checked inline, eight bytes at a time.
inline std::size_t utf8_valid_prefix(std::string_view s) noexcept {
  const std::size_t n = s.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) return utf8_valid_prefix_from(s, i);
  }
  for (; i < n; ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) return utf8_valid_prefix_from(s, i);
  }
  return n;
}

/// Byte offset of the first ill-formed sequence, or nullopt when `s` is valid UTF-8.
inline std::optional<std::size_t> first_invalid_utf8(std::string_view s) noexcept {
  const std::size_t at = utf8_valid_prefix(s);
  return at == s.size() ? std::nullopt : std::optional<std::size_t>(at);
}

/// Appends the UTF-8 encoding of `cp` (must be a valid scalar value).
void append_utf8(std::string& out, char32_t cp);

/// Code points in `s` (ill-formed bytes count one each).
std::size_t count_code_points(std::string_view s) noexcept;

/// Decodes all of `s` (ill-formed bytes become U+FFFD).
std::u32string to_u32(std::string_view s);

/// ASCII lower-casing; other bytes unchanged.
std::string ascii_lower(std::string_view s);

/// Whether `s` contains an ASCII control character (U+0000..U+001F or DEL): not allowed in ids
/// and names.
bool has_control_char(std::string_view s) noexcept;

/// `s` without leading and trailing ASCII spaces and tabs.
std::string_view trim_blanks(std::string_view s) noexcept;

}  // namespace crmrules::detail

namespace crmrules::detail {

/// Terminal columns a code point takes (utf8proc): 2 for East Asian wide and fullwidth
/// characters (CJK, Hangul, fullwidth forms), 0 for combining marks, 1 otherwise.
int display_width(char32_t cp) noexcept;

/// Display width of the first `code_points` code points of `line`.
std::uint32_t display_columns(std::string_view line, std::size_t code_points) noexcept;

}  // namespace crmrules::detail
