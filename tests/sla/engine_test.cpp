// The SLA engine: policies from the rules file, ladders fired in order on a manual clock with
// business time, stop / pause / resume / restart, refused notifications retried, and recovery
// from the timer store after a restart (late steps fire once, skip policies skip).
#include "crmrules/sla/engine.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/store/memory_storage.hpp"
#include "doc_example.hpp"
#include "sla/sla_test_support.hpp"

using namespace crmrules;
using namespace std::chrono_literals;
using namespace sla_test;

namespace {

constexpr const char* rules_text = R"({
  "calendars": {
    "华东": {
      "time_zone": "CST+08",
      "week": {"mon-fri": ["09:00-12:00", "13:30-18:00"]},
      "holidays": [{"name": "春节", "from": "2027-02-06", "to": "2027-02-14"}],
      "workdays": ["2027-02-20"]
    }
  },
  "sla": {
    "first_touch": {
      "about": "lead",
      "calendar": "华东",
      "due": "2h",
      "steps": [
        {"name": "warn", "at": "-30m", "action": "remind", "to": ["$owner"]},
        {"name": "breach", "at": "0m", "action": "remind", "to": ["$owner", "$manager"]},
        {"name": "reassign", "at": "2h", "action": "reclaim", "to": ["$manager"]}
      ]
    },
    "golden_72h": {
      "about": "lead",
      "due": "72h",
      "on_recovery": "skip",
      "steps": [{"at": "0m", "action": "escalate", "to": ["marketing_lead", "sales_director"]}]
    },
    "promise": {
      "about": "promise",
      "steps": [
        {"name": "pre_warning", "at": "-24h", "action": "remind",
         "to": ["$owner", "$delivery_owner"]},
        {"name": "missed", "at": "0m", "action": "notify", "to": ["$owner", "sales_director"]}
      ]
    }
  }
})";

std::shared_ptr<const rule_set> load_rules() {
  return load_rules_text(rules_text, "sla-test.json");
}

sla::start_request first_touch(const char* lead, timestamp from) {
  sla::start_request r;
  r.policy = "first_touch";
  r.subject = lead_ref(lead);
  r.from = from;
  r.parties.set("owner", "R7");
  r.parties.set("manager", "M1");
  return r;
}

struct fixture {
  std::shared_ptr<const rule_set> rules = load_rules();
  memory_storage store;
  manual_clock clk{at("2026-11-20T17:30:00+08:00")};  // a Friday
  memory_notifier sent;
};

}  // namespace

TEST_CASE("the sla section loads policies with their calendars and ladders", "[sla][engine]") {
  const auto rules = load_rules();
  const auto& set = *rules->sla_policies();
  CHECK(set.names() == std::vector<std::string>{"first_touch", "golden_72h", "promise"});
  const sla::policy* ft = set.find("first_touch");
  REQUIRE(ft != nullptr);
  CHECK(ft->calendar != nullptr);
  CHECK(ft->calendar_name == "华东");
  CHECK(ft->due == std::optional<duration>(2h));
  REQUIRE(ft->steps.size() == 3);
  CHECK(ft->steps[0].level == notification_level::warning);
  CHECK(ft->steps[1].level == notification_level::escalation);
  CHECK(ft->parties() == std::vector<std::string>{"manager", "owner"});
  CHECK(set.find("golden_72h")->calendar == nullptr);
  CHECK(set.find("golden_72h")->on_recovery == sla::recovery_mode::skip);
  CHECK_FALSE(set.find("promise")->due.has_value());

  auto empty = rule_set::load_string("{}");
  REQUIRE(empty);
  CHECK((*empty)->sla_policies()->empty());
}

