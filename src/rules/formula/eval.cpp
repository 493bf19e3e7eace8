// The formula evaluator, formula_value, and activation.
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "rules/formula/ops.hpp"
#include "rules/formula/program.hpp"
#include "rules/formula/vm.hpp"
#include "util/utf8.hpp"

namespace crmrules {

using detail::fx::access;
using detail::fx::cmp_class;
using detail::fx::cmp_op;
using detail::fx::node;
using detail::fx::op;

// ---------------------------------------------------------------------------------------------
// formula_value

std::string_view to_string(formula_type t) noexcept {
  switch (t) {
    case formula_type::blank:
      return "blank";
    case formula_type::boolean:
      return "boolean";
    case formula_type::number:
      return "number";
    case formula_type::money:
      return "money";
    case formula_type::string:
      return "string";
    case formula_type::time:
      return "time";
    case formula_type::interval:
      return "duration";
    case formula_type::string_list:
      return "list";
  }
  return "unknown";
}

std::string_view to_string(formula_error e) noexcept {
  switch (e) {
    case formula_error::none:
      return "";
    case formula_error::div_by_zero:
      return "#DIV/0!";
    case formula_error::num:
      return "#NUM!";
    case formula_error::na:
      return "#N/A";
    case formula_error::value:
      return "#VALUE!";
  }
  return "#VALUE!";
}

static_assert(sizeof(formula_value) == 16, "formula_value should fit two registers");
static_assert(std::is_trivially_copyable_v<formula_value>);

value formula_value::to_value() const {
  if (st() != state::ok) return value{};
  switch (type()) {
    case formula_type::blank:
      return value{};
    case formula_type::boolean:
      return value(int_ != 0);
    case formula_type::number:
      return value(num_);
    case formula_type::money:
      return value(money::from_minor(int_));
    case formula_type::string:
      return value(std::string(str_, len()));
    case formula_type::time:
      return value(from_unix_micros(int_));
    case formula_type::interval:
      return value(duration{int_});
    case formula_type::string_list:
      return value(*list_);
  }
  return value{};
}

std::string formula_value::to_string() const {
  if (st() == state::error) return std::string(crmrules::to_string(error()));
  if (st() == state::blank) return "(blank)";
  switch (type()) {
    case formula_type::blank:
      return "(blank)";
    case formula_type::boolean:
      return int_ != 0 ? "TRUE" : "FALSE";
    case formula_type::number:
      return detail::fx::format_number(num_);
    case formula_type::money:
      return money::from_minor(int_).to_string();
    case formula_type::string:
      return std::string(str_, len());
    case formula_type::time:
      return format_timestamp(from_unix_micros(int_));
    case formula_type::interval:
      return format_duration(duration{int_});
    case formula_type::string_list: {
      std::string out = "[";
      for (std::size_t i = 0; i < list_->size(); ++i)
        out += (i ? ", " : "") + (*list_)[i];
      return out + "]";
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The arena

char* activation::state::allocate(std::size_t n) {
  for (;;) {
    if (chunk < chunks.size() && used + n <= chunk_sizes[chunk]) {
      char* p = chunks[chunk].get() + used;
      used += n;
      return p;
    }
    if (chunk + 1 < chunks.size()) {  // a later chunk from an earlier, bigger evaluation
      ++chunk;
      used = 0;
      continue;
    }
    const std::size_t size =
        std::max<std::size_t>(n, chunks.empty() ? 1024 : chunk_sizes.back() * 2);
    chunks.push_back(std::make_unique<char[]>(size));
    chunk_sizes.push_back(size);
    chunk = chunks.size() - 1;
    used = 0;
  }
}

namespace detail::fx {
namespace {

// ---------------------------------------------------------------------------------------------
// The evaluator

template <bool Explain>
class evaluator {
 public:
  evaluator(const access::program& p, const node* nodes, access::act_state& st,
            const activation& act, explanation* ex) noexcept
      : p_(p), nodes_(nodes), st_(st), act_(act), ex_(ex) {}

  formula_value eval(std::uint32_t i) {
    if constexpr (Explain) {
      ++depth_;
      formula_value v = run(i);
      --depth_;
      const node& n = nodes_[i];
      explanation::step s;
      s.offset = n.offset;
      s.length = n.length;
      s.depth = depth_;
      s.text = p_.text.substr(n.offset, n.length);
      s.value = v.to_string();
      ex_->steps.push_back(std::move(s));
      return v;
    } else {
      return run(i);
    }
  }

 private:
  [[nodiscard]] const std::uint32_t* kids(const node& n) const noexcept {
    return p_.kids.data() + n.first;
  }

  /// A child's value: leaves are read in place, without a call (most operands are leaves).
  [[gnu::always_inline]] formula_value operand(std::uint32_t k) {
    if constexpr (!Explain) {
      const node& c = nodes_[k];
      if (c.code == op::field) return st_.slots[c.a];
      if (c.code == op::constant) return p_.constants[c.a];
      if (c.code == op::cached) return st_.cache[c.a];
    }
    return eval(k);
  }
  [[nodiscard]] bool flag(const node& n, std::uint32_t k) const noexcept {
    return p_.kid_flags[n.first + k] != 0;
  }

  static formula_value fail(const node& n, formula_error e) noexcept {
    return formula_value::error(n.type, e, n.offset);
  }
  static formula_value pass(const formula_value& v, const node& n) noexcept {
    return access::retype(v, n.type);
  }

  formula_value run(std::uint32_t i) {
    const node& n = nodes_[i];
    switch (n.code) {
      case op::constant:
        return p_.constants[n.a];
      case op::field:
        return st_.slots[n.a];
      case op::variable:
        return st_.variables[n.a];
      case op::now:
        return formula_value::of_time(act_.now());
      case op::cached:
        return st_.cache[n.a];

      case op::number_to_money: {
        const formula_value v = operand(kids(n)[0]);
        if (!access::ok(v)) return pass(v, n);
        const auto fen = scale_i64(100, access::num(v));
        if (!fen) return fail(n, formula_error::num);
        return access::of_i64(formula_type::money, *fen);
      }

      // -- logic --------------------------------------------------------------------------------
      case op::if_: {
        const formula_value c = operand(kids(n)[0]);
        if (c.is_error()) return pass(c, n);
        if (access::truthy(c)) return operand(kids(n)[1]);
        return n.count == 3 ? operand(kids(n)[2]) : formula_value::blank(n.type);
      }
      case op::ifs: {
        for (std::uint32_t k = 0; k + 1 < n.count; k += 2) {
          const formula_value c = operand(kids(n)[k]);
          if (c.is_error()) return pass(c, n);
          if (access::truthy(c)) return operand(kids(n)[k + 1]);
        }
        return fail(n, formula_error::na);
      }
      case op::switch_: {
        const formula_value subject = operand(kids(n)[0]);
        if (subject.is_error()) return pass(subject, n);
        const auto cls = static_cast<cmp_class>(n.sub);
        std::uint32_t k = 1;
        for (; k + 1 < n.count; k += 2) {
          const formula_value c = operand(kids(n)[k]);
          if (c.is_error()) return pass(c, n);
          if (compare(cls, cmp_op::eq, subject, c)) return operand(kids(n)[k + 1]);
        }
        return k < n.count ? operand(kids(n)[k]) : fail(n, formula_error::na);
      }
      case op::str_switch: {
        const formula_value subject = operand(kids(n)[0]);
        if (subject.is_error()) return pass(subject, n);
        const switch_table& t = p_.switch_tables[n.a];
        const std::size_t k = find_case(t, access::text(subject));
        if (k < t.cases.size()) return operand(kids(n)[1 + k]);
        return t.has_default ? operand(kids(n)[n.count - 1]) : fail(n, formula_error::na);
      }
      case op::and_:
      case op::or_: {
        const bool is_and = n.code == op::and_;
        for (std::uint32_t k = 0; k < n.count; ++k) {
          const formula_value v = operand(kids(n)[k]);
          if (v.is_error()) return pass(v, n);
          if (access::truthy(v) != is_and) return formula_value::of_bool(!is_and);
        }
        return formula_value::of_bool(is_and);
      }
      case op::not_: {
        const formula_value v = operand(kids(n)[0]);
        if (v.is_error()) return pass(v, n);
        return formula_value::of_bool(!access::truthy(v));
      }
      case op::iferror: {
        const formula_value v = operand(kids(n)[0]);
        return v.is_error() ? operand(kids(n)[1]) : pass(v, n);
      }
      case op::iserror:
        return formula_value::of_bool(operand(kids(n)[0]).is_error());
      case op::isblank:
        return formula_value::of_bool(operand(kids(n)[0]).is_blank());
      case op::coalesce: {
        for (std::uint32_t k = 0; k < n.count; ++k) {
          const formula_value v = operand(kids(n)[k]);
          if (!v.is_blank()) return pass(v, n);
        }
        return formula_value::blank(n.type);
      }

      case op::compare: {
        const formula_value l = operand(kids(n)[0]);
        if (l.is_error()) return pass(l, n);
        const formula_value r = operand(kids(n)[1]);
        if (r.is_error()) return pass(r, n);
        return formula_value::of_bool(
            compare(static_cast<cmp_class>(n.sub >> 3), static_cast<cmp_op>(n.sub & 7), l, r));
      }

      // -- arithmetic ---------------------------------------------------------------------------
      case op::sum: {
        if (n.type == formula_type::number) {
          // Checked at every step: an overflow is the first error, before any later operand's.
          double acc = 0;
          for (std::uint32_t k = 0; k < n.count; ++k) {
            const formula_value v = operand(kids(n)[k]);
            if (v.is_error()) return pass(v, n);
            acc = flag(n, k) ? acc - access::num(v) : acc + access::num(v);
            if (!std::isfinite(acc)) return fail(n, formula_error::num);
          }
          return formula_value::of_number(acc);
        }
        std::int64_t acc = 0;
        for (std::uint32_t k = 0; k < n.count; ++k) {
          const formula_value v = operand(kids(n)[k]);
          if (v.is_error()) return pass(v, n);
          const bool overflow = flag(n, k) ? __builtin_sub_overflow(acc, access::i64(v), &acc)
                                           : __builtin_add_overflow(acc, access::i64(v), &acc);
          if (overflow) return fail(n, formula_error::num);
        }
        return access::of_i64(n.type, acc);
      }
      case op::product: {
        double acc = 1;
        for (std::uint32_t k = 0; k < n.count; ++k) {
          const formula_value v = operand(kids(n)[k]);
          if (v.is_error()) return pass(v, n);
          const double x = access::num(v);
          if (flag(n, k)) {
            if (x == 0) return fail(n, formula_error::div_by_zero);
            acc = k == 0 ? x : acc / x;
          } else {
            acc = k == 0 ? x : acc * x;
          }
          if (!std::isfinite(acc)) return fail(n, formula_error::num);
        }
        return formula_value::of_number(acc);
      }
      default:
        return run_cold(n);
    }
    return fail(n, formula_error::value);
  }

  /// The less frequent operations, kept out of run() so that its frame stays small: run() is
  /// re-entered for every nested sub-expression.
  [[gnu::noinline]] formula_value run_cold(const node& n) {
    switch (n.code) {
      case op::power: {
        const formula_value a = operand(kids(n)[0]);
        if (a.is_error()) return pass(a, n);
        const formula_value b = operand(kids(n)[1]);
        if (b.is_error()) return pass(b, n);
        if (access::num(a) == 0 && access::num(b) < 0) return fail(n, formula_error::div_by_zero);
        const double r = std::pow(access::num(a), access::num(b));
        if (!std::isfinite(r)) return fail(n, formula_error::num);
        return formula_value::of_number(r);
      }
      case op::negate: {
        const formula_value v = operand(kids(n)[0]);
        if (v.is_error()) return pass(v, n);
        if (n.type == formula_type::number) return formula_value::of_number(0.0 - access::num(v));
        if (access::i64(v) == std::numeric_limits<std::int64_t>::min())
          return fail(n, formula_error::num);
        return access::of_i64(n.type, -access::i64(v));
      }
      case op::percent: {
        const formula_value v = operand(kids(n)[0]);
        if (v.is_error()) return pass(v, n);
        return formula_value::of_number(access::num(v) / 100.0);
      }
      case op::scale_money:
      case op::scale_dur: {
        const formula_value a = operand(kids(n)[0]);
        if (a.is_error()) return pass(a, n);
        const formula_value b = operand(kids(n)[1]);
        if (b.is_error()) return pass(b, n);
        const double factor = access::num(b);
        const bool divide = flag(n, 1);
        if (divide && factor == 0) return fail(n, formula_error::div_by_zero);
        const auto r = scale_i64(access::i64(a), factor, divide);
        if (!r) return fail(n, formula_error::num);
        return access::of_i64(n.type, *r);
      }
      case op::ratio_money:
      case op::ratio_dur: {
        const formula_value a = operand(kids(n)[0]);
        if (a.is_error()) return pass(a, n);
        const formula_value b = operand(kids(n)[1]);
        if (b.is_error()) return pass(b, n);
        if (access::i64(b) == 0) return fail(n, formula_error::div_by_zero);
        return formula_value::of_number(static_cast<double>(access::i64(a)) /
                                        static_cast<double>(access::i64(b)));
      }
      case op::time_plus: {
        const formula_value t = operand(kids(n)[0]);
        if (!access::ok(t)) return pass(t, n);
        const formula_value d = operand(kids(n)[1]);
        if (d.is_error()) return pass(d, n);
        std::int64_t out = 0;
        const bool overflow = flag(n, 1)
                                  ? __builtin_sub_overflow(access::i64(t), access::i64(d), &out)
                                  : __builtin_add_overflow(access::i64(t), access::i64(d), &out);
        if (overflow || !in_supported_range(from_unix_micros(out)))
          return fail(n, formula_error::num);
        return access::of_i64(formula_type::time, out);
      }
      case op::time_diff: {
        const formula_value a = operand(kids(n)[0]);
        if (a.is_error()) return pass(a, n);
        const formula_value b = operand(kids(n)[1]);
        if (b.is_error()) return pass(b, n);
        if (a.is_blank() || b.is_blank()) return formula_value::blank(formula_type::interval);
        std::int64_t out = 0;
        if (__builtin_sub_overflow(access::i64(a), access::i64(b), &out))
          return fail(n, formula_error::num);
        return access::of_i64(formula_type::interval, out);
      }
      case op::concat: {
        // Evaluate every part first (they may use the arena), then copy once.
        formula_value* parts = st_.args.data() + n.b;
        std::size_t total = 0;
        for (std::uint32_t k = 0; k < n.count; ++k) {
          formula_value v = operand(kids(n)[k]);
          if (v.is_error()) return pass(v, n);
          if (v.type() != formula_type::string && !v.is_blank())
            v = formula_value::of_string(st_.keep(v.to_string()));
          parts[k] = v;
          total += access::text(v).size();
        }
        char* out = st_.allocate(total);
        std::size_t at = 0;
        for (std::uint32_t k = 0; k < n.count; ++k) {
          const std::string_view s = access::text(parts[k]);
          if (!s.empty()) std::memcpy(out + at, s.data(), s.size());  // a blank has no data
          at += s.size();
        }
        return formula_value::of_string({out, total});
      }

      // -- text ---------------------------------------------------------------------------------
      case op::starts_with:
      case op::ends_with:
      case op::contains_text: {
        const formula_value a = operand(kids(n)[0]);
        if (a.is_error()) return pass(a, n);
        const formula_value b = operand(kids(n)[1]);
        if (b.is_error()) return pass(b, n);
        const std::string_view s = access::text(a), p = access::text(b);
        const bool r = n.code == op::starts_with ? starts_with_fold(s, p)
                       : n.code == op::ends_with ? ends_with_fold(s, p)
                                                 : contains_fold(s, p);
        return formula_value::of_bool(r);
      }
      case op::contains_list: {
        const formula_value a = operand(kids(n)[0]);
        if (a.is_error()) return pass(a, n);
        const formula_value b = operand(kids(n)[1]);
        if (b.is_error()) return pass(b, n);
        return formula_value::of_bool(in_list(access::list(a), access::text(b)));
      }
      case op::len_text: {
        const formula_value v = operand(kids(n)[0]);
        if (v.is_error()) return pass(v, n);
        return formula_value::of_number(static_cast<double>(count_code_points(access::text(v))));
      }
      case op::len_list: {
        const formula_value v = operand(kids(n)[0]);
        if (v.is_error()) return pass(v, n);
        const auto* l = access::list(v);
        return formula_value::of_number(l == nullptr ? 0.0 : static_cast<double>(l->size()));
      }
      case op::lower:
      case op::upper: {
        const formula_value v = operand(kids(n)[0]);
        if (!access::ok(v)) return pass(v, n);
        return change_case(st_, access::text(v), n.code == op::upper);
      }
      case op::trim: {
        const formula_value v = operand(kids(n)[0]);
        if (!access::ok(v)) return pass(v, n);
        return trim(st_, access::text(v));
      }

      // -- others -------------------------------------------------------------------------------
      case op::in_: {
        const formula_value subject = operand(kids(n)[0]);
        if (subject.is_error()) return pass(subject, n);
        const auto cls = static_cast<cmp_class>(n.sub);
        for (std::uint32_t k = 1; k < n.count; ++k) {
          const formula_value c = operand(kids(n)[k]);
          if (c.is_error()) return pass(c, n);
          const bool hit = flag(n, k) ? in_list(access::list(c), access::text(subject))
                                      : compare(cls, cmp_op::eq, subject, c);
          if (hit) return formula_value::of_bool(true);
        }
        return formula_value::of_bool(false);
      }
      case op::min_:
      case op::max_: {
        const auto cls = static_cast<cmp_class>(n.sub);
        const cmp_op better = n.code == op::min_ ? cmp_op::lt : cmp_op::gt;
        formula_value best = formula_value::blank(n.type);
        for (std::uint32_t k = 0; k < n.count; ++k) {
          const formula_value v = operand(kids(n)[k]);
          if (v.is_error()) return pass(v, n);
          if (v.is_blank()) continue;  // blanks are ignored, as a spreadsheet ignores empty cells
          if (best.is_blank() || compare(cls, better, v, best)) best = v;
        }
        return pass(best, n);
      }
      case op::abs_: {
        const formula_value v = operand(kids(n)[0]);
        if (!access::ok(v)) return pass(v, n);
        if (n.type == formula_type::number)
          return formula_value::of_number(std::fabs(access::num(v)));
        if (access::i64(v) == std::numeric_limits<std::int64_t>::min())
          return fail(n, formula_error::num);
        return access::of_i64(n.type, access::i64(v) < 0 ? -access::i64(v) : access::i64(v));
      }
      case op::round_: {
        const formula_value v = operand(kids(n)[0]);
        if (!access::ok(v)) return pass(v, n);
        int digits = 0;
        if (n.count == 2) {
          const formula_value d = operand(kids(n)[1]);
          if (d.is_error()) return pass(d, n);
          digits = static_cast<int>(std::clamp(std::trunc(access::num(d)), -15.0, 15.0));
        }
        if (n.type == formula_type::number)
          return formula_value::of_number(round_decimal(access::num(v), digits));
        // money: digits are decimals of the yuan; 2 or more leaves fen untouched.
        std::int64_t unit = 1;
        for (int k = digits; k < 2; ++k) {
          if (unit > std::numeric_limits<std::int64_t>::max() / 10)
            return formula_value::of_money(money{});
          unit *= 10;
        }
        const auto r = round_to_unit(access::i64(v), unit);
        return r ? access::of_i64(formula_type::money, *r) : fail(n, formula_error::num);
      }
      case op::clamp: {
        const formula_value x = operand(kids(n)[0]);
        if (x.is_error()) return pass(x, n);
        const formula_value lo = operand(kids(n)[1]);
        if (lo.is_error()) return pass(lo, n);
        const formula_value hi = operand(kids(n)[2]);
        if (hi.is_error()) return pass(hi, n);
        const auto cls = static_cast<cmp_class>(n.sub);
        if (compare(cls, cmp_op::gt, lo, hi)) return fail(n, formula_error::num);
        if (compare(cls, cmp_op::lt, x, lo)) return pass(lo, n);
        if (compare(cls, cmp_op::gt, x, hi)) return pass(hi, n);
        return pass(x, n);
      }
      case op::between: {
        const formula_value x = operand(kids(n)[0]);
        if (x.is_error()) return pass(x, n);
        const formula_value lo = operand(kids(n)[1]);
        if (lo.is_error()) return pass(lo, n);
        const formula_value hi = operand(kids(n)[2]);
        if (hi.is_error()) return pass(hi, n);
        const auto cls = static_cast<cmp_class>(n.sub);
        if (compare(cls, cmp_op::gt, lo, hi)) return fail(n, formula_error::num);
        return formula_value::of_bool(compare(cls, cmp_op::ge, x, lo) &&
                                      compare(cls, cmp_op::le, x, hi));
      }
      case op::hours_since:
      case op::days_since: {
        const formula_value t = operand(kids(n)[0]);
        if (!access::ok(t)) return pass(t, n);
        const double micros =
            static_cast<double>(to_unix_micros(act_.now())) - static_cast<double>(access::i64(t));
        return formula_value::of_number(micros / (n.code == op::hours_since ? 3.6e9 : 8.64e10));
      }
      case op::host_call: {
        const function_def& f = p_.functions[n.a];
        formula_value* args = st_.args.data() + n.b;
        for (std::uint32_t k = 0; k < n.count; ++k) {
          const formula_value v = operand(kids(n)[k]);
          if (v.is_error()) return pass(v, n);
          args[k] = v;
        }
        const formula_value r =
            f.impl(std::span<const formula_value>(args, n.count), access::context(act_), f.user);
        if (r.is_error()) return formula_value::error(n.type, r.error(), n.offset);
        if (r.is_blank()) return formula_value::blank(n.type);
        if (r.type() != n.type) return fail(n, formula_error::value);
        if (r.type() == formula_type::number && !std::isfinite(access::num(r)))
          return fail(n, formula_error::num);  // NaN and infinities do not enter the language
        return r;
      }
      default:
        break;
    }
    return fail(n, formula_error::value);
  }

  const access::program& p_;
  const node* nodes_;
  access::act_state& st_;
  const activation& act_;
  explanation* ex_;
  std::uint32_t depth_ = 0;
};

/// Evaluates node `i` of `p` without partial results: used by prepare() and constant folding.
formula_value eval_full(const access::program& p, std::uint32_t i, access::act_state& st,
                        const activation& act) {
  evaluator<false> e(p, p.nodes.data(), st, act, nullptr);
  return e.eval(i);
}

}  // namespace

formula_value evaluate_tree(const formula& f, activation& act) {
  auto& st = access::state(act);
  st.reset_arena(access::prepared(act));
  return eval_full(access::prog(f), access::prog(f).root, st, act);
}

/// Constant folding entry point for the compiler (declared in compile.cpp).
formula_value fold_constant(const access::program& p, std::uint32_t i, access::act_state& st,
                            const activation& act) {
  return eval_full(p, i, st, act);
}

}  // namespace detail::fx

// ---------------------------------------------------------------------------------------------
// formula and activation

formula::formula(std::unique_ptr<program> p) : p_(std::move(p)) {}
formula::~formula() = default;

formula_type formula::type() const noexcept {
  return p_->type;
}
const std::string& formula::text() const noexcept {
  return p_->text;
}
std::uint32_t formula::scopes_read() const noexcept {
  return p_->deps & 0xFFu;
}
bool formula::reads_now() const noexcept {
  return (p_->deps & detail::fx::dep_now) != 0;
}
std::size_t formula::node_count() const noexcept {
  return p_->nodes.size();
}

std::vector<formula::host_call_site> formula::host_calls() const {
  std::vector<host_call_site> out;
  for (const detail::fx::node& n : p_->nodes) {  // compacted in post-order: evaluation order
    if (n.code != detail::fx::op::host_call) continue;
    host_call_site site;
    site.function = p_->functions[n.a].name;
    site.offset = n.offset;
    site.length = n.length;
    for (std::uint32_t k = 0; k < n.count; ++k) {
      const detail::fx::node& arg = p_->nodes[p_->kids[n.first + k]];
      site.args.push_back(arg.code == detail::fx::op::constant
                              ? std::optional<formula_value>(p_->constants[arg.a])
                              : std::nullopt);
    }
    out.push_back(std::move(site));
  }
  return out;
}

static_assert(static_cast<int>(formula::tree_node::comparison::ge) ==
              static_cast<int>(detail::fx::cmp_op::ge));
static_assert(static_cast<int>(detail::fx::cmp_class::boolean) == 5);

formula::expression_tree formula::expression() const {
  using detail::fx::op;
  expression_tree out;
  out.nodes.reserve(p_->nodes.size());
  for (const detail::fx::node& n : p_->nodes) {
    tree_node t;
    t.type = n.type;
    t.offset = n.offset;
    t.length = n.length;
    switch (n.code) {
      case op::constant:
        t.what = tree_node::kind::constant;
        t.value = p_->constants[n.a];
        break;
      case op::host_call:
        t.what = tree_node::kind::host_call;
        t.function = p_->functions[n.a].name;
        break;
      case op::and_:
        t.what = tree_node::kind::and_;
        break;
      case op::or_:
        t.what = tree_node::kind::or_;
        break;
      case op::not_:
        t.what = tree_node::kind::not_;
        break;
      case op::compare: {
        static constexpr formula_type classes[] = {formula_type::number,   formula_type::money,
                                                   formula_type::string,   formula_type::time,
                                                   formula_type::interval, formula_type::boolean};
        t.what = tree_node::kind::compare;
        t.op = static_cast<tree_node::comparison>(n.sub & 7);
        t.compared = classes[n.sub >> 3];
        break;
      }
      default:
        break;
    }
    t.kids.assign(p_->kids.begin() + n.first, p_->kids.begin() + n.first + n.count);
    out.nodes.push_back(std::move(t));
  }
  out.root = p_->root;
  return out;
}

namespace {

/// The general machine, on the arena as it stands (the caller resets it, or not).
formula_value run_machine(const access::program& p, access::act_state& st, const activation& act,
                          bool prepared) noexcept {
  try {
    const detail::fx::instr* code = prepared ? st.prepared_code.data() : p.bc.code.data();
    return detail::fx::run(p, p.bc, code, st, act);
  } catch (...) {
    // Only allocation can throw here (the arena growing); report it as a value, not a crash.
    return formula_value::error(p.type, formula_error::value, 0);
  }
}

}  // namespace

formula_value formula::evaluate(activation& act) const noexcept {
  if (p_->bc.score_only)  // a fused sum: no machine, no arena, only the slots
    return detail::fx::run_score(*p_, *act.s_, act.slots_, act.prepared_);
  auto& st = access::state(act);
  st.reset_arena(act.prepared_);
  return run_machine(*p_, st, act, act.prepared_);
}

formula_value formula::evaluate(activation& act, explanation& out) const {
  auto& st = access::state(act);
  st.reset_arena(act.prepared_);
  out = explanation{};
  detail::fx::evaluator<true> e(*p_, p_->nodes.data(), st, act, &out);
  const formula_value result = e.eval(p_->root);
  out.result = result.to_string();
  // The terms: operands of a top-level sum, else the whole formula.
  auto label_of = [&](std::uint32_t root) {
    std::vector<std::uint32_t> stack{root};
    while (!stack.empty()) {
      const std::uint32_t i = stack.back();
      stack.pop_back();
      const node& n = p_->nodes[i];
      if (n.code == op::field || n.code == op::variable) return p_->text.substr(n.offset, n.length);
      for (std::uint32_t k = n.count; k > 0; --k)
        stack.push_back(p_->kids[n.first + k - 1]);
    }
    return p_->text.substr(p_->nodes[root].offset, p_->nodes[root].length);
  };
  const node& root = p_->nodes[p_->root];
  std::vector<std::pair<std::uint32_t, bool>> terms;
  if (root.code == op::sum) {
    for (std::uint32_t k = 0; k < root.count; ++k)
      terms.emplace_back(p_->kids[root.first + k], p_->kid_flags[root.first + k] != 0);
  } else {
    terms.emplace_back(p_->root, false);
  }
  for (const auto& [idx, negated] : terms) {
    const node& n = p_->nodes[idx];
    explanation::term t;
    t.label = label_of(idx);
    t.text = p_->text.substr(n.offset, n.length);
    // The term's value from the steps just recorded (the last step with its span).
    for (auto it = out.steps.rbegin(); it != out.steps.rend(); ++it) {
      if (it->offset == n.offset && it->length == n.length) {
        t.value = it->value;
        // A subtracted term contributes its negation: 5 → -5, -2 → 2, 0 stays 0. Blanks
        // (which count as 0) and errors (which make the result an error) are shown as they are.
        const bool signed_type = n.type == formula_type::number || n.type == formula_type::money ||
                                 n.type == formula_type::interval;
        const bool digit =
            !t.value.empty() && std::isdigit(static_cast<unsigned char>(t.value[0])) != 0;
        const bool zero = t.value == "0" || t.value == "0.00" || t.value == "0s";
        if (negated && signed_type && t.value.starts_with('-')) {
          t.value.erase(0, 1);
        } else if (negated && signed_type && digit && !zero) {
          t.value.insert(0, 1, '-');
        }
        break;
      }
    }
    if (t.value.empty()) t.value = "(not evaluated)";
    // The contribution as a number: numbers and amounts (in yuan) only.
    double x = 0;
    const bool numeric = n.type == formula_type::number || n.type == formula_type::money;
    const auto [p, ec] = std::from_chars(t.value.data(), t.value.data() + t.value.size(), x);
    t.number = numeric && ec == std::errc{} && p == t.value.data() + t.value.size() ? x : 0;
    out.terms.push_back(std::move(t));
  }
  return result;
}

std::string explanation::summary() const {
  std::string out;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) out += ", ";
    out += terms[i].label;
    out += ' ';
    const std::string& v = terms[i].value;
    const bool positive = !v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) != 0);
    out += positive ? "+" + v : v;
  }
  if (terms.size() > 1 || out.empty()) out += (out.empty() ? "" : " ") + std::string("= ") + result;
  return out;
}

