// Runs the real `crmrules sla` (add, between, replay) on small files and checks its exit status
// and output.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "run_cli.hpp"

namespace {

using namespace crmrules_cli_test;
using Catch::Contains;
using strings = std::vector<std::string>;

const std::string sample =
    std::string(CRMRULES_CLI_DATA) + "/../../../examples/rules/sample-rules.json";
const std::string spring =
    std::string(CRMRULES_CLI_DATA) + "/../../../examples/rules/sla-rules.json";

/// The fired-step rows as "at policy subject step recipients late".
strings steps_of(const std::vector<nlohmann::json>& rows) {
  strings out;
  for (const auto& r : rows) {
    if (!r.contains("step")) continue;
    std::string to;
    for (const auto& p : r["recipients"])
      to += (to.empty() ? "" : ",") + p.get<std::string>();
    out.push_back(r["at"].get<std::string>() + " " + r["policy"].get<std::string>() + " " +
                  r["subject"].get<std::string>() + " " + r["step"].get<std::string>() + " " + to +
                  (r["late"].get<bool>() ? " late" : ""));
  }
  return out;
}

/// CSV output without its CRLF line ends' carriage returns.
std::string no_cr(std::string s) {
  std::erase(s, '\r');
  return s;
}

nlohmann::json summary_of(const std::vector<nlohmann::json>& rows, const std::string& policy) {
  for (const auto& r : rows) {
    if (r.contains("started") && r["policy"] == policy) return r;
  }
  return {};
}

}  // namespace

