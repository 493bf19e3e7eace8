#include "crmrules/dedup/matcher.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

#include "crmrules/dedup/normalise.hpp"
#include "crmrules/rules/rule_set.hpp"
#include "crmrules/tier/policy.hpp"

using namespace crmrules;
using namespace crmrules::dedup;

namespace {

customer make(std::string id, std::string name, std::string uscc = {},
              std::vector<std::string> phones = {}, std::vector<std::string> emails = {},
              std::string industry = {}) {
  customer c;
  c.id = customer_id{std::move(id)};
  c.name = std::move(name);
  c.uscc = std::move(uscc);
  c.phones = std::move(phones);
  c.emails = std::move(emails);
  c.industry = std::move(industry);
  return c;
}

/// A valid USCC with the given 8-digit serial (check character computed).
std::string code(std::string_view serial8) {
  std::string first17 = "91310000" + std::string(serial8) + "0";
  first17 = first17.substr(0, 17);
  return first17 + uscc_check_character(first17);
}

const field_comparison& field(const match& m, std::string_view name) {
  const auto it = std::find_if(m.fields.begin(), m.fields.end(),
                               [&](const field_comparison& f) { return f.field == name; });
  REQUIRE(it != m.fields.end());
  return *it;
}

std::shared_ptr<const rule_set> load(std::string_view text) {
  auto r = rule_set::load_string(text, "rules.json");
  if (!r) FAIL(r.error().to_string());
  return *r;
}

}  // namespace

TEST_CASE("the seed hospital's three names are suspected duplicates", "[dedup][matcher]") {
  const policy p;
  const customer a = make("C1", "瑞金医院");
  const customer b = make("C2", "上海瑞金医院有限公司");
  const customer c = make("C3", "上海交通大学医学院附属瑞金医院");
  for (const auto& [x, y] : {std::pair{a, b}, std::pair{a, c}, std::pair{b, c}}) {
    const match m = compare(x, y, p);
    INFO(x.name << " vs " << y.name);
    CHECK(m.result == verdict::suspected);
    CHECK(m.rule == "similar_name");
    CHECK(m.score == Approx(1.0));
    CHECK(field(m, "core").outcome == field_outcome::equal);
  }
}

TEST_CASE("a region's short form and an added form are the same company", "[dedup][matcher]") {
  const match m = compare(make("C1", "北京某某科技"), make("C2", "北京市某某科技股份有限公司"), {});
  CHECK(m.result == verdict::suspected);
  CHECK(field(m, "region").outcome == field_outcome::equal);
  CHECK(field(m, "form").outcome == field_outcome::missing);
}

TEST_CASE("a branch and its head office stay apart", "[dedup][matcher]") {
  const std::string phone = "13912345678";
  const match m = compare(make("C1", "北京某某科技有限公司", {}, {phone}),
                          make("C2", "北京某某科技有限公司杭州分公司", {}, {phone}), {});
  CHECK(m.result == verdict::different);
  CHECK(m.rule == "branch");
  CHECK(field(m, "branch").outcome == field_outcome::different);
  // Unless the policy says branches are the same party.
  policy merge_branches;
  merge_branches.branch_is_different = false;
  CHECK(compare(make("C1", "北京某某科技有限公司", {}, {phone}),
                make("C2", "北京某某科技有限公司杭州分公司", {}, {phone}), merge_branches)
            .result == verdict::same);
}

TEST_CASE("the same brand in two cities is not one company", "[dedup][matcher]") {
  const match m =
      compare(make("C1", "上海瑞华科技有限公司"), make("C2", "杭州瑞华科技有限公司"), {});
  CHECK(m.result == verdict::different);
  CHECK(field(m, "region").outcome == field_outcome::different);
  // A district inside the city is compatible.
  CHECK(compare(make("C1", "上海瑞华科技有限公司"), make("C2", "上海浦东新区瑞华科技有限公司"), {})
            .result == verdict::suspected);
}

TEST_CASE("two different valid USCCs are never the same party", "[dedup][matcher]") {
  const match m =
      compare(make("C1", "上海瑞华科技有限公司", code("00000001"), {"13912345678"}),
              make("C2", "上海瑞华科技有限公司", code("00000002"), {"13912345678"}), {});
  CHECK(m.result == verdict::different);
  CHECK(m.rule == "different_uscc");
  CHECK(field(m, "uscc").outcome == field_outcome::different);
}

