// formula::evaluate_each and record_batch held to their contract: out[i] is exactly what
// `act.bind(scope, record); act.set_variable(var, value_i); f.evaluate(act)` returns, for fused
// score sums (computed term by term over the batch, list matches through a bit index) and for
// every other formula (record by record), prepared or not, through both overloads.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "rules/formula_fixture.hpp"

using namespace formula_test;

namespace {

// ---------------------------------------------------------------------------------------------
// Comparing values

/// Everything a caller can observe of a value: type, state, error kind and offset, text, and a
/// number's exact bits (to_string may round).
std::string describe(const formula_value& v) {
  std::string s(to_string(v.type()));
  if (v.is_error()) {
    return s + " error " + std::string(to_string(v.error())) + " at " +
           std::to_string(v.error_offset());
  }
  if (v.is_blank()) return s + " blank";
  s += " " + v.to_string();
  if (v.type() == formula_type::number) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " (%a)", v.as_number());
    s += buf;
  }
  return s;
}

std::string show_list(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    s += (i > 0 ? ", \"" : "\"") + items[i] + "\"";
  return s + "]";
}

std::string show_custom(const attributes& custom) {
  std::string s;
  for (const auto& [name, v] : custom)
    s += " " + name + "=" + v.to_string();
  return s;
}

std::string show(const lead& l) {
  return "lead " + l.id.str() + " source=\"" + l.source + "\" industry=\"" + l.industry +
         "\" region=\"" + l.region + "\" budget=" + (l.budget ? l.budget->to_string() : "none") +
         " tags=" + show_list(l.tags) + show_custom(l.custom);
}

std::string show(const rep& r) {
  return "rep " + r.id.str() + " role=\"" + r.role + "\" active=" + (r.active ? "1" : "0") +
         " industries=" + show_list(r.industries) + " regions=" + show_list(r.regions) +
         " skills=" + show_list(r.skills) + " open_leads=" + std::to_string(r.open_leads) +
         " revenue_3d=" + r.revenue_3d.to_string() + show_custom(r.custom);
}

// ---------------------------------------------------------------------------------------------
// Random records and loads (fixed seeds)

class dice {
 public:
  explicit dice(std::uint32_t seed) : rng_(seed) {}
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  template <class T, std::size_t N>
  const T& one_of(const T (&options)[N]) {
    return options[pick(N)];
  }
  /// Up to `most` items of `pool`, repeats allowed.
  template <std::size_t N>
  std::vector<std::string> items(const char* const (&pool)[N], std::size_t most) {
    std::vector<std::string> out;
    const std::size_t n = pick(most + 1);
    for (std::size_t k = 0; k < n; ++k)
      out.emplace_back(one_of(pool));
    return out;
  }

 private:
  std::mt19937 rng_;
};

// ASCII letters in different case (text `=` ignores ASCII case only: "Ärzte" is not "ärzte"),
// blank items, a trailing space, Chinese items, an item longer than 64 bytes.
const char* const rep_industries[] = {
    "Enterprise Resource Planning and Supply Chain Management Software (ERP/SCM)",
    "SaaS",
    "saas",
    "SAAS",
    "制造",
    "医疗",
    "Ärzte",
    "ärzte",
    "FinTech",
    "金融",
    "",
    "教育",
    "saas "};
const char* const lead_industries[] = {
    "enterprise resource planning and supply chain management software (erp/scm)",
    "SaaS",
    "saas",
    "Saas",
    "制造",
    "医疗",
    "ärzte",
    "Ärzte",
    "fintech",
    "FINTECH",
    "金融",
    "",
    "unknown",
    "saas "};
const char* const rep_regions[] = {"华东", "华南", "华北", "East", "east", "EAST", "西北", ""};
const char* const lead_regions[] = {"华东", "华南", "East", "eAST", "西北", "", "华中"};
const char* const roles[] = {"sales", "Senior", "SENIOR", "manager", "经理", ""};
const char* const skills[] = {"senior", "Sales", "经理", "谈判", "MANAGER", ""};
const char* const tags[] = {"华东", "east", "senior", "Sales", "VIP", "经理", ""};
const char* const sources[] = {"官网表单", "抖音私信", "展会扫码", "转介绍", ""};

lead random_lead(dice& d, std::size_t i) {
  lead l;
  l.id = lead_id{"L" + std::to_string(i)};
  l.source = d.one_of(sources);
  l.industry = d.one_of(lead_industries);
  l.region = d.one_of(lead_regions);
  const std::int64_t budgets[] = {50'000'000, 50'000'001, 1'000'000, -100};  // fen; 50万 is 5e7
  if (d.pick(5) != 0) l.budget = money::from_minor(d.one_of(budgets));
  l.tags = d.items(tags, 3);
  switch (d.pick(4)) {  // 近30天互动频次: absent, or a count
    case 0:
      break;
    case 1:
      l.custom.set("近30天互动频次", 0);
      break;
    case 2:
      l.custom.set("近30天互动频次", 3);
      break;
    default:
      l.custom.set("近30天互动频次", 7);
      break;
  }
  switch (d.pick(5)) {  // score: absent, a number, NaN (#NUM!), text (#VALUE!)
    case 0:
      break;
    case 1:
      l.custom.set("score", 1.5);
      break;
    case 2:
      l.custom.set("score", std::numeric_limits<double>::quiet_NaN());
      break;
    case 3:
      l.custom.set("score", "x");
      break;
    default:
      l.custom.set("score", -2.0);
      break;
  }
  switch (d.pick(4)) {  // 线索来源渠道 (text): absent, text, a number (#VALUE!)
    case 0:
      break;
    case 1:
      l.custom.set("线索来源渠道", "SAAS");
      break;
    case 2:
      l.custom.set("线索来源渠道", "制造");
      break;
    default:
      l.custom.set("线索来源渠道", 5);
      break;
  }
  return l;
}

