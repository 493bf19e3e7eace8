// Runs the real `crmrules tier` on the small files in tests/cli/data/tier and checks its exit
// status and output.
//
// The data (tier/rules.json: tiers A, B, C without a catch-all, the upgrade high_intent):
//   K1 (owner R1, stored B): 3 site visits and a demo in 30 days -> A (the last visit at 12:00
//      on 2026-11-20 is the latest event), a call that day
//   K2 (owner R1, stored B): 2 site visits in 30 days -> B, a WeChat message that day
//   K3 (owner R2, stored A): one site visit 80 days back -> C
//   K4 (owner R2, no tier): no events -> none
//   K5 (owner R2, stored C): 2 tech consultations and a quote request -> B and high_intent
// plus an event of customer K55 (not in the file, line 10 of events.csv) and one of a lead only.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run_cli.hpp"

namespace {

using namespace crmrules_cli_test;
using Catch::Contains;
using strings = std::vector<std::string>;

const strings base = {
    "tier",     "--rules",        "tier/rules.json", "--customers", "tier/customers.csv",
    "--events", "tier/events.csv"};

strings with(strings args, const strings& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

/// The customer rows by id.
std::map<std::string, nlohmann::json> customers_of(const std::vector<nlohmann::json>& lines) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& j : lines) {
    if (j.contains("customer") && !j.contains("must_do")) out[j["customer"].get<std::string>()] = j;
  }
  return out;
}

/// The per-tier summary rows, "A=1" ("none=1" for no tier).
strings tiers_of(const std::vector<nlohmann::json>& lines) {
  strings out;
  for (const auto& j : lines) {
    if (!j.contains("customers")) continue;
    const std::string t = j["tier"].is_null() ? "none" : j["tier"].get<std::string>();
    out.push_back(t + "=" + std::to_string(j["customers"].get<int>()));
  }
  return out;
}

/// The per-action summary rows, "A/respond=1".
strings actions_of(const std::vector<nlohmann::json>& lines) {
  strings out;
  for (const auto& j : lines) {
    if (!j.contains("fired")) continue;
    out.push_back(j["source"].get<std::string>() + "/" + j["action"].get<std::string>() + "=" +
                  std::to_string(j["fired"].get<int>()));
  }
  return out;
}

}  // namespace

TEST_CASE("cli tier: --help describes the options and the input columns", "[cli][tier]") {
  const auto h = run({"tier", "--help"});
  CHECK(h.exit_code == 0);
  for (const char* text :
       {"--rules", "--customers", "--events", "--at", "latest event", "--from-stored",
        "--must-do-rep", "--day", "--skip-bad-rows", "--format", "--output", "事件类型", "owner"}) {
    INFO(text);
    CHECK_THAT(h.out, Contains(text));
  }
}

TEST_CASE("cli tier: each customer's tier, upgrades, actions and counts from CSV", "[cli][tier]") {
  const auto r = run(base);
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  const auto rows = customers_of(lines);
  REQUIRE(rows.size() == 5);

  const auto& k1 = rows.at("K1");
  CHECK(k1["tier"] == "A");
  CHECK(k1["stored_tier"] == "B");
  CHECK(k1["upgrades"] == nlohmann::json::array());
  CHECK(k1["counts"] == nlohmann::json({{"call", 1}, {"demo_attended", 1}, {"site_visit", 3}}));
  REQUIRE(k1["actions"].size() == 2);
  CHECK(k1["actions"][0] == nlohmann::json({{"source", "A"},
                                            {"upgrade", false},
                                            {"action", "respond"},
                                            {"to", {"R1"}},
                                            {"sla", "tier_a_response"}}));
  CHECK(k1["actions"][1]["action"] == "push_content");
  CHECK(k1["actions"][1]["to"] == nlohmann::json({"R1", "sales_director"}));
  CHECK(k1["actions"][1]["params"] ==
        nlohmann::json({{"content", "竞品对比资料包"}, {"priority", 2}}));

  CHECK(rows.at("K2")["tier"] == "B");
  CHECK(rows.at("K2")["actions"] == nlohmann::json::array());  // B has no actions
  CHECK(rows.at("K2")["counts"] == nlohmann::json({{"site_visit", 2}, {"wechat_message", 1}}));
  CHECK(rows.at("K3")["tier"] == "C");  // a visit 80 days back: within C's 90 days only
  CHECK(rows.at("K4")["tier"].is_null());
  CHECK(rows.at("K4")["stored_tier"].is_null());
  CHECK(rows.at("K4")["counts"] == nlohmann::json::object());

  const auto& k5 = rows.at("K5");
  CHECK(k5["tier"] == "B");
  CHECK(k5["upgrades"] == nlohmann::json({"high_intent"}));
  CHECK(k5["actions"] == nlohmann::json::array({{{"source", "high_intent"},
                                                 {"upgrade", true},
                                                 {"action", "send_demo_link"},
                                                 {"to", {"R2"}}}}));

  CHECK(tiers_of(lines) == strings{"A=1", "B=2", "C=1", "none=1"});
  CHECK(actions_of(lines) ==
        strings{"A/respond=1", "A/push_content=1", "high_intent/send_demo_link=1"});
  // The rows come in file order, then the tiers, then the actions.
  CHECK(lines.front()["customer"] == "K1");
  CHECK(lines[5]["tier"] == "A");
  CHECK(lines[5]["share"] == 0.2);
  CHECK(lines.back()["action"] == "send_demo_link");
}

