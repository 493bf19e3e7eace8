// The bytecode VM against the reference tree evaluator, and evaluation without heap allocation.
#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "rules/formula_fixture.hpp"

using namespace formula_test;

// ---------------------------------------------------------------------------------------------
// Counting allocations (this replaces the global operator new for the whole test program; it
// only counts while `counting` is set on the calling thread).

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (counting) ++allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n) {
  return ::operator new(n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return ::operator new(n, t);
}
// Every unaligned form is replaced, so that a sanitizer's own allocator never sees a block from
// the other family (std::stable_sort uses the nothrow form for its temporary buffer).
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace {

struct count_allocations {
  count_allocations() {
    allocations = 0;
    counting = true;
  }
  ~count_allocations() { counting = false; }
  count_allocations(const count_allocations&) = delete;
  count_allocations& operator=(const count_allocations&) = delete;
  [[nodiscard]] std::size_t count() const { return allocations; }
};

// ---------------------------------------------------------------------------------------------
// Random well-typed formulas

class formula_maker {
 public:
  explicit formula_maker(std::uint32_t seed) : rng_(seed) {}

  std::string make(formula_type t, int depth) {
    if (depth <= 0 || pick(4) == 0) return leaf(t);
    switch (t) {
      case formula_type::number:
        return number(depth - 1);
      case formula_type::boolean:
        return boolean(depth - 1);
      case formula_type::string:
        return text(depth - 1);
      case formula_type::money:
        return money_expr(depth - 1);
      case formula_type::time:
        return time_expr(depth - 1);
      case formula_type::interval:
        return duration_expr(depth - 1);
      default:
        return leaf(t);
    }
  }

 private:
  std::uint32_t pick(std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_);
  }
  template <class... S>
  std::string one_of(S... s) {
    const std::string options[] = {std::string(s)...};
    return options[pick(sizeof...(S))];
  }

  std::string leaf(formula_type t) {
    switch (t) {
      case formula_type::number:
        return one_of("0", "1", "2.5", "-3", "10", "score", "近30天互动频次", "rep.load", "NULL",
                      "1e308", "LEN(线索来源)");
      case formula_type::boolean:
        return one_of("TRUE", "FALSE", "NULL", "ISBLANK(电话)", "rep.active");
      case formula_type::string:
        return one_of(R"("官网表单")", R"("")", "线索来源", "区域", "邮箱", R"("VIP")", "NULL",
                      "rep.role");
      case formula_type::money:
        return one_of("客户预算", "50万", "0", "rep.revenue_3d", "NULL");
      case formula_type::time:
        return one_of("创建时间", "首次跟进时间", "NOW()", "下次回访", "NULL");
      case formula_type::interval:
        return one_of("2h", "7d", "0s", "rep.avg_response", "NULL");
      default:
        return "NULL";
    }
  }

  std::string number(int d) {
    switch (pick(12)) {
      case 0:
        return "(" + make(formula_type::number, d) + " + " + make(formula_type::number, d) + ")";
      case 1:
        return "(" + make(formula_type::number, d) + " - " + make(formula_type::number, d) + " * " +
               make(formula_type::number, d) + ")";
      case 2:
        return "(" + make(formula_type::number, d) + " / " + make(formula_type::number, d) + ")";
      case 3:
        return "IF(" + make(formula_type::boolean, d) + ", " + make(formula_type::number, d) +
               ", " + make(formula_type::number, d) + ")";
      case 4:
        return "IFERROR(" + make(formula_type::number, d) + ", " + make(formula_type::number, d) +
               ")";
      case 5:
        return "MIN(" + make(formula_type::number, d) + ", " + make(formula_type::number, d) +
               ", " + make(formula_type::number, d) + ")";
      case 6:
        return "ROUND(" + make(formula_type::number, d) + ", " + one_of("0", "2", "-1") + ")";
      case 7:
        return "SWITCH(" + make(formula_type::string, d) + R"(, "官网表单", )" +
               make(formula_type::number, d) + R"(, "VIP", 2, )" + make(formula_type::number, d) +
               ")";
      case 8:
        return "IFS(" + make(formula_type::boolean, d) + ", 1, " + make(formula_type::boolean, d) +
               ", " + make(formula_type::number, d) + ")";
      case 9:
        return "HOURS_SINCE(" + make(formula_type::time, d) + ")";
      case 10:
        return "(" + make(formula_type::money, d) + " / " + make(formula_type::money, d) + ")";
      default:
        return "COALESCE(" + make(formula_type::number, d) + ", " + make(formula_type::number, d) +
               ")";
    }
  }

  std::string boolean(int d) {
    switch (pick(10)) {
      case 0:
        return make(formula_type::number, d) + " > " + make(formula_type::number, d);
      case 1:
        return make(formula_type::string, d) + " = " + make(formula_type::string, d);
      case 2:
        return "AND(" + make(formula_type::boolean, d) + ", " + make(formula_type::boolean, d) +
               ")";
      case 3:
        return "(" + make(formula_type::boolean, d) + " OR " + make(formula_type::boolean, d) + ")";
      case 4:
        return "NOT(" + make(formula_type::boolean, d) + ")";
      case 5:
        return "IN(" + make(formula_type::string, d) + R"(, "华东", "官网表单", rep.regions))";
      case 6:
        return make(formula_type::money, d) + " >= " + make(formula_type::number, d);
      case 7:
        return make(formula_type::time, d) + " < " + make(formula_type::time, d);
      case 8:
        return "ISERROR(" + make(formula_type::number, d) + ")";
      default:
        return "BETWEEN(" + make(formula_type::number, d) + ", 0, 100)";
    }
  }

  std::string text(int d) {
    switch (pick(6)) {
      case 0:
        return "(" + make(formula_type::string, d) + " & " + make(formula_type::number, d) + ")";
      case 1:
        return "LOWER(" + make(formula_type::string, d) + ")";
      case 2:
        return "TRIM(" + make(formula_type::string, d) + ")";
      case 3:
        return "IF(" + make(formula_type::boolean, d) + ", " + make(formula_type::string, d) +
               ", " + make(formula_type::string, d) + ")";
      case 4:
        return R"(IF(线索来源="官网表单", "a", IF(线索来源="抖音私信", "b", )" +
               make(formula_type::string, d) + "))";
      default:
        return "COALESCE(" + make(formula_type::string, d) + R"(, "none"))";
    }
  }

  std::string money_expr(int d) {
    switch (pick(4)) {
      case 0:
        return "(" + make(formula_type::money, d) + " + " + make(formula_type::number, d) + ")";
      case 1:
        return "(" + make(formula_type::money, d) + " * " + make(formula_type::number, d) + ")";
      case 2:
        return "MAX(" + make(formula_type::money, d) + ", " + make(formula_type::money, d) + ")";
      default:
        return "ROUND(" + make(formula_type::money, d) + ", " + one_of("0", "1", "-2") + ")";
    }
  }

  std::string time_expr(int d) {
    return pick(2) == 0
               ? "(" + make(formula_type::time, d) + " + " + make(formula_type::interval, d) + ")"
               : "(" + make(formula_type::time, d) + " - " + make(formula_type::interval, d) + ")";
  }

  std::string duration_expr(int d) {
    switch (pick(3)) {
      case 0:
        return "(" + make(formula_type::time, d) + " - " + make(formula_type::time, d) + ")";
      case 1:
        return "(" + make(formula_type::interval, d) + " * " + make(formula_type::number, d) + ")";
      default:
        return "ABS(" + make(formula_type::interval, d) + ")";
    }
  }

  std::mt19937 rng_;
};

std::vector<lead> sample_leads() {
  std::vector<lead> out;
  const char* sources[] = {"官网表单", "抖音私信", "VIP", "", "展会扫码"};
  for (int i = 0; i < 5; ++i) {
    lead l;
    l.id = lead_id{"L" + std::to_string(i)};
    l.source = sources[i];
    l.region = i % 2 ? "华东" : "华北";
    l.email = i == 3 ? "" : "A.B@Example.COM";
    l.phone = i % 3 ? "13800138000" : "";
    if (i != 2) l.budget = money::from_minor(i * 12345678 - 30000);
    l.created_at = *parse_timestamp("2026-11-18T09:00:00Z") + std::chrono::hours(i * 5);
    if (i % 2) l.first_touch_at = l.created_at + std::chrono::minutes(90);
    if (i != 1) l.custom.set("近30天互动频次", std::int64_t{i - 1});
    l.custom.set("score", i == 4 ? 0.0 : 1.5 * i);
    out.push_back(l);
  }
  return out;
}

}  // namespace

