// Dedup policy helpers: kernel names, the pair formula environment, PHONE_VALID.
#include "crmrules/dedup/policy.hpp"

#include <string>

#include "crmrules/dedup/normalise.hpp"
#include "dedup/phone_key.hpp"

namespace crmrules::dedup {

std::string_view to_string(kernel k) noexcept {
  switch (k) {
    case kernel::jaro_winkler:
      return "jaro_winkler";
    case kernel::levenshtein:
      return "levenshtein";
    case kernel::bigram_dice:
      return "bigram_dice";
    case kernel::token_set:
      return "token_set";
  }
  return "jaro_winkler";
}

std::optional<kernel> parse_kernel(std::string_view name) noexcept {
  for (kernel k :
       {kernel::jaro_winkler, kernel::levenshtein, kernel::bigram_dice, kernel::token_set}) {
    if (to_string(k) == name) return k;
  }
  return std::nullopt;
}

namespace {

bool valid_number(std::string_view text, std::string_view region) noexcept {
  try {
    auto p = internal::phone_key(text, region);  // validity only: no classification
    return p && p->valid;
  } catch (...) {
    return false;
  }
}

formula_value phone_valid(std::span<const formula_value> args, const eval_context&, const void*) {
  std::string_view region = "CN";
  if (args.size() > 1 && !args[1].is_blank()) {
    if (args[1].type() != formula_type::string)
      return formula_value::error(formula_type::boolean, formula_error::value);
    region = args[1].as_string();
  }
  const formula_value& v = args[0];
  if (v.is_error()) return formula_value::error(formula_type::boolean, v.error());
  if (v.is_blank()) return formula_value::of_bool(false);
  if (v.type() == formula_type::string)
    return formula_value::of_bool(valid_number(v.as_string(), region));
  if (v.type() == formula_type::string_list) {
    for (const std::string& s : v.as_list())
      if (valid_number(s, region)) return formula_value::of_bool(true);
    return formula_value::of_bool(false);
  }
  return formula_value::error(formula_type::boolean, formula_error::value);
}

}  // namespace

function_def phone_valid_function() {
  function_def f;
  f.name = "PHONE_VALID";
  f.params = {formula_type::blank, formula_type::string};
  f.min_args = 1;
  f.returns = formula_type::boolean;
  f.impl = phone_valid;
  f.pure = true;
  f.description =
      "whether a phone number (or any of a list of them) is valid: PHONE_VALID(phone[, \"CN\"])";
  return f;
}

formula_env pair_env(const schema_set& schemas) {
  formula_env env(schemas);
  (void)env.add_scope("a", record_kind::customer, {"甲"});
  (void)env.add_scope("b", record_kind::customer, {"乙"});
  (void)env.add_variable("name_similarity", formula_type::number);
  (void)env.add_function(phone_valid_function());
  return env;
}

}  // namespace crmrules::dedup
