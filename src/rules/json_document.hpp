// Internal: a rules file parsed by nlohmann-json, with the source position of every key and value.
//
// nlohmann-json 3.11 (Debian 12) keeps no positions in its DOM, so the file is parsed through
// its SAX interface with an input iterator that counts the bytes consumed; at each event the
// token's first byte is found by skipping whitespace, separators and comments from where the
// previous token ended. Duplicate keys are reported (the DOM would silently keep the last one).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crmrules/rules/diagnostic.hpp"
#include "crmrules/status.hpp"

namespace crmrules::detail {

class json_document {
 public:
  /// Nesting deeper than this is refused (no rules file needs it; it bounds memory and time).
  static constexpr std::size_t max_depth = 64;

  /// Parses `text`; comments (// and /* */) are allowed. Errors that stop parsing (malformed
  /// JSON, invalid UTF-8, nesting beyond max_depth) are returned as diagnostics naming `file`.
  /// Duplicate keys do not stop it: they are in issues(), so loaders still report everything.
  static result<json_document, diagnostics> parse(std::string text, std::string file);

  /// Problems found while parsing that did not stop it (duplicate keys).
  [[nodiscard]] const diagnostics& issues() const noexcept { return issues_; }

  [[nodiscard]] const nlohmann::json& root() const noexcept { return root_; }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

  /// Byte offset where the value at JSON pointer `pointer` starts (for a string: its opening
  /// quote); the nearest recorded ancestor's when the pointer is unknown.
  [[nodiscard]] std::size_t value_offset(std::string_view pointer) const;
  /// Byte offset of the key (its opening quote) that introduces `pointer`, else value_offset.
  [[nodiscard]] std::size_t key_offset(std::string_view pointer) const;

  /// For the string value at `pointer`: the file offset of every byte of its decoded text (and
  /// one past the end, the closing quote), following escapes such as \" and \u4E2D. Lets
  /// errors found inside a string (a formula) point into the file. Empty if not a string.
  [[nodiscard]] std::vector<std::size_t> string_map(std::string_view pointer) const;

  /// A diagnostic at byte `offset`, with line, column, the source line and the caret filled in.
  [[nodiscard]] diagnostic make_diagnostic(std::size_t offset, diagnostic::severity level,
                                           std::string path, std::string message,
                                           std::string suggestion = {}) const;

  /// Line and column (code points) of a byte offset.
  [[nodiscard]] source_position position_of(std::size_t offset) const;
  [[nodiscard]] std::string_view line_text(std::uint32_t line) const;

 private:
  friend class positioned_sax;
  std::string file_;
  std::string text_;
  nlohmann::json root_;
  std::vector<std::size_t> line_starts_;
  std::unordered_map<std::string, std::size_t> values_;
  std::unordered_map<std::string, std::size_t> keys_;
  std::size_t bom_ = 0;  // 3 when the text starts with a UTF-8 byte order mark
  diagnostics issues_;
};

/// Escapes one JSON pointer reference token ("a/b" -> "a~1b").
std::string pointer_token(std::string_view key);

}  // namespace crmrules::detail
