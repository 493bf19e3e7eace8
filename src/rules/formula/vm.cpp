// The bytecode generator and the stack machine. Every instruction mirrors the tree evaluator's
// rule for the same operation (eval.cpp); tests run both on the same inputs and compare.
#include "rules/formula/vm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "rules/formula/ops.hpp"
#include "util/utf8.hpp"

namespace crmrules::detail::fx {
namespace {

// ---------------------------------------------------------------------------------------------
// Generation

class generator {
 public:
  explicit generator(const access::program& p) : p_(p) { bc_.jumps.resize(p.switch_tables.size()); }

  bytecode run() {
    gen(p_.root);
    emit({vop::ret}, 0);
    bc_.score_only = bc_.code.size() == 2 && bc_.code[0].code == vop::score;
    return std::move(bc_);
  }

 private:
  [[nodiscard]] std::uint32_t here() const { return static_cast<std::uint32_t>(bc_.code.size()); }
  [[nodiscard]] std::uint32_t kid(const node& n, std::uint32_t k) const {
    return p_.kids[n.first + k];
  }
  [[nodiscard]] std::uint8_t kid_flag(const node& n, std::uint32_t k) const {
    return p_.kid_flags[n.first + k];
  }
  [[nodiscard]] const node& at(std::uint32_t i) const { return p_.nodes[i]; }

  /// Appends `i`; the stack grows (or shrinks) by `delta`.
  std::uint32_t emit(instr i, int delta) {
    bc_.code.push_back(i);
    depth_ = static_cast<std::size_t>(static_cast<long>(depth_) + delta);
    bc_.max_stack = std::max(bc_.max_stack, depth_);
    return here() - 1;
  }
  static instr make(vop code, const node& n, std::uint32_t a = 0, std::uint32_t b = 0,
                    std::uint8_t sub = 0, std::uint8_t flag = 0) {
    instr i;
    i.code = code;
    i.type = n.type;
    i.sub = sub;
    i.flag = flag;
    i.a = a;
    i.b = b;
    i.offset = n.offset;
    return i;
  }
  void patch_a(std::uint32_t at_index, std::uint32_t target) { bc_.code[at_index].a = target; }
  void patch_b(std::uint32_t at_index, std::uint32_t target) { bc_.code[at_index].b = target; }

  void gen(std::uint32_t i) {
    const std::uint32_t start = here();
    const node& n = at(i);
    switch (n.code) {
      case op::constant:
        emit(make(vop::push_const, n, n.a), +1);
        break;
      case op::field:
        emit(make(vop::push_slot, n, n.a), +1);
        break;
      case op::variable:
        emit(make(vop::push_var, n, n.a), +1);
        break;
      case op::now:
        emit(make(vop::push_now, n), +1);
        break;
      case op::cached:
        emit(make(vop::push_cache, n, n.a), +1);
        break;
      case op::number_to_money:
        unary(n, vop::number_to_money);
        break;
      case op::if_:
        gen_if(n);
        break;
      case op::ifs:
        gen_ifs(n);
        break;
      case op::switch_:
        gen_switch(n);
        break;
      case op::str_switch:
        gen_str_switch(n);
        break;
      case op::and_:
      case op::or_:
        gen_logic(n);
        break;
      case op::not_:
        unary(n, vop::not_);
        break;
      case op::iferror: {
        gen(kid(n, 0));
        const std::uint32_t keep = emit(make(vop::keep_if_ok, n), 0);
        --depth_;  // the fallback path pops the error
        gen(kid(n, 1));
        patch_a(keep, here());
        break;
      }
      case op::iserror:
        unary(n, vop::iserror);
        break;
      case op::isblank:
        unary(n, vop::isblank);
        break;
      case op::coalesce: {
        std::vector<std::uint32_t> exits;
        for (std::uint32_t k = 0; k < n.count; ++k) {
          gen(kid(n, k));
          exits.push_back(emit(make(vop::keep_if_not_blank, n), 0));
          --depth_;  // the path that goes on has popped the blank
        }
        emit(make(vop::push_blank, n), +1);
        for (const std::uint32_t e : exits)
          patch_a(e, here());
        break;
      }
      case op::compare:
        gen_compare(n);
        break;
      case op::sum:
        if (!gen_score(n)) nary(n, vop::add);
        break;
      case op::product:
        nary(n, vop::mul);
        break;
      case op::power:
        binary(n, vop::power);
        break;
      case op::negate:
        unary(n, vop::negate);
        break;
      case op::percent:
        unary(n, vop::percent);
        break;
      case op::scale_money:
      case op::scale_dur:
        binary(n, vop::scale, kid_flag(n, 1));
        break;
      case op::ratio_money:
      case op::ratio_dur:
        binary(n, vop::ratio);
        break;
      case op::time_plus:
        binary(n, vop::time_plus, kid_flag(n, 1));
        break;
      case op::time_diff:
        binary(n, vop::time_diff);
        break;
      case op::concat:
        variadic(n, vop::concat);
        break;
      case op::starts_with:
        binary(n, vop::starts_with);
        break;
      case op::ends_with:
        binary(n, vop::ends_with);
        break;
      case op::contains_text:
        binary(n, vop::contains_text);
        break;
      case op::contains_list:
        binary(n, vop::contains_list);
        break;
      case op::len_text:
        unary(n, vop::len_text);
        break;
      case op::len_list:
        unary(n, vop::len_list);
        break;
      case op::lower:
        unary(n, vop::lower);
        break;
      case op::upper:
        unary(n, vop::upper);
        break;
      case op::trim:
        unary(n, vop::trim);
        break;
      case op::in_:
        gen_in(n);
        break;
      case op::min_:
        variadic(n, vop::min_);
        break;
      case op::max_:
        variadic(n, vop::max_);
        break;
      case op::abs_:
        unary(n, vop::abs_);
        break;
      case op::round_:
        variadic(n, vop::round_);
        break;
      case op::clamp:
        variadic(n, vop::clamp);
        break;
      case op::between:
        variadic(n, vop::between);
        break;
      case op::hours_since:
        unary(n, vop::hours_since);
        break;
      case op::days_since:
        unary(n, vop::days_since);
        break;
      case op::host_call: {
        for (std::uint32_t k = 0; k < n.count; ++k)
          gen(kid(n, k));
        emit(make(vop::call, n, n.a, n.count), 1 - static_cast<int>(n.count));
        break;
      }
    }
    bc_.ranges.push_back({i, start, here()});
  }

  void unary(const node& n, vop code) {
    gen(kid(n, 0));
    emit(make(code, n, 0, 0, n.sub), 0);
  }
  void binary(const node& n, vop code, std::uint8_t flag = 0) {
    gen(kid(n, 0));
    gen(kid(n, 1));
    emit(make(code, n, 0, 0, n.sub, flag), -1);
  }
  void nary(const node& n, vop code) {
    gen(kid(n, 0));
    for (std::uint32_t k = 1; k < n.count; ++k) {
      gen(kid(n, k));
      emit(make(code, n, 0, 0, 0, kid_flag(n, k)), -1);
    }
  }
  void variadic(const node& n, vop code) {
    for (std::uint32_t k = 0; k < n.count; ++k)
      gen(kid(n, k));
    emit(make(code, n, n.count, 0, n.sub), 1 - static_cast<int>(n.count));
  }

