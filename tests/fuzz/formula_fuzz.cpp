// libFuzzer target for the rules language: the whole input is formula text.
//
// Every input goes through the lexer, parser and checker. One that compiles is then evaluated
// against several leads and reps (full, blank and odd values) by the bytecode VM, and the result
// is checked against the reference tree evaluator, after partial evaluation too, and against
// the explanation. Failures of those checks abort, so libFuzzer records the input.
//
// Built with clang by the `fuzz` preset (./run fuzz); the same file, with replay_main.cpp, is
// also an ordinary test that replays the corpus in tests/fuzz/corpus/formula.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/rules/formula.hpp"
#include "rules/formula/vm.hpp"

namespace {

using namespace crmrules;

[[noreturn]] void fail(std::string_view what, std::string_view text, const std::string& a,
                       const std::string& b) {
  std::fprintf(stderr, "formula_fuzz: %.*s\n  formula: %.*s\n  %s\n  %s\n",
               static_cast<int>(what.size()), what.data(), static_cast<int>(text.size()),
               text.data(), a.c_str(), b.c_str());
  std::abort();
}

void require(const status& st, const char* what) {
  if (st.ok()) return;
  std::fprintf(stderr, "formula_fuzz: setting up %s: %s\n", what, st.to_string().c_str());
  std::abort();
}

formula_value count_events(std::span<const formula_value> args, const eval_context& ctx,
                           const void*) {
  // Depends on its arguments and on the bound lead, like the engines' COUNT_EVENTS.
  if (args[0].is_blank() || args[1].is_blank()) return formula_value::blank(formula_type::number);
  const auto* l = static_cast<const lead*>(ctx.record(0));
  const double base = l == nullptr ? 0 : static_cast<double>(l->tags.size());
  return formula_value::of_number(base + static_cast<double>(args[0].as_string().size()));
}

formula_value shout(std::span<const formula_value> args, const eval_context& ctx, const void*) {
  if (args[0].is_blank()) return formula_value::blank(formula_type::string);
  return formula_value::of_string(ctx.keep(std::string(args[0].as_string()) + "!"));
}

struct world {
  formula_env env;
  std::size_t lead_scope = 0, rep_scope = 0, load_var = 0;
  std::vector<lead> leads;
  std::vector<rep> reps;
  timestamp now = *parse_timestamp("2026-11-20T09:00:00+08:00");

  static schema_set schemas() {
    schema_set s;
    auto add = [&](record_kind k, const char* name, value_type t) {
      field_def f;
      f.name = name;
      f.type = t;
      require(s.of(k).add_field(f), name);
    };
    add(record_kind::lead, "近30天互动频次", value_type::integer);
    add(record_kind::lead, "线索来源渠道", value_type::string);
    add(record_kind::lead, "近30天 互动频次", value_type::integer);
    add(record_kind::lead, "score", value_type::decimal);
    add(record_kind::lead, "下次回访", value_type::time);
    add(record_kind::lead, "兴趣标签", value_type::string_list);
    add(record_kind::rep, "热度", value_type::decimal);
    return s;
  }

