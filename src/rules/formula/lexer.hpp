// Internal: the formula lexer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crmrules::detail::fx {

enum class tok : std::uint8_t {
  end,
  number,     // value in `number`
  duration,   // value in `micros`
  string,     // unescaped text in `text`
  ident,      // name in `text`
  bracketed,  // [name with spaces], name in `text`
  lparen,
  rparen,
  comma,
  dot,
  plus,
  minus,
  star,
  slash,
  caret,
  amp,
  percent,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  error,  // the lexer reported an error at this token; `text` holds the message
};

struct token {
  tok kind = tok::end;
  std::uint32_t offset = 0;  // bytes into the formula
  std::uint32_t length = 0;
  double number = 0;
  std::int64_t micros = 0;
  std::string text;
  std::string suggestion;  // for errors
};

/// A lexical error: where, what, and what to type instead.
struct lex_error {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::string message;
  std::string suggestion;
};

/// Splits `text` into tokens (always ending with tok::end). Every lexical error is reported in
/// `errors`; the offending characters become tok::error tokens so the parser can go on and find
/// more.
std::vector<token> lex(std::string_view text, std::vector<lex_error>& errors);

/// Whether a code point may appear in a bare identifier (Unicode letters, marks and numbers,
/// and '_'). Digits may not start one.
bool is_ident_char(char32_t cp) noexcept;

/// Upper-cases ASCII letters (function and keyword names are case-insensitive).
std::string ascii_upper(std::string_view s);

}  // namespace crmrules::detail::fx