rep random_rep(dice& d, std::size_t i) {
  rep r;
  r.id = rep_id{"R" + std::to_string(i)};
  const char* const names[] = {"张三", "Li Lei", "王五", ""};
  r.name = d.one_of(names);
  r.role = d.one_of(roles);
  r.active = d.pick(4) != 0;
  r.industries = d.items(rep_industries, 4);
  r.regions = d.items(rep_regions, 3);
  r.skills = d.items(skills, 2);
  const std::int64_t open_leads[] = {0, 3, 9, 10, 11, 150, -1};
  r.open_leads = d.one_of(open_leads);
  const std::int64_t revenues[] = {0, 999'999, 1'000'000, 1'000'001, -5};  // fen; 1万 is 1e6
  r.revenue_3d = money::from_minor(d.one_of(revenues));
  switch (d.pick(6)) {  // 热度 (decimal): absent, numbers, NaN and infinity (#NUM!), text
    case 0:
      break;
    case 1:
      r.custom.set("热度", 1.5);
      break;
    case 2:
      r.custom.set("热度", 0.0);
      break;
    case 3:
      r.custom.set("热度", std::numeric_limits<double>::quiet_NaN());
      break;
    case 4:
      r.custom.set("热度", std::numeric_limits<double>::infinity());
      break;
    default:
      r.custom.set("热度", "hot");
      break;
  }
  return r;
}

/// A value rep.load may take: numbers (up to overflow), -0, blanks of both kinds set_variable
/// accepts, and an error value (accepted too: it is a number-typed value).
formula_value random_load(dice& d) {
  switch (d.pick(10)) {
    case 0:
      return formula_value::of_number(0);
    case 1:
      return formula_value::of_number(2.5);
    case 2:
      return formula_value::of_number(-1);
    case 3:
      return formula_value::of_number(1e10);
    case 4:
      return formula_value::of_number(1e308);
    case 5:
      return formula_value::of_number(-0.0);
    case 6:
      return formula_value::blank(formula_type::blank);
    case 7:
      return formula_value::blank(formula_type::number);
    case 8:
      return formula_value::error(formula_type::number, formula_error::na);
    default:
      return formula_value::of_number(7);
  }
}

// ---------------------------------------------------------------------------------------------
// The agreement check

const formula_value sentinel = formula_value::of_number(-123456.5);

bool fused(const formula& f) {
  return detail::fx::access::prog(f).bc.score_only;
}

/// How many list columns of the batch have a usable bit index.
std::size_t indexed_columns(const record_batch& b) {
  const auto* ix = detail::fx::access::indexes(b);
  if (ix == nullptr) return 0;
  return static_cast<std::size_t>(
      std::count_if(ix->by_slot.begin(), ix->by_slot.end(), [](std::int32_t s) { return s >= 0; }));
}

struct tally {
  std::size_t calls = 0;           // evaluate_each calls
  std::size_t compared = 0;        // results compared
  std::size_t prepared_calls = 0;  // calls on an activation that prepare() had prepared
  std::size_t stale_calls = 0;     // ... with the varying scope among the fixed ones
  std::size_t subset_calls = 0;    // calls with a `which` (or a pointer list) not 0..n-1
  std::size_t mismatches = 0;
};

/// How the activation given to evaluate_each was prepared.
enum class prep { none, fixed_scope, both_scopes };
const char* to_text(prep p) {
  return p == prep::none          ? "not prepared"
         : p == prep::fixed_scope ? "prepared with the fixed scope"
                                  : "prepared with both scopes (the varying one too)";
}

/// One formula, `records` varying in `var_scope` (also loaded in `indexed` and `unindexed`),
/// `fixed` bound to `fixed_scope`: every overload, prepared or not, with and without per-record
/// values of rep.load, over all records or a random selection (any order, repeats). Each out[i]
/// is compared with bind + set_variable + evaluate on an activation of its own. `Fx` is a
/// fixture: now, load_var.
template <class Fx, class V, class F>
void check_agreement(const Fx& fx, const formula& f, std::size_t var_scope,
                     const std::vector<V>& records, const record_batch& indexed,
                     const record_batch& unindexed, std::size_t fixed_scope, const F& fixed,
                     dice& d, tally& t) {
  activation act(f);
  activation ref(f);
  ref.set_now(fx.now);
  REQUIRE(ref.bind(fixed_scope, fixed).ok());
  const formula_value base = random_load(d);  // rep.load when no values are given
  const char* const forms[] = {"pointer span", "indexed batch", "unindexed batch"};
  for (const prep prepared : {prep::none, prep::fixed_scope, prep::both_scopes}) {
    for (int form = 0; form < 3; ++form) {
      for (const bool with_var : {false, true}) {
        std::vector<std::uint32_t> which;
        if (d.pick(3) != 0) {
          const std::size_t n = d.pick(records.size() + 6);
          for (std::size_t k = 0; k < n; ++k)
            which.push_back(static_cast<std::uint32_t>(d.pick(records.size())));
        }
        const std::size_t count = which.empty() ? records.size() : which.size();
        auto at = [&](std::size_t i) { return which.empty() ? i : std::size_t{which[i]}; };
        std::vector<formula_value> values;
        if (with_var) {
          for (std::size_t i = 0; i < count; ++i)
            values.push_back(random_load(d));
        }
        const std::size_t variable = with_var ? fx.load_var : formula::no_variable;

        // What the caller sets before the call (evaluate_each leaves the varying scope and the
        // variable unspecified, so set them again each time).
        act.set_now(fx.now);
        REQUIRE(act.bind(fixed_scope, fixed).ok());
        REQUIRE(act.set_variable(fx.load_var, base).ok());
        if (prepared == prep::fixed_scope) {
          f.prepare(act, (1u << fixed_scope) | formula::fixed_now);
          if (detail::fx::access::prepared(act)) ++t.prepared_calls;
        } else if (prepared == prep::both_scopes) {
          // What prepare() computes from records[0] must not leak into other records' results.
          REQUIRE(act.bind(var_scope, records[0]).ok());
          f.prepare(act, (1u << fixed_scope) | (1u << var_scope) | formula::fixed_now);
          if (detail::fx::access::prepared(act)) ++t.stale_calls;
        }

        std::vector<formula_value> out(count, sentinel);
        status st;
        if (form == 0) {
          std::vector<const V*> pointers;
          for (std::size_t i = 0; i < count; ++i)
            pointers.push_back(&records[at(i)]);
          st = f.evaluate_each(act, var_scope, std::span<const V* const>(pointers), out, variable,
                               values);
        } else {
          st = f.evaluate_each(act, form == 1 ? indexed : unindexed, which, out, variable, values);
        }
        ++t.calls;
        if (!which.empty()) ++t.subset_calls;
        INFO(f.text() << "\n  " << forms[form] << ", " << to_text(prepared));
        REQUIRE(st.ok());

        for (std::size_t i = 0; i < count; ++i) {
          REQUIRE(ref.bind(var_scope, records[at(i)]).ok());
          const formula_value& load = with_var ? values[i] : base;
          REQUIRE(ref.set_variable(fx.load_var, load).ok());
          const std::string want = describe(f.evaluate(ref));
          const std::string got = describe(out[i]);
          ++t.compared;
          if (want != got && ++t.mismatches <= 8) {
            FAIL_CHECK("formula: "
                       << f.text() << "\n  " << forms[form] << ", " << to_text(prepared)
                       << (with_var ? ", per-record load" : ", load set on act") << ", out[" << i
                       << "] = record " << at(i) << "\n  fixed: " << show(fixed)
                       << "\n  varying: " << show(records[at(i)]) << "\n  load: " << describe(load)
                       << "\n  bind+evaluate: " << want << "\n  evaluate_each: " << got);
          }
        }
      }
    }
  }
}

/// check_agreement with both batches loaded here.
template <class Fx, class V, class F>
void check_agreement(const Fx& fx, const formula& f, std::size_t var_scope,
                     const std::vector<V>& records, std::size_t fixed_scope, const F& fixed,
                     dice& d, tally& t) {
  std::vector<const V*> pointers;
  for (const V& r : records)
    pointers.push_back(&r);
  record_batch indexed, unindexed;
  REQUIRE(indexed.load(f, var_scope, std::span<const V* const>(pointers)).ok());
  REQUIRE(unindexed.load(f, var_scope, std::span<const V* const>(pointers), false).ok());
  REQUIRE(indexed.size() == records.size());
  check_agreement(fx, f, var_scope, records, indexed, unindexed, fixed_scope, fixed, d, t);
}

// Score-shaped terms: lookups and comparisons on lead fields, list matches in every direction
// (fixed subject against the batch's lists, and the other way round), load terms, counters,
// fields that read as errors, constants, and overflow.
const char* const score_terms[] = {
    R"(IF(线索来源="官网表单", 100, 40))",
    R"(IF(线索来源="官网表单", 100, IF(线索来源="抖音私信", 85, IF(线索来源="展会扫码", 60, 40))))",
    "IF(客户预算>50万, 50, 0)",
    "IF(近30天互动频次>=3, 30, 0)",
    "IF(IN(lead.industry, rep.industries), 40, 0)",
    "IF(IN(lead.region, rep.regions), 20, 0)",
    "IF(IN(线索来源渠道, rep.industries), 9, 0)",
    "IF(IN(lead.region, lead.tags), 3, 0)",
    "IF(IN(rep.role, rep.skills), 7, 0)",
    "IF(IN(rep.role, lead.tags), 5, 1)",
    "2 * rep.load",
    "rep.load * 3",
    "rep.load",
    "1e308 * rep.load",
    "IF(rep.open_leads >= 10, -5, 0)",
    "IF(持有线索数 < 3, 15, 0)",
    R"(IF(rep.role="senior", 8, 0))",
    "IF(rep.revenue_3d > 1万, 6, 0)",
    "rep.open_leads",
    "rep.热度",
    "score",
    "近30天互动频次",
    "12",
    "2.5",
    "1e308",
};

std::string random_score_formula(dice& d) {
  std::string text = d.one_of(score_terms);
  const std::size_t n = d.pick(6);
  for (std::size_t k = 0; k < n; ++k)
    text += std::string(d.pick(3) == 0 ? " - " : " + ") + d.one_of(score_terms);
  return text;
}

// Formulas without a batch form: booleans, text (from records, constants and the arena),
// blanks, lists, money, division errors, products.
const char* const other_formulas[] = {
    "AND(rep.active, rep.open_leads < 100)",
    R"(IF(IN(lead.industry, rep.industries), rep.role, "none"))",
    R"(rep.role & "/" & lead.industry)",
    "UPPER(rep.role)",
    "IFERROR(100 / rep.open_leads, -1) + rep.load",
    "rep.load / rep.open_leads",
    "IF(rep.load > 5, NULL, rep.open_leads)",
    "MAX(rep.open_leads, rep.load) * IF(IN(lead.region, rep.regions), 1, 0.5)",
    "COALESCE(rep.热度, rep.load)",
    "IF(AND(rep.active, IN(lead.region, rep.regions)), 20, 0) + "
    "IF(IN(lead.industry, rep.industries), 40, 0) - 2 * rep.load",
    "IF(rep.active, rep.industries, rep.regions)",
    "rep.revenue_3d * 2 + 客户预算",
    R"(SWITCH(rep.role, "senior", 3, "manager", 2, 1) * rep.load)",
    "IN(lead.industry, rep.industries)",
};

}  // namespace

