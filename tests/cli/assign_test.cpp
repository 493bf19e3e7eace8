// Runs the real `crmrules assign` on the small files in tests/cli/data/assign and checks its exit
// status, its rows and its messages.
//
// The data (rules.json, reps.csv, leads.csv) is small enough to follow by hand: pool 华东 (team
// T-east: R1 with a daily cap of 2, R2 with an open cap of 3 and 1 lead open) takes the 华东
// leads, pool 全国 the rest; a lead from 官网表单 scores 100, another 40, +40 when the rep serves
// the lead's industry, -10 per lead the rep holds open. R-boss, a director, is the fallback and
// never a candidate; fb_ leads are not covered.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_cli.hpp"

namespace {

using namespace crmrules_cli_test;
using Catch::Contains;
using strings = std::vector<std::string>;

const std::string dir = std::string(CRMRULES_CLI_DATA) + "/assign";
const std::string at = "2026-11-20T09:00:00+08:00";

run_result assign(std::vector<std::string> args) {
  args.insert(args.begin(), "assign");
  return run(args, {}, dir);
}

/// The rows whose first key is `key` (each kind of row has its own first key), keys in the
/// order written.
std::vector<nlohmann::ordered_json> rows(const std::string& out, const std::string& key) {
  std::vector<nlohmann::ordered_json> picked;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::ordered_json::parse(line);
    if (!j.empty() && j.begin().key() == key) picked.push_back(std::move(j));
  }
  return picked;
}

/// A lead row as "lead>rep" ("lead>-" when nobody gets it).
std::vector<std::string> owners(const std::string& out) {
  std::vector<std::string> o;
  for (const auto& j : rows(out, "lead"))
    o.push_back(j["lead"].get<std::string>() + ">" +
                (j["rep"].is_null() ? std::string("-") : j["rep"].get<std::string>()));
  return o;
}

strings base_args() {
  return {"--rules", "rules.json", "--reps", "reps.csv", "--leads", "leads.csv", "--at", at};
}

strings with(strings args, const strings& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("cli assign: --help describes the options and the input columns", "[cli][assign]") {
  const auto h = assign({"--help"});
  CHECK(h.exit_code == 0);
  for (const char* s :
       {"--rules", "--reps", "--leads", "--teams", "--at", "--explain", "--compare", "--format",
        "--output", "--skip-bad-rows", "Lead columns", "Rep columns", "daily_cap", "线索来源"}) {
    INFO(s);
    CHECK_THAT(h.out, Contains(s));
  }
}

TEST_CASE("cli assign: each lead in file order, with its rep, score and reason", "[cli][assign]") {
  const auto r = assign(base_args());
  REQUIRE(r.exit_code == 0);
  // L1 and L2 go to R1 (140, then 130 as its load grows) until its daily cap of 2; R2 takes L3
  // and L6; L4 (华北) goes to R3 in pool 全国; fb_5 is not covered; for L7 both 华东 reps are
  // over a cap.
  CHECK(owners(r.out) ==
        strings{"L1>R1", "L2>R1", "L3>R2", "L4>R3", "fb_5>R-boss", "L6>R2", "L7>R-boss"});
  const auto leads = rows(r.out, "lead");
  REQUIRE(leads.size() == 7);
  CHECK(
      leads[0].dump() ==
      R"j({"lead":"L1","rep":"R1","fallback":false,"outcome":"assigned","pool":"华东","score":140.0,"reason_code":null,"reason":"highest score in pool 华东","alert":false})j");
  CHECK(leads[1]["score"] == 130.0);
  CHECK(leads[2]["score"] == 90.0);
  CHECK(leads[3]["pool"] == "全国");
  CHECK(leads[3]["score"] == 80.0);
  CHECK(
      leads[4].dump() ==
      R"j({"lead":"fb_5","rep":"R-boss","fallback":true,"outcome":"fallback","pool":null,"score":null,"reason_code":"not_covered","reason":"no rule covers the lead: the policy's 'covers' rule is not TRUE","alert":true})j");
  CHECK(leads[5]["score"] == 120.0);
  CHECK(leads[6]["reason_code"] == "all_over_cap");
  CHECK(leads[6]["reason"] == "all over cap: 2 of 2 reps excluded");
  CHECK(leads[6]["pool"] == "华东");
  CHECK(leads[6]["alert"] == false);

  // The summary: one row per rep in file order, then one per fallback reason.
  const auto reps = rows(r.out, "rep");
  REQUIRE(reps.size() == 5);
  CHECK(reps[0].dump() ==
        R"j({"rep":"R1","leads":2,"fallback_rep":false,"load_before":0.0,"load_after":2.0})j");
  CHECK(reps[1].dump() ==
        R"j({"rep":"R2","leads":2,"fallback_rep":false,"load_before":1.0,"load_after":3.0})j");
  CHECK(reps[2]["leads"] == 1);
  CHECK(reps[3]["leads"] == 0);  // R4 is inactive
  CHECK(reps[4].dump() ==
        R"j({"rep":"R-boss","leads":2,"fallback_rep":true,"load_before":0.0,"load_after":2.0})j");
  const auto reasons = rows(r.out, "fallback_reason");
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[0].dump() ==
        R"j({"fallback_reason":"all_over_cap","description":"all over cap","leads":1})j");
  CHECK(reasons[1].dump() ==
        R"j({"fallback_reason":"not_covered","description":"no rule covers the lead","leads":1})j");
  CHECK(lines_of(r.out).size() == 7 + 5 + 2);

  CHECK_THAT(r.err, Contains("assign: 7 leads over 5 reps: 5 assigned, 2 to the fallback "
                             "(R-boss), 0 unassigned, "));
  CHECK_THAT(r.err, Contains(" s\n"));
}

TEST_CASE("cli assign: JSON Lines input gives the same result as CSV", "[cli][assign]") {
  const auto csv = assign(base_args());
  const auto jsonl = assign(
      {"--rules", "rules.json", "--reps", "reps.jsonl", "--leads", "leads.jsonl", "--at", at});
  REQUIRE(csv.exit_code == 0);
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out == csv.out);
}

