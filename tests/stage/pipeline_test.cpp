// Stage gates: the pipeline section, its graph checks, and every rule of validate_move.
#include "crmrules/stage/pipeline.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "doc_example.hpp"

using namespace crmrules;

namespace {

const timestamp now = *parse_timestamp("2026-11-20T10:00:00+08:00");

/// The seed's four stages, a shortcut for repeat customers, a way back, coded lost reasons.
std::string seed_rules(const std::string& extra_stage = "", const std::string& extra = "") {
  return R"js({
  "schema": {"opportunity": {"fields": {"repeat_customer": {"type": "boolean"}}}},
  "pipeline": {
    "stages": [
      {"id": "需求分析", "order": 2, "win_probability": 0.25,
       "evidence": [{"type": "meeting_minutes", "min": 1}], "fields": ["customer"],
       "dwell": "10d"},
      {"id": "初步接触", "order": 1, "win_probability": 0.1,
       "evidence": [{"type": "call_recording"}], "dwell": "7d"},
      {"id": "方案演示", "order": 3, "win_probability": 0.5, "dwell": "5d",
       "evidence": [{"type": "pdf"}],
       "guards": [{"rule": "金额 > 0", "message": "the deal needs an amount"}]},
      {"id": "报价审批", "order": 4, "win_probability": 0.75, "dwell": "3d",
       "evidence": [{"type": "approval"}, {"type": "signed_document"}]},)js" +
         extra_stage + R"js(
      {"id": "赢单", "terminal": "won"},
      {"id": "输单", "terminal": "lost"}
    ],
    "shortcuts": [{"from": "需求分析", "to": "报价审批", "when": "商机.repeat_customer"}],
    "backward": [{"from": "报价审批", "to": "方案演示"}],
    "lost_reasons": {"codes": ["price", "competitor", "no_budget", "timing"]},
    "override_roles": ["sales_director"])js" +
         extra + R"js(
  }
})js";
}

std::shared_ptr<const stage::pipeline> seed_pipeline() {
  auto rules = rule_set::load_string(seed_rules());
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  REQUIRE((*rules)->stage_pipeline() != nullptr);
  return (*rules)->stage_pipeline();
}

opportunity deal(const char* stage) {
  opportunity o;
  o.id = opportunity_id{"O1"};
  o.stage = stage;
  o.customer = customer_id{"C1"};
  o.amount = money::from_major(120000);
  o.entered_stage_at = now - std::chrono::days(2);
  return o;
}

evidence_item proof(const char* stage, evidence_type type, const char* id = "E") {
  evidence_item e;
  e.id = id;
  e.stage = stage;
  e.type = type;
  e.ref = "doc://1";
  e.added_at = now - std::chrono::hours(1);
  if (type == evidence_type::meeting_minutes) e.attendees = {"张伟", "客户CTO"};
  return e;
}

std::string gaps(const stage::move_verdict& v) {
  std::string out;
  for (const auto& g : v.unmet)
    out += g.stage + "/" + g.requirement + ": " + g.detail + "\n";
  return out;
}

/// The first error of loading `text`, as "line:col: message".
std::string first_error(const std::string& text) {
  auto rules = rule_set::load_string(text);
  REQUIRE_FALSE(rules);
  const auto& d = rules.error()[0];
  return std::to_string(d.position.line) + ":" + std::to_string(d.position.column) + ": " +
         d.message;
}

}  // namespace

TEST_CASE("the pipeline section loads: open stages by order, terminals last, defaults filled",
          "[stage]") {
  const auto p = seed_pipeline();
  REQUIRE(p->stages.size() == 6);
  CHECK(p->start().id == "初步接触");
  CHECK(p->stages[1].id == "需求分析");
  CHECK(p->stages[3].id == "报价审批");
  CHECK(p->stages[4].kind == stage::stage_kind::won);
  CHECK(p->stages[4].win_probability == 1.0);
  CHECK(p->stages[4].forecast_category == "closed_won");
  CHECK(p->stages[0].forecast_category == "pipeline");
  CHECK(p->stages[0].name == "初步接触");
  CHECK(p->stages[1].dwell_limit == std::chrono::days(10));
  CHECK(p->stages[1].required_fields.at(0).name == "customer");
  CHECK(p->shortcuts.size() == 1);
  CHECK(p->backward.size() == 1);
  CHECK(p->lost.primary == 1);
  CHECK(p->lost.secondary == 2);
  CHECK(p->override_roles == std::vector<std::string>{"sales_director"});
  CHECK(p->find("方案演示") == &p->stages[2]);
  CHECK(p->find("nope") == nullptr);
}

