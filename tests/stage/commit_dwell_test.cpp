// Stage gates: moves committed with their decisions, overrides, dwell limits and the forecast.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/stage/commit.hpp"
#include "crmrules/stage/dwell.hpp"
#include "crmrules/store/memory_storage.hpp"

using namespace crmrules;

namespace {

const timestamp now = *parse_timestamp("2026-11-20T10:00:00+08:00");

constexpr std::string_view rules_text = R"js({
  "pipeline": {
    "stages": [
      {"id": "初步接触", "order": 1, "win_probability": 0.1, "dwell": "7d",
       "evidence": [{"type": "call_recording"}]},
      {"id": "需求分析", "order": 2, "win_probability": 0.25, "dwell": "10d",
       "evidence": [{"type": "meeting_minutes"}]},
      {"id": "方案演示", "order": 3, "win_probability": 0.5, "dwell": "5d", "forecast": "best_case"},
      {"id": "报价审批", "order": 4, "win_probability": 0.75, "dwell": "3d", "forecast": "commit"},
      {"id": "赢单", "terminal": "won"},
      {"id": "输单", "terminal": "lost"}
    ],
    "lost_reasons": {"codes": ["price", "competitor", "no_budget", "timing"]},
    "override_roles": ["sales_director"]
  }
})js";

std::shared_ptr<const stage::pipeline> load() {
  auto rules = rule_set::load_string(rules_text);
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  return (*rules)->stage_pipeline();
}

opportunity deal(const char* id, const char* stage, std::int64_t yuan, int days_in_stage) {
  opportunity o;
  o.id = opportunity_id{id};
  o.stage = stage;
  o.owner = rep_id{"R1"};
  o.amount = money::from_major(yuan);
  o.created_at = now - std::chrono::days(30);
  o.entered_stage_at = now - std::chrono::days(days_in_stage);
  return o;
}

evidence_item call(const char* id) {
  evidence_item e;
  e.id = id;
  e.stage = "初步接触";
  e.type = evidence_type::call_recording;
  e.ref = "rec://1";
  e.added_at = now;
  return e;
}

}  // namespace

TEST_CASE("a move with its proof is committed with the proof and a stage_move decision",
          "[stage][commit]") {
  memory_storage store;
  REQUIRE(store.opportunities().insert(deal("O1", "初步接触", 100000, 2)));
  stage::gate g(load());
  stage::move_request req{opportunity_id{"O1"}, "需求分析", {call("E1")}, "u-zhang", "sales", {}};
  auto r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK(r->moved);
  CHECK_FALSE(r->overridden);
  CHECK(r->verdict.kind == stage::move_kind::next);
  auto o = store.opportunities().get(opportunity_id{"O1"});
  REQUIRE(o);
  CHECK(o->stage == "需求分析");
  CHECK(o->entered_stage_at == now);
  REQUIRE(o->evidence.size() == 1);
  CHECK(o->evidence[0].id == "E1");
  auto log = store.decisions().for_subject(record_ref{record_kind::opportunity, "O1"});
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK((*log)[0].kind == decision_kind::stage_move);
  CHECK((*log)[0].actor == "u-zhang");
  CHECK((*log)[0].reason == "moved from '初步接触' to '需求分析' (next)");
  CHECK((*log)[0].seq == r->decision_seq);
}

TEST_CASE("a refused move changes nothing and is logged with every gap", "[stage][commit]") {
  memory_storage store;
  REQUIRE(store.opportunities().insert(deal("O1", "初步接触", 100000, 2)));
  stage::gate g(load());
  stage::move_request req{opportunity_id{"O1"}, "方案演示", {}, "u-zhang", "sales", {}};
  auto r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK_FALSE(r->moved);
  CHECK(r->refusal ==
        "1 x call_recording for stage '初步接触' (have 0); 1 x meeting_minutes with attendees for "
        "stage '需求分析' (have 0)");
  CHECK(store.opportunities().get(opportunity_id{"O1"})->stage == "初步接触");
  auto log = store.decisions().for_subject(record_ref{record_kind::opportunity, "O1"});
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK((*log)[0].kind == decision_kind::gate_refusal);
  CHECK((*log)[0].reason.starts_with("refused: 1 x call_recording"));
  CHECK((*log)[0].detail.find("\"unmet\"") != std::string::npos);
}

