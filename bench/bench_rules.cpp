// crmrules_bench_rules: the rules language.
//
//   BM_formula_seed           one evaluation of the seed weight formula, compiled from text, the
//                             lead already bound (1,024 activations, one per lead, in rotation)
//   BM_formula_seed_native    the same formula hand-written in C++, reading the same leads
//   BM_formula_seed_bind      bind the next lead, then evaluate (one activation, 1,024 leads)
//   BM_formula_seed_explain   an evaluation that records every step (the "why" path)
//   BM_formula_compile        parsing, checking and compiling the seed formula
//
// The seed weight formula (issue #3):
//   IF(线索来源="官网表单", 100, IF(线索来源="抖音私信", 85, IF(线索来源="展会扫码", 60, 40)))
//     + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0)
#include <benchmark/benchmark.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "crmrules/rules/formula.hpp"
#include "crmrules_sample/sample.hpp"
#include "seed_native.hpp"

namespace {

using namespace crmrules;

constexpr std::string_view seed_formula =
    R"(IF(线索来源="官网表单", 100, IF(线索来源="抖音私信", 85, IF(线索来源="展会扫码", 60, 40))) + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0))";

struct fixture {
  std::vector<lead> leads;
  formula_env env;
  std::size_t lead_scope = 0;
  std::shared_ptr<const formula> seed;

  fixture() : env(make_schemas()) {
    sample::options o;
    o.leads = 1024;
    o.customers = 200;
    leads = sample::generate(o).leads;
    lead_scope = *env.add_scope("lead", record_kind::lead, {"线索"});
    auto f = formula::compile(seed_formula, env);
    if (!f) throw std::runtime_error(f.error().to_string());
    seed = *f;
  }

  static schema_set make_schemas() {
    schema_set s;
    field_def f;
    f.name = "近30天互动频次";
    f.type = value_type::integer;
    (void)s.of(record_kind::lead).add_field(f);
    return s;
  }
};

const fixture& data() {
  static const fixture f;
  return f;
}

void BM_formula_seed(benchmark::State& state) {
  // One activation per lead, bound beforehand: an engine binds a lead once and evaluates many
  // times (per rep, per re-score). Rotating over 1,024 of them keeps the data out of L1 as the
  // native baseline's leads are.
  const fixture& d = data();
  std::vector<std::unique_ptr<activation>> acts;
  for (const lead& l : d.leads) {
    acts.push_back(std::make_unique<activation>(*d.seed));
    if (!acts.back()->bind(d.lead_scope, l).ok()) state.SkipWithError("bind failed");
  }
  std::size_t i = 0;
  double sum = 0;
  for (auto _ : state)
    sum += d.seed->evaluate(*acts[i++ & 1023]).as_number();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_formula_seed);

void BM_formula_seed_bind(benchmark::State& state) {
  // Bind the next lead, then evaluate: the cost when every evaluation is for a new record.
  const fixture& d = data();
  activation act(*d.seed);
  std::size_t i = 0;
  double sum = 0;
  for (auto _ : state) {
    (void)act.bind(d.lead_scope, d.leads[i++ & 1023]);
    sum += d.seed->evaluate(act).as_number();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_formula_seed_bind);

void BM_formula_seed_native(benchmark::State& state) {
  const fixture& d = data();
  std::size_t i = 0;
  double sum = 0;
  for (auto _ : state) {
    const lead& l = d.leads[i++ & 1023];
    benchmark::DoNotOptimize(&l);
    sum += bench::seed_native(l);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_formula_seed_native);

void BM_formula_seed_explain(benchmark::State& state) {
  const fixture& d = data();
  activation act(*d.seed);
  std::size_t i = 0;
  for (auto _ : state) {
    (void)act.bind(d.lead_scope, d.leads[i++ & 1023]);
    explanation ex;
    benchmark::DoNotOptimize(d.seed->evaluate(act, ex));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_formula_seed_explain);

void BM_formula_compile(benchmark::State& state) {
  const fixture& d = data();
  for (auto _ : state) {
    auto f = formula::compile(seed_formula, d.env);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_formula_compile);

}  // namespace

BENCHMARK_MAIN();
