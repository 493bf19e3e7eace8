// The assignment engine: policy loading, eligibility, scoring, fallbacks, ties, explanations.
#include "crmrules/assign/assigner.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "doc_example.hpp"

using namespace crmrules;

namespace {

const timestamp now = *parse_timestamp("2026-11-20T10:00:00+08:00");

/// A policy in a rules file, around the seed formula plus rep-dependent terms.
std::string rules_text(const std::string& assign_extra = "",
                       const std::string& load = R"({"follow_ups": 1, "open_tasks": 0.5})") {
  return R"js({
    "schema": {"lead": {"fields": {"近30天互动频次": {"type": "integer"}}}},
    "assign": {
      "score": [
        "IF(线索来源=\"官网表单\", 100, IF(线索来源=\"抖音私信\", 85, IF(线索来源=\"展会扫码\", 60, 40)))",
        "  + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0)",
        "  + IF(IN(lead.industry, rep.industries), 40, 0) + IF(IN(lead.region, rep.regions), 20, 0)",
        "  - 2 * rep.load"
      ],
      "load": )js" +
         load + R"js(,
      "fallback": {"rep": "R-director", "alert": ["sales_ops"]})js" +
         assign_extra + R"js(
    }
  })js";
}

std::shared_ptr<const assign::policy> load_policy(const std::string& extra = "",
                                                  const std::string& load = "") {
  auto rules = rule_set::load_string(load.empty() ? rules_text(extra) : rules_text(extra, load));
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  REQUIRE((*rules)->assign_policy() != nullptr);
  return (*rules)->assign_policy();
}

lead make_lead(const char* id = "L1", const char* source = "官网表单") {
  lead l;
  l.id = lead_id{id};
  l.source = source;
  l.region = "华东";
  l.industry = "医疗";
  l.budget = money::from_major(600000);
  l.created_at = now - std::chrono::minutes(5);
  l.custom.set("近30天互动频次", std::int64_t{4});
  return l;
}

rep make_rep(const char* id, std::vector<std::string> industries = {},
             std::vector<std::string> regions = {}) {
  rep r;
  r.id = rep_id{id};
  r.role = "sales";
  r.industries = std::move(industries);
  r.regions = std::move(regions);
  return r;
}

}  // namespace

TEST_CASE("the best-scoring rep wins and the explanation splits every score into terms",
          "[assign]") {
  assign::assigner a(load_policy());
  std::vector<rep> reps{make_rep("R1", {"教育"}, {"华东"}), make_rep("R2", {"医疗"}, {"华东"}),
                        make_rep("R3", {"医疗"}, {"华南"})};
  const lead l = make_lead();
  const auto pick = a.choose(l, reps, now, /*explain=*/true);
  CHECK(pick.kind == assign::outcome::assigned);
  REQUIRE(pick.rep);
  CHECK(pick.rep->str() == "R2");
  CHECK(pick.score == 240);  // 100 + 50 + 30 + 40 + 20
  REQUIRE(pick.candidates.size() == 3);
  CHECK(pick.candidates[0].rep.str() == "R2");
  CHECK(pick.candidates[1].rep.str() == "R3");  // 220
  CHECK(pick.candidates[2].rep.str() == "R1");  // 200
  CHECK(pick.candidates[0].why.summary() ==
        "线索来源 +100, 客户预算 +50, 近30天互动频次 +30, lead.industry +40, lead.region +20, "
        "rep.load +0 = 240");
  CHECK(pick.excluded.empty());
  // Without explain, the same choice and nothing else.
  const auto quiet = a.choose(l, reps, now);
  CHECK(quiet.rep == pick.rep);
  CHECK(quiet.score == pick.score);
  CHECK(quiet.candidates.empty());
}

TEST_CASE("inactive, non-accepting and on-leave reps are never chosen, whatever their score",
          "[assign]") {
  assign::assigner a(load_policy());
  std::vector<rep> reps{make_rep("R1", {"医疗"}, {"华东"}), make_rep("R2", {"医疗"}, {"华东"}),
                        make_rep("R3", {"医疗"}, {"华东"}), make_rep("R4")};
  reps[0].active = false;
  reps[1].accepts_leads = false;
  reps[2].leave.push_back({now - std::chrono::hours(1), now + std::chrono::hours(8)});
  const lead l = make_lead();
  const auto pick = a.choose(l, reps, now, true);
  REQUIRE(pick.rep);
  CHECK(pick.rep->str() == "R4");
  REQUIRE(pick.excluded.size() == 3);
  CHECK(pick.excluded[0].rule == "inactive");
  CHECK(pick.excluded[1].rule == "not_accepting");
  CHECK(pick.excluded[2].rule == "on_leave");
  // A leave that ended is no obstacle.
  reps[2].leave[0] = {now - std::chrono::days(3), now - std::chrono::hours(1)};
  CHECK(a.choose(l, reps, now).rep->str() == "R3");
}