TEST_CASE("only an authorised role overrides a refusal, with a reason, and it is logged",
          "[stage][commit]") {
  memory_storage store;
  REQUIRE(store.opportunities().insert(deal("O1", "初步接触", 100000, 2)));
  stage::gate g(load());
  stage::move_request req{opportunity_id{"O1"},         "需求分析", {}, "u-zhang", "sales",
                          std::string("customer asked")};
  auto r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK_FALSE(r->moved);
  CHECK(r->refusal.starts_with("role 'sales' may not override the gate"));
  req.actor = "u-li";
  req.actor_role = "sales_director";
  req.override_reason = "";
  r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK_FALSE(r->moved);
  CHECK(r->refusal.starts_with("an override needs a reason"));
  req.override_reason = "recording lost in the phone system; the call happened";
  r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK(r->moved);
  CHECK(r->overridden);
  CHECK(store.opportunities().get(opportunity_id{"O1"})->stage == "需求分析");
  auto log = store.decisions().for_subject(record_ref{record_kind::opportunity, "O1"});
  REQUIRE(log);
  REQUIRE(log->size() == 3);
  CHECK((*log)[0].kind == decision_kind::gate_refusal);
  CHECK((*log)[1].kind == decision_kind::gate_refusal);
  CHECK((*log)[2].kind == decision_kind::override);
  CHECK((*log)[2].actor == "u-li");
  CHECK((*log)[2].reason ==
        "override by sales_director: recording lost in the phone system; the call happened "
        "(missing: 1 x call_recording for stage '初步接触' (have 0))");
  // An invalid move is never overridden.
  req.target = "合同";
  r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK_FALSE(r->moved);
  CHECK(r->refusal.starts_with("an invalid move cannot be overridden"));
}

TEST_CASE("lost reasons given with the move are checked and stored with it; a refusal keeps none",
          "[stage][commit]") {
  memory_storage store;
  REQUIRE(store.opportunities().insert(deal("O1", "方案演示", 100000, 1)));
  stage::gate g(load());
  stage::move_request req{opportunity_id{"O1"}, "输单", {}, "u", "sales", {}};
  req.lost_reasons = {{"price", true, "note-1"}};
  auto r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK_FALSE(r->moved);
  CHECK(store.opportunities().get(opportunity_id{"O1"})->lost_reasons.empty());
  req.lost_reasons.push_back({"competitor", false, "call-2"});
  req.lost_reasons.push_back({"timing", false, "note-3"});
  r = stage::move_and_commit(store, g, req, now);
  REQUIRE(r);
  CHECK(r->moved);
  const auto o = store.opportunities().get(opportunity_id{"O1"});
  CHECK(o->stage == "输单");
  CHECK(o->lost_reasons == req.lost_reasons);
}

TEST_CASE("a deal won or lost is closed; an unknown deal or an anonymous actor is an error",
          "[stage][commit]") {
  memory_storage store;
  opportunity o = deal("O1", "报价审批", 100000, 1);
  o.lost_reasons = {{"price", true, "n1"}, {"competitor", false, "n2"}, {"timing", false, "n3"}};
  REQUIRE(store.opportunities().insert(o));
  stage::gate g(load());
  auto r =
      stage::move_and_commit(store, g, {opportunity_id{"O1"}, "输单", {}, "u", "sales", {}}, now);
  REQUIRE(r);
  CHECK(r->moved);
  const auto closed = store.opportunities().get(opportunity_id{"O1"});
  CHECK(closed->closed_at == now);
  r = stage::move_and_commit(store, g, {opportunity_id{"O1"}, "报价审批", {}, "u", "sales", {}},
                             now);
  REQUIRE(r);
  CHECK_FALSE(r->moved);
  CHECK(r->verdict.kind == stage::move_kind::invalid);
  CHECK(stage::move_and_commit(store, g, {opportunity_id{"O9"}, "输单", {}, "u", "sales", {}}, now)
            .error()
            .code() == status_code::not_found);
  CHECK(stage::move_and_commit(store, g, {opportunity_id{"O1"}, "输单", {}, "", "sales", {}}, now)
            .error()
            .code() == status_code::invalid_argument);
}

