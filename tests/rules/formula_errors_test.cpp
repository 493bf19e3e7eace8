// Every kind of formula mistake, with the message a user sees and where it points.
#include <chrono>

#include "rules/formula_fixture.hpp"

using namespace formula_test;

namespace {
/// The single error of `text`, with its column (1-based, code points) checked.
diagnostic only_error(const fixture& fx, std::string_view text) {
  const auto d = fx.errors(text);
  INFO(d.to_string());
  REQUIRE(d.size() == 1);
  return d[0];
}
}  // namespace

TEST_CASE("an unknown field suggests the closest name", "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "IF(线索来源渠 = \"官网\", 1, 0)");
  CHECK_THAT(e.message, Catch::StartsWith("unknown field '线索来源渠'"));
  CHECK(e.suggestion == "线索来源渠道");
  CHECK(e.position == source_position{1, 4});
  CHECK(e.caret == 3);  // "IF(" is 3 columns wide
  CHECK_THAT(e.to_string(), Catch::Contains("did you mean '线索来源渠道'?"));
}

TEST_CASE("a bare word that is no field hints that text needs quotes", "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "线索来源 = 官网表单xyz");
  CHECK_THAT(e.message, Catch::Contains("text values need double quotes: \"官网表单xyz\""));
  CHECK(e.position.column == 8);
}

TEST_CASE("unknown records and fields of a record are named with suggestions",
          "[formula][errors]") {
  fixture fx;
  const auto rec = only_error(fx, "leed.source");
  CHECK_THAT(rec.message, Catch::StartsWith("unknown record 'leed'"));
  CHECK(rec.suggestion == "lead");
  const auto field = only_error(fx, "rep.rol");
  CHECK_THAT(field.message, Catch::StartsWith("unknown field 'rol' of rep"));
  CHECK(field.suggestion == "role");
  CHECK_THAT(only_error(fx, "a.b.c").message, Catch::Contains("at most two parts"));
}

TEST_CASE("a name found in two records is ambiguous and must be qualified", "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "id = \"L1\"");
  CHECK(e.message == "'id' is ambiguous: it could be lead.id or rep.id");
  CHECK(e.suggestion == "lead.id");
  CHECK(fx.eval("lead.id = \"L1\"", seed_lead("官网表单", nullptr, 0)) == "TRUE");
}

TEST_CASE("an unknown function suggests the closest one", "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "1 + STARTWITH(线索来源, \"官网\")");
  CHECK(e.message == "unknown function 'STARTWITH'");
  CHECK(e.suggestion == "STARTS_WITH");
  CHECK(e.position.column == 5);
  CHECK(only_error(fx, "IFF(TRUE, 1, 2)").suggestion == "IF");
  CHECK(only_error(fx, "NOW").message == "NOW is a function: call it with parentheses");
}

TEST_CASE("a wrong number of arguments names the function and the count", "[formula][errors]") {
  fixture fx;
  CHECK(only_error(fx, "IF(TRUE, 1, 2, 3)").message == "IF takes 2 or 3 arguments, got 4");
  CHECK(only_error(fx, "NOT(TRUE, FALSE)").message == "NOT takes 1 argument, got 2");
  CHECK(only_error(fx, "AND()").message == "AND takes at least 1 argument, got 0");
  CHECK(only_error(fx, "NOW(1)").message == "NOW takes 0 arguments, got 1");
  CHECK(only_error(fx, "1 + CLAMP(1, 2)").position.column == 5);
}

TEST_CASE("a wrong argument type names the argument, its text and both types",
          "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "STARTS_WITH(客户预算, \"5\")");
  CHECK(e.message ==
        "argument 1 of STARTS_WITH must be text, but '客户预算' is an amount of money");
  CHECK(e.position.column == 13);
  CHECK(only_error(fx, "IF(线索来源, 1, 2)").message ==
        "the condition of IF must be TRUE or FALSE (a comparison such as 预算 > 50万), but "
        "'线索来源' is text");
  CHECK_THAT(only_error(fx, "IF(TRUE, 1, \"one\")").message,
             Catch::StartsWith("the results of IF must all be of one type: '\"one\"' is text"));
  CHECK_THAT(only_error(fx, "线索来源 + 1").message, Catch::Contains("join text with &"));
  CHECK(only_error(fx, "线索来源 + 1").suggestion == "&");
}

