#include "rules/formula/lexer.hpp"

#include <utf8proc.h>

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

#include "model/duration_units.hpp"
#include "util/utf8.hpp"

namespace crmrules::detail::fx {

bool is_ident_char(char32_t cp) noexcept {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

namespace {

using unit = detail::duration_unit;
using detail::duration_units;

/// Full-width and typographic punctuation people type with a Chinese input method, and the
/// ASCII token the formula needs instead.
struct lookalike {
  char32_t cp;
  tok kind;
  std::string_view ascii;
};
constexpr std::array<lookalike, 16> lookalikes{{
    {U'（', tok::lparen, "("},
    {U'）', tok::rparen, ")"},
    {U'，', tok::comma, ","},
    {U'、', tok::comma, ","},
    {U'；', tok::comma, ","},
    {U'＝', tok::eq, "="},
    {U'＞', tok::gt, ">"},
    {U'＜', tok::lt, "<"},
    {U'＋', tok::plus, "+"},
    {U'－', tok::minus, "-"},
    {U'＊', tok::star, "*"},
    {U'／', tok::slash, "/"},
    {U'．', tok::dot, "."},
    {U'％', tok::percent, "%"},
    {U'×', tok::star, "*"},
    {U'÷', tok::slash, "/"},
}};

class lexer {
 public:
  lexer(std::string_view s, std::vector<lex_error>& errors) : s_(s), errors_(errors) {}

  std::vector<token> run() {
    std::vector<token> out;
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) {
        token t;
        t.kind = tok::end;
        t.offset = static_cast<std::uint32_t>(s_.size());
        out.push_back(std::move(t));
        return out;
      }
      out.push_back(next());
    }
  }

 private:
  [[nodiscard]] char32_t peek_cp(std::size_t at, std::size_t* len = nullptr) const {
    std::size_t j = at;
    const char32_t cp = decode_utf8(s_, j);
    if (len != nullptr) *len = j - at;
    return cp;
  }

  void skip_space() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i_;
        continue;
      }
      std::size_t len = 0;
      const char32_t cp = peek_cp(i_, &len);
      if (cp == 0x3000 || cp == 0xA0 || cp == 0xFEFF) {  // ideographic space, NBSP, BOM
        i_ += len;
        continue;
      }
      return;
    }
  }

  token make(tok kind, std::size_t start) const {
    token t;
    t.kind = kind;
    t.offset = static_cast<std::uint32_t>(start);
    t.length = static_cast<std::uint32_t>(i_ - start);
    return t;
  }

  token fail(std::size_t start, std::string message, std::string suggestion = {}) {
    errors_.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(i_ - start),
                       message, suggestion});
    token t = make(tok::error, start);
    t.text = std::move(message);
    t.suggestion = std::move(suggestion);
    return t;
  }

  bool at_ident_char(std::size_t at) const {
    if (at >= s_.size()) return false;
    return is_ident_char(peek_cp(at));
  }

  void skip_ident_chars() {
    while (i_ < s_.size()) {
      std::size_t len = 0;
      const char32_t cp = peek_cp(i_, &len);
      if (!is_ident_char(cp)) return;
      i_ += len;
    }
  }

  token next() {
    const std::size_t start = i_;
    const char c = s_[i_];
    if ((c >= '0' && c <= '9') ||
        (c == '.' && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9')) {
      return number(start);
    }
    switch (c) {
      case '"':
        return string(start, '"');
      case '[':
        return bracketed(start);
      case '(':
        ++i_;
        return make(tok::lparen, start);
      case ')':
        ++i_;
        return make(tok::rparen, start);
      case ',':
        ++i_;
        return make(tok::comma, start);
      case '.':
        ++i_;
        return make(tok::dot, start);
      case '+':
        ++i_;
        return make(tok::plus, start);
      case '-':
        ++i_;
        return make(tok::minus, start);
      case '*':
        ++i_;
        return make(tok::star, start);
      case '/':
        ++i_;
        return make(tok::slash, start);
      case '^':
        ++i_;
        return make(tok::caret, start);
      case '%':
        ++i_;
        return make(tok::percent, start);
      case '&':
        ++i_;
        if (i_ < s_.size() && s_[i_] == '&') {
          ++i_;
          return recover(fail(start, "'&&' is not an operator", "AND"), tok::ident, "AND");
        }
        return make(tok::amp, start);
      case '|':
        ++i_;
        if (i_ < s_.size() && s_[i_] == '|') ++i_;
        return recover(fail(start, "'||' is not an operator", "OR"), tok::ident, "OR");
      case '=':
        ++i_;
        if (i_ < s_.size() && s_[i_] == '=') {
          ++i_;
          return recover(fail(start, "'==' is not an operator; equality is a single '='", "="),
                         tok::eq, "");
        }
        return make(tok::eq, start);
      case '!':
        ++i_;
        if (i_ < s_.size() && s_[i_] == '=') {
          ++i_;
          return recover(fail(start, "'!=' is not an operator; 'not equal' is '<>'", "<>"), tok::ne,
                         "");
        }
        return recover(fail(start, "'!' is not an operator", "NOT"), tok::ident, "NOT");
      case '<':
        ++i_;
        if (i_ < s_.size() && s_[i_] == '>') {
          ++i_;
          return make(tok::ne, start);
        }
        if (i_ < s_.size() && s_[i_] == '=') {
          ++i_;
          return make(tok::le, start);
        }
        return make(tok::lt, start);
      case '>':
        ++i_;
        if (i_ < s_.size() && s_[i_] == '=') {
          ++i_;
          return make(tok::ge, start);
        }
        return make(tok::gt, start);
      default:
        break;
    }
    std::size_t len = 0;
    const char32_t cp = peek_cp(i_, &len);
    if (cp == invalid_code_point) {
      ++i_;
      return fail(start, "invalid UTF-8 byte in the formula");
    }
    if (is_ident_char(cp) && !(cp >= '0' && cp <= '9')) {
      skip_ident_chars();
      token t = make(tok::ident, start);
      t.text = std::string(s_.substr(start, i_ - start));
      return t;
    }
    if (cp == U'“' || cp == U'”' || cp == U'＂') {
      // Typographic quotes: read a string up to the matching one, and say what to type.
      token t = string(start, 0);
      if (t.kind == tok::string) {
        errors_.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(len),
                           "typographic quote: strings need straight double quotes", "\""});
      }
      return t;
    }
    if (cp == U'【' || cp == U'】') {
      i_ += len;
      return fail(start, "full-width bracket: field names go in ASCII brackets",
                  cp == U'【' ? "[" : "]");
    }
    for (const auto& l : lookalikes) {
      if (l.cp == cp) {
        i_ += len;
        std::string what(s_.substr(start, len));
        return recover(
            fail(start, "full-width '" + what + "': use the ASCII '" + std::string(l.ascii) + "'",
                 std::string(l.ascii)),
            l.kind, "");
      }
    }
    i_ += len;
    return fail(start, "unexpected character '" + std::string(s_.substr(start, len)) + "'");
  }

  /// After reporting an error, continue as if the intended token had been typed, so one slip
  /// does not cascade into a screen of follow-on errors.
  static token recover(token t, tok as, std::string_view text) {
    t.kind = as;
    t.text = std::string(text);
    return t;
  }

  token number(std::size_t start) {
    // The literal's extent: digits [. digits] [e [+-] digits]; converted with from_chars
    // (correctly rounded, locale-independent).
    std::size_t j = i_;
    while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9')
      ++j;
    if (j < s_.size() && s_[j] == '.') {
      ++j;  // "5." reads as 5.0; a second '.' below is an error
      while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9')
        ++j;
    }
    if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
      std::size_t k = j + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (k < s_.size() && s_[k] >= '0' && s_[k] <= '9') {
        while (k < s_.size() && s_[k] >= '0' && s_[k] <= '9')
          ++k;
        j = k;
      }
    }
    double value = 0;
    std::string literal(s_.substr(i_, j - i_));
    if (!literal.empty() && literal.back() == '.') literal.pop_back();
    if (!literal.empty() && literal.front() == '.') literal.insert(literal.begin(), '0');
    const auto [end_ptr, ec] =
        std::from_chars(literal.data(), literal.data() + literal.size(), value);
    i_ = j;
    if (ec == std::errc::result_out_of_range) return fail(start, "number out of range");
    if (ec != std::errc{} || end_ptr != literal.data() + literal.size()) {
      return fail(start, "malformed number '" + std::string(s_.substr(start, i_ - start)) + "'");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      while (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '.'))
        ++i_;
      return fail(start, "malformed number '" + std::string(s_.substr(start, i_ - start)) + "'");
    }
    if (!std::isfinite(value)) return fail(start, "number out of range");

    // Chinese magnitudes: 50万 = 500000, 1.5亿 = 150000000; an optional 元 after them.
    for (auto [suffix, scale] : {std::pair<std::string_view, double>{"万", 1e4}, {"亿", 1e8}}) {
      if (s_.substr(i_, suffix.size()) == suffix) {
        i_ += suffix.size();
        value *= scale;
        break;
      }
    }
    if (s_.substr(i_, 3) == "元") i_ += 3;

    // Durations: 2h, 72h, 7d, 30m, 1h30m, 3天.
    std::int64_t micros = 0;
    bool is_duration = false;
    bool needs_unit = false;  // digits after a unit (1h30): another unit must follow
    for (;;) {
      const unit* u = nullptr;
      for (const auto& cand : duration_units) {
        if (s_.substr(i_, cand.name.size()) == cand.name) {
          // "2hours" is not "2h" + "ours": a unit must end the word.
          const bool ascii_unit = cand.name[0] >= 'a' && cand.name[0] <= 'z';
          if (ascii_unit && at_ident_char(i_ + cand.name.size()) &&
              !(s_[i_ + cand.name.size()] >= '0' && s_[i_ + cand.name.size()] <= '9')) {
            continue;
          }
          u = &cand;
          break;
        }
      }
      if (u == nullptr) {
        if (needs_unit && !at_ident_char(i_)) {  // a word (1h30min) gets its hint below
          return fail(start, "duration '" + std::string(s_.substr(start, i_ - start)) +
                                 "' ends in a number without a unit; write e.g. 1h30m");
        }
        break;
      }
      needs_unit = false;
      i_ += u->name.size();
      const double part = value * static_cast<double>(u->micros);
      if (!std::isfinite(part) || std::fabs(part) > 9.0e18 ||
          std::fabs(static_cast<double>(micros) + part) > 9.0e18) {
        return fail(start, "duration out of range");
      }
      micros += static_cast<std::int64_t>(std::llround(part));
      is_duration = true;
      // 1h30m: another number and unit may follow directly.
      if (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        value = 0;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
          value = value * 10 + (s_[i_++] - '0');
        needs_unit = true;
        continue;
      }
      break;
    }
    if (at_ident_char(i_)) {
      const std::size_t bad = i_;
      skip_ident_chars();
      const std::string word(s_.substr(bad, i_ - bad));
      std::string hint;
      if (word.rfind("hour", 0) == 0) hint = "h";
      if (word.rfind("day", 0) == 0) hint = "d";
      if (word.rfind("min", 0) == 0) hint = "m";
      if (word.rfind("week", 0) == 0) hint = "w";
      if (word.rfind("sec", 0) == 0) hint = "s";
      return fail(start,
                  "unexpected '" + word +
                      "' after a number (durations use w, d, h, m, s, ms; names cannot start "
                      "with a digit unless written in [brackets])",
                  hint.empty() ? "" : std::string(s_.substr(start, bad - start)) + hint);
    }
    token t = make(is_duration ? tok::duration : tok::number, start);
    t.number = value;
    t.micros = micros;
    return t;
  }

  /// A string in quotes; `""` inside is one quote. quote == 0: typographic quotes “...”.
  token string(std::size_t start, char quote) {
    std::size_t len = 0;
    (void)peek_cp(i_, &len);  // the opening quote, one or more bytes
    i_ += len;
    std::string text;
    while (i_ < s_.size()) {
      std::size_t n = 0;
      const char32_t cp = peek_cp(i_, &n);
      const bool closes = quote != 0 ? s_[i_] == quote : (cp == U'”' || cp == U'“' || cp == U'＂');
      if (closes) {
        if (quote != 0 && i_ + 1 < s_.size() && s_[i_ + 1] == quote) {
          text.push_back(quote);
          i_ += 2;
          continue;
        }
        i_ += n;
        token t = make(tok::string, start);
        t.text = std::move(text);
        return t;
      }
      text.append(s_.substr(i_, n));
      i_ += n;
    }
    i_ = s_.size();
    return fail(start,
                "unterminated string: add a closing \" (write \"\" for a quote inside the text)");
  }

  token bracketed(std::size_t start) {
    ++i_;
    const std::size_t close = s_.find(']', i_);
    if (close == std::string_view::npos) {
      i_ = s_.size();
      return fail(start, "unterminated field name: add a closing ]");
    }
    std::string name(s_.substr(i_, close - i_));
    i_ = close + 1;
    if (name.empty()) return fail(start, "empty field name []");
    token t = make(tok::bracketed, start);
    t.text = std::move(name);
    return t;
  }

  std::string_view s_;
  std::vector<lex_error>& errors_;
  std::size_t i_ = 0;
};

}  // namespace

std::vector<token> lex(std::string_view text, std::vector<lex_error>& errors) {
  return lexer(text, errors).run();
}

}  // namespace crmrules::detail::fx
