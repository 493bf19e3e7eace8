// The dedup evaluation set and population: counts, kinds, ground truth checked against the
// strong-key normalisers, valid USCCs, traditional characters, determinism.
#include "crmrules_sample/dedup_eval.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmrules/dedup/normalise.hpp"

using namespace crmrules;
namespace sample = crmrules::sample;

namespace {

const std::vector<sample::labelled_pair>& default_set() {
  static const std::vector<sample::labelled_pair> set = sample::make_dedup_eval();
  return set;
}

std::vector<std::string> code_points(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::vector<std::string> split(const std::string& kind) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t plus = kind.find('+', at);
    out.push_back(kind.substr(at, plus - at));
    if (plus == std::string::npos) return out;
    at = plus + 1;
  }
}

/// "021-62880000-8001" (a switchboard extension, as people write it) -> "021-62880000".
/// normalise_phone reads the extension as part of the number; the ground truth counts the line.
std::string without_extension(const std::string& phone) {
  const std::size_t first = phone.find('-');
  const std::size_t last = phone.rfind('-');
  const bool shape = first >= 3 && first <= 4 && phone[0] == '0' && phone[1] != '0' &&
                     last > first && phone.size() - last - 1 >= 3 && phone.size() - last - 1 <= 4 &&
                     std::all_of(phone.begin(), phone.end(),
                                 [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  return shape ? phone.substr(0, last) : phone;
}

/// The strong keys of a record, normalised: "uscc:...", "phone:+86...", "email:...".
std::set<std::string> strong_keys(const customer& c) {
  std::set<std::string> out;
  if (!c.uscc.empty()) {
    const auto u = dedup::check_uscc(c.uscc);
    if (u.valid()) out.insert("uscc:" + u.code);
  }
  for (const auto& p : c.phones) {
    const auto n = dedup::normalise_phone(without_extension(p));
    INFO(p);
    REQUIRE(n);
    CHECK(n->valid);
    out.insert("phone:" + n->e164);
  }
  for (const auto& e : c.emails) {
    const auto n = dedup::normalise_email(e);
    INFO(e);
    REQUIRE(n);
    out.insert("email:" + n->address);
  }
  return out;
}

bool share_a_key(const customer& a, const customer& b) {
  const auto ka = strong_keys(a);
  const auto kb = strong_keys(b);
  return std::any_of(ka.begin(), ka.end(), [&](const std::string& k) { return kb.contains(k); });
}

const std::set<std::string> seven_regions{"华东", "华南", "华北", "华中", "西南", "西北", "东北"};

}  // namespace

TEST_CASE("the labelled set is deterministic and has the requested counts", "[sample][dedup]") {
  sample::eval_options small;
  small.positives = 300;
  small.negatives = 200;
  small.strong_key_share = 0.5;
  const auto first = sample::make_dedup_eval(small);
  CHECK(first == sample::make_dedup_eval(small));
  REQUIRE(first.size() == 500);
  CHECK(std::count_if(first.begin(), first.end(), [](const auto& p) { return p.duplicate; }) ==
        300);
  CHECK(std::count_if(first.begin(), first.end(),
                      [](const auto& p) { return p.shares_strong_key; }) == 150);
  for (std::size_t i = 0; i < first.size(); ++i)
    CHECK(first[i].duplicate == (i < 300));

  small.seed += 1;
  CHECK(first != sample::make_dedup_eval(small));

  const auto& set = default_set();
  REQUIRE(set.size() == 6000);
  CHECK(std::count_if(set.begin(), set.end(), [](const auto& p) { return p.duplicate; }) == 3000);
  CHECK(std::count_if(set.begin(), set.end(), [](const auto& p) { return p.shares_strong_key; }) ==
        900);
  std::set<std::string> ids;
  for (const auto& p : set) {
    ids.insert(p.a.id.str());
    ids.insert(p.b.id.str());
  }
  CHECK(ids.size() == 12000);
  CHECK(set.front().a.id.str() == "C0000001");
  CHECK(set.back().b.id.str() == "C0012000");
}

TEST_CASE("every kind of positive and negative is present", "[sample][dedup]") {
  std::map<std::string, int> positives;
  std::map<std::string, int> negatives;
  for (const auto& p : default_set()) {
    for (const auto& k : split(p.kind))
      ++(p.duplicate ? positives : negatives)[k];
  }
  for (const char* kind : {"region_added", "region_dropped", "region_form", "org_form",
                           "brackets_fullwidth", "abbreviation", "typo", "traditional"}) {
    INFO(kind);
    CHECK(positives[kind] >= 100);
  }
  CHECK(positives.size() == 8);
  for (const char* kind : {"other_city", "branch", "near_name", "other_uscc"}) {
    INFO(kind);
    CHECK(negatives[kind] >= 500);
  }
  CHECK(negatives.size() == 4);

  const auto& set = default_set();
  CHECK(set[0].a.name == "瑞金医院");
  CHECK(set[0].b.name == "上海瑞金医院有限公司");
  CHECK(set[1].a.name == "上海交通大学医学院附属瑞金医院");
  CHECK(set[1].b.name == "瑞金医院");
  CHECK(set[2].a.name.starts_with("北京"));
  CHECK(set[2].b.name.starts_with("北京市"));
  CHECK(set[2].b.name.ends_with("股份有限公司"));
  CHECK(set[3].b.name.starts_with("广东省深圳市"));
}

TEST_CASE("strong keys are shared exactly where the label says", "[sample][dedup]") {
  std::map<std::string, std::size_t> owner;  // key -> first pair index that has it
  const auto& set = default_set();
  for (std::size_t i = 0; i < set.size(); ++i) {
    const auto& p = set[i];
    INFO(i << " " << p.kind << ": " << p.a.name << " / " << p.b.name);
    CHECK(share_a_key(p.a, p.b) == p.shares_strong_key);
    if (!p.duplicate) CHECK_FALSE(p.shares_strong_key);
    // Different pairs are different parties (the two hospital seeds are one hospital).
    for (const auto* c : {&p.a, &p.b}) {
      for (const auto& k : strong_keys(*c)) {
        const auto [at, fresh] = owner.emplace(k, i);
        if (!fresh && at->second != i) CHECK((at->second <= 1 && i <= 1));
      }
    }
    // A party has one code: two records of it never carry different ones.
    if (p.duplicate && !p.a.uscc.empty() && !p.b.uscc.empty())
      CHECK(dedup::check_uscc(p.a.uscc).code == dedup::check_uscc(p.b.uscc).code);
  }
}

TEST_CASE("every USCC is valid and the records are complete", "[sample][dedup]") {
  const std::set<std::string> suffixes{"分公司", "营业部", "办事处"};
  for (const auto& p : default_set()) {
    INFO(p.kind << ": " << p.a.name << " / " << p.b.name);
    for (const auto* c : {&p.a, &p.b}) {
      if (!c->uscc.empty()) CHECK(dedup::check_uscc(c->uscc).valid());
      CHECK_FALSE(c->name.empty());
      CHECK(seven_regions.contains(c->region));
      CHECK_FALSE(c->industry.empty());
      CHECK(c->created_at <= c->updated_at);
      CHECK(c->updated_at <= sample::eval_options{}.now);
    }
    if (p.duplicate) {
      CHECK(p.a.name != p.b.name);
      CHECK(p.a.industry == p.b.industry);
      CHECK(p.a.region == p.b.region);
    } else if (p.kind == "other_uscc") {
      CHECK(p.a.name == p.b.name);
      CHECK(dedup::check_uscc(p.a.uscc).valid());
      CHECK(dedup::check_uscc(p.b.uscc).valid());
      CHECK(p.a.uscc != p.b.uscc);
    } else if (p.kind == "branch") {
      REQUIRE(p.b.name.starts_with(p.a.name));
      CHECK(suffixes.contains(p.b.name.substr(p.b.name.size() - std::string("分公司").size())));
      CHECK(p.a.industry == p.b.industry);
    } else {
      CHECK(p.a.name != p.b.name);
    }
  }
}

TEST_CASE("variants are what their kind says", "[sample][dedup]") {
  const auto pairs = sample::traditional_pairs();
  std::map<std::string, std::string> to_simplified;
  for (const auto& [s, t] : pairs)
    to_simplified.emplace(t, s);
  int traditional = 0;
  for (const auto& p : default_set()) {
    if (!p.duplicate) continue;
    INFO(p.kind << ": " << p.a.name << " / " << p.b.name);
    const auto kinds = split(p.kind);
    const auto has = [&](std::string_view k) {
      return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
    };
    const auto a = code_points(p.a.name);
    const auto b = code_points(p.b.name);
    if (has("traditional")) {
      ++traditional;
      std::string folded;
      bool any = false;
      for (const auto& cp : b) {
        const auto at = to_simplified.find(cp);
        any = any || at != to_simplified.end();
        folded += at == to_simplified.end() ? cp : at->second;
      }
      CHECK(any);
      if (p.kind == "traditional") CHECK(folded == p.a.name);
    }
    if (p.kind == "abbreviation") {  // characters of the full name, in order
      CHECK(b.size() >= 4);
      CHECK(b.size() < a.size());
      std::size_t at = 0;
      for (const auto& cp : b) {
        while (at < a.size() && a[at] != cp)
          ++at;
        CHECK(at < a.size());
        ++at;
      }
    }
    if (p.kind == "typo") {  // one character replaced
      REQUIRE(a.size() == b.size());
      std::size_t differ = 0;
      for (std::size_t i = 0; i < a.size(); ++i)
        differ += a[i] != b[i] ? 1 : 0;
      CHECK(differ == 1);
    }
    if (p.kind == "org_form") CHECK(p.a.name.substr(0, 6) == p.b.name.substr(0, 6));
  }
  CHECK(traditional >= 200);
}

TEST_CASE("the traditional table folds back one character to one", "[sample][dedup]") {
  const auto pairs = sample::traditional_pairs();
  REQUIRE(pairs.size() >= 100);
  std::set<std::string_view> simplified;
  std::set<std::string_view> traditional;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& [s, t] = pairs[i];
    INFO(std::string(s) << " -> " << std::string(t));
    CHECK(code_points(s).size() == 1);
    CHECK(code_points(t).size() == 1);
    CHECK(s != t);
    if (i > 0) CHECK(pairs[i - 1].first < s);
    simplified.insert(s);
    traditional.insert(t);
  }
  CHECK(traditional.size() == pairs.size());
  for (auto t : traditional)
    CHECK_FALSE(simplified.contains(t));
  for (const char* s :
       {"华", "国", "电", "贸", "药", "医", "东", "业", "发", "广", "门", "车", "网",
        "络", "软", "阳", "龙", "兴", "长", "实", "机", "术", "开", "达", "设", "备",
        "产", "银", "饭", "学", "团", "务", "营", "销", "问", "顾", "传", "乐", "义"}) {
    INFO(s);
    CHECK(simplified.contains(s));
  }
}

