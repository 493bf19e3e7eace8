// Runs the real `crmrules stage` (validate and graph) on the small files in tests/cli/data/stage
// and checks its exit status, its verdicts and graphs, and its messages.
#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run_cli.hpp"

namespace {

using namespace crmrules_cli_test;

const std::string at = "2026-11-20T10:00:00Z";

/// `crmrules stage --rules stage/rules.json validate --at <at>` plus `args`.
run_result validate(std::vector<std::string> args, const std::string& input = {}) {
  std::vector<std::string> all = {"stage", "--rules", "stage/rules.json", "validate", "--at", at};
  all.insert(all.end(), args.begin(), args.end());
  return run(all, input);
}

/// The one verdict a JSON Lines run wrote.
nlohmann::json verdict_of(const run_result& r) {
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 1);
  return lines[0];
}

/// The details of the verdict's unmet requirements.
std::vector<std::string> details(const nlohmann::json& v) {
  std::vector<std::string> out;
  for (const auto& g : v["unmet"])
    out.push_back(g["requirement"].get<std::string>() + " " + g["stage"].get<std::string>() + ": " +
                  g["detail"].get<std::string>());
  return out;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cli stage: --help describes the sub-subcommands, options and columns", "[cli][stage]") {
  const auto h = run({"stage", "--help"});
  CHECK(h.exit_code == 0);
  CHECK(has(h.out, "validate"));
  CHECK(has(h.out, "graph"));
  CHECK(has(h.out, "--rules"));
  const auto v = run({"stage", "validate", "--help"});
  CHECK(v.exit_code == 0);
  for (const char* part : {"--opportunity", "--to", "--evidence", "--at", "--override-reason",
                           "--id", "--format", "销售阶段", "meeting_minutes", "days_in_stage"})
    CHECK(has(v.out, part));
  const auto g = run({"stage", "graph", "--help"});
  CHECK(g.exit_code == 0);
  CHECK(has(g.out, "--log"));
  CHECK(has(g.out, "Graphviz"));
}

TEST_CASE("cli stage validate: a move without its proof is refused, exit 0, with the gap",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析"});
  REQUIRE(r.exit_code == 0);
  const auto v = verdict_of(r);
  CHECK(v["opportunity"] == "O-1");
  CHECK(v["from"] == "初步接触");
  CHECK(v["to"] == "需求分析");
  CHECK(v["kind"] == "next");
  CHECK(v["allowed"] == false);
  CHECK(v["moves"] == false);
  CHECK(v["skipped"].empty());
  CHECK(details(v) == std::vector<std::string>{
                          "evidence 初步接触: 1 x call_recording for stage '初步接触' (have 0)"});
  CHECK(v["days_in_stage"] == 2.0);
  CHECK(v["dwell_limit"] == "7d");
  CHECK(v["frozen"] == false);
  CHECK(v["override"].is_null());
  CHECK(
      has(r.err, "stage validate: O-1 初步接触 -> 需求分析: next, refused (1 unmet requirement)"));
}

TEST_CASE(
    "cli stage validate: the submitted evidence lets the move through; --rules after validate",
    "[cli][stage]") {
  const auto r =
      run({"stage", "validate", "--rules", "stage/rules.json", "--opportunity", "stage/deal.jsonl",
           "--to", "需求分析", "--evidence", "stage/call.jsonl", "--at", at});
  REQUIRE(r.exit_code == 0);
  const auto v = verdict_of(r);
  CHECK(v["kind"] == "next");
  CHECK(v["allowed"] == true);
  CHECK(v["moves"] == true);
  CHECK(v["unmet"].empty());
  CHECK(has(r.err, "next, allowed, 1 evidence item submitted"));
}

