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