TEST_CASE("the VM and the tree evaluator agree on thousands of random formulas", "[formula][vm]") {
  fixture fx;
  formula_maker maker(20261122);
  const auto leads = sample_leads();
  rep r;
  r.id = rep_id{"R1"};
  r.role = "senior";
  r.regions = {"华东"};
  r.avg_response = std::chrono::minutes(45);
  r.revenue_3d = money::from_major(80000);
  const formula_type types[] = {formula_type::number, formula_type::boolean, formula_type::string,
                                formula_type::money, formula_type::interval};
  int compiled = 0, mismatches = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = maker.make(types[i % 5], 4);
    auto f = formula::compile(text, fx.env);
    if (!f) continue;  // e.g. a constant part that always fails: refused, which is fine here
    ++compiled;
    activation act(**f);
    act.set_now(fx.now);
    REQUIRE(act.bind(fx.rep_scope, r).ok());
    REQUIRE(act.set_variable(fx.load_var, formula_value::of_number(i % 7 - 2)).ok());
    for (const lead& l : leads) {
      REQUIRE(act.bind(fx.lead_scope, l).ok());
      const std::string vm = (*f)->evaluate(act).to_string();
      const std::string tree = detail::fx::evaluate_tree(**f, act).to_string();
      if (vm != tree) {
        ++mismatches;
        FAIL_CHECK(text << "\n  lead " << l.id.str() << ": VM " << vm << ", tree " << tree);
      }
    }
    // Partial evaluation with the rep fixed gives the same results too.
    (*f)->prepare(act, 1u << fx.rep_scope);
    for (const lead& l : leads) {
      REQUIRE(act.bind(fx.lead_scope, l).ok());
      const std::string prepared = (*f)->evaluate(act).to_string();
      const std::string tree = detail::fx::evaluate_tree(**f, act).to_string();
      if (prepared != tree)
        FAIL_CHECK(text << "\n  prepared, lead " << l.id.str() << ": " << prepared << " vs "
                        << tree);
    }
  }
  CHECK(compiled > 2000);
  CHECK(mismatches == 0);
}