TEST_CASE("cli stage validate: a skip needs the skipped stages' proof; table lists every reason",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deal.jsonl", "--to", "报价审批", "--evidence",
                           "stage/call.jsonl", "--format", "table"});
  REQUIRE(r.exit_code == 0);
  const std::string expected =
      "opportunity  from      to        kind  allowed  moves  skipped            days_in_stage  "
      "dwell_limit  frozen  override\n"
      "-----------  --------  --------  ----  -------  -----  -----------------  -------------  "
      "-----------  ------  --------\n"
      "O-1          初步接触  报价审批  skip  false    false  需求分析;方案演示  2.0            "
      "7d           false   \n"
      "\n"
      "stage     requirement  detail\n"
      "--------  -----------  ----------------------------------------------------------------\n"
      "需求分析  evidence     1 x meeting_minutes with attendees for stage '需求分析' (have 0)\n"
      "方案演示  evidence     1 x pdf for stage '方案演示' (have 0)\n";
  CHECK(r.out == expected);
}

TEST_CASE("cli stage validate: a skip with every stage's proof is allowed (CSV output)",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deal.jsonl", "--to", "报价审批", "--evidence",
                           "stage/skip-proof.jsonl", "--format", "csv"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "opportunity,from,to,kind,allowed,moves,skipped,unmet,days_in_stage,dwell_limit,frozen,"
        "override\r\n"
        "O-1,初步接触,报价审批,skip,true,true,需求分析;方案演示,,2.0,7d,false,\r\n");
  CHECK(has(r.err, "skip, allowed, 3 evidence items submitted"));
}

TEST_CASE("cli stage validate: CSV output joins the reasons in one cell", "[cli][stage]") {
  const auto r =
      validate({"--opportunity", "stage/deal.jsonl", "--to", "方案演示", "--format", "csv"});
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.out,
            "O-1,初步接触,方案演示,skip,false,false,需求分析,evidence: 1 x call_recording for "
            "stage '初步接触' (have 0);evidence: 1 x meeting_minutes with attendees for stage "
            "'需求分析' (have 0),2.0,7d,false,\r\n"));
}

TEST_CASE("cli stage validate: a shortcut, a guard, and the evidence on the deal", "[cli][stage]") {
  SECTION("a repeat customer's deal takes the shortcut with its minutes on file") {
    const auto v = verdict_of(
        validate({"--opportunity", "stage/deals.jsonl", "--id", "O-2", "--to", "报价审批"}));
    CHECK(v["kind"] == "shortcut");
    CHECK(v["allowed"] == true);
    CHECK(v["skipped"] == nlohmann::json::array({"方案演示"}));
    CHECK(v["days_in_stage"] == 4.0);
  }
  SECTION("a deal without an amount fails the guard") {
    const auto v = verdict_of(
        validate({"--opportunity", "stage/deals.jsonl", "--id", "O-3", "--to", "报价审批"}));
    CHECK(v["kind"] == "next");
    CHECK(v["allowed"] == false);
    CHECK(details(v) ==
          std::vector<std::string>{"guard 方案演示: the deal needs an amount (金额 > 0 is FALSE)"});
  }
}

TEST_CASE("cli stage validate: backward moves and the dwell limit", "[cli][stage]") {
  SECTION("a declared move back is allowed; the deal is frozen, table says so") {
    const auto r = validate({"--opportunity", "stage/deals.jsonl", "--id", "O-4", "--to",
                             "方案演示", "--format", "table"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "O-4          报价审批  方案演示  back  true     true            10.0   "));
    CHECK(has(r.out,
              "报价审批  dwell        frozen: 10.0 days in the stage, 7.0 over its limit "
              "of 3d; left out of the forecast until it moves\n"));
    CHECK(has(r.err, "back, allowed, 0 evidence items submitted, frozen,"));
  }
  SECTION("an undeclared move back is refused") {
    const auto v = verdict_of(
        validate({"--opportunity", "stage/deals.jsonl", "--id", "O-4", "--to", "初步接触"}));
    CHECK(v["kind"] == "back");
    CHECK(v["allowed"] == false);
    CHECK(v["frozen"] == true);
    CHECK(v["days_in_stage"] == 10.0);
    CHECK(v["dwell_limit"] == "3d");
    CHECK(details(v) == std::vector<std::string>{
                            "transition 初步接触: no backward move from '报价审批' to '初步接触' "
                            "is declared"});
  }
}