TEST_CASE("cli assign: leave periods from JSON Lines exclude a rep", "[cli][assign]") {
  const auto r = assign({"--rules", "rules.json", "--reps", "reps-on-leave.jsonl", "--leads",
                         "leads.jsonl", "--at", at, "--explain", "L1"});
  REQUIRE(r.exit_code == 0);
  // R1 is away: R2 takes the 华东 leads until its open cap, then everything falls back.
  CHECK(owners(r.out) == strings{"L1>R2", "L2>R2", "L3>R-boss", "L4>R-boss", "fb_5>R-boss",
                                 "L6>R-boss", "L7>R-boss"});
  const auto excluded = rows(r.out, "excluded_rep");
  REQUIRE(excluded.size() == 1);
  CHECK(excluded[0].dump() ==
        R"j({"excluded_rep":"R1","lead":"L1","rule":"on_leave","detail":"on leave"})j");
}

TEST_CASE("cli assign: --explain shows the lead's candidates and exclusions as they stood",
          "[cli][assign]") {
  const auto r = assign(with(base_args(), {"--explain", "L3"}));
  REQUIRE(r.exit_code == 0);
  // The rows for every lead are still there.
  CHECK(rows(r.out, "lead").size() == 7);
  const auto head = rows(r.out, "explained");
  REQUIRE(head.size() == 1);
  CHECK(
      head[0].dump() ==
      R"j({"explained":"L3","position":3,"rep":"R2","outcome":"assigned","pool":"华东","score":90.0,"candidates":1,"excluded":1,"reason":"highest score in pool 华东"})j");
  // By L3, R1 has had L1 and L2: its daily cap is reached.
  const auto excluded = rows(r.out, "excluded_rep");
  REQUIRE(excluded.size() == 1);
  CHECK(
      excluded[0].dump() ==
      R"j({"excluded_rep":"R1","lead":"L3","rule":"daily_cap","detail":"daily cap 2 reached (2 today)"})j");
  const auto candidates = rows(r.out, "candidate");
  REQUIRE(candidates.size() == 1);
  const auto& c = candidates[0];
  CHECK(c["candidate"] == "R2");
  CHECK(c["rank"] == 1);
  CHECK(c["score"] == 90.0);
  CHECK(c["base"] == 90.0);
  CHECK(c["coefficient"] == 1.0);
  CHECK(c["load"] == 1.0);
  CHECK(c["summary"] == "线索来源 +100, lead.industry +0, rep.load -10 = 90");
  REQUIRE(c["terms"].size() == 3);
  CHECK(c["terms"][0].dump() ==
        R"j({"label":"线索来源","value":"100","text":"IF(线索来源 = \"官网表单\", 100, 40)"})j");
  CHECK(c["terms"][2]["value"] == "-10");

  // L4 goes to pool 全国: two candidates ranked, the inactive rep and the director excluded.
  const auto l4 = assign(with(base_args(), {"--explain", "L4"}));
  REQUIRE(l4.exit_code == 0);
  strings ranked;
  for (const auto& j : rows(l4.out, "candidate"))
    ranked.push_back(j["candidate"].get<std::string>() + " " + j["summary"].get<std::string>());
  CHECK(ranked == strings{"R3 线索来源 +40, lead.industry +40, rep.load +0 = 80",
                          "R2 线索来源 +40, lead.industry +40, rep.load -20 = 60"});
  strings rules;
  for (const auto& j : rows(l4.out, "excluded_rep"))
    rules.push_back(j["excluded_rep"].get<std::string>() + " " + j["rule"].get<std::string>());
  CHECK(rules == strings{"R1 daily_cap", "R4 inactive", "R-boss not_eligible"});
}