TEST_CASE("caps exclude reps; when every rep is capped the lead falls back as all_over_cap",
          "[assign]") {
  assign::assigner a(load_policy());
  std::vector<rep> reps{make_rep("R1", {"医疗"}), make_rep("R2")};
  reps[0].daily_cap = 20;
  reps[0].assigned_today = 20;
  const lead l = make_lead();
  auto pick = a.choose(l, reps, now, true);
  CHECK(pick.rep->str() == "R2");
  REQUIRE(pick.excluded.size() == 1);
  CHECK(pick.excluded[0].rule == "daily_cap");
  CHECK(pick.excluded[0].detail == "daily cap 20 reached (20 today)");
  reps[1].open_cap = 5;
  reps[1].open_leads = 7;
  pick = a.choose(l, reps, now, true);
  CHECK(pick.kind == assign::outcome::fallback);
  CHECK(pick.rep->str() == "R-director");
  CHECK(pick.reason == assign::fallback_reason::all_over_cap);
  CHECK(pick.reason_text == "all over cap: 2 of 2 reps excluded");
  CHECK_FALSE(pick.alert);
}

TEST_CASE("a lead no rule covers goes to the fallback with an alert", "[assign]") {
  assign::assigner a(load_policy(R"js(, "covers": "NOT(STARTS_WITH(lead.id, \"fb_\"))")js"));
  std::vector<rep> reps{make_rep("R1")};
  const lead covered = make_lead("L1");
  CHECK(a.choose(covered, reps, now).kind == assign::outcome::assigned);
  const lead facebook = make_lead("fb_123");
  const auto pick = a.choose(facebook, reps, now);
  CHECK(pick.kind == assign::outcome::fallback);
  CHECK(pick.rep->str() == "R-director");
  CHECK(pick.reason == assign::fallback_reason::not_covered);
  CHECK(pick.alert);
  CHECK(a.current_policy().alert_recipients == std::vector<std::string>{"sales_ops"});
}

TEST_CASE("pools take leads by formula; an empty pool and no pool at all are fallback reasons",
          "[assign]") {
  assign::assigner a(load_policy(R"(,
      "pools": [
        {"name": "华东", "team": "T-east", "takes": "lead.region = \"华东\""},
        {"name": "华南", "members": ["R9"], "takes": "lead.region = \"华南\""}
      ])"));
  std::vector<rep> reps{make_rep("R1"), make_rep("R2")};
  reps[0].team = team_id{"T-east"};
  lead l = make_lead();
  auto pick = a.choose(l, reps, now);
  CHECK(pick.pool == "华东");
  CHECK(pick.rep->str() == "R1");  // R2 is not in the team
  l.region = "华南";
  pick = a.choose(l, reps, now);
  CHECK(pick.reason == assign::fallback_reason::pool_empty);
  CHECK(pick.reason_text == "pool empty: 华南");
  l.region = "西北";
  pick = a.choose(l, reps, now);
  CHECK(pick.reason == assign::fallback_reason::not_covered);
  CHECK(pick.alert);
}

TEST_CASE("a lead that fails validation is not scored", "[assign]") {
  assign::assigner a(load_policy());
  std::vector<rep> reps{make_rep("R1")};
  lead l = make_lead();
  l.company_name = "\xff\xfe";
  const auto pick = a.choose(l, reps, now);
  CHECK(pick.reason == assign::fallback_reason::lead_invalid);
  CHECK_THAT(pick.reason_text, Catch::StartsWith("lead failed validation: "));
  CHECK(pick.alert);  // a person has to fix the record
}

TEST_CASE("without a fallback rep, a lead nobody can take stays unassigned and says why",
          "[assign]") {
  auto rules =
      rule_set::load_string(R"({"assign": {"score": "1", "eligible": "rep.role = \"vip\""}})");
  REQUIRE(rules);
  assign::assigner a((*rules)->assign_policy());
  std::vector<rep> reps{make_rep("R1")};
  const lead l = make_lead();
  const auto pick = a.choose(l, reps, now, true);
  CHECK(pick.kind == assign::outcome::unassigned);
  CHECK_FALSE(pick.rep);
  CHECK(pick.reason == assign::fallback_reason::no_eligible_rep);
  REQUIRE(pick.excluded.size() == 1);
  CHECK(pick.excluded[0].rule == "not_eligible");
  CHECK(pick.excluded[0].detail == "eligible is FALSE: rep.role = \"vip\"");
}

TEST_CASE("cold start: a new hire only receives low-competition leads for the first days",
          "[assign]") {
  assign::assigner a(load_policy(R"(,
      "cold_start": {"days": 7, "leads": "线索来源 = \"活动报名\""},
      "role_coefficients": {"manager": 0.8, "new_hire": 0.95})"));
  std::vector<rep> reps{make_rep("R-new", {"医疗"}, {"华东"}), make_rep("R-old")};
  reps[0].hired_at = now - std::chrono::days(3);
  const lead web = make_lead("L1", "官网表单");
  auto pick = a.choose(web, reps, now, true);
  CHECK(pick.rep->str() == "R-old");
  REQUIRE(pick.excluded.size() == 1);
  CHECK(pick.excluded[0].rule == "cold_start");
  const lead event = make_lead("L2", "活动报名");
  pick = a.choose(event, reps, now, true);
  CHECK(pick.rep->str() == "R-new");
  CHECK(pick.candidates[0].coefficient == 0.95);  // new_hire, not sales
  CHECK(pick.score == Approx((40 + 50 + 30 + 40 + 20) * 0.95));
  // A hire date still to come counts as cold start too.
  reps[0].hired_at = now + std::chrono::days(2);
  CHECK(a.choose(web, reps, now).rep->str() == "R-old");
  // After the period, the new hire competes for everything with the plain role coefficient.
  reps[0].hired_at = now - std::chrono::days(8);
  pick = a.choose(web, reps, now, true);
  CHECK(pick.rep->str() == "R-new");
  CHECK(pick.candidates[0].coefficient == 1);
}

TEST_CASE("the role coefficient multiplies the score", "[assign]") {
  assign::assigner a(load_policy(R"(, "role_coefficients": {"manager": 0.5})"));
  std::vector<rep> reps{make_rep("R-mgr", {"医疗"}, {"华东"}), make_rep("R2", {}, {"华东"})};
  reps[0].role = "manager";
  const auto pick = a.choose(make_lead(), reps, now, true);
  CHECK(pick.rep->str() == "R2");  // 200 beats 240 x 0.5
  CHECK(pick.candidates[1].base == 240);
  CHECK(pick.candidates[1].score == 120);
}

TEST_CASE("ties go to the least recently assigned rep, then by id, whatever the input order",
          "[assign]") {
  assign::assigner a(load_policy());
  std::vector<rep> reps{make_rep("R3"), make_rep("R1"), make_rep("R2"), make_rep("R4")};
  reps[0].last_assigned_at = now - std::chrono::hours(5);  // R3
  reps[1].last_assigned_at = now - std::chrono::hours(1);  // R1
  reps[2].last_assigned_at = now - std::chrono::hours(5);  // R2
  reps[3].last_assigned_at = now - std::chrono::hours(2);  // R4
  const lead l = make_lead();
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(reps.begin(), reps.end(), rng);
    const auto pick = a.choose(l, reps, now, true);
    CHECK(pick.rep->str() == "R2");  // R2 and R3 waited longest; R2 < R3
    REQUIRE(pick.candidates.size() == 4);
    CHECK(pick.candidates[1].rep.str() == "R3");
    CHECK(pick.candidates[2].rep.str() == "R4");
    CHECK(pick.candidates[3].rep.str() == "R1");
  }
  // A rep never assigned comes before all of them.
  reps.push_back(make_rep("R9"));
  CHECK(a.choose(l, reps, now).rep->str() == "R9");
}

TEST_CASE("a round-robin pool rotates by weight", "[assign]") {
  assign::assigner a(load_policy(R"(,
      "pools": [{"name": "all", "mode": "round_robin", "rotation_weights": {"senior": 2}}])"));
  std::vector<rep> reps{make_rep("R1"), make_rep("R2"), make_rep("R3")};
  reps[0].role = "senior";
  const lead l = make_lead();
  for (int i = 0; i < 40; ++i) {
    const auto pick = a.choose(l, reps, now);
    REQUIRE(pick.rep);
    for (auto& r : reps) {
      if (r.id == *pick.rep) {
        ++r.assigned_today;
        r.last_assigned_at = now + std::chrono::seconds(i);
      }
    }
  }
  CHECK(reps[0].assigned_today == 20);
  CHECK(reps[1].assigned_today == 10);
  CHECK(reps[2].assigned_today == 10);
}

TEST_CASE("load weighs follow-ups, tasks and revenue per working day present", "[assign]") {
  assign::assigner a(
      load_policy("", R"({"follow_ups": 1, "open_tasks": 0.5, "revenue_3d_per_10k": 2})"));
  rep r = make_rep("R1");
  r.today_follow_ups = 4;
  r.open_tasks = 6;
  r.revenue_3d = money::from_major(30000);  // 3万
  CHECK(a.load_of(r, now) == Approx(4 + 3 + 2 * 3));
  // Back from two days of leave: the same revenue came in one day present.
  r.leave.push_back({now - std::chrono::days(5), now - std::chrono::days(1)});
  CHECK(a.load_of(r, now) == Approx(4 + 3 + 2 * 3 * 3));
  // Overlapping leave periods count each day once.
  r.leave.push_back({now - std::chrono::days(4), now - std::chrono::days(2)});
  CHECK(a.load_of(r, now) == Approx(4 + 3 + 2 * 3 * 3));
  // A busier rep loses against an idle one with the same fit.
  std::vector<rep> reps{make_rep("R-busy"), make_rep("R-idle")};
  reps[0].open_tasks = 10;
  const auto pick = a.choose(make_lead(), reps, now, true);
  CHECK(pick.rep->str() == "R-idle");
  CHECK(pick.candidates[1].load == 5);
  CHECK(pick.candidates[1].score == pick.candidates[0].score - 10);
}

TEST_CASE("mistakes in the assign section are reported with their place", "[assign][rules]") {
  auto errors = [](const std::string& assign) {
    auto r = rule_set::load_string("{\"assign\": " + assign + "}");
    REQUIRE_FALSE(r);
    return r.error();
  };
  auto d = errors(R"({"score": "lead.source"})");
  CHECK(d[0].message == "the score must be a number, but this formula gives text");
  CHECK(errors(R"({"score": "1", "covers": "1"})")[0].message ==
        "'covers' must be TRUE/FALSE, but this formula gives a number");
  d = errors(R"({"eligible": "1"})");
  CHECK(d.size() == 2);  // a number, and the missing score
  d = errors(R"js({"score": "IF(lead.sorce = \"x\", 1, 0)"})js");
  CHECK_THAT(d[0].message, Catch::StartsWith("unknown field 'sorce' of lead"));
  CHECK(d[0].position == source_position{1, 26});
  d = errors(R"({"score": "1", "rol_coefficients": {}})");
  CHECK(d[0].suggestion == "role_coefficients");
  d = errors(R"({"score": "1", "load": {"open_tasks": -1}})");
  CHECK(d[0].message == "'open_tasks' must be a number >= 0");
  d = errors(R"({"score": "1", "pools": [{"name": "a", "mode": "round_robbin"}]})");
  CHECK(d[0].suggestion == "round_robin");
}

TEST_CASE("the rules-file example in docs/ASSIGNMENT.md loads and assigns", "[assign][docs]") {
  const std::string example =
      test_docs::first_jsonc_block(CRMRULES_SOURCE_DIR "/docs/ASSIGNMENT.md");
  REQUIRE_FALSE(example.empty());
  auto rules = rule_set::load_string(example, "docs/ASSIGNMENT.md");
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  REQUIRE((*rules)->assign_policy() != nullptr);
  assign::assigner a((*rules)->assign_policy());
  std::vector<rep> reps{make_rep("R1", {"医疗"}, {"华东"}), make_rep("R2")};
  reps[0].team = team_id{"T-east"};
  reps[1].team = team_id{"T-east"};
  const auto pick = a.choose(make_lead(), reps, now, true);
  CHECK(pick.rep.has_value());
}
