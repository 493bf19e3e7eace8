// The rules sandbox: a candidate policy over the bundled sample data, against the one in force.
#include "crmrules/assign/dry_run.hpp"

#include <catch2/catch.hpp>
#include <numeric>
#include <string>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules_sample/sample.hpp"

using namespace crmrules;

namespace {

std::shared_ptr<const assign::policy> policy_from(const std::string& score,
                                                  const std::string& extra = "") {
  auto rules = rule_set::load_string(R"js({
    "assign": {
      "score": ")js" + score + R"js(",
      "covers": "NOT(STARTS_WITH(lead.id, \"fb_\"))",
      "cold_start": {"days": 7, "leads": "线索来源 = \"展会扫码\""},
      "fallback": {"rep": "R-director"})js" +
                                     extra + R"js(
    }
  })js");
  INFO((rules ? std::string() : rules.error().to_string()));
  REQUIRE(rules);
  return (*rules)->assign_policy();
}

struct sample_fixture {
  sample::dataset data;
  sample_fixture() {
    sample::options o;
    o.leads = 2000;
    o.reps = 50;
    o.customers = 200;
    data = sample::generate(o);
  }
  [[nodiscard]] timestamp now() const { return sample::options{}.now; }
};

}  // namespace

TEST_CASE("a dry run over the sample data reports the distribution and writes nothing",
          "[assign][dry_run]") {
  sample_fixture fx;
  const auto reps_before = fx.data.reps;
  const auto leads_before = fx.data.leads;
  const auto candidate = policy_from(
      "IF(IN(lead.region, rep.regions), 20, 0) + IF(IN(lead.industry, rep.industries), 10, 0) - "
      "rep.load",
      R"(, "load": {"follow_ups": 0, "open_tasks": 0, "open_leads": 1})");
  const auto report = assign::dry_run(candidate, nullptr, fx.data.leads, fx.data.reps, fx.now());
  CHECK(fx.data.reps == reps_before);  // inputs untouched
  CHECK(fx.data.leads == leads_before);
  CHECK(report.leads == 2000);
  const auto& c = report.candidate;
  CHECK(c.assigned + c.fallback + c.unassigned == 2000);
  const std::size_t distributed =
      std::accumulate(c.leads_per_rep.begin(), c.leads_per_rep.end(), std::size_t{0},
                      [](std::size_t n, const auto& kv) { return n + kv.second; });
  CHECK(distributed == c.assigned + c.fallback);
  CHECK(c.fallen.size() == c.fallback + c.unassigned);
  // The sample's Facebook leads are not covered: they fall back, with the reason counted.
  std::size_t facebook = 0;
  for (const auto& l : fx.data.leads)
    facebook += l.id.str().starts_with("fb_") ? 1 : 0;
  REQUIRE(facebook > 0);
  CHECK(c.reasons.at("not_covered") == facebook);
  // Nobody inactive or on leave gets a lead, and nobody passes a daily cap.
  for (const rep& r : fx.data.reps) {
    const auto got = c.leads_per_rep.contains(r.id.str()) ? c.leads_per_rep.at(r.id.str()) : 0;
    INFO(r.id.str());
    if (!r.active || r.on_leave(fx.now()) || !r.accepts_leads) CHECK(got == 0);
    if (r.daily_cap)
      CHECK(static_cast<std::int64_t>(got) <=
            std::max<std::int64_t>(0, *r.daily_cap - r.assigned_today));
    CHECK(c.load_after.contains(r.id.str()));
  }
  CHECK_FALSE(report.in_force);
  const std::string text = report.summary();
  CHECK_THAT(text, Catch::StartsWith("dry run over 2000 leads\ncandidate: "));
  CHECK_THAT(text, Catch::Contains("fallback reason not_covered: " + std::to_string(facebook)));
  CHECK_THAT(text, Catch::Contains("R-director"));
}

