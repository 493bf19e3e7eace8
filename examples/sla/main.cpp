// First-touch deadlines around the Spring Festival, in memory, on a manual clock: a lead assigned
// the Friday before the holiday is due after it; one assigned the Friday before the make-up
// Saturday is due on that Saturday; one is touched in time; one waits for the customer (paused)
// and resumes. Time moves half an hour at a time and every step is printed as it fires, in Beijing
// time.
//
//   crmrules_example_sla [RULES_FILE]     (default: examples/rules/sla-rules.json)
#include <fmt/core.h>

#include <string>

#include "crmrules/crmrules.hpp"

#ifndef CRMRULES_EXAMPLES_DIR
#define CRMRULES_EXAMPLES_DIR "examples"
#endif

namespace {

using namespace crmrules;
using namespace std::chrono_literals;

timestamp beijing(const char* text) {
  return *parse_timestamp(text, std::chrono::hours(8));
}

/// "2027-02-15 Mon 10:00" in Beijing time.
std::string local(timestamp t) {
  const auto shifted = std::chrono::floor<std::chrono::minutes>(t + 8h);
  const auto day = std::chrono::floor<std::chrono::days>(shifted);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{shifted - day};
  static constexpr const char* names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  return fmt::format("{:04}-{:02}-{:02} {} {:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     names[std::chrono::weekday{day}.c_encoding()], hms.hours().count(),
                     hms.minutes().count());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : CRMRULES_EXAMPLES_DIR "/rules/sla-rules.json";
  auto rules = rule_set::load_file(path);
  if (!rules) {
    fmt::print(stderr, "{}", rules.error().to_string());
    return 1;
  }
  memory_storage store;
  manual_clock clk(beijing("2027-02-05 17:00"));  // Friday, the last working day before 春节
  std::size_t printed = 0;
  callback_notifier out([&](const notification& n) -> status {
    std::string to;
    for (const auto& r : n.recipients)
      to += (to.empty() ? "" : ", ") + r;
    fmt::print("  {}  {:<14} {:<8} {:<9} to {:<16} deadline {}{}\n", local(n.at), n.topic,
               n.subject.id, n.data.find("step")->to_string(), to,
               local(*n.data.find("deadline")->get_if<timestamp>()),
               n.data.find("late")->to_string() == "true" ? " (late)" : "");
    ++printed;
    return {};
  });
  sla::engine sla((*rules)->sla_policies(), store, clk, &out);

  auto start = [&](const char* lead, const char* owner) {
    sla::start_request r;
    r.policy = "first_touch";
    r.subject = {record_kind::lead, lead};
    r.from = clk.now();
    r.parties.set("owner", owner);
    r.parties.set("manager", "M-华东");
    auto t = sla.start(r);
    if (!t) {
      fmt::print(stderr, "start {}: {}\n", lead, t.error().to_string());
      std::exit(1);
    }
    fmt::print("  {}  started   {:<8} owner {}: due {}\n", local(clk.now()), lead, owner,
               local(*t->custom.find("deadline")->get_if<timestamp>()));
  };
  auto check = [](const status& s) {
    if (!s.ok()) {
      fmt::print(stderr, "{}\n", s.to_string());
      std::exit(1);
    }
  };
  auto run_until = [&](const char* until) {
    for (const timestamp end = beijing(until); clk.now() < end;) {
      clk.advance(30min);
      const auto report = sla.advance();
      for (const auto& e : report.errors)
        fmt::print(stderr, "  error: {}\n", e.to_string());
    }
  };

  fmt::print(
      "Rules: {} (calendar 华东: 09:00-12:00, 13:30-18:00; 春节 02-06..02-14 off; "
      "Saturday 02-20 worked)\n\n",
      (*rules)->name());
  start("L-1001", "R-张伟");  // one business hour today, one after the holiday
  start("L-1002", "R-李娜");
  start("L-1003", "R-王芳");
  run_until("2027-02-05 18:00");
  check(sla.stop("first_touch", {record_kind::lead, "L-1002"}));  // called before closing time
  fmt::print("  {}  touched   L-1002: its deadline stops\n", local(clk.now()));
  check(sla.pause(sla::timer_id_of("first_touch", {record_kind::lead, "L-1003"})));
  fmt::print("  {}  paused    L-1003: waiting for the customer's reply\n", local(clk.now()));

  run_until("2027-02-15 12:00");  // through the holiday: nothing fires while the office is shut
  check(sla.resume(sla::timer_id_of("first_touch", {record_kind::lead, "L-1003"})));
  fmt::print("  {}  resumed   L-1003: due {}\n", local(clk.now()),
             local(*sla.find(sla::timer_id_of("first_touch", {record_kind::lead, "L-1003"}))
                        ->custom.find("deadline")
                        ->get_if<timestamp>()));
  run_until("2027-02-15 18:00");

  run_until("2027-02-19 17:30");  // the Friday before the make-up Saturday
  start("L-1004", "R-赵磊");
  run_until("2027-02-22 18:00");

  const auto log = store.decisions().last_seq();
  fmt::print("\n{} steps notified; {} escalation entries in the decision log; {} running\n",
             printed, log ? *log : 0, sla.running());
  return 0;
}