TEST_CASE("the population has consistent ground truth", "[sample][dedup]") {
  sample::population_options o;
  o.customers = 20000;
  const auto pop = sample::make_dedup_population(o);
  REQUIRE(pop.customers.size() == 20000);
  REQUIRE(pop.entity.size() == 20000);
  REQUIRE(pop.kind.size() == 20000);
  CHECK(pop.customers.front().id.str() == "C0000001");
  CHECK(pop.customers.back().id.str() == "C0020000");

  std::map<std::size_t, std::vector<std::size_t>> members;
  std::size_t reentries = 0;
  for (std::size_t i = 0; i < pop.customers.size(); ++i) {
    members[pop.entity[i]].push_back(i);
    reentries += pop.kind[i].empty() ? 0 : 1;
  }
  CHECK(reentries == 1000);
  CHECK(members.size() == 19000);

  std::map<std::string, std::size_t> key_owner;  // normalised strong key -> entity
  std::size_t sharing = 0;
  for (const auto& [entity, rows] : members) {
    std::size_t firsts = 0;
    for (auto i : rows) {
      const customer& c = pop.customers[i];
      INFO(c.name << " " << pop.kind[i]);
      firsts += pop.kind[i].empty() ? 1 : 0;
      CHECK(c.id.str() ==
            "C" + std::string(7 - std::to_string(i + 1).size(), '0') + std::to_string(i + 1));
      CHECK(c.industry == pop.customers[rows.front()].industry);
      CHECK(c.region == pop.customers[rows.front()].region);
      if (!c.uscc.empty()) CHECK(dedup::check_uscc(c.uscc).valid());
      for (const auto& k : strong_keys(c)) {
        const auto [at, fresh] = key_owner.emplace(k, entity);
        CHECK(at->second == entity);  // no two parties share a key
        sharing += fresh ? 0 : 1;
      }
    }
    CHECK(firsts == 1);
    const auto first =
        std::find_if(rows.begin(), rows.end(), [&](std::size_t i) { return pop.kind[i].empty(); });
    REQUIRE(first != rows.end());
    for (auto i : rows) {
      if (i != *first) CHECK(pop.customers[i].name != pop.customers[*first].name);
    }
  }
  CHECK(sharing > 100);  // the re-entries with a strong key

  CHECK(pop == sample::make_dedup_population(o));
}
