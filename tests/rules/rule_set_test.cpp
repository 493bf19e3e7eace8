#include "crmrules/rules/rule_set.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace crmrules;

namespace {
diagnostics errors_of(std::string_view text) {
  auto r = rule_set::load_string(text, "rules.json");
  REQUIRE_FALSE(r);
  return r.error();
}
}  // namespace

TEST_CASE("a rules file declares custom fields and aliases that the schema then resolves",
          "[rules]") {
  auto r = rule_set::load_string(R"({
    "version": 1,
    "name": "华东销售规则 2026Q4",
    // comments are allowed
    "schema": {
      "lead": {
        "fields": {
          "近30天互动频次": {"type": "integer", "aliases": ["interactions_30d"], "description": "30天内互动次数"},
          "课程偏好": {"type": "string"}
        },
        "aliases": {"source": ["来源渠道"]}
      },
      "customer": {"fields": {"合同额": {"type": "money"}}}
    }
  })");
  REQUIRE(r);
  const rule_set& rules = **r;
  CHECK(rules.name() == "华东销售规则 2026Q4");
  const schema& leads = rules.schemas().of(record_kind::lead);
  REQUIRE(leads.find("interactions_30d") != nullptr);
  CHECK(leads.find("interactions_30d")->name == "近30天互动频次");
  CHECK(leads.find("近30天互动频次")->type == value_type::integer);
  CHECK(leads.find("来源渠道")->name == "source");
  CHECK(rules.schemas().of(record_kind::customer).find("合同额")->type == value_type::money);
  CHECK(rules.warnings().empty());
}

TEST_CASE("an empty object is a valid rules file with the built-in schemas", "[rules]") {
  auto r = rule_set::load_string("{}");
  REQUIRE(r);
  CHECK((*r)->schemas().of(record_kind::lead).find("线索来源") != nullptr);
}

TEST_CASE("every mistake in a rules file is reported at once with position and suggestion",
          "[rules]") {
  const auto d = errors_of(R"({
  "versoin": 1,
  "schema": {
    "leed": {},
    "lead": {
      "fields": {
        "预算2": {"type": "int"},
        "score": {"type": "decimal", "alias": ["s"]},
        "线索来源": {"type": "string"}
      },
      "aliases": {"sorce": ["x"]}
    }
  }
})");
  REQUIRE(d.error_count() == 6);
  const std::string all = d.to_string();
  INFO(all);

  CHECK(d[0].message == "unknown record kind 'leed'");
  CHECK(d[0].suggestion == "lead");
  CHECK(d[0].position == source_position{4, 5});

  CHECK(
      d[1].message ==
      "'int' is not one of: boolean, integer, decimal, money, string, time, duration, string_list");
  CHECK(d[1].suggestion == "integer");
  CHECK(d[1].path == "/schema/lead/fields/预算2/type");
  CHECK(d[1].position == source_position{7, 25});

  CHECK(d[2].message == "unknown key 'alias'");
  CHECK(d[2].suggestion == "aliases");
  CHECK(d[2].position == source_position{8, 38});

  CHECK_THAT(d[3].message, Catch::Contains("'线索来源' is already an alias of field 'source'"));
  CHECK(d[3].position.line == 9);

  CHECK(d[4].message == "no field 'sorce' in lead");
  CHECK(d[4].suggestion == "source");

  CHECK(d[5].message == "unknown key 'versoin'");
  CHECK(d[5].suggestion == "version");
  CHECK(d[5].position == source_position{2, 3});

  CHECK_THAT(all, Catch::Contains("rules.json:7:25: error: 'int' is not one of"));
  CHECK_THAT(all, Catch::EndsWith("6 errors, 0 warnings"));
}

TEST_CASE("a diagnostic shows the line with a caret aligned under wide characters", "[rules]") {
  const auto d =
      errors_of("{\"schema\": {\"lead\": {\"fields\": {\"预算\": {\"type\": \"钱\"}}}}}");
  REQUIRE(d.size() == 1);
  const std::string text = d[0].to_string();
  INFO(text);
  // "预算" takes 4 display columns but 2 code points: the caret sits under the opening quote of
  // "钱".
  const std::string line = "{\"schema\": {\"lead\": {\"fields\": {\"预算\": {\"type\": \"钱\"}}}}}";
  CHECK_THAT(text, Catch::Contains("    1 | " + line));
  CHECK_THAT(text, Catch::Contains("      | " + std::string(49, ' ') + "^"));
  CHECK(d[0].position.column == 48);
}