void formula::prepare(activation& act, std::uint32_t fixed) const noexcept {
  auto& st = access::state(act);
  act.prepared_ = false;
  fixed &= 0xFFu | detail::fx::dep_now;
  if (fixed == 0) return;
  if (p_->bc.score_only) {  // a fused sum: its fixed terms are computed once, in order kept
    try {
      detail::fx::prepare_score(*p_, st, fixed);
    } catch (...) {
      return;  // out of memory: evaluate() then does all the work, correctly
    }
    act.prepared_scopes_ = fixed;
    act.prepared_ = true;
    return;
  }
  try {
    st.cache.resize(p_->nodes.size());
    std::vector<bool> cached(p_->nodes.size(), false);
    st.chunk = 0;
    st.used = 0;
    // Top-down: the largest sub-expressions that read only fixed scopes are computed once, by
    // the reference (tree) evaluator, and the code pushes their values instead.
    std::vector<std::uint32_t> stack{p_->root};
    bool any = false;
    while (!stack.empty()) {
      const std::uint32_t i = stack.back();
      stack.pop_back();
      const node& n = p_->nodes[i];
      const bool leaf = n.code == op::constant || n.code == op::field || n.code == op::variable ||
                        n.code == op::now;
      if (!leaf && n.deps != 0 && (n.deps & ~fixed) == 0) {
        st.cache[i] = detail::fx::eval_full(*p_, i, st, act);
        cached[i] = true;
        any = true;
        continue;
      }
      for (std::uint32_t k = 0; k < n.count; ++k)
        stack.push_back(p_->kids[n.first + k]);
    }
    if (!any) return;
    st.prepared_code = detail::fx::with_cached(p_->bc, cached);
    act.prepared_scopes_ = fixed;
    act.prepared_ = true;
    // Later evaluations keep what prepare() put in the arena.
    st.prepared_chunk = st.chunk;
    st.prepared_used = st.used;
  } catch (...) {
    act.prepared_ = false;  // out of memory: evaluate() simply does all the work
  }
}