  /// A number sum whose every term is simple becomes one `score` instruction over a term table.
  bool gen_score(const node& n) {
    if (n.type != formula_type::number || n.count < 2) return false;
    std::vector<score_term> terms;
    for (std::uint32_t k = 0; k < n.count; ++k) {
      const node& t = at(kid(n, k));
      score_term st;
      st.minus = kid_flag(n, k) != 0;
      if (t.code == op::constant) {
        st.what = score_term::kind::constant;
        st.a = t.a;
      } else if (t.code == op::field) {
        st.what = score_term::kind::slot;
        st.a = t.a;
      } else if (t.code == op::variable) {
        st.what = score_term::kind::variable;
        st.a = t.a;
      } else if (t.code == op::if_ && t.count == 3 && at(kid(t, 1)).code == op::constant &&
                 at(kid(t, 2)).code == op::constant && at(kid(t, 0)).code == op::compare) {
        const arranged c = arrange(at(kid(t, 0)));
        if (!c.constant || at(c.l).code != op::field) return false;
        st.what = score_term::kind::select_cmp;
        st.sub = c.sub;
        st.a = at(c.l).a;
        st.b = at(c.r).a;
        st.c = at(kid(t, 1)).a;
        st.d = at(kid(t, 2)).a;
        make_threshold(st);
      } else if (t.code == op::if_ && t.count == 3 && at(kid(t, 1)).code == op::constant &&
                 at(kid(t, 2)).code == op::constant && field_in_list_field(at(kid(t, 0)))) {
        const node& in = at(kid(t, 0));
        st.what = score_term::kind::in_list;
        st.a = at(kid(in, 0)).a;
        st.b = at(kid(in, 1)).a;
        st.c = at(kid(t, 1)).a;
        st.d = at(kid(t, 2)).a;
      } else if (t.code == op::product && t.count == 2 && kid_flag(t, 0) == 0 &&
                 kid_flag(t, 1) == 0 && scaled_variable_shape(t)) {
        const bool var_first = at(kid(t, 0)).code == op::variable;
        st.what = score_term::kind::scaled_variable;
        st.a = at(kid(t, var_first ? 0 : 1)).a;
        st.b = at(kid(t, var_first ? 1 : 0)).a;
        st.offset = t.offset;
      } else if (t.code == op::str_switch && lookup_shape(t)) {
        st.what = score_term::kind::lookup;
        st.a = at(kid(t, 0)).a;
        st.b = t.a;
        record_lookup(t);
      } else {
        return false;
      }
      st.deps = t.deps;
      terms.push_back(st);
    }
    const auto first = static_cast<std::uint32_t>(bc_.terms.size());
    bc_.terms.insert(bc_.terms.end(), terms.begin(), terms.end());
    emit(make(vop::score, n, first, static_cast<std::uint32_t>(terms.size())), +1);
    return true;
  }

  /// IN(field, list field): the condition of the fused list-match forms.
  [[nodiscard]] bool field_in_list_field(const node& cond) const {
    return cond.code == op::in_ && cond.count == 2 && kid_flag(cond, 1) != 0 &&
           at(kid(cond, 0)).code == op::field && at(kid(cond, 1)).code == op::field;
  }

  /// A product of a variable and a number constant (that is not a folded error).
  [[nodiscard]] bool scaled_variable_shape(const node& t) const {
    const node& x = at(kid(t, 0));
    const node& y = at(kid(t, 1));
    const node& var = x.code == op::variable ? x : y;
    const node& k = x.code == op::variable ? y : x;
    return var.code == op::variable && k.code == op::constant && !p_.constants[k.a].is_error() &&
           k.type == formula_type::number;
  }

  /// Turns a select_cmp term into a threshold term when the compared class is numeric and both
  /// results are plain numbers: the same test, decided without dispatching on the class.
  void make_threshold(score_term& st) const {
    const auto cls = static_cast<cmp_class>(st.sub >> 3);
    const formula_value& then_v = p_.constants[st.c];
    const formula_value& else_v = p_.constants[st.d];
    const formula_value& limit = p_.constants[st.b];
    const bool numeric_results = then_v.type() == formula_type::number &&
                                 else_v.type() == formula_type::number && !then_v.is_error() &&
                                 !else_v.is_error();
    if (!numeric_results || limit.is_error()) return;
    if (cls == cmp_class::number) {
      st.integral = false;
      st.limit_d = access::num(limit);  // a blank constant reads as 0, as compare() reads it
    } else if (cls == cmp_class::money || cls == cmp_class::interval) {
      st.integral = true;
      st.limit_i = access::i64(limit);
    } else {
      return;
    }
    st.what = score_term::kind::threshold;
    st.sub = st.sub & 7;
    st.then_v = access::num(then_v);
    st.else_v = access::num(else_v);
  }

  /// A text switch on a field whose every result is a constant: a table lookup.
  [[nodiscard]] bool lookup_shape(const node& n) const {
    if (!p_.switch_tables[n.a].has_default || at(kid(n, 0)).code != op::field) return false;
    for (std::uint32_t k = 1; k < n.count; ++k) {
      if (at(kid(n, k)).code != op::constant) return false;
    }
    return true;
  }
  void record_lookup(const node& n) {
    std::vector<std::uint32_t> results;
    for (std::uint32_t k = 1; k < n.count; ++k)
      results.push_back(at(kid(n, k)).a);
    bc_.lookup_results.resize(std::max<std::size_t>(bc_.lookup_results.size(), n.a + 1));
    bc_.lookup_results[n.a] = std::move(results);
  }

  void gen_if(const node& n) {
    const node& then_n = at(kid(n, 1));
    if (n.count == 3 && then_n.code == op::constant && at(kid(n, 2)).code == op::constant) {
      // IF(field <op> constant, c1, c2): the commonest scoring term, one instruction.
      const node& cond = at(kid(n, 0));
      if (cond.code == op::compare) {
        const arranged a = arrange(cond);
        if (a.constant && at(a.l).code == op::field) {
          instr i = make(vop::select_cmp, n, at(a.l).a, at(a.r).a, a.sub);
          i.c = then_n.a;
          i.d = at(kid(n, 2)).a;
          emit(i, +1);
          return;
        }
      }
      // IF(IN(field, list field), c1, c2): a match term of an assignment score
      // (IF(IN(lead.industry, rep.industries), 40, 0)), one instruction.
      if (field_in_list_field(cond)) {
        instr i = make(vop::select_in_list, n, at(kid(cond, 0)).a, at(kid(cond, 1)).a);
        i.c = then_n.a;
        i.d = at(kid(n, 2)).a;
        emit(i, +1);
        return;
      }
      gen(kid(n, 0));
      emit(make(vop::select_const, n, then_n.a, at(kid(n, 2)).a), 0);
      return;
    }
    gen(kid(n, 0));
    const std::uint32_t br = emit(make(vop::branch, n), -1);
    const std::size_t base = depth_;
    gen(kid(n, 1));
    const std::uint32_t skip = emit(make(vop::jump, n), 0);
    patch_a(br, here());
    depth_ = base;
    if (n.count == 3) {
      gen(kid(n, 2));
    } else {
      emit(make(vop::push_blank, n), +1);
    }
    patch_a(skip, here());
    patch_b(br, here());
  }

