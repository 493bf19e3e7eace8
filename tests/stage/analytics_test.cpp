// Stage gates: analytics from the decision log and the Graphviz export.
#include "crmrules/stage/analytics.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/stage/commit.hpp"
#include "crmrules/store/memory_storage.hpp"

using namespace crmrules;

namespace {

const timestamp t0 = *parse_timestamp("2026-11-01T09:00:00+08:00");

constexpr std::string_view rules_text = R"js({
  "pipeline": {
    "stages": [
      {"id": "初步接触", "order": 1, "dwell": "7d"},
      {"id": "需求分析", "order": 2, "dwell": "10d",
       "evidence": [{"type": "meeting_minutes"}]},
      {"id": "方案演示", "order": 3, "dwell": "2d"},
      {"id": "赢单", "terminal": "won"},
      {"id": "输单", "terminal": "lost"}
    ],
    "backward": [{"from": "方案演示", "to": "需求分析"}],
    "lost_reasons": {"codes": ["price", "timing"], "secondary": 1},
    "override_roles": ["director"]
  }
})js";

}  // namespace

TEST_CASE("the decision log gives per-stage counts, stays, conversion and refusals", "[stage]") {
  auto rules = rule_set::load_string(rules_text);
  REQUIRE(rules);
  const auto p = (*rules)->stage_pipeline();
  memory_storage store;
  stage::gate g(p);
  auto move = [&](const char* id, const char* to, int day, const char* role = "sales",
                  std::optional<std::string> why = {}) {
    auto r = stage::move_and_commit(store, g, {opportunity_id{id}, to, {}, "u", role, why},
                                    t0 + std::chrono::days(day));
    REQUIRE(r);
    return r->moved;
  };
  for (int i = 0; i < 4; ++i) {
    opportunity o;
    o.id = opportunity_id{"O" + std::to_string(i)};
    o.stage = "初步接触";
    o.entered_stage_at = t0;
    if (i == 3) o.lost_reasons = {{"price", true, "n1"}, {"timing", false, "n2"}};
    REQUIRE(store.opportunities().insert(o));
  }
  CHECK(move("O0", "需求分析", 2));
  CHECK(move("O1", "需求分析", 4));
  CHECK(move("O2", "需求分析", 6));
  CHECK(move("O3", "输单", 1));
  CHECK_FALSE(move("O0", "方案演示", 5));  // no meeting minutes: refused
  CHECK(move("O0", "方案演示", 6, "director", std::string("minutes are on paper")));
  CHECK(move("O0", "需求分析", 9));  // back
  CHECK(move("O1", "方案演示", 14, "director", std::string("same")));

  auto log = store.decisions().read();
  REQUIRE(log);
  const auto report = stage::analyse(*p, *log);
  CHECK(report.decisions_read == 8);
  CHECK(report.unreadable == 0);
  REQUIRE(report.stages.size() == 5);
  const auto& first = report.stages[0];
  CHECK(first.stage == "初步接触");
  CHECK(first.entered == 0);  // deals start there: no move into it
  CHECK(first.advanced == 3);
  CHECK(first.lost == 1);
  CHECK(first.conversion == Approx(0.75));
  CHECK(first.stays == 0);  // their entry is not in the log
  const auto& second = report.stages[1];
  CHECK(second.entered == 4);  // three from the first stage, one back
  CHECK(second.refused == 1);
  CHECK(second.overridden == 2);
  CHECK(second.stays == 2);  // O0: day 2 -> 6 (4 days); O1: day 4 -> 14 (10 days)
  CHECK(second.median_stay == std::chrono::days(4));
  CHECK(second.p90_stay == std::chrono::days(10));
  const auto& third = report.stages[2];
  CHECK(third.entered == 2);
  CHECK(third.back == 1);
  CHECK(third.stays == 1);
  CHECK(third.median_stay == std::chrono::days(3));
  REQUIRE_FALSE(report.flows.empty());
  CHECK(report.flows[0].from == "初步接触");
  CHECK(report.flows[0].to == "需求分析");
  CHECK(report.flows[0].moves == 3);

  const std::string dot = stage::to_dot(*p, &report);
  CHECK(dot.starts_with("digraph pipeline {"));
  CHECK(dot.find(R"("初步接触" -> "需求分析" [label="3"];)") != std::string::npos);
  CHECK(dot.find("stay median 4.0d, p90 10.0d") != std::string::npos);
  CHECK(dot.find("1 refused") != std::string::npos);
  // 方案演示: median stay 3 days against a 2-day limit: red.
  CHECK(
      dot.find(
          R"("方案演示" [label="方案演示\n2 entered\nstay median 3.0d, p90 3.0d", fillcolor="#ef9a9a"])") !=
      std::string::npos);
}

TEST_CASE("without a report the graph shows the allowed moves; names are escaped", "[stage]") {
  auto rules = rule_set::load_string(rules_text);
  REQUIRE(rules);
  stage::pipeline p = *(*rules)->stage_pipeline();
  const std::string dot = stage::to_dot(p);
  CHECK(dot.find(R"("初步接触" -> "需求分析";)") != std::string::npos);
  CHECK(dot.find(R"("方案演示" -> "赢单";)") != std::string::npos);
  CHECK(dot.find(R"("方案演示" -> "需求分析" [style=dotted];)") != std::string::npos);
  CHECK(dot.find("limit 7.0d") != std::string::npos);
  p.stages[0].name = "say \"hi\"\\";
  CHECK(stage::to_dot(p).find(R"([label="say \"hi\"\\\nlimit 7.0d")") != std::string::npos);
  // A log with decisions of other kinds and unreadable details.
  std::vector<decision> log(3);
  log[0].kind = decision_kind::assignment;
  log[1].kind = decision_kind::stage_move;
  log[1].detail = "not json";
  log[2].kind = decision_kind::stage_move;
  log[2].detail = R"({"from": "旧阶段", "to": "需求分析"})";
  const auto report = stage::analyse(p, log);
  CHECK(report.decisions_read == 2);
  CHECK(report.unreadable == 1);
  CHECK(report.stages[1].entered == 1);
  REQUIRE(report.flows.size() == 1);
  CHECK(report.flows[0].from == "旧阶段");
}
