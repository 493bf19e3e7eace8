// crmrules rules: diagnostics, the errors and warnings found in a rules file or formula.
//
// Loading never stops at the first mistake: every error is collected with its file, line,
// column (1-based, counted in Unicode code points) and JSON path, plus a suggestion where one
// exists, and the caller gets all of them at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crmrules {

struct source_position {
  std::uint32_t line = 0;    ///< 1-based; 0 when unknown (e.g. the file could not be read)
  std::uint32_t column = 0;  ///< 1-based, in code points
  friend bool operator==(const source_position&, const source_position&) = default;
};

struct diagnostic {
  enum class severity : std::uint8_t { error, warning };

  severity level = severity::error;
  std::string file;  ///< the rules file, or "<string>" for text loaded from memory
  source_position position;
  std::string path;     ///< JSON pointer of the offending element: /schema/lead/fields/预算/type
  std::string message;  ///< what is wrong: "unknown type 'int'"
  std::string suggestion;   ///< a replacement to try ("integer"), or empty
  std::string source_line;  ///< the text of the offending line, for the caret excerpt
  std::uint32_t caret = 0;  ///< display column (East Asian wide characters count 2) of the caret

  /// Compiler style, with an excerpt when the line is known:
  /// ```
  /// rules.json:7:17: error: unknown type 'int' (at /schema/lead/fields/预算/type); did you mean
  /// 'integer'?
  ///     7 |         "type": "int"
  ///       |                 ^
  /// ```
  [[nodiscard]] std::string to_string() const;

  /// The first line only: "file:line:col: error: message; did you mean 'x'?".
  [[nodiscard]] std::string summary() const;
};

/// Every diagnostic of one load, in the order found.
class diagnostics {
 public:
  void add(diagnostic d) { items_.push_back(std::move(d)); }
  void append(const diagnostics& other) { items_.insert(items_.end(), other.begin(), other.end()); }

  [[nodiscard]] bool has_errors() const noexcept;
  [[nodiscard]] std::size_t error_count() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  [[nodiscard]] const diagnostic& operator[](std::size_t i) const { return items_[i]; }
  [[nodiscard]] std::vector<diagnostic>::const_iterator begin() const noexcept {
    return items_.begin();
  }
  [[nodiscard]] std::vector<diagnostic>::const_iterator end() const noexcept {
    return items_.end();
  }

  /// Every diagnostic's to_string(), one after another, then "N errors, M warnings".
  [[nodiscard]] std::string to_string() const;

 private:
  std::vector<diagnostic> items_;
};

}  // namespace crmrules