TEST_CASE("cli assign: --explain of a lead that falls back, and of an unknown lead",
          "[cli][assign]") {
  const auto r = assign(with(base_args(), {"--explain", "L7"}));
  REQUIRE(r.exit_code == 0);
  const auto head = rows(r.out, "explained");
  REQUIRE(head.size() == 1);
  CHECK(head[0]["outcome"] == "fallback");
  CHECK(head[0]["rep"] == "R-boss");
  CHECK(head[0]["candidates"] == 0);
  CHECK(head[0]["reason"] == "all over cap: 2 of 2 reps excluded");
  strings details;
  for (const auto& j : rows(r.out, "excluded_rep"))
    details.push_back(j["detail"].get<std::string>());
  CHECK(details == strings{"daily cap 2 reached (2 today)", "open cap 3 reached (3 open)"});

  const auto uncovered = assign(with(base_args(), {"--explain", "fb_5"}));
  REQUIRE(uncovered.exit_code == 0);
  CHECK(rows(uncovered.out, "explained")[0]["excluded"] == 0);
  CHECK(rows(uncovered.out, "candidate").empty());

  const auto unknown = assign(with(base_args(), {"--explain", "fb5"}));
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.out.empty());
  CHECK(unknown.err == "leads.csv: error: no lead 'fb5' to --explain; did you mean 'fb_5'?\n");
}