TEST_CASE("weight formulas (sums of simple IF terms) agree with the tree evaluator",
          "[formula][vm]") {
  // The shape the VM runs without a machine: constants, fields and IF(field <op> constant, a, b)
  // or IF chains on a text field, added and subtracted. Blank fields, missing attributes and
  // overflow must come out exactly as the tree computes them.
  fixture fx;
  std::mt19937 rng(7);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const char* terms[] = {
      R"(IF(线索来源="官网表单", 100, IF(线索来源="抖音私信", 85, IF(线索来源="展会扫码", 60, 40))))",
      R"(IF(线索来源="vip", 1, 0))",
      "IF(客户预算>50万, 50, 0)",
      "IF(客户预算<=0, -5, 2.5)",
      "IF(近30天互动频次>=3, 30, 0)",
      "IF(近30天互动频次<>0, 1e308, 0)",
      "IF(score=1.5, 7, 3)",
      "IF(区域=\"华东\", 10, 0)",
      "IF(创建时间>NOW(), 1, 2)",
      "score",
      "近30天互动频次",
      "12",
      "1e308",
  };
  const auto leads = sample_leads();
  int checked = 0, fast = 0;
  for (int i = 0; i < 400; ++i) {
    std::string text = terms[pick(std::size(terms))];
    const std::size_t n = pick(5);
    for (std::size_t k = 0; k < n; ++k)
      text += std::string(pick(3) == 0 ? " - " : " + ") + terms[pick(std::size(terms))];
    auto f = formula::compile(text, fx.env);
    if (!f) continue;  // e.g. 1e308 + 1e308 folds to an error: refused at compile time
    if (detail::fx::access::prog(**f).bc.score_only) ++fast;
    activation act(**f);
    act.set_now(fx.now);
    for (const lead& l : leads) {
      REQUIRE(act.bind(fx.lead_scope, l).ok());
      const std::string vm = (*f)->evaluate(act).to_string();
      const std::string tree = detail::fx::evaluate_tree(**f, act).to_string();
      INFO(text << "\n  lead " << l.id.str());
      CHECK(vm == tree);
      ++checked;
    }
  }
  CHECK(checked > 1000);
  CHECK(fast > 200);  // most of them take the machine-free path
}

TEST_CASE("evaluating a compiled formula allocates nothing on the heap", "[formula][vm]") {
  fixture fx;
  const auto leads = sample_leads();
  for (const std::string_view text :
       {seed_formula,
        std::string_view(R"(IF(AND(区域 = "华东", 客户预算 > 10万), HOURS_SINCE(创建时间), -1))"),
        std::string_view(
            R"(IFERROR(score / (近30天互动频次 - 1), 0) + LEN(LOWER(邮箱) & TRIM(线索来源)))")}) {
    INFO(text);
    const auto f = fx.compile(text);
    activation act(*f);
    act.set_now(fx.now);
    // Warm up: the first evaluations may grow the activation's arena once.
    for (const lead& l : leads) {
      REQUIRE(act.bind(fx.lead_scope, l).ok());
      (void)f->evaluate(act);
    }
    count_allocations counter;
    double sink = 0;
    for (int round = 0; round < 100; ++round) {
      for (const lead& l : leads) {
        (void)act.bind(fx.lead_scope, l);
        sink += f->evaluate(act).as_number();
      }
    }
    CHECK(counter.count() == 0);
    (void)sink;
  }
}