TEST_CASE("comparing text with a number is refused at the operator", "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "线索来源 = 5");
  CHECK_THAT(
      e.message,
      Catch::StartsWith("cannot compare text with a number: '线索来源' is text, '5' is a number"));
  CHECK_THAT(e.message, Catch::Contains("put the number in quotes"));
  CHECK(e.position.column == 6);
  CHECK_THAT(only_error(fx, "创建时间 > 5").message,
             Catch::StartsWith("cannot compare a time with a number"));
  CHECK_THAT(only_error(fx, "标签 = \"VIP\"").message,
             Catch::Contains("use IN(x, list) or CONTAINS(list, x)"));
}

TEST_CASE("an unterminated string points at its opening quote", "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "IF(线索来源 = \"官网表单, 100, 40)");
  CHECK_THAT(e.message, Catch::StartsWith("unterminated string"));
  CHECK(e.position.column == 11);
}

TEST_CASE("unbalanced parentheses are reported where they go wrong", "[formula][errors]") {
  fixture fx;
  const auto missing = only_error(fx, "IF(线索来源 = \"官网\", 100, 40");
  CHECK(missing.message == "missing ')' to close the call of IF");
  CHECK(missing.position.column == 3);
  CHECK(missing.suggestion == ")");
  const auto extra = only_error(fx, "(1 + 2))");
  CHECK(extra.message == "unexpected ')' with no matching '('");
  CHECK(extra.position.column == 8);
  CHECK(only_error(fx, "(1 + 2").message == "missing ')' to close this '('");
}

TEST_CASE("syntax slips get a message and what to type instead", "[formula][errors]") {
  fixture fx;
  CHECK(only_error(fx, "1 == 1").suggestion == "=");
  CHECK(only_error(fx, "1 != 2").suggestion == "<>");
  CHECK(only_error(fx, "TRUE && FALSE").suggestion == "AND");
  CHECK(only_error(fx, "IF（TRUE, 1, 2)").suggestion == "(");
  CHECK(only_error(fx, "IF(TRUE，1, 2)").message == "full-width '，': use the ASCII ','");
  CHECK(only_error(fx, "线索来源 = “官网表单”").suggestion == "\"");
  const auto unit = only_error(fx, "2hours");
  CHECK_THAT(unit.message, Catch::Contains("unexpected 'hours' after a number"));
  CHECK(unit.suggestion == "2h");
  const auto dangling = only_error(fx, "1 + 1h30");  // 1h30 is not 1h: the 30 needs a unit
  CHECK(dangling.message == "duration '1h30' ends in a number without a unit; write e.g. 1h30m");
  CHECK(dangling.position.column == 5);
  CHECK(fx.eval("1h30m = 90m") == "TRUE");
  CHECK(only_error(fx, "1h30min").suggestion == "1h30m");
  CHECK_THAT(only_error(fx, "1.2.3").message, Catch::Contains("malformed number"));
  CHECK(only_error(fx, "IF(TRUE,, 2)").message == "empty argument in the call of IF");
  CHECK(only_error(fx, "1 +").message == "the formula ends where a value is expected");
  CHECK_THAT(only_error(fx, "1 2").message, Catch::Contains("missing an operator or a comma"));
  CHECK(only_error(fx, "").message == "empty formula");
  CHECK(only_error(fx, "AND").message == "AND needs operands here: write a AND b, or AND(a, b)");
}

TEST_CASE("all mistakes in a formula are reported at once, in order", "[formula][errors]") {
  fixture fx;
  const auto d = fx.errors("IF(线索来源x = 1, FOO(1), 客户预箅)");
  REQUIRE(d.size() == 3);
  CHECK_THAT(d[0].message, Catch::StartsWith("unknown field '线索来源x'"));
  CHECK(d[1].message == "unknown function 'FOO'");
  CHECK_THAT(d[2].message, Catch::StartsWith("unknown field '客户预箅'"));
  CHECK(d[2].suggestion == "客户预算");
  CHECK(d[0].position.column < d[1].position.column);
  CHECK(d[1].position.column < d[2].position.column);
}