TEST_CASE("cli stage validate: lost needs coded reasons, every problem listed", "[cli][stage]") {
  SECTION("with a primary and two secondary reasons, each with a ref") {
    const auto v =
        verdict_of(validate({"--opportunity", "stage/deals.jsonl", "--id", "O-5", "--to", "输单"}));
    CHECK(v["kind"] == "lost");
    CHECK(v["allowed"] == true);
  }
  SECTION("with an unknown code and a reason without a ref") {
    const auto v =
        verdict_of(validate({"--opportunity", "stage/deals.jsonl", "--id", "O-7", "--to", "输单"}));
    CHECK(v["kind"] == "lost");
    CHECK(v["allowed"] == false);
    CHECK(details(v) == std::vector<std::string>{
                            "lost_reason 输单: reason code 'weather' is not in the list",
                            "lost_reason 输单: reason 'timing' must link a note or activity (ref)",
                            "lost_reason 输单: exactly 1 primary reason code (have 0)",
                            "lost_reason 输单: exactly 2 secondary reason codes (have 1)"});
  }
}

TEST_CASE("cli stage validate: a closed deal cannot move (invalid, exit 0)", "[cli][stage]") {
  const auto r =
      validate({"--opportunity", "stage/deals.jsonl", "--id", "O-6", "--to", "初步接触"});
  REQUIRE(r.exit_code == 0);
  const auto v = verdict_of(r);
  CHECK(v["kind"] == "invalid");
  CHECK(v["allowed"] == false);
  CHECK(details(v) == std::vector<std::string>{"stage 赢单: the deal is closed (赢单)"});
  CHECK(v["dwell_limit"].is_null());
}

TEST_CASE("cli stage validate: an override is checked as move_and_commit would", "[cli][stage]") {
  SECTION("an authorised role with a reason: the deal would move") {
    const auto v = verdict_of(
        validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--actor", "u-lina",
                  "--role", "director", "--override-reason", "the recording was lost"}));
    CHECK(v["allowed"] == false);
    CHECK(v["moves"] == true);
    CHECK(v["override"] ==
          "accepted: u-lina (director) overrides the gate: the recording was lost");
  }
  SECTION("another role may not") {
    const auto v = verdict_of(validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析",
                                        "--role", "sales", "--override-reason", "please"}));
    CHECK(v["moves"] == false);
    CHECK(v["override"] == "refused: role 'sales' may not override the gate (allowed: director)");
  }
  SECTION("an empty reason is refused") {
    const auto v = verdict_of(validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析",
                                        "--role", "director", "--override-reason", ""}));
    CHECK(v["moves"] == false);
    CHECK(v["override"] == "refused: an override needs a reason");
  }
  SECTION("an allowed move needs none") {
    const auto v =
        verdict_of(validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--evidence",
                             "stage/call.jsonl", "--role", "director", "--override-reason", "x"}));
    CHECK(v["moves"] == true);
    CHECK(v["override"] == "not needed: the move is allowed");
  }
  SECTION("an invalid move cannot be forced") {
    const auto v =
        verdict_of(validate({"--opportunity", "stage/deals.jsonl", "--id", "O-6", "--to",
                             "初步接触", "--role", "director", "--override-reason", "reopen"}));
    CHECK(v["moves"] == false);
    CHECK(v["override"] == "refused: an invalid move cannot be overridden");
  }
  SECTION("--override-reason without --role is a usage error") {
    const auto r = validate(
        {"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--override-reason", "x"});
    CHECK(r.exit_code == 2);
    CHECK(has(r.err, "--override-reason requires --role"));
  }
}