activation::activation(const formula& f) : f_(f), s_(std::make_unique<state>()) {
  const auto& p = *f.p_;
  s_->slots.reserve(p.slots.size());
  for (const auto& slot : p.slots)
    s_->slots.push_back(formula_value::blank(slot.type));
  s_->variables.reserve(p.variables.size());
  for (const auto& v : p.variables)
    s_->variables.push_back(formula_value::blank(v.type));
  s_->records.assign(p.scope_kinds.size(), nullptr);
  s_->args.resize(p.host_args);
  s_->stack.resize(p.bc.max_stack + 1);
  scopes_ = p.scope_bindings.data();
  scope_count_ = p.scope_bindings.size();
  slots_ = s_->slots.data();
  records_ = s_->records.data();
}

activation::~activation() = default;

status activation::bind_error(std::size_t scope, record_kind kind) const {
  const auto& p = *f_.p_;
  if (scope >= p.scope_kinds.size()) {
    return status::invalid_argument("no scope " + std::to_string(scope) +
                                    " in this formula's environment");
  }
  return status::invalid_argument("scope " + std::to_string(scope) + " holds " +
                                  std::string(to_string(p.scope_kinds[scope])) + " records, not " +
                                  std::string(to_string(kind)));
}

void activation::unbind(std::size_t scope) noexcept {
  const auto& p = *f_.p_;
  if (scope >= p.scope_kinds.size()) return;
  s_->records[scope] = nullptr;
  for (const std::uint32_t slot : p.slots_by_scope[scope])
    s_->slots[slot] = formula_value::blank(p.slots[slot].type);
  if ((prepared_scopes_ & (1u << scope)) != 0) prepared_ = false;
}

