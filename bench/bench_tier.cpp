// crmrules_bench_tier: one behaviour event applied and its customer re-tiered.
//
//   BM_tier_event/customers:N   with N customers and 10 events each already loaded (random
//                               types over the last 60 days), one event of a random type for a
//                               random customer: recorded in the customer's windows and the
//                               customer re-tiered under the seed's tier rules (tier A, B, C, an
//                               intent upgrade); counter events_per_customer. N = 1,000,000
//                               is the target's size (each event touches a random customer:
//                               memory latency dominates); N = 10,000 fits in the caches and
//                               shows the computing alone
//   BM_tier_event_batch/customers:N/batch:B
//                               the same events handed over B at a time (engine::apply_batch,
//                               which fetches each event's customer while the events before it
//                               are handled); counter ns_per_event (items_per_second counts
//                               events)
//   BM_tier_event_native        the same tiering written by hand in C++ over the same windows
//                               (no formulas): the baseline
//   BM_tier_event_native_batch  that hand-written tiering over batches, with apply_batch's
//                               fetch pipeline: the floor of apply_batch on this machine
//   BM_tier_memory_latency/MiB:M
//                               one load that depends on the one before, at random lines of M
//                               MiB: the memory latency every event at 1,000,000 customers
//                               waits for (at least twice when applied one at a time)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/tier/engine.hpp"

namespace {

using namespace crmrules;
using namespace std::chrono_literals;

constexpr const char* rules_text = R"js({"tiers": {"levels": [
  {"name": "A", "when": "COUNT_EVENTS(\"site_visit\", 30d) >= 3 AND HAS_EVENT(\"whitepaper_download\", 30d) AND COUNT_EVENTS(\"demo_attended\", 30d) >= 1"},
  {"name": "B", "when": "COUNT_EVENTS(\"site_visit\", 30d) >= 1 OR HAS_EVENT(\"call\", 7d)"},
  {"name": "C", "when": "HAS_EVENT(\"site_visit\", 90d)"}],
  "upgrades": [{"name": "high_intent", "when": "COUNT_EVENTS(\"tech_consult\", 30d) >= 2 AND COUNT_EVENTS(\"quote_request\", 30d) >= 1"}]}})js";

const char* const types[] = {"site_visit",   "whitepaper_download", "demo_attended",  "call",
                             "tech_consult", "quote_request",       "wechat_message", "email_open"};
const timestamp now = *parse_timestamp("2026-11-20T09:00:00+08:00");
/// The loaded events are spread over the 90-day horizon (in minutes).
constexpr std::uint64_t loaded_minutes = 90 * 24 * 60;

struct world {
  std::shared_ptr<const rule_set> rules = *rule_set::load_string(rules_text);
  tier::engine engine{rules->tier_policy()};
  // What the benchmark applies, in rotation: as many events as customers (at least 65,536),
  // each for a random customer, so that a pass gives each customer about one event (no small
  // set of customers stays in the caches) and the clock's step keeps the windows' size.
  std::vector<event> stream;
  timestamp clock = now;  // moves on through the repetitions: time never goes back

  explicit world(std::int64_t customers) {
    std::mt19937_64 rng(42);
    event e;
    for (std::int64_t i = 0; i < customers; ++i) {
      customer c;
      c.id = customer_id{"C" + std::to_string(i)};
      c.owner = rep_id{"R" + std::to_string(i % 50)};
      (void)engine.add_customer(c);
      e.customer = c.id;
      for (int k = 0; k < 10; ++k) {
        e.id = event_id{"E" + std::to_string(i * 10 + k)};
        e.type = types[rng() % 8];
        e.at = now - std::chrono::minutes(static_cast<std::int64_t>(rng() % loaded_minutes));
        (void)engine.record(e);
      }
    }
    (void)engine.sweep(now);
    const std::int64_t length = std::max<std::int64_t>(customers, 65536);
    stream.reserve(static_cast<std::size_t>(length));
    for (std::int64_t k = 0; k < length; ++k) {
      e.id = event_id{"N" + std::to_string(k)};
      e.customer = customer_id{"C" + std::to_string(rng() % static_cast<std::uint64_t>(customers))};
      e.type = types[rng() % 8];
      e.at = now + std::chrono::seconds(k);
      stream.push_back(e);
    }
  }
};