TEST_CASE("cli stage validate: CSV input with Chinese columns, one deal picked by --id",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deals.csv", "--id", "O-9", "--to", "报价审批"});
  REQUIRE(r.exit_code == 0);
  const auto v = verdict_of(r);
  CHECK(v["kind"] == "skip");
  CHECK(v["days_in_stage"] == 19.0);
  CHECK(v["frozen"] == true);
  CHECK(details(v) ==
        std::vector<std::string>{
            "evidence 需求分析: 1 x meeting_minutes with attendees for stage '需求分析' (have 0)",
            "evidence 方案演示: 1 x pdf for stage '方案演示' (have 0)",
            "transition 报价审批: the shortcut from '需求分析' to '报价审批' does not apply (its "
            "condition is FALSE)"});
  // 老客户 (repeat_customer) 是 and 300000 < 50万: the shortcut holds, but a CSV row carries no
  // evidence, so the minutes are missing.
  const auto v2 =
      verdict_of(validate({"--opportunity", "stage/deals.csv", "--id", "O-2", "--to", "报价审批"}));
  CHECK(v2["kind"] == "shortcut");
  CHECK(v2["allowed"] == false);
}

TEST_CASE("cli stage validate: a file of several deals needs --id; an unknown id is named",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deals.csv", "--to", "报价审批"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(has(r.err,
            "stage/deals.csv: error: the file holds 3 opportunities; pick one with --id "
            "(O-1, O-2, O-9)"));
  const auto u =
      validate({"--opportunity", "stage/deals.jsonl", "--id", "O-77", "--to", "报价审批"});
  CHECK(u.exit_code == 1);
  CHECK(has(u.err, "no opportunity 'O-77' in the file; did you mean 'O-7'?"));
}

TEST_CASE("cli stage validate: a plain .json file with one object, and stdin", "[cli][stage]") {
  const auto r = validate(
      {"--opportunity", "stage/deal.json", "--to", "需求分析", "--evidence", "stage/call.jsonl"});
  REQUIRE(r.exit_code == 0);
  CHECK(verdict_of(r)["allowed"] == true);
  const auto s = validate({"--opportunity", "-", "--input-format", "jsonl", "--to", "需求分析"},
                          slurp(std::string(CRMRULES_CLI_DATA) + "/stage/deal.jsonl"));
  REQUIRE(s.exit_code == 0);
  CHECK(verdict_of(s)["opportunity"] == "O-1");
}

TEST_CASE("cli stage validate: --output writes the verdict to a file", "[cli][stage]") {
  const std::string path = tmp_dir() + "/cli-stage-verdict.jsonl";
  std::remove(path.c_str());
  const auto r =
      validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--output", path});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  const auto lines = lines_of(slurp(path));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["kind"] == "next");
  std::remove(path.c_str());
  const auto bad = validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--output",
                             "/nonexistent/x.jsonl"});
  CHECK(bad.exit_code == 1);
  CHECK(has(bad.err, "cannot write"));
}

TEST_CASE("cli stage validate: an unknown stage is named with the closest one", "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deal.jsonl", "--to", "报价审核"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(has(r.err,
            "--to: no stage '报价审核' in the pipeline; did you mean '报价审批'? (stages: "
            "初步接触, 需求分析, 方案演示, 报价审批, 赢单, 输单)"));
  const auto far = validate({"--opportunity", "stage/deal.jsonl", "--to", "合同"});
  CHECK(far.exit_code == 1);
  CHECK(has(far.err, "no stage '合同' in the pipeline (stages: 初步接触,"));
  const auto deal =
      validate({"--opportunity", "stage/deals.jsonl", "--id", "O-8", "--to", "初步接触"});
  CHECK(deal.exit_code == 1);
  CHECK(has(deal.err,
            "stage/deals.jsonl:8: error: opportunity 'O-8' is in stage '需求分忻', "
            "which the pipeline does not have; did you mean '需求分析'?"));
}