void activation::set_now(timestamp t) noexcept {
  now_ = t;
  if ((prepared_scopes_ & detail::fx::dep_now) != 0) prepared_ = false;
}

status activation::set_variable(std::size_t index, const formula_value& v) {
  const auto& p = *f_.p_;
  if (index >= p.variables.size())
    return status::invalid_argument("no variable " + std::to_string(index));
  const auto want = p.variables[index].type;
  if (v.type() != want && !(v.is_blank() && v.type() == formula_type::blank)) {
    return status::invalid_argument("variable '" + p.variables[index].name + "' is " +
                                    std::string(to_string(want)) + ", got " +
                                    std::string(to_string(v.type())));
  }
  if (v.type() == formula_type::number && !v.is_blank() && !std::isfinite(v.as_number())) {
    return status::invalid_argument("variable '" + p.variables[index].name +
                                    "' must be a finite number");
  }
  s_->variables[index] = access::retype(v, want);
  // Only what prepare() cached from this variable's scope is stale.
  if ((prepared_scopes_ & p.variables[index].deps) != 0) prepared_ = false;
  return {};
}

status activation::check_each(std::size_t scope, record_kind kind, std::size_t records,
                              std::size_t out, std::size_t variable,
                              std::span<const formula_value> values, bool& retype) const {
  retype = false;
  if (scope >= scope_count_ || scopes_[scope].kind != kind) return bind_error(scope, kind);
  if (out != records) {
    return status::invalid_argument("evaluate_each: " + std::to_string(records) +
                                    " records but room for " + std::to_string(out) + " results");
  }
  if (variable == formula::no_variable) return {};
  if (values.size() != records) {
    return status::invalid_argument("evaluate_each: " + std::to_string(records) + " records but " +
                                    std::to_string(values.size()) + " variable values");
  }
  const auto& p = *f_.p_;
  if (variable >= p.variables.size())
    return status::invalid_argument("no variable " + std::to_string(variable));
  const auto& def = p.variables[variable];
  // One branch-free pass for the usual case (every value well typed and finite), then the
  // slow pass that names the first offender.
  bool all_ok = true;
  for (const formula_value& v : values) {
    const bool typed = v.type() == def.type;
    const bool finite =
        v.type() != formula_type::number || !access::ok(v) || std::isfinite(access::num(v));
    all_ok &= typed & finite;
  }
  if (all_ok) return {};
  retype = true;  // a blank typed `blank` is all that can remain once the checks pass
  for (std::size_t i = 0; i < values.size(); ++i) {
    const formula_value& v = values[i];
    if (v.type() != def.type && !(v.is_blank() && v.type() == formula_type::blank)) {
      return status::invalid_argument(
          "variable '" + def.name + "' is " + std::string(to_string(def.type)) + ", got " +
          std::string(to_string(v.type())) + " for record " + std::to_string(i));
    }
    if (v.type() == formula_type::number && !v.is_blank() && !std::isfinite(v.as_number())) {
      return status::invalid_argument(
          "variable '" + def.name + "' must be a finite number (record " + std::to_string(i) + ")");
    }
  }
  return {};
}