TEST_CASE("mistakes in the sla section are reported at their place", "[sla][engine]") {
  auto errors_of = [](const std::string& sla) {
    const std::string text = R"({"calendars": {"华东": {"week": {"mon-fri": ["09:00-18:00"]}}},
      "sla": )" + sla + "}";
    auto r = rule_set::load_string(text, "bad.json");
    REQUIRE_FALSE(r);
    return r.error().to_string();
  };
  CHECK_THAT(errors_of(R"({"p": {"about": "lead", "calendar": "华冬", "due": "2h",
                              "steps": [{"at": "0m", "action": "remind"}]}})"),
             Catch::Contains("no calendar named '华冬'") && Catch::Contains("华东") &&
                 Catch::Contains("bad.json:2:"));
  CHECK_THAT(errors_of(R"({"p": {"about": "lead", "steps": [
                              {"name": "b", "at": "1h", "action": "x"},
                              {"name": "a", "at": "0m", "action": "y"}]}})"),
             Catch::Contains("comes before step 'b'"));
  CHECK_THAT(errors_of(R"({"p": {"about": "lead", "steps": [
                              {"at": "0m", "action": "remind"},
                              {"at": "1h", "action": "remind"}]}})"),
             Catch::Contains("a second step named 'remind'"));
  CHECK_THAT(errors_of(R"({"p": {"about": "leed", "steps": [{"at": "0m", "action": "x"}]}})"),
             Catch::Contains("lead"));
  CHECK_THAT(errors_of(R"({"p": {"about": "lead", "steps": []}})"),
             Catch::Contains("at least one step"));
  CHECK_THAT(errors_of(R"({"p": {"about": "lead", "due": "soon", "steps": [{"at": "0m",
                              "action": "x", "to": [""]}]}})"),
             Catch::Contains("soon") && Catch::Contains("a recipient is"));
  CHECK_THAT(errors_of(R"({"p": {"about": "lead", "steps": [{"at": "0m", "action": "x",
                              "levle": "alert"}]}})"),
             Catch::Contains("levle") && Catch::Contains("level"));
}

TEST_CASE("a first-touch ladder fires in business time: warning, breach, reassignment",
          "[sla][engine]") {
  fixture f;
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  // Friday 17:30 + 2 business hours (09:00-12:00, 13:30-18:00) = Monday 10:30.
  auto t = sla.start(first_touch("L1", f.clk.now()));
  REQUIRE(t);
  CHECK(t->id.str() == "first_touch/lead/L1");
  CHECK(t->due_at == at("2026-11-23T10:00:00+08:00"));  // the warning, 30 min before
  CHECK(sla.next_due() == std::optional(at("2026-11-23T10:00:00+08:00")));
  auto stored = f.store.timers().get(t->id);
  REQUIRE(stored);
  CHECK(stored->state == timer_state::pending);

  f.clk.set(at("2026-11-23T09:59:59+08:00"));
  CHECK(sla.advance().fired == 0);
  f.clk.set(at("2026-11-23T10:00:00+08:00"));
  auto r = sla.advance();
  CHECK(r.fired == 1);
  REQUIRE(f.sent.size() == 1);
  const notification warn = f.sent.snapshot()[0];
  CHECK(warn.topic == "sla.warning");
  CHECK(warn.level == notification_level::warning);
  CHECK(warn.recipients == std::vector<std::string>{"R7"});
  CHECK(warn.subject == lead_ref("L1"));
  CHECK(warn.data.find("key")->to_string() == "first_touch/lead/L1#0");
  CHECK(*warn.data.find("deadline") == value(at("2026-11-23T10:30:00+08:00")));
  CHECK(*warn.data.find("late") == value(false));
  CHECK_THAT(warn.message, Catch::Contains("30m left"));

  // The breach at 10:30; the reassignment 2 business hours later, over lunch: 14:00.
  f.clk.set(at("2026-11-23T13:59:00+08:00"));
  r = sla.advance();
  CHECK(r.fired == 1);
  CHECK(sla.find(t->id)->due_at == at("2026-11-23T14:00:00+08:00"));
  f.clk.set(at("2026-11-23T14:00:00+08:00"));
  r = sla.advance();
  CHECK(r.fired == 1);
  CHECK(r.completed == 1);
  CHECK(steps_of(f.sent) == std::vector<std::string>{"L1:warn", "L1:breach", "L1:reassign"});
  const auto all = f.sent.snapshot();
  CHECK(all[1].topic == "sla.breach");
  CHECK(all[1].recipients == std::vector<std::string>{"R7", "M1"});
  CHECK(*all[1].data.find("late_by") == value(duration(3h + 29min)));  // advanced late
  CHECK(all[2].topic == "sla.escalation");
  CHECK(*all[2].data.find("action") == value("reclaim"));

  CHECK(sla.running() == 0);
  CHECK_FALSE(sla.find(t->id));
  stored = f.store.timers().get(t->id);
  REQUIRE(stored);
  CHECK(stored->state == timer_state::fired);
  CHECK(stored->step == 3);
  auto log = f.store.decisions().for_subject(lead_ref("L1"));
  REQUIRE(log);
  REQUIRE(log->size() == 3);
  CHECK((*log)[0].kind == decision_kind::escalation);
  CHECK((*log)[2].reason == "first_touch: step 'reassign' (reclaim)");
  CHECK_THAT((*log)[2].detail, Catch::Contains("\"timer\":\"first_touch/lead/L1\""));
}