TEST_CASE("cli stage validate: bad evidence lines are reported with their line numbers",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--evidence",
                           "stage/evidence-bad.jsonl"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(has(r.err,
            "stage/evidence-bad.jsonl:2: error: evidence item: type 'fax' is not one of "
            "note, call_recording, screenshot, pdf, signed_document, email, "
            "meeting_minutes, approval\n"));
  CHECK(has(r.err, "stage/evidence-bad.jsonl:3: error: evidence item: malformed JSON:"));
  CHECK(has(r.err, "stage/evidence-bad.jsonl:4: error: evidence item must be a JSON object"));
  CHECK(has(r.err, "stage/evidence-bad.jsonl:5: error: evidence item: unknown key 'page'"));
  CHECK(has(r.err,
            "stage/evidence-bad.jsonl:6: error: evidence item: 'evidence.added_at': "
            "invalid time 'yesterday'"));
  CHECK(has(r.err,
            "stage/evidence-bad.jsonl:7: error: evidence item: 'type' is missing; one "
            "of note, call_recording,"));
  CHECK(has(r.err,
            "stage/evidence-bad.jsonl:8: error: evidence item: type 'call_recordings' is "
            "not one of note, call_recording, screenshot, pdf, signed_document, email, "
            "meeting_minutes, approval; did you mean 'call_recording'?"));
  CHECK(has(r.err,
            "stage/evidence-bad.jsonl: error: 7 bad lines; fix them, or pass "
            "--skip-bad-rows"));

  const auto s = validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--evidence",
                           "stage/evidence-bad.jsonl", "--skip-bad-rows"});
  REQUIRE(s.exit_code == 0);
  CHECK(verdict_of(s)["allowed"] == true);  // line 1, the call recording, is kept
  CHECK(has(s.err,
            "stage/evidence-bad.jsonl:4: warning: evidence item must be a JSON object "
            "(line skipped)"));
  CHECK(has(s.err, "1 evidence item submitted (7 bad lines skipped)"));
}

TEST_CASE("cli stage validate: invalid UTF-8 in evidence is reported by byte offset",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--evidence",
                           "stage/evidence-bad-utf8.jsonl"});
  CHECK(r.exit_code == 1);
  CHECK(has(r.err,
            "stage/evidence-bad-utf8.jsonl:2: error: invalid UTF-8 at byte offset 96 "
            "(byte 0xE9); save the file as UTF-8"));
}

TEST_CASE("cli stage validate: evidence for no stage or an unknown stage is warned about",
          "[cli][stage]") {
  const auto r = validate({"--opportunity", "stage/deal.jsonl", "--to", "需求分析", "--evidence",
                           "stage/evidence-warn.jsonl"});
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.err,
            "stage/evidence-warn.jsonl:2: warning: evidence 'E-2' has no 'stage': it "
            "counts for no stage's requirements"));
  CHECK(has(r.err,
            "stage/evidence-warn.jsonl:3: warning: evidence 'E-3' is for stage '方案演试', "
            "which the pipeline does not have: it counts for nothing; did you mean "
            "'方案演示'?"));
}