record_batch& activation::scratch_batch() noexcept {
  return s_->scratch;
}

// -- record_batch ---------------------------------------------------------------------------------

record_batch::record_batch() = default;
record_batch::~record_batch() = default;
record_batch::record_batch(record_batch&&) noexcept = default;
record_batch& record_batch::operator=(record_batch&&) noexcept = default;

status record_batch::start(const formula& f, std::size_t scope, record_kind kind, std::size_t n,
                           bool index_lists) {
  const auto& p = access::prog(f);
  f_ = nullptr;
  records_.clear();
  indexes_.reset();
  if (scope >= p.scope_bindings.size() || p.scope_bindings[scope].kind != kind) {
    if (scope >= p.scope_kinds.size()) {
      return status::invalid_argument("record_batch: no scope " + std::to_string(scope) +
                                      " in this formula's environment");
    }
    return status::invalid_argument("record_batch: scope " + std::to_string(scope) + " holds " +
                                    std::string(to_string(p.scope_kinds[scope])) +
                                    " records, not " + std::string(to_string(kind)));
  }
  f_ = &f;
  scope_ = scope;
  kind_ = kind;
  plan_ = &p.scope_bindings[scope];
  records_.resize(n);
  columns_.resize(plan_->count * n);
  slot_columns_.assign(p.slots.size(), nullptr);
  for (std::uint32_t b = 0; b < plan_->count; ++b)
    slot_columns_[plan_->first[b].slot] = columns_.data() + b * n;
  if (index_lists) indexes_ = std::make_unique<detail::fx::list_indexes>();
  return {};
}

