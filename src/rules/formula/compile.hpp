// Internal: compiling a formula, with errors as offsets so that callers (the public API, the
// rules-file loader) can place them in their own text.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/rules/formula.hpp"

namespace crmrules::detail::fx {

struct formula_issue {
  std::uint32_t offset = 0;  // bytes into the formula text
  std::uint32_t length = 0;
  std::string message;
  std::string suggestion;
};

/// "a number", "text", "TRUE/FALSE"...: a type as error messages name it.
std::string describe_type(formula_type t);

/// Whether `upper` (an upper-cased name) is a built-in function.
bool is_builtin_function(std::string_view upper) noexcept;

/// Compiles `text`; on failure returns nullptr with every issue, in text order.
std::shared_ptr<const formula> compile_formula(std::string_view text, const formula_env& env,
                                               const formula_limits& limits,
                                               std::vector<formula_issue>& issues);

}  // namespace crmrules::detail::fx
