// The rules language as a sales-operations person writes it: every result below is checked on
// the bytecode VM and on the reference tree evaluator (formula_fixture.hpp).
#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "rules/formula_fixture.hpp"

using namespace formula_test;

TEST_CASE("the seed weight formula scores leads by source, budget and recent touches",
          "[formula]") {
  fixture fx;
  CHECK(fx.eval(seed_formula, seed_lead("官网表单", "60万", 5)) == "180");
  CHECK(fx.eval(seed_formula, seed_lead("抖音私信", "60万", 2)) == "135");
  CHECK(fx.eval(seed_formula, seed_lead("展会扫码", "50万", 3)) == "90");  // 50万 is not > 50万
  CHECK(fx.eval(seed_formula, seed_lead("转介绍", nullptr, 0)) == "40");  // blank budget reads as 0
  CHECK(fx.eval(seed_formula, seed_lead("facebook_ads", "500000.01", 3)) == "120");
  CHECK(fx.compile(seed_formula)->type() == formula_type::number);
}

TEST_CASE("numbers take Chinese magnitudes, percents and exponents; durations take units",
          "[formula]") {
  fixture fx;
  CHECK(fx.eval("50万") == "500000");
  CHECK(fx.eval("1.5亿") == "150000000");
  CHECK(fx.eval("3万元 + 1") == "30001");
  CHECK(fx.eval("15%") == "0.15");
  CHECK(fx.eval("2e3") == "2000");
  CHECK(fx.eval("0.1 + 0.2") == "0.3");
  CHECK(fx.eval("2h") == "2h");
  CHECK(fx.eval("72h") == "3d");
  CHECK(fx.eval("1h30m + 30m") == "2h");
  CHECK(fx.eval("3天") == "3d");
  CHECK(fx.eval("1.5h") == "1h30m");
}