TEST_CASE("cli stage validate: bad opportunity rows, a missing column, invalid UTF-8",
          "[cli][stage]") {
  SECTION("a wrong type names the field and the row") {
    const auto r =
        validate({"--opportunity", "stage/deals-bad.csv", "--id", "O-3", "--to", "报价审批"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err,
              "stage/deals-bad.csv:2: error: row 1, field 'amount': 'a lot' is not an "
              "amount"));
    CHECK(has(r.err,
              "stage/deals-bad.csv:3: error: row 2, field 'entered_stage_at': 'yesterday' "
              "is not a time"));
  }
  SECTION("--skip-bad-rows leaves them out and counts them") {
    const auto r = validate({"--opportunity", "stage/deals-bad.csv", "--id", "O-3", "--to",
                             "报价审批", "--skip-bad-rows"});
    REQUIRE(r.exit_code == 0);
    CHECK(verdict_of(r)["opportunity"] == "O-3");
    CHECK(has(r.err, "(row skipped)"));
    CHECK(has(r.err, "2 bad opportunity rows skipped"));
  }
  SECTION("a missing column is named") {
    const auto r =
        validate({"--opportunity", "stage/deals-missing-column.csv", "--to", "需求分析"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "did you mean 'stage'?"));
    CHECK(has(r.err,
              "error: missing required column 'stage' (or one of its other names: "
              "销售阶段, 阶段)"));
  }
  SECTION("invalid UTF-8 by byte offset") {
    const auto r =
        validate({"--opportunity", "stage/deals-bad-utf8.csv", "--id", "O-1", "--to", "需求分析"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err,
              "stage/deals-bad-utf8.csv:3: error: row 2: invalid UTF-8 at byte offset 53 "
              "(byte 0xE6)"));
  }
}

TEST_CASE("cli stage: a rules file without a pipeline is refused, exit 1", "[cli][stage]") {
  const auto v = run({"stage", "--rules", "rules.json", "validate", "--opportunity",
                      "stage/deal.jsonl", "--to", "需求分析"});
  CHECK(v.exit_code == 1);
  CHECK(has(v.err, "rules.json: error: the rules file has no \"pipeline\" section"));
  const auto g = run({"stage", "--rules", "rules.json", "graph"});
  CHECK(g.exit_code == 1);
  CHECK(g.out.empty());
  CHECK(has(g.err, "no \"pipeline\" section"));
}

TEST_CASE("cli stage: usage errors exit 2", "[cli][stage]") {
  CHECK(validate({"--opportunity", "stage/deal.jsonl"}).exit_code == 2);  // no --to
  CHECK(run({"stage", "validate", "--opportunity", "stage/deal.jsonl", "--to", "需求分析"})
            .exit_code == 2);                                           // no --rules
  CHECK(run({"stage", "--rules", "stage/rules.json"}).exit_code == 2);  // no validate / graph
  const auto f = run({"stage", "--rules", "stage/rules.json", "graph", "--format", "table"});
  CHECK(f.exit_code == 2);
  CHECK(has(f.err,
            "graph always writes Graphviz DOT; --format table applies to 'stage "
            "validate' only"));
}

TEST_CASE("cli stage validate: a bad --at is refused", "[cli][stage]") {
  const auto r = run({"stage", "--rules", "stage/rules.json", "validate", "--opportunity",
                      "stage/deal.jsonl", "--to", "需求分析", "--at", "yesterday"});
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "--at 'yesterday': invalid time 'yesterday'"));
}

TEST_CASE("cli stage graph: the pipeline's allowed moves as DOT", "[cli][stage]") {
  const auto r = run({"stage", "--rules", "stage/rules.json", "graph"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.starts_with("digraph pipeline {\n  rankdir=LR;\n"));
  CHECK(has(r.out, "  \"初步接触\" [label=\"初步接触\\nlimit 7.0d\", fillcolor=\"#f2f2f2\"];\n"));
  CHECK(has(r.out, "  \"赢单\" [label=\"赢单\", fillcolor=\"#c8e6c9\", shape=doubleoctagon];\n"));
  CHECK(has(r.out, "  \"初步接触\" -> \"需求分析\";\n"));
  CHECK(has(r.out, "  \"报价审批\" -> \"赢单\";\n"));
  CHECK(has(r.out, "  \"需求分析\" -> \"报价审批\" [style=dashed];\n"));
  CHECK(has(r.out, "  \"报价审批\" -> \"方案演示\" [style=dotted];\n"));
  CHECK(r.out.ends_with("}\n"));
  CHECK(has(r.err, "stage graph: 6 stages (4 open), 1 shortcut, 1 backward move, "));
}

TEST_CASE("cli stage graph: a decision log's figures drawn on the pipeline", "[cli][stage]") {
  const auto r =
      run({"stage", "graph", "--rules", "stage/rules.json", "--log", "stage/decisions.jsonl"});
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.out,
            "\"需求分析\" [label=\"需求分析\\n2 entered\\nstay median 4.0d, p90 12.0d\\n1 "
            "refused\", fillcolor=\"#c8e6c9\"];"));
  CHECK(has(r.out,
            "\"方案演示\" [label=\"方案演示\\n2 entered\\nstay median 11.0d, p90 11.0d\", "
            "fillcolor=\"#ef9a9a\"];"));
  CHECK(has(r.out, "  \"初步接触\" -> \"需求分析\" [label=\"2\"];\n"));
  CHECK(has(r.out, "  \"需求分析\" -> \"方案演示\" [label=\"2\"];\n"));
  CHECK(has(r.out, "  \"方案演示\" -> \"输单\" [label=\"1\"];\n"));
  CHECK_FALSE(has(r.out, "style=dashed"));
  CHECK(has(r.err,
            "stage graph: 6 stages (4 open); 7 decisions in the log, 6 about stages: 5 "
            "moves along 3 paths, 1 refused, "));
}