TEST_CASE("evaluate_each over reps gives each rep exactly what bind and evaluate give",
          "[formula][batch]") {
  // The assigner's shape: one lead, every rep. Random score sums over random reps, for several
  // leads against the same two batches, through every overload, prepared or not.
  fixture fx;
  dice d(20261122);
  std::vector<rep> reps;
  for (std::size_t i = 0; i < 24; ++i)
    reps.push_back(random_rep(d, i));
  std::vector<lead> leads;
  for (std::size_t i = 0; i < 40; ++i)
    leads.push_back(random_lead(d, i));

  tally t;
  std::size_t compiled = 0, fused_count = 0, indexed_batches = 0;
  for (int n = 0; n < 120; ++n) {
    const std::string text = random_score_formula(d);
    auto f = formula::compile(text, fx.env);
    if (!f) continue;  // e.g. 1e308 + 1e308 folds to an error: refused at compile time
    ++compiled;
    if (fused(**f)) ++fused_count;
    std::vector<const rep*> pointers;
    for (const rep& r : reps)
      pointers.push_back(&r);
    record_batch indexed, unindexed;
    REQUIRE(indexed.load(**f, fx.rep_scope, std::span<const rep* const>(pointers)).ok());
    REQUIRE(unindexed.load(**f, fx.rep_scope, std::span<const rep* const>(pointers), false).ok());
    if (indexed_columns(indexed) > 0) ++indexed_batches;
    CHECK(indexed_columns(unindexed) == 0);
    // Lead after lead against the same batches.
    for (int k = 0; k < 2; ++k) {
      const lead& l = leads[d.pick(leads.size())];
      check_agreement(fx, **f, fx.rep_scope, reps, indexed, unindexed, fx.lead_scope, l, d, t);
    }
  }
  CHECK(compiled > 100);
  CHECK(fused_count > 80);  // most of them are fused sums: the batch form is what is tested
  CHECK(indexed_batches > 30);
  CHECK(t.prepared_calls > 500);
  CHECK(t.stale_calls > 500);
  CHECK(t.subset_calls > 500);
  CHECK(t.compared > 40'000);
  CHECK(t.mismatches == 0);
}

TEST_CASE("evaluate_each over leads gives each lead exactly what bind and evaluate give",
          "[formula][batch]") {
  // The other way round: one rep fixed (and prepared), the leads varying. List matches then
  // have the subject in the batch and the list fixed.
  fixture fx;
  dice d(7);
  std::vector<lead> leads;
  for (std::size_t i = 0; i < 24; ++i)
    leads.push_back(random_lead(d, i));
  std::vector<rep> reps;
  for (std::size_t i = 0; i < 20; ++i)
    reps.push_back(random_rep(d, i));

  tally t;
  std::size_t compiled = 0, fused_count = 0;
  for (int n = 0; n < 60; ++n) {
    const std::string text = random_score_formula(d);
    auto f = formula::compile(text, fx.env);
    if (!f) continue;
    ++compiled;
    if (fused(**f)) ++fused_count;
    const rep& r = reps[d.pick(reps.size())];
    check_agreement(fx, **f, fx.lead_scope, leads, fx.rep_scope, r, d, t);
  }
  CHECK(compiled > 50);
  CHECK(fused_count > 40);
  CHECK(t.prepared_calls > 200);
  CHECK(t.mismatches == 0);
}

TEST_CASE("formulas without a batch form agree record by record through both overloads",
          "[formula][batch]") {
  fixture fx;
  dice d(99);
  std::vector<rep> reps;
  for (std::size_t i = 0; i < 16; ++i)
    reps.push_back(random_rep(d, i));
  std::vector<lead> leads;
  for (std::size_t i = 0; i < 6; ++i)
    leads.push_back(random_lead(d, i));

  tally t;
  for (const char* text : other_formulas) {
    INFO(text);
    const auto f = fx.compile(text);
    CHECK_FALSE(fused(*f));
    std::vector<const rep*> pointers;
    for (const rep& r : reps)
      pointers.push_back(&r);
    record_batch indexed, unindexed;
    REQUIRE(indexed.load(*f, fx.rep_scope, std::span<const rep* const>(pointers)).ok());
    REQUIRE(unindexed.load(*f, fx.rep_scope, std::span<const rep* const>(pointers), false).ok());
    for (const lead& l : leads)
      check_agreement(fx, *f, fx.rep_scope, reps, indexed, unindexed, fx.lead_scope, l, d, t);
  }
  CHECK(t.compared > 10'000);
  CHECK(t.mismatches == 0);
}

TEST_CASE("text a formula builds for one record is still that record's in out[i] afterwards",
          "[formula][batch]") {
  // UPPER and & make new text (in the activation's arena, not in a record or the formula):
  // each out[i] must still read as what bind + evaluate gave for record i once all are done.
  fixture fx;
  std::vector<rep> reps(3);
  reps[0].role = "sales";
  reps[1].role = "manager";
  reps[2].role = "经理";
  const rep* pointers[] = {&reps[0], &reps[1], &reps[2]};
  lead l;
  l.industry = "SaaS";
  const struct {
    const char* text;
    std::vector<std::string> want;
  } cases[] = {
      {"UPPER(rep.role)", {"SALES", "MANAGER", "经理"}},
      {R"(rep.role & "/" & lead.industry)", {"sales/SaaS", "manager/SaaS", "经理/SaaS"}},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto f = fx.compile(c.text);
    activation ref(*f);
    REQUIRE(ref.bind(fx.lead_scope, l).ok());
    for (std::size_t i = 0; i < reps.size(); ++i) {
      REQUIRE(ref.bind(fx.rep_scope, reps[i]).ok());
      CHECK(f->evaluate(ref).to_string() == c.want[i]);
    }
    activation act(*f);
    REQUIRE(act.bind(fx.lead_scope, l).ok());
    std::vector<formula_value> out(reps.size(), sentinel);
    REQUIRE(f->evaluate_each(act, fx.rep_scope, std::span<const rep* const>(pointers), out).ok());
    for (std::size_t i = 0; i < reps.size(); ++i) {
      INFO("pointer span, out[" << i << "]");
      CHECK(out[i].to_string() == c.want[i]);
    }
    record_batch batch;
    REQUIRE(batch.load(*f, fx.rep_scope, std::span<const rep* const>(pointers)).ok());
    std::fill(out.begin(), out.end(), sentinel);
    REQUIRE(f->evaluate_each(act, batch, {}, out).ok());
    for (std::size_t i = 0; i < reps.size(); ++i) {
      INFO("batch, out[" << i << "]");
      CHECK(out[i].to_string() == c.want[i]);
    }
  }
}

TEST_CASE("a list column with more than 64 distinct items gives up its index, not its results",
          "[formula][batch]") {
  // 64 distinct items (ASCII case variants are one item) keep the bit index; a 65th gives it
  // up. Either way every lead gets what bind + evaluate gives.
  fixture fx;
  dice d(64);
  const auto f = fx.compile(
      "IF(IN(lead.industry, rep.industries), 40, 0) + IF(IN(lead.region, rep.regions), 20, 0) - "
      "2 * rep.load");
  REQUIRE(fused(*f));
  auto item = [](std::size_t k) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "Ind%02zu", k);
    return std::string(buf);
  };
  auto upper = [](std::string s) {
    for (char& c : s)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
  };
  for (const std::size_t distinct : {std::size_t{64}, std::size_t{65}, std::size_t{70}}) {
    INFO("distinct items: " << distinct);
    std::vector<rep> reps(20);
    for (std::size_t i = 0; i < reps.size(); ++i) {
      reps[i].id = rep_id{"R" + std::to_string(i)};
      reps[i].regions = {i % 2 == 0 ? "华东" : "East"};
    }
    // Every item in some rep's list, most of them twice in different case.
    for (std::size_t k = 0; k < distinct; ++k) {
      reps[k % reps.size()].industries.push_back(item(k));
      reps[(k * 7 + 3) % reps.size()].industries.push_back(upper(item(k)));
    }
    std::vector<lead> leads;
    for (std::size_t k = 0; k < distinct + 2; ++k) {
      lead l;
      l.id = lead_id{"L" + std::to_string(k)};
      // Items in the three spellings; then one nobody serves, and a blank industry.
      l.industry = k < distinct    ? (k % 3 == 0   ? item(k)
                                      : k % 3 == 1 ? upper(item(k))
                                                   : "ind" + item(k).substr(3))
                   : k == distinct ? "Ind99"
                                   : "";
      l.region = k % 2 == 0 ? "east" : "华东";
      leads.push_back(std::move(l));
    }
    std::vector<const rep*> pointers;
    for (const rep& r : reps)
      pointers.push_back(&r);
    record_batch indexed, unindexed;
    REQUIRE(indexed.load(*f, fx.rep_scope, std::span<const rep* const>(pointers)).ok());
    REQUIRE(unindexed.load(*f, fx.rep_scope, std::span<const rep* const>(pointers), false).ok());
    // Regions always fit; industries fit only up to 64 distinct items.
    CHECK(indexed_columns(indexed) == (distinct <= 64 ? 2u : 1u));

    tally t;
    std::size_t matched = 0;
    for (const lead& l : leads) {
      check_agreement(fx, *f, fx.rep_scope, reps, indexed, unindexed, fx.lead_scope, l, d, t);
      // The lead's industry is served by two reps (one in each case) unless nobody serves it.
      activation act(*f);
      REQUIRE(act.bind(fx.lead_scope, l).ok());
      std::vector<formula_value> out(reps.size());
      REQUIRE(f->evaluate_each(act, indexed, {}, out).ok());
      for (const formula_value& v : out)
        matched += v.as_number() >= 40 ? 1 : 0;
    }
    CHECK(matched == 2 * distinct);
    CHECK(t.mismatches == 0);
    CHECK(t.compared > 1000);
  }
}