TEST_CASE("partial evaluation allocates nothing per rep once prepared", "[formula][vm]") {
  fixture fx;
  const auto f = fx.compile(std::string(seed_formula) +
                            " + IF(IN(lead.region, rep.regions), 20, 0) - rep.load");
  lead l = seed_lead("官网表单", "60万", 5);
  l.region = "华东";
  std::vector<rep> reps(10);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    reps[i].id = rep_id{"R" + std::to_string(i)};
    reps[i].regions = {i % 2 ? "华东" : "华北"};
  }
  activation act(*f);
  REQUIRE(act.bind(fx.lead_scope, l).ok());
  f->prepare(act, 1u << fx.lead_scope);
  (void)act.bind(fx.rep_scope, reps[0]);
  (void)f->evaluate(act);
  count_allocations counter;
  double total = 0;
  for (const rep& r : reps) {
    (void)act.bind(fx.rep_scope, r);
    total += f->evaluate(act).as_number();
  }
  CHECK(counter.count() == 0);
  CHECK(total == 180 * 10 + 20 * 5);
}

TEST_CASE("IF(IN(field, list field), a, b) runs as one instruction and agrees with the tree",
          "[formula][vm]") {
  fixture fx;
  lead l;
  l.id = lead_id{"L1"};
  rep r;
  r.id = rep_id{"R1"};
  const char* formula =
      "IF(IN(lead.region, rep.regions), 20, 0) + IF(IN(区域, 销售.regions), 1, 2)";
  CHECK(fx.eval(formula, l, r) == "2");  // blank region, empty list
  l.region = "华东";
  CHECK(fx.eval(formula, l, r) == "2");
  r.regions = {"华南", "华东"};
  CHECK(fx.eval(formula, l, r) == "21");
  l.region = "华北";
  CHECK(fx.eval(formula, l, r) == "2");
  CHECK(fx.eval("IF(IN(lead.email, rep.regions), \"y\", \"n\")", l, r) == "n");
}

TEST_CASE("assignment-shaped sums (list matches, scaled load) run fused and agree with the tree",
          "[formula][vm]") {
  fixture fx;
  const char* texts[] = {
      "IF(IN(lead.region, rep.regions), 20, 0) - 2 * rep.load",
      "IF(线索来源=\"官网表单\", 100, 40) + IF(IN(区域, 销售.regions), 60, 0) - rep.load * 3",
      "1e308 * rep.load + IF(IN(lead.email, rep.regions), 1, 2)",
  };
  lead l;
  l.id = lead_id{"L1"};
  rep r;
  r.id = rep_id{"R1"};
  for (const char* text : texts) {
    const auto f = fx.compile(text);
    INFO(text);
    CHECK(detail::fx::access::prog(*f).bc.score_only);
    for (const double load : {0.0, 2.5, -1.0, 1e10}) {
      for (int variant = 0; variant < 4; ++variant) {
        l.region = variant % 2 == 0 ? "华东" : "";
        l.source = variant < 2 ? "官网表单" : "转介绍";
        r.regions = variant == 3 ? std::vector<std::string>{} : std::vector<std::string>{"华东"};
        (void)fx.eval(text, l, r, load);  // checks the VM against the tree
      }
    }
  }
  CHECK(fx.eval(texts[2], l, r, 1e10) == "#NUM!");
  CHECK(fx.eval(texts[0], l, r, 2.5) == "-5");

  // Prepared with the lead fixed (as the assigner does), per rep and load: the same as the tree,
  // and the lead's terms are not recomputed.
  for (const char* text : texts) {
    const auto f = fx.compile(text);
    INFO(text);
    activation act(*f);
    act.set_now(fx.now);
    l.region = "华东";
    l.source = "官网表单";
    REQUIRE(act.bind(fx.lead_scope, l).ok());
    f->prepare(act, 1u << fx.lead_scope);
    CHECK(detail::fx::access::prepared(act));
    std::vector<rep> reps(3);
    reps[0].regions = {"华东"};
    reps[1].regions = {"华南", "华东"};
    for (std::size_t i = 0; i < reps.size(); ++i) {
      reps[i].id = rep_id{"R" + std::to_string(i)};
      REQUIRE(act.bind(fx.rep_scope, reps[i]).ok());
      for (const double load : {0.0, 1.5, 1e10}) {
        REQUIRE(act.set_variable(fx.load_var, formula_value::of_number(load)).ok());
        CHECK(f->evaluate(act).to_string() == detail::fx::evaluate_tree(*f, act).to_string());
        CHECK(detail::fx::access::prepared(act));
      }
    }
    // A new lead drops what was prepared; the result follows the new lead.
    lead other = l;
    other.region = "西北";
    REQUIRE(act.bind(fx.lead_scope, other).ok());
    CHECK_FALSE(detail::fx::access::prepared(act));
    CHECK(f->evaluate(act).to_string() == detail::fx::evaluate_tree(*f, act).to_string());
  }
}