TEST_CASE("cli sla: --help describes the subcommands and the events file", "[cli][sla]") {
  const auto h = run({"sla", "--help"});
  CHECK(h.exit_code == 0);
  CHECK_THAT(h.out, Contains("add"));
  CHECK_THAT(h.out, Contains("between"));
  CHECK_THAT(h.out, Contains("replay"));
  const auto r = run({"sla", "replay", "--help"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("--events"));
  CHECK_THAT(r.out, Contains("--skip-bad-rows"));
  CHECK_THAT(r.out, Contains("CSV columns: at, command"));
}

TEST_CASE("cli sla add: business time skips the night and the weekend", "[cli][sla]") {
  // Friday 17:00 + 2 business hours on 09:00-12:00, 13:30-18:00: Monday 10:00.
  const auto r = run({"sla", "--rules", sample, "add", "--calendar", "华东", "--from",
                      "2026-11-20T17:00:00+08:00", "--duration", "2h"});
  REQUIRE(r.exit_code == 0);
  const auto rows = lines_of(r.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["calendar"] == "华东");
  CHECK(rows[0]["from"] == "2026-11-20T17:00:00+08:00");
  CHECK(rows[0]["duration"] == "2h");
  CHECK(rows[0]["due"] == "2026-11-23T10:00:00+08:00");
  CHECK_THAT(r.err, Contains("sla add: 2h of business time on 华东"));
}

TEST_CASE("cli sla add: --rules after the subcommand, a local time, holidays", "[cli][sla]") {
  // The Friday before 春节 (02-06..02-14 off): one hour that day, one on Monday the 15th. A time
  // without an offset is local time on the calendar; 1h30m and 90m are the same.
  const auto r = run({"sla", "add", "--rules", spring, "--calendar", "华东", "--from",
                      "2027-02-05T17:00", "--duration", "1h30m"});
  REQUIRE(r.exit_code == 0);
  const auto rows = lines_of(r.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["from"] == "2027-02-05T17:00:00+08:00");
  CHECK(rows[0]["due"] == "2027-02-15T09:30:00+08:00");
  const auto m = run({"sla", "add", "--rules", spring, "--calendar", "华东", "--from",
                      "2027-02-05T17:00:00Z", "--duration", "90m"});
  REQUIRE(m.exit_code == 0);
  // 17:00Z is 01:00 Saturday in Beijing: the holiday, then Monday 09:00 + 90m.
  CHECK(lines_of(m.out)[0]["due"] == "2027-02-15T10:30:00+08:00");
}

TEST_CASE("cli sla between: business time as a duration and in seconds, CSV and table",
          "[cli][sla]") {
  const auto r = run({"sla", "--rules", sample, "between", "--calendar", "华东", "--from",
                      "2026-11-20T09:00:00+08:00", "--to", "2026-11-23T12:00:00+08:00"});
  REQUIRE(r.exit_code == 0);
  const auto rows = lines_of(r.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["business_time"] == "10h30m");  // Friday 7h30m, Monday 3h
  CHECK(rows[0]["seconds"] == 37800);
  CHECK(rows[0]["to"] == "2026-11-23T12:00:00+08:00");

  const auto csv =
      run({"sla", "--rules", sample, "--format", "csv", "between", "--calendar", "华东", "--from",
           "2026-10-01T09:00:00+08:00", "--to", "2026-10-10T18:00:00+08:00"});
  REQUIRE(csv.exit_code == 0);
  // 国庆 10-01..10-07 off, Thursday 10-08, Friday 10-09 and the make-up Saturday 10-10 worked.
  CHECK(no_cr(csv.out) ==
        "calendar,from,to,business_time,seconds\n"
        "华东,2026-10-01T09:00:00+08:00,2026-10-10T18:00:00+08:00,22h30m,81000\n");

  const auto table =
      run({"sla", "--rules", sample, "between", "--format", "table", "--calendar", "华东", "--from",
           "2026-11-20T09:00:00+08:00", "--to", "2026-11-20T10:00:00+08:00"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Contains("business_time"));
  CHECK_THAT(table.out, Contains("1h "));
}

TEST_CASE("cli sla add/between: bad calendar, times, durations and a missing section",
          "[cli][sla]") {
  const auto cal = run({"sla", "--rules", sample, "add", "--calendar", "华冬", "--from",
                        "2026-11-20T09:00:00+08:00", "--duration", "2h"});
  CHECK(cal.exit_code == 1);
  CHECK_THAT(cal.err, Contains("no calendar named '华冬'; did you mean '华东'?"));

  const auto none = run({"sla", "--rules", "sla/no-sla-rules.json", "add", "--calendar", "华东",
                         "--from", "2026-11-20", "--duration", "2h"});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Contains("the rules file has no \"calendars\" section"));

  const auto dur = run({"sla", "--rules", sample, "add", "--calendar", "华东", "--from",
                        "2026-11-20T09:00:00+08:00", "--duration", "2x"});
  CHECK(dur.exit_code == 1);
  CHECK_THAT(dur.err, Contains("--duration '2x' is not a duration"));

  const auto time = run({"sla", "--rules", sample, "between", "--calendar", "华东", "--from",
                         "2026-11-20T25:00:00+08:00", "--to", "2026-11-21"});
  CHECK(time.exit_code == 1);
  CHECK_THAT(time.err, Contains("--from '2026-11-20T25:00:00+08:00' is not a time"));

  const auto back = run({"sla", "--rules", sample, "between", "--calendar", "华东", "--from",
                         "2026-11-21", "--to", "2026-11-20"});
  CHECK(back.exit_code == 1);
  CHECK_THAT(back.err, Contains("is before --from"));
}

TEST_CASE("cli sla: usage errors exit 2", "[cli][sla]") {
  CHECK(run({"sla", "--rules", sample}).exit_code == 2);  // no subcommand
  CHECK(run({"sla", "add", "--calendar", "华东", "--from", "2026-11-20", "--duration", "2h"})
            .exit_code == 2);  // no --rules
  CHECK(run({"sla", "--rules", sample, "add", "--calendar", "华东", "--from", "2026-11-20"})
            .exit_code == 2);                                       // no --duration
  CHECK(run({"sla", "--rules", sample, "replay"}).exit_code == 2);  // no --events
}

TEST_CASE("cli sla replay: every step fires at its time; stops, pauses, summaries", "[cli][sla]") {
  const auto r = run({"sla", "--rules", sample, "replay", "--events", "sla/events.jsonl"});
  REQUIRE(r.exit_code == 0);
  const auto rows = lines_of(r.out);
  // L1 is touched in time; L2 at 14:00 after its reclaim; L3 paused with 1h30m left over the
  // weekend and resumed Monday 10:00 (deadline 11:30); the promise's pre-warning goes to both
  // delivery owners; golden_72h counts wall-clock time.
  CHECK(steps_of(rows) == strings{
                              "2026-11-20T10:30:00+08:00 first_touch lead:L2 warn R2",
                              "2026-11-20T11:00:00+08:00 first_touch lead:L2 breach R2,M1",
                              "2026-11-20T12:00:00+08:00 promise promise:P1 pre_warning R1,D1,D2",
                              "2026-11-20T12:00:00+08:00 first_touch lead:L2 reclaim M1",
                              "2026-11-21T12:00:00+08:00 promise promise:P1 missed R1,M1",
                              "2026-11-23T09:00:00+08:00 golden_72h lead:L4 escalate "
                              "marketing_lead_board,sales_director",
                              "2026-11-23T11:00:00+08:00 first_touch lead:L3 warn R3",
                              "2026-11-23T11:30:00+08:00 first_touch lead:L3 breach R3,M2",
                              "2026-11-23T14:00:00+08:00 first_touch lead:L3 reclaim M2",
                          });
  const auto ft = summary_of(rows, "first_touch");
  CHECK(ft["started"] == 3);
  CHECK(ft["stopped_in_time"] == 1);
  CHECK(ft["stopped_late"] == 1);
  CHECK(ft["warnings"] == 2);
  CHECK(ft["breaches"] == 2);
  CHECK(ft["escalations"] == 2);
  CHECK(ft["running"] == 0);
  CHECK(summary_of(rows, "golden_72h")["breaches"] == 1);
  CHECK(summary_of(rows, "promise")["warnings"] == 1);
  CHECK(rows[1]["type"] == "breach");
  CHECK(rows[1]["action"] == "notify");
  CHECK(rows[1]["level"] == "escalation");
  CHECK(rows[1]["deadline"] == "2026-11-20T11:00:00+08:00");
  CHECK_THAT(r.err, Contains("sla replay: 9 commands, 5 started, 1 stopped in time, 1 stopped "
                             "late; 9 steps fired (3 warnings, 4 breaches, 2 escalations); 0 "
                             "still running at 2026-11-23T14:00:00+08:00, "));
}

TEST_CASE("cli sla replay: --until stops the clock; Spring Festival on sla-rules.json",
          "[cli][sla]") {
  const auto r = run({"sla", "replay", "--rules", spring, "--events", "sla/spring.jsonl", "--until",
                      "2027-02-15T15:00:00+08:00"});
  REQUIRE(r.exit_code == 0);
  const auto rows = lines_of(r.out);
  CHECK(steps_of(rows) == strings{
                              "2027-02-15T09:30:00+08:00 first_touch lead:L-1001 warn R-张伟",
                              "2027-02-15T10:00:00+08:00 first_touch lead:L-1001 breach "
                              "R-张伟,M-华东",
                              "2027-02-15T11:00:00+08:00 first_touch lead:L-1001 reclaim M-华东",
                              "2027-02-15T14:00:00+08:00 first_touch lead:L-1003 warn R-王芳",
                              "2027-02-15T14:30:00+08:00 first_touch lead:L-1003 breach "
                              "R-王芳,M-华东",
                          });
  CHECK(summary_of(rows, "first_touch")["running"] == 2);
  CHECK_THAT(r.err, Contains("2 still running at 2027-02-15T15:00:00+08:00"));
}

TEST_CASE("cli sla replay: CSV events, CSV output and --output FILE", "[cli][sla]") {
  const std::string path = tmp_dir() + "/cli-sla-out.csv";
  const auto r = run({"sla", "--rules", sample, "replay", "--events", "sla/events.csv", "--format",
                      "csv", "--output", path});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(no_cr(slurp(path)) ==
        "at,policy,subject,step,action,type,level,recipients,deadline,late\n"
        "2026-11-20T10:30:00+08:00,first_touch,lead:L1,warn,remind,warning,warning,R1,"
        "2026-11-20T11:00:00+08:00,no\n"
        "2026-11-20T12:00:00+08:00,promise,promise:P1,pre_warning,remind,warning,warning,"
        "R1;D1;D2,2026-11-21T12:00:00+08:00,no\n"
        "2026-11-21T12:00:00+08:00,promise,promise:P1,missed,escalate,breach,escalation,R1;M1,"
        "2026-11-21T12:00:00+08:00,no\n"
        "\n"
        "policy,started,stopped_in_time,stopped_late,warnings,breaches,escalations,running,"
        "paused\n"
        "first_touch,1,1,0,1,0,0,0,0\n"
        "promise,1,0,0,1,1,0,0,0\n");
  std::remove(path.c_str());

  const auto t =
      run({"sla", "--rules", sample, "--format", "table", "replay", "--events", "sla/events.csv"});
  REQUIRE(t.exit_code == 0);
  CHECK_THAT(t.out, Contains("pre_warning"));
  CHECK_THAT(t.out, Contains("stopped_in_time"));
}

TEST_CASE("cli sla replay: every bad line is reported with its line number", "[cli][sla]") {
  const auto r = run({"sla", "--rules", sample, "replay", "--events", "sla/bad-events.jsonl"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  const std::string f = "sla/bad-events.jsonl:";
  CHECK_THAT(r.err, Contains(f + "1: error: unknown SLA policy 'first_tuch'; did you mean "
                                 "'first_touch'?"));
  CHECK_THAT(r.err, Contains(f + "2: error: at '2026-11-20T25:00:00+08:00' is not a time"));
  CHECK_THAT(r.err, Contains(f + "3: error: unknown subject kind 'leed'; did you mean 'lead'?"));
  CHECK_THAT(r.err, Contains(f + "5: error: time goes backwards: 2026-11-20T09:30:00+08:00 is "
                                 "before 2026-11-20T10:00:00+08:00 on line 4"));
  CHECK_THAT(r.err, Contains(f + "6: error: policy 'first_touch' needs the party manager"));
  CHECK_THAT(r.err, Contains(f + "7: error: stop first_touch lead:L44: the deadline was never "
                                 "started; did you mean 'lead:L4'?"));
  CHECK_THAT(r.err, Contains(f + "8: error: unknown key 'note'"));
  CHECK_THAT(r.err, Contains(f + "9: error: the command: malformed JSON"));
  CHECK_THAT(r.err, Contains(f + "10: error: at '2026-11-20T11:00:00' has no UTC offset"));
  CHECK_THAT(r.err,
             Contains(f + "10: error: policy 'first_touch' is about a lead, not a customer"));
  CHECK_THAT(r.err, Contains("9 bad lines; fix them, or pass --skip-bad-rows"));
}

TEST_CASE("cli sla replay: --skip-bad-rows replays the good lines", "[cli][sla]") {
  const auto r = run(
      {"sla", "--rules", sample, "replay", "--events", "sla/bad-events.jsonl", "--skip-bad-rows"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("sla/bad-events.jsonl:1: warning: unknown SLA policy"));
  CHECK_THAT(r.err, Contains("1 command (9 bad lines skipped), 1 started"));
  CHECK(steps_of(lines_of(r.out)) ==
        strings{"2026-11-20T11:30:00+08:00 first_touch lead:L4 warn R4",
                "2026-11-20T12:00:00+08:00 first_touch lead:L4 breach R4,M1",
                "2026-11-20T14:30:00+08:00 first_touch lead:L4 reclaim M1"});
}

TEST_CASE("cli sla replay: bad CSV, invalid UTF-8 and a rules file without \"sla\"", "[cli][sla]") {
  const auto col = run({"sla", "--rules", sample, "replay", "--events", "sla/missing-column.csv"});
  CHECK(col.exit_code == 1);
  CHECK_THAT(col.err, Contains("sla/missing-column.csv:1: error: missing required column "
                               "'subject'"));

  const auto cmd = run({"sla", "--rules", sample, "replay", "--events", "sla/bad-command.csv"});
  CHECK(cmd.exit_code == 1);
  CHECK_THAT(cmd.err, Contains("sla/bad-command.csv:3: error: unknown command 'halt'"));

  const auto utf = run({"sla", "--rules", sample, "replay", "--events", "sla/bad-utf8.jsonl"});
  CHECK(utf.exit_code == 1);
  CHECK_THAT(utf.err, Contains("sla/bad-utf8.jsonl:1: error: invalid UTF-8 at byte offset 73 "
                               "(byte 0xFF)"));

  const auto none =
      run({"sla", "--rules", "sla/no-sla-rules.json", "replay", "--events", "sla/events.jsonl"});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Contains("the rules file has no \"sla\" section"));

  const auto until = run({"sla", "--rules", sample, "replay", "--events", "sla/events.jsonl",
                          "--until", "2026-11-23"});
  CHECK(until.exit_code == 1);
  CHECK_THAT(until.err, Contains("--until '2026-11-23' is not a time with a UTC offset"));
}

TEST_CASE("cli sla replay: JSON Lines from standard input", "[cli][sla]") {
  const auto r =
      run({"sla", "--rules", sample, "replay", "--events", "-", "--input-format", "jsonl"},
          "{\"at\":\"2026-11-20T09:00:00Z\",\"start\":\"golden_72h\",\"subject\":"
          "\"lead:L9\"}\n");
  REQUIRE(r.exit_code == 0);
  // No calendar: times in the offset of the command that started the deadline.
  CHECK(steps_of(lines_of(r.out)) == strings{"2026-11-23T09:00:00Z golden_72h lead:L9 escalate "
                                             "marketing_lead_board,sales_director"});
}

TEST_CASE("cli sla: a time outside the years a calendar counts is exit 1, not a crash",
          "[cli][sla][errors]") {
  const auto r = run({"sla", "--rules", sample, "add", "--calendar", "华东", "--from",
                      "1000-01-01T00:00:00Z", "--duration", "1h"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("outside the years a calendar counts"));
  const auto late = run({"sla", "--rules", sample, "add", "--calendar", "华东", "--from",
                         "9999-12-31T10:00:00+08:00", "--duration", "8h"});
  CHECK(late.exit_code == 1);
}

TEST_CASE("cli sla replay: a key given twice on a line is refused", "[cli][sla][errors]") {
  const auto r =
      run({"sla", "--rules", sample, "replay", "--events", "-", "--input-format", "jsonl"},
          "{\"at\":\"2026-11-20T09:00:00Z\",\"start\":\"golden_72h\",\"start\":\"first_touch\","
          "\"subject\":\"lead:L9\"}\n");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("<stdin>:1: error: the command: duplicate key 'start'"));
}

TEST_CASE("cli sla replay: a column given twice or without a name is refused",
          "[cli][sla][errors]") {
  const auto twice =
      run({"sla", "--rules", sample, "replay", "--events", "-", "--input-format", "csv"},
          "at,command,policy,subject,at\n"
          "2026-11-20T09:00:00Z,start,golden_72h,lead:L9,2026-11-25T09:00:00Z\n");
  CHECK(twice.exit_code == 1);
  CHECK_THAT(twice.err, Contains("column 'at' appears twice (columns 1 and 5)"));
  const auto unnamed =
      run({"sla", "--rules", sample, "replay", "--events", "-", "--input-format", "csv"},
          "at,command,,policy,subject\n");
  CHECK(unnamed.exit_code == 1);
  CHECK_THAT(unnamed.err, Contains("column 3 has no name"));
}

TEST_CASE("cli sla replay: a resume after the ladder completed is a warning, like a pause",
          "[cli][sla]") {
  const auto r = run(
      {"sla", "--rules", sample, "replay", "--events", "-", "--input-format", "jsonl"},
      "{\"at\":\"2026-11-20T09:00:00+08:00\",\"start\":\"first_touch\",\"subject\":\"lead:L1\","
      "\"parties\":{\"owner\":\"R1\",\"manager\":\"M1\"}}\n"
      "{\"at\":\"2026-11-27T09:00:00+08:00\",\"pause\":\"first_touch\",\"subject\":\"lead:L1\"}\n"
      "{\"at\":\"2026-11-28T09:00:00+08:00\",\"resume\":\"first_touch\",\"subject\":\"lead:L1\"}\n"
      "{\"at\":\"2026-11-28T10:00:00+08:00\",\"stop\":\"first_touch\",\"subject\":\"lead:L1\"}\n");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("<stdin>:3: warning: resume first_touch lead:L1: the deadline is no "
                             "longer running"));
}