TEST_CASE("reload(i) makes the batch see a changed rep and leaves the others' results alone",
          "[formula][batch]") {
  fixture fx;
  dice d(4);
  const bool index_lists = GENERATE(true, false);
  INFO("index_lists: " << index_lists);
  const std::size_t lists = index_lists ? 2 : 0;  // list columns with a usable index
  const auto f = fx.compile(
      "IF(IN(lead.industry, rep.industries), 40, 0) + IF(IN(lead.region, rep.regions), 20, 0) + "
      "IF(rep.open_leads >= 10, -5, 0) + IF(rep.role=\"senior\", 8, 0) + rep.热度 - 2 * rep.load");
  REQUIRE(fused(*f));
  std::vector<rep> reps;
  for (std::size_t i = 0; i < 12; ++i) {
    rep r;
    r.id = rep_id{"R" + std::to_string(i)};
    if (i != 10) r.industries = {i % 2 == 0 ? "SaaS" : "制造"};  // rep 10: none yet
    r.regions = {i % 3 == 0 ? "华东" : "华南"};
    r.open_leads = static_cast<std::int64_t>(i);
    reps.push_back(std::move(r));
  }
  lead l;
  l.id = lead_id{"L1"};
  l.industry = "saas";
  l.region = "华北";
  std::vector<const rep*> pointers;
  for (const rep& r : reps)
    pointers.push_back(&r);
  record_batch batch;
  REQUIRE(batch.load(*f, fx.rep_scope, std::span<const rep* const>(pointers), index_lists).ok());
  REQUIRE(indexed_columns(batch) == lists);

  activation act(*f);
  act.set_now(fx.now);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  REQUIRE(act.set_variable(fx.load_var, formula_value::of_number(1)).ok());
  f->prepare(act, 1u << fx.lead_scope);
  auto results = [&] {
    std::vector<formula_value> out(reps.size(), sentinel);
    REQUIRE(f->evaluate_each(act, batch, {}, out).ok());
    std::vector<std::string> shown;
    for (const formula_value& v : out)
      shown.push_back(describe(v));
    return shown;
  };
  auto expected = [&](const rep& r) {
    activation ref(*f);
    REQUIRE(ref.bind(fx.lead_scope, l).ok());
    REQUIRE(ref.bind(fx.rep_scope, r).ok());
    REQUIRE(ref.set_variable(fx.load_var, formula_value::of_number(1)).ok());
    return describe(f->evaluate(ref));
  };
  const std::vector<std::string> before = results();
  for (std::size_t i = 0; i < reps.size(); ++i)
    CHECK(before[i] == expected(reps[i]));
  CHECK(before[0] == "number 38 (0x1.3p+5)");  // SaaS matches saas: 40 - 2
  CHECK(before[1] == "number -2 (-0x1p+1)");
  CHECK(before[10] == "number -7 (-0x1.cp+2)");  // no industries, 10 open leads: -5 - 2

  // Rep 1 now serves 华北 and SAAS, holds 12 leads, is senior and has a heat of 0.5.
  reps[1].industries = {"教育", "SAAS"};
  reps[1].regions = {"华北"};
  reps[1].open_leads = 12;
  reps[1].role = "Senior";
  reps[1].custom.set("热度", 0.5);
  REQUIRE(batch.reload<rep>(1).ok());
  std::vector<std::string> after = results();
  CHECK(after[1] == expected(reps[1]));
  CHECK(after[1] == "number 61.5 (0x1.ecp+5)");  // 40 + 20 - 5 + 8 + 0.5 - 2
  for (std::size_t i = 0; i < reps.size(); ++i) {
    if (i != 1) CHECK(after[i] == before[i]);
  }

  // Rep 4 loses its lists, rep 10 gets its first: the batch forgets old items and learns new.
  reps[4].industries.clear();
  reps[4].regions.clear();
  reps[10].industries = {"Saas"};
  REQUIRE(batch.reload<rep>(4).ok());
  REQUIRE(batch.reload<rep>(10).ok());
  CHECK(indexed_columns(batch) == lists);
  after = results();
  CHECK(after[4] == expected(reps[4]));
  CHECK(after[4] == "number -2 (-0x1p+1)");
  CHECK(after[10] == expected(reps[10]));
  CHECK(after[10] == "number 33 (0x1.08p+5)");  // Saas matches saas: 40 - 5 - 2
  CHECK(after[1] == expected(reps[1]));

  // Rep 7's new list pushes the industries past 64 distinct items: the index is given up and
  // the results stay right, for rep 7 and everyone else.
  std::vector<std::string> many;
  for (int k = 0; k < 70; ++k)
    many.push_back("行业" + std::to_string(k));
  many.push_back("saas");
  reps[7].industries = many;
  REQUIRE(batch.reload<rep>(7).ok());
  CHECK(indexed_columns(batch) == (index_lists ? 1u : 0u));
  after = results();
  for (std::size_t i = 0; i < reps.size(); ++i) {
    INFO("rep " << i);
    CHECK(after[i] == expected(reps[i]));
  }
  CHECK(after[7] != before[7]);  // 制造 before, saas now

  // After that, reloads keep working without the index.
  reps[3].industries = {"saas"};
  REQUIRE(batch.reload<rep>(3).ok());
  after = results();
  CHECK(after[3] == expected(reps[3]));
  CHECK(after[3] != before[3]);

  // Loading all again rebuilds the index from the current records; results agree again.
  reps[7].industries = {"SaaS"};
  REQUIRE(batch.load(*f, fx.rep_scope, std::span<const rep* const>(pointers), index_lists).ok());
  CHECK(indexed_columns(batch) == lists);
  tally t;
  check_agreement(fx, *f, fx.rep_scope, reps, batch, batch, fx.lead_scope, l, d, t);
  CHECK(t.mismatches == 0);
}

