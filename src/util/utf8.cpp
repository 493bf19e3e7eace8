#include "util/utf8.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace crmrules::detail {

char32_t decode_utf8(std::string_view s, std::size_t& i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1Fu;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0Fu;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07u;
    min = 0x10000;
  } else {
    ++i;
    return invalid_code_point;
  }
  if (i + len > s.size()) {
    ++i;
    return invalid_code_point;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return invalid_code_point;
    }
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return invalid_code_point;
  }
  i += len;
  return cp;
}

std::size_t utf8_valid_prefix_from(std::string_view s, std::size_t i) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII runs eight bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned b0 = p[i];
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    // Three-byte sequences (all of CJK) checked inline: lead E0..EF, two continuation bytes,
    // not overlong (E0 needs A0..BF next), not a surrogate (ED needs 80..9F next).
    if ((b0 & 0xF0) == 0xE0 && i + 3 <= n) {
      const unsigned b1 = p[i + 1], b2 = p[i + 2];
      const bool cont = (b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80;
      const bool shortest = b0 != 0xE0 || b1 >= 0xA0;
      const bool not_surrogate = b0 != 0xED || b1 < 0xA0;
      if (cont && shortest && not_surrogate) {
        i += 3;
        continue;
      }
    }
    std::size_t next = i;  // a copy: `i` stays in a register
    if (decode_utf8(s, next) == invalid_code_point) return i;
    i = next;
  }
  return n;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::size_t count_code_points(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n)
    decode_utf8(s, i);
  return n;
}

std::u32string to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = decode_utf8(s, i);
    out.push_back(cp == invalid_code_point ? U'\uFFFD' : cp);
  }
  return out;
}

bool has_control_char(std::string_view s) noexcept {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace crmrules::detail

namespace crmrules::detail {

int display_width(char32_t cp) noexcept {
  // utf8proc knows the East Asian width of every code point (wide and fullwidth: 2, combining: 0).
  return std::max(0, utf8proc_charwidth(static_cast<utf8proc_int32_t>(cp)));
}

std::uint32_t display_columns(std::string_view line, std::size_t code_points) noexcept {
  std::uint32_t width = 0;
  std::size_t i = 0;
  for (std::size_t n = 0; n < code_points && i < line.size(); ++n) {
    const char32_t cp = decode_utf8(line, i);
    width += static_cast<std::uint32_t>(cp == invalid_code_point ? 1 : display_width(cp));
  }
  return width;
}

}  // namespace crmrules::detail
