// crmrules_bench_dedup: similarity kernels per pair, a full scan per record, an on-insert lookup.
//
//   BM_similarity_*            one pair of core names scored (names from the labelled set)
//   BM_dedup_scan/records:N    index + scan of N generated customers; items = records, so
//                              items_per_second is records scanned per second; counters: the
//                              comparisons made per record, pairs found, precision and recall
//                              against the generator's ground truth
//   BM_dedup_lookup/records:N  one on-insert lookup against N indexed customers; counters: p50,
//                              p99 and max latency in microseconds over the run
//
// The 1,000,000-record runs take a minute or more each: they are registered only when
// CRMRULES_BENCH_LARGE=1 is set (see docs/PERFORMANCE.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crmrules/dedup/matcher.hpp"
#include "crmrules/dedup/name.hpp"
#include "crmrules/dedup/similarity.hpp"
#include "crmrules_sample/dedup_eval.hpp"

namespace {

using namespace crmrules;

/// Core names of the labelled set's pairs, as code points.
const std::vector<std::pair<std::u32string, std::u32string>>& core_pairs() {
  static const auto pairs = [] {
    std::vector<std::pair<std::u32string, std::u32string>> out;
    sample::eval_options o;
    o.positives = 500;
    o.negatives = 500;
    for (const auto& p : sample::make_dedup_eval(o)) {
      out.emplace_back(dedup::to_code_points(dedup::parse_company_name(p.a.name).core),
                       dedup::to_code_points(dedup::parse_company_name(p.b.name).core));
    }
    return out;
  }();
  return pairs;
}

template <class F>
void run_kernel(benchmark::State& state, F&& f) {
  const auto& pairs = core_pairs();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [a, b] = pairs[i];
    benchmark::DoNotOptimize(f(a, b));
    if (++i == pairs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_similarity_jaro_winkler(benchmark::State& state) {
  run_kernel(state, [](const auto& a, const auto& b) { return dedup::jaro_winkler(a, b); });
}
void BM_similarity_levenshtein(benchmark::State& state) {
  run_kernel(state, [](const auto& a, const auto& b) { return dedup::levenshtein_ratio(a, b); });
}
void BM_similarity_bigram_dice(benchmark::State& state) {
  run_kernel(state, [](const auto& a, const auto& b) { return dedup::bigram_dice(a, b); });
}
void BM_similarity_token_set(benchmark::State& state) {
  run_kernel(state, [](const auto& a, const auto& b) { return dedup::token_set_ratio(a, b); });
}
/// One query against many candidates with its pattern masks computed once.
void BM_similarity_levenshtein_query(benchmark::State& state) {
  const auto& pairs = core_pairs();
  std::vector<dedup::levenshtein_query> queries;
  for (const auto& p : pairs)
    queries.emplace_back(p.first);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(queries[i].ratio(pairs[i].second));
    if (++i == pairs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
/// The full judgement of one pair (parsing both names, every key and rule, the explanation).
void BM_similarity_compare_pair(benchmark::State& state) {
  sample::eval_options o;
  o.positives = 200;
  o.negatives = 200;
  const auto pairs = sample::make_dedup_eval(o);
  const dedup::policy p;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dedup::compare(pairs[i].a, pairs[i].b, p));
    if (++i == pairs.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_similarity_jaro_winkler);
BENCHMARK(BM_similarity_levenshtein);
BENCHMARK(BM_similarity_levenshtein_query);
BENCHMARK(BM_similarity_bigram_dice);
BENCHMARK(BM_similarity_token_set);
BENCHMARK(BM_similarity_compare_pair);

const sample::population& population_of(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<sample::population>> cache;
  auto& slot = cache[n];
  if (!slot) {
    sample::population_options o;
    o.customers = n;
    slot = std::make_unique<sample::population>(sample::make_dedup_population(o));
  }
  return *slot;
}

void BM_dedup_scan(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const sample::population& pop = population_of(n);
  const auto rules = std::make_shared<const dedup::policy>();
  dedup::scan_result last;
  double index_s = 0, scan_s = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    dedup::matcher m(rules);
    if (!m.add_all(pop.customers).ok()) state.SkipWithError("add_all failed");
    const auto t1 = std::chrono::steady_clock::now();
    last = m.scan();
    benchmark::DoNotOptimize(last.pairs.data());
    index_s += std::chrono::duration<double>(t1 - t0).count();
    scan_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  }
  // Where the time goes: preparing and indexing the records, then the scan itself (seconds).
  state.counters["index_s"] = index_s / static_cast<double>(state.iterations());
  state.counters["scan_s"] = scan_s / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  // Quality against the ground truth: a found pair is right when both are one entity.
  std::map<std::string, std::size_t> row;
  for (std::size_t i = 0; i < pop.customers.size(); ++i)
    row[pop.customers[i].id.str()] = i;
  std::size_t right = 0;
  for (const auto& m : last.pairs)
    right += pop.entity[row[m.a.str()]] == pop.entity[row[m.b.str()]];
  std::map<std::size_t, std::size_t> sizes;
  for (std::size_t e : pop.entity)
    ++sizes[e];
  std::size_t truth = 0;
  for (const auto& [e, k] : sizes)
    truth += k * (k - 1) / 2;
  state.counters["comparisons_per_record"] =
      static_cast<double>(last.comparisons) / static_cast<double>(n);
  state.counters["pairs"] = static_cast<double>(last.pairs.size());
  state.counters["clusters"] = static_cast<double>(last.clusters.size());
  state.counters["skipped_blocks"] = static_cast<double>(last.skipped_blocks);
  state.counters["precision"] =
      last.pairs.empty() ? 1.0
                         : static_cast<double>(right) / static_cast<double>(last.pairs.size());
  state.counters["recall"] =
      truth == 0 ? 1.0 : static_cast<double>(right) / static_cast<double>(truth);
}

void BM_dedup_lookup(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const sample::population& pop = population_of(n);
  // Queries: another population's records (new companies and re-entries of theirs), so most
  // lookups find nothing and some find candidates, as while someone types.
  sample::population_options qo;
  qo.seed = 7;
  qo.customers = 10'000;
  qo.duplicate_rate = 0.2;
  const sample::population queries = sample::make_dedup_population(qo);
  dedup::matcher m(std::make_shared<const dedup::policy>());
  if (!m.add_all(pop.customers).ok()) state.SkipWithError("add_all failed");
  std::vector<double> micros;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto hits = m.lookup(queries.customers[i]);
    benchmark::DoNotOptimize(hits.data());
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    if (++i == queries.customers.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double q) {
    return micros[std::min(micros.size() - 1,
                           static_cast<std::size_t>(q * static_cast<double>(micros.size())))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["max_us"] = micros.back();
}

BENCHMARK(BM_dedup_scan)
    ->ArgName("records")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_dedup_lookup)->ArgName("records")->Arg(100'000)->Unit(benchmark::kMicrosecond);

const bool large_registered = [] {
  const char* large = std::getenv("CRMRULES_BENCH_LARGE");
  if (large != nullptr && std::string(large) == "1") {
    BENCHMARK(BM_dedup_scan)
        ->ArgName("records")
        ->Arg(1'000'000)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    BENCHMARK(BM_dedup_lookup)->ArgName("records")->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