TEST_CASE("errors on later lines of a multi-line formula have their own line and column",
          "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "IF(线索来源 = \"官网\",\n   100,\n   FOO(1))");
  CHECK(e.position == source_position{3, 4});
  CHECK(e.source_line == "   FOO(1))");
}

TEST_CASE("an expression that always fails is refused when the formula is compiled",
          "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "1 + 10 / 0");
  CHECK(e.message == "this part always evaluates to #DIV/0! (division by zero)");
  CHECK(e.position.column == 5);
  // Under IFERROR the same constant is deliberate, not a mistake.
  CHECK(fx.compile("IFERROR(10 / 0, 1)")->node_count() == 1);
}

TEST_CASE("10,000 nested parentheses are one error, not a stack overflow",
          "[formula][errors][limits]") {
  fixture fx;
  const std::string deep = std::string(10000, '(') + "1" + std::string(10000, ')');
  const auto start = std::chrono::steady_clock::now();
  const auto e = only_error(fx, deep);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  CHECK_THAT(e.message, Catch::StartsWith("formula nested too deeply: more than 128 levels"));
  CHECK(e.position.column == 129);
  // Deep chains of unary minus and of NOT go through the same guard.
  CHECK_THAT(only_error(fx, std::string(5000, '-') + "1").message,
             Catch::Contains("nested too deeply"));
  CHECK_THAT(only_error(fx,
                        [] {
                          std::string s;
                          for (int i = 0; i < 5000; ++i)
                            s += "NOT ";
                          return s + "TRUE";
                        }())
                 .message,
             Catch::Contains("nested too deeply"));
}

TEST_CASE("left-nested operator chains count against the depth limit",
          "[formula][errors][limits]") {
  // 1^1^1..., a=b=c..., 5%%%... and chains mixing amounts or times with numbers nest one level
  // per operator; they must stop at the limit instead of recursing thousands deep later.
  fixture fx;
  auto repeat = [](std::string_view head, std::string_view link, int n) {
    std::string s(head);
    for (int i = 0; i < n; ++i)
      s += link;
    return s;
  };
  const auto power = only_error(fx, repeat("2", "^1", 5000));
  CHECK_THAT(power.message, Catch::StartsWith("formula nested too deeply: more than 128 levels"));
  CHECK(power.position.column == 2 + 2 * 128);  // at the 129th '^'
  CHECK_THAT(only_error(fx, repeat("1", "=1", 5000)).message, Catch::Contains("nested too deeply"));
  CHECK_THAT(only_error(fx, repeat("5", "%", 5000)).message, Catch::Contains("nested too deeply"));
  CHECK_THAT(only_error(fx, repeat("客户预算", "*1", 5000)).message,
             Catch::Contains("nested too deeply"));
  CHECK_THAT(only_error(fx, repeat("lead.created_at", "+1h", 5000)).message,
             Catch::Contains("count one level per operator"));
  // Within the limit they work.
  CHECK(fx.eval(repeat("2", "^1", 100)) == "2");
  CHECK(fx.eval(repeat("lead.created_at", "+1h", 100) + " > lead.created_at",
                seed_lead("官网表单", nullptr, 0)) == "TRUE");
}

TEST_CASE("a long flat chain is fine; limits on length and size are clear errors",
          "[formula][errors][limits]") {
  fixture fx;
  std::string chain = "1";
  for (int i = 0; i < 3000; ++i)
    chain += " + 1";
  CHECK(fx.eval(chain) == "3001");  // flattened: no depth problem

  std::string too_many = "1";
  for (int i = 0; i < 10500; ++i)
    too_many += "+1";
  CHECK_THAT(only_error(fx, too_many).message,
             Catch::StartsWith("formula too large: more than 10000"));

  formula_limits small;
  small.max_length = 10;
  auto long_text = formula::compile("1 + 2 + 3 + 4", fx.env, small);
  REQUIRE_FALSE(long_text);
  CHECK(long_text.error()[0].message == "formula too long: 13 bytes (the limit is 10)");
}

TEST_CASE("invalid UTF-8 in a formula is reported with its byte offset", "[formula][errors]") {
  fixture fx;
  const auto e = only_error(fx, "线索来源 = \"\xff\"");
  CHECK(e.message == "the formula is not valid UTF-8 (byte offset 16)");
}
