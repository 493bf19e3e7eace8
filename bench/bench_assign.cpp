// crmrules_bench_assign: the assignment engine.
//
//   BM_assign/reps:N          one lead assigned: every rep of N checked and scored with the seed
//                             formula plus rep-dependent terms, the best chosen, the reps
//                             loaded once (assigner::load); counter pairs_per_second =
//                             lead-rep pairs scored per second
//   BM_assign_span/reps:N     the same with the reps passed with each lead (nothing read ahead)
//   BM_assign_native/reps:N   the same policy hand-written in C++ over the same records
//   BM_assign_explain/reps:N  the same with the full explanation (every candidate's terms)
//   BM_assign/reps:50/threads:2  two threads, one assigner each, sharing the policy
//
// The policy's score, as sales operations would write it:
//   IF(线索来源="官网表单", 100, IF(线索来源="抖音私信", 85, IF(线索来源="展会扫码", 60, 40)))
//     + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0)
//     + IF(IN(lead.industry, rep.industries), 40, 0) + IF(IN(lead.region, rep.regions), 20, 0)
//     - 2 * rep.load
#include <benchmark/benchmark.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "crmrules/assign/assigner.hpp"
#include "crmrules/rules/rule_set.hpp"
#include "crmrules_sample/sample.hpp"
#include "seed_native.hpp"

namespace {

using namespace crmrules;

constexpr std::string_view rules_text = R"js({
  "schema": {"lead": {"fields": {"近30天互动频次": {"type": "integer"}}}},
  "assign": {
    "score": [
      "IF(线索来源=\"官网表单\", 100, IF(线索来源=\"抖音私信\", 85, IF(线索来源=\"展会扫码\", 60, 40)))",
      "  + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0)",
      "  + IF(IN(lead.industry, rep.industries), 40, 0) + IF(IN(lead.region, rep.regions), 20, 0)",
      "  - 2 * rep.load"
    ],
    "load": {"follow_ups": 1, "open_tasks": 0.5},
    "fallback": {"rep": "R-director"}
  }
})js";

struct fixture {
  std::vector<lead> leads;
  std::vector<rep> reps;  // 500; the benchmarks use the first N
  std::shared_ptr<const assign::policy> policy;
  timestamp now = *parse_timestamp("2026-11-20T10:00:00+08:00");

  fixture() {
    sample::options o;
    o.leads = 1024;
    o.reps = 500;
    o.customers = 100;
    auto data = sample::generate(o);
    leads = std::move(data.leads);
    reps = std::move(data.reps);
    for (rep& r : reps) {  // everyone available: the benchmark measures scoring, not exclusion
      r.active = true;
      r.accepts_leads = true;
      r.leave.clear();
      r.daily_cap.reset();
      r.open_cap.reset();
      r.hired_at.reset();
    }
    auto rules = rule_set::load_string(rules_text);
    if (!rules) throw std::runtime_error(rules.error().to_string());
    policy = (*rules)->assign_policy();
  }
};

const fixture& data() {
  static const fixture f;
  return f;
}

// The reps loaded once (assigner::load), leads chosen one after another: a queue being
// drained, a dry run.
void BM_assign(benchmark::State& state) {
  const fixture& d = data();
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::span<const rep> reps(d.reps.data(), n);
  assign::assigner a(d.policy);
  a.load(reps);
  std::size_t i = 0;
  for (auto _ : state) {
    auto pick = a.choose(d.leads[i++ & 1023], d.now);
    benchmark::DoNotOptimize(pick);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["pairs_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_assign)->ArgName("reps")->Arg(50)->Arg(500);
BENCHMARK(BM_assign)->ArgName("reps")->Arg(50)->Threads(2)->UseRealTime();

// The reps passed with every lead (choose(lead, reps, now)): nothing read ahead, as when each
// lead comes with freshly read reps.
void BM_assign_span(benchmark::State& state) {
  const fixture& d = data();
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::span<const rep> reps(d.reps.data(), n);
  assign::assigner a(d.policy);
  std::size_t i = 0;
  for (auto _ : state) {
    auto pick = a.choose(d.leads[i++ & 1023], reps, d.now);
    benchmark::DoNotOptimize(pick);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["pairs_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_assign_span)->ArgName("reps")->Arg(50)->Arg(500);

void BM_assign_explain(benchmark::State& state) {
  const fixture& d = data();
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::span<const rep> reps(d.reps.data(), n);
  assign::assigner a(d.policy);
  std::size_t i = 0;
  for (auto _ : state) {
    auto pick = a.choose(d.leads[i++ & 1023], reps, d.now, /*explain=*/true);
    benchmark::DoNotOptimize(pick);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_assign_explain)->ArgName("reps")->Arg(50)->Arg(500);

// -- the same policy by hand ---------------------------------------------------------------------

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

const rep* assign_native(const lead& l, std::span<const rep> reps, timestamp now) {
  const double base = bench::seed_native(l);
  const rep* best = nullptr;
  double best_score = 0;
  for (const rep& r : reps) {
    if (!r.active || !r.accepts_leads || r.on_leave(now)) continue;
    if (r.daily_cap && r.assigned_today >= *r.daily_cap) continue;
    if (r.open_cap && r.open_leads >= *r.open_cap) continue;
    const double load =
        static_cast<double>(r.today_follow_ups) + 0.5 * static_cast<double>(r.open_tasks);
    double score = base - 2 * load;
    if (contains(r.industries, l.industry)) score += 40;
    if (contains(r.regions, l.region)) score += 20;
    const bool earlier =
        best != nullptr &&
        (r.last_assigned_at != best->last_assigned_at
             ? !r.last_assigned_at ||
                   (best->last_assigned_at && *r.last_assigned_at < *best->last_assigned_at)
             : r.id < best->id);
    if (best == nullptr || score > best_score || (score == best_score && earlier)) {
      best = &r;
      best_score = score;
    }
  }
  return best;
}

void BM_assign_native(benchmark::State& state) {
  const fixture& d = data();
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::span<const rep> reps(d.reps.data(), n);
  std::size_t i = 0;
  for (auto _ : state) {
    const rep* pick = assign_native(d.leads[i++ & 1023], reps, d.now);
    benchmark::DoNotOptimize(pick);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["pairs_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_assign_native)->ArgName("reps")->Arg(50)->Arg(500);

}  // namespace

BENCHMARK_MAIN();