TEST_CASE("a duplicate key does not hide the other mistakes in the file", "[rules]") {
  const auto d = errors_of("{\"version\": 1, \"version\": 1, \"nmae\": 3}");
  REQUIRE(d.error_count() == 2);
  CHECK_THAT(d[0].message, Catch::Contains("duplicate key 'version'"));
  CHECK(d[1].message == "unknown key 'nmae'");
  CHECK(d[1].suggestion == "name");
}

TEST_CASE("wrong JSON types are reported with what was expected", "[rules]") {
  const auto d = errors_of(R"({"version": "1", "schema": [], "name": 5})");
  REQUIRE(d.error_count() == 3);
  CHECK(d[0].message == "'version' must be an integer, got a string");
  CHECK(d[1].message == "'name' must be a string, got an integer");
  CHECK(d[2].message == "expected an object for 'schema', got an array");
}

TEST_CASE("a rules file from a newer format version is refused", "[rules]") {
  const auto d = errors_of(R"({"version": 2})");
  CHECK_THAT(d[0].message, Catch::Contains("this build of crmrules reads up to version 1"));
}

TEST_CASE("the top level must be an object", "[rules]") {
  CHECK_THAT(errors_of("[]")[0].message,
             Catch::Contains("expected a JSON object at the top of the rules file"));
  CHECK_THAT(errors_of("")[0].message, Catch::StartsWith("malformed JSON"));
}

TEST_CASE("loading a missing or oversized file reports it instead of throwing", "[rules]") {
  auto missing = rule_set::load_file("/nonexistent/rules.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error()[0].file == "/nonexistent/rules.json");
  CHECK_THAT(missing.error()[0].message, Catch::Contains("cannot read the rules file"));
  CHECK_THAT(missing.error().to_string(), Catch::StartsWith("/nonexistent/rules.json: error:"));
}

TEST_CASE("a failed reload leaves the rules in force untouched", "[rules]") {
  rules_holder holder(*rule_set::load_string(R"({"name": "v1"})"));
  auto before = holder.current();
  diagnostics d = holder.reload_string(R"({"name": "v2", "oops": 1})");
  CHECK(d.has_errors());
  CHECK(holder.current() == before);
  CHECK(holder.current()->name() == "v1");

  d = holder.reload_string(R"({"name": "v2"})");
  CHECK_FALSE(d.has_errors());
  CHECK(holder.current()->name() == "v2");
  CHECK(before->name() == "v1");  // a reader holding the old rules keeps them
}

TEST_CASE("a holder never holds null rules", "[rules]") {
  rules_holder holder(nullptr);
  REQUIRE(holder.current() != nullptr);
  CHECK(holder.current()->schemas().of(record_kind::lead).find("线索来源") != nullptr);
}

TEST_CASE("an alias that clashes is reported at that alias, not at the whole list", "[rules]") {
  const auto d =
      errors_of("{\"schema\": {\"lead\": {\"aliases\": {\"source\": [\"ok\", \"负责人\"]}}}}");
  REQUIRE(d.size() == 1);
  CHECK(d[0].path == "/schema/lead/aliases/source/1");
  CHECK(d[0].position.column == 51);
}

TEST_CASE("rules text larger than the limit is refused before parsing", "[rules]") {
  const std::string huge(rule_set::max_file_bytes + 1, ' ');
  const auto d = errors_of(huge);
  CHECK_THAT(d[0].message, Catch::Contains("the limit is"));
}

TEST_CASE("rules reload from a file on disk", "[rules]") {
  const char* base = std::getenv("CRMRULES_TEST_TMPDIR");
  const auto path =
      std::filesystem::path(base ? base : std::filesystem::temp_directory_path().string()) /
      "rule_set_test_rules.json";
  {
    std::ofstream out(path);
    out << R"({"name": "from disk"})";
  }
  rules_holder holder(*rule_set::load_string("{}"));
  CHECK_FALSE(holder.reload_file(path).has_errors());
  CHECK(holder.current()->name() == "from disk");
  CHECK(holder.current()->source() == path.string());
  std::filesystem::remove(path);
}

TEST_CASE("readers see either the old or the new rules while reloads run concurrently", "[rules]") {
  rules_holder holder(*rule_set::load_string(R"({"name": "a"})"));
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::atomic<bool> torn{false};  // Catch2 assertions are not thread-safe: record, check after join
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto r = holder.current();
        if (r->name() != "a" && r->name() != "b") torn = true;
        reads.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    CHECK_FALSE(holder.reload_string(i % 2 ? R"({"name": "a"})" : R"({"name": "b"})").has_errors());
    CHECK(holder.reload_string(R"({"name": )").has_errors());
  }
  stop = true;
  for (auto& t : readers)
    t.join();
  CHECK(reads.load() > 0);
  CHECK_FALSE(torn.load());
}

