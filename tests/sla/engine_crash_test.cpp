// Durability of deadlines: a process running the SLA engine on SQLite is killed with SIGKILL
// at a random point (while starting deadlines, or while firing them); a new process on the same
// file recovers. Every step of every deadline the first process started is delivered by one of
// the two; the new process fires each missed step once, marked late; neither process delivers a
// step twice; and at most the one step in flight at the kill is delivered by both.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/sla/engine.hpp"
#include "crmrules/store/sqlite_storage.hpp"

using namespace crmrules;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int deadlines = 150;
constexpr int steps_per_deadline = 3;

constexpr const char* rules_text = R"({
  "calendars": {"office": {"time_zone": "CST+08", "week": {"mon-sun": ["00:00-24:00"]}}},
  "sla": {
    "first_touch": {
      "about": "lead", "calendar": "office", "due": "1h",
      "steps": [
        {"name": "warn", "at": "-20m", "action": "remind", "to": ["$owner"]},
        {"name": "breach", "at": "0m", "action": "remind", "to": ["$owner"]},
        {"name": "reassign", "at": "40m", "action": "reclaim", "to": ["sales_manager"]}
      ]
    }
  }
})";

timestamp start_time() {
  return *parse_timestamp("2026-11-23T09:00:00+08:00");
}

void send_line(int fd, const std::string& line) {
  const std::string msg = line + "\n";  // one write: atomic on a pipe below PIPE_BUF
  if (write(fd, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) _exit(20);
}

/// The child: starts every deadline, then moves time a minute at a time and fires steps,
/// reporting each start ("S <lead>") and each delivery ("N <key>") on `fd`. Never returns.
[[noreturn]] void run_engine(const fs::path& path, int fd) {
  auto rules = rule_set::load_string(rules_text);
  if (!rules) _exit(10);
  sqlite_options o;
  o.synchronous = sqlite_options::sync_mode::normal;
  auto db = sqlite_storage::open(path, o);
  if (!db) _exit(11);
  manual_clock clk(start_time());
  callback_notifier out([&](const notification& n) -> status {
    send_line(fd, "N " + n.data.find("key")->to_string());
    return {};
  });
  sla::engine sla((*rules)->sla_policies(), **db, clk, &out);
  if (!sla.recover()) _exit(12);
  for (int i = 0; i < deadlines; ++i) {
    sla::start_request r;
    r.policy = "first_touch";
    r.subject = {record_kind::lead, "L" + std::to_string(i)};
    r.from = start_time() + std::chrono::seconds(20 * i);
    r.parties.set("owner", "R" + std::to_string(i % 7));
    if (!sla.start(r)) _exit(13);
    send_line(fd, "S L" + std::to_string(i));
  }
  for (int minute = 0; minute < 4 * 60; ++minute) {
    clk.advance(1min);
    const auto rep = sla.advance();
    if (!rep.errors.empty()) _exit(14);
  }
  send_line(fd, "DONE");
  for (;;)
    pause();
}

struct child_log {
  std::set<std::string> started;
  std::vector<std::string> delivered;
  bool done = false;
};

/// Runs the child and kills it after `kill_after` lines (or at its end).
child_log run_and_kill(const fs::path& path, int kill_after) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    run_engine(path, fds[1]);
  }
  close(fds[1]);
  child_log log;
  std::string buffer;
  int lines = 0;
  bool killed = false;
  char chunk[4096];
  for (;;) {
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl = 0;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      ++lines;
      if (line == "DONE") {
        log.done = true;
      } else if (line.rfind("S ", 0) == 0) {
        log.started.insert(line.substr(2));
      } else if (line.rfind("N ", 0) == 0) {
        log.delivered.push_back(line.substr(2));
      }
    }
    if (!killed && (lines >= kill_after || log.done)) {
      kill(pid, SIGKILL);
      killed = true;  // keep reading what the child wrote before it died
    }
  }
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));  // a nonzero exit code would mean the child failed
  CHECK(WTERMSIG(status) == SIGKILL);
  return log;
}

std::vector<std::string> recover_and_fire(const fs::path& path, timestamp now,
                                          sla::recovery_report* report) {
  auto rules = rule_set::load_string(rules_text);
  REQUIRE(rules);
  auto db = sqlite_storage::open(path);
  REQUIRE(db);
  manual_clock clk(now);
  memory_notifier out;
  sla::engine sla((*rules)->sla_policies(), **db, clk, &out);
  auto rep = sla.recover();
  REQUIRE(rep);
  if (report != nullptr) *report = *rep;
  const auto fired = sla.advance();
  CHECK(fired.errors.empty());
  CHECK(sla.running() == 0);
  std::vector<std::string> keys;
  for (const auto& n : out.snapshot()) {
    CHECK(*n.data.find("late") == value(true));
    keys.push_back(n.data.find("key")->to_string());
  }
  return keys;
}

}  // namespace

TEST_CASE("deadlines survive a kill: missed steps fire once on recovery, none is lost",
          "[sla][engine][recovery][crash]") {
  const char* tmp = std::getenv("CRMRULES_TEST_TMPDIR");
  const fs::path dir = tmp != nullptr ? fs::path(tmp) : fs::temp_directory_path();
  fs::create_directories(dir);
  std::mt19937 rng(20261123);
  const int total_lines = deadlines * (1 + steps_per_deadline);
  // Early kills land among the starts, later ones among the firings; the last lets it finish.
  const std::vector<int> kill_points = {
      std::uniform_int_distribution<int>(5, deadlines - 5)(rng),
      std::uniform_int_distribution<int>(deadlines + 10, total_lines / 2)(rng),
      std::uniform_int_distribution<int>(total_lines / 2, total_lines - 10)(rng), total_lines + 1};
  for (std::size_t round = 0; round < kill_points.size(); ++round) {
    INFO("round " << round << ", kill after line " << kill_points[round]);
    const fs::path path = dir / ("sla-crash-" + std::to_string(round) + ".db");
    for (const char* suffix : {"", "-wal", "-shm"})
      fs::remove(path.string() + suffix);

    const child_log before = run_and_kill(path, kill_points[round]);
    CHECK(!before.started.empty());
    std::set<std::string> first(before.delivered.begin(), before.delivered.end());
    CHECK(first.size() == before.delivered.size());  // nothing twice in one process

    sla::recovery_report rep;
    const auto after = recover_and_fire(path, start_time() + 24h, &rep);
    std::set<std::string> second(after.begin(), after.end());
    CHECK(second.size() == after.size());  // nothing twice in the recovering process
    CHECK(rep.overdue == after.size());

    // Every step of every deadline the first process acknowledged was delivered by one of the
    // two processes.
    for (const auto& lead : before.started) {
      for (const char* step : {"#0", "#1", "#2"}) {
        const std::string key = "first_touch/lead/" + lead + step;
        INFO(key);
        CHECK((first.count(key) + second.count(key)) >= 1);
      }
    }
    // At most the step in flight at the kill was delivered twice.
    std::size_t both = 0;
    for (const auto& k : second)
      both += first.count(k);
    CHECK(both <= 1);
    if (before.done) CHECK(after.empty());

    // A third process finds nothing left to fire.
    const auto third = recover_and_fire(path, start_time() + 48h, nullptr);
    CHECK(third.empty());
  }
}