TEST_CASE("stopping a deadline when the first touch is recorded silences its ladder",
          "[sla][engine]") {
  fixture f;
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  REQUIRE(sla.start(first_touch("L1", f.clk.now())));
  REQUIRE(sla.start(first_touch("L2", f.clk.now())));
  CHECK(sla.stop("first_touch", lead_ref("L1")).ok());
  CHECK(sla.stop("first_touch", lead_ref("L1")).code() == status_code::not_found);
  f.clk.set(at("2026-11-30T00:00:00+08:00"));
  const auto r = sla.advance();
  CHECK(r.fired == 3);
  CHECK(steps_of(f.sent) == std::vector<std::string>{"L2:warn", "L2:breach", "L2:reassign"});
  CHECK(f.store.timers().get(sla::timer_id_of("first_touch", lead_ref("L1")))->state ==
        timer_state::cancelled);
}

TEST_CASE("stopping a deadline whose ladder already ran out answers not_found and fires nothing",
          "[sla][engine]") {
  fixture f;
  f.clk.set(at("2026-11-23T09:00:00+08:00"));  // Monday
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  REQUIRE(sla.start(first_touch("L1", f.clk.now())));
  f.clk.set(at("2026-11-23T15:00:00+08:00"));  // past the reclaim at 14:30
  CHECK(sla.advance().fired == 3);
  CHECK(sla.stop("first_touch", lead_ref("L1")).code() == status_code::not_found);
  CHECK(sla.advance().fired == 0);
  CHECK(steps_of(f.sent) == std::vector<std::string>{"L1:warn", "L1:breach", "L1:reassign"});
}

TEST_CASE("a paused deadline keeps its business time left and counts again from resume",
          "[sla][engine]") {
  fixture f;
  f.clk.set(at("2026-11-23T09:00:00+08:00"));  // Monday
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  const auto t = sla.start(first_touch("L1", f.clk.now()));  // due 11:00
  REQUIRE(t);
  f.clk.set(at("2026-11-23T10:00:00+08:00"));  // 1 business hour left
  REQUIRE(sla.pause(t->id).ok());
  CHECK(sla.pause(t->id).code() == status_code::invalid_argument);
  CHECK(sla.paused() == 1);
  CHECK(sla.running() == 0);
  CHECK(f.store.timers().get(t->id)->state == timer_state::paused);
  CHECK(f.store.timers().get(t->id)->remaining == std::optional<duration>(1h));

  f.clk.set(at("2026-11-25T17:30:00+08:00"));  // Wednesday, waiting for the customer
  CHECK(sla.advance().fired == 0);
  REQUIRE(sla.resume(t->id).ok());
  CHECK(sla.resume(t->id).code() == status_code::invalid_argument);
  // 30 min on Wednesday, 30 min on Thursday: the deadline is Thursday 09:30, the warning
  // 30 wall-clock minutes before it.
  const auto running = sla.find(t->id);
  REQUIRE(running);
  CHECK(*running->custom.find("deadline") == value(at("2026-11-26T09:30:00+08:00")));
  CHECK(running->due_at == at("2026-11-26T09:00:00+08:00"));
  f.clk.set(at("2026-11-26T09:30:00+08:00"));
  CHECK(sla.advance().fired == 2);
  CHECK(steps_of(f.sent) == std::vector<std::string>{"L1:warn", "L1:breach"});
}