TEST_CASE("cli tier: events of unknown customers are warnings with their line, and counted",
          "[cli][tier]") {
  const auto r = run(base);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("tier/events.csv:10: warning: event 'E09' is for customer 'K55', "
                             "who is not in tier/customers.csv (did you mean 'K5'?); the event "
                             "is ignored"));
  CHECK_THAT(r.err, Contains("tier/events.csv: warning: 1 event has no customer (first on line "
                             "13)"));
  CHECK_THAT(r.err, Contains("tier: 5 customers as of 2026-11-20T12:00:00Z (the latest event): "
                             "A 1, B 2, C 1, none 1; 12 events counted (ignored: 1 of unknown "
                             "customers, 1 without a customer), 3 actions would fire, "));
  CHECK_THAT(r.err, Contains(" s\n"));
}

TEST_CASE("cli tier: JSON Lines input gives the same rows as CSV", "[cli][tier]") {
  const auto csv = run(base);
  const auto jsonl = run({"tier", "--rules", "tier/rules.json", "--customers",
                          "tier/customers.jsonl", "--events", "tier/events.jsonl"});
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out == csv.out);
  CHECK_THAT(jsonl.err, Contains("tier/events.jsonl:9: warning: event 'E09' is for customer "
                                 "'K55'"));
}

TEST_CASE("cli tier: events from standard input with --input-format", "[cli][tier]") {
  const auto r = run({"tier", "--rules", "tier/rules.json", "--customers", "tier/customers.csv",
                      "--events", "-", "--input-format", "csv"},
                     slurp(std::string(CRMRULES_CLI_DATA) + "/tier/events.csv"));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == run(base).out);
  CHECK_THAT(r.err, Contains("<stdin>:10: warning: event 'E09' is for customer 'K55'"));
}

TEST_CASE("cli tier: --at tiers as of that time and ignores later events", "[cli][tier]") {
  const auto r = run(with(base, {"--at", "2026-11-20T08:00:00+08:00"}));
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  const auto rows = customers_of(lines);
  CHECK(rows.at("K1")["tier"] == "B");  // its third visit is at 12:00Z, after --at
  CHECK(rows.at("K1")["counts"] == nlohmann::json({{"demo_attended", 1}, {"site_visit", 2}}));
  CHECK(rows.at("K1")["actions"] == nlohmann::json::array());
  CHECK(tiers_of(lines) == strings{"A=0", "B=3", "C=1", "none=1"});
  CHECK_THAT(r.err, Contains("as of 2026-11-20T00:00:00Z: A 0, B 3, C 1, none 1; 9 events "
                             "counted (ignored: 1 of unknown customers, 3 after --at, 1 without "
                             "a customer), 1 action would fire"));

  // In mid-January every visit has left the 30-day windows, and K3's (1 September) C's 90 days.
  const auto late = run(with(base, {"--at", "2027-01-15T00:00:00Z"}));
  REQUIRE(late.exit_code == 0);
  CHECK(tiers_of(lines_of(late.out)) == strings{"A=0", "B=0", "C=2", "none=3"});
}

