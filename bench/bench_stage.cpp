// crmrules_bench_stage: the stage gate.
//
//   BM_stage_validate           one move validated against a 6-stage pipeline (4 open stages, won,
//                               lost): evidence counted, required fields and a guard formula
//                               checked; the gate reused (one per thread), deals in rotation, each
//                               moving to its next stage with its proof on record
//   BM_stage_validate_refused   the same moves without the proof: every gap listed (allocates)
//   BM_stage_validate_oneshot   validate_move(): a gate made for each call
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/stage/pipeline.hpp"

namespace {

using namespace crmrules;

constexpr std::string_view rules_text = R"js({
  "pipeline": {
    "stages": [
      {"id": "初步接触", "order": 1, "win_probability": 0.1, "dwell": "7d",
       "evidence": [{"type": "call_recording"}]},
      {"id": "需求分析", "order": 2, "win_probability": 0.25, "dwell": "10d",
       "evidence": [{"type": "meeting_minutes"}], "fields": ["customer"]},
      {"id": "方案演示", "order": 3, "win_probability": 0.5, "dwell": "5d",
       "evidence": [{"type": "pdf"}],
       "guards": [{"rule": "金额 > 0", "message": "the deal needs an amount"}]},
      {"id": "报价审批", "order": 4, "win_probability": 0.75, "dwell": "3d",
       "evidence": [{"type": "approval"}]},
      {"id": "赢单", "terminal": "won"},
      {"id": "输单", "terminal": "lost"}
    ],
    "lost_reasons": {"codes": ["price", "competitor", "no_budget", "timing"]}
  }
})js";

struct fixture {
  std::shared_ptr<const stage::pipeline> pipeline;
  std::vector<opportunity> deals;  // with their proof
  std::vector<opportunity> bare;   // the same deals without it
  std::vector<std::string> targets;
  timestamp now = *parse_timestamp("2026-11-20T10:00:00+08:00");

  fixture() {
    auto rules = rule_set::load_string(rules_text);
    if (!rules) throw std::runtime_error(rules.error().to_string());
    pipeline = (*rules)->stage_pipeline();
    const evidence_type proof[] = {evidence_type::call_recording, evidence_type::meeting_minutes,
                                   evidence_type::pdf, evidence_type::approval};
    for (int i = 0; i < 1024; ++i) {
      const std::size_t s = static_cast<std::size_t>(i % 4);
      opportunity o;
      o.id = opportunity_id{"O" + std::to_string(i)};
      o.stage = pipeline->stages[s].id;
      o.customer = customer_id{"C" + std::to_string(i % 97)};
      o.amount = money::from_major(10000 + i);
      o.entered_stage_at = now - std::chrono::hours(i % 200);
      bare.push_back(o);
      for (std::size_t k = 0; k <= s; ++k) {  // the proof of every stage so far
        evidence_item e;
        e.id = "E" + std::to_string(i) + "-" + std::to_string(k);
        e.stage = pipeline->stages[k].id;
        e.type = proof[k];
        e.ref = "doc://" + e.id;
        if (e.type == evidence_type::meeting_minutes) e.attendees = {"张伟", "客户CTO"};
        o.evidence.push_back(std::move(e));
      }
      deals.push_back(std::move(o));
      targets.push_back(pipeline->stages[s + 1].id);  // the next stage (won after the last)
    }
  }
};

const fixture& data() {
  static const fixture f;
  return f;
}

void BM_stage_validate(benchmark::State& state) {
  const fixture& d = data();
  stage::gate g(d.pipeline);
  std::size_t i = 0;
  benchmark::IterationCount allowed = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 1023;
    const auto v = g.validate(d.deals[k], d.targets[k], {}, d.now);
    allowed += v.allowed ? 1 : 0;
    benchmark::DoNotOptimize(v);
  }
  if (allowed != state.iterations()) state.SkipWithError("a move with its proof was refused");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_stage_validate);

void BM_stage_validate_refused(benchmark::State& state) {
  const fixture& d = data();
  stage::gate g(d.pipeline);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 1023;
    const auto v = g.validate(d.bare[k], d.targets[k], {}, d.now);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_stage_validate_refused);

void BM_stage_validate_oneshot(benchmark::State& state) {
  const fixture& d = data();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 1023;
    const auto v = stage::validate_move(*d.pipeline, d.deals[k], d.targets[k], {}, d.now);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_stage_validate_oneshot);

}  // namespace

BENCHMARK_MAIN();