TEST_CASE("strong keys make pairs the same whatever the names", "[dedup][matcher]") {
  const policy p;
  SECTION("an equal valid USCC") {
    const match m = compare(make("C1", "瑞华", code("12345678")),
                            make("C2", "完全不同的名字", " " + code("12345678") + " "), p);
    CHECK(m.result == verdict::same);
    CHECK(m.rule == "same_uscc");
  }
  SECTION("one phone number written three ways") {
    const match m = compare(make("C1", "甲公司", {}, {"+86-139 1234 5678"}),
                            make("C2", "乙公司", {}, {"0086 139-1234-5678"}), p);
    CHECK(m.result == verdict::same);
    CHECK(m.rule == "same_phone");
    CHECK(field(m, "phone").a == "+8613912345678");
  }
  SECTION("an e-mail with other case and spaces") {
    const match m = compare(make("C1", "甲公司", {}, {}, {" Zhang.Wei@Ruihua.CN"}),
                            make("C2", "乙公司", {}, {}, {"zhang.wei@ruihua.cn"}), p);
    CHECK(m.rule == "same_email");
  }
}

TEST_CASE("junk phones, test e-mails and failed USCCs are not keys", "[dedup][matcher]") {
  policy p;
  p.junk_phones = {"+8613800138000"};
  std::string bad = code("12345678");
  bad.back() = bad.back() == '0' ? '1' : '0';
  const match m = compare(make("C1", "甲公司", bad, {"13800138000"}, {"test@example.com"}),
                          make("C2", "乙公司", bad, {"13800138000"}, {"test@example.com"}), p);
  CHECK(m.result == verdict::different);
  matcher idx(std::make_shared<const policy>(p));
  REQUIRE(idx.add(make("C1", "甲公司", bad, {"13800138000", "12"})).ok());
  const auto probs = idx.problems();
  REQUIRE(probs.size() == 3);
  CHECK(probs[0].field == "uscc");
  CHECK(probs[1].problem.find("junk") != std::string::npos);
  CHECK(probs[2].field == "phone");
}

TEST_CASE("near-identical names of different companies are not suspected", "[dedup][matcher]") {
  CHECK(compare(make("C1", "华信科技有限公司"), make("C2", "华新科技有限公司"), {}).result ==
        verdict::different);
  CHECK(compare(make("C1", "瑞华科技有限公司"), make("C2", "瑞华医药有限公司"), {}).result ==
        verdict::different);
  CHECK(compare(make("C1", "瑞华科技", {}, {}, {}, "软件"),
                make("C2", "瑞华科技", {}, {}, {}, "零售"), {})
            .result == verdict::different);
}

TEST_CASE("typos, traditional characters and abbreviations are suspected", "[dedup][matcher]") {
  CHECK(compare(make("C1", "上海瑞华达通信息科技有限公司"),
                make("C2", "上海瑞华达同信息科技有限公司"), {})
            .result == verdict::suspected);
  CHECK(
      compare(make("C1", "深圳華盛電子有限公司"), make("C2", "深圳华盛电子有限公司"), {}).result ==
      verdict::suspected);
  const match m = compare(make("C1", "中国石化"), make("C2", "中国石油化工股份有限公司"), {});
  CHECK(m.result == verdict::suspected);
  CHECK(m.score >= 0.9);
}

TEST_CASE("a scan finds pairs through blocking and joins clusters", "[dedup][matcher]") {
  matcher idx(std::make_shared<const policy>());
  REQUIRE(idx.add(make("C1", "瑞金医院")).ok());
  REQUIRE(idx.add(make("C2", "上海瑞金医院有限公司")).ok());
  REQUIRE(idx.add(make("C3", "上海交通大学医学院附属瑞金医院")).ok());
  REQUIRE(idx.add(make("C4", "杭州瑞华科技有限公司", {}, {"13912345678"})).ok());
  REQUIRE(idx.add(make("C5", "完全不同", {}, {"+86 139 1234 5678"})).ok());
  REQUIRE(idx.add(make("C6", "北京无关贸易有限公司")).ok());
  CHECK(idx.add(make("C6", "again")).code() == status_code::already_exists);
  CHECK(idx.add(make("", "no id")).code() == status_code::invalid_argument);
  const scan_result r = idx.scan({.threads = 2});
  CHECK(r.pairs.size() == 4);
  CHECK(r.comparisons < 15);  // 6 records: 15 pairs without blocking
  REQUIRE(r.clusters.size() == 2);
  CHECK(r.clusters[0].members ==
        std::vector<customer_id>{customer_id{"C1"}, customer_id{"C2"}, customer_id{"C3"}});
  CHECK(r.clusters[0].review);
  CHECK(r.clusters[1].members == std::vector<customer_id>{customer_id{"C4"}, customer_id{"C5"}});
  CHECK_FALSE(r.clusters[1].review);
}