void record_batch::build_indexes() {
  if (!indexes_) return;
  const std::size_t n = records_.size();
  const auto& p = access::prog(*f_);
  indexes_->by_binding.assign(plan_->count, {});
  indexes_->by_slot.assign(p.slots.size(), -1);
  for (std::uint32_t b = 0; b < plan_->count; ++b) {
    if (static_cast<formula_type>(plan_->first[b].type) != formula_type::string_list) continue;
    detail::fx::list_index& index = indexes_->by_binding[b];
    index.masks.assign(n, 0);
    for (std::size_t i = 0; i < n && index.usable; ++i)
      index.usable = index.add(i, columns_[b * n + i]);
    if (index.usable) indexes_->by_slot[plan_->first[b].slot] = static_cast<std::int32_t>(b);
  }
}

void record_batch::refresh_indexes(std::size_t i) {
  if (!indexes_) return;
  const std::size_t n = records_.size();
  for (std::uint32_t b = 0; b < plan_->count; ++b) {
    const std::uint32_t slot = plan_->first[b].slot;
    if (indexes_->by_slot[slot] < 0) continue;
    detail::fx::list_index& index = indexes_->by_binding[b];
    index.masks[i] = 0;
    index.usable = index.add(i, columns_[b * n + i]);
    if (!index.usable) indexes_->by_slot[slot] = -1;  // compared item by item from now on
  }
}

