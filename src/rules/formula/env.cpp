#include <algorithm>

#include "crmrules/model/validate.hpp"
#include "rules/formula/compile.hpp"
#include "rules/formula/lexer.hpp"
#include "util/utf8.hpp"

namespace crmrules {

namespace {

/// A name a formula can spell without brackets: identifier characters, not starting with a digit.
bool is_bare_name(std::string_view name) {
  if (name.empty() || !is_valid_utf8(name)) return false;
  if (name[0] >= '0' && name[0] <= '9') return false;
  for (std::size_t i = 0; i < name.size();) {
    if (!detail::fx::is_ident_char(detail::decode_utf8(name, i))) return false;
  }
  return true;
}

}  // namespace

formula_env::formula_env(schema_set schemas) : schemas_(std::move(schemas)) {}

result<std::size_t> formula_env::add_scope(std::string name, record_kind kind,
                                           std::vector<std::string> aliases) {
  if (scopes_.size() >= max_scopes) {
    return status::invalid_argument("a formula can see at most " + std::to_string(max_scopes) +
                                    " records");
  }
  aliases.insert(aliases.begin(), name);
  for (const auto& n : aliases) {
    if (!is_bare_name(n))
      return status::invalid_argument("scope name '" + n + "' is not a plain name");
    for (const auto& s : scopes_) {
      if (s.name == n || std::find(s.aliases.begin(), s.aliases.end(), n) != s.aliases.end()) {
        return status::invalid_argument("scope name '" + n + "' is already used");
      }
    }
  }
  aliases.erase(aliases.begin());
  scopes_.push_back({std::move(name), std::move(aliases), kind});
  return scopes_.size() - 1;
}

result<std::size_t> formula_env::add_variable(std::string name, formula_type type,
                                              std::size_t scope) {
  std::string_view rest = name;
  while (true) {
    const auto dot = rest.find('.');
    if (!is_bare_name(rest.substr(0, dot))) {
      return status::invalid_argument("variable name '" + name +
                                      "' must be plain names joined by dots");
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (type == formula_type::blank)
    return status::invalid_argument("variable '" + name + "' needs a type");
  if (scope != npos && scope >= scopes_.size()) {
    return status::invalid_argument("variable '" + name + "' names scope " + std::to_string(scope) +
                                    ", which does not exist");
  }
  for (const auto& v : variables_) {
    if (v.name == name)
      return status::already_exists("variable '" + name + "' is already declared");
  }
  variables_.push_back({std::move(name), type, scope});
  return variables_.size() - 1;
}

status formula_env::add_function(function_def f) {
  const bool ascii_name = !f.name.empty() && !(f.name[0] >= '0' && f.name[0] <= '9') &&
                          std::all_of(f.name.begin(), f.name.end(), [](char c) {
                            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                   (c >= '0' && c <= '9') || c == '_';
                          });
  if (!ascii_name)
    return status::invalid_argument("function name '" + f.name +
                                    "' must be ASCII letters, digits and _");
  const std::string upper = detail::fx::ascii_upper(f.name);
  if (detail::fx::is_builtin_function(upper) || upper == "AND" || upper == "OR" || upper == "NOT" ||
      upper == "NULL" || upper == "BLANK") {
    return status::invalid_argument("'" + f.name + "' is a built-in name");
  }
  if (f.impl == nullptr)
    return status::invalid_argument("function '" + f.name + "' has no implementation");
  if (f.returns == formula_type::blank)
    return status::invalid_argument("function '" + f.name + "' needs a return type");
  if (f.variadic && f.params.empty()) {
    return status::invalid_argument("variadic function '" + f.name +
                                    "' needs at least one parameter");
  }
  if (f.min_args == SIZE_MAX) f.min_args = f.params.size();
  if (f.min_args > f.params.size()) {
    return status::invalid_argument("function '" + f.name +
                                    "' requires more arguments than it has parameters");
  }
  for (const auto& g : functions_) {
    if (detail::fx::ascii_upper(g.name) == upper)
      return status::already_exists("function '" + f.name + "' is already registered");
  }
  functions_.push_back(std::move(f));
  return {};
}

}  // namespace crmrules