TEST_CASE("a cluster never joins two different valid USCCs", "[dedup][matcher]") {
  // A and C have different codes; B shares A's phone and C's e-mail.
  matcher idx(std::make_shared<const policy>());
  REQUIRE(idx.add(make("A", "甲公司", code("00000001"), {"13912345678"})).ok());
  REQUIRE(idx.add(make("B", "乙公司", {}, {"13912345678"}, {"x@c.com"})).ok());
  REQUIRE(idx.add(make("C", "丙公司", code("00000002"), {}, {"x@c.com"})).ok());
  const scan_result r = idx.scan({.threads = 1});
  REQUIRE(r.clusters.size() == 1);
  CHECK(r.clusters[0].members.size() == 2);
  REQUIRE(r.refused_links.size() == 1);
}

TEST_CASE("on-insert lookup returns the best candidates first", "[dedup][matcher]") {
  matcher idx(std::make_shared<const policy>());
  REQUIRE(idx.add(make("C1", "上海瑞金医院有限公司")).ok());
  REQUIRE(idx.add(make("C2", "瑞金医院", {}, {"021-64370045"})).ok());
  REQUIRE(idx.add(make("C3", "杭州瑞金医院")).ok());
  const auto hits =
      idx.lookup(make("new", "上海交通大学医学院附属瑞金医院", {}, {"(021) 6437 0045"}));
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].a == customer_id{"C2"});
  CHECK(hits[0].result == verdict::same);
  CHECK(hits[1].a == customer_id{"C1"});
  CHECK(hits[1].b == customer_id{"new"});
  CHECK(idx.lookup(make("new", "完全不同")).empty());
  CHECK(idx.lookup(make("new", "完全不同"), {.report = verdict::different}).empty());
}

TEST_CASE("the dedup section configures keys, rules and merges", "[dedup][matcher][rules]") {
  const auto rules = load(R"js({
    "dedup": {
      "strong_keys": ["uscc", "phone"],
      "junk_phones": ["13800138000"],
      "weak": [{"name": "similar_name_in_city", "similarity": "levenshtein", "threshold": 0.9,
                "same": ["region"], "when": "PHONE_VALID(a.phones) OR PHONE_VALID(b.phones)"}],
      "merge": {"survivor": "oldest", "fields": {"address": "newest"}}
    }
  })js");
  const policy& p = *rules->dedup_policy();
  CHECK_FALSE(p.match_email);
  CHECK(p.junk_phones == std::vector<std::string>{"+8613800138000"});
  REQUIRE(p.weak.size() == 1);
  CHECK(p.weak[0].similarity == kernel::levenshtein);
  CHECK_FALSE(p.weak[0].same_industry);
  CHECK(p.merge.survivor == survivor_rule::oldest);
  // The formula decides: without a valid phone on either side, no suspicion.
  CHECK(compare(make("C1", "上海瑞华科技"), make("C2", "瑞华科技有限公司"), p).result ==
        verdict::different);
  CHECK(compare(make("C1", "上海瑞华科技", {}, {"13912345678"}), make("C2", "瑞华科技有限公司"), p)
            .rule == "similar_name_in_city");
}

TEST_CASE("a rules file without a dedup section gets the defaults", "[dedup][matcher][rules]") {
  const auto rules = load("{}");
  REQUIRE(rules->dedup_policy());
  CHECK(rules->dedup_policy()->weak.size() == 1);
}

TEST_CASE("mistakes in the dedup section are reported at their place", "[dedup][matcher][rules]") {
  auto r = rule_set::load_string(R"js({
  "dedup": {
    "strong_keys": ["uscc", "fax", "phnoe"],
    "junk_phones": ["not a phone"],
    "weak": [{"name": "same_uscc", "similarity": "jaro", "threshold": 1.5, "same": ["colour"],
              "when": "a.nosuchfield > 1"}],
    "merge": {"survivor": "newest", "fields": {"phones": "newest"}},
    "max_blok": 10
  }
})js",
                                 "rules.json");
  REQUIRE_FALSE(r);
  const std::string text = r.error().to_string();
  INFO(text);
  CHECK(text.find("rules.json:3:") != std::string::npos);
  CHECK(text.find("unknown strong key 'fax'") != std::string::npos);
  CHECK(text.find("did you mean 'phone'") != std::string::npos);
  CHECK(text.find("did you mean 'one of") == std::string::npos);
  CHECK(text.find("'not a phone' is not a phone number") != std::string::npos);
  CHECK(text.find("built-in rule") != std::string::npos);
  CHECK(text.find("jaro_winkler") != std::string::npos);  // the suggestion
  CHECK(text.find("(0, 1]") != std::string::npos);
  CHECK(text.find("unknown field 'colour'") != std::string::npos);
  CHECK(text.find("nosuchfield") != std::string::npos);
  CHECK(text.find("phones") != std::string::npos);
  CHECK(text.find("max_block") != std::string::npos);  // did you mean
}