namespace detail::fx {

namespace {
/// `s` with ASCII letters folded (text `=`'s key), in `buf` when it fits.
std::string_view folded(std::string_view s, char* buf, std::size_t cap, std::string& spill) {
  char* out = buf;
  if (s.size() > cap) {
    spill.resize(s.size());
    out = spill.data();
  }
  for (std::size_t k = 0; k < s.size(); ++k)
    out[k] = fold(s[k]);
  return {out, s.size()};
}
}  // namespace

std::size_t list_index::probe(std::string_view key) const noexcept {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a: keys are short, a few per lead
  for (const char c : key)
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  const std::size_t mask = table.size() - 1;
  std::size_t at = static_cast<std::size_t>(h ^ (h >> 29)) & mask;
  // At most max_items keys in twice as many entries: an empty entry is always found.
  while (table[at] >= 0 &&
         !crmrules::detail::bytes_equal(keys[static_cast<std::size_t>(table[at])], key))
    at = (at + 1) & mask;
  return at;
}

bool list_index::add(std::size_t i, const formula_value& list) {
  if (list.is_error()) return false;
  const std::vector<std::string>* items = access::list(list);
  if (items == nullptr) return true;  // blank: an empty list
  std::uint64_t mask = 0;
  char buf[64];
  std::string spill;
  for (const std::string& item : *items) {
    const std::string_view key = folded(item, buf, sizeof buf, spill);
    const std::size_t at = probe(key);
    if (table[at] < 0) {
      if (keys.size() == max_items) return false;
      table[at] = static_cast<std::int8_t>(keys.size());
      keys.emplace_back(key);
    }
    mask |= std::uint64_t{1} << table[at];
  }
  masks[i] = mask;
  return true;
}

int list_index::bit_of(std::string_view subject) const noexcept {
  char buf[64];
  if (subject.size() > sizeof buf) {  // longer than any short key: fold on the heap
    try {
      std::string spill;
      return table[probe(folded(subject, buf, sizeof buf, spill))];
    } catch (...) {
      return -2;  // out of memory: the caller compares item by item
    }
  }
  std::string none;
  return table[probe(folded(subject, buf, sizeof buf, none))];
}

}  // namespace detail::fx