TEST_CASE("a list column holding an error value gives #VALUE! for that record, index or not",
          "[formula][batch]") {
  // A custom list attribute that holds text instead of a list reads as #VALUE!: the column
  // cannot be indexed, the other list column still is, and every result is bind + evaluate's.
  struct list_fixture {
    formula_env env{[] {
      schema_set s = test_schemas();
      field_def served;
      served.name = "擅长";
      served.type = value_type::string_list;
      REQUIRE(s.of(record_kind::rep).add_field(served).ok());
      return s;
    }()};
    std::size_t lead_scope = *env.add_scope("lead", record_kind::lead);
    std::size_t rep_scope = *env.add_scope("rep", record_kind::rep);
    std::size_t load_var = *env.add_variable("rep.load", formula_type::number, rep_scope);
    timestamp now = *parse_timestamp("2026-11-20T09:00:00+08:00");
  } fx;
  dice d(11);
  auto compiled = formula::compile(
      "IF(IN(lead.industry, rep.擅长), 40, 0) + IF(IN(lead.region, rep.regions), "
      "20, 0) - 2 * rep.load",
      fx.env);
  REQUIRE(compiled);
  const formula& f = **compiled;
  REQUIRE(fused(f));
  std::vector<rep> reps(8);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    reps[i].id = rep_id{"R" + std::to_string(i)};
    reps[i].regions = {i % 2 == 0 ? "华东" : "EAST"};
    if (i % 4 == 1) reps[i].custom.set("擅长", value::string_list{"SaaS", "制造"});
    if (i % 4 == 2) reps[i].custom.set("擅长", value::string_list{"saas"});
  }
  reps[5].custom.set("擅长", "SaaS");  // text, not a list: #VALUE!
  std::vector<lead> leads(4);
  leads[0].industry = "SAAS";
  leads[1].industry = "制造";
  leads[2].region = "east";
  leads[3].region = "华东";
  leads[3].industry = "saas";

  std::vector<const rep*> pointers;
  for (const rep& r : reps)
    pointers.push_back(&r);
  record_batch indexed, unindexed;
  REQUIRE(indexed.load(f, fx.rep_scope, std::span<const rep* const>(pointers)).ok());
  REQUIRE(unindexed.load(f, fx.rep_scope, std::span<const rep* const>(pointers), false).ok());
  CHECK(indexed_columns(indexed) == 1);  // regions only
  tally t;
  for (const lead& l : leads)
    check_agreement(fx, f, fx.rep_scope, reps, indexed, unindexed, fx.lead_scope, l, d, t);
  CHECK(t.mismatches == 0);

  activation act(f);
  REQUIRE(act.bind(fx.lead_scope, leads[0]).ok());
  std::vector<formula_value> out(reps.size());
  REQUIRE(f.evaluate_each(act, indexed, {}, out).ok());
  CHECK(out[5].error() == formula_error::value);
  CHECK(out[1].to_string() == "40");
  CHECK(out[2].to_string() == "40");  // "saas" is "SAAS"
  CHECK(out[0].to_string() == "0");

  // Fixed by a reload, the record's result is a number again (the index stays given up).
  reps[5].custom.set("擅长", value::string_list{"SAAS"});
  REQUIRE(indexed.reload<rep>(5).ok());
  REQUIRE(unindexed.reload<rep>(5).ok());
  REQUIRE(f.evaluate_each(act, indexed, {}, out).ok());
  CHECK(out[5].to_string() == "40");
  // And an indexed column that comes to hold an error gives its index up on reload.
  record_batch fresh;
  REQUIRE(fresh.load(f, fx.rep_scope, std::span<const rep* const>(pointers)).ok());
  CHECK(indexed_columns(fresh) == 2);
  reps[2].custom.set("擅长", 3);
  REQUIRE(fresh.reload<rep>(2).ok());
  REQUIRE(unindexed.reload<rep>(2).ok());  // every batch holding the record must read it again
  CHECK(indexed_columns(fresh) == 1);
  REQUIRE(f.evaluate_each(act, fresh, {}, out).ok());
  CHECK(out[2].error() == formula_error::value);
  for (const lead& l : leads)
    check_agreement(fx, f, fx.rep_scope, reps, fresh, unindexed, fx.lead_scope, l, d, t);
  CHECK(t.mismatches == 0);
}

