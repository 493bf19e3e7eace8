// Reclaim on no-touch: the escalation ladder and the release of an untouched lead.
#include "crmrules/assign/reclaim.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crmrules/assign/commit.hpp"
#include "crmrules/rules/rule_set.hpp"
#include "crmrules/store/memory_storage.hpp"

using namespace crmrules;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = *parse_timestamp("2026-11-20T10:00:00+08:00");

std::shared_ptr<const assign::policy> ladder_policy() {
  auto rules = rule_set::load_string(R"js({
    "assign": {
      "score": "IF(IN(lead.region, rep.regions), 20, 0)",
      "reclaim": {"remind_owner": "1h", "notify_manager": "1h30m", "reassign": "2h"},
      "fallback": {"rep": "R-director", "alert": ["sales_ops"]}
    }
  })js");
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  return (*rules)->assign_policy();
}

lead assigned_lead() {
  lead l;
  l.id = lead_id{"L1"};
  l.region = "华东";
  l.status = lead_status::assigned;
  l.owner = rep_id{"R1"};
  l.assigned_at = t0;
  return l;
}

}  // namespace

TEST_CASE("an untouched lead climbs the ladder: remind, notify the manager, reassign",
          "[assign][reclaim]") {
  const auto p = ladder_policy();
  const lead l = assigned_lead();
  auto d = assign::reclaim_check(*p, l, t0 + 30min);
  CHECK(d.step == assign::reclaim_step::none);
  CHECK(d.next_at == t0 + 1h);
  d = assign::reclaim_check(*p, l, t0 + 1h);
  CHECK(d.step == assign::reclaim_step::remind_owner);
  CHECK(d.next_at == t0 + 90min);
  d = assign::reclaim_check(*p, l, t0 + 100min);
  CHECK(d.step == assign::reclaim_step::notify_manager);
  CHECK(d.next_at == t0 + 2h);
  d = assign::reclaim_check(*p, l, t0 + 125min);
  CHECK(d.step == assign::reclaim_step::reassign);
  CHECK_FALSE(d.next_at);
  CHECK(d.reason == "not touched 2h5m after assignment to R1");
  // Out of scope: touched, or not assigned.
  lead touched = l;
  touched.first_touch_at = t0 + 10min;
  CHECK(assign::reclaim_check(*p, touched, t0 + 5h).step == assign::reclaim_step::none);
  lead waiting = l;
  waiting.status = lead_status::unassigned;
  CHECK(assign::reclaim_check(*p, waiting, t0 + 5h).step == assign::reclaim_step::none);
  // The default ladder only reassigns, after 2 hours.
  auto rules = rule_set::load_string(R"({"assign": {"score": "1"}})");
  REQUIRE(rules);
  const auto plain = (*rules)->assign_policy();
  CHECK(assign::reclaim_check(*plain, l, t0 + 119min).next_at == t0 + 2h);
  CHECK(assign::reclaim_check(*plain, l, t0 + 2h).step == assign::reclaim_step::reassign);
}

TEST_CASE("a reclaimed lead is released, the manager told, and it goes to someone else",
          "[assign][reclaim]") {
  memory_storage store;
  team east;
  east.id = team_id{"T-east"};
  east.manager = rep_id{"M1"};
  REQUIRE(store.teams().insert(east));
  for (const char* id : {"R1", "R2"}) {
    rep r;
    r.id = rep_id{id};
    r.team = east.id;
    r.regions = {"华东"};
    r.open_leads = std::string(id) == "R1" ? 1 : 0;
    REQUIRE(store.reps().insert(r));
  }
  REQUIRE(store.leads().insert(assigned_lead()));
  const auto p = ladder_policy();
  memory_notifier n;

  // The reminder goes to the owner and changes nothing.
  auto r = assign::reclaim_and_commit(store, *p, lead_id{"L1"}, t0 + 61min, &n);
  REQUIRE(r);
  CHECK(r->decision.step == assign::reclaim_step::remind_owner);
  CHECK_FALSE(r->released);
  REQUIRE(n.size() == 1);
  CHECK(n.snapshot()[0].topic == "assign.first_touch_reminder");
  CHECK(n.snapshot()[0].recipients == std::vector<std::string>{"R1"});
  // The manager step goes to the owner's team manager.
  r = assign::reclaim_and_commit(store, *p, lead_id{"L1"}, t0 + 95min, &n);
  REQUIRE(r);
  REQUIRE(n.size() == 2);
  CHECK(n.snapshot()[1].topic == "assign.first_touch_overdue");
  CHECK(n.snapshot()[1].recipients == std::vector<std::string>{"M1"});
  CHECK(store.leads().get(lead_id{"L1"})->status == lead_status::assigned);

  // Past the last rung: released.
  r = assign::reclaim_and_commit(store, *p, lead_id{"L1"}, t0 + 2h, &n);
  REQUIRE(r);
  CHECK(r->released);
  const auto released = store.leads().get(lead_id{"L1"});
  CHECK(released->status == lead_status::to_reassign);
  CHECK(released->owner == rep_id{"R1"});  // kept, so the next assignment skips R1
  CHECK(store.reps().get(rep_id{"R1"})->open_leads == 0);
  REQUIRE(n.size() == 3);
  CHECK(n.snapshot()[2].topic == "assign.reclaimed");
  auto log = store.decisions().read(0, 10);
  REQUIRE(log->size() == 1);
  CHECK((*log)[0].kind == decision_kind::reclaim);
  CHECK((*log)[0].reason == "not touched 2h after assignment to R1");

  // Reassigned, to R2 although R1 would win the tie.
  assign::assigner a(ladder_policy());
  auto again = assign::assign_and_commit(store, a, lead_id{"L1"}, t0 + 2h);
  REQUIRE(again);
  CHECK(again->pick.rep == rep_id{"R2"});
  const auto now_owned = store.leads().get(lead_id{"L1"});
  CHECK(now_owned->owner == rep_id{"R2"});
  CHECK(now_owned->status == lead_status::assigned);
  CHECK(now_owned->assigned_at == t0 + 2h);  // the ladder starts again for R2
  CHECK(assign::reclaim_check(*p, *now_owned, t0 + 2h).next_at == t0 + 3h);
  // A second reclaim call on the released-and-reassigned lead does nothing yet.
  r = assign::reclaim_and_commit(store, *p, lead_id{"L1"}, t0 + 2h + 1min, &n);
  CHECK(r->decision.step == assign::reclaim_step::none);
}

TEST_CASE("the reclaim ladder must climb", "[assign][reclaim][rules]") {
  auto r = rule_set::load_string(
      R"({"assign": {"score": "1", "reclaim": {"notify_manager": "3h", "reassign": "2h"}}})");
  REQUIRE_FALSE(r);
  CHECK(r.error()[0].message == "'notify_manager' must come before 'reassign'");
  r = rule_set::load_string(
      R"({"assign": {"score": "1", "reclaim": {"remind_owner": "2h", "notify_manager": "1h"}}})");
  REQUIRE_FALSE(r);
  CHECK(r.error()[0].message == "'remind_owner' must come before the next step");
}