TEST_CASE("moving to the next stage needs the current stage's proof, and says what is missing",
          "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("初步接触");
  auto v = stage::validate_move(*p, o, "需求分析", {}, now);
  CHECK_FALSE(v.allowed);
  CHECK(v.kind == stage::move_kind::next);
  REQUIRE(v.unmet.size() == 1);
  CHECK(v.unmet[0].stage == "初步接触");
  CHECK(v.unmet[0].requirement == "evidence");
  CHECK(v.unmet[0].detail == "1 x call_recording for stage '初步接触' (have 0)");
  // Proof submitted with the move counts; proof for another stage does not.
  const std::vector<evidence_item> wrong{proof("需求分析", evidence_type::call_recording)};
  CHECK_FALSE(stage::validate_move(*p, o, "需求分析", wrong, now).allowed);
  const std::vector<evidence_item> right{proof("初步接触", evidence_type::call_recording)};
  v = stage::validate_move(*p, o, "需求分析", right, now);
  CHECK(v.allowed);
  CHECK(v.unmet.empty());
  // Proof already on the deal counts as well.
  o.evidence = right;
  CHECK(stage::validate_move(*p, o, "需求分析", {}, now).allowed);
}

TEST_CASE("meeting minutes count only with attendees; required fields must be filled", "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("需求分析");
  evidence_item minutes = proof("需求分析", evidence_type::meeting_minutes);
  minutes.attendees.clear();
  o.evidence = {minutes};
  o.customer.reset();
  auto v = stage::validate_move(*p, o, "方案演示", {}, now);
  CHECK_FALSE(v.allowed);
  INFO(gaps(v));
  REQUIRE(v.unmet.size() == 2);
  CHECK(v.unmet[0].detail == "1 x meeting_minutes with attendees for stage '需求分析' (have 0)");
  CHECK(v.unmet[1].requirement == "field");
  CHECK(v.unmet[1].detail == "field 'customer' must be filled in");
  o.evidence = {proof("需求分析", evidence_type::meeting_minutes)};
  o.customer = customer_id{"C1"};
  CHECK(stage::validate_move(*p, o, "方案演示", {}, now).allowed);
}

TEST_CASE("a guard formula that is not TRUE refuses the move with its message", "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("方案演示");
  o.evidence = {proof("方案演示", evidence_type::pdf)};
  o.amount = money{};
  auto v = stage::validate_move(*p, o, "报价审批", {}, now);
  CHECK_FALSE(v.allowed);
  REQUIRE(v.unmet.size() == 1);
  CHECK(v.unmet[0].requirement == "guard");
  CHECK(v.unmet[0].detail == "the deal needs an amount (金额 > 0 is FALSE)");
  o.amount = money::from_major(5);
  CHECK(stage::validate_move(*p, o, "报价审批", {}, now).allowed);
}

TEST_CASE(
    "skipping stages without their proof is refused; with every skipped stage's proof it "
    "passes",
    "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("初步接触");
  o.evidence = {proof("初步接触", evidence_type::call_recording)};
  auto v = stage::validate_move(*p, o, "报价审批", {}, now);
  CHECK_FALSE(v.allowed);
  CHECK(v.kind == stage::move_kind::skip);
  CHECK(v.skipped == std::vector<std::string>{"需求分析", "方案演示"});
  INFO(gaps(v));
  REQUIRE(v.unmet.size() == 2);  // the skipped stages' evidence (their guards and fields aside)
  CHECK(v.unmet[0].stage == "需求分析");
  CHECK(v.unmet[1].stage == "方案演示");
  const std::vector<evidence_item> more{proof("需求分析", evidence_type::meeting_minutes, "E2"),
                                        proof("方案演示", evidence_type::pdf, "E3")};
  v = stage::validate_move(*p, o, "报价审批", more, now);
  CHECK(v.allowed);
  CHECK(v.kind == stage::move_kind::skip);
}

TEST_CASE("a shortcut waives the skipped stages' proof only when its condition holds", "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("需求分析");
  o.evidence = {proof("需求分析", evidence_type::meeting_minutes)};
  // Not a repeat customer: the shortcut does not apply, so 方案演示's proof is missing.
  auto v = stage::validate_move(*p, o, "报价审批", {}, now);
  CHECK_FALSE(v.allowed);
  CHECK(v.kind == stage::move_kind::skip);
  INFO(gaps(v));
  REQUIRE(v.unmet.size() == 2);
  CHECK(v.unmet[0].stage == "方案演示");
  CHECK(v.unmet[1].requirement == "transition");
  CHECK(v.unmet[1].detail ==
        "the shortcut from '需求分析' to '报价审批' does not apply (its condition is (blank))");
  o.custom.set("repeat_customer", true);
  v = stage::validate_move(*p, o, "报价审批", {}, now);
  CHECK(v.allowed);
  CHECK(v.kind == stage::move_kind::shortcut);
  CHECK(v.skipped == std::vector<std::string>{"方案演示"});
  // The current stage's own proof is still required on a shortcut.
  o.evidence.clear();
  CHECK_FALSE(stage::validate_move(*p, o, "报价审批", {}, now).allowed);
}

