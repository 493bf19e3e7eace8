// crmrules_bench_store: what the storage layer costs, on realistic generated leads.
//
//   BM_json_encode_lead / BM_json_decode_lead   one lead to / from its JSON document
//   BM_memory_commit/batch:N                    one lead inserted, in atomic batches of N
//   BM_sqlite_commit/batch:N/sync:S             the same on SQLite (S: 0 = normal, 1 = full)
//   BM_memory_get / BM_sqlite_get               one lead read by id from 20,000 stored
//
// Items are leads, so items_per_second is leads per second.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "crmrules/model/json.hpp"
#include "crmrules/store/memory_storage.hpp"
#include "crmrules/store/sqlite_storage.hpp"
#include "crmrules_sample/sample.hpp"

namespace {

using namespace crmrules;
namespace fs = std::filesystem;

const std::vector<lead>& sample_leads() {
  static const std::vector<lead> leads = [] {
    sample::options o;
    o.leads = 20000;
    return sample::generate(o).leads;
  }();
  return leads;
}

fs::path fresh_db(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("crmrules_bench_store_" + name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(p.string() + suffix);
  return p;
}

void remove_db(const fs::path& p) {
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(p.string() + suffix);
}

void BM_json_encode_lead(benchmark::State& state) {
  const auto& leads = sample_leads();
  std::size_t i = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string s = to_json(leads[i++ % leads.size()]);
    bytes += s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_json_encode_lead);

void BM_json_decode_lead(benchmark::State& state) {
  std::vector<std::string> docs;
  for (const auto& l : sample_leads())
    docs.push_back(to_json(l));
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = from_json<lead>(docs[i++ % docs.size()]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_json_decode_lead);

/// Inserts leads in batches of `batch` (ids made unique per iteration), one commit per batch.
void commit_batches(benchmark::State& state, storage& s, std::size_t batch) {
  const auto& leads = sample_leads();
  std::size_t next = 0;
  std::uint64_t round = 0;
  for (auto _ : state) {
    write_batch b;
    for (std::size_t k = 0; k < batch; ++k) {
      lead l = leads[next++ % leads.size()];
      l.id = lead_id{l.id.str() + "#" + std::to_string(round) + "-" + std::to_string(k)};
      b.insert(std::move(l));
    }
    ++round;
    auto r = s.commit(b);
    if (!r) {
      state.SkipWithError(r.error().to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

void BM_memory_commit(benchmark::State& state) {
  memory_storage s;
  commit_batches(state, s, static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_memory_commit)->ArgName("batch")->Arg(1)->Arg(100);

void BM_sqlite_commit(benchmark::State& state) {
  const fs::path path = fresh_db("commit");
  sqlite_options o;
  o.synchronous =
      state.range(1) == 1 ? sqlite_options::sync_mode::full : sqlite_options::sync_mode::normal;
  {
    auto db = sqlite_storage::open(path, o);
    if (!db) {
      state.SkipWithError(db.error().to_string().c_str());
      return;
    }
    commit_batches(state, **db, static_cast<std::size_t>(state.range(0)));
  }
  remove_db(path);
}
BENCHMARK(BM_sqlite_commit)
    ->ArgNames({"batch", "sync"})
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({1, 1})
    ->Args({100, 1});

template <class Storage>
void get_leads(benchmark::State& state, Storage& s) {
  const auto& leads = sample_leads();
  write_batch b;
  for (const auto& l : leads)
    b.insert(l);
  if (auto r = s.commit(b); !r) {
    state.SkipWithError(r.error().to_string().c_str());
    return;
  }
  std::uint64_t x = 88172645463325252ULL;  // xorshift: a fixed, cheap pseudo-random walk
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    auto r = s.leads().get(leads[x % leads.size()].id);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_memory_get(benchmark::State& state) {
  memory_storage s;
  get_leads(state, s);
}
BENCHMARK(BM_memory_get);

void BM_sqlite_get(benchmark::State& state) {
  const fs::path path = fresh_db("get");
  {
    sqlite_options o;
    o.synchronous = sqlite_options::sync_mode::normal;
    auto db = sqlite_storage::open(path, o);
    if (!db) {
      state.SkipWithError(db.error().to_string().c_str());
      return;
    }
    get_leads(state, **db);
  }
  remove_db(path);
}
BENCHMARK(BM_sqlite_get);

}  // namespace

BENCHMARK_MAIN();