TEST_CASE("a dry run compares a candidate with the policy in force: who gains, who loses",
          "[assign][dry_run]") {
  sample_fixture fx;
  const auto in_force = policy_from("IF(IN(lead.region, rep.regions), 20, 0) - rep.load",
                                    R"(, "load": {"open_leads": 1})");
  // Same policy: nothing changes.
  auto same = assign::dry_run(in_force, in_force, fx.data.leads, fx.data.reps, fx.now());
  REQUIRE(same.in_force);
  CHECK(same.changed_owner == 0);
  CHECK(same.moves.empty());
  CHECK(same.in_force->owners == same.candidate.owners);
  // Industry fit weighs more in the candidate: owners move, and the moves add up.
  const auto candidate = policy_from(
      "IF(IN(lead.region, rep.regions), 20, 0) + IF(IN(lead.industry, rep.industries), 50, 0) - "
      "rep.load",
      R"(, "load": {"open_leads": 1})");
  auto report = assign::dry_run(candidate, in_force, fx.data.leads, fx.data.reps, fx.now());
  CHECK(report.changed_owner > 0);
  std::size_t moved = 0;
  for (const auto& [move, n] : report.moves) {
    CHECK(move.first != move.second);
    moved += n;
  }
  CHECK(moved == report.changed_owner);
  CHECK_THAT(report.summary(),
             Catch::Contains(std::to_string(report.changed_owner) + " leads change owner\n"));
  // Deterministic: the same run twice gives the same report.
  auto again = assign::dry_run(candidate, in_force, fx.data.leads, fx.data.reps, fx.now());
  CHECK(again.candidate.owners == report.candidate.owners);
  CHECK(again.moves == report.moves);
}

namespace {

/// Everything a choice says, as text, so two choices compare field by field.
std::string describe(const assign::assignment& a) {
  std::string out = std::string(assign::to_string(a.kind)) + " " +
                    (a.rep ? a.rep->str() : std::string("-")) + " " + std::to_string(a.score) +
                    " " + std::string(assign::to_string(a.reason)) + " " + a.reason_text + " " +
                    a.pool + (a.alert ? " alert" : "");
  for (const auto& c : a.candidates)
    out += "\n  candidate " + c.rep.str() + " " + std::to_string(c.score) + " " +
           std::to_string(c.base) + " " + std::to_string(c.coefficient) + " " +
           std::to_string(c.load) + " " + c.why.summary();
  for (const auto& e : a.excluded)
    out += "\n  excluded " + e.rep.str() + " " + e.rule + " " + e.detail;
  return out;
}

}  // namespace

TEST_CASE("choosing among loaded reps gives exactly what choosing with the reps passed gives",
          "[assign][load]") {
  sample_fixture fx;
  // Every feature that reads reps: eligibility, caps, leave, cold start, role coefficients,
  // pools by team, list matches (indexed when loaded), revenue per day present, ties.
  const auto policy = policy_from(
      "IF(IN(lead.region, rep.regions), 20, 0) + IF(IN(lead.industry, rep.industries), 40, 0) "
      "+ IF(线索来源=\\\"官网表单\\\", 30, 0) - 2 * rep.load",
      R"(, "eligible": "rep.open_leads < 190",
         "load": {"follow_ups": 1, "open_tasks": 0.5, "revenue_3d_per_10k": 0.1},
         "role_coefficients": {"manager": 0.8, "new_hire": 0.95})");
  assign::assigner loaded(policy);
  assign::assigner passed(policy);
  std::vector<rep> reps = fx.data.reps;
  loaded.load(reps);
  std::size_t compared = 0, assigned = 0;
  for (std::size_t i = 0; i < 600; ++i) {
    const lead& l = fx.data.leads[i];
    const bool explain = i % 7 == 0;
    const auto a = loaded.choose(l, fx.now(), explain);
    const auto b = passed.choose(l, reps, fx.now(), explain);
    INFO("lead " << l.id.str());
    REQUIRE(describe(a) == describe(b));
    ++compared;
    // The winner takes the lead: its counters change, and the loaded copy is refreshed.
    if (a.kind == assign::outcome::assigned) {
      ++assigned;
      const auto it =
          std::find_if(reps.begin(), reps.end(), [&](const rep& r) { return r.id == *a.rep; });
      REQUIRE(it != reps.end());
      ++it->assigned_today;
      ++it->open_leads;
      it->last_assigned_at = fx.now();
      if (i % 50 == 0) it->regions.push_back("西北");  // a list changes too, now and then
      REQUIRE(loaded.refresh(static_cast<std::size_t>(it - reps.begin())).ok());
    }
  }
  CHECK(compared == 600);
  CHECK(assigned > 100);
  // Refreshing past the loaded reps is an error; nothing loaded is "pool empty".
  CHECK(loaded.refresh(reps.size()).code() == status_code::invalid_argument);
  assign::assigner empty(policy);
  const auto none = empty.choose(fx.data.leads[0], fx.now());
  CHECK(none.reason == assign::fallback_reason::pool_empty);
}