TEST_CASE("cli tier: --from-stored fires entry actions only for customers who change tier",
          "[cli][tier]") {
  const auto r = run(with(base, {"--from-stored"}));
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  const auto rows = customers_of(lines);
  CHECK(rows.at("K1")["actions"].size() == 2);  // B -> A
  CHECK(rows.at("K3")["tier"] == "C");          // A -> C: C has no actions
  CHECK(rows.at("K3")["actions"] == nlohmann::json::array());
  CHECK(actions_of(lines) ==
        strings{"A/respond=1", "A/push_content=1", "high_intent/send_demo_link=1"});

  const auto bad =
      run({"tier", "--rules", "tier/rules.json", "--customers", "tier/customers-bad-tier.csv",
           "--events", "tier/events.csv", "--from-stored"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK_THAT(bad.err, Contains("tier/customers-bad-tier.csv:2: error: customer 'K1' has tier "
                               "'AA', which the rules file's tiers section does not have (did "
                               "you mean 'A'?)"));
  CHECK_THAT(bad.err, Contains("tier/customers-bad-tier.csv:4: error: customer 'K3' has tier "
                               "'Z', which the rules file's tiers section does not have\n"));
  // Without --from-stored the stored tiers are not used, so they need not exist.
  CHECK(run({"tier", "--rules", "tier/rules.json", "--customers", "tier/customers-bad-tier.csv",
             "--events", "tier/events.csv"})
            .exit_code == 0);
}

TEST_CASE("cli tier: --must-do-rep lists the rep's touches not done that day", "[cli][tier]") {
  const auto r = run(with(base, {"--must-do-rep", "R1"}));
  REQUIRE(r.exit_code == 0);
  std::vector<nlohmann::json> gaps;
  for (const auto& j : lines_of(r.out)) {
    if (j.contains("must_do")) gaps.push_back(j);
  }
  // K1 (A) had its call on 2026-11-20 (Beijing time); K2 (B) its WeChat message but no call.
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0] == nlohmann::json({{"must_do", "R1"},
                                   {"day", "2026-11-20"},
                                   {"customer", "K2"},
                                   {"tier", "B"},
                                   {"event", "call"},
                                   {"min", 1},
                                   {"done", 0}}));
  CHECK_THAT(r.err, Contains("1 must-do touch not done"));

  const auto before = run(with(base, {"--must-do-rep", "R1", "--day", "2026-11-19"}));
  REQUIRE(before.exit_code == 0);
  strings missing;
  for (const auto& j : lines_of(before.out)) {
    if (j.contains("must_do"))
      missing.push_back(j["customer"].get<std::string>() + " " + j["event"].get<std::string>());
  }
  CHECK(missing == strings{"K1 call", "K2 call", "K2 wechat_message"});

  const auto unknown = run(with(base, {"--must-do-rep", "R3"}));
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Contains("error: --must-do-rep 'R3' owns no customer in "
                                   "tier/customers.csv (did you mean 'R1'?)"));
}

TEST_CASE("cli tier: --format csv and table", "[cli][tier]") {
  auto csv = run(with(base, {"--format", "csv"}));
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, Contains("counts\r\n"));  // RFC 4180 line ends
  std::erase(csv.out, '\r');
  CHECK_THAT(csv.out, Contains("customer,tier,stored_tier,upgrades,actions,counts\n"
                               "K1,A,B,,respond to R1 sla=tier_a_response;push_content to "
                               "R1+sales_director content=竞品对比资料包 priority=2,"
                               "call=1;demo_attended=1;site_visit=3\n"));
  CHECK_THAT(csv.out, Contains("K4,,,,,\n"
                               "K5,B,C,high_intent,send_demo_link to R2 (high_intent),"
                               "quote_request=1;tech_consult=2\n"));
  CHECK_THAT(csv.out, Contains("\ntier,customers,share\nA,1,0.2\nB,2,0.4\nC,1,0.2\n,1,0.2\n"));
  CHECK_THAT(csv.out, Contains("\naction,source,upgrade,fired\nrespond,A,false,1\n"));

  const auto table = run(with(base, {"--format", "table"}));
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Contains("customer  tier  stored_tier  upgrades"));
  CHECK_THAT(table.out, Contains("send_demo_link  high_intent  true     1"));
}

TEST_CASE("cli tier: --output FILE", "[cli][tier]") {
  const std::string path = tmp_dir() + "/crmrules-cli-tier-output.jsonl";
  std::remove(path.c_str());
  const auto r = run(with(base, {"--output", path}));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(slurp(path) == run(base).out);
  std::remove(path.c_str());

  const auto bad = run(with(base, {"--output", "/nonexistent-dir/x.jsonl"}));
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Contains("/nonexistent-dir/x.jsonl"));
}

TEST_CASE("cli tier: bad event rows are reported by line, or skipped", "[cli][tier]") {
  const strings bad_args = {"tier",
                            "--rules",
                            "tier/rules.json",
                            "--customers",
                            "tier/customers.csv",
                            "--events",
                            "tier/events-bad.csv"};
  const auto bad = run(bad_args);
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK_THAT(bad.err, Contains("tier/events-bad.csv:3: error: row 2, field 'at': 'yesterday' is "
                               "not a time"));
  CHECK_THAT(bad.err, Contains("tier/events-bad.csv:4: error: row 3: required field 'type' is "
                               "empty"));
  CHECK_THAT(bad.err, Contains("tier/events-bad.csv: error: 2 bad rows"));

  const auto skipped = run(with(bad_args, {"--skip-bad-rows"}));
  REQUIRE(skipped.exit_code == 0);
  CHECK_THAT(skipped.err, Contains("(row skipped)"));
  CHECK_THAT(skipped.err, Contains("tier: 5 customers (2 bad rows skipped) as of "
                                   "2026-11-10T09:00:00Z (the latest event): A 0, B 0, C 2, "
                                   "none 3; 2 events counted"));
  CHECK(tiers_of(lines_of(skipped.out)) == strings{"A=0", "B=0", "C=2", "none=3"});

  const auto jsonl = run({"tier", "--rules", "tier/rules.json", "--customers",
                          "tier/customers.jsonl", "--events", "tier/events-bad.jsonl"});
  CHECK(jsonl.exit_code == 1);
  CHECK_THAT(jsonl.err, Contains("tier/events-bad.jsonl:2: error: event: 'at' must be an RFC "
                                 "3339 time string, got number 20261110"));
}

