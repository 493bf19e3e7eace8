#include "rules/json_document.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include "util/utf8.hpp"

namespace crmrules::detail {

std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

/// A forward iterator over the text that records how many bytes the parser has consumed.
class counting_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  counting_iterator(const char* p, std::size_t* consumed) : p_(p), consumed_(consumed) {}
  reference operator*() const { return *p_; }
  counting_iterator& operator++() {
    ++p_;
    ++*consumed_;
    return *this;
  }
  counting_iterator operator++(int) {
    counting_iterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const counting_iterator& a, const counting_iterator& b) {
    return a.p_ == b.p_;  // != is rewritten from this (C++20)
  }

 private:
  const char* p_;
  std::size_t* consumed_;
};

}  // namespace

/// Builds the DOM and records positions. Mirrors nlohmann's json_sax_dom_parser.
class positioned_sax {
 public:
  using json = nlohmann::json;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  positioned_sax(json_document& doc, const std::size_t& consumed, std::size_t start,
                 diagnostics& diags)
      : doc_(doc), consumed_(consumed), scan_(start), diags_(diags) {}

  bool null() { return value(nullptr); }
  bool boolean(bool b) { return value(b); }
  bool number_integer(number_integer_t n) { return number(n); }
  bool number_unsigned(number_unsigned_t n) { return number(n); }
  bool number_float(number_float_t n, const string_t&) { return number(n); }
  bool string(string_t& s) { return value(std::move(s)); }
  bool binary(binary_t&) { return value(nullptr); }

  bool start_object(std::size_t) {
    if (!room()) return false;
    json* j = place(json::object());
    stack_.push_back({j, path_});
    return true;
  }
  bool key(string_t& k) {
    const std::size_t at = locate();
    frame& top = stack_.back();
    pending_key_ = k;
    path_ = top.path + "/" + pointer_token(k);
    if (top.node->contains(k)) {
      doc_.issues_.add(
          doc_.make_diagnostic(at, diagnostic::severity::error, path_,
                               "duplicate key '" + k + "' (first at line " +
                                   std::to_string(doc_.position_of(doc_.keys_[path_]).line) + ")"));
    } else {
      doc_.keys_[path_] = at;
    }
    return true;
  }
  bool end_object() {
    scan_ = consumed_;
    path_ = stack_.back().path;
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    if (!room()) return false;
    json* j = place(json::array());
    stack_.push_back({j, path_});
    return true;
  }
  bool end_array() {
    scan_ = consumed_;
    path_ = stack_.back().path;
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    // position counts characters read; the offending one is the last read.
    const std::size_t at = position > 0 ? std::min(position - 1, doc_.text_.size()) : 0;
    std::string msg = ex.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 3, column 5: " prefix.
    if (auto colon = msg.find(": ");
        msg.rfind("[json.exception", 0) == 0 && colon != std::string::npos) {
      msg = msg.substr(colon + 2);
    }
    diags_.add(doc_.make_diagnostic(at, diagnostic::severity::error, path_.empty() ? "" : path_,
                                    "malformed JSON: " + msg));
    return false;
  }

 private:
  struct frame {
    json* node;
    std::string path;
  };

  std::size_t locate_peek() {
    const std::size_t saved = scan_;
    const std::size_t at = locate();
    scan_ = saved;
    return at;
  }

  /// Offset of the token just reported: the first byte after the previous token that is not
  /// whitespace, a separator or part of a comment.
  std::size_t locate() {
    const std::string& t = doc_.text_;
    std::size_t i = scan_;
    while (i < t.size()) {
      const char c = t[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':') {
        ++i;
      } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '/') {
        while (i < t.size() && t[i] != '\n')
          ++i;
      } else if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
        const auto end = t.find("*/", i + 2);
        i = end == std::string::npos ? t.size() : end + 2;
      } else {
        break;
      }
    }
    scan_ = consumed_;
    return i;
  }

  json* place(json v) {
    const std::size_t at = locate();
    if (stack_.empty()) {
      doc_.root_ = std::move(v);
      doc_.values_[""] = at;
      return &doc_.root_;
    }
    frame& top = stack_.back();
    json* slot = nullptr;
    if (top.node->is_object()) {
      slot = &(*top.node)[pending_key_];
      *slot = std::move(v);
      doc_.values_.try_emplace(path_, at);
    } else {
      path_ = top.path + "/" + std::to_string(top.node->size());
      top.node->push_back(std::move(v));
      slot = &top.node->back();
      doc_.values_[path_] = at;
    }
    return slot;
  }

  bool value(json v) {
    place(std::move(v));
    if (!stack_.empty()) path_ = stack_.back().path;
    return true;
  }

  /// The lexer reads one character past a number to see where it ends; that character (a
  /// separator, a bracket, whitespace or the '/' of a comment) is not consumed yet, so the next
  /// token is searched for from it, not after it.
  template <class N>
  bool number(N n) {
    value(n);
    if (scan_ > 0) --scan_;
    return true;
  }

  /// Refuses nesting beyond max_depth: deep documents cost memory and time (a JSON pointer per
  /// level per value) and no rules file needs them.
  bool room() {
    if (stack_.size() < json_document::max_depth) return true;
    diags_.add(doc_.make_diagnostic(
        locate_peek(), diagnostic::severity::error, path_,
        "nested more than " + std::to_string(json_document::max_depth) + " levels deep"));
    return false;
  }

  json_document& doc_;
  const std::size_t& consumed_;
  std::size_t scan_;
  diagnostics& diags_;
  std::vector<frame> stack_;
  std::string path_;
  std::string pending_key_;
};