TEST_CASE("starting a running deadline again restarts it with the new owner", "[sla][engine]") {
  fixture f;
  f.clk.set(at("2026-11-23T09:00:00+08:00"));
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  REQUIRE(sla.start(first_touch("L1", f.clk.now())));
  f.clk.set(at("2026-11-23T11:00:00+08:00"));
  CHECK(sla.advance().fired == 2);  // warning and breach to R7
  auto again = first_touch("L1", f.clk.now());
  again.parties.set("owner", "R9");  // reassigned
  const auto t = sla.start(again);
  REQUIRE(t);
  CHECK(t->step == 0);
  CHECK(sla.running() == 1);
  f.clk.set(at("2026-11-23T14:30:00+08:00"));  // 11:00 + 2h over lunch = 14:30
  CHECK(sla.advance().fired == 2);
  const auto all = f.sent.snapshot();
  REQUIRE(all.size() == 4);
  CHECK(all[2].recipients == std::vector<std::string>{"R9"});
  CHECK(all[3].recipients == std::vector<std::string>{"R9", "M1"});
  // Completed, then started once more: the stored copy is overwritten, not duplicated.
  f.clk.set(at("2026-11-24T18:00:00+08:00"));
  CHECK(sla.advance().fired == 1);
  REQUIRE_FALSE(sla.find(t->id));
  REQUIRE(sla.start(first_touch("L1", f.clk.now())));
  CHECK(f.store.timers().count().value() == 1);
}

TEST_CASE("a promise warns both owners 24 hours before its due date", "[sla][engine]") {
  fixture f;
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  sla::start_request r;
  r.policy = "promise";
  r.subject = {record_kind::promise, "P1"};
  r.from = f.clk.now();
  r.due_at = at("2026-11-25T18:00:00+08:00");  // "the proposal by Wednesday"
  r.parties.set("owner", "R7");
  r.parties.set("delivery_owner", value::string_list{"D1", "D2"});
  const auto t = sla.start(r);
  REQUIRE(t);
  CHECK(t->due_at == at("2026-11-24T18:00:00+08:00"));
  f.clk.set(at("2026-11-24T18:00:00+08:00"));
  REQUIRE(sla.advance().fired == 1);
  CHECK(f.sent.snapshot()[0].recipients == std::vector<std::string>{"R7", "D1", "D2"});
  f.clk.set(at("2026-11-25T18:00:00+08:00"));
  REQUIRE(sla.advance().fired == 1);
  CHECK(f.sent.snapshot()[1].recipients == std::vector<std::string>{"R7", "sales_director"});
}

TEST_CASE("bad start requests are refused with the reason", "[sla][engine]") {
  fixture f;
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  sla::start_request r = first_touch("L1", f.clk.now());
  r.policy = "first_tuch";
  CHECK(sla.start(r).error().code() == status_code::not_found);
  r = first_touch("L1", f.clk.now());
  r.parties.erase("manager");
  CHECK_THAT(sla.start(r).error().message(), Catch::Contains("needs the party 'manager'"));
  r = first_touch("L1", f.clk.now());
  r.subject = {record_kind::customer, "C1"};
  CHECK_THAT(sla.start(r).error().message(), Catch::Contains("is about a lead, not a customer"));
  r = first_touch("L1", f.clk.now());
  r.subject.id.clear();
  CHECK(sla.start(r).error().code() == status_code::invalid_argument);
  sla::start_request p;
  p.policy = "promise";
  p.subject = {record_kind::promise, "P1"};
  p.parties.set("owner", "R7");
  p.parties.set("delivery_owner", "D1");
  CHECK_THAT(sla.start(p).error().message(), Catch::Contains("give due_in or due_at"));
  p.due_in = -1h;
  CHECK(sla.start(p).error().code() == status_code::invalid_argument);
  CHECK(sla.running() == 0);
  CHECK(f.store.timers().count().value() == 0);
  CHECK(sla.pause(sla::timer_id_of("first_touch", lead_ref("L1"))).code() ==
        status_code::not_found);
}