  world() : env(schemas()) {
    lead_scope = *env.add_scope("lead", record_kind::lead, {"线索"});
    rep_scope = *env.add_scope("rep", record_kind::rep, {"销售"});
    load_var = *env.add_variable("rep.load", formula_type::number, rep_scope);
    function_def ce;
    ce.name = "COUNT_EVENTS";
    ce.params = {formula_type::string, formula_type::interval};
    ce.returns = formula_type::number;
    ce.impl = &count_events;
    ce.pure = false;
    ce.reads_scopes = 1u << lead_scope;
    require(env.add_function(ce), "COUNT_EVENTS");
    function_def sh;
    sh.name = "SHOUT";
    sh.params = {formula_type::string};
    sh.returns = formula_type::string;
    sh.impl = &shout;
    require(env.add_function(sh), "SHOUT");

    lead full;
    full.id = lead_id{"L1"};
    full.source = "官网表单";
    full.region = "华东";
    full.email = "A.B@Example.COM";
    full.phone = "13800138000";
    full.budget = money::from_major(600000);
    full.created_at = *parse_timestamp("2026-11-18T09:00:00Z");
    full.first_touch_at = full.created_at + std::chrono::minutes(90);
    full.tags = {"VIP", "展会"};
    full.custom.set("近30天互动频次", std::int64_t{4});
    full.custom.set("score", 2.5);
    full.custom.set("兴趣标签", std::vector<std::string>{"a", "b"});
    leads.push_back(full);

    lead blank;  // every optional field blank, no custom attributes
    blank.id = lead_id{"L2"};
    leads.push_back(blank);

    lead odd;  // extremes: negative and huge amounts, empty and long text, wrong custom types
    odd.id = lead_id{"L3"};
    odd.source = "";
    odd.region = std::string(200, 'x');
    odd.budget = money::from_minor(-9'000'000'000'000'000'000);
    odd.created_at = *parse_timestamp("0001-01-01T00:00:00Z");
    odd.custom.set("近30天互动频次", std::int64_t{9'007'199'254'740'993});
    odd.custom.set("score", -0.0);
    leads.push_back(odd);

    rep senior;
    senior.id = rep_id{"R1"};
    senior.role = "senior";
    senior.regions = {"华东", "华南"};
    senior.avg_response = std::chrono::minutes(45);
    senior.revenue_3d = money::from_major(80000);
    senior.custom.set("热度", 0.75);
    reps.push_back(senior);
    rep empty;
    empty.id = rep_id{"R2"};
    empty.custom.set("热度", std::numeric_limits<double>::quiet_NaN());  // reads as #NUM!
    reps.push_back(empty);
  }
};

const world& the_world() {
  static const world w;
  return w;
}

void check_diagnostics(std::string_view text, const diagnostics& errors) {
  if (errors.empty()) fail("compile failed without a diagnostic", text, "", "");
  for (const diagnostic& d : errors) {
    if (d.message.empty()) fail("diagnostic without a message", text, d.to_string(), "");
    if (d.position.line == 0 || d.position.column == 0)
      fail("diagnostic without a position", text, d.to_string(), "");
    (void)d.to_string();  // renders the caret excerpt: must not crash on any input
  }
}

/// One lead against every rep at once (formula::evaluate_each, with and without a loaded,
/// indexed record_batch) gives what binding each rep gives, prepared or not.
void check_each(std::string_view text, const formula& f, const world& w) {
  std::vector<const rep*> reps;
  std::vector<formula_value> loads;
  for (std::size_t ri = 0; ri < w.reps.size(); ++ri) {
    reps.push_back(&w.reps[ri]);
    loads.push_back(formula_value::of_number(static_cast<double>(ri) * 3 - 1));
  }
  record_batch batch;
  if (!batch.load(f, w.rep_scope, std::span<const rep* const>(reps)).ok())
    fail("record_batch load", text, "", "");
  activation act(f), ref(f);
  act.set_now(w.now);
  ref.set_now(w.now);
  std::vector<formula_value> out(reps.size());
  for (const lead& l : w.leads) {
    (void)ref.bind(w.lead_scope, l);
    std::vector<std::string> want;
    for (std::size_t ri = 0; ri < reps.size(); ++ri) {
      (void)ref.bind(w.rep_scope, *reps[ri]);
      (void)ref.set_variable(w.load_var, loads[ri]);
      want.push_back(detail::fx::evaluate_tree(f, ref).to_string());
    }
    for (int round = 0; round < 4; ++round) {
      (void)act.bind(w.lead_scope, l);
      if (round % 2 == 1) f.prepare(act, (1u << w.lead_scope) | formula::fixed_now);
      const status st =
          round < 2
              ? f.evaluate_each(act, w.rep_scope, std::span<const rep* const>(reps),
                                std::span<formula_value>(out), w.load_var, loads)
              : f.evaluate_each(act, batch, {}, std::span<formula_value>(out), w.load_var, loads);
      if (!st.ok()) fail("evaluate_each refused", text, st.message(), "");
      for (std::size_t ri = 0; ri < reps.size(); ++ri) {
        const std::string got = out[ri].to_string();
        if (got != want[ri])
          fail("evaluate_each and tree disagree", text,
               "each (round " + std::to_string(round) + ", rep " + std::to_string(ri) + "): " + got,
               "tree: " + want[ri]);
      }
    }
  }
}

void run_one(std::string_view text) {
  const world& w = the_world();
  auto compiled = formula::compile(text, w.env);
  if (!compiled) {
    check_diagnostics(text, compiled.error());
    return;
  }
  const formula& f = **compiled;
  activation act(f);
  act.set_now(w.now);
  for (std::size_t ri = 0; ri < w.reps.size(); ++ri) {
    if (!act.bind(w.rep_scope, w.reps[ri]).ok()) fail("bind rep", text, "", "");
    if (!act.set_variable(w.load_var, formula_value::of_number(static_cast<double>(ri) * 3 - 1))
             .ok())
      fail("set_variable", text, "", "");
    for (const lead& l : w.leads) {
      if (!act.bind(w.lead_scope, l).ok()) fail("bind lead", text, "", "");
      const std::string vm = f.evaluate(act).to_string();
      const std::string tree = detail::fx::evaluate_tree(f, act).to_string();
      if (vm != tree) fail("VM and tree disagree", text, "vm:   " + vm, "tree: " + tree);
      explanation why;
      const std::string explained = f.evaluate(act, why).to_string();
      if (explained != vm)
        fail("explain disagrees", text, "vm:      " + vm, "explain: " + explained);
      (void)why.summary();
    }
    // Partial evaluation: the rep fixed, the lead varying.
    f.prepare(act, 1u << w.rep_scope);
    for (const lead& l : w.leads) {
      if (!act.bind(w.lead_scope, l).ok()) fail("bind lead", text, "", "");
      const std::string prepared = f.evaluate(act).to_string();
      const std::string tree = detail::fx::evaluate_tree(f, act).to_string();
      if (prepared != tree)
        fail("prepared and tree disagree", text, "prepared: " + prepared, "tree:     " + tree);
    }
    act.unbind(w.lead_scope);  // and with the lead missing altogether
    const std::string vm = f.evaluate(act).to_string();
    const std::string tree = detail::fx::evaluate_tree(f, act).to_string();
    if (vm != tree) fail("VM and tree disagree (no lead)", text, "vm:   " + vm, "tree: " + tree);
  }
  check_each(text, f, w);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run_one(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