TEST_CASE("cli stage graph: bad log lines by line number; --skip-bad-rows; --output",
          "[cli][stage]") {
  const auto r =
      run({"stage", "--rules", "stage/rules.json", "graph", "--log", "stage/decisions-bad.jsonl"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(has(r.err,
            "stage/decisions-bad.jsonl:2: error: decision.kind missing or unknown (kind "
            "'stage_jump'; the kinds are assignment,"));
  CHECK(has(r.err, "stage/decisions-bad.jsonl:3: error: 'decision.at': invalid time 'soon'"));
  CHECK(has(r.err, "stage/decisions-bad.jsonl:4: error: decision: malformed JSON:"));
  CHECK(has(r.err, "stage/decisions-bad.jsonl: error: 3 bad lines"));

  const std::string path = tmp_dir() + "/cli-stage-graph.dot";
  std::remove(path.c_str());
  const auto s =
      run({"stage", "--rules", "stage/rules.json", "graph", "--log", "stage/decisions-bad.jsonl",
           "--skip-bad-rows", "--format", "dot", "--output", path});
  REQUIRE(s.exit_code == 0);
  CHECK(s.out.empty());
  const std::string dot = slurp(path);
  CHECK(has(dot, "  \"初步接触\" -> \"需求分析\" [label=\"1\"];\n"));
  CHECK(has(dot, "  \"需求分析\" -> \"合同审批\" [label=\"1\"];\n"));
  CHECK(has(s.err, "warning: 1 stage decision has a detail without 'from' and 'to'; left out"));
  CHECK(has(s.err, "warning: moves involve stages the pipeline does not have: 合同审批"));
  CHECK(has(s.err,
            "3 decisions in the log (3 bad lines skipped), 3 about stages: 2 moves along "
            "2 paths, 0 refused, 1 unreadable"));
  std::remove(path.c_str());

  const auto missing =
      run({"stage", "--rules", "stage/rules.json", "graph", "--log", "nope.jsonl"});
  CHECK(missing.exit_code == 1);
  CHECK(has(missing.err, "nope.jsonl: error: cannot open 'nope.jsonl'"));
}

TEST_CASE("cli stage validate: invalid UTF-8 in a .json file after a BOM is placed exactly",
          "[cli][stage][errors]") {
  const std::string path = tmp_dir() + "/cli-stage-bom.json";
  std::ofstream(path, std::ios::binary)
      << "\xEF\xBB\xBF{\"id\":\"O-1\",\"stage\":\"\xFF初步接触\"}";
  const auto r = validate({"--opportunity", path, "--to", "需求分析"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("invalid UTF-8 at byte offset 24 (byte 0xFF)"));
  std::remove(path.c_str());
}