TEST_CASE("concurrent moves of one deal: exactly one wins, the other sees the new stage",
          "[stage][commit]") {
  memory_storage store;
  opportunity o = deal("O1", "初步接触", 100000, 1);
  o.evidence = {call("E1")};
  REQUIRE(store.opportunities().insert(o));
  const auto p = load();
  std::vector<int> moved(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      stage::gate g(p);
      auto r = stage::move_and_commit(
          store, g, {opportunity_id{"O1"}, "需求分析", {}, "u" + std::to_string(t), "sales", {}},
          now);
      moved[static_cast<std::size_t>(t)] = r && r->moved ? 1 : 0;
    });
  }
  for (auto& th : threads)
    th.join();
  int winners = 0;
  for (const int m : moved)
    winners += m;
  CHECK(winners == 1);  // the others find the deal already there: an invalid move, refused
  CHECK(store.opportunities().get(opportunity_id{"O1"})->stage == "需求分析");
  auto log = store.decisions().for_subject(record_ref{record_kind::opportunity, "O1"});
  REQUIRE(log);
  CHECK(log->size() == 8);  // one move and seven refusals, every one logged
}

TEST_CASE(
    "deals past their stage's dwell limit are frozen, reminded and left out of the "
    "forecast",
    "[stage][dwell]") {
  const auto p = load();
  std::vector<opportunity> deals{
      deal("O1", "初步接触", 100000, 8),   // 7d limit: 1 day over
      deal("O2", "需求分析", 200000, 10),  // exactly at the limit: not frozen
      deal("O3", "方案演示", 300000, 2),
      deal("O4", "报价审批", 400000, 6),  // 3d limit: 3 days over
      deal("O5", "赢单", 500000, 40),     // closed: never frozen, not in the forecast
      deal("O6", "未知阶段", 600000, 1),  // not in the pipeline: ignored
  };
  CHECK(stage::is_frozen(*p, deals[0], now));
  CHECK_FALSE(stage::is_frozen(*p, deals[1], now));
  CHECK_FALSE(stage::is_frozen(*p, deals[4], now));
  const auto frozen = stage::frozen_deals(*p, deals, now);
  REQUIRE(frozen.size() == 2);
  CHECK(frozen[0].id.str() == "O4");  // the most overdue first
  CHECK(frozen[0].over_by == std::chrono::days(3));
  CHECK(frozen[0].in_stage == std::chrono::days(6));
  CHECK(frozen[1].id.str() == "O1");
  memory_notifier n;
  CHECK(stage::remind_frozen(n, *p, deals, now) == 2);
  REQUIRE(n.size() == 2);
  CHECK(n.snapshot()[0].topic == "stage.dwell_exceeded");
  CHECK(n.snapshot()[0].recipients == std::vector<std::string>{"R1"});
  CHECK(n.snapshot()[0].message.find("has been in '初步接触' for 8.0 days (limit 7.0)") !=
        std::string::npos);
  const auto f = stage::forecast_of(*p, deals, now);
  CHECK(f.counted == 2);  // O2 and O3
  CHECK(f.frozen == 2);
  CHECK(f.unweighted == money::from_major(500000));
  CHECK(f.weighted == money::from_major(200000 / 4 + 300000 / 2));
  CHECK(f.by_category.at("pipeline") == money::from_major(50000));
  CHECK(f.by_category.at("best_case") == money::from_major(150000));
  // Moving the frozen deal thaws it: a new entry time.
  deals[3].entered_stage_at = now;
  CHECK(stage::forecast_of(*p, deals, now).counted == 3);
}