TEST_CASE("a notification the host refuses is tried again later, never lost", "[sla][engine]") {
  fixture f;
  int refusals = 2;
  std::vector<notification> got;
  callback_notifier flaky([&](const notification& n) -> status {
    if (refusals > 0) {
      --refusals;
      return status::unavailable("WeChat Work is down");
    }
    got.push_back(n);
    return {};
  });
  sla::engine_options o;
  o.retry_after = 5min;
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &flaky, o);
  sla::start_request r;
  r.policy = "golden_72h";
  r.subject = lead_ref("L1");
  r.from = f.clk.now();
  REQUIRE(sla.start(r));
  f.clk.advance(72h);
  auto rep = sla.advance();
  CHECK(rep.retried == 1);
  CHECK(rep.fired == 0);
  f.clk.advance(4min);
  CHECK(sla.advance().fired == 0);
  f.clk.advance(1min);
  CHECK(sla.advance().retried == 1);
  f.clk.advance(5min);
  rep = sla.advance();
  CHECK(rep.fired == 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].recipients == std::vector<std::string>{"marketing_lead", "sales_director"});
  CHECK(*got[0].data.find("late_by") == value(duration(10min)));
  CHECK(flaky.failed() == 2);
}

TEST_CASE("the step callback may restart deadlines from inside advance", "[sla][engine]") {
  fixture f;
  f.clk.set(at("2026-11-23T09:00:00+08:00"));
  sla::engine* self = nullptr;
  std::vector<std::string> actions;
  sla::engine_options o;
  o.on_step = [&](const sla::fired_step& s) -> status {
    const auto& st = s.rules->steps[s.index];
    actions.push_back(st.action + "@" + format_timestamp(s.step_at));
    if (st.action == "reclaim") {  // the lead goes to a new owner: a new first-touch clock
      auto again = first_touch(s.deadline.subject.id.c_str(), s.fired_at);
      again.parties.set("owner", "R9");
      auto t = self->start(again);
      return t ? status{} : t.error();
    }
    return {};
  };
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent, o);
  self = &sla;
  REQUIRE(sla.start(first_touch("L1", f.clk.now())));  // due 11:00, reclaim 14:30
  f.clk.set(at("2026-11-23T14:30:00+08:00"));
  const auto r = sla.advance();
  CHECK(r.fired == 3);
  CHECK(r.errors.empty());
  CHECK(actions.size() == 3);
  CHECK(sla.running() == 1);
  const auto t = sla.find(sla::timer_id_of("first_touch", lead_ref("L1")));
  REQUIRE(t);
  CHECK(t->step == 0);
  CHECK(*t->custom.find("deadline") == value(at("2026-11-23T16:30:00+08:00")));
}

TEST_CASE("after a restart, pending deadlines are reloaded and missed steps fire once, late",
          "[sla][engine][recovery]") {
  fixture f;
  f.clk.set(at("2026-11-23T09:00:00+08:00"));
  {
    sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
    REQUIRE(sla.start(first_touch("L1", f.clk.now())));  // 10:30 warn, 11:00 breach, 14:30
    REQUIRE(sla.start(first_touch("L2", f.clk.now())));
    REQUIRE(sla.pause(sla::timer_id_of("first_touch", lead_ref("L2"))).ok());
    sla::start_request g;
    g.policy = "golden_72h";
    g.subject = lead_ref("L3");
    g.from = f.clk.now();
    REQUIRE(sla.start(g));
    f.clk.set(at("2026-11-23T10:30:00+08:00"));
    CHECK(sla.advance().fired == 1);  // L1's warning, then the process "dies"
  }
  f.sent.clear();
  f.clk.set(at("2026-11-27T12:00:00+08:00"));  // four days later
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  const auto rep = sla.recover();
  REQUIRE(rep);
  CHECK(rep->loaded == 3);
  CHECK(rep->paused == 1);
  CHECK(rep->overdue == 2);  // L1's breach and reassignment
  CHECK(rep->skipped == 1);  // golden_72h skips what it missed
  CHECK(sla.running() == 1);
  CHECK(sla.paused() == 1);
  CHECK(f.store.timers().get(sla::timer_id_of("golden_72h", lead_ref("L3")))->state ==
        timer_state::fired);

  auto r = sla.advance();
  CHECK(r.fired == 2);
  CHECK(steps_of(f.sent) == std::vector<std::string>{"L1:breach", "L1:reassign"});
  for (const auto& n : f.sent.snapshot()) {
    CHECK(*n.data.find("late") == value(true));
    CHECK_THAT(n.message, Catch::Contains("came due while the engine was down"));
  }
  CHECK(sla.advance().fired == 0);  // nothing fires twice
  f.sent.clear();
  // A second recovery in the same process finds nothing new.
  const auto again = sla.recover();
  REQUIRE(again);
  CHECK(again->loaded == 0);
  // The paused one resumes with what it had left, 2 business hours, from 12:00 Friday, after
  // lunch: 15:30.
  REQUIRE(sla.resume(sla::timer_id_of("first_touch", lead_ref("L2"))).ok());
  f.clk.set(at("2026-11-27T15:30:00+08:00"));
  r = sla.advance();
  CHECK(steps_of(f.sent) == std::vector<std::string>{"L2:warn", "L2:breach"});
  for (const auto& n : f.sent.snapshot())
    CHECK(*n.data.find("late") == value(false));
}

