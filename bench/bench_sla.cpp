// crmrules_bench_sla: the SLA timer wheel against a binary-heap timer queue.
//
//   BM_wheel_schedule_cancel/pending:N   one schedule + cancel with N timers pending (random
//                                        deadlines over 30 days); counter bytes_per_timer
//   BM_wheel_lifecycle/pending:N         one timer scheduled, time advanced, it fires: with N
//                                        pending, time moving 1 ms a step
//   BM_heap_schedule_cancel/pending:N    the same on a binary heap with lazy cancellation (a
//                                        cancelled flag, skipped when popped)
//   BM_heap_lifecycle/pending:N
//   BM_engine_start_fire/pending:N      the deadline engine on memory_storage: one deadline
//                                        started (stored), its one step fired (notified, stored
//                                        with its decision-log entry), with N deadlines running
//   BM_engine_start_stop/pending:N      one deadline started and stopped (two store writes)
// The 10 M sizes take about 1 GB.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <queue>
#include <random>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/sla/engine.hpp"
#include "crmrules/sla/timer_wheel.hpp"
#include "crmrules/store/memory_storage.hpp"

namespace {

using crmrules::sla::timer_wheel;

constexpr std::int64_t start_ms = 1'795'000'000'000;  // late 2026
constexpr std::int64_t month_ms = 30LL * 24 * 3600 * 1000;

void fill(timer_wheel& w, std::int64_t n, std::mt19937_64& rng) {
  for (std::int64_t i = 0; i < n; ++i)
    w.schedule(start_ms + 1 + static_cast<std::int64_t>(rng() % month_ms),
               static_cast<std::uint64_t>(i));
}

void BM_wheel_schedule_cancel(benchmark::State& state) {
  std::mt19937_64 rng(42);
  timer_wheel w(start_ms);
  fill(w, state.range(0), rng);
  std::vector<std::int64_t> offsets(4096);
  for (auto& o : offsets)
    o = 1 + static_cast<std::int64_t>(rng() % month_ms);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto h = w.schedule(start_ms + offsets[i++ & 4095], 7);
    benchmark::DoNotOptimize(w.cancel(h));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_timer"] = static_cast<double>(w.bytes_per_slot());
}
BENCHMARK(BM_wheel_schedule_cancel)->ArgName("pending")->Arg(1'000'000);
BENCHMARK(BM_wheel_schedule_cancel)->ArgName("pending")->Arg(10'000'000);

void BM_wheel_lifecycle(benchmark::State& state) {
  std::mt19937_64 rng(42);
  timer_wheel w(start_ms);
  fill(w, state.range(0), rng);  // far enough that the run does not reach them
  std::vector<timer_wheel::fired> out;
  std::int64_t now = start_ms;
  for (auto _ : state) {
    w.schedule(now + 1 + static_cast<std::int64_t>(rng() % 1000), 1);
    out.clear();
    w.advance(++now, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_wheel_lifecycle)->ArgName("pending")->Arg(1'000'000);
BENCHMARK(BM_wheel_lifecycle)->ArgName("pending")->Arg(10'000'000);

/// The baseline: a binary min-heap of (deadline, id), cancelled ids flagged and skipped.
struct heap_queue {
  struct entry {
    std::int64_t deadline;
    std::uint32_t id;
    bool operator>(const entry& o) const { return deadline > o.deadline; }
  };
  std::priority_queue<entry, std::vector<entry>, std::greater<>> heap;
  std::vector<std::uint8_t> cancelled;
  std::uint32_t schedule(std::int64_t deadline) {
    const auto id = static_cast<std::uint32_t>(cancelled.size());
    cancelled.push_back(0);
    heap.push({deadline, id});
    return id;
  }
  void cancel(std::uint32_t id) { cancelled[id] = 1; }
  std::size_t advance(std::int64_t now) {
    std::size_t n = 0;
    while (!heap.empty() && heap.top().deadline <= now) {
      n += cancelled[heap.top().id] == 0 ? 1 : 0;
      heap.pop();
    }
    return n;
  }
};

void BM_heap_schedule_cancel(benchmark::State& state) {
  std::mt19937_64 rng(42);
  heap_queue q;
  for (std::int64_t i = 0; i < state.range(0); ++i)
    q.schedule(start_ms + 1 + static_cast<std::int64_t>(rng() % month_ms));
  std::vector<std::int64_t> offsets(4096);
  for (auto& o : offsets)
    o = 1 + static_cast<std::int64_t>(rng() % month_ms);
  std::size_t i = 0;
  for (auto _ : state) {
    q.cancel(q.schedule(start_ms + offsets[i++ & 4095]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_heap_schedule_cancel)->ArgName("pending")->Arg(1'000'000);

void BM_heap_lifecycle(benchmark::State& state) {
  std::mt19937_64 rng(42);
  heap_queue q;
  for (std::int64_t i = 0; i < state.range(0); ++i)
    q.schedule(start_ms + 1 + static_cast<std::int64_t>(rng() % month_ms));
  std::int64_t now = start_ms;
  for (auto _ : state) {
    q.schedule(now + 1 + static_cast<std::int64_t>(rng() % 1000));
    benchmark::DoNotOptimize(q.advance(++now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_heap_lifecycle)->ArgName("pending")->Arg(1'000'000);
BENCHMARK(BM_heap_lifecycle)->ArgName("pending")->Arg(10'000'000);

// ---- the engine, with a store --------------------------------------------------------------

constexpr const char* engine_rules = R"({"sla": {
  "quick": {"about": "lead", "due": "1ms", "steps": [{"at": "0m", "action": "remind",
                                                       "to": ["$owner"]}]},
  "slow": {"about": "lead", "due": "30d", "steps": [{"at": "0m", "action": "remind",
                                                      "to": ["$owner"]}]}}})";

struct engine_fixture {
  std::shared_ptr<const crmrules::rule_set> rules = *crmrules::rule_set::load_string(engine_rules);
  crmrules::memory_storage store;
  crmrules::manual_clock clk{crmrules::from_unix_micros(start_ms * 1000)};
  crmrules::null_notifier out;
  crmrules::sla::engine sla{rules->sla_policies(), store, clk, &out};

  crmrules::sla::start_request request(const char* policy, std::int64_t i) {
    crmrules::sla::start_request r;
    r.policy = policy;
    r.subject = {crmrules::record_kind::lead, "L" + std::to_string(i)};
    r.from = clk.now();
    r.parties.set("owner", "R7");
    return r;
  }
  explicit engine_fixture(std::int64_t pending) {
    for (std::int64_t i = 0; i < pending; ++i)
      (void)sla.start(request("slow", i));
  }
};

void BM_engine_start_fire(benchmark::State& state) {
  engine_fixture f(state.range(0));
  std::int64_t i = state.range(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.sla.start(f.request("quick", i++)));
    f.clk.advance(std::chrono::milliseconds(1));
    benchmark::DoNotOptimize(f.sla.advance());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_engine_start_fire)->ArgName("pending")->Arg(0)->Arg(100'000);

void BM_engine_start_stop(benchmark::State& state) {
  engine_fixture f(state.range(0));
  std::int64_t i = state.range(0);
  for (auto _ : state) {
    auto r = f.request("slow", i++);
    benchmark::DoNotOptimize(f.sla.start(r));
    benchmark::DoNotOptimize(f.sla.stop("slow", r.subject));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_engine_start_stop)->ArgName("pending")->Arg(100'000);

}  // namespace

BENCHMARK_MAIN();