result<json_document, diagnostics> json_document::parse(std::string text, std::string file) {
  json_document doc;
  doc.file_ = std::move(file);
  doc.text_ = std::move(text);
  doc.line_starts_.push_back(0);
  for (std::size_t i = 0; i < doc.text_.size(); ++i) {
    if (doc.text_[i] == '\n') doc.line_starts_.push_back(i + 1);
  }
  diagnostics diags;
  if (auto bad = first_invalid_utf8(doc.text_)) {
    diags.add(doc.make_diagnostic(
        *bad, diagnostic::severity::error, "",
        "the file is not valid UTF-8 (byte offset " + std::to_string(*bad) + ")"));
    return diags;
  }
  const std::size_t start = doc.text_.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;  // a UTF-8 BOM
  doc.bom_ = start;
  std::size_t consumed = 0;
  positioned_sax sax(doc, consumed, start, diags);
  const char* begin = doc.text_.data();
  const char* end = begin + doc.text_.size();
  const bool ok = nlohmann::json::sax_parse(counting_iterator(begin, &consumed),
                                            counting_iterator(end, &consumed), &sax,
                                            nlohmann::json::input_format_t::json, true,
                                            /*ignore_comments=*/true);
  if (!ok || diags.has_errors()) {
    diags.append(doc.issues_);
    if (diags.empty()) {
      diags.add(doc.make_diagnostic(0, diagnostic::severity::error, "", "malformed JSON"));
    }
    return diags;
  }
  return doc;
}

std::size_t json_document::value_offset(std::string_view pointer) const {
  std::string p(pointer);
  for (;;) {
    if (auto it = values_.find(p); it != values_.end()) return it->second;
    const auto slash = p.rfind('/');
    if (slash == std::string::npos) return 0;
    p.resize(slash);
  }
}

std::size_t json_document::key_offset(std::string_view pointer) const {
  if (auto it = keys_.find(std::string(pointer)); it != keys_.end()) return it->second;
  return value_offset(pointer);
}

std::vector<std::size_t> json_document::string_map(std::string_view pointer) const {
  std::vector<std::size_t> map;
  auto it = values_.find(std::string(pointer));
  if (it == values_.end() || it->second >= text_.size() || text_[it->second] != '"') return map;
  auto hex = [&](std::size_t at) -> std::optional<unsigned> {
    if (at + 4 > text_.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text_[at + k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    return v;
  };
  std::size_t i = it->second + 1;
  while (i < text_.size() && text_[i] != '"') {
    if (text_[i] != '\\') {
      map.push_back(i++);
      continue;
    }
    const std::size_t start = i;
    if (i + 1 < text_.size() && text_[i + 1] == 'u') {
      // \uXXXX, possibly a surrogate pair: as many decoded bytes as its UTF-8 has.
      char32_t cp = hex(i + 2).value_or(0xFFFD);
      i += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < text_.size() && text_[i] == '\\' &&
          text_[i + 1] == 'u') {
        const char32_t low = hex(i + 2).value_or(0);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 6;
      }
      const std::size_t bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (std::size_t k = 0; k < bytes; ++k)
        map.push_back(start);
    } else {
      map.push_back(start);
      i += 2;
    }
  }
  map.push_back(i);
  return map;
}

source_position json_document::position_of(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line = static_cast<std::size_t>(it - line_starts_.begin());
  const std::size_t start = line == 1 ? bom_ : line_starts_[line - 1];  // the BOM is not a column
  const std::size_t column =
      offset < start ? 1
                     : count_code_points(std::string_view(text_).substr(start, offset - start)) + 1;
  return {static_cast<std::uint32_t>(line), static_cast<std::uint32_t>(column)};
}

std::string_view json_document::line_text(std::uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  const std::size_t start = line == 1 ? bom_ : line_starts_[line - 1];
  std::size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
  if (end > start && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(start, end - start);
}

diagnostic json_document::make_diagnostic(std::size_t offset, diagnostic::severity level,
                                          std::string path, std::string message,
                                          std::string suggestion) const {
  diagnostic d;
  d.level = level;
  d.file = file_;
  d.position = position_of(offset);
  d.path = std::move(path);
  d.message = std::move(message);
  d.suggestion = std::move(suggestion);
  const std::string_view line = line_text(d.position.line);
  if (!first_invalid_utf8(line)) {
    d.source_line = std::string(line);
    d.caret = display_columns(line, d.position.column - 1);
  }
  return d;
}

}  // namespace crmrules::detail