TEST_CASE("listed trade words one character apart stay different", "[dedup][matcher]") {
  CHECK(compare(make("C1", "杭州市中医医院"), make("C2", "杭州市中心医院"), {}).result ==
        verdict::different);
  CHECK(compare(make("C1", "北京歌舞团有限公司"), make("C2", "北京歌剧团有限公司"), {}).result ==
        verdict::different);
  // A typo in a trade word or a form is still read as that word.
  CHECK(compare(make("C1", "天津合众网络技术有限公司"), make("C2", "天津合众往络技术有限公司"), {})
            .result == verdict::suspected);
  CHECK(compare(make("C1", "广州市华盛电子有限公司"), make("C2", "广州市华盛电子有线公司"), {})
            .result == verdict::suspected);
}

TEST_CASE("one branch written two ways is one branch, and an equal code wins", "[dedup][matcher]") {
  const std::string c = code("55555555");
  const match m = compare(make("C1", "中国工商银行股份有限公司上海市分行", c),
                          make("C2", "中国工商银行上海分行", c), {});
  CHECK(m.result == verdict::same);
  CHECK(m.rule == "same_uscc");
  CHECK(compare(make("C1", "中国工商银行股份有限公司上海市分行"),
                make("C2", "中国工商银行上海分行"), {})
            .result == verdict::suspected);
  CHECK(compare(make("C1", "中国工商银行上海分行"), make("C2", "中国工商银行杭州分行"), {}).rule ==
        "branch");
}

TEST_CASE("Latin names with brackets keep their words", "[dedup][matcher]") {
  const match m = compare(make("C1", "Acme (China) Ltd"), make("C2", "ACME CHINA LIMITED"), {});
  CHECK(m.result == verdict::suspected);
  matcher idx(std::make_shared<const policy>());
  REQUIRE(idx.add(make("C1", "Acme China Ltd")).ok());
  CHECK(idx.lookup(make("new", "Acme (China) Ltd")).size() == 1);
}

TEST_CASE("lookup leaves out only the record it is told to", "[dedup][matcher]") {
  matcher idx(std::make_shared<const policy>());
  REQUIRE(idx.add(make("1001", "上海瑞金医院有限公司")).ok());
  REQUIRE(idx.add(make("1002", "瑞金医院")).ok());
  // A lead whose id happens to equal a customer's id still sees that customer.
  CHECK(idx.lookup(make("1001", "上海瑞金医院")).size() == 2);
  CHECK(idx.lookup(make("1001", "上海瑞金医院"), {.exclude = customer_id{"1001"}}).size() == 1);
}

TEST_CASE("weak-rule formulas of a replaced policy are never reused", "[dedup][matcher]") {
  // Two policies in turn on one thread, each with its own formula: each decides by its own.
  for (int round = 0; round < 3; ++round) {
    const auto strict =
        load(R"js({"dedup": {"weak": [{"name": "w", "when": "name_similarity >= 2"}]}})js");
    const auto loose =
        load(R"js({"dedup": {"weak": [{"name": "w", "when": "name_similarity >= 0"}]}})js");
    CHECK(compare(make("C1", "瑞金医院"), make("C2", "上海瑞金医院"), *strict->dedup_policy())
              .result == verdict::different);
    CHECK(compare(make("C1", "瑞金医院"), make("C2", "上海瑞金医院"), *loose->dedup_policy())
              .result == verdict::suspected);
  }
}

TEST_CASE("PHONE_VALID works in tier conditions too", "[dedup][rules]") {
  const auto rules = load(R"js({"tiers": {"levels": [
      {"name": "A", "when": "PHONE_VALID(customer.phones) AND PHONE_VALID(\"13912345678\", \"CN\")"},
      {"name": "B", "when": "NOT(PHONE_VALID(\"12\"))"}]}})js");
  REQUIRE(rules->tier_policy());
  CHECK(rules->tier_policy()->tiers.size() == 2);
}