TEST_CASE("timers of policies the rules no longer have are left alone on recovery",
          "[sla][engine][recovery]") {
  fixture f;
  timer t;
  t.id = timer_id{"retired/lead/L1"};
  t.policy = "retired";
  t.subject = lead_ref("L1");
  t.due_at = f.clk.now();
  REQUIRE(f.store.timers().insert(t));
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  const auto rep = sla.recover();
  REQUIRE(rep);
  CHECK(rep->orphaned == 1);
  CHECK(rep->loaded == 0);
  CHECK(f.store.timers().get(t.id)->state == timer_state::pending);
}

TEST_CASE("concurrent starts, stops and advances fire every step of every deadline once",
          "[sla][engine][threads]") {
  fixture f;
  f.clk.set(at("2026-11-23T09:00:00+08:00"));
  std::mutex mu;
  std::map<std::string, int> seen;
  callback_notifier counting([&](const notification& n) -> status {
    std::lock_guard lock(mu);
    ++seen[n.data.find("key")->to_string()];
    return {};
  });
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &counting);
  constexpr int threads = 4, per_thread = 200;
  std::atomic<bool> stop_advancing{false};
  std::thread advancer([&] {
    while (!stop_advancing.load()) {
      const auto r = sla.advance();
      CHECK(r.errors.empty());
    }
  });
  // A worker descheduled between its start and its stop (a loaded CI machine) can see the
  // clock run past the whole ladder meanwhile; the stop then finds the deadline completed and
  // answers not_found, which is right as long as every step of it fired exactly once.
  std::vector<std::vector<char>> stop_missed(threads, std::vector<char>(per_thread, 0));
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string id = "L" + std::to_string(w) + "-" + std::to_string(i);
        auto t = sla.start(first_touch(id.c_str(), f.clk.now()));
        CHECK(t);
        if (i % 4 != 0) continue;
        const status st = sla.stop("first_touch", lead_ref(id.c_str()));
        INFO(id << ": " << st.to_string());
        CHECK((st.ok() || st.is_not_found()));
        stop_missed[static_cast<std::size_t>(w)][static_cast<std::size_t>(i)] =
            st.is_not_found() ? 1 : 0;
      }
    });
  }
  for (int k = 0; k < 40; ++k) {
    f.clk.advance(10min);  // 09:00 -> 15:40: every ladder started at 09:00 has run out
    std::this_thread::sleep_for(1ms);
  }
  for (auto& t : workers)
    t.join();
  f.clk.set(at("2026-11-24T18:00:00+08:00"));
  stop_advancing = true;
  advancer.join();
  (void)sla.advance();  // the last steps, after the workers stopped
  CHECK(sla.advance().fired == 0);
  CHECK(sla.running() == 0);
  std::size_t expected = 0;
  for (int w = 0; w < threads; ++w) {
    for (int i = 0; i < per_thread; ++i) {
      if (i % 4 == 0 && !stop_missed[static_cast<std::size_t>(w)][static_cast<std::size_t>(i)])
        continue;
      ++expected;
      const std::string key = "first_touch/lead/L" + std::to_string(w) + "-" + std::to_string(i);
      for (int s = 0; s < 3; ++s) {
        INFO(key << "#" << s);
        CHECK(seen[key + "#" + std::to_string(s)] == 1);
      }
    }
  }
  CHECK(seen.size() >= expected * 3);
  for (const auto& [key, n] : seen)
    CHECK(n == 1);
}