TEST_CASE("a moved record_batch keeps serving evaluate_each", "[formula][batch]") {
  fixture fx;
  const auto f = fx.compile("IF(IN(lead.region, rep.regions), 20, 0) - rep.open_leads");
  std::vector<rep> reps(3);
  reps[0].regions = {"华东"};
  reps[1].regions = {"华南", "East"};
  reps[2].open_leads = 4;
  std::vector<const rep*> pointers{&reps[0], &reps[1], &reps[2]};
  record_batch first;
  REQUIRE(first.load(*f, fx.rep_scope, std::span<const rep* const>(pointers)).ok());
  record_batch batch = std::move(first);
  REQUIRE(batch.size() == 3);
  lead l;
  l.region = "east";
  activation act(*f);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  std::vector<formula_value> out(3);
  REQUIRE(f->evaluate_each(act, batch, {}, out).ok());
  CHECK(out[0].to_string() == "0");
  CHECK(out[1].to_string() == "20");
  CHECK(out[2].to_string() == "-4");
}

TEST_CASE("evaluate_each and record_batch refuse bad input and then write nothing",
          "[formula][batch]") {
  fixture fx;
  const auto score = fx.compile("IF(IN(lead.region, rep.regions), 20, 0) - 2 * rep.load");
  const auto eligible = fx.compile("AND(rep.active, rep.open_leads < 100)");
  REQUIRE(fused(*score));
  REQUIRE_FALSE(fused(*eligible));
  std::vector<rep> reps(4);
  for (std::size_t i = 0; i < reps.size(); ++i)
    reps[i].regions = {"华东"};
  std::vector<const rep*> rep_ptrs{&reps[0], &reps[1], &reps[2], &reps[3]};
  const std::span<const rep* const> rep_span(rep_ptrs);
  lead l;
  l.region = "华东";
  std::vector<lead> leads(2);
  std::vector<const lead*> lead_ptrs{&leads[0], &leads[1]};
  const std::span<const lead* const> lead_span(lead_ptrs);
  const formula_value ok_load = formula_value::of_number(1);

  auto untouched = [](const std::vector<formula_value>& out) {
    return std::all_of(out.begin(), out.end(),
                       [](const formula_value& v) { return describe(v) == describe(sentinel); });
  };

  // Both kinds: the fused sum (batch form) and a formula evaluated record by record.
  const bool fused_kind = GENERATE(true, false);
  const formula* f = fused_kind ? score.get() : eligible.get();
  const formula* other = fused_kind ? eligible.get() : score.get();
  INFO(f->text());
  activation act(*f);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  REQUIRE(act.set_variable(fx.load_var, ok_load).ok());
  record_batch batch;
  REQUIRE(batch.load(*f, fx.rep_scope, rep_span).ok());
  std::vector<formula_value> out(4, sentinel);
  const std::vector<formula_value> loads(4, ok_load);

  SECTION("an activation made for another formula") {
    activation foreign(*other);
    REQUIRE(foreign.bind(fx.lead_scope, l).ok());
    status st = f->evaluate_each(foreign, fx.rep_scope, rep_span, out);
    CHECK(st.code() == status_code::invalid_argument);
    st = f->evaluate_each(foreign, batch, {}, out);
    CHECK(st.is_invalid_argument());
    CHECK(untouched(out));
  }
  SECTION("a batch loaded for another formula, or never loaded") {
    record_batch foreign;
    REQUIRE(foreign.load(*other, fx.rep_scope, rep_span).ok());
    CHECK(f->evaluate_each(act, foreign, {}, out).is_invalid_argument());
    const record_batch never;
    CHECK(never.empty());
    std::vector<formula_value> none;
    CHECK(f->evaluate_each(act, never, {}, none).is_invalid_argument());
    CHECK(untouched(out));
  }
  SECTION("records of the wrong kind for the scope, or a scope the formula does not have") {
    std::vector<formula_value> two(2, sentinel);
    CHECK(f->evaluate_each(act, fx.rep_scope, lead_span, two).is_invalid_argument());
    CHECK(f->evaluate_each(act, 7, rep_span, out).is_invalid_argument());
    CHECK(untouched(two));
    CHECK(untouched(out));
    // A load that fails leaves the batch empty, and an empty unloaded batch is refused.
    CHECK(batch.load(*f, fx.rep_scope, lead_span).code() == status_code::invalid_argument);
    CHECK(batch.empty());
    CHECK(batch.size() == 0);
    CHECK(f->evaluate_each(act, batch, {}, out).is_invalid_argument());
    CHECK(batch.load(*f, 7, rep_span).is_invalid_argument());
    CHECK(batch.empty());
    CHECK(untouched(out));
  }
  SECTION("out of the wrong length") {
    std::vector<formula_value> shorter(3, sentinel), longer(5, sentinel);
    CHECK(f->evaluate_each(act, fx.rep_scope, rep_span, shorter).is_invalid_argument());
    CHECK(f->evaluate_each(act, fx.rep_scope, rep_span, longer).is_invalid_argument());
    CHECK(f->evaluate_each(act, batch, {}, shorter).is_invalid_argument());
    CHECK(f->evaluate_each(act, batch, {}, longer).is_invalid_argument());
    // With `which`, out follows which, not the batch.
    const std::vector<std::uint32_t> which{3, 3};
    CHECK(f->evaluate_each(act, batch, which, out).is_invalid_argument());
    std::vector<formula_value> two(2, sentinel);
    CHECK(f->evaluate_each(act, batch, which, two).ok());
    CHECK_FALSE(untouched(two));
    CHECK(untouched(shorter));
    CHECK(untouched(longer));
    CHECK(untouched(out));
  }
  SECTION("variable values of the wrong length, or an unknown variable") {
    const std::vector<formula_value> three(3, ok_load), five(5, ok_load);
    CHECK(f->evaluate_each(act, fx.rep_scope, rep_span, out, fx.load_var, three)
              .is_invalid_argument());
    CHECK(f->evaluate_each(act, fx.rep_scope, rep_span, out, fx.load_var, five)
              .is_invalid_argument());
    CHECK(
        f->evaluate_each(act, fx.rep_scope, rep_span, out, fx.load_var, {}).is_invalid_argument());
    CHECK(f->evaluate_each(act, batch, {}, out, fx.load_var, three).is_invalid_argument());
    const std::vector<std::uint32_t> which{0, 1};
    CHECK(f->evaluate_each(act, batch, which, std::span(out).first(2), fx.load_var, loads)
              .is_invalid_argument());  // values follow out (2), not the batch (4)
    CHECK(f->evaluate_each(act, fx.rep_scope, rep_span, out, 42, loads).is_invalid_argument());
    CHECK(f->evaluate_each(act, batch, {}, out, 42, loads).is_invalid_argument());
    CHECK(untouched(out));
  }
  SECTION("a variable value of the wrong type or not finite") {
    const formula_value bad[] = {
        formula_value::of_string("2"),
        formula_value::of_bool(true),
        formula_value::of_money(money::from_minor(100)),
        formula_value::blank(formula_type::string),
        formula_value::of_number(std::numeric_limits<double>::quiet_NaN()),
        formula_value::of_number(std::numeric_limits<double>::infinity()),
        formula_value::of_number(-std::numeric_limits<double>::infinity()),
    };
    for (const formula_value& b : bad) {
      INFO("bad value: " << describe(b));
      // set_variable refuses it too: evaluate_each applies the same checks.
      activation probe(*f);
      CHECK(probe.set_variable(fx.load_var, b).is_invalid_argument());
      for (std::size_t pos : {std::size_t{0}, std::size_t{2}, std::size_t{3}}) {
        std::vector<formula_value> values = loads;
        values[pos] = b;
        CHECK(f->evaluate_each(act, fx.rep_scope, rep_span, out, fx.load_var, values)
                  .is_invalid_argument());
        CHECK(f->evaluate_each(act, batch, {}, out, fx.load_var, values).is_invalid_argument());
        CHECK(untouched(out));
      }
    }
  }
  SECTION("a position past the batch") {
    const std::vector<std::uint32_t> past{0, 4}, far{std::numeric_limits<std::uint32_t>::max()};
    std::vector<formula_value> two(2, sentinel), one(1, sentinel);
    CHECK(f->evaluate_each(act, batch, past, two).is_invalid_argument());
    CHECK(f->evaluate_each(act, batch, far, one).is_invalid_argument());
    CHECK(untouched(two));
    CHECK(untouched(one));
  }
  SECTION("reload past the batch, or of another kind of record") {
    CHECK(batch.reload<rep>(4).is_invalid_argument());
    CHECK(batch.reload<rep>(std::size_t{1} << 40).is_invalid_argument());
    CHECK(batch.reload<lead>(0).is_invalid_argument());
    // The batch is still usable afterwards.
    CHECK(batch.reload<rep>(3).ok());
    CHECK(f->evaluate_each(act, batch, {}, out).ok());
    CHECK_FALSE(untouched(out));
  }
}