TEST_CASE("cli assign: --compare writes the leads that change owner and the counts per move",
          "[cli][assign]") {
  const auto r = assign(with(base_args(), {"--compare", "rules-other.json"}));
  REQUIRE(r.exit_code == 0);
  // The lead rows are those of --rules.
  CHECK(owners(r.out) ==
        strings{"L1>R1", "L2>R1", "L3>R2", "L4>R3", "fb_5>R-boss", "L6>R2", "L7>R-boss"});
  strings moved;
  for (const auto& j : rows(r.out, "moved_lead"))
    moved.push_back(j.dump());
  CHECK(moved == strings{R"j({"moved_lead":"L2","from":"R3","to":"R1"})j",
                         R"j({"moved_lead":"L4","from":null,"to":"R3"})j",
                         R"j({"moved_lead":"fb_5","from":"R1","to":"R-boss"})j",
                         R"j({"moved_lead":"L6","from":"R3","to":"R2"})j",
                         R"j({"moved_lead":"L7","from":"R2","to":"R-boss"})j"});
  strings moves;
  for (const auto& j : rows(r.out, "from"))
    moves.push_back(j.dump());
  CHECK(moves == strings{R"j({"from":null,"to":"R3","leads":1})j",
                         R"j({"from":"R1","to":"R-boss","leads":1})j",
                         R"j({"from":"R2","to":"R-boss","leads":1})j",
                         R"j({"from":"R3","to":"R1","leads":1})j",
                         R"j({"from":"R3","to":"R2","leads":1})j"});
  const auto reps = rows(r.out, "rep");
  REQUIRE(reps.size() == 5);
  CHECK(
      reps[2].dump() ==
      R"j({"rep":"R3","leads":1,"fallback_rep":false,"load_before":0.0,"load_after":1.0,"compare_leads":2,"compare_load_after":2.0})j");
  const auto reasons = rows(r.out, "fallback_reason");
  REQUIRE(reasons.size() == 2);
  CHECK(
      reasons[1].dump() ==
      R"j({"fallback_reason":"not_covered","description":"no rule covers the lead","leads":1,"compare_leads":1})j");
  CHECK_THAT(r.err, Contains("; 5 change owner against rules-other.json, "));

  // A policy compared with itself moves nothing.
  const auto same = assign(with(base_args(), {"--compare", "rules.json"}));
  REQUIRE(same.exit_code == 0);
  CHECK(rows(same.out, "moved_lead").empty());
  CHECK(rows(same.out, "from").empty());
  CHECK_THAT(same.err, Contains("; 0 change owner against rules.json"));
}

TEST_CASE("cli assign: a policy without a fallback rep leaves leads unassigned", "[cli][assign]") {
  const auto r = assign(
      {"--rules", "rules-other.json", "--reps", "reps.csv", "--leads", "leads.csv", "--at", at});
  REQUIRE(r.exit_code == 0);
  CHECK(owners(r.out) == strings{"L1>R1", "L2>R3", "L3>R2", "L4>-", "fb_5>R1", "L6>R3", "L7>R2"});
  const auto l4 = rows(r.out, "lead")[3];
  CHECK(l4["outcome"] == "unassigned");
  CHECK(l4["fallback"] == false);
  CHECK(l4["reason_code"] == "not_covered");
  CHECK(l4["pool"].is_null());
  CHECK_THAT(r.err, Contains("6 assigned, 0 to the fallback, 1 unassigned"));
}

TEST_CASE("cli assign: round robin, pool members and a fallback rep not in the reps file",
          "[cli][assign]") {
  const auto r = assign(
      {"--rules", "rules-rotation.json", "--reps", "reps.csv", "--leads", "leads.csv", "--at", at});
  REQUIRE(r.exit_code == 0);
  CHECK(owners(r.out) ==
        strings{"L1>R1", "L2>R2", "L3>R1", "L4>R2", "fb_5>R-bos", "L6>R-bos", "L7>R-bos"});
  CHECK(rows(r.out, "lead")[0]["reason"] == "next in the round-robin rotation of pool 轮转");
  const auto reps = rows(r.out, "rep");
  REQUIRE(reps.size() == 6);  // the fallback rep, not in reps.csv, comes last without a load
  CHECK(reps[5].dump() ==
        R"j({"rep":"R-bos","leads":3,"fallback_rep":true,"load_before":null,"load_after":null})j");
  CHECK_THAT(r.err, Contains("rules-rotation.json: warning: pool '轮转' lists rep 'R33', which "
                             "is not in reps.csv; did you mean 'R3'?"));
  CHECK_THAT(r.err, Contains("rules-rotation.json: warning: the fallback rep 'R-bos' is not in "
                             "reps.csv; did you mean 'R-boss'?"));
}