  void gen_ifs(const node& n) {
    std::vector<std::uint32_t> ends;
    const std::size_t base = depth_;
    for (std::uint32_t k = 0; k + 1 < n.count; k += 2) {
      depth_ = base;
      gen(kid(n, k));
      const std::uint32_t br = emit(make(vop::branch, n), -1);
      ends.push_back(br);  // its b (error exit) goes to the end too
      gen(kid(n, k + 1));
      ends.push_back(emit(make(vop::jump, n), 0));
      patch_a(br, here());
    }
    depth_ = base;
    emit(make(vop::push_error, n, 0, 0, static_cast<std::uint8_t>(formula_error::na)), +1);
    for (const std::uint32_t e : ends) {
      if (bc_.code[e].code == vop::branch) {
        patch_b(e, here());
      } else {
        patch_a(e, here());
      }
    }
  }

  void gen_switch(const node& n) {
    gen(kid(n, 0));
    const std::size_t with_subject = depth_;
    std::vector<std::uint32_t> to_end{emit(make(vop::check_subject, n), 0)};
    std::uint32_t k = 1;
    for (; k + 1 < n.count; k += 2) {
      depth_ = with_subject;
      gen(kid(n, k));
      const std::uint32_t c =
          emit(make(vop::switch_case, n, 0, 0, n.sub), -2);  // on a match both go
      to_end.push_back(c);
      gen(kid(n, k + 1));
      to_end.push_back(emit(make(vop::jump, n), 0));
      patch_a(c, here());
    }
    depth_ = with_subject;
    emit(make(vop::pop, n), -1);
    if (k < n.count) {
      gen(kid(n, k));
    } else {
      emit(make(vop::push_error, n, 0, 0, static_cast<std::uint8_t>(formula_error::na)), +1);
    }
    for (const std::uint32_t e : to_end) {
      if (bc_.code[e].code == vop::switch_case) {
        patch_b(e, here());
      } else {
        patch_a(e, here());
      }
    }
  }

  void gen_str_switch(const node& n) {
    const switch_table& t = p_.switch_tables[n.a];
    if (lookup_shape(n)) {
      record_lookup(n);
      emit(make(vop::str_lookup, n, at(kid(n, 0)).a, n.a), +1);
      return;
    }
    gen(kid(n, 0));
    emit(make(vop::str_switch, n, n.a), -1);
    const std::size_t base = depth_;
    switch_jumps& j = bc_.jumps[n.a];
    j.cases.clear();
    std::vector<std::uint32_t> skips;
    for (std::size_t k = 0; k < t.cases.size(); ++k) {
      depth_ = base;
      j.cases.push_back(here());
      gen(kid(n, static_cast<std::uint32_t>(1 + k)));
      skips.push_back(emit(make(vop::jump, n), 0));
    }
    depth_ = base;
    bc_.jumps[n.a].fallback = here();
    if (t.has_default) {
      gen(kid(n, n.count - 1));
    } else {
      emit(make(vop::push_error, n, 0, 0, static_cast<std::uint8_t>(formula_error::na)), +1);
    }
    bc_.jumps[n.a].end = here();
    for (const std::uint32_t s : skips)
      patch_a(s, here());
  }

  void gen_logic(const node& n) {
    const bool is_and = n.code == op::and_;
    std::vector<std::uint32_t> exits;
    for (std::uint32_t k = 0; k < n.count; ++k) {
      gen(kid(n, k));
      exits.push_back(emit(make(is_and ? vop::and_step : vop::or_step, n), -1));
    }
    emit(make(vop::push_bool, n, 0, 0, static_cast<std::uint8_t>(is_and)), +1);
    for (const std::uint32_t e : exits)
      patch_a(e, here());
  }

  /// A comparison arranged with any constant on the right (c < x becomes x > c).
  struct arranged {
    std::uint32_t l = 0;
    std::uint32_t r = 0;
    std::uint8_t sub = 0;
    /// The right side is a constant value (not a folded error): the fused forms apply.
    bool constant = false;
  };

  [[nodiscard]] arranged arrange(const node& n) const {
    arranged a{kid(n, 0), kid(n, 1), n.sub, false};
    auto cmp = static_cast<cmp_op>(n.sub & 7);
    if (at(a.l).code == op::constant && at(a.r).code != op::constant) {
      std::swap(a.l, a.r);
      switch (cmp) {
        case cmp_op::lt:
          cmp = cmp_op::gt;
          break;
        case cmp_op::le:
          cmp = cmp_op::ge;
          break;
        case cmp_op::gt:
          cmp = cmp_op::lt;
          break;
        case cmp_op::ge:
          cmp = cmp_op::le;
          break;
        default:
          break;
      }
    }
    a.sub = static_cast<std::uint8_t>(static_cast<unsigned>(cmp) |
                                      (static_cast<unsigned>(n.sub) & ~7u));
    // A folded constant can be an error (folded under IFERROR/ISERROR); the fused forms assume
    // a value on the constant side, so an error constant takes the general path.
    a.constant = at(a.r).code == op::constant && !p_.constants[at(a.r).a].is_error();
    return a;
  }

  void gen_compare(const node& n) {
    const arranged a = arrange(n);
    if (a.constant) {
      if (at(a.l).code == op::field) {
        emit(make(vop::compare_slot_const, n, at(a.l).a, at(a.r).a, a.sub), +1);
      } else {
        gen(a.l);
        emit(make(vop::compare_const, n, 0, at(a.r).a, a.sub), 0);
      }
      return;
    }
    gen(a.l);
    gen(a.r);
    emit(make(vop::compare, n, 0, 0, a.sub), -1);
  }

  void gen_in(const node& n) {
    gen(kid(n, 0));
    std::vector<std::uint32_t> exits{emit(make(vop::check_subject, n), 0)};
    for (std::uint32_t k = 1; k < n.count; ++k) {
      gen(kid(n, k));
      exits.push_back(emit(make(vop::in_step, n, 0, 0, n.sub, kid_flag(n, k)), -1));
    }
    emit(make(vop::in_done, n), 0);
    for (const std::uint32_t e : exits)
      patch_a(e, here());
  }

  const access::program& p_;
  bytecode bc_;
  std::size_t depth_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The machine

inline formula_value fail(const instr& in, formula_error e) noexcept {
  return formula_value::error(in.type, e, in.offset);
}

}  // namespace

bytecode generate(const access::program& p) {
  return generator(p).run();
}

std::vector<instr> with_cached(const bytecode& bc, const std::vector<bool>& cached) {
  std::vector<instr> code = bc.code;
  for (const auto& r : bc.ranges) {
    if (r.node >= cached.size() || !cached[r.node] || r.end - r.start < 2) continue;
    instr push;
    push.code = vop::push_cache;
    push.a = r.node;
    push.type = code[r.end - 1].type;
    code[r.start] = push;
    instr skip;
    skip.code = vop::jump;
    skip.a = r.end;
    code[r.start + 1] = skip;
  }
  return code;
}

namespace {

/// The machine's state. run() keeps sp and pc in locals for the frequent instructions and
/// hands everything else to cold(), kept out of line so that the hot loop stays small enough
/// for its variables to live in registers.
struct machine {
  const access::program& p;
  const bytecode& bc;
  access::act_state& st;
  const activation& act;
  const formula_value* constants;
  formula_value* sp_;
  std::uint32_t pc_;

