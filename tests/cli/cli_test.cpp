// Runs the real `crmrules` program on the small files in tests/cli/data and checks its exit
// status, standard output and standard error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_cli.hpp"

namespace {

using namespace crmrules_cli_test;

/// The pair objects (those with "verdict"), as "a-b verdict rule".
std::vector<std::string> pairs_of(const std::vector<nlohmann::json>& lines) {
  std::vector<std::string> out;
  for (const auto& j : lines) {
    if (!j.contains("verdict")) continue;
    out.push_back(j["a"].get<std::string>() + "-" + j["b"].get<std::string>() + " " +
                  j["verdict"].get<std::string>() + " " + j["rule"].get<std::string>());
  }
  return out;
}

std::vector<nlohmann::json> with_key(const std::vector<nlohmann::json>& lines,
                                     const std::string& key) {
  std::vector<nlohmann::json> out;
  for (const auto& j : lines) {
    if (j.contains(key)) out.push_back(j);
  }
  return out;
}

using strings = std::vector<std::string>;
using Catch::Contains;

}  // namespace

TEST_CASE("cli: --version, --help and usage errors", "[cli]") {
  const auto version = run({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Contains("crmrules 0."));

  const auto help = run({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Contains("check"));
  CHECK_THAT(help.out, Contains("dedup"));
  CHECK_THAT(help.out, Contains("Exit status"));

  for (const char* sub : {"check", "dedup"}) {
    const auto h = run({sub, "--help"});
    INFO(sub);
    CHECK(h.exit_code == 0);
    CHECK_THAT(h.out, Contains("Usage"));
  }
  CHECK_THAT(run({"dedup", "--help"}).out, Contains("--skip-bad-rows"));

  const auto none = run({});
  CHECK(none.exit_code == 2);
  const auto unknown =
      run({"dedup", "--rules", "rules.json", "--input", "customers.csv", "--frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Contains("--frobnicate"));
  const auto missing = run({"dedup", "--input", "customers.csv"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Contains("--rules"));
  const auto bad_delim =
      run({"dedup", "--rules", "rules.json", "--input", "customers.csv", "--delimiter", "ab"});
  CHECK(bad_delim.exit_code == 2);
  CHECK(run({"check"}).exit_code == 2);
  CHECK(run({"frobnicate"}).exit_code == 2);
}

TEST_CASE("cli check: a valid rules file", "[cli][check]") {
  const auto r = run({"check", "rules.json"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "rules.json: ok (CLI test rules): schema (customer), dedup; 0 warnings\n");
  CHECK(r.err.empty());
}

TEST_CASE("cli check: every mistake with file:line:col and a suggestion", "[cli][check]") {
  const auto r = run({"check", "rules-mistakes.json"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("rules-mistakes.json:4:29: error: unknown strong key 'phnoe'"));
  CHECK_THAT(r.err, Contains("rules-mistakes.json:6:46: error: 'jaro_winkle' is not one of"));
  CHECK_THAT(r.err, Contains("did you mean 'jaro_winkler'?"));
  CHECK_THAT(r.err, Contains("rules-mistakes.json:6:74: error: a similarity threshold is in"));
  // The excerpt and its caret under the mistake.
  CHECK_THAT(r.err, Contains("    4 |     \"strong_keys\": [\"uscc\", \"phnoe\"],\n"
                             "      |                             ^\n"));
  CHECK_THAT(r.err, Contains("rules-mistakes.json:9:3: error: unknown key 'tierz'"));
  CHECK_THAT(r.err, Contains("did you mean 'tiers'?"));
  CHECK_THAT(r.err, Contains("4 errors, 0 warnings"));
}

TEST_CASE("cli check: malformed JSON and a missing file", "[cli][check]") {
  const auto r = run({"check", "rules-malformed.json"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("rules-malformed.json:3:9: error: malformed JSON"));

  const auto missing = run({"check", "no-such-rules.json"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("no-such-rules.json"));
}

TEST_CASE("cli dedup: the seed duplicates from CSV", "[cli][dedup]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers.csv"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  CHECK(pairs_of(lines) == strings{"C01-C02 suspected similar_name",
                                   "C01-C03 suspected similar_name",
                                   "C02-C03 suspected similar_name", "C04-C05 same same_phone"});
  const auto clusters = with_key(lines, "cluster");
  REQUIRE(clusters.size() == 2);
  CHECK(clusters[0]["cluster"] == nlohmann::json({"C01", "C02", "C03"}));
  CHECK(clusters[0]["review"] == true);
  CHECK(clusters[1]["cluster"] == nlohmann::json({"C04", "C05"}));
  CHECK(clusters[1]["review"] == false);
  // Pairs come first, then the clusters.
  CHECK(lines.back().contains("cluster"));
  // Every pair explains itself field by field.
  const auto& first = lines.front();
  CHECK(first["score"].get<double>() == Approx(1.0));
  bool has_core = false;
  for (const auto& f : first["fields"]) {
    CHECK(f.contains("outcome"));
    CHECK(f.contains("score"));
    if (f["field"] == "core") {
      has_core = true;
      CHECK(f["outcome"] == "equal");
      CHECK(f["a"] == "瑞金");
    }
  }
  CHECK(has_core);
  CHECK_THAT(r.err, Contains("dedup: 7 customers, "));
  CHECK_THAT(r.err, Contains("4 pairs (1 same, 3 suspected), 2 clusters (1 to review)"));
  // No progress display when stderr is not a terminal.
  CHECK(r.err.find('\r') == std::string::npos);
}

TEST_CASE("cli dedup: --report same, --output FILE", "[cli][dedup]") {
  const std::string path = tmp_dir() + "/cli-dedup-output.jsonl";
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers.csv", "--report",
                      "same", "--output", path, "--threads", "1"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  const auto lines = lines_of(slurp(path));
  CHECK(pairs_of(lines) == strings{"C04-C05 same same_phone"});
  CHECK(with_key(lines, "cluster").size() == 1);

  const auto unwritable = run({"dedup", "--rules", "rules.json", "--input", "customers.csv",
                               "--output", "/nonexistent-dir/out.jsonl"});
  CHECK(unwritable.exit_code == 1);
  CHECK_THAT(unwritable.err, Contains("cannot write '/nonexistent-dir/out.jsonl'"));
}

TEST_CASE("cli dedup: JSON Lines input, by extension, by --input-format and from stdin",
          "[cli][dedup]") {
  const strings expected{"C01-C02 suspected similar_name", "C01-C03 suspected similar_name",
                         "C02-C03 suspected similar_name", "C04-C05 same same_phone"};
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers.jsonl"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(pairs_of(lines_of(r.out)) == expected);

  const auto piped =
      run({"dedup", "--rules", "rules.json", "--input", "-", "--input-format", "jsonl"},
          slurp(std::string(CRMRULES_CLI_DATA) + "/customers.jsonl"));
  REQUIRE(piped.exit_code == 0);
  CHECK(pairs_of(lines_of(piped.out)) == expected);

  const auto unknown = run({"dedup", "--rules", "rules.json", "--input", "customers.txt"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Contains("pass --input-format csv or --input-format jsonl"));
  const auto as_csv =
      run({"dedup", "--rules", "rules.json", "--input", "customers.txt", "--input-format", "csv"});
  CHECK(as_csv.exit_code == 0);
}

TEST_CASE("cli dedup: Chinese column names, a .tsv file and --delimiter", "[cli][dedup]") {
  const auto zh = run({"dedup", "--rules", "rules.json", "--input", "customers-zh.tsv"});
  INFO(zh.err);
  REQUIRE(zh.exit_code == 0);
  CHECK(pairs_of(lines_of(zh.out)) == strings{"Z1-Z2 suspected similar_name",
                                              "Z1-Z3 same same_phone",
                                              "Z2-Z3 suspected similar_name"});

  const auto pipe =
      run({"dedup", "--rules", "rules.json", "--input", "customers-pipe.csv", "--delimiter", "|"});
  INFO(pipe.err);
  REQUIRE(pipe.exit_code == 0);
  CHECK(pairs_of(lines_of(pipe.out)) == strings{"P1-P2 same same_phone"});
}

TEST_CASE("cli dedup: a broken row is reported with its line; --skip-bad-rows goes on",
          "[cli][dedup][errors]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers-broken.csv"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("customers-broken.csv:4: error: row 3: malformed row: unexpected 'x' "
                             "after the closing quote of field 2"));
  CHECK_THAT(r.err, Contains("customers-broken.csv:8: error: row 6: malformed row: it has 2 "
                             "fields, the header has 3"));
  CHECK_THAT(r.err, Contains("2 bad rows; fix them, or pass --skip-bad-rows"));

  const auto skip =
      run({"dedup", "--rules", "rules.json", "--input", "customers-broken.csv", "--skip-bad-rows"});
  INFO(skip.err);
  CHECK(skip.exit_code == 0);
  CHECK_THAT(skip.err, Contains("customers-broken.csv:4: warning: row 3: malformed row"));
  CHECK_THAT(skip.err, Contains("(row skipped)"));
  CHECK_THAT(skip.err, Contains("customers-broken.csv:8: warning: row 6"));
  CHECK_THAT(skip.err, Contains("dedup: 4 customers (2 bad rows skipped)"));
  // The row after the broken one, with a line break in a quoted field, was read whole.
  CHECK(pairs_of(lines_of(skip.out)) ==
        strings{"C01-C02 suspected similar_name", "C01-C04 same same_phone",
                "C02-C04 suspected similar_name", "C04-C05 same same_phone"});
}

TEST_CASE("cli dedup: invalid UTF-8 is reported with its byte offset", "[cli][dedup][errors]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers-bad-utf8.csv"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("customers-bad-utf8.csv:3: error: row 2: invalid UTF-8 at byte "
                             "offset 35 (byte 0xFF)"));
  const auto skip = run(
      {"dedup", "--rules", "rules.json", "--input", "customers-bad-utf8.csv", "--skip-bad-rows"});
  CHECK(skip.exit_code == 0);
  CHECK_THAT(skip.err, Contains("2 customers (1 bad row skipped)"));
}

TEST_CASE("cli dedup: a missing required column is named", "[cli][dedup][errors]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers-missing-column.csv"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("customers-missing-column.csv:1: warning: column 'nmae' is not a "
                             "customer field; it is ignored; did you mean 'name'?"));
  CHECK_THAT(r.err, Contains("customers-missing-column.csv:1: error: missing required column "
                             "'name'"));
  // --skip-bad-rows skips rows, not a header that cannot work.
  CHECK(run({"dedup", "--rules", "rules.json", "--input", "customers-missing-column.csv",
             "--skip-bad-rows"})
            .exit_code == 1);
}

TEST_CASE("cli dedup: a wrong type names the field and the row", "[cli][dedup][errors]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers-bad-type.csv"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("customers-bad-type.csv:3: error: row 2, field 'updated_at': "
                             "'yesterday' is not a time"));
  CHECK_THAT(r.err, Contains("customers-bad-type.csv:4: error: row 3, field '合同额': 'a lot' is "
                             "not an amount"));
}

TEST_CASE("cli dedup: bad JSON Lines are reported by line", "[cli][dedup][errors]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers-bad.jsonl"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("customers-bad.jsonl:2: error: customer: unknown field 'nmae'"));
  CHECK_THAT(r.err, Contains("customers-bad.jsonl:3: error:"));
  CHECK_THAT(r.err, Contains("'phones'"));
  CHECK_THAT(r.err, Contains("customers-bad.jsonl:4: error:"));
  CHECK_THAT(r.err, Contains("customers-bad.jsonl:5: error: id 'C01' appears again (first on "
                             "line 1)"));
  CHECK_THAT(r.err, Contains("customers-bad.jsonl:6: error: required field 'name' is missing or "
                             "empty"));
  CHECK_THAT(r.err, Contains("5 bad rows"));
}

TEST_CASE("cli dedup --against: new records looked up in existing ones", "[cli][dedup]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "new-customers.csv", "--against",
                      "customers.jsonl"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  const auto pairs = pairs_of(lines);
  // N1 suspected against the hospital's three names; N2's phone is C04's and C05's; N3 matches
  // nothing; C02, in both files, is not its own duplicate.
  CHECK(std::count(pairs.begin(), pairs.end(), "C05-N2 same same_phone") == 1);
  CHECK(std::count(pairs.begin(), pairs.end(), "C04-N2 same same_phone") == 1);
  CHECK(std::count(pairs.begin(), pairs.end(), "C02-N1 suspected similar_name") == 1);
  for (const auto& p : pairs)
    CHECK(p.find("-N3") == std::string::npos);
  for (const auto& p : pairs)
    CHECK(p.find("C02-C02") == std::string::npos);
  const auto matches = with_key(lines, "matches");
  REQUIRE(matches.size() == 3);
  CHECK(matches[0]["input"] == "N1");
  CHECK(matches[0]["review"] == true);
  CHECK(matches[1]["input"] == "N2");
  CHECK(matches[1]["review"] == false);
  CHECK(matches[2]["input"] == "C02");
  CHECK_THAT(r.err, Contains("against 5 existing"));
}

TEST_CASE("cli dedup: more header and row problems, from standard input", "[cli][dedup][errors]") {
  const auto csv = [](const std::string& text, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"dedup", "--rules",        "rules.json", "--input",
                                     "-",     "--input-format", "csv"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args, text);
  };
  const auto two_names = csv("id,name,客户名称\nC1,a,b\n");
  CHECK(two_names.exit_code == 1);
  CHECK_THAT(two_names.err, Contains("<stdin>:1: error: columns 'name' and '客户名称' are both the "
                                     "customer field 'name'"));

  const auto unnamed = csv("id,,name\nC1,x,y\n");
  CHECK(unnamed.exit_code == 1);
  CHECK_THAT(unnamed.err, Contains("<stdin>:1: error: column 2 has no name"));

  const auto header_only = csv("id,name\n");
  CHECK(header_only.exit_code == 0);
  CHECK(header_only.out.empty());
  CHECK_THAT(header_only.err, Contains("dedup: 0 customers"));

  const auto empty = csv("");
  CHECK(empty.exit_code == 1);
  CHECK_THAT(empty.err, Contains("the file is empty"));

  const auto unclosed =
      csv("id,name\nC1,\"瑞金医院\nC2,上海瑞金医院有限公司\n", {"--skip-bad-rows"});
  CHECK(unclosed.exit_code == 0);
  CHECK_THAT(unclosed.err,
             Contains("<stdin>:2: warning: row 1: malformed row: the quoted field 2 opened "
                      "on line 2 is never closed"));
  CHECK_THAT(unclosed.err, Contains("dedup: 1 customer (1 bad row skipped)"));

  const auto empty_id = csv("id,name\n,瑞金医院\nC2,\n", {"--skip-bad-rows"});
  CHECK(empty_id.exit_code == 0);
  CHECK_THAT(empty_id.err, Contains("<stdin>:2: warning: row 1: required field 'id' is empty"));
  CHECK_THAT(empty_id.err, Contains("<stdin>:3: warning: row 2: required field 'name' is empty"));

  const auto crlf = csv("id,name\r\nC1,瑞金医院\r\nC2,上海瑞金医院有限公司\r\n");
  CHECK(crlf.exit_code == 0);
  CHECK(pairs_of(lines_of(crlf.out)) == strings{"C1-C2 suspected similar_name"});

  const auto directory = run({"dedup", "--rules", "rules.json", "--input", "."});
  CHECK(directory.exit_code == 1);
  const auto missing = run({"dedup", "--rules", "rules.json", "--input", "no-such-file.csv"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("cannot open 'no-such-file.csv'"));
  const auto bad_rules =
      run({"dedup", "--rules", "rules-mistakes.json", "--input", "customers.csv"});
  CHECK(bad_rules.exit_code == 1);
  CHECK_THAT(bad_rules.err, Contains("rules-mistakes.json:4:29: error:"));
}

TEST_CASE("cli dedup --format csv: one header per kind of row, fields in one cell",
          "[cli][dedup][output]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers.csv", "--report",
                      "same", "--format", "csv", "--threads", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(
      r.out ==
      "a,b,verdict,score,rule,fields\r\n"
      "C04,C05,same,1.0,same_phone,phone=equal;core=equal;trade=equal;region=equal;branch=equal\r\n"
      "\r\n"
      "cluster,review\r\n"
      "C04;C05,false\r\n");
}

TEST_CASE("cli dedup --format table: aligned columns, Chinese text two columns wide",
          "[cli][dedup][output]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "customers.csv", "--format",
                      "table", "--threads", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::string header, rule, first;
  std::getline(lines, header);
  std::getline(lines, rule);
  std::getline(lines, first);
  CHECK(header.rfind("a    b    verdict    score  rule", 0) == 0);
  CHECK(rule.rfind("---  ---  ---------  -----", 0) == 0);
  CHECK(first.rfind("C01  C02  suspected  1.0    similar_name", 0) == 0);
  CHECK_THAT(r.out, Contains("\ncluster      review\n"));
  CHECK_THAT(r.out, Contains("\nC01;C02;C03  true\n"));

  const auto bad =
      run({"dedup", "--rules", "rules.json", "--input", "customers.csv", "--format", "xml"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("cli: standard input given for two inputs is refused, not read as empty",
          "[cli][errors]") {
  const auto r = run({"dedup", "--rules", "rules.json", "--input", "-", "--against", "-",
                      "--input-format", "jsonl"},
                     slurp(std::string(CRMRULES_CLI_DATA) + "/customers.jsonl"));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("standard input ('-') was already read for another input"));
}