TEST_CASE("cli assign: --format csv and table", "[cli][assign]") {
  const auto csv = assign(with(base_args(), {"--format", "csv", "--explain", "L7"}));
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, Contains("lead,rep,fallback,outcome,pool,score,reason_code,reason,alert\r\n"
                               "L1,R1,false,assigned,华东,140.0,,highest score in pool 华东,"
                               "false\r\n"));
  CHECK_THAT(csv.out, Contains("fb_5,R-boss,true,fallback,,,not_covered,no rule covers the lead: "
                               "the policy's 'covers' rule is not TRUE,true\r\n"));
  CHECK_THAT(csv.out, Contains("\r\n\r\nrep,leads,fallback_rep,load_before,load_after\r\n"
                               "R1,2,false,0.0,2.0\r\n"));
  CHECK_THAT(csv.out, Contains("\r\n\r\nfallback_reason,description,leads\r\n"));
  CHECK_THAT(csv.out, Contains("excluded_rep,lead,rule,detail\r\n"
                               "R1,L7,daily_cap,daily cap 2 reached (2 today)\r\n"));

  const auto table = assign(with(base_args(), {"--format", "table", "--explain", "L3"}));
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Contains("lead  rep     fallback  outcome   pool  score  reason_code"));
  // Tables get the summary of the score terms, not the terms as objects.
  CHECK_THAT(table.out, Contains("线索来源 +100, lead.industry +0, rep.load -10 = 90"));
  CHECK_THAT(table.out, !Contains("\"label\""));
}

TEST_CASE("cli assign: --output FILE", "[cli][assign]") {
  const std::string path =
      tmp_dir() + "/crmrules-cli-assign-" + std::to_string(::getpid()) + ".jsonl";
  const auto r = assign(with(base_args(), {"--output", path}));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  const auto written = slurp(path);
  std::remove(path.c_str());
  CHECK(owners(written) ==
        strings{"L1>R1", "L2>R1", "L3>R2", "L4>R3", "fb_5>R-boss", "L6>R2", "L7>R-boss"});

  const auto bad = assign(with(base_args(), {"--output", "/nonexistent-dir/out.jsonl"}));
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Contains("cannot write '/nonexistent-dir/out.jsonl'"));
}

TEST_CASE("cli assign: --teams checks the pools' teams and the reps' teams", "[cli][assign]") {
  const auto ok = assign(with(base_args(), {"--teams", "teams.csv"}));
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.err, !Contains("warning"));

  const auto typo = assign(with(base_args(), {"--teams", "teams-typo.csv"}));
  CHECK(typo.exit_code == 1);
  CHECK(typo.out.empty());
  CHECK_THAT(typo.err, Contains("rules.json: error: pool '华东' takes the reps of team 'T-east', "
                                "which is not in teams-typo.csv; did you mean 'T-eats'?\n"));
  CHECK_THAT(typo.err, Contains("reps.csv:2: warning: rep 'R1': team 'T-east' is not in "
                                "teams-typo.csv; did you mean 'T-eats'?\n"));
}

TEST_CASE("cli assign: bad rows are reported by line, or skipped with --skip-bad-rows",
          "[cli][assign]") {
  const strings args = {"--rules", "rules.json",       "--reps", "reps.csv",
                        "--leads", "leads-broken.csv", "--at",   at};
  const auto bad = assign(args);
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK_THAT(bad.err, Contains("leads-broken.csv:3: error: row 2: malformed row: unexpected 'x' "
                               "after the closing quote of field 3"));
  CHECK_THAT(bad.err, Contains("leads-broken.csv:4: error: row 3, field 'budget': 'a lot' is not "
                               "an amount"));
  CHECK_THAT(bad.err, Contains("leads-broken.csv: error: 2 bad rows; fix them, or pass "
                               "--skip-bad-rows to leave them out"));

  const auto skipped = assign(with(args, {"--skip-bad-rows"}));
  CHECK(skipped.exit_code == 0);
  CHECK(owners(skipped.out) == strings{"L1>R1", "L4>R3"});
  CHECK_THAT(skipped.err, Contains("leads-broken.csv:3: warning: row 2: malformed row"));
  CHECK_THAT(skipped.err, Contains("assign: 2 leads over 5 reps (2 bad rows skipped): 2 "
                                   "assigned"));
}