TEST_CASE("strings are double-quoted with \"\" for a quote, and keep any Unicode", "[formula]") {
  fixture fx;
  CHECK(fx.eval(R"("他说""你好""")") == R"(他说"你好")");
  CHECK(fx.eval(R"("😀 emoji & 中文")") == "😀 emoji & 中文");
  CHECK(fx.eval(R"(LEN("线索来源"))") == "4");
}

TEST_CASE("operators follow spreadsheet precedence", "[formula]") {
  fixture fx;
  CHECK(fx.eval("1 + 2 * 3") == "7");
  CHECK(fx.eval("(1 + 2) * 3") == "9");
  CHECK(fx.eval("-2^2") == "4");  // unary minus binds tighter than ^, as in Excel
  CHECK(fx.eval("2^3^2") == "64");
  CHECK(fx.eval("10 - 2 - 3") == "5");
  CHECK(fx.eval("12 / 3 / 2") == "2");
  CHECK(fx.eval("1 + 1 = 2") == "TRUE");
  CHECK(fx.eval(R"("a" & 1 + 1 & "b")") == "a2b");
  CHECK(fx.eval("1 < 2 AND 3 > 2 OR FALSE") == "TRUE");
  CHECK(fx.eval("NOT 1 = 2") == "TRUE");
}

TEST_CASE("fields are reached by Chinese name, dotted path, scope alias or brackets", "[formula]") {
  fixture fx;
  lead l = seed_lead("官网表单", "60万", 4);
  l.custom.set("近30天 互动频次", std::int64_t{9});
  rep r;
  r.id = rep_id{"R1"};
  r.role = "sales";
  r.regions = {"华东", "华南"};
  CHECK(fx.eval("线索来源", l) == "官网表单");
  CHECK(fx.eval("lead.source", l) == "官网表单");
  CHECK(fx.eval("线索.线索来源", l) == "官网表单");
  CHECK(fx.eval("[近30天 互动频次]", l) == "9");
  CHECK(fx.eval("lead.[近30天 互动频次]", l) == "9");
  CHECK(fx.eval("rep.role", l, r) == "sales");
  CHECK(fx.eval("销售.负责区域", l, r) == "[华东, 华南]");
  CHECK(fx.eval("rep.load * 2", l, r, 1.5) == "3");
}

TEST_CASE("function and keyword names ignore case; field names do not", "[formula]") {
  fixture fx;
  CHECK(fx.eval("if(true, 1, 2)") == "1");
  CHECK(fx.eval("If(1 = 1 and 2 = 2, \"y\", \"n\")") == "y");
  CHECK(fx.eval("NoT(FaLsE)") == "TRUE");
  const auto d = fx.errors("Source");
  CHECK_THAT(d[0].message, Catch::Contains("unknown field 'Source'"));
  CHECK(d[0].suggestion == "source");
}

TEST_CASE("IF, AND and OR short-circuit: a branch not taken cannot fail", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.custom.set("score", 0.0);
  CHECK(fx.eval("IF(TRUE, 1, 1 / score)", l) == "1");
  CHECK(fx.eval("AND(FALSE, 1 / score > 1)", l) == "FALSE");
  CHECK(fx.eval("OR(TRUE, 1 / score > 1)", l) == "TRUE");
  CHECK(fx.eval("FALSE AND 1 / score > 1", l) == "FALSE");
  CHECK(fx.eval("AND(TRUE, 1 / score > 1)", l) == "#DIV/0!");
}

TEST_CASE("IFS and SWITCH pick the first match, or fall to a default, or give #N/A", "[formula]") {
  fixture fx;
  const lead l = seed_lead("展会扫码", "8万", 1);
  CHECK(fx.eval("IFS(客户预算 > 10万, \"大\", 客户预算 > 5万, \"中\", TRUE, \"小\")", l) == "中");
  CHECK(fx.eval("IFS(客户预算 > 100万, 1)", l) == "#N/A");
  CHECK(fx.eval(R"(SWITCH(线索来源, "官网表单", 100, "展会扫码", 60, 40))", l) == "60");
  CHECK(fx.eval(R"(SWITCH(线索来源, "官网表单", 100, 40))", l) == "40");
  CHECK(fx.eval(R"(SWITCH(线索来源, "官网表单", 100))", l) == "#N/A");
  CHECK(fx.eval("SWITCH(客户预算, 8万, \"八万\", \"其他\")", l) == "八万");  // number read as money
}

TEST_CASE("blank is 0 in arithmetic and \"\" for text; an empty string is blank", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};  // no budget, no phone, no score
  CHECK(fx.eval("客户预算 + 10", l) == "10.00");
  CHECK(fx.eval("score * 2", l) == "0");
  CHECK(fx.eval("客户预算 = 0", l) == "TRUE");
  CHECK(fx.eval("电话 = \"\"", l) == "TRUE");
  CHECK(fx.eval("ISBLANK(电话)", l) == "TRUE");
  CHECK(fx.eval("ISBLANK(客户预算)", l) == "TRUE");
  CHECK(fx.eval("ISBLANK(\"\")", l) == "TRUE");
  CHECK(fx.eval("COALESCE(电话, 邮箱, \"无联系方式\")", l) == "无联系方式");
  CHECK(fx.eval("IF(score > 1, 1)", l) == "(blank)");
  CHECK(fx.eval("LEN(电话)", l) == "0");
  CHECK(fx.eval("NULL", l) == "(blank)");
}

TEST_CASE("a blank time is neither before nor after any time", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.created_at = *parse_timestamp("2026-11-19T09:00:00+08:00");
  CHECK(fx.eval("首次跟进时间 < NOW()", l) == "FALSE");
  CHECK(fx.eval("首次跟进时间 > NOW()", l) == "FALSE");
  CHECK(fx.eval("首次跟进时间 <> NOW()", l) == "TRUE");
  CHECK(fx.eval("首次跟进时间 = 首次跟进时间", l) == "TRUE");
  CHECK(fx.eval("HOURS_SINCE(首次跟进时间)", l) == "(blank)");
  CHECK(fx.eval("HOURS_SINCE(创建时间)", l) == "24");
  CHECK(fx.eval("DAYS_SINCE(创建时间)", l) == "1");
}

TEST_CASE("runtime errors are values that propagate until IFERROR catches them", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.custom.set("score", 0.0);
  CHECK(fx.eval("10 / score", l) == "#DIV/0!");
  CHECK(fx.eval("10 / score + 1", l) == "#DIV/0!");
  CHECK(fx.eval("IFERROR(10 / score, -1)", l) == "-1");
  CHECK(fx.eval("ISERROR(10 / score)", l) == "TRUE");
  CHECK(fx.eval("IFERROR(10 / 2, -1)", l) == "5");
  CHECK(fx.eval("score ^ -1", l) == "#DIV/0!");
  CHECK(fx.eval("(score + 1e308) * 10", l) == "#NUM!");
  const auto f = fx.compile("1 + 10 / score");
  activation act(*f);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  const auto v = f->evaluate(act);
  CHECK(v.error() == formula_error::div_by_zero);
  CHECK(v.error_offset() == 4);  // the division
}

TEST_CASE("money compares and combines with numbers read as yuan", "[formula]") {
  fixture fx;
  const lead l = seed_lead("官网表单", "120000.50", 0);
  CHECK(fx.eval("客户预算 > 12万", l) == "TRUE");
  CHECK(fx.eval("客户预算 * 10%", l) == "12000.05");
  CHECK(fx.eval("客户预算 / 2", l) == "60000.25");
  CHECK(fx.eval("客户预算 / 客户预算", l) == "1");
  CHECK(fx.eval("客户预算 - 0.5", l) == "120000.00");
  CHECK(fx.eval("ROUND(客户预算)", l) == "120001.00");
  CHECK(fx.eval("ROUND(客户预算, -4)", l) == "120000.00");
  CHECK(fx.eval("MAX(客户预算, 20万)", l) == "200000.00");
  CHECK(fx.eval("IF(客户预算 > 10万, 客户预算, 0)", l) == "120000.50");
}

TEST_CASE("times take durations, and time minus time is a duration", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.created_at = *parse_timestamp("2026-11-20T00:00:00Z");
  l.assigned_at = *parse_timestamp("2026-11-20T02:30:00Z");
  CHECK(fx.eval("创建时间 + 2h", l) == "2026-11-20T02:00:00Z");
  CHECK(fx.eval("创建时间 - 1d", l) == "2026-11-19T00:00:00Z");
  CHECK(fx.eval("分配时间 - 创建时间", l) == "2h30m");
  CHECK(fx.eval("分配时间 - 创建时间 > 2h", l) == "TRUE");
  CHECK(fx.eval("(分配时间 - 创建时间) / 1h", l) == "2.5");
  CHECK(fx.eval("2h * 3", l) == "6h");
  CHECK(fx.eval("BETWEEN(分配时间, 创建时间, 创建时间 + 3h)", l) == "TRUE");
  CHECK(fx.eval("NOW() - 创建时间", l) == "1h");  // now is 09:00 +08:00
}

TEST_CASE("text functions ignore ASCII case like =, and count characters, not bytes", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.email = "Zhang.Wei@RuiJin.com";
  l.company_name = "  上海　瑞金   医院 ";
  CHECK(fx.eval("ENDS_WITH(邮箱, \"@ruijin.COM\")", l) == "TRUE");
  CHECK(fx.eval("STARTS_WITH(邮箱, \"zhang\")", l) == "TRUE");
  CHECK(fx.eval("CONTAINS(邮箱, \"WEI@\")", l) == "TRUE");
  CHECK(fx.eval("邮箱 = \"zhang.wei@ruijin.com\"", l) == "TRUE");
  CHECK(fx.eval("LOWER(邮箱)", l) == "zhang.wei@ruijin.com");
  CHECK(fx.eval("UPPER(\"ärger\")", l) == "ÄRGER");
  CHECK(fx.eval("TRIM(公司名称)", l) == "上海 瑞金 医院");
  CHECK(fx.eval("LEN(TRIM(公司名称))", l) == "8");
  CHECK(fx.eval("TRIM(\"上海　瑞金\")", l) == "上海 瑞金");  // a single U+3000 becomes ' ' too
}

TEST_CASE("IN and CONTAINS test membership in values and in list fields", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.region = "华东";
  l.industry = "医疗";
  l.tags = {"VIP", "二次访问"};
  rep r;
  r.id = rep_id{"R1"};
  r.regions = {"华东", "华南"};
  r.industries = {"教育"};
  CHECK(fx.eval(R"(IN(区域, "华东", "华南"))", l) == "TRUE");
  CHECK(fx.eval(R"(IN(区域, "华北"))", l) == "FALSE");
  CHECK(fx.eval("IN(lead.region, rep.regions)", l, r) == "TRUE");
  CHECK(fx.eval("IN(lead.industry, rep.industries)", l, r) == "FALSE");
  CHECK(fx.eval(R"(CONTAINS(标签, "vip"))", l) == "TRUE");
  CHECK(fx.eval("LEN(标签)", l) == "2");
  CHECK(fx.eval("IN(3, 1, 2, 3)") == "TRUE");
}

TEST_CASE("maths functions: MIN and MAX skip blanks, ROUND halves away from zero", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  CHECK(fx.eval("MIN(3, score, 2)", l) == "2");
  CHECK(fx.eval("MAX(score, score)", l) == "(blank)");
  CHECK(fx.eval("ABS(-2.5)") == "2.5");
  CHECK(fx.eval("ROUND(2.675, 2)") == "2.68");
  CHECK(fx.eval("ROUND(-2.5)") == "-3");
  CHECK(fx.eval("ROUND(1234.5678, -2)") == "1200");
  CHECK(fx.eval("ROUND(0.6)") == "1");
  CHECK(fx.eval("ROUND(0.4)") == "0");
  CHECK(fx.eval("ROUND(9.995, 2)") == "10");
  CHECK(fx.eval("ROUND(-0.05, 1)") == "-0.1");
  CHECK(fx.eval("ROUND(50, -2)") == "100");
  CHECK(fx.eval("ROUND(0.1 + 0.2, 15) = 0.3") == "TRUE");  // rounds to the digits shown
  lead rich;
  rich.id = lead_id{"L9"};
  rich.budget = money::from_minor(std::numeric_limits<std::int64_t>::max());
  CHECK(fx.eval("ROUND(客户预算, 1)", rich) == "#NUM!");  // no room to round up
  CHECK(fx.eval("CLAMP(150, 0, 100)") == "100");
  CHECK(fx.eval("CLAMP(-1, 0, 100)") == "0");
  CHECK(fx.eval("CLAMP(score + 5, 10, 0)", l) == "#NUM!");  // bounds the wrong way round
  CHECK(fx.eval("BETWEEN(5, 1, 10)") == "TRUE");
  CHECK(fx.eval("BETWEEN(\"b\", \"a\", \"c\")") == "TRUE");
}

TEST_CASE("a custom attribute holding another type than declared evaluates to #VALUE!",
          "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.custom.set("近30天互动频次", "many");  // declared integer
  CHECK(fx.eval("近30天互动频次 + 1", l) == "#VALUE!");
  CHECK(fx.eval("IFERROR(近30天互动频次, 0)", l) == "0");
}

TEST_CASE("constant parts are folded at compile time", "[formula]") {
  fixture fx;
  CHECK(fx.compile("1 + 2 * 3")->node_count() == 1);
  CHECK(fx.compile("IF(1 > 2, 5万, LEN(\"abc\"))")->node_count() == 1);
  CHECK(fx.compile("lead.budget > 50万 * 2")->node_count() == 3);
}

namespace {
formula_value region_heat(std::span<const formula_value> args, const eval_context&,
                          const void* user) {
  const double base = *static_cast<const double*>(user);
  return formula_value::of_number(args[0].as_string() == "华东" ? base * 1.2 : base);
}
formula_value lookup_fails(std::span<const formula_value>, const eval_context&, const void*) {
  return formula_value::error(formula_type::number, formula_error::na);
}
formula_value wrong_type(std::span<const formula_value>, const eval_context&, const void*) {
  return formula_value::of_bool(true);
}
}  // namespace

TEST_CASE("hosts register typed functions the checker knows and the VM calls", "[formula]") {
  fixture fx;
  static const double base = 10;
  function_def heat;
  heat.name = "region_heat";
  heat.params = {formula_type::string};
  heat.returns = formula_type::number;
  heat.impl = &region_heat;
  heat.user = &base;
  REQUIRE(fx.env.add_function(heat).ok());
  function_def na;
  na.name = "LOOKUP_FAILS";
  na.returns = formula_type::number;
  na.impl = &lookup_fails;
  REQUIRE(fx.env.add_function(na).ok());
  function_def bad;
  bad.name = "WRONG_TYPE";
  bad.returns = formula_type::number;
  bad.impl = &wrong_type;
  bad.pure = false;  // not folded at compile time, so the wrong type shows at run time
  REQUIRE(fx.env.add_function(bad).ok());

  lead l;
  l.id = lead_id{"L1"};
  l.region = "华东";
  CHECK(fx.eval("REGION_HEAT(区域) + 1", l) == "13");
  CHECK(fx.eval("Region_Heat(\"华南\")", l) == "10");
  CHECK(fx.eval("IFERROR(LOOKUP_FAILS(), 7)", l) == "7");
  CHECK(fx.eval("WRONG_TYPE()", l) == "#VALUE!");
  CHECK(fx.errors("REGION_HEAT(1)")[0].message ==
        "argument 1 of REGION_HEAT must be text, but '1' is a number");
  CHECK(fx.errors("REGION_HEAT()")[0].message == "REGION_HEAT takes 1 argument, got 0");

  function_def clash = heat;
  CHECK(fx.env.add_function(clash).is_already_exists());
  clash.name = "IF";
  CHECK(fx.env.add_function(clash).is_invalid_argument());
  clash.name = "线索";
  CHECK(fx.env.add_function(clash).is_invalid_argument());
  clash.name = "OK_NAME";
  clash.impl = nullptr;
  CHECK(fx.env.add_function(clash).is_invalid_argument());
}

namespace {
std::vector<std::string_view> weight_calls;  // what WEIGHT received, in call order
formula_value weight(std::span<const formula_value> args, const eval_context&, const void*) {
  weight_calls.push_back(args[0].as_string());
  return formula_value::of_number(1);
}
/// WEIGHT(text, duration): a host function called at evaluation even with constant arguments.
function_def weight_function() {
  function_def w;
  w.name = "WEIGHT";
  w.params = {formula_type::string, formula_type::interval};
  w.returns = formula_type::number;
  w.impl = &weight;
  w.pure = false;
  return w;
}
}  // namespace

TEST_CASE("host_calls lists each call with its constant arguments, the pointers it will receive",
          "[formula]") {
  using namespace std::chrono_literals;
  fixture fx;
  REQUIRE(fx.env.add_function(weight_function()).ok());
  const auto f = fx.compile(
      R"(WEIGHT("site_visit", 30d) + weight(LOWER("ABC"), 1h * 2) + IF(区域 = "x", WEIGHT(区域, 1h), 0))");
  const auto calls = f->host_calls();
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].function == "WEIGHT");
  CHECK(f->text().substr(calls[0].offset, calls[0].length) == R"(WEIGHT("site_visit", 30d))");
  REQUIRE(calls[0].args.size() == 2);
  REQUIRE(calls[0].args[0]);
  CHECK(calls[0].args[0]->as_string() == "site_visit");
  CHECK(calls[0].args[1]->as_duration() == 30 * 24h);
  // Constant parts are folded before the call is listed.
  CHECK(f->text().substr(calls[1].offset, calls[1].length) == R"(weight(LOWER("ABC"), 1h * 2))");
  CHECK(calls[1].args[0]->as_string() == "abc");
  CHECK(calls[1].args[1]->as_duration() == 2h);
  // A field is not a constant.
  CHECK_FALSE(calls[2].args[0]);
  REQUIRE(calls[2].args[1]);
  CHECK(calls[2].args[1]->as_duration() == 1h);

  lead l;
  l.id = lead_id{"L1"};
  l.region = "x";
  activation act(*f);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  weight_calls.clear();
  CHECK(f->evaluate(act).as_number() == 3);
  REQUIRE(weight_calls.size() == 3);
  // The very storage host_calls showed: hosts can resolve a constant once and key it by address.
  CHECK(weight_calls[0].data() == calls[0].args[0]->as_string().data());
  CHECK(weight_calls[1].data() == calls[1].args[0]->as_string().data());
  CHECK(weight_calls[2] == "x");
  CHECK(fx.compile("1 + 2")->host_calls().empty());
}

TEST_CASE("expression shows logic, comparisons, calls and constants as a tree, kids first",
          "[formula]") {
  using namespace std::chrono_literals;
  using kind = formula::tree_node::kind;
  using comparison = formula::tree_node::comparison;
  fixture fx;
  REQUIRE(fx.env.add_function(weight_function()).ok());
  const auto f = fx.compile(
      R"(3 <= WEIGHT("site_visit", 30d) AND NOT (WEIGHT(LOWER("ABC"), 1h * 2) = 0 OR 区域 = "x"))");
  const formula::expression_tree t = f->expression();
  REQUIRE(t.root < t.nodes.size());
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    for (const std::uint32_t k : t.nodes[i].kids)
      CHECK(k < i);  // kids before their parents
  }
  const formula::tree_node& all = t.nodes[t.root];
  CHECK(all.what == kind::and_);
  CHECK(all.type == formula_type::boolean);
  CHECK(f->text().substr(all.offset, all.length) == f->text());
  REQUIRE(all.kids.size() == 2);

  const formula::tree_node& at_least = t.nodes[all.kids[0]];
  CHECK(at_least.what == kind::compare);
  CHECK(at_least.op == comparison::le);
  CHECK(at_least.compared == formula_type::number);
  REQUIRE(at_least.kids.size() == 2);
  const formula::tree_node& three = t.nodes[at_least.kids[0]];
  CHECK(three.what == kind::constant);
  REQUIRE(three.value);
  CHECK(three.value->as_number() == 3);
  const formula::tree_node& call = t.nodes[at_least.kids[1]];
  CHECK(call.what == kind::host_call);
  CHECK(call.function == "WEIGHT");
  REQUIRE(call.kids.size() == 2);
  CHECK(t.nodes[call.kids[0]].value->as_string() == "site_visit");
  CHECK(t.nodes[call.kids[1]].value->as_duration() == 30 * 24h);
  // The text constant is the storage the function receives, as host_calls has it.
  CHECK(t.nodes[call.kids[0]].value->as_string().data() ==
        f->host_calls()[0].args[0]->as_string().data());

  const formula::tree_node& negation = t.nodes[all.kids[1]];
  CHECK(negation.what == kind::not_);
  REQUIRE(negation.kids.size() == 1);
  const formula::tree_node& either = t.nodes[negation.kids[0]];
  CHECK(either.what == kind::or_);
  REQUIRE(either.kids.size() == 2);
  const formula::tree_node& zero = t.nodes[either.kids[0]];
  CHECK(zero.op == comparison::eq);
  // Folded: LOWER("ABC") is the constant "abc", 1h * 2 the constant 2h.
  const formula::tree_node& folded = t.nodes[zero.kids[0]];
  CHECK(t.nodes[folded.kids[0]].value->as_string() == "abc");
  CHECK(t.nodes[folded.kids[1]].value->as_duration() == 2h);
  const formula::tree_node& region = t.nodes[either.kids[1]];
  CHECK(region.what == kind::compare);
  CHECK(region.compared == formula_type::string);
  CHECK(t.nodes[region.kids[0]].what == kind::other);  // a field

  const auto constant = fx.compile("1 < 2")->expression();
  REQUIRE(constant.nodes.size() == 1);
  CHECK(constant.nodes[constant.root].what == kind::constant);
  CHECK(constant.nodes[constant.root].value->as_bool());
}

TEST_CASE("partial evaluation computes the lead-only part once and reuses it per rep",
          "[formula]") {
  fixture fx;
  const auto f = fx.compile(std::string(seed_formula) +
                            " + IF(IN(lead.region, rep.regions), 20, 0) - rep.load");
  lead l = seed_lead("官网表单", "60万", 5);
  l.region = "华东";
  rep east, south;
  east.id = rep_id{"R1"};
  east.regions = {"华东"};
  south.id = rep_id{"R2"};
  south.regions = {"华南"};

  activation act(*f);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  f->prepare(act, 1u << fx.lead_scope);
  REQUIRE(act.bind(fx.rep_scope, east).ok());
  REQUIRE(act.set_variable(fx.load_var, formula_value::of_number(3)).ok());
  CHECK(f->evaluate(act).to_string() == "197");  // 180 + 20 - 3
  REQUIRE(act.bind(fx.rep_scope, south).ok());
  REQUIRE(act.set_variable(fx.load_var, formula_value::of_number(1)).ok());
  CHECK(f->evaluate(act).to_string() == "179");
  // Binding another lead invalidates what was prepared: the result follows the new lead.
  const lead referral = seed_lead("转介绍", nullptr, 0);
  REQUIRE(act.bind(fx.lead_scope, referral).ok());
  CHECK(f->evaluate(act).to_string() == "39");
}

TEST_CASE("an explanation lists every step and the top-level terms with their contributions",
          "[formula]") {
  fixture fx;
  const auto f = fx.compile(seed_formula);
  activation act(*f);
  const lead l = seed_lead("官网表单", "60万", 1);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  explanation ex;
  const formula_value v = f->evaluate(act, ex);
  CHECK(v.to_string() == "150");
  CHECK(ex.summary() == "线索来源 +100, 客户预算 +50, 近30天互动频次 +0 = 150");
  REQUIRE(ex.terms.size() == 3);
  CHECK(ex.terms[1].text == "IF(客户预算>50万, 50, 0)");
  CHECK(ex.terms[1].number == 50);
  CHECK(ex.steps.back().depth == 0);
  CHECK(ex.steps.back().value == "150");
  bool saw_budget = false;
  for (const auto& s : ex.steps)
    saw_budget = saw_budget || (s.text == "客户预算" && s.value == "600000.00");
  CHECK(saw_budget);
}

TEST_CASE("one compiled formula is evaluated from several threads at once", "[formula]") {
  fixture fx;
  const auto f = fx.compile(seed_formula);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      activation act(*f);
      const lead l = seed_lead(t % 2 ? "官网表单" : "转介绍", "60万", t);
      const double expected = (t % 2 ? 100 : 40) + 50 + (t >= 3 ? 30 : 0);
      for (int i = 0; i < 20000; ++i) {
        (void)act.bind(fx.lead_scope, l);
        if (f->evaluate(act).as_number() != expected) ++wrong;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("binding a record of the wrong kind is refused", "[formula]") {
  fixture fx;
  const auto f = fx.compile("1");
  activation act(*f);
  rep r;
  r.id = rep_id{"R1"};
  CHECK(act.bind(fx.lead_scope, r).is_invalid_argument());
  CHECK(act.bind(7, r).is_invalid_argument());
  CHECK(act.set_variable(fx.load_var, formula_value::of_bool(true)).is_invalid_argument());
}

TEST_CASE("amounts are rounded half away from zero on the digits a user sees", "[formula][money]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.budget = money::from_minor(147);  // 1.47
  l.custom.set("score", 0.285);
  CHECK(fx.eval("客户预算 / 98", l) == "0.02");  // 0.015, not 0.0149999... via a reciprocal
  CHECK(fx.eval("客户预算 / 0.5", l) == "2.94");
  l.budget = money::from_minor(100);
  CHECK(fx.eval("客户预算 * 0.285", l) == "0.29");
  CHECK(fx.eval("客户预算 * score", l) == "0.29");
  CHECK(fx.eval("客户预算 + score", l) == "1.29");  // the number 0.285 becomes 0.29 yuan
  CHECK(fx.eval("客户预算 / 0", l) == "#DIV/0!");
}

TEST_CASE("IN and SWITCH match numbers against amounts whatever the argument order",
          "[formula][money]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.budget = money::from_major(1);
  l.custom.set("score", 1.0);
  CHECK(fx.eval("IN(score, 2, 客户预算)", l) == "TRUE");
  CHECK(fx.eval("IN(score, 客户预算, 2)", l) == "TRUE");
  CHECK(fx.eval("IN(客户预算, 3, 1)", l) == "TRUE");
  CHECK(fx.eval("IN(score, 2, 3)", l) == "FALSE");
  CHECK(fx.eval("SWITCH(score, 2, \"two\", 客户预算, \"budget\", \"none\")", l) == "budget");
  CHECK(fx.eval("SWITCH(客户预算, 2, \"two\", 1, \"one\", \"none\")", l) == "one");
}

TEST_CASE("a subtracted term is explained with its contribution's sign", "[formula][explain]") {
  fixture fx;
  const auto f = fx.compile("IF(客户预算>50万, 50, 0) - IF(近30天互动频次>=3, 30, -2)");
  activation act(*f);
  const lead l = seed_lead("官网表单", "60万", 1);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  explanation ex;
  CHECK(f->evaluate(act, ex).to_string() == "52");
  REQUIRE(ex.terms.size() == 2);
  CHECK(ex.terms[1].value == "2");  // -(-2)
  CHECK(ex.terms[1].number == 2);
  CHECK(ex.summary() == "客户预算 +50, 近30天互动频次 +2 = 52");
  const lead busy = seed_lead("官网表单", "60万", 5);
  REQUIRE(act.bind(fx.lead_scope, busy).ok());
  CHECK(f->evaluate(act, ex = {}).to_string() == "20");
  CHECK(ex.terms[1].number == -30);
  CHECK(ex.summary() == "客户预算 +50, 近30天互动频次 -30 = 20");
  const auto zero = fx.compile("100 - IF(近30天互动频次>=3, 30, 0) - score");
  activation act2(*zero);
  const lead none = seed_lead("官网表单", nullptr, 1);
  REQUIRE(act2.bind(fx.lead_scope, none).ok());
  CHECK(zero->evaluate(act2, ex = {}).to_string() == "100");
  REQUIRE(ex.terms.size() == 3);
  CHECK(ex.terms[1].value == "0");  // not "-0"
  CHECK(ex.terms[2].value == "(blank)");
  CHECK(ex.terms[2].number == 0);
}

TEST_CASE("NaN and infinities never enter a formula", "[formula]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  l.custom.set("score", std::numeric_limits<double>::quiet_NaN());
  CHECK(fx.eval("score + 1", l) == "#NUM!");
  CHECK(fx.eval("ROUND(1, score)", l) == "#NUM!");
  CHECK(fx.eval("IFERROR(score, 7)", l) == "7");
  l.custom.set("score", std::numeric_limits<double>::infinity());
  CHECK(fx.eval("score > 1", l) == "#NUM!");
  const auto f = fx.compile("rep.load * 2");
  activation act(*f);
  CHECK(
      act.set_variable(fx.load_var, formula_value::of_number(std::nan(""))).is_invalid_argument());
}

TEST_CASE("setting a variable of a scope that is not fixed keeps the prepared part",
          "[formula][prepare]") {
  fixture fx;
  const std::size_t heat = *fx.env.add_variable("lead.heat", formula_type::number, fx.lead_scope);
  // (LEN(...) * 25 keeps it off the fused-sum path, which needs no preparing at all.)
  const auto f = fx.compile("LEN(线索来源) * 25 + lead.heat - rep.load");
  activation act(*f);
  const lead l = seed_lead("官网表单", nullptr, 0);
  const rep r;
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  REQUIRE(act.bind(fx.rep_scope, r).ok());
  REQUIRE(act.set_variable(heat, formula_value::of_number(5)).ok());
  f->prepare(act, 1u << fx.lead_scope);
  for (int load = 0; load < 3; ++load) {
    REQUIRE(act.set_variable(fx.load_var, formula_value::of_number(load)).ok());
    CHECK(f->evaluate(act).as_number() == 105 - load);
    CHECK(detail::fx::access::prepared(act));  // the rep's variable leaves the lead part cached
  }
  // The lead's own variable changes the lead part: the result follows it.
  REQUIRE(act.set_variable(heat, formula_value::of_number(7)).ok());
  CHECK_FALSE(detail::fx::access::prepared(act));
  CHECK(f->evaluate(act).as_number() == 105);
}

TEST_CASE("an activation tells whether binding a scope reads fields of its record", "[formula]") {
  fixture fx;
  const auto reads_lead = fx.compile("IF(线索来源=\"官网表单\", 1, 0) + rep.load");
  activation a(*reads_lead);
  CHECK(a.binds_fields(fx.lead_scope));
  CHECK_FALSE(a.binds_fields(fx.rep_scope));  // a variable of the scope, not a field
  CHECK_FALSE(a.binds_fields(99));
  const auto constant = fx.compile("1 + 2");
  activation b(*constant);
  CHECK_FALSE(b.binds_fields(fx.lead_scope));
}