TEST_CASE("the rules-file example in docs/SLA.md and examples/rules/sla-rules.json load",
          "[sla][engine][docs]") {
  const std::string text = test_docs::first_jsonc_block(CRMRULES_SOURCE_DIR "/docs/SLA.md");
  REQUIRE_FALSE(text.empty());
  auto rules = rule_set::load_string(text, "docs/SLA.md");
  if (!rules) FAIL(rules.error().to_string());
  CHECK((*rules)->sla_policies()->names() ==
        std::vector<std::string>{"dwell", "first_touch", "golden_72h", "promise"});
  CHECK((*rules)->calendar_names() == std::vector<std::string>{"New York", "华东"});
  auto example = rule_set::load_file(CRMRULES_SOURCE_DIR "/examples/rules/sla-rules.json");
  if (!example) FAIL(example.error().to_string());
  CHECK((*example)->sla_policies()->find("first_touch")->steps.size() == 4);

  // A stage's own dwell limit, passed at start: 3 business days from Friday 17:00 on the
  // 华东 calendar (7.5 working hours a day) end on Wednesday at 17:00.
  memory_storage store;
  manual_clock clk(at("2026-11-20T17:00:00+08:00"));
  memory_notifier sent;
  sla::engine sla((*rules)->sla_policies(), store, clk, &sent);
  sla::start_request r;
  r.policy = "dwell";
  r.subject = {record_kind::opportunity, "OPP1"};
  r.from = clk.now();
  r.due_in = 3 * 7h + 3 * 30min;  // three working days of business time
  r.parties.set("owner", "R7");
  const auto t = sla.start(r);
  REQUIRE(t);
  CHECK(t->due_at == at("2026-11-25T17:00:00+08:00"));
}

TEST_CASE("a notifier that always refuses cannot stall the ladder or the engine", "[sla][engine]") {
  fixture f;
  callback_notifier refuses(
      [](const notification&) -> status { return status::unavailable("inbox full"); });
  sla::engine_options o;
  o.retry_after = duration::zero();  // clamped to 1 ms: advance() must still return
  o.max_attempts = 3;
  std::vector<std::string> steps;
  o.on_step = [&](const sla::fired_step& s) -> status {
    steps.push_back(s.rules->steps[s.index].name + (s.undelivered ? " undelivered" : ""));
    return status::internal("the host's action failed");
  };
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &refuses, o);
  sla::start_request r;
  r.policy = "golden_72h";
  r.subject = lead_ref("L1");
  r.from = f.clk.now();
  REQUIRE(sla.start(r));
  f.clk.advance(72h);
  auto rep = sla.advance();
  CHECK(rep.retried == 1);
  CHECK(rep.fired == 0);
  f.clk.advance(1ms);
  CHECK(sla.advance().retried == 1);
  f.clk.advance(1ms);
  rep = sla.advance();
  CHECK(rep.undelivered == 1);
  CHECK(rep.fired == 1);
  CHECK(rep.completed == 1);
  REQUIRE(rep.errors.size() == 2);  // given up, and the host action's own error
  CHECK_THAT(rep.errors[0].message(), Catch::Contains("undelivered after 3 attempts"));
  CHECK_THAT(rep.errors[1].message(), Catch::Contains("the host's action failed"));
  CHECK(steps == std::vector<std::string>{"escalate undelivered"});
  const auto log = f.store.decisions().for_subject(lead_ref("L1"));
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK_THAT((*log)[0].reason, Catch::Contains("the notifier refused it, given up"));
  CHECK(refuses.failed() == 3);
}

