#include "tier/count_plan.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace crmrules::tier::detail {

namespace {

using kind = formula::tree_node::kind;
using comparison = formula::tree_node::comparison;

/// The deepest the operand stack of a program may get (run() keeps it in a fixed array).
constexpr std::size_t max_depth = 64;

bool is_plain(const std::optional<formula_value>& v, formula_type t) {
  return v && !v->is_blank() && !v->is_error() && v->type() == t;
}

bool is_constant(const formula::tree_node& n, formula_type t) {
  return n.what == kind::constant && is_plain(n.value, t);
}

/// `a op b` with the operands swapped: b op' a.
comparison mirrored(comparison op) {
  switch (op) {
    case comparison::lt:
      return comparison::gt;
    case comparison::le:
      return comparison::ge;
    case comparison::gt:
      return comparison::lt;
    case comparison::ge:
      return comparison::le;
    default:
      return op;  // eq, ne
  }
}

/// A whole number near `x`, kept far from the ends of int64 (counts are much smaller).
std::int64_t whole(double x) {
  constexpr double limit = 4.0e18;
  return static_cast<std::int64_t>(std::clamp(x, -limit, limit));
}

}  // namespace

std::optional<std::uint32_t> count_plan::query(const formula::expression_tree& t,
                                               const formula::tree_node& call, event_windows& w) {
  if (call.kids.size() != 2) return std::nullopt;
  const formula::tree_node& type = t.nodes[call.kids[0]];
  const formula::tree_node& window = t.nodes[call.kids[1]];
  if (!is_constant(type, formula_type::string) || !is_constant(window, formula_type::interval))
    return std::nullopt;
  // A window the windows cannot count is an error (#NUM!) the machine reports.
  const duration d = window.value->as_duration();
  if (d <= duration::zero() || d > w.options().horizon) return std::nullopt;
  const auto id = w.intern(type.value->as_string());
  if (!id) return std::nullopt;  // too many types: the machine reports it as a count of 0
  const event_windows::count_query q{*id, d};
  const auto same = std::find_if(queries_.begin(), queries_.end(), [&](const auto& x) {
    return x.type == q.type && x.window == q.window;
  });
  if (same != queries_.end()) return static_cast<std::uint32_t>(same - queries_.begin());
  queries_.push_back(q);
  return static_cast<std::uint32_t>(queries_.size() - 1);
}

std::optional<std::uint32_t> count_plan::intern(const atom& a) {
  const auto same = std::find(atoms_.begin(), atoms_.end(), a);
  if (same != atoms_.end()) return static_cast<std::uint32_t>(same - atoms_.begin());
  if (atoms_.size() == max_atoms) return std::nullopt;
  atoms_.push_back(a);
  return static_cast<std::uint32_t>(atoms_.size() - 1);
}

bool count_plan::lower(const formula::expression_tree& t, std::uint32_t i, event_windows& w,
                       std::vector<step>& out) {
  constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t all = std::numeric_limits<std::int64_t>::max();
  const formula::tree_node& n = t.nodes[i];
  switch (n.what) {
    case kind::constant:
      if (!is_constant(n, formula_type::boolean)) return false;
      out.push_back({step::code::truth, n.value->as_bool() ? 1u : 0u});
      return true;
    case kind::host_call: {
      if (n.function != "HAS_EVENT") return false;
      const auto q = query(t, n, w);
      if (!q) return false;
      const auto a = intern({*q, 1, all, false});  // count >= 1
      if (!a) return false;
      out.push_back({step::code::atom, *a});
      return true;
    }
    case kind::compare: {
      if (n.compared != formula_type::number || n.kids.size() != 2) return false;
      const formula::tree_node* call = &t.nodes[n.kids[0]];
      const formula::tree_node* bound = &t.nodes[n.kids[1]];
      comparison op = n.op;
      if (call->what != kind::host_call) {  // 3 <= COUNT_EVENTS(...)
        std::swap(call, bound);
        op = mirrored(op);
      }
      if (call->what != kind::host_call || call->function != "COUNT_EVENTS" ||
          !is_constant(*bound, formula_type::number))
        return false;
      const double c = bound->value->as_number();
      if (std::isnan(c)) return false;  // the machine's NaN comparisons stay the machine's
      const auto q = query(t, *call, w);
      if (!q) return false;
      // The count is a whole number: each comparison with c is a range of whole numbers.
      atom a{*q, none, all, false};
      switch (op) {
        case comparison::eq:
        case comparison::ne:
          if (std::floor(c) == c) {
            a.lo = a.hi = whole(c);
          } else {
            a.lo = 1, a.hi = 0;  // empty: no count equals c
          }
          a.outside = op == comparison::ne;
          break;
        case comparison::lt:
          a.hi = whole(std::ceil(c)) - 1;
          break;
        case comparison::le:
          a.hi = whole(std::floor(c));
          break;
        case comparison::gt:
          a.lo = whole(std::floor(c)) + 1;
          break;
        case comparison::ge:
          a.lo = whole(std::ceil(c));
          break;
      }
      const auto id = intern(a);
      if (!id) return false;
      out.push_back({step::code::atom, *id});
      return true;
    }
    case kind::and_:
    case kind::or_:
    case kind::not_: {
      if (n.kids.empty() || (n.what == kind::not_ && n.kids.size() != 1)) return false;
      for (const std::uint32_t k : n.kids) {
        if (!lower(t, k, w, out)) return false;
      }
      const auto code = n.what == kind::and_  ? step::code::and_
                        : n.what == kind::or_ ? step::code::or_
                                              : step::code::not_;
      out.push_back({code, static_cast<std::uint32_t>(n.kids.size())});
      return true;
    }
    default:
      return false;
  }
}