TEST_CASE("cli assign: a missing column, a wrong type, invalid UTF-8, bad JSON Lines",
          "[cli][assign]") {
  const auto missing = assign({"--rules", "rules.json", "--reps", "reps.csv", "--leads",
                               "leads-missing-column.csv", "--at", at});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("leads-missing-column.csv:1: error: missing required column "
                                   "'id' (or one of its other names: 线索编号, 线索ID)"));

  const auto type = assign(
      {"--rules", "rules.json", "--reps", "reps-bad-type.csv", "--leads", "leads.csv", "--at", at});
  CHECK(type.exit_code == 1);
  CHECK_THAT(type.err, Contains("reps-bad-type.csv:3: error: row 2, field 'daily_cap': 'many' is "
                                "not an integer\n"));

  const auto utf8 = assign(
      {"--rules", "rules.json", "--reps", "reps.csv", "--leads", "leads-bad-utf8.csv", "--at", at});
  CHECK(utf8.exit_code == 1);
  CHECK_THAT(utf8.err, Contains("leads-bad-utf8.csv:3: error: row 2: invalid UTF-8 at byte offset "
                                "59 (byte 0xFF)"));

  const auto jsonl = assign(
      {"--rules", "rules.json", "--reps", "reps.csv", "--leads", "leads-bad.jsonl", "--at", at});
  CHECK(jsonl.exit_code == 1);
  CHECK_THAT(jsonl.err, Contains("leads-bad.jsonl:2: error: lead: 'budget' must be an amount"));
  CHECK_THAT(jsonl.err, Contains("leads-bad.jsonl:3: error: id 'L1' appears again (first on line "
                                 "1)"));
}

TEST_CASE("cli assign: a rules file without an assign section", "[cli][assign]") {
  const auto r = assign({"--rules", "rules-no-assign.json", "--reps", "reps.csv", "--leads",
                         "leads.csv", "--at", at});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("rules-no-assign.json: error: the rules file (--rules) has no "
                             "\"assign\" section"));

  const auto other = assign(with(base_args(), {"--compare", "rules-no-assign.json"}));
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.err, Contains("rules-no-assign.json: error: the rules file (--compare) has no "
                                 "\"assign\" section"));

  const auto missing = assign(with(base_args(), {"--compare", "no-such-rules.json"}));
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("no-such-rules.json"));
}

TEST_CASE("cli assign: usage errors exit 2", "[cli][assign]") {
  const auto no_leads = assign({"--rules", "rules.json", "--reps", "reps.csv"});
  CHECK(no_leads.exit_code == 2);
  CHECK_THAT(no_leads.err, Contains("--leads is required"));
  const auto no_reps = assign({"--rules", "rules.json", "--leads", "leads.csv"});
  CHECK(no_reps.exit_code == 2);
  CHECK_THAT(no_reps.err, Contains("--reps"));
  const auto bad_time = assign(with(base_args(), {"--at", "yesterday"}));
  CHECK(bad_time.exit_code == 2);
  CHECK_THAT(bad_time.err, Contains("--at: invalid time 'yesterday'"));
  const auto bad_format = assign(with(base_args(), {"--format", "xml"}));
  CHECK(bad_format.exit_code == 2);
}

TEST_CASE("cli assign: --at decides who is on leave; without it, now", "[cli][assign]") {
  // R1's leave ends 2026-11-21T00:00Z: from then on it takes the 华东 leads again.
  const auto later = assign({"--rules", "rules.json", "--reps", "reps-on-leave.jsonl", "--leads",
                             "leads.jsonl", "--at", "2026-11-21T00:00:00Z"});
  REQUIRE(later.exit_code == 0);
  CHECK(owners(later.out).front() == "L1>R1");
  // A time without an offset is UTC: 2026-11-20T23:59 is still inside the leave.
  const auto before = assign({"--rules", "rules.json", "--reps", "reps-on-leave.jsonl", "--leads",
                              "leads.jsonl", "--at", "2026-11-20T23:59"});
  REQUIRE(before.exit_code == 0);
  CHECK(owners(before.out).front() == "L1>R2");
  // Without --at the run is at the current time (whatever the clock says, every lead is placed).
  const auto now =
      assign({"--rules", "rules.json", "--reps", "reps-on-leave.jsonl", "--leads", "leads.jsonl"});
  REQUIRE(now.exit_code == 0);
  CHECK(owners(now.out).size() == 7);
}