status formula::evaluate_each(activation& act, const record_batch& batch,
                              std::span<const std::uint32_t> which, std::span<formula_value> out,
                              std::size_t variable,
                              std::span<const formula_value> variable_values) const {
  if (&act.f_ != this)
    return status::invalid_argument("the activation was made for another formula");
  if (batch.f_ != this)
    return status::invalid_argument("the record_batch was loaded for another formula");
  const std::size_t count = which.empty() ? batch.size() : which.size();
  bool retype = false;
  if (status st = act.check_each(batch.scope_, batch.kind_, count, out.size(), variable,
                                 variable_values, retype);
      !st.ok())
    return st;
  std::uint32_t last = 0;  // the largest position, found without a branch per position
  for (const std::uint32_t i : which)
    last = std::max(last, i);
  if (!which.empty() && last >= batch.size()) {
    return status::invalid_argument("evaluate_each: position " + std::to_string(last) +
                                    " is past the batch of " + std::to_string(batch.size()));
  }
  if (count == 0) return {};
  auto record_at = [&](std::size_t i) { return which.empty() ? i : std::size_t{which[i]}; };
  const auto& p = *p_;
  if (!p.bc.score_only) {  // no batch form: record by record
    // The arena is reset once, not per record: text made for out[i] must outlive the
    // evaluations of the records after it.
    auto& st = *act.s_;
    st.reset_arena(act.prepared_);
    for (std::size_t i = 0; i < count; ++i) {
      (void)batch.bind_(act, batch.scope_, batch.records_[record_at(i)]);
      if (variable != no_variable) (void)act.set_variable(variable, variable_values[i]);
      out[i] = run_machine(p, st, act, act.prepared_);
    }
    return {};
  }
  // What prepare() cached stays valid unless it read the varying scope or the variable.
  std::uint32_t varying = 1u << batch.scope_;
  if (variable != no_variable) varying |= p.variables[variable].deps;
  const bool prepared = act.prepared_ && (act.prepared_scopes_ & varying) == 0;
  // The variable's values, retyped as set_variable stores them (blank typed `blank`).
  const formula_value* var_values = variable_values.data();
  if (retype) {
    const formula_type want = p.variables[variable].type;
    auto& retyped = act.s_->batch_vars;
    retyped.resize(count);
    for (std::size_t i = 0; i < count; ++i)
      retyped[i] = access::retype(variable_values[i], want);
    var_values = retyped.data();
  }
  act.s_->batch_sums.resize(count);
  detail::fx::run_score_each(p, *act.s_, prepared, batch, which, variable, var_values,
                             act.s_->batch_sums.data(), out);
  return {};
}

timestamp eval_context::now() const noexcept {
  return act_.now();
}

const void* eval_context::record(std::size_t scope) const noexcept {
  const auto& st = access::state(act_);
  return scope < st.records.size() ? st.records[scope] : nullptr;
}

std::string_view eval_context::keep(std::string_view text) const {
  return const_cast<access::act_state&>(access::state(act_)).keep(text);
}

}  // namespace crmrules
