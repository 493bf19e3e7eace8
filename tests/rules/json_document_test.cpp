#include "rules/json_document.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

using crmrules::detail::json_document;

TEST_CASE("every key and value gets its line and column, counted in code points", "[rules][json]") {
  const std::string text =
      "{\n"
      "  \"名称\": \"华东\",  // a comment, with a \"quote\"\n"
      "  /* block\n"
      "     comment */ \"n\": 42,\n"
      "  \"list\": [1, {\"x\": true}, \"s\"]\n"
      "}\n";
  auto doc = json_document::parse(text, "r.json");
  REQUIRE(doc);
  auto pos = [&](std::size_t off) { return doc->position_of(off); };
  CHECK(pos(doc->key_offset("/名称")) == crmrules::source_position{2, 3});
  CHECK(pos(doc->value_offset("/名称")) == crmrules::source_position{2, 9});
  CHECK(pos(doc->key_offset("/n")) == crmrules::source_position{4, 17});
  CHECK(pos(doc->value_offset("/n")) == crmrules::source_position{4, 22});
  CHECK(pos(doc->value_offset("/list/0")) == crmrules::source_position{5, 12});
  CHECK(pos(doc->value_offset("/list/1")) == crmrules::source_position{5, 15});
  CHECK(pos(doc->value_offset("/list/1/x")) == crmrules::source_position{5, 21});
  CHECK(pos(doc->value_offset("/list/2")) == crmrules::source_position{5, 28});
  // Unknown pointers fall back to the nearest known ancestor.
  CHECK(pos(doc->value_offset("/list/1/nope")) == crmrules::source_position{5, 15});
  CHECK(doc->root()["n"] == 42);
}

TEST_CASE("malformed JSON is reported at the offending spot without nlohmann's prefix",
          "[rules][json]") {
  auto doc = json_document::parse("{\n  \"a\": 1,\n  \"b\": tru\n}", "bad.json");
  REQUIRE_FALSE(doc);
  const auto& d = doc.error()[0];
  CHECK(d.file == "bad.json");
  CHECK(d.position.line == 3);
  CHECK_THAT(d.message, Catch::StartsWith("malformed JSON: syntax error"));
  CHECK_THAT(d.message, !Catch::Contains("[json.exception"));
}

TEST_CASE("duplicate keys are an error that names the first occurrence, without stopping the parse",
          "[rules][json]") {
  auto doc = json_document::parse("{\"a\": 1,\n \"a\": 2, \"b\": 3}", "dup.json");
  REQUIRE(doc);
  REQUIRE(doc->issues().size() == 1);
  CHECK_THAT(doc->issues()[0].message, Catch::Contains("duplicate key 'a' (first at line 1)"));
  CHECK(doc->issues()[0].position.line == 2);
  CHECK(doc->root()["b"] == 3);
}

TEST_CASE("a token after a number and a comment gets its own position", "[rules][json]") {
  auto block = json_document::parse("{\"version\": 1/*c*/, \"nmae\": \"x\"}", "c.json");
  REQUIRE(block);
  CHECK(block->position_of(block->key_offset("/nmae")) == crmrules::source_position{1, 21});
  auto line = json_document::parse("{\"version\": 1// c\n, \"nmae\": \"x\"}", "c.json");
  REQUIRE(line);
  CHECK(line->position_of(line->key_offset("/nmae")) == crmrules::source_position{2, 3});
  auto arr = json_document::parse("[1,2/**/,3]", "c.json");
  REQUIRE(arr);
  CHECK(arr->position_of(arr->value_offset("/2")) == crmrules::source_position{1, 10});
}

TEST_CASE("nesting beyond the limit is one clear error, found quickly and without much memory",
          "[rules][json]") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  const auto start = std::chrono::steady_clock::now();
  auto doc = json_document::parse(deep, "deep.json");
  REQUIRE_FALSE(doc);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  REQUIRE(doc.error().size() == 1);
  CHECK_THAT(doc.error()[0].message, Catch::Contains("nested more than 64 levels"));
  CHECK(doc.error()[0].position.column == 65);
}

TEST_CASE("invalid UTF-8 is reported with its byte offset", "[rules][json]") {
  auto doc = json_document::parse("{\"a\": \"\xff\"}", "bin.json");
  REQUIRE_FALSE(doc);
  CHECK_THAT(doc.error()[0].message, Catch::Contains("not valid UTF-8 (byte offset 7)"));
}

TEST_CASE("a UTF-8 byte order mark is skipped and does not count as a column", "[rules][json]") {
  auto doc = json_document::parse("\xEF\xBB\xBF{\"a\": 1}", "bom.json");
  REQUIRE(doc);
  CHECK(doc->position_of(doc->key_offset("/a")).column == 2);
  CHECK(doc->line_text(1) == "{\"a\": 1}");
}