TEST_CASE("a calendar with a mistake is reported once, not again where a policy names it",
          "[sla][engine]") {
  auto r = rule_set::load_string(R"({
    "calendars": {"A": {"week": {"mon-fri": ["09:00-18:00"]}, "holidayz": []},
                  "华东": {"week": {"mon-fri": ["09:00-18:00"]}}},
    "sla": {"p": {"about": "lead", "calendar": "A", "due": "2h",
                  "steps": [{"at": "0m", "action": "remind"}]}}})",
                                 "cal.json");
  REQUIRE_FALSE(r);
  const std::string text = r.error().to_string();
  CHECK_THAT(text, Catch::Contains("holidayz"));
  CHECK_THAT(text, !Catch::Contains("no calendar named"));
}

TEST_CASE("skip recovery drops only the missed steps; later ones still fire",
          "[sla][engine][recovery]") {
  auto rules = rule_set::load_string(R"({"sla": {"s": {"about": "lead", "due": "1h",
      "on_recovery": "skip", "steps": [{"name": "a", "at": "0m", "action": "x"},
                                       {"name": "b", "at": "1h", "action": "y"},
                                       {"name": "c", "at": "5h", "action": "z"}]}}})");
  REQUIRE(rules);
  memory_storage store;
  manual_clock clk(at("2026-11-23T09:00:00+08:00"));
  memory_notifier sent;
  {
    sla::engine sla((*rules)->sla_policies(), store, clk, &sent);
    sla::start_request r;
    r.policy = "s";
    r.subject = lead_ref("L1");
    r.from = clk.now();
    REQUIRE(sla.start(r));
  }
  clk.set(at("2026-11-23T12:00:00+08:00"));  // a (10:00) and b (11:00) missed
  sla::engine sla((*rules)->sla_policies(), store, clk, &sent);
  const auto rep = sla.recover();
  REQUIRE(rep);
  CHECK(rep->skipped == 2);
  CHECK(rep->overdue == 0);
  CHECK(sla.advance().fired == 0);
  clk.set(at("2026-11-23T15:00:00+08:00"));
  CHECK(sla.advance().fired == 1);
  CHECK(steps_of(sent) == std::vector<std::string>{"L1:c"});
}

TEST_CASE("a deadline paused after it was missed keeps how far over it was", "[sla][engine]") {
  fixture f;
  f.clk.set(at("2026-11-23T09:00:00+08:00"));
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  const auto t = sla.start(first_touch("L1", f.clk.now()));  // due 11:00
  REQUIRE(t);
  f.clk.set(at("2026-11-23T11:30:00+08:00"));
  CHECK(sla.advance().fired == 2);
  REQUIRE(sla.pause(t->id).ok());
  CHECK(sla.find(t->id)->remaining == std::optional<duration>(-30min));
  f.clk.set(at("2026-11-24T10:00:00+08:00"));
  REQUIRE(sla.resume(t->id).ok());
  CHECK(*sla.find(t->id)->custom.find("deadline") == value(at("2026-11-24T09:30:00+08:00")));
  // The reclaim, 2 business hours after the new deadline: 11:30.
  CHECK(sla.find(t->id)->due_at == at("2026-11-24T11:30:00+08:00"));
}

TEST_CASE("starts without a clock start or far out of range, and odd policy names, are refused",
          "[sla][engine]") {
  fixture f;
  sla::engine sla(f.rules->sla_policies(), f.store, f.clk, &f.sent);
  auto r = first_touch("L1", timestamp{});
  CHECK_THAT(sla.start(r).error().message(), Catch::Contains("from is not set"));
  sla::start_request p;
  p.policy = "promise";
  p.subject = {record_kind::promise, "P1"};
  p.parties.set("owner", "R7");
  p.parties.set("delivery_owner", "D1");
  p.due_at = timestamp::max();
  CHECK_THAT(sla.start(p).error().message(), Catch::Contains("out of range"));
  r = first_touch("L1", f.clk.now());
  r.due_in = std::chrono::days(365 * 20);
  CHECK(sla.start(r).error().code() == status_code::invalid_argument);
  CHECK(sla.running() == 0);

  sla::policy bad;
  bad.name = "a/b";
  bad.steps.push_back({"s", 0min, "remind", {}, notification_level::escalation});
  sla::policy_set set;
  CHECK_THAT(set.add(bad).message(), Catch::Contains("cannot contain '/'"));
  CHECK(sla.next_due() == std::nullopt);
}