std::optional<std::size_t> count_plan::add(const formula& f, event_windows& w) {
  if (f.type() != formula_type::boolean) return std::nullopt;
  const formula::expression_tree t = f.expression();
  if (t.root >= t.nodes.size()) return std::nullopt;
  const std::size_t queries_before = queries_.size(), atoms_before = atoms_.size();
  condition c;
  const bool lowered = lower(t, t.root, w, c.program);
  // The stack depth, checked as run() will take it.
  const auto depth_ok = [&] {
    std::size_t depth = 0;
    for (const step& s : c.program) {
      if (s.what == step::code::and_ || s.what == step::code::or_) {
        depth -= s.arg - 1;
      } else if (s.what != step::code::not_) {
        if (++depth > max_depth) return false;
      }
    }
    return depth == 1;
  };
  if (!lowered || !depth_ok()) {
    queries_.resize(queries_before);  // interned types stay: harmless
    atoms_.resize(atoms_before);
    return std::nullopt;
  }
  for (const step& s : c.program) {
    if (s.what == step::code::atom &&
        std::find(c.atoms.begin(), c.atoms.end(), s.arg) == c.atoms.end())
      c.atoms.push_back(s.arg);
  }
  if (c.atoms.size() <= table_atoms) {
    const std::size_t rows = std::size_t{1} << c.atoms.size();
    c.table.assign((rows + 63) / 64, 0);
    for (std::size_t index = 0; index < rows; ++index) {
      std::uint64_t bits = 0;
      for (std::size_t k = 0; k < c.atoms.size(); ++k)
        bits |= ((index >> k) & 1u) << c.atoms[k];
      if (run(c.program, bits)) c.table[index / 64] |= std::uint64_t{1} << (index % 64);
    }
  }
  conditions_.push_back(std::move(c));
  if (queries_.size() != queries_before) {
    set_ = event_windows::count_set(queries_);
    counts_.assign(queries_.size(), 0);
  }
  return conditions_.size() - 1;
}

void count_plan::load(const event_windows& w, event_windows::slot s, timestamp now) noexcept {
  w.count_many(s, set_, now, counts_);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < atoms_.size(); ++i) {
    const atom& a = atoms_[i];
    const std::int64_t n = counts_[a.query];
    const bool inside = (n >= a.lo) & (n <= a.hi);
    bits |= static_cast<std::uint64_t>(inside != a.outside) << i;
  }
  bits_ = bits;
}

bool count_plan::holds(std::size_t i) const noexcept {
  const condition& c = conditions_[i];
  if (c.table.empty()) return run(c.program, bits_);
  std::size_t index = 0;
  for (std::size_t k = 0; k < c.atoms.size(); ++k)
    index |= ((bits_ >> c.atoms[k]) & 1u) << k;
  return (c.table[index / 64] >> (index % 64)) & 1u;
}

bool count_plan::run(const std::vector<step>& program, std::uint64_t bits) noexcept {
  std::array<bool, max_depth> stack;
  std::size_t top = 0;  // the number of operands on the stack
  for (const step& s : program) {
    switch (s.what) {
      case step::code::truth:
        stack[top++] = s.arg != 0;
        break;
      case step::code::atom:
        stack[top++] = (bits >> s.arg) & 1u;
        break;
      case step::code::and_:
      case step::code::or_: {
        const bool is_and = s.what == step::code::and_;
        bool r = is_and;
        for (std::size_t k = top - s.arg; k < top; ++k)
          r = is_and ? (r && stack[k]) : (r || stack[k]);
        top -= s.arg - 1;
        stack[top - 1] = r;
        break;
      }
      case step::code::not_:
        stack[top - 1] = !stack[top - 1];
        break;
    }
  }
  return stack[0];
}

}  // namespace crmrules::tier::detail