TEST_CASE("an empty record set and an empty batch are fine and write nothing", "[formula][batch]") {
  fixture fx;
  for (const char* text : {"IF(IN(lead.region, rep.regions), 20, 0) - 2 * rep.load",
                           "AND(rep.active, rep.open_leads < 100)"}) {
    INFO(text);
    const auto f = fx.compile(text);
    activation act(*f);
    lead l;
    REQUIRE(act.bind(fx.lead_scope, l).ok());
    f->prepare(act, 1u << fx.lead_scope);
    const std::span<const rep* const> no_reps;
    std::vector<formula_value> out;
    CHECK(f->evaluate_each(act, fx.rep_scope, no_reps, out).ok());
    CHECK(f->evaluate_each(act, fx.rep_scope, no_reps, out, fx.load_var, {}).ok());
    // Still checked: an empty set of the wrong kind is refused.
    CHECK(f->evaluate_each(act, fx.rep_scope, std::span<const lead* const>(), out)
              .is_invalid_argument());

    for (const bool index_lists : {true, false}) {
      record_batch batch;
      REQUIRE(batch.load(*f, fx.rep_scope, no_reps, index_lists).ok());
      CHECK(batch.empty());
      CHECK(f->evaluate_each(act, batch, {}, out).ok());
      CHECK(f->evaluate_each(act, batch, {}, out, fx.load_var, {}).ok());
      CHECK(batch.reload<rep>(0).is_invalid_argument());
      // Nothing to pick from an empty batch.
      const std::vector<std::uint32_t> which{0};
      std::vector<formula_value> one(1, sentinel);
      CHECK(f->evaluate_each(act, batch, which, one).is_invalid_argument());
      CHECK(f->evaluate_each(act, batch, {}, one).is_invalid_argument());  // room for 1, not 0
      CHECK(describe(one[0]) == describe(sentinel));
    }

    // An empty `which` means every record, not none: with one record loaded it writes out[0].
    rep r;
    const rep* one_rep[] = {&r};
    record_batch batch;
    REQUIRE(batch.load(*f, fx.rep_scope, std::span<const rep* const>(one_rep)).ok());
    std::vector<formula_value> one(1, sentinel);
    CHECK(f->evaluate_each(act, batch, {}, one).ok());
    CHECK(describe(one[0]) != describe(sentinel));
  }
}