TEST_CASE("moving back is allowed only where a backward move is declared", "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("报价审批");
  auto v = stage::validate_move(*p, o, "方案演示", {}, now);
  CHECK(v.allowed);
  CHECK(v.kind == stage::move_kind::back);
  v = stage::validate_move(*p, o, "初步接触", {}, now);
  CHECK_FALSE(v.allowed);
  REQUIRE(v.unmet.size() == 1);
  CHECK(v.unmet[0].detail == "no backward move from '报价审批' to '初步接触' is declared");
}

TEST_CASE("won is reached from the last open stage with its proof", "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("报价审批");
  auto v = stage::validate_move(*p, o, "赢单", {}, now);
  CHECK_FALSE(v.allowed);
  CHECK(v.kind == stage::move_kind::won);
  CHECK(v.unmet.size() == 2);  // approval and signed document
  o.evidence = {proof("报价审批", evidence_type::approval, "E1"),
                proof("报价审批", evidence_type::signed_document, "E2")};
  CHECK(stage::validate_move(*p, o, "赢单", {}, now).allowed);
  // From an earlier stage, winning skips the later stages: their proof is needed too.
  o.stage = "方案演示";
  o.evidence = {proof("方案演示", evidence_type::pdf)};
  v = stage::validate_move(*p, o, "赢单", {}, now);
  CHECK_FALSE(v.allowed);
  CHECK(v.skipped == std::vector<std::string>{"报价审批"});
}

TEST_CASE("a lost deal needs exactly one primary and two secondary coded reasons with refs",
          "[stage]") {
  const auto p = seed_pipeline();
  opportunity o = deal("方案演示");
  o.lost_reasons = {{"price", true, "note-1"}};
  auto v = stage::validate_move(*p, o, "输单", {}, now);
  CHECK_FALSE(v.allowed);
  CHECK(v.kind == stage::move_kind::lost);
  REQUIRE(v.unmet.size() == 1);
  CHECK(v.unmet[0].detail == "exactly 2 secondary reason codes (have 0)");
  o.lost_reasons = {{"price", true, "note-1"},
                    {"competitor", false, "call-7"},
                    {"timing", false, ""},
                    {"weather", false, "note-2"}};
  v = stage::validate_move(*p, o, "输单", {}, now);
  INFO(gaps(v));
  REQUIRE(v.unmet.size() == 2);
  CHECK(v.unmet[0].detail == "reason 'timing' must link a note or activity (ref)");
  CHECK(v.unmet[1].detail == "reason code 'weather' is not in the list");
  o.lost_reasons = {
      {"price", true, "note-1"}, {"competitor", false, "call-7"}, {"timing", false, "note-3"}};
  CHECK(stage::validate_move(*p, o, "输单", {}, now).allowed);
  o.lost_reasons.push_back({"no_budget", true, "note-4"});  // two primaries
  CHECK_FALSE(stage::validate_move(*p, o, "输单", {}, now).allowed);
}

TEST_CASE("closed deals, unknown stages and the current stage are invalid moves", "[stage]") {
  const auto p = seed_pipeline();
  auto v = stage::validate_move(*p, deal("赢单"), "初步接触", {}, now);
  CHECK(v.kind == stage::move_kind::invalid);
  CHECK(v.unmet.at(0).detail == "the deal is closed (赢单)");
  v = stage::validate_move(*p, deal("初步接触"), "合同审批", {}, now);
  CHECK(v.kind == stage::move_kind::invalid);
  CHECK(v.unmet.at(0).detail == "no stage '合同审批' in the pipeline");
  v = stage::validate_move(*p, deal("阶段X"), "初步接触", {}, now);
  CHECK(v.unmet.at(0).detail == "the deal's stage '阶段X' is not in the pipeline");
  v = stage::validate_move(*p, deal("初步接触"), "初步接触", {}, now);
  CHECK_FALSE(v.allowed);
  CHECK(v.unmet.at(0).detail == "the deal is already in '初步接触'");
}