  [[gnu::noinline]] void cold(const instr& in) {
    formula_value*& sp = sp_;
    std::uint32_t& pc = pc_;
    switch (in.code) {
      case vop::push_now:
        *sp++ = formula_value::of_time(act.now());
        break;
      case vop::push_blank:
        *sp++ = formula_value::blank(in.type);
        break;
      case vop::push_bool:
        *sp++ = formula_value::of_bool(in.sub != 0);
        break;
      case vop::push_error:
        *sp++ = fail(in, static_cast<formula_error>(in.sub));
        break;

      case vop::and_step:
      case vop::or_step: {
        const formula_value v = *--sp;
        const bool is_and = in.code == vop::and_step;
        if (v.is_error()) {
          *sp++ = access::retype(v, formula_type::boolean);
          pc = in.a;
        } else if (access::truthy(v) != is_and) {
          *sp++ = formula_value::of_bool(!is_and);
          pc = in.a;
        }
        break;
      }
      case vop::keep_if_ok:
        if (!sp[-1].is_error()) {
          sp[-1] = access::retype(sp[-1], in.type);
          pc = in.a;
        } else {
          --sp;
        }
        break;
      case vop::keep_if_not_blank:
        if (!sp[-1].is_blank()) {
          sp[-1] = access::retype(sp[-1], in.type);
          pc = in.a;
        } else {
          --sp;
        }
        break;
      case vop::check_subject:
        if (sp[-1].is_error()) {
          sp[-1] = access::retype(sp[-1], in.type);
          pc = in.a;
        }
        break;
      case vop::switch_case: {
        const formula_value c = *--sp;
        if (c.is_error()) {
          sp[-1] = access::retype(c, in.type);
          pc = in.b;
        } else if (compare(static_cast<cmp_class>(in.sub), cmp_op::eq, sp[-1], c)) {
          --sp;
        } else {
          pc = in.a;
        }
        break;
      }
      case vop::pop:
        --sp;
        break;
      case vop::str_switch: {
        const formula_value subject = *--sp;
        const switch_jumps& j = bc.jumps[in.a];
        if (subject.is_error()) {
          *sp++ = access::retype(subject, in.type);
          pc = j.end;
          break;
        }
        const switch_table& t = p.switch_tables[in.a];
        const std::size_t k = find_case(t, access::text(subject));
        pc = k < t.cases.size() ? j.cases[k] : j.fallback;
        break;
      }
      case vop::in_step: {
        const formula_value c = *--sp;
        if (c.is_error()) {
          sp[-1] = access::retype(c, formula_type::boolean);
          pc = in.a;
          break;
        }
        const bool hit = in.flag != 0
                             ? in_list(access::list(c), access::text(sp[-1]))
                             : compare(static_cast<cmp_class>(in.sub), cmp_op::eq, sp[-1], c);
        if (hit) {
          sp[-1] = formula_value::of_bool(true);
          pc = in.a;
        }
        break;
      }
      case vop::in_done:
        sp[-1] = formula_value::of_bool(false);
        break;

      case vop::number_to_money: {
        formula_value& v = sp[-1];
        if (!access::ok(v)) {
          v = access::retype(v, formula_type::money);
          break;
        }
        const auto fen = scale_i64(100, access::num(v));
        v = fen ? access::of_i64(formula_type::money, *fen) : fail(in, formula_error::num);
        break;
      }
      case vop::not_: {
        formula_value& v = sp[-1];
        v = v.is_error() ? access::retype(v, formula_type::boolean)
                         : formula_value::of_bool(!access::truthy(v));
        break;
      }
      case vop::iserror:
        sp[-1] = formula_value::of_bool(sp[-1].is_error());
        break;
      case vop::isblank:
        sp[-1] = formula_value::of_bool(sp[-1].is_blank());
        break;

      case vop::compare: {
        const formula_value r = *--sp;
        formula_value& l = sp[-1];
        if (l.is_error()) {
          l = access::retype(l, formula_type::boolean);
        } else if (r.is_error()) {
          l = access::retype(r, formula_type::boolean);
        } else {
          l = formula_value::of_bool(
              compare(static_cast<cmp_class>(in.sub >> 3), static_cast<cmp_op>(in.sub & 7), l, r));
        }
        break;
      }
      case vop::compare_const: {
        formula_value& l = sp[-1];
        if (l.is_error()) {
          l = access::retype(l, formula_type::boolean);
        } else {
          l = formula_value::of_bool(compare(static_cast<cmp_class>(in.sub >> 3),
                                             static_cast<cmp_op>(in.sub & 7), l, constants[in.b]));
        }
        break;
      }
      case vop::add: {
        const formula_value r = *--sp;
        formula_value& l = sp[-1];
        if (l.is_error()) {
          l = access::retype(l, in.type);
          break;
        }
        if (r.is_error()) {
          l = access::retype(r, in.type);
          break;
        }
        if (in.type == formula_type::number) {
          const double x =
              in.flag != 0 ? access::num(l) - access::num(r) : access::num(l) + access::num(r);
          l = std::isfinite(x) ? formula_value::of_number(x) : fail(in, formula_error::num);
        } else {
          std::int64_t out = 0;
          const bool overflow = in.flag != 0
                                    ? __builtin_sub_overflow(access::i64(l), access::i64(r), &out)
                                    : __builtin_add_overflow(access::i64(l), access::i64(r), &out);
          l = overflow ? fail(in, formula_error::num) : access::of_i64(in.type, out);
        }
        break;
      }
      case vop::mul: {
        const formula_value r = *--sp;
        formula_value& l = sp[-1];
        if (l.is_error()) {
          l = access::retype(l, in.type);
          break;
        }
        if (r.is_error()) {
          l = access::retype(r, in.type);
          break;
        }
        const double y = access::num(r);
        if (in.flag != 0 && y == 0) {
          l = fail(in, formula_error::div_by_zero);
          break;
        }
        const double x = in.flag != 0 ? access::num(l) / y : access::num(l) * y;
        l = std::isfinite(x) ? formula_value::of_number(x) : fail(in, formula_error::num);
        break;
      }
      case vop::power: {
        const formula_value b = *--sp;
        formula_value& a = sp[-1];
        if (a.is_error() || b.is_error()) {
          a = access::retype(a.is_error() ? a : b, in.type);
          break;
        }
        if (access::num(a) == 0 && access::num(b) < 0) {
          a = fail(in, formula_error::div_by_zero);
          break;
        }
        const double r = std::pow(access::num(a), access::num(b));
        a = std::isfinite(r) ? formula_value::of_number(r) : fail(in, formula_error::num);
        break;
      }
      case vop::negate: {
        formula_value& v = sp[-1];
        if (v.is_error()) {
          v = access::retype(v, in.type);
        } else if (in.type == formula_type::number) {
          v = formula_value::of_number(0.0 - access::num(v));
        } else if (access::i64(v) == std::numeric_limits<std::int64_t>::min()) {
          v = fail(in, formula_error::num);
        } else {
          v = access::of_i64(in.type, -access::i64(v));
        }
        break;
      }
      case vop::percent: {
        formula_value& v = sp[-1];
        v = v.is_error() ? access::retype(v, in.type)
                         : formula_value::of_number(access::num(v) / 100.0);
        break;
      }
      case vop::scale: {
        const formula_value b = *--sp;
        formula_value& a = sp[-1];
        if (a.is_error() || b.is_error()) {
          a = access::retype(a.is_error() ? a : b, in.type);
          break;
        }
        const double factor = access::num(b);
        if (in.flag != 0 && factor == 0) {
          a = fail(in, formula_error::div_by_zero);
          break;
        }
        const auto r = scale_i64(access::i64(a), factor, in.flag != 0);
        a = r ? access::of_i64(in.type, *r) : fail(in, formula_error::num);
        break;
      }
      case vop::ratio: {
        const formula_value b = *--sp;
        formula_value& a = sp[-1];
        if (a.is_error() || b.is_error()) {
          a = access::retype(a.is_error() ? a : b, in.type);
          break;
        }
        a = access::i64(b) == 0 ? fail(in, formula_error::div_by_zero)
                                : formula_value::of_number(static_cast<double>(access::i64(a)) /
                                                           static_cast<double>(access::i64(b)));
        break;
      }
      case vop::time_plus: {
        const formula_value d = *--sp;
        formula_value& t = sp[-1];
        if (!access::ok(t)) {
          t = access::retype(t, in.type);
          break;
        }
        if (d.is_error()) {
          t = access::retype(d, in.type);
          break;
        }
        std::int64_t out = 0;
        const bool overflow = in.flag != 0
                                  ? __builtin_sub_overflow(access::i64(t), access::i64(d), &out)
                                  : __builtin_add_overflow(access::i64(t), access::i64(d), &out);
        t = overflow || !in_supported_range(from_unix_micros(out))
                ? fail(in, formula_error::num)
                : access::of_i64(formula_type::time, out);
        break;
      }
      case vop::time_diff: {
        const formula_value b = *--sp;
        formula_value& a = sp[-1];
        if (a.is_error() || b.is_error()) {
          a = access::retype(a.is_error() ? a : b, in.type);
          break;
        }
        if (a.is_blank() || b.is_blank()) {
          a = formula_value::blank(formula_type::interval);
          break;
        }
        std::int64_t out = 0;
        a = __builtin_sub_overflow(access::i64(a), access::i64(b), &out)
                ? fail(in, formula_error::num)
                : access::of_i64(formula_type::interval, out);
        break;
      }
      case vop::concat: {
        formula_value* parts = sp - in.a;
        sp = parts + 1;
        std::size_t total = 0;
        bool failed = false;
        for (std::uint32_t k = 0; k < in.a; ++k) {
          formula_value& v = parts[k];
          if (v.is_error()) {
            parts[0] = access::retype(v, in.type);
            failed = true;
            break;
          }
          if (v.type() != formula_type::string && !v.is_blank())
            v = formula_value::of_string(st.keep(v.to_string()));
          total += access::text(v).size();
        }
        if (failed) break;
        char* out = st.allocate(total);
        std::size_t at = 0;
        for (std::uint32_t k = 0; k < in.a; ++k) {
          const std::string_view s = access::text(parts[k]);
          if (!s.empty()) std::memcpy(out + at, s.data(), s.size());  // a blank has no data
          at += s.size();
        }
        parts[0] = formula_value::of_string({out, total});
        break;
      }
      case vop::starts_with:
      case vop::ends_with:
      case vop::contains_text:
      case vop::contains_list: {
        const formula_value b = *--sp;
        formula_value& a = sp[-1];
        if (a.is_error() || b.is_error()) {
          a = access::retype(a.is_error() ? a : b, formula_type::boolean);
          break;
        }
        bool r = false;
        switch (in.code) {
          case vop::starts_with:
            r = starts_with_fold(access::text(a), access::text(b));
            break;
          case vop::ends_with:
            r = ends_with_fold(access::text(a), access::text(b));
            break;
          case vop::contains_text:
            r = contains_fold(access::text(a), access::text(b));
            break;
          default:
            r = in_list(access::list(a), access::text(b));
            break;
        }
        a = formula_value::of_bool(r);
        break;
      }
      case vop::len_text: {
        formula_value& v = sp[-1];
        v = v.is_error()
                ? access::retype(v, in.type)
                : formula_value::of_number(static_cast<double>(count_code_points(access::text(v))));
        break;
      }
      case vop::len_list: {
        formula_value& v = sp[-1];
        const auto* l = access::list(v);
        v = v.is_error()
                ? access::retype(v, in.type)
                : formula_value::of_number(l == nullptr ? 0.0 : static_cast<double>(l->size()));
        break;
      }
      case vop::lower:
      case vop::upper:
      case vop::trim: {
        formula_value& v = sp[-1];
        if (!access::ok(v)) {
          v = access::retype(v, in.type);
        } else if (in.code == vop::trim) {
          v = trim(st, access::text(v));
        } else {
          v = change_case(st, access::text(v), in.code == vop::upper);
        }
        break;
      }
      case vop::min_:
      case vop::max_: {
        formula_value* args = sp - in.a;
        sp = args + 1;
        const auto cls = static_cast<cmp_class>(in.sub);
        const cmp_op better = in.code == vop::min_ ? cmp_op::lt : cmp_op::gt;
        formula_value best = formula_value::blank(in.type);
        for (std::uint32_t k = 0; k < in.a; ++k) {
          const formula_value& v = args[k];
          if (v.is_error()) {
            best = v;
            break;
          }
          if (v.is_blank()) continue;
          if (best.is_blank() || compare(cls, better, v, best)) best = v;
        }
        args[0] = access::retype(best, in.type);
        break;
      }
      case vop::abs_: {
        formula_value& v = sp[-1];
        if (!access::ok(v)) {
          v = access::retype(v, in.type);
        } else if (in.type == formula_type::number) {
          v = formula_value::of_number(std::fabs(access::num(v)));
        } else if (access::i64(v) == std::numeric_limits<std::int64_t>::min()) {
          v = fail(in, formula_error::num);
        } else {
          v = access::of_i64(in.type, access::i64(v) < 0 ? -access::i64(v) : access::i64(v));
        }
        break;
      }
      case vop::round_: {
        formula_value* args = sp - in.a;
        sp = args + 1;
        formula_value& v = args[0];
        if (!access::ok(v)) {
          v = access::retype(v, in.type);
          break;
        }
        int digits = 0;
        if (in.a == 2) {
          if (args[1].is_error()) {
            v = access::retype(args[1], in.type);
            break;
          }
          digits = static_cast<int>(std::clamp(std::trunc(access::num(args[1])), -15.0, 15.0));
        }
        if (in.type == formula_type::number) {
          v = formula_value::of_number(round_decimal(access::num(v), digits));
          break;
        }
        std::int64_t unit = 1;
        bool huge = false;
        for (int k = digits; k < 2; ++k) {
          if (unit > std::numeric_limits<std::int64_t>::max() / 10) {
            huge = true;
            break;
          }
          unit *= 10;
        }
        if (huge) {
          v = formula_value::of_money(money{});
        } else {
          const auto r = round_to_unit(access::i64(v), unit);
          v = r ? access::of_i64(formula_type::money, *r) : fail(in, formula_error::num);
        }
        break;
      }
      case vop::clamp:
      case vop::between: {
        formula_value* args = sp - 3;
        sp = args + 1;
        const formula_value x = args[0], lo = args[1], hi = args[2];
        formula_value& out = args[0];
        if (x.is_error() || lo.is_error() || hi.is_error()) {
          out = access::retype(x.is_error() ? x : lo.is_error() ? lo : hi, in.type);
          break;
        }
        const auto cls = static_cast<cmp_class>(in.sub);
        if (compare(cls, cmp_op::gt, lo, hi)) {
          out = fail(in, formula_error::num);
        } else if (in.code == vop::between) {
          out = formula_value::of_bool(compare(cls, cmp_op::ge, x, lo) &&
                                       compare(cls, cmp_op::le, x, hi));
        } else {
          out = access::retype(compare(cls, cmp_op::lt, x, lo)   ? lo
                               : compare(cls, cmp_op::gt, x, hi) ? hi
                                                                 : x,
                               in.type);
        }
        break;
      }
      case vop::hours_since:
      case vop::days_since: {
        formula_value& t = sp[-1];
        if (!access::ok(t)) {
          t = access::retype(t, in.type);
          break;
        }
        const double micros =
            static_cast<double>(to_unix_micros(act.now())) - static_cast<double>(access::i64(t));
        t = formula_value::of_number(micros / (in.code == vop::hours_since ? 3.6e9 : 8.64e10));
        break;
      }
      case vop::call: {
        const function_def& f = p.functions[in.a];
        formula_value* args = sp - in.b;
        sp = args + 1;
        const formula_value* failed = nullptr;
        for (std::uint32_t k = 0; k < in.b; ++k) {
          if (args[k].is_error()) {
            failed = &args[k];
            break;
          }
        }
        if (failed != nullptr) {
          args[0] = access::retype(*failed, in.type);
          break;
        }
        const formula_value r =
            f.impl(std::span<const formula_value>(args, in.b), access::context(act), f.user);
        if (r.is_error()) {
          args[0] = formula_value::error(in.type, r.error(), in.offset);
        } else if (r.is_blank()) {
          args[0] = formula_value::blank(in.type);
        } else {
          args[0] = r.type() != in.type ? fail(in, formula_error::value)
                    : r.type() == formula_type::number && !std::isfinite(access::num(r))
                        ? fail(in, formula_error::num)  // NaN and infinities stay out
                        : r;
        }
        break;
      }
      case vop::push_const:
      case vop::push_slot:
      case vop::push_cache:
      case vop::jump:
      case vop::branch:
      case vop::compare_slot_const:
      case vop::select_const:
      case vop::select_cmp:
      case vop::select_in_list:
      case vop::push_var:
      case vop::score:
      case vop::str_lookup:
      case vop::ret:
        break;  // run() handles these itself
    }
  }
};

/// IF(l <op> r, then, else) with a constant r, as the tree computes it: an error in `l` passes
/// through (not retyped). `sub` is the comparison (op | class << 3). Shared by the fused
/// instruction and the fused sum's term.
[[gnu::always_inline]] inline formula_value select_cmp_value(const formula_value& l,
                                                             std::uint8_t sub,
                                                             const formula_value& r,
                                                             const formula_value& then_v,
                                                             const formula_value& else_v) noexcept {
  if (l.is_error()) return l;
  return compare(static_cast<cmp_class>(sub >> 3), static_cast<cmp_op>(sub & 7), l, r) ? then_v
                                                                                       : else_v;
}

/// IF(IN(subject, list), then, else), as the tree computes it: an error passes through.
[[gnu::always_inline]] inline formula_value select_in_list_value(
    const formula_value& subject, const formula_value& list, const formula_value& then_v,
    const formula_value& else_v) noexcept {
  if (subject.is_error()) return subject;
  if (list.is_error()) return list;
  return in_list(access::list(list), access::text(subject)) ? then_v : else_v;
}

/// Where one evaluation reads its slots and variables: the activation's own.
struct one_source {
  const formula_value* slots;
  const formula_value* variables;
  [[nodiscard]] const formula_value& slot(std::uint32_t i) const noexcept { return slots[i]; }
  [[nodiscard]] const formula_value& var(std::uint32_t i) const noexcept { return variables[i]; }
};

/// One term of kind K of a fused sum, as the tree computes it (a number, blank or error). `src`
/// gives the slots and variables (one_source, or one record of a batch).
template <score_term::kind K, class Source>
[[gnu::always_inline]] inline formula_value term_value(const access::program& p, const bytecode& bc,
                                                       const score_term& term, const Source& src,
                                                       const formula_value* constants) noexcept {
  using kind = score_term::kind;
  if constexpr (K == kind::constant) {
    return constants[term.a];
  } else if constexpr (K == kind::slot) {
    return src.slot(term.a);
  } else if constexpr (K == kind::variable) {
    return src.var(term.a);
  } else if constexpr (K == kind::select_cmp) {
    return select_cmp_value(src.slot(term.a), term.sub, constants[term.b], constants[term.c],
                            constants[term.d]);
  } else if constexpr (K == kind::threshold) {
    const formula_value& l = src.slot(term.a);
    if (l.is_error()) return l;
    int ord = 0;
    if (term.integral) {
      const std::int64_t x = access::i64(l);
      ord = x < term.limit_i ? -1 : x > term.limit_i ? 1 : 0;
    } else {
      const double x = access::num(l);
      ord = x < term.limit_d ? -1 : x > term.limit_d ? 1 : 0;
    }
    bool hit = false;
    switch (static_cast<cmp_op>(term.sub)) {
      case cmp_op::eq:
        hit = ord == 0;
        break;
      case cmp_op::ne:
        hit = ord != 0;
        break;
      case cmp_op::lt:
        hit = ord < 0;
        break;
      case cmp_op::le:
        hit = ord <= 0;
        break;
      case cmp_op::gt:
        hit = ord > 0;
        break;
      case cmp_op::ge:
        hit = ord >= 0;
        break;
    }
    return formula_value::of_number(hit ? term.then_v : term.else_v);
  } else if constexpr (K == kind::in_list) {
    return select_in_list_value(src.slot(term.a), src.slot(term.b), constants[term.c],
                                constants[term.d]);
  } else if constexpr (K == kind::scaled_variable) {
    const formula_value& x = src.var(term.a);
    if (x.is_error()) return x;
    const double y = access::num(x) * access::num(constants[term.b]);
    return std::isfinite(y)
               ? formula_value::of_number(y)
               : formula_value::error(formula_type::number, formula_error::num, term.offset);
  } else {
    static_assert(K == kind::lookup);
    const formula_value& subject = src.slot(term.a);
    return subject.is_error() ? subject
                              : constants[bc.lookup_results[term.b][find_case(
                                    p.switch_tables[term.b], access::text(subject))]];
  }
}

/// Calls fn.template operator()<K>() for the term's kind K: one dispatch, then code made for
/// that kind.
template <class Fn>
[[gnu::always_inline]] inline decltype(auto) with_kind(score_term::kind k, Fn&& fn) {
  using kind = score_term::kind;
  switch (k) {
    case kind::constant:
      return fn.template operator()<kind::constant>();
    case kind::slot:
      return fn.template operator()<kind::slot>();
    case kind::variable:
      return fn.template operator()<kind::variable>();
    case kind::select_cmp:
      return fn.template operator()<kind::select_cmp>();
    case kind::threshold:
      return fn.template operator()<kind::threshold>();
    case kind::in_list:
      return fn.template operator()<kind::in_list>();
    case kind::scaled_variable:
      return fn.template operator()<kind::scaled_variable>();
    case kind::lookup:
      break;
  }
  return fn.template operator()<kind::lookup>();
}

/// One term of a fused sum, whatever its kind.
template <class Source>
[[gnu::always_inline]] inline formula_value score_term_value(
    const access::program& p, const bytecode& bc, const score_term& term, const Source& src,
    const formula_value* constants) noexcept {
  return with_kind(
      term.what, [&]<score_term::kind K>() { return term_value<K>(p, bc, term, src, constants); });
}

/// A `score` instruction: a sum of simple terms (a weight formula's usual shape). With
/// `prepared`, the terms that read only the scopes prepare() fixed come from st.term_values.
template <bool Prepared>
[[gnu::always_inline]] inline formula_value score_sum(const access::program& p, const bytecode& bc,
                                                      const instr& in, const access::act_state& st,
                                                      const formula_value* slots,
                                                      const formula_value* constants) noexcept {
  // The tree's sum, term by term and in order (so rounding is the same): the first error
  // wins; overflow is #NUM! at once. Prepared, the leading fixed terms are one cached sum.
  double acc = 0;
  std::uint32_t k = 0;
  if constexpr (Prepared) {
    if (st.prefix_sum.is_error()) return st.prefix_sum;
    acc = access::num(st.prefix_sum);
    k = st.prefix_terms;
  }
  const score_term* term = bc.terms.data() + in.a + k;
  for (; k < in.b; ++k, ++term) {
    const bool cached = Prepared && term->deps != 0 && (term->deps & ~st.fixed_terms) == 0;
    const formula_value v =
        cached ? st.term_values[in.a + k]
               : score_term_value(p, bc, *term, one_source{slots, st.variables.data()}, constants);
    if (v.is_error()) return access::retype(v, in.type);
    acc = term->minus ? acc - access::num(v) : acc + access::num(v);
    if (!std::isfinite(acc)) return formula_value::error(in.type, formula_error::num, in.offset);
  }
  return formula_value::of_number(acc);
}

}  // namespace

formula_value run_score(const access::program& p, const access::act_state& st,
                        const formula_value* slots, bool prepared) noexcept {
  return prepared ? score_sum<true>(p, p.bc, p.bc.code[0], st, slots, p.constants.data())
                  : score_sum<false>(p, p.bc, p.bc.code[0], st, slots, p.constants.data());
}

namespace {

/// Record `rec` of a batch (out[i]): the varying scope's slots from their columns, the rest
/// from the activation.
struct batch_source {
  const formula_value* const* columns;
  const formula_value* slots;
  const formula_value* variables;
  std::size_t varying;  // the variable that varies (formula::no_variable: none)
  const formula_value* var_values;
  std::size_t i;    // position in out (and var_values)
  std::size_t rec;  // record in the batch
  [[nodiscard]] const formula_value& slot(std::uint32_t s) const noexcept {
    return columns[s] != nullptr ? columns[s][rec] : slots[s];
  }
  [[nodiscard]] const formula_value& var(std::uint32_t v) const noexcept {
    return v == varying ? var_values[i] : variables[v];
  }
};

}  // namespace

void run_score_each(const access::program& p, const access::act_state& st, bool prepared,
                    const record_batch& batch, std::span<const std::uint32_t> which,
                    std::size_t var, const formula_value* var_values, double* acc,
                    std::span<formula_value> out) noexcept {
  // score_sum, turned inside out: term by term over the whole batch (one dispatch per term,
  // not per record), each record's running sum in acc[i]. Per record the order of the terms,
  // the first error and the overflow check are score_sum's, so results are identical:
  // - term values are finite numbers or errors, so a sum that is not finite has overflowed,
  //   and stays not finite: the overflow check can wait for the next term error or the end;
  // - a record whose result is settled (an error) has out[i] set and acc[i] NaN, which no
  //   later term changes.
  const instr& in = p.bc.code[0];
  const std::size_t n = out.size();
  const formula_value* const* columns = access::slot_columns(batch).data();
  const list_indexes* indexes = access::indexes(batch);
  const bool all = which.empty();
  auto record_at = [&](std::size_t i) { return all ? i : std::size_t{which[i]}; };
  std::uint32_t k = 0;
  formula_value start = formula_value::of_number(0);
  if (prepared) {
    start = st.prefix_sum;
    k = st.prefix_terms;
  }
  if (start.is_error()) {
    for (formula_value& v : out)
      v = start;
    return;
  }
  const double start_sum = access::num(start);
  constexpr double settled = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < n; ++i) {
    acc[i] = start_sum;
    out[i] = formula_value::of_number(0);  // not an error: the sum is still open
  }
  const formula_value* constants = p.constants.data();
  // A term's error value for record i: the result, unless the sum overflowed before it.
  auto fail = [&](std::size_t i, const formula_value& err) {
    if (out[i].is_error()) return;  // settled earlier
    out[i] = std::isfinite(acc[i]) ? access::retype(err, in.type)
                                   : formula_value::error(in.type, formula_error::num, in.offset);
    acc[i] = settled;
  };
  // A term's value (number, blank or error) for record i.
  auto add = [&](std::size_t i, const formula_value& v, bool minus) {
    if (v.is_error()) {
      fail(i, v);
      return;
    }
    acc[i] = minus ? acc[i] - access::num(v) : acc[i] + access::num(v);
  };
  for (; k < in.b; ++k) {
    const score_term& term = p.bc.terms[in.a + k];
    if (prepared && term.deps != 0 && (term.deps & ~st.fixed_terms) == 0) {
      const formula_value& v = st.term_values[in.a + k];  // the same for every record
      for (std::size_t i = 0; i < n; ++i)
        add(i, v, term.minus);
      continue;
    }
    if (term.what == score_term::kind::in_list && columns[term.a] == nullptr &&
        columns[term.b] != nullptr && !st.slots[term.a].is_error()) {
      // IN(fixed subject, each record's list): the subject is looked at once.
      const std::string_view subject = access::text(st.slots[term.a]);
      const formula_value* lists = columns[term.b];
      const formula_value& then_v = constants[term.c];
      const formula_value& else_v = constants[term.d];
      if (indexes != nullptr && indexes->by_slot[term.b] >= 0 && !then_v.is_error() &&
          !else_v.is_error()) {
        // Indexed, both branches numbers: the subject's bit, then a bit test and an add per
        // record (lists are never errors in an index).
        const list_index& index =
            indexes->by_binding[static_cast<std::size_t>(indexes->by_slot[term.b])];
        const int bit = index.bit_of(subject);
        if (bit >= -1) {
          const std::uint64_t want = bit < 0 ? 0 : std::uint64_t{1} << bit;
          const double sign = term.minus ? -1.0 : 1.0;
          // Chosen by index, not by branch: a rep's match is as likely as not.
          const double add_n[2] = {sign * access::num(else_v), sign * access::num(then_v)};
          const std::uint64_t* masks = index.masks.data();
          for (std::size_t i = 0; i < n; ++i)
            acc[i] += add_n[(masks[record_at(i)] & want) != 0 ? 1 : 0];
          continue;
        }
      }
      // Without an ASCII letter in the subject (a Chinese industry or region), text `=` is
      // byte equality.
      const bool exact = !has_ascii_letter(subject);
      for (std::size_t i = 0; i < n; ++i) {
        const formula_value& list = lists[record_at(i)];
        if (list.is_error()) {
          fail(i, list);
          continue;
        }
        const bool hit = exact ? in_list_exact(access::list(list), subject)
                               : in_list(access::list(list), subject);
        add(i, hit ? then_v : else_v, term.minus);
      }
      continue;
    }
    // A loop made for the term's kind: no dispatch per record.
    with_kind(term.what, [&]<score_term::kind K>() {
      batch_source src{columns, st.slots.data(), st.variables.data(), var, var_values, 0, 0};
      for (std::size_t i = 0; i < n; ++i) {
        src.i = i;
        src.rec = record_at(i);
        add(i, term_value<K>(p, p.bc, term, src, constants), term.minus);
      }
    });
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (out[i].is_error()) continue;
    out[i] = std::isfinite(acc[i]) ? formula_value::of_number(acc[i])
                                   : formula_value::error(in.type, formula_error::num, in.offset);
  }
}

void prepare_score(const access::program& p, access::act_state& st, std::uint32_t fixed) {
  st.term_values.resize(p.bc.terms.size());
  st.fixed_terms = fixed;
  const instr& in = p.bc.code[0];
  for (std::uint32_t k = 0; k < in.b; ++k) {
    const score_term& term = p.bc.terms[in.a + k];
    if (term.deps != 0 && (term.deps & ~fixed) == 0)
      st.term_values[in.a + k] = score_term_value(
          p, p.bc, term, one_source{st.slots.data(), st.variables.data()}, p.constants.data());
  }
  // The leading fixed terms, summed exactly as score_sum would (same order, same checks).
  double acc = 0;
  std::uint32_t k = 0;
  st.prefix_sum = formula_value::of_number(0);
  for (; k < in.b; ++k) {
    const score_term& term = p.bc.terms[in.a + k];
    if ((term.deps & ~fixed) != 0) break;  // a constant (no deps) belongs to the prefix too
    const formula_value v =
        term.deps != 0
            ? st.term_values[in.a + k]
            : score_term_value(p, p.bc, term, one_source{st.slots.data(), st.variables.data()},
                               p.constants.data());
    if (v.is_error()) {
      st.prefix_sum = access::retype(v, in.type);
      break;
    }
    acc = term.minus ? acc - access::num(v) : acc + access::num(v);
    if (!std::isfinite(acc)) {
      st.prefix_sum = formula_value::error(in.type, formula_error::num, in.offset);
      break;
    }
    st.prefix_sum = formula_value::of_number(acc);
  }
  st.prefix_terms = k;
}

formula_value run(const access::program& p, const bytecode& bc, const instr* code,
                  access::act_state& st, const activation& act) {
  machine m{p, bc, st, act, p.constants.data(), st.stack.data(), 0};
  formula_value* sp = m.sp_;  // next free slot
  std::uint32_t pc = 0;
  const formula_value* constants = m.constants;
  const formula_value* slots = st.slots.data();
  for (;;) {
    const instr& in = code[pc++];
    switch (in.code) {
      case vop::push_const:
        *sp++ = constants[in.a];
        break;
      case vop::push_slot:
        *sp++ = slots[in.a];
        break;
      case vop::push_cache:
        *sp++ = st.cache[in.a];
        break;
      case vop::push_var:
        *sp++ = st.variables[in.a];
        break;
      case vop::jump:
        pc = in.a;
        break;
      case vop::branch: {
        const formula_value c = *--sp;
        if (c.is_error()) {
          *sp++ = access::retype(c, in.type);
          pc = in.b;
        } else if (!access::truthy(c)) {
          pc = in.a;
        }
        break;
      }
      case vop::compare_slot_const: {
        const formula_value& l = slots[in.a];
        *sp++ = l.is_error() ? access::retype(l, formula_type::boolean)
                             : formula_value::of_bool(compare(static_cast<cmp_class>(in.sub >> 3),
                                                              static_cast<cmp_op>(in.sub & 7), l,
                                                              constants[in.b]));
        break;
      }
      case vop::select_const: {
        formula_value& c = sp[-1];
        c = c.is_error() ? access::retype(c, in.type) : constants[access::truthy(c) ? in.a : in.b];
        break;
      }
      case vop::str_lookup: {
        const formula_value& subject = slots[in.a];
        if (subject.is_error()) {
          *sp++ = access::retype(subject, in.type);
          break;
        }
        // The default's constant is stored after the cases': k == cases.size() picks it.
        const std::size_t k = find_case(p.switch_tables[in.b], access::text(subject));
        *sp++ = constants[bc.lookup_results[in.b][k]];
        break;
      }
      case vop::score:
        *sp++ = score_sum<false>(p, bc, in, st, slots, constants);
        break;
      case vop::select_cmp: {
        const formula_value v = select_cmp_value(slots[in.a], in.sub, constants[in.b],
                                                 constants[in.c], constants[in.d]);
        *sp++ = v.is_error() ? access::retype(v, in.type) : v;
        break;
      }
      case vop::select_in_list: {
        const formula_value v =
            select_in_list_value(slots[in.a], slots[in.b], constants[in.c], constants[in.d]);
        *sp++ = v.is_error() ? access::retype(v, in.type) : v;
        break;
      }
      case vop::mul:  // multiplication of numbers (division, with its zero check, is cold)
        if (in.flag == 0 && !sp[-1].is_error() && !sp[-2].is_error()) {
          const double x = access::num(sp[-2]) * access::num(sp[-1]);
          --sp;
          sp[-1] = std::isfinite(x) ? formula_value::of_number(x)
                                    : formula_value::error(in.type, formula_error::num, in.offset);
          break;
        }
        goto cold;
      case vop::add:
        if (in.type == formula_type::number && !sp[-1].is_error() && !sp[-2].is_error()) {
          const double x = in.flag != 0 ? access::num(sp[-2]) - access::num(sp[-1])
                                        : access::num(sp[-2]) + access::num(sp[-1]);
          --sp;
          sp[-1] = std::isfinite(x) ? formula_value::of_number(x)
                                    : formula_value::error(in.type, formula_error::num, in.offset);
          break;
        }
        [[fallthrough]];
      default:
      cold:
        m.sp_ = sp;
        m.pc_ = pc;
        m.cold(in);
        sp = m.sp_;
        pc = m.pc_;
        break;
      case vop::ret:
        return sp[-1];
    }
  }
}

}  // namespace crmrules::detail::fx
