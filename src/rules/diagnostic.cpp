#include "crmrules/rules/diagnostic.hpp"

#include <string>

namespace crmrules {

std::string diagnostic::summary() const {
  std::string out = file.empty() ? std::string("<rules>") : file;
  if (position.line > 0) {
    out += ":" + std::to_string(position.line) + ":" + std::to_string(position.column);
  }
  out += level == severity::error ? ": error: " : ": warning: ";
  out += message;
  if (!path.empty()) out += " (at " + path + ")";
  if (!suggestion.empty()) out += "; did you mean '" + suggestion + "'?";
  return out;
}

std::string diagnostic::to_string() const {
  std::string out = summary();
  if (position.line > 0 && !source_line.empty()) {
    const std::string number = std::to_string(position.line);
    std::string line = source_line;
    for (char& c : line) {
      if (c == '\t') c = ' ';
    }
    out +=
        "\n " + std::string(4 > number.size() ? 4 - number.size() : 0, ' ') + number + " | " + line;
    out += "\n " + std::string(std::max<std::size_t>(4, number.size()), ' ') + " | " +
           std::string(caret, ' ') + "^";
  }
  return out;
}

bool diagnostics::has_errors() const noexcept {
  return error_count() > 0;
}

std::size_t diagnostics::error_count() const noexcept {
  std::size_t n = 0;
  for (const auto& d : items_)
    n += d.level == diagnostic::severity::error ? 1 : 0;
  return n;
}

std::string diagnostics::to_string() const {
  std::string out;
  for (const auto& d : items_)
    out += d.to_string() + "\n";
  const std::size_t errors = error_count();
  const std::size_t warnings = items_.size() - errors;
  out += std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") +
         std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
  return out;
}

}  // namespace crmrules