TEST_CASE("cli tier: a missing column, invalid UTF-8 and wrong types are refused", "[cli][tier]") {
  const auto missing = run({"tier", "--rules", "tier/rules.json", "--customers",
                            "tier/customers.csv", "--events", "tier/events-missing-column.csv"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("tier/events-missing-column.csv:1: error: missing required "
                                   "column 'type' (or one of its other names: 事件类型, 类型)"));

  const auto utf8 = run({"tier", "--rules", "tier/rules.json", "--customers", "tier/customers.csv",
                         "--events", "tier/events-bad-utf8.csv"});
  CHECK(utf8.exit_code == 1);
  CHECK_THAT(utf8.err, Contains("tier/events-bad-utf8.csv:3: error: row 2: invalid UTF-8 at byte "
                                "offset 96 (byte 0xFF)"));

  const auto customers = run({"tier", "--rules", "rules.json", "--customers",
                              "customers-bad-type.csv", "--events", "tier/events.csv"});
  CHECK(customers.exit_code == 1);
}

TEST_CASE("cli tier: a rules file without a tiers section is refused", "[cli][tier]") {
  const auto r = run({"tier", "--rules", "rules.json", "--customers", "tier/customers.csv",
                      "--events", "tier/events.csv"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("rules.json: error: the rules file has no \"tiers\" section"));

  const auto broken = run({"tier", "--rules", "rules-malformed.json", "--customers",
                           "tier/customers.csv", "--events", "tier/events.csv"});
  CHECK(broken.exit_code == 1);
}

TEST_CASE("cli tier: formula errors are grouped warnings, the condition not met", "[cli][tier]") {
  // B divides by the e-mail opens, and nobody opened one: #DIV/0! at run time.
  const auto r = run({"tier", "--rules", "tier/rules-formula-error.json", "--customers",
                      "tier/customers.csv", "--events", "tier/events.csv"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("tier/rules-formula-error.json: warning: B: #DIV/0! for 4 customers "
                             "(first 'K2', tier/customers.csv:3); the condition counts as not "
                             "met"));
  CHECK_THAT(r.err, Contains("4 customers with formula errors"));
  CHECK(tiers_of(lines_of(r.out)) == strings{"A=1", "B=0", "C=2", "none=2"});
}

TEST_CASE("cli tier: a window longer than the horizon is refused before any event is read",
          "[cli][tier][check]") {
  const auto checked = run({"check", "tier/rules-window-too-long.json"});
  CHECK(checked.exit_code == 1);
  CHECK_THAT(checked.err, Contains("tier/rules-window-too-long.json:20:17: error: the window 120d "
                                   "is longer than the horizon (90d)"));
  const auto r = run({"tier", "--rules", "tier/rules-window-too-long.json", "--customers",
                      "tier/customers.csv", "--events", "tier/events.csv"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("the window 120d is longer than the horizon (90d)"));
}

TEST_CASE("cli tier: usage errors exit 2", "[cli][tier]") {
  const auto no_events =
      run({"tier", "--rules", "tier/rules.json", "--customers", "tier/customers.csv"});
  CHECK(no_events.exit_code == 2);
  CHECK_THAT(no_events.err, Contains("--events"));
  CHECK(
      run({"tier", "--customers", "tier/customers.csv", "--events", "tier/events.csv"}).exit_code ==
      2);

  const auto bad_at = run(with(base, {"--at", "yesterday"}));
  CHECK(bad_at.exit_code == 2);
  CHECK_THAT(bad_at.err, Contains("'yesterday' is not an RFC 3339 time"));
  CHECK(run(with(base, {"--day", "2026-11-20"})).exit_code == 2);  // needs --must-do-rep
  CHECK(run(with(base, {"--must-do-rep", "R1", "--day", "11/20"})).exit_code == 2);
  CHECK(run(with(base, {"--format", "xml"})).exit_code == 2);
}
