// Crash safety: a process killed with SIGKILL while it writes batches leaves a database in which
// every committed batch is whole, no partial batch is visible, and every batch the writer saw
// committed is there. Several rounds reuse the same file, so recovery after a crash is exercised
// too, with both durability modes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "crmrules/store/sqlite_storage.hpp"

using namespace crmrules;
namespace fs = std::filesystem;

namespace {

constexpr int leads_per_batch = 120;

std::string batch_prefix(std::int64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "B%06lld-", static_cast<long long>(b));
  return buf;
}

sqlite_options options_for(int round) {
  sqlite_options o;
  o.synchronous =
      round % 2 == 0 ? sqlite_options::sync_mode::full : sqlite_options::sync_mode::normal;
  return o;
}

/// The child: append batches forever, acknowledging each committed batch number on `ack_fd`.
/// Runs in a forked process; never returns; uses no test framework.
[[noreturn]] void write_batches_forever(const fs::path& path, int round, int ack_fd) {
  auto db = sqlite_storage::open(path, options_for(round));
  if (!db) _exit(10);
  auto existing = (*db)->customers().count();
  if (!existing) _exit(11);
  for (auto b = static_cast<std::int64_t>(*existing);; ++b) {
    write_batch batch;
    const std::string prefix = batch_prefix(b);
    for (int i = 0; i < leads_per_batch; ++i) {
      lead l;
      l.id = lead_id{prefix + std::to_string(i)};
      l.source = "官网表单";
      l.company_name = "批次" + std::to_string(b) + "公司" + std::to_string(i);
      l.custom.set("batch", b);
      batch.insert(std::move(l));
    }
    customer c;  // one customer per batch: its count is the next batch number
    c.id = customer_id{prefix + "C"};
    c.name = "批次客户";
    c.phones = {"+86138" + std::to_string(10000000 + b)};
    batch.insert(std::move(c));
    batch.append(decision{0,
                          {},
                          decision_kind::other,
                          {record_kind::customer, prefix + "C"},
                          "crash-test",
                          "batch " + std::to_string(b),
                          ""});
    if (!(*db)->commit(batch)) _exit(12);
    if (write(ack_fd, &b, sizeof b) != static_cast<ssize_t>(sizeof b)) _exit(13);
  }
}

struct round_result {
  std::int64_t last_acked = -1;
  int exit_signal = 0;
};

round_result run_and_kill(const fs::path& path, int round, std::mt19937& rng) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    write_batches_forever(path, round, fds[1]);
  }
  close(fds[1]);
  round_result r;
  // Let the writer commit a few batches, then kill it at a random moment, likely mid-batch.
  const int wait_for = 3 + static_cast<int>(rng() % 5);
  for (int seen = 0; seen < wait_for;) {
    std::int64_t b = 0;
    const ssize_t n = read(fds[0], &b, sizeof b);
    REQUIRE(n == static_cast<ssize_t>(sizeof b));
    r.last_acked = b;
    ++seen;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
  REQUIRE(kill(pid, SIGKILL) == 0);
  int wstatus = 0;
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  if (WIFSIGNALED(wstatus)) r.exit_signal = WTERMSIG(wstatus);
  // Acknowledgements written before the kill are still in the pipe.
  std::int64_t b = 0;
  while (read(fds[0], &b, sizeof b) == static_cast<ssize_t>(sizeof b))
    r.last_acked = b;
  close(fds[0]);
  return r;
}

}  // namespace

TEST_CASE(
    "a writer killed with SIGKILL mid-batch leaves only whole batches, none it committed lost",
    "[sqlite][crash]") {
  const char* base = std::getenv("CRMRULES_TEST_TMPDIR");
  const fs::path dir = base ? fs::path(base) : fs::temp_directory_path();
  fs::create_directories(dir);
  const fs::path path = dir / "sqlite_crash_test.db";
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(path.string() + suffix);
  { REQUIRE(sqlite_storage::open(path)); }

  std::mt19937 rng(20261122);
  std::int64_t total_acked = -1;
  for (int round = 0; round < 10; ++round) {
    INFO("round " << round);
    const round_result r = run_and_kill(path, round, rng);
    CHECK(r.exit_signal == SIGKILL);  // it died by the kill, not by an error of its own
    total_acked = std::max(total_acked, r.last_acked);

    auto db = sqlite_storage::open(path, options_for(round));
    REQUIRE(db);
    // Count leads per batch: every batch present must be whole.
    std::map<std::int64_t, int> per_batch;
    lead_id after;
    for (;;) {
      auto page = (*db)->leads().list(after, 5000);
      REQUIRE(page);
      if (page->empty()) break;
      for (const auto& l : *page) {
        const auto* b = l.custom.find("batch")->get_if<std::int64_t>();
        REQUIRE(b != nullptr);
        REQUIRE(l.id.str().rfind(batch_prefix(*b), 0) == 0);
        ++per_batch[*b];
      }
      after = page->back().id;
    }
    const auto batches = static_cast<std::int64_t>(per_batch.size());
    REQUIRE(batches > 0);
    CHECK(per_batch.begin()->first == 0);
    CHECK(per_batch.rbegin()->first == batches - 1);  // contiguous: no batch vanished
    for (const auto& [b, n] : per_batch) {
      INFO("batch " << b);
      REQUIRE(n == leads_per_batch);
    }
    // Every acknowledged batch is there; at most one more (committed, killed before the ack).
    CHECK(batches - 1 >= total_acked);
    CHECK(batches - 1 <= total_acked + 1);
    // The customer, its phone key and the decision of each batch came with it.
    CHECK(static_cast<std::int64_t>(*(*db)->customers().count()) == batches);
    CHECK(static_cast<std::int64_t>(*(*db)->decisions().last_seq()) == batches);
    const std::string last_phone = "+86138" + std::to_string(10000000 + batches - 1);
    CHECK((*db)->customers().find_by_key(customer_key::phone, last_phone)->size() == 1);
    total_acked = batches - 1;
  }
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(path.string() + suffix);
}