TEST_CASE("invalid pipelines are refused with the place and a clear message", "[stage][rules]") {
  // No won terminal.
  std::string text = seed_rules();
  text.replace(text.find(R"({"id": "赢单", "terminal": "won"},)"),
               std::string(R"({"id": "赢单", "terminal": "won"},)").size(), "");
  CHECK(first_error(text).find("no won terminal") != std::string::npos);
  // A stage defined twice, an order used twice.
  CHECK(first_error(seed_rules(R"({"id": "初步接触", "order": 9},)")) ==
        "14:80: stage '初步接触' is defined twice");
  CHECK(first_error(seed_rules(R"({"id": "合同审批", "order": 4},)")) ==
        "14:97: order 4 is used by stage '报价审批' too");
  // A shortcut to a stage that does not exist (with a suggestion), or backwards.
  std::string bad = seed_rules();
  bad.replace(bad.find(R"("to": "报价审批", "when")"), std::string(R"("to": "报价审批")").size(),
              R"("to": "报价审核")");
  auto rules = rule_set::load_string(bad);
  REQUIRE_FALSE(rules);
  CHECK(rules.error()[0].message == "no stage '报价审核'");
  CHECK(rules.error()[0].suggestion == "报价审批");
  bad = seed_rules();
  bad.replace(bad.find(R"("to": "报价审批", "when")"), std::string(R"("to": "报价审批")").size(),
              R"("to": "初步接触")");
  CHECK(first_error(bad).find("a shortcut goes forward") != std::string::npos);
  bad = seed_rules();
  bad.replace(bad.find(R"("to": "方案演示"}])"), std::string(R"("to": "方案演示")").size(),
              R"("to": "赢单")");
  CHECK(first_error(bad).find("a backward move goes to an earlier open stage") !=
        std::string::npos);
  // Terminals carry no requirements; evidence types and fields must exist.
  CHECK(first_error(seed_rules(R"({"id": "作废", "terminal": "lost", "dwell": "3d"},)"))
            .find("terminal stage '作废' cannot have") != std::string::npos);
  CHECK(first_error(seed_rules(R"({"id": "合同", "order": 5, "evidence": [{"type": "fax"}]},)"))
            .find("fax") != std::string::npos);
  CHECK(first_error(seed_rules(R"({"id": "合同", "order": 5, "fields": ["amout"]},)")) ==
        "14:109: the opportunity has no field 'amout'");
  // A guard that is not a condition, a shortcut condition with an unknown field.
  CHECK_FALSE(rule_set::load_string(
      seed_rules(R"({"id": "合同", "order": 5, "guards": [{"rule": "金额 + 1"}]},)")));
  bad = seed_rules();
  bad.replace(bad.find("商机.repeat_customer"), std::string("商机.repeat_customer").size(),
              "商机.repeat_custom");
  CHECK_FALSE(rule_set::load_string(bad));
  // Lost reasons: codes are required and distinct.
  CHECK(first_error(seed_rules("", R"(, "lost_reasons2": {})")).find("lost_reasons2") !=
        std::string::npos);
}

TEST_CASE("the rules-file example in docs/STAGE_GATES.md loads and gates a move", "[stage][docs]") {
  const std::string example =
      test_docs::first_jsonc_block(CRMRULES_SOURCE_DIR "/docs/STAGE_GATES.md");
  REQUIRE_FALSE(example.empty());
  auto rules = rule_set::load_string(example, "docs/STAGE_GATES.md");
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  const auto p = (*rules)->stage_pipeline();
  REQUIRE(p != nullptr);
  CHECK(p->stages.size() == 6);
  const opportunity o = deal(p->start().id.c_str());
  CHECK_FALSE(stage::validate_move(*p, o, p->stages[2].id, {}, now).allowed);  // a skip, no proof
}

TEST_CASE(
    "required fields count an amount of 0 as missing; a pipeline needs stages and lost "
    "reasons",
    "[stage][rules]") {
  auto rules = rule_set::load_string(R"js({"pipeline": {
    "stages": [{"id": "a", "order": 1, "fields": ["amount"]}, {"id": "b", "order": 2},
               {"id": "won", "terminal": "won"}, {"id": "lost", "terminal": "lost"}],
    "lost_reasons": {"codes": ["price"], "secondary": 0}}})js");
  REQUIRE(rules);
  const auto& p = *(*rules)->stage_pipeline();
  opportunity o = deal("a");
  o.amount = money{};
  auto v = stage::validate_move(p, o, "b", {}, now);
  REQUIRE(v.unmet.size() == 1);
  CHECK(v.unmet[0].detail == "field 'amount' must be filled in");
  o.amount = money::from_minor(1);
  CHECK(stage::validate_move(p, o, "b", {}, now).allowed);
  CHECK(first_error(R"js({"pipeline": {"stages": [], "lost_reasons": {"codes": ["x"]}}})js")
            .find("the pipeline has no stages") != std::string::npos);
  CHECK(first_error(R"js({"pipeline": {"stages": [{"id": "a", "order": 1},
    {"id": "w", "terminal": "won"}, {"id": "l", "terminal": "lost"}]}})js")
            .find("missing required key 'lost_reasons'") != std::string::npos);
}
