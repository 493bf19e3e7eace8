// Shared by the formula tests: an environment with a lead and a rep in scope, the custom fields
// the seed formula uses, and helpers that compile, evaluate (through the VM, checked against the
// tree evaluator) and collect errors.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "crmrules/rules/formula.hpp"
#include "rules/formula/vm.hpp"

namespace formula_test {

using namespace crmrules;

inline schema_set test_schemas() {
  schema_set s;
  auto add = [&](record_kind k, const char* name, value_type t) {
    field_def f;
    f.name = name;
    f.type = t;
    REQUIRE(s.of(k).add_field(f).ok());
  };
  add(record_kind::lead, "近30天互动频次", value_type::integer);
  add(record_kind::lead, "线索来源渠道", value_type::string);
  add(record_kind::lead, "近30天 互动频次", value_type::integer);
  add(record_kind::lead, "score", value_type::decimal);
  add(record_kind::lead, "下次回访", value_type::time);
  add(record_kind::rep, "热度", value_type::decimal);
  return s;
}

struct fixture {
  formula_env env{test_schemas()};
  std::size_t lead_scope = 0;
  std::size_t rep_scope = 0;
  std::size_t load_var = 0;
  timestamp now = *parse_timestamp("2026-11-20T09:00:00+08:00");

  fixture() {
    lead_scope = *env.add_scope("lead", record_kind::lead, {"线索"});
    rep_scope = *env.add_scope("rep", record_kind::rep, {"销售"});
    load_var = *env.add_variable("rep.load", formula_type::number, rep_scope);
  }

  std::shared_ptr<const formula> compile(std::string_view text) const {
    auto f = formula::compile(text, env);
    INFO(text);
    if (!f) FAIL(f.error().to_string());
    return *f;
  }

  diagnostics errors(std::string_view text) const {
    auto f = formula::compile(text, env);
    INFO(text);
    REQUIRE_FALSE(f);
    return f.error();
  }

  /// Evaluates `text` with `l` and `r` bound, through the VM; checks the tree agrees.
  std::string eval(std::string_view text, const lead& l = {}, const rep& r = {},
                   double load = 0) const {
    const auto f = compile(text);
    activation act(*f);
    act.set_now(now);
    REQUIRE(act.bind(lead_scope, l).ok());
    REQUIRE(act.bind(rep_scope, r).ok());
    REQUIRE(act.set_variable(load_var, formula_value::of_number(load)).ok());
    const std::string vm = f->evaluate(act).to_string();
    const std::string tree = detail::fx::evaluate_tree(*f, act).to_string();
    INFO(text);
    CHECK(vm == tree);
    return vm;
  }
};

inline lead seed_lead(const char* source, const char* budget, std::int64_t touches) {
  lead l;
  l.id = lead_id{"L1"};
  l.source = source;
  if (budget != nullptr) l.budget = *money::parse(budget);
  l.custom.set("近30天互动频次", touches);
  return l;
}

constexpr std::string_view seed_formula =
    R"(IF(线索来源="官网表单", 100, IF(线索来源="抖音私信", 85, IF(线索来源="展会扫码", 60, 40)))
  + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0))";

}  // namespace formula_test