TEST_CASE("the seed formula compiles from a rules file and scores a lead", "[rules][formulas]") {
  auto r = rule_set::load_string(R"js({
    "schema": {"lead": {"fields": {"近30天互动频次": {"type": "integer"}}}},
    "formulas": {
      "seed_weight": {
        "over": ["lead"],
        "description": "channel, budget and engagement weight",
        "formula": [
          "IF(线索来源=\"官网表单\", 100, IF(线索来源=\"抖音私信\", 85, IF(线索来源=\"展会扫码\", 60, 40)))",
          "  + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0)"
        ]
      },
      "is_vip": "CONTAINS(标签, \"VIP\")"
    }
  })js",
                                 "rules.json");
  INFO((r ? std::string() : r.error().to_string()));
  REQUIRE(r);
  CHECK((*r)->formula_names() == std::vector<std::string>{"is_vip", "seed_weight"});
  const auto f = (*r)->find_formula("seed_weight");
  REQUIRE(f != nullptr);
  CHECK((*r)->find_formula("nope") == nullptr);
  lead l;
  l.id = lead_id{"L1"};
  l.source = "抖音私信";
  l.budget = money::from_major(600000);
  l.custom.set("近30天互动频次", 3);
  activation act(*f);
  REQUIRE(act.bind(0, l).ok());
  CHECK(f->evaluate(act).as_number() == 165);
}

TEST_CASE("an error inside a formula points into the file, past escaped quotes",
          "[rules][formulas]") {
  const auto d = errors_of("{\"formulas\": {\"w\": \"IF(线索来源=\\\"官网\\\", 1, FOO(2))\"}}");
  REQUIRE(d.size() == 1);
  CHECK(d[0].message == "unknown function 'FOO'");
  CHECK(d[0].path == "/formulas/w");
  // {"formulas": {"w": "IF(线索来源=\"官网\", 1, FOO(2))"}}: FOO is at column 40 (the \" count two)
  CHECK(d[0].position == source_position{1, 40});
  CHECK_THAT(d[0].to_string(), Catch::Contains("rules.json:1:40: error: unknown function 'FOO'"));
}

TEST_CASE("an error on a later line of a multi-line formula points at that line",
          "[rules][formulas]") {
  const auto d = errors_of(R"js({
  "formulas": {
    "w": ["IF(客户预算 > 50万,",
          "   50,",
          "   预箅)"]
  }
})js");
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].message, Catch::StartsWith("unknown field '预箅'"));
  CHECK(d[0].position == source_position{5, 15});
}

TEST_CASE("formulas over several records, with unknown kinds suggested", "[rules][formulas]") {
  auto ok = rule_set::load_string(
      R"js({"formulas": {"fit": {"over": ["lead", "rep"], "formula": "IN(lead.region, 销售.regions)"}}})js");
  REQUIRE(ok);
  const auto d = errors_of(
      R"js({"formulas": {"fit": {"over": ["lead", "repp"], "formula": "1", "descripton": ""}}})js");
  REQUIRE(d.size() == 2);
  CHECK(d[0].message == "unknown key 'descripton'");
  CHECK(d[1].message == "unknown record kind 'repp'");
  CHECK(d[1].suggestion == "rep");
}

namespace {
formula_value double_it(std::span<const formula_value> args, const eval_context&, const void*) {
  return formula_value::of_number(args[0].as_number() * 2);
}
}  // namespace

TEST_CASE("formulas in a rules file call the host's functions given in the options",
          "[rules][formulas]") {
  function_def f;
  f.name = "DOUBLE_IT";
  f.params = {formula_type::number};
  f.returns = formula_type::number;
  f.impl = &double_it;
  rules_options options;
  options.functions.push_back(f);
  auto r =
      rule_set::load_string(R"js({"formulas": {"x": "DOUBLE_IT(21)"}})js", "rules.json", options);
  REQUIRE(r);
  activation act(*(*r)->find_formula("x"));
  CHECK((*r)->find_formula("x")->evaluate(act).as_number() == 42);
  CHECK_FALSE(rule_set::load_string(R"js({"formulas": {"x": "DOUBLE_IT(21)"}})js"));
}