/// One World of `customers` at a time, kept across the benchmarks that use that size (building
/// a million customers takes seconds); the previous one is freed first.
template <class World>
World& shared(std::int64_t customers) {
  static std::unique_ptr<World> w;
  static std::int64_t size = -1;
  if (size != customers) {
    w.reset();
    w = std::make_unique<World>(customers);
    size = customers;
  }
  return *w;
}

/// Time moves on so that each customer gets a new event every 9 days on average: with 10 events
/// in the 90-day horizon, as many age out as arrive and the windows stay the size they were
/// loaded with.
duration step_for(std::int64_t customers) {
  return duration(std::chrono::days(9)) / customers;
}

void BM_tier_event(benchmark::State& state) {
  world& w = shared<world>(state.range(0));
  const duration step = step_for(state.range(0));
  std::size_t i = 0;
  std::int64_t changed = 0;
  for (auto _ : state) {
    if (i == w.stream.size()) i = 0;
    event& e = w.stream[i++];
    w.clock += step;
    e.at = w.clock;
    auto r = w.engine.apply(e, e.at);
    changed += r && r->changed ? 1 : 0;
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["changes_per_event"] =
      static_cast<double>(changed) / static_cast<double>(state.iterations());
  state.counters["events_per_customer"] = static_cast<double>(w.engine.windows().events()) /
                                          static_cast<double>(w.engine.windows().customers());
}
BENCHMARK(BM_tier_event)->ArgName("customers")->Arg(10'000)->Arg(1'000'000);

void BM_tier_event_batch(benchmark::State& state) {
  world& w = shared<world>(state.range(0));
  const duration step = step_for(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  std::size_t i = 0;
  std::int64_t changed = 0;
  for (auto _ : state) {
    if (i + batch > w.stream.size()) i = 0;
    const std::span<event> events(w.stream.data() + i, batch);
    i += batch;
    for (event& e : events) {
      w.clock += step;
      e.at = w.clock;
    }
    auto r = w.engine.apply_batch(events, w.clock);
    for (const auto& x : r)
      changed += x && x->changed ? 1 : 0;
    benchmark::DoNotOptimize(r);
  }
  const auto events = static_cast<double>(state.iterations()) * static_cast<double>(batch);
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(batch) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["changes_per_event"] = static_cast<double>(changed) / events;
  state.counters["events_per_customer"] = static_cast<double>(w.engine.windows().events()) /
                                          static_cast<double>(w.engine.windows().customers());
}
BENCHMARK(BM_tier_event_batch)
    ->ArgNames({"customers", "batch"})
    ->Args({10'000, 64})
    ->Args({1'000'000, 16})
    ->Args({1'000'000, 64})
    ->Args({1'000'000, 256});

/// The seed's rules written by hand against the same windows, over the same loaded events and
/// the same stream (as type ids): what the engine's work costs without the engine.
struct native_world {
  tier::event_windows win;
  struct item {
    std::string customer;
    tier::event_windows::type_id type;
    timestamp at;
  };
  std::vector<item> stream;
  std::vector<int> tier_of;
  std::vector<bool> intent_of;
  tier::event_windows::type_id visit = 0, paper = 0, demo = 0, call = 0, consult = 0, quote = 0;
  timestamp clock = now;

  explicit native_world(std::int64_t customers) {
    std::mt19937_64 rng(42);
    for (std::int64_t i = 0; i < customers; ++i) {
      const auto s = win.slot_of("C" + std::to_string(i));
      for (int k = 0; k < 10; ++k)
        win.add(s, *win.intern(types[rng() % 8]),
                now - std::chrono::minutes(static_cast<std::int64_t>(rng() % loaded_minutes)));
    }
    visit = *win.type_of("site_visit");
    paper = *win.type_of("whitepaper_download");
    demo = *win.type_of("demo_attended");
    call = *win.type_of("call");
    consult = *win.type_of("tech_consult");
    quote = *win.type_of("quote_request");
    for (std::int64_t k = 0; k < std::max<std::int64_t>(customers, 65536); ++k)
      stream.push_back({"C" + std::to_string(rng() % static_cast<std::uint64_t>(customers)),
                        static_cast<tier::event_windows::type_id>(rng() % 8),
                        now + std::chrono::seconds(k)});
    tier_of.assign(static_cast<std::size_t>(customers), -1);
    intent_of.assign(static_cast<std::size_t>(customers), false);
  }

  /// Records `x` for the customer in slot `s` and re-tiers it.
  void apply(tier::event_windows::slot s, const item& x) {
    win.add(s, x.type, x.at);
    const auto d30 = 30 * 24h;
    int t = -1;
    if (win.count(s, visit, d30, x.at) >= 3 && win.count(s, paper, d30, x.at) >= 1 &&
        win.count(s, demo, d30, x.at) >= 1) {
      t = 0;
    } else if (win.count(s, visit, d30, x.at) >= 1 || win.count(s, call, 7 * 24h, x.at) >= 1) {
      t = 1;
    } else if (win.count(s, visit, 90 * 24h, x.at) >= 1) {
      t = 2;
    }
    tier_of[s] = t;
    intent_of[s] = win.count(s, consult, d30, x.at) >= 2 && win.count(s, quote, d30, x.at) >= 1;
  }
};

void BM_tier_event_native(benchmark::State& state) {
  native_world& w = shared<native_world>(state.range(0));
  const duration step = step_for(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == w.stream.size()) i = 0;
    native_world::item& x = w.stream[i++];
    w.clock += step;
    x.at = w.clock;
    w.apply(*w.win.find(x.customer), x);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_tier_event_native)->ArgName("customers")->Arg(10'000)->Arg(1'000'000);

/// The hand-written loop over batches, with the fetch pipeline engine::apply_batch uses (the
/// index line 2d events ahead, the customer's block d ahead, its heap events d/2 ahead): the
/// floor apply_batch can approach on this machine.
void BM_tier_event_native_batch(benchmark::State& state) {
  native_world& w = shared<native_world>(state.range(0));
  const duration step = step_for(state.range(0));
  const auto batch = static_cast<std::size_t>(state.range(1));
  constexpr std::size_t d = 8;
  std::vector<std::uint64_t> hashes(batch);
  std::vector<std::optional<tier::event_windows::slot>> guesses(batch);
  std::size_t i = 0;
  for (auto _ : state) {
    if (i + batch > w.stream.size()) i = 0;
    native_world::item* const events = &w.stream[i];
    i += batch;
    for (std::size_t k = 0; k < batch + 2 * d; ++k) {
      if (k < batch) {
        hashes[k] = tier::event_windows::hash_id(events[k].customer);
        w.win.prefetch_index(hashes[k]);
      }
      if (k >= d && k - d < batch) guesses[k - d] = w.win.prefetch_customer(hashes[k - d]);
      if (k >= d + d / 2 && k - d - d / 2 < batch) {
        if (const auto g = guesses[k - d - d / 2]) w.win.prefetch_events(*g);
      }
      if (k >= 2 * d) {
        native_world::item& x = events[k - 2 * d];
        w.clock += step;
        x.at = w.clock;
        w.apply(*w.win.find(x.customer, hashes[k - 2 * d]), x);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(batch) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_tier_event_native_batch)->ArgNames({"customers", "batch"})->Args({1'000'000, 16});

/// The machine's memory latency: loads that each depend on the one before, at random 64-byte
/// lines of a buffer of `MiB` mebibytes (a random cycle through all its lines). At 256 MiB (the
/// size of a million customers' blocks) this is what one BM_tier_event at 1,000,000 customers
/// must wait at least twice (the id index, then the customer's block): if it is near 200 ns,
/// no single apply can take under 200 ns on this machine, whatever the code.
void BM_tier_memory_latency(benchmark::State& state) {
  const auto lines = static_cast<std::size_t>(state.range(0)) * 1024 * 1024 / 64;
  struct alignas(64) line {
    std::size_t next;
  };
  std::vector<line> buffer(lines);
  std::vector<std::size_t> order(lines);
  for (std::size_t k = 0; k < lines; ++k)
    order[k] = k;
  std::shuffle(order.begin() + 1, order.end(), std::mt19937_64(7));
  for (std::size_t k = 0; k < lines; ++k)
    buffer[order[k]].next = order[(k + 1) % lines];
  std::size_t at = 0;
  for (auto _ : state) {
    at = buffer[at].next;
    benchmark::DoNotOptimize(at);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_tier_memory_latency)->ArgName("MiB")->Arg(16)->Arg(256);

}  // namespace

BENCHMARK_MAIN();
