// The formula compiler: names resolved to slots, types checked, constants folded.
#include "rules/formula/compile.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "crmrules/model/validate.hpp"
#include "rules/formula/ast.hpp"
#include "rules/formula/program.hpp"
#include "rules/formula/vm.hpp"
#include "util/suggest.hpp"
#include "util/utf8.hpp"

namespace crmrules::detail::fx {

formula_value fold_constant(const access::program& p, std::uint32_t i, access::act_state& st,
                            const activation& act);

namespace {

constexpr std::uint32_t no_node = UINT32_MAX;

struct typed {
  std::uint32_t node = no_node;
  formula_type type = formula_type::blank;
  [[nodiscard]] bool ok() const { return node != no_node; }
};

struct builtin {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;  // SIZE_MAX: any number
};

constexpr std::size_t many = SIZE_MAX;
constexpr std::array<builtin, 28> builtins{{
    {"IF", 2, 3},          {"IFS", 2, many},      {"SWITCH", 3, many},   {"AND", 1, many},
    {"OR", 1, many},       {"NOT", 1, 1},         {"IFERROR", 2, 2},     {"ISERROR", 1, 1},
    {"ISBLANK", 1, 1},     {"COALESCE", 1, many}, {"STARTS_WITH", 2, 2}, {"ENDS_WITH", 2, 2},
    {"CONTAINS", 2, 2},    {"LEN", 1, 1},         {"LOWER", 1, 1},       {"UPPER", 1, 1},
    {"TRIM", 1, 1},        {"IN", 2, many},       {"MIN", 1, many},      {"MAX", 1, many},
    {"ABS", 1, 1},         {"ROUND", 1, 2},       {"CLAMP", 3, 3},       {"NOW", 0, 0},
    {"HOURS_SINCE", 1, 1}, {"DAYS_SINCE", 1, 1},  {"BETWEEN", 3, 3},     {"TRUE", 0, 0},
}};

const builtin* find_builtin(std::string_view upper) {
  if (upper == "FALSE") return &builtins.back();  // TRUE()/FALSE() share arity 0
  for (const auto& b : builtins) {
    if (b.name == upper) return &b;
  }
  return nullptr;
}

formula_type formula_type_of(value_type t) {
  switch (t) {
    case value_type::null:
      return formula_type::blank;
    case value_type::boolean:
      return formula_type::boolean;
    case value_type::integer:
    case value_type::decimal:
      return formula_type::number;
    case value_type::money:
      return formula_type::money;
    case value_type::string:
      return formula_type::string;
    case value_type::time:
      return formula_type::time;
    case value_type::interval:
      return formula_type::interval;
    case value_type::string_list:
      return formula_type::string_list;
  }
  return formula_type::blank;
}

std::optional<cmp_class> class_of(formula_type t) {
  switch (t) {
    case formula_type::number:
    case formula_type::blank:
      return cmp_class::number;
    case formula_type::money:
      return cmp_class::money;
    case formula_type::string:
      return cmp_class::text;
    case formula_type::time:
      return cmp_class::time;
    case formula_type::interval:
      return cmp_class::interval;
    case formula_type::boolean:
      return cmp_class::boolean;
    case formula_type::string_list:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string a_type(formula_type t) {
  switch (t) {
    case formula_type::blank:
      return "blank";
    case formula_type::boolean:
      return "TRUE/FALSE";
    case formula_type::number:
      return "a number";
    case formula_type::money:
      return "an amount of money";
    case formula_type::string:
      return "text";
    case formula_type::time:
      return "a time";
    case formula_type::interval:
      return "a duration";
    case formula_type::string_list:
      return "a list";
  }
  return "a value";
}

std::string count_args(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " argument" : " arguments");
}

class compiler {
 public:
  compiler(std::string_view text, const formula_env& env, const syntax_tree& tree,
           std::size_t max_depth, std::vector<formula_issue>& issues)
      : text_(text),
        env_(env),
        tree_(tree),
        issues_(issues),
        p_(std::make_unique<access::program>()),
        max_depth_(max_depth) {
    p_->text = std::string(text);
    p_->slots_by_scope.resize(access::scopes(env).size());
    for (const auto& s : access::scopes(env))
      p_->scope_kinds.push_back(s.kind);
    for (const auto& v : access::variables(env))
      p_->variables.push_back(
          {v.name, v.type, v.scope == formula_env::npos ? dep_vars : (1u << v.scope)});
  }

  std::unique_ptr<access::program> run() {
    const typed root = compile(tree_.root);
    if (!issues_.empty() || !root.ok()) return nullptr;
    p_->root = root.node;
    return std::move(p_);
  }

 private:
  // -- errors -----------------------------------------------------------------------------------

  void error(std::uint32_t offset, std::uint32_t length, std::string message,
             std::string suggestion = {}) {
    issues_.push_back(
        {offset, std::max<std::uint32_t>(length, 1), std::move(message), std::move(suggestion)});
  }
  void error(const ast_node& n, std::string message, std::string suggestion = {}) {
    error(n.offset, n.length, std::move(message), std::move(suggestion));
  }
  std::string_view source(const ast_node& n) const { return text_.substr(n.offset, n.length); }
  std::string quoted(const ast_node& n) const {
    std::string s(source(n));
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return "'" + s + "'";
  }

  // -- emitting ---------------------------------------------------------------------------------

  std::uint32_t emit(node n, const std::vector<std::uint32_t>& children,
                     const std::vector<std::uint8_t>& flags = {}) {
    n.first = static_cast<std::uint32_t>(p_->kids.size());
    n.count = static_cast<std::uint32_t>(children.size());
    std::size_t depth = 1;
    for (std::size_t k = 0; k < children.size(); ++k) {
      p_->kids.push_back(children[k]);
      p_->kid_flags.push_back(k < flags.size() ? flags[k] : 0);
      n.deps |= p_->nodes[children[k]].deps;
      depth = std::max(depth, depths_[children[k]] + 1);
    }
    // The parser bounds the syntax tree's depth; chains that mix types (time + 2h + 3h ...,
    // amount * 2 * 3 ...) become nested nodes here, so the program's depth is bounded too,
    // for the passes and evaluators that recurse on it. Conversions may add a level each.
    if (depth > 2 * max_depth_ + 2 && !too_deep_) {
      too_deep_ = true;
      error(n.offset, n.length,
            "formula nested too deeply: more than " + std::to_string(max_depth_) +
                " levels of parentheses, calls or operators (long chains of amounts, durations "
                "or times count one level per operator)");
    }
    depths_.push_back(depth);
    p_->nodes.push_back(n);
    return static_cast<std::uint32_t>(p_->nodes.size() - 1);
  }

  typed emit_typed(op code, formula_type type, const ast_node& at,
                   const std::vector<std::uint32_t>& children,
                   const std::vector<std::uint8_t>& flags = {}, std::uint8_t sub = 0) {
    node n;
    n.code = code;
    n.type = type;
    n.sub = sub;
    n.offset = at.offset;
    n.length = at.length;
    return {emit(n, children, flags), type};
  }

  typed constant(formula_value v, const ast_node& at) {
    node n;
    n.code = op::constant;
    n.type = v.type();
    n.a = static_cast<std::uint32_t>(p_->constants.size());
    n.offset = at.offset;
    n.length = at.length;
    p_->constants.push_back(v);
    return {emit(n, {}), v.type()};
  }

  /// Makes `x` a `want`: the same type; blank (retyped); or a number read as yuan for money.
  bool coerce(typed& x, formula_type want) {
    if (!x.ok() || x.type == want || want == formula_type::blank) return true;
    if (x.type == formula_type::blank) {
      retype_blank(x.node, want);
      x.type = want;
      return true;
    }
    if (x.type == formula_type::number && want == formula_type::money) {
      node n;
      n.code = op::number_to_money;
      n.type = formula_type::money;
      n.offset = p_->nodes[x.node].offset;
      n.length = p_->nodes[x.node].length;
      x = {emit(n, {x.node}), formula_type::money};
      return true;
    }
    return false;
  }

  void retype_blank(std::uint32_t i, formula_type t) {
    node& n = p_->nodes[i];
    n.type = t;
    if (n.code == op::constant) p_->constants[n.a] = access::retype(p_->constants[n.a], t);
    // Branches of blank-typed IF/COALESCE... are retyped with their parent.
    for (std::uint32_t k = 0; k < n.count; ++k) {
      const std::uint32_t kid = p_->kids[n.first + k];
      if (p_->nodes[kid].type == formula_type::blank && n.code != op::isblank &&
          n.code != op::iserror) {
        retype_blank(kid, t);
      }
    }
  }

  /// The common type of `xs` (money absorbs numbers; blank fits anything), or an error.
  std::optional<formula_type> unify(std::vector<typed*> xs,
                                    const std::vector<const ast_node*>& where,
                                    std::string_view what) {
    formula_type target = formula_type::blank;
    for (const typed* x : xs) {
      if (!x->ok()) return std::nullopt;
      if (x->type == formula_type::blank) continue;
      if (target == formula_type::blank ||
          (target == formula_type::number && x->type == formula_type::money)) {
        target = x->type;
      }
    }
    for (std::size_t k = 0; k < xs.size(); ++k) {
      if (!coerce(*xs[k], target)) {
        error(*where[k], std::string(what) + " must all be of one type: " + quoted(*where[k]) +
                             " is " + a_type(xs[k]->type) + " where " + a_type(target) +
                             " is expected");
        return std::nullopt;
      }
    }
    return target;
  }

  /// Checks that `x` is a condition (TRUE/FALSE).
  bool condition(typed& x, const ast_node& at, std::string_view what) {
    if (!x.ok()) return false;
    if (coerce(x, formula_type::boolean)) return true;
    error(at, std::string(what) +
                  " must be TRUE or FALSE (a comparison such as 预算 > 50万), but " + quoted(at) +
                  " is " + a_type(x.type));
    return false;
  }

  bool expect(typed& x, formula_type want, const ast_node& at, std::string_view what) {
    if (!x.ok()) return false;
    if (coerce(x, want)) return true;
    error(at, std::string(what) + " must be " + a_type(want) + ", but " + quoted(at) + " is " +
                  a_type(x.type));
    return false;
  }

  // -- the walk ---------------------------------------------------------------------------------

  typed compile(std::uint32_t ai) {
    const ast_node& a = tree_.nodes[ai];
    switch (a.kind) {
      case ast_kind::number:
        return constant(formula_value::of_number(a.number), a);
      case ast_kind::duration:
        return constant(formula_value::of_duration(duration{a.micros}), a);
      case ast_kind::string:
        return constant(formula_value::of_string(p_->keep(a.text)), a);
      case ast_kind::boolean:
        return constant(formula_value::of_bool(a.flag), a);
      case ast_kind::null:
        return constant(formula_value::blank(formula_type::blank), a);
      case ast_kind::path:
        return path(a);
      case ast_kind::call:
        return call(a);
      case ast_kind::unary:
        return unary(a);
      case ast_kind::binary:
        return binary(a);
      case ast_kind::nary:
        return nary(a);
      case ast_kind::invalid:
        return {};
    }
    return {};
  }

  std::vector<typed> compile_all(const ast_node& a) {
    std::vector<typed> out;
    out.reserve(a.children.size());
    for (const std::uint32_t c : a.children)
      out.push_back(compile(c));
    return out;
  }
  const ast_node& child(const ast_node& a, std::size_t k) const {
    return tree_.nodes[a.children[k]];
  }
  static bool all_ok(const std::vector<typed>& xs) {
    return std::all_of(xs.begin(), xs.end(), [](const typed& x) { return x.ok(); });
  }
  static std::vector<std::uint32_t> nodes_of(const std::vector<typed>& xs) {
    std::vector<std::uint32_t> out;
    for (const auto& x : xs)
      out.push_back(x.node);
    return out;
  }

  // -- names ------------------------------------------------------------------------------------

  typed path(const ast_node& a) {
    std::string joined;
    for (const auto& seg : a.path)
      joined += (joined.empty() ? "" : ".") + seg;
    // Engine variables first (they may be dotted, like rep.load).
    const auto& vars = access::variables(env_);
    for (std::size_t v = 0; v < vars.size(); ++v) {
      if (vars[v].name == joined) {
        node n;
        n.code = op::variable;
        n.type = vars[v].type;
        n.a = static_cast<std::uint32_t>(v);
        n.deps = vars[v].scope == formula_env::npos ? dep_vars : (1u << vars[v].scope);
        n.offset = a.offset;
        n.length = a.length;
        return {emit(n, {}), vars[v].type};
      }
    }
    const auto& scopes = access::scopes(env_);
    if (a.path.size() == 1) {
      const std::string& name = a.path[0];
      std::vector<std::pair<std::size_t, const field_def*>> found;
      for (std::size_t s = 0; s < scopes.size(); ++s) {
        if (const field_def* f = env_.schemas().of(scopes[s].kind).find(name))
          found.emplace_back(s, f);
      }
      if (found.size() == 1) return field(a, found[0].first, *found[0].second);
      if (found.size() > 1) {
        std::string options;
        for (const auto& [s, f] : found)
          options += (options.empty() ? "" : " or ") + scopes[s].name + "." + f->name;
        error(a, "'" + name + "' is ambiguous: it could be " + options,
              scopes[found[0].first].name + "." + name);
        return {};
      }
      unknown_name(a, name);
      return {};
    }
    if (a.path.size() == 2) {
      for (std::size_t s = 0; s < scopes.size(); ++s) {
        const auto& sc = scopes[s];
        const bool match = sc.name == a.path[0] || std::find(sc.aliases.begin(), sc.aliases.end(),
                                                             a.path[0]) != sc.aliases.end();
        if (!match) continue;
        const schema& sch = env_.schemas().of(sc.kind);
        if (const field_def* f = sch.find(a.path[1])) return field(a, s, *f);
        const auto spellings = sch.spellings();
        error(a,
              "unknown field '" + a.path[1] + "' of " + sc.name + " (" +
                  std::string(to_string(sc.kind)) + ")",
              closest_match(a.path[1], spellings).value_or(""));
        return {};
      }
      std::vector<std::string> names;
      for (const auto& sc : scopes) {
        names.push_back(sc.name);
        for (const auto& al : sc.aliases)
          names.push_back(al);
      }
      std::vector<std::string_view> views(names.begin(), names.end());
      std::string known;
      for (const auto& sc : scopes)
        known += (known.empty() ? "" : ", ") + sc.name;
      // Maybe it is a field whose name contains a dot: try the whole thing as one name.
      error(a,
            "unknown record '" + a.path[0] + "'" +
                (known.empty() ? "" : " (this formula can see: " + known + ")"),
            closest_match(a.path[0], views).value_or(""));
      return {};
    }
    error(a, "'" + joined + "': a field is named by at most two parts (record.field)");
    return {};
  }

  void unknown_name(const ast_node& a, const std::string& name) {
    const std::string upper = ascii_upper(name);
    if (find_builtin(upper) != nullptr || host_function(upper) != nullptr) {
      error(a, upper + " is a function: call it with parentheses", upper + "()");
      return;
    }
    std::vector<std::string> spellings;
    const auto& scopes = access::scopes(env_);
    for (const auto& sc : scopes) {
      for (auto sp : env_.schemas().of(sc.kind).spellings())
        spellings.emplace_back(sp);
    }
    for (const auto& v : access::variables(env_))
      spellings.push_back(v.name);
    std::vector<std::string_view> views(spellings.begin(), spellings.end());
    std::string where;
    for (const auto& sc : scopes)
      where += (where.empty() ? "" : ", ") + sc.name;
    const auto suggestion = closest_match(name, views);
    // No field looks like it: perhaps it was meant as text, such as 线索来源=官网表单.
    error(a,
          "unknown field '" + name + "'" + (where.empty() ? "" : " (looked in " + where + ")") +
              (suggestion ? "" : "; text values need double quotes: \"" + name + "\""),
          suggestion.value_or(""));
  }

  typed field(const ast_node& a, std::size_t scope, const field_def& f) {
    const formula_type t = formula_type_of(f.type);
    std::uint32_t slot = 0;
    const auto key = std::make_pair(scope, f.name);
    if (auto it = slot_index_.find(key); it != slot_index_.end()) {
      slot = it->second;
    } else {
      slot = static_cast<std::uint32_t>(p_->slots.size());
      p_->slots.push_back({scope, f, t});
      p_->slots_by_scope[scope].push_back(slot);
      slot_index_.emplace(key, slot);
    }
    node n;
    n.code = op::field;
    n.type = t;
    n.a = slot;
    n.deps = 1u << scope;
    n.offset = a.offset;
    n.length = a.length;
    return {emit(n, {}), t};
  }

  const function_def* host_function(std::string_view upper) const {
    for (const auto& f : access::functions(env_)) {
      if (ascii_upper(f.name) == upper) return &f;
    }
    return nullptr;
  }

  // -- operators --------------------------------------------------------------------------------

  typed unary(const ast_node& a) {
    typed x = compile(a.children[0]);
    if (!x.ok()) return {};
    const ast_node& arg = child(a, 0);
    if (a.logic == logic_op::not_) {
      if (!condition(x, arg, "the operand of NOT")) return {};
      return emit_typed(op::not_, formula_type::boolean, a, {x.node});
    }
    if (a.op == tok::percent) {
      if (!expect(x, formula_type::number, arg, "a percentage")) return {};
      return emit_typed(op::percent, formula_type::number, a, {x.node});
    }
    if (x.type == formula_type::blank) coerce(x, formula_type::number);
    if (x.type != formula_type::number && x.type != formula_type::money &&
        x.type != formula_type::interval) {
      error(arg, "a sign needs a number, an amount or a duration, but " + quoted(arg) + " is " +
                     a_type(x.type));
      return {};
    }
    if (a.op == tok::plus) return x;
    return emit_typed(op::negate, x.type, a, {x.node});
  }

  /// The comparison class of l and r (converting numbers next to money), or an error at `at`.
  std::optional<cmp_class> comparable(typed& l, typed& r, std::uint32_t at, const ast_node& ln,
                                      const ast_node& rn) {
    if (!l.ok() || !r.ok()) return std::nullopt;
    if (l.type == formula_type::string_list || r.type == formula_type::string_list) {
      error(at, 1, "lists cannot be compared with = < >; use IN(x, list) or CONTAINS(list, x)");
      return std::nullopt;
    }
    if (l.type == formula_type::blank)
      coerce(l, r.type == formula_type::blank ? formula_type::number : r.type);
    if (r.type == formula_type::blank) coerce(r, l.type);
    if (l.type == formula_type::money) coerce(r, formula_type::money);
    if (r.type == formula_type::money) coerce(l, formula_type::money);
    if (l.type != r.type) {
      std::string hint;
      if ((l.type == formula_type::string && r.type == formula_type::number) ||
          (l.type == formula_type::number && r.type == formula_type::string)) {
        hint = "; put the number in quotes to compare text, or compare with a number field";
      }
      error(at, 1,
            "cannot compare " + a_type(l.type) + " with " + a_type(r.type) + ": " + quoted(ln) +
                " is " + a_type(l.type) + ", " + quoted(rn) + " is " + a_type(r.type) + hint);
      return std::nullopt;
    }
    return class_of(l.type);
  }

  typed binary(const ast_node& a) {
    typed l = compile(a.children[0]);
    typed r = compile(a.children[1]);
    const ast_node& ln = child(a, 0);
    const ast_node& rn = child(a, 1);
    if (!l.ok() || !r.ok()) return {};
    if (a.op == tok::caret) {
      if (!expect(l, formula_type::number, ln, "the base of ^") ||
          !expect(r, formula_type::number, rn, "the exponent of ^")) {
        return {};
      }
      return emit_typed(op::power, formula_type::number, a, {l.node, r.node});
    }
    const auto cls = comparable(l, r, a.name_offset, ln, rn);
    if (!cls) return {};
    cmp_op o = cmp_op::eq;
    switch (a.op) {
      case tok::eq:
        o = cmp_op::eq;
        break;
      case tok::ne:
        o = cmp_op::ne;
        break;
      case tok::lt:
        o = cmp_op::lt;
        break;
      case tok::le:
        o = cmp_op::le;
        break;
      case tok::gt:
        o = cmp_op::gt;
        break;
      default:
        o = cmp_op::ge;
        break;
    }
    const auto sub =
        static_cast<std::uint8_t>(static_cast<unsigned>(o) | (static_cast<unsigned>(*cls) << 3));
    return emit_typed(op::compare, formula_type::boolean, a, {l.node, r.node}, {}, sub);
  }

  typed nary(const ast_node& a) {
    std::vector<typed> xs = compile_all(a);
    if (!all_ok(xs)) return {};
    if (a.logic == logic_op::and_ || a.logic == logic_op::or_) {
      for (std::size_t k = 0; k < xs.size(); ++k) {
        if (!condition(xs[k], child(a, k),
                       a.logic == logic_op::and_ ? "each side of AND" : "each side of OR"))
          return {};
      }
      return emit_typed(a.logic == logic_op::and_ ? op::and_ : op::or_, formula_type::boolean, a,
                        nodes_of(xs));
    }
    std::vector<std::uint8_t> flags(a.inverted.begin(), a.inverted.end());
    if (a.op == tok::amp) {
      for (std::size_t k = 0; k < xs.size(); ++k) {
        if (xs[k].type == formula_type::blank) coerce(xs[k], formula_type::string);
      }
      typed t = emit_typed(op::concat, formula_type::string, a, nodes_of(xs));
      p_->nodes[t.node].b = static_cast<std::uint32_t>(p_->host_args);
      p_->host_args += xs.size();
      return t;
    }
    if (a.op == tok::plus) return additive(a, xs, flags);
    return multiplicative(a, xs, flags);
  }

  typed additive(const ast_node& a, std::vector<typed>& xs,
                 const std::vector<std::uint8_t>& flags) {
    bool has_time = false;
    for (std::size_t k = 0; k < xs.size(); ++k) {
      const formula_type t = xs[k].type;
      if (t == formula_type::string) {
        error(child(a, k), quoted(child(a, k)) + " is text: join text with &, not +", "&");
        return {};
      }
      if (t == formula_type::boolean || t == formula_type::string_list) {
        error(child(a, k),
              "cannot add or subtract " + a_type(t) + " (" + quoted(child(a, k)) + ")");
        return {};
      }
      has_time = has_time || t == formula_type::time;
    }
    if (!has_time) {
      std::vector<typed*> ptrs;
      std::vector<const ast_node*> where;
      for (std::size_t k = 0; k < xs.size(); ++k) {
        ptrs.push_back(&xs[k]);
        where.push_back(&child(a, k));
      }
      auto t = unify(ptrs, where, "the terms of + and -");
      if (!t) return {};
      const formula_type type = *t == formula_type::blank ? formula_type::number : *t;
      for (auto& x : xs)
        coerce(x, type);
      return emit_typed(op::sum, type, a, nodes_of(xs), flags);
    }
    // With times in it: left to right, time ± duration and time - time.
    typed acc = xs[0];
    for (std::size_t k = 1; k < xs.size(); ++k) {
      typed next = xs[k];
      const bool minus = flags[k] != 0;
      const ast_node& at = child(a, k);
      if (acc.type == formula_type::blank) coerce(acc, formula_type::time);
      if (acc.type == formula_type::time && next.type == formula_type::time && minus) {
        acc = emit_typed(op::time_diff, formula_type::interval, a, {acc.node, next.node});
      } else if (acc.type == formula_type::time &&
                 (next.type == formula_type::interval || next.type == formula_type::blank)) {
        coerce(next, formula_type::interval);
        acc = emit_typed(op::time_plus, formula_type::time, a, {acc.node, next.node},
                         {0, static_cast<std::uint8_t>(minus)});
      } else if (acc.type == formula_type::interval && next.type == formula_type::time && !minus) {
        acc = emit_typed(op::time_plus, formula_type::time, a, {next.node, acc.node});
      } else if (acc.type == formula_type::interval &&
                 (next.type == formula_type::interval || next.type == formula_type::blank)) {
        coerce(next, formula_type::interval);
        acc = emit_typed(op::sum, formula_type::interval, a, {acc.node, next.node},
                         {0, static_cast<std::uint8_t>(minus)});
      } else {
        error(at, std::string("cannot ") + (minus ? "subtract " : "add ") + a_type(next.type) +
                      " " + quoted(at) + (minus ? " from " : " to ") + a_type(acc.type) +
                      " (times take durations: time + 2h, time - time)");
        return {};
      }
    }
    return acc;
  }

  typed multiplicative(const ast_node& a, std::vector<typed>& xs,
                       const std::vector<std::uint8_t>& flags) {
    bool all_numbers = true;
    for (auto& x : xs) {
      if (x.type == formula_type::blank) coerce(x, formula_type::number);
      all_numbers = all_numbers && x.type == formula_type::number;
    }
    if (all_numbers) return emit_typed(op::product, formula_type::number, a, nodes_of(xs), flags);
    typed acc = xs[0];
    for (std::size_t k = 1; k < xs.size(); ++k) {
      typed next = xs[k];
      const bool divide = flags[k] != 0;
      const ast_node& at = child(a, k);
      const formula_type l = acc.type, r = next.type;
      const bool scalable = l == formula_type::money || l == formula_type::interval;
      if (scalable && r == formula_type::number) {
        acc = emit_typed(l == formula_type::money ? op::scale_money : op::scale_dur, l, a,
                         {acc.node, next.node}, {0, static_cast<std::uint8_t>(divide)});
      } else if (l == formula_type::number && !divide &&
                 (r == formula_type::money || r == formula_type::interval)) {
        acc = emit_typed(r == formula_type::money ? op::scale_money : op::scale_dur, r, a,
                         {next.node, acc.node});
      } else if (scalable && r == l && divide) {
        acc = emit_typed(l == formula_type::money ? op::ratio_money : op::ratio_dur,
                         formula_type::number, a, {acc.node, next.node});
      } else if (l == formula_type::number && r == formula_type::number) {
        acc = emit_typed(op::product, formula_type::number, a, {acc.node, next.node},
                         {0, static_cast<std::uint8_t>(divide)});
      } else {
        error(at, std::string("cannot ") + (divide ? "divide " : "multiply ") + a_type(l) +
                      (divide ? " by " : " by ") + a_type(r) + " " + quoted(at));
        return {};
      }
    }
    return acc;
  }

  // -- calls ------------------------------------------------------------------------------------

  typed call(const ast_node& a) {
    const std::string& name = a.text;
    const builtin* b = find_builtin(name);
    const std::size_t n = a.children.size();
    const auto name_length = static_cast<std::uint32_t>(a.name.size());
    if (b == nullptr) {
      if (const function_def* f = host_function(name)) return host_call(a, *f);
      std::vector<std::string> names;
      for (const auto& bi : builtins)
        names.emplace_back(bi.name);
      names.emplace_back("FALSE");
      for (const auto& f : access::functions(env_))
        names.push_back(ascii_upper(f.name));
      std::vector<std::string_view> views(names.begin(), names.end());
      error(a.name_offset, name_length, "unknown function '" + a.name + "'",
            closest_match(name, views).value_or(""));
      for (const std::uint32_t c : a.children)
        compile(c);  // report errors inside the arguments too
      return {};
    }
    if (n < b->min_args || n > b->max_args) {
      std::string expected;
      if (b->max_args == many) {
        expected = "at least " + count_args(b->min_args);
      } else if (b->min_args == b->max_args) {
        expected = count_args(b->min_args);
      } else {
        expected = std::to_string(b->min_args) + " or " + count_args(b->max_args);
      }
      error(a.name_offset, name_length, name + " takes " + expected + ", got " + std::to_string(n));
      for (const std::uint32_t c : a.children)
        compile(c);
      return {};
    }
    std::vector<typed> xs = compile_all(a);
    if (!all_ok(xs)) return {};

    if (name == "TRUE" || name == "FALSE")
      return constant(formula_value::of_bool(name == "TRUE"), a);
    if (name == "IF") return call_if(a, xs);
    if (name == "IFS") return call_ifs(a, xs);
    if (name == "SWITCH") return call_switch(a, xs);
    if (name == "AND" || name == "OR") {
      for (std::size_t k = 0; k < n; ++k) {
        if (!condition(xs[k], child(a, k), "argument " + std::to_string(k + 1) + " of " + name))
          return {};
      }
      return emit_typed(name == "AND" ? op::and_ : op::or_, formula_type::boolean, a, nodes_of(xs));
    }
    if (name == "NOT") {
      if (!condition(xs[0], child(a, 0), "the argument of NOT")) return {};
      return emit_typed(op::not_, formula_type::boolean, a, nodes_of(xs));
    }
    if (name == "IFERROR" || name == "COALESCE") {
      auto t = unify_args(a, xs, "the arguments of " + name);
      if (!t) return {};
      return emit_typed(name == "IFERROR" ? op::iferror : op::coalesce, *t, a, nodes_of(xs));
    }
    if (name == "ISERROR") return emit_typed(op::iserror, formula_type::boolean, a, nodes_of(xs));
    if (name == "ISBLANK") return emit_typed(op::isblank, formula_type::boolean, a, nodes_of(xs));
    if (name == "STARTS_WITH" || name == "ENDS_WITH") {
      if (!text_args(a, xs, name)) return {};
      return emit_typed(name == "STARTS_WITH" ? op::starts_with : op::ends_with,
                        formula_type::boolean, a, nodes_of(xs));
    }
    if (name == "CONTAINS") {
      if (xs[0].type == formula_type::string_list) {
        if (!expect(xs[1], formula_type::string, child(a, 1), "argument 2 of CONTAINS")) return {};
        return emit_typed(op::contains_list, formula_type::boolean, a, nodes_of(xs));
      }
      if (!text_args(a, xs, name)) return {};
      return emit_typed(op::contains_text, formula_type::boolean, a, nodes_of(xs));
    }
    if (name == "LEN") {
      if (xs[0].type == formula_type::string_list)
        return emit_typed(op::len_list, formula_type::number, a, nodes_of(xs));
      if (!expect(xs[0], formula_type::string, child(a, 0), "the argument of LEN")) return {};
      return emit_typed(op::len_text, formula_type::number, a, nodes_of(xs));
    }
    if (name == "LOWER" || name == "UPPER" || name == "TRIM") {
      if (!expect(xs[0], formula_type::string, child(a, 0), "the argument of " + name)) return {};
      const op code = name == "LOWER" ? op::lower : name == "UPPER" ? op::upper : op::trim;
      return emit_typed(code, formula_type::string, a, nodes_of(xs));
    }
    if (name == "IN") return call_in(a, xs);
    if (name == "MIN" || name == "MAX") {
      auto t = unify_args(a, xs, "the arguments of " + name);
      if (!t) return {};
      const formula_type type = *t == formula_type::blank ? formula_type::number : *t;
      if (type == formula_type::boolean || type == formula_type::string_list ||
          type == formula_type::string) {
        error(a.name_offset, name_length,
              name + " needs numbers, amounts, times or durations, not " + a_type(type));
        return {};
      }
      for (auto& x : xs)
        coerce(x, type);
      return emit_typed(name == "MIN" ? op::min_ : op::max_, type, a, nodes_of(xs), {},
                        static_cast<std::uint8_t>(*class_of(type)));
    }
    if (name == "ABS") {
      if (xs[0].type == formula_type::blank) coerce(xs[0], formula_type::number);
      const formula_type t = xs[0].type;
      if (t != formula_type::number && t != formula_type::money && t != formula_type::interval) {
        error(child(a, 0), "ABS needs a number, an amount or a duration, but " +
                               quoted(child(a, 0)) + " is " + a_type(t));
        return {};
      }
      return emit_typed(op::abs_, t, a, nodes_of(xs));
    }
    if (name == "ROUND") {
      if (xs[0].type == formula_type::blank) coerce(xs[0], formula_type::number);
      const formula_type t = xs[0].type;
      if (t != formula_type::number && t != formula_type::money) {
        error(child(a, 0),
              "ROUND needs a number or an amount, but " + quoted(child(a, 0)) + " is " + a_type(t));
        return {};
      }
      if (n == 2 && !expect(xs[1], formula_type::number, child(a, 1), "the digits of ROUND"))
        return {};
      return emit_typed(op::round_, t, a, nodes_of(xs));
    }
    if (name == "CLAMP" || name == "BETWEEN") {
      auto t = unify_args(a, xs, "the arguments of " + name);
      if (!t) return {};
      const formula_type type = *t == formula_type::blank ? formula_type::number : *t;
      if (type == formula_type::boolean || type == formula_type::string_list) {
        error(a.name_offset, name_length,
              name + " needs values that can be ordered, not " + a_type(type));
        return {};
      }
      for (auto& x : xs)
        coerce(x, type);
      const auto cls = static_cast<std::uint8_t>(*class_of(type));
      return name == "CLAMP"
                 ? emit_typed(op::clamp, type, a, nodes_of(xs), {}, cls)
                 : emit_typed(op::between, formula_type::boolean, a, nodes_of(xs), {}, cls);
    }
    if (name == "NOW") {
      node nd;
      nd.code = op::now;
      nd.type = formula_type::time;
      nd.deps = dep_now;
      nd.offset = a.offset;
      nd.length = a.length;
      return {emit(nd, {}), formula_type::time};
    }
    if (name == "HOURS_SINCE" || name == "DAYS_SINCE") {
      if (!expect(xs[0], formula_type::time, child(a, 0), "the argument of " + name)) return {};
      typed t = emit_typed(name == "HOURS_SINCE" ? op::hours_since : op::days_since,
                           formula_type::number, a, nodes_of(xs));
      p_->nodes[t.node].deps |= dep_now;
      return t;
    }
    error(a.name_offset, name_length, "internal: no implementation for " + name);
    return {};
  }

  std::optional<formula_type> unify_args(const ast_node& a, std::vector<typed>& xs,
                                         const std::string& what) {
    std::vector<typed*> ptrs;
    std::vector<const ast_node*> where;
    for (std::size_t k = 0; k < xs.size(); ++k) {
      ptrs.push_back(&xs[k]);
      where.push_back(&child(a, k));
    }
    return unify(ptrs, where, what);
  }

  bool text_args(const ast_node& a, std::vector<typed>& xs, const std::string& name) {
    for (std::size_t k = 0; k < xs.size(); ++k) {
      if (!expect(xs[k], formula_type::string, child(a, k),
                  "argument " + std::to_string(k + 1) + " of " + name))
        return false;
    }
    return true;
  }

  typed call_if(const ast_node& a, std::vector<typed>& xs) {
    if (!condition(xs[0], child(a, 0), "the condition of IF")) return {};
    std::vector<typed*> branches{&xs[1]};
    std::vector<const ast_node*> where{&child(a, 1)};
    if (xs.size() == 3) {
      branches.push_back(&xs[2]);
      where.push_back(&child(a, 2));
    }
    auto t = unify(branches, where, "the results of IF");
    if (!t) return {};
    if (auto sw = as_str_switch(a, xs, *t)) return *sw;
    return emit_typed(op::if_, *t, a, nodes_of(xs));
  }

  struct text_case_match {
    std::uint32_t subject;  // the field node
    std::uint32_t slot;
    std::string_view key;
  };

  /// If `cond` is `field = "text"` (either way round): the field and the text.
  std::optional<text_case_match> text_case(std::uint32_t cond_node) const {
    const node& cond = p_->nodes[cond_node];
    if (cond.code != op::compare || static_cast<cmp_class>(cond.sub >> 3) != cmp_class::text ||
        static_cast<cmp_op>(cond.sub & 7) != cmp_op::eq) {
      return std::nullopt;
    }
    std::uint32_t subject = p_->kids[cond.first];
    std::uint32_t literal = p_->kids[cond.first + 1];
    if (p_->nodes[subject].code == op::constant) std::swap(subject, literal);
    if (p_->nodes[subject].code != op::field || p_->nodes[literal].code != op::constant)
      return std::nullopt;
    return text_case_match{subject, p_->nodes[subject].a,
                           access::text(p_->constants[p_->nodes[literal].a])};
  }

  /// IF(x = "a", r1, IF(x = "b", r2, ...)) on one text field becomes one lookup instead of a
  /// chain of comparisons (the seed weight formula's shape). Semantics are unchanged: cases are
  /// tried in order with the same case-insensitive equality, and the last else is the default.
  std::optional<typed> as_str_switch(const ast_node& a, std::vector<typed>& xs, formula_type t) {
    const auto first = text_case(xs[0].node);
    if (!first) return std::nullopt;
    const std::uint32_t slot = first->slot;
    const std::uint32_t subject = first->subject;
    std::vector<std::string_view> cases{first->key};
    std::vector<std::uint32_t> results{xs[1].node};
    std::optional<std::uint32_t> fallback =
        xs.size() == 3 ? std::optional<std::uint32_t>(xs[2].node) : std::nullopt;
    // Absorb an else branch that tests the same field: a nested IF or an already built switch.
    while (fallback) {
      const node& other = p_->nodes[*fallback];
      if (other.code == op::if_ && other.count >= 2) {
        const auto c = text_case(p_->kids[other.first]);
        if (!c || c->slot != slot) break;
        cases.push_back(c->key);
        results.push_back(p_->kids[other.first + 1]);
        fallback = other.count == 3 ? std::optional<std::uint32_t>(p_->kids[other.first + 2])
                                    : std::nullopt;
        continue;
      }
      if (other.code == op::str_switch && p_->nodes[p_->kids[other.first]].code == op::field &&
          p_->nodes[p_->kids[other.first]].a == slot) {
        const switch_table& inner = p_->switch_tables[other.a];
        for (std::size_t k = 0; k < inner.cases.size(); ++k) {
          cases.push_back(inner.cases[k].key);
          results.push_back(p_->kids[other.first + 1 + k]);
        }
        fallback = p_->kids[other.first + other.count - 1];  // inner switches always have a default
        break;
      }
      break;
    }
    if (cases.size() < 2) return std::nullopt;
    switch_table table;
    for (const auto c : cases) {
      const bool letters = std::any_of(
          c.begin(), c.end(), [](char ch) { return (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'; });
      table.cases.push_back({c, letters});
    }
    table.has_default = true;
    // Without an else, no match gives blank, as IF does.
    if (!fallback) fallback = constant(formula_value::blank(t), a).node;
    std::vector<std::uint32_t> kids{subject};
    kids.insert(kids.end(), results.begin(), results.end());
    kids.push_back(*fallback);
    typed out = emit_typed(op::str_switch, t, a, kids);
    p_->nodes[out.node].a = static_cast<std::uint32_t>(p_->switch_tables.size());
    p_->switch_tables.push_back(std::move(table));
    return out;
  }

  typed call_ifs(const ast_node& a, std::vector<typed>& xs) {
    if (xs.size() % 2 != 0) {
      error(child(a, xs.size() - 1),
            "IFS needs pairs of a condition and a value; this one has no value");
      return {};
    }
    std::vector<typed*> values;
    std::vector<const ast_node*> where;
    for (std::size_t k = 0; k < xs.size(); k += 2) {
      if (!condition(xs[k], child(a, k), "condition " + std::to_string(k / 2 + 1) + " of IFS"))
        return {};
      values.push_back(&xs[k + 1]);
      where.push_back(&child(a, k + 1));
    }
    auto t = unify(values, where, "the results of IFS");
    if (!t) return {};
    return emit_typed(op::ifs, *t, a, nodes_of(xs));
  }

  /// Numbers matched against amounts become amounts: when the subject or any candidate is
  /// money, every number among them is converted up front, whatever the argument order.
  void promote_to_money(typed& subject, const std::vector<typed*>& candidates) {
    bool money = subject.type == formula_type::money;
    for (const typed* c : candidates)
      money = money || c->type == formula_type::money;
    if (!money) return;
    if (subject.type == formula_type::number) coerce(subject, formula_type::money);
    for (typed* c : candidates) {
      if (c->type == formula_type::number) coerce(*c, formula_type::money);
    }
  }

  typed call_switch(const ast_node& a, std::vector<typed>& xs) {
    // SWITCH(subject, case1, value1, case2, value2, ..., [default])
    const std::size_t n = xs.size();
    const std::size_t pairs = (n - 1) / 2;
    const bool has_default = (n - 1) % 2 == 1;
    std::vector<typed*> results;
    std::vector<const ast_node*> where;
    typed& subject = xs[0];
    std::vector<typed*> cases;
    for (std::size_t i = 0; i < pairs; ++i)
      cases.push_back(&xs[1 + 2 * i]);
    promote_to_money(subject, cases);
    for (std::size_t i = 0; i < pairs; ++i) {
      const std::size_t k = 1 + 2 * i;
      if (!comparable(subject, xs[k], child(a, k).offset, child(a, 0), child(a, k))) return {};
      results.push_back(&xs[k + 1]);
      where.push_back(&child(a, k + 1));
    }
    if (has_default) {
      results.push_back(&xs[n - 1]);
      where.push_back(&child(a, n - 1));
    }
    auto t = unify(results, where, "the results of SWITCH");
    if (!t) return {};
    const auto cls = class_of(subject.type);
    if (!cls) {
      error(child(a, 0), "SWITCH cannot match a list");
      return {};
    }
    return emit_typed(op::switch_, *t, a, nodes_of(xs), {}, static_cast<std::uint8_t>(*cls));
  }

  typed call_in(const ast_node& a, std::vector<typed>& xs) {
    typed& subject = xs[0];
    if (subject.type == formula_type::string_list) {
      error(child(a, 0), "IN looks for one value; to test a list, use CONTAINS(list, value)");
      return {};
    }
    std::vector<typed*> candidates;
    for (std::size_t k = 1; k < xs.size(); ++k) {
      if (xs[k].type != formula_type::string_list) candidates.push_back(&xs[k]);
    }
    promote_to_money(subject, candidates);
    std::vector<std::uint8_t> flags(xs.size(), 0);
    for (std::size_t k = 1; k < xs.size(); ++k) {
      if (xs[k].type == formula_type::string_list) {
        if (!coerce(subject, formula_type::string)) {
          error(child(a, 0), "IN(value, list) needs text to look for, but " + quoted(child(a, 0)) +
                                 " is " + a_type(subject.type));
          return {};
        }
        flags[k] = 1;
        continue;
      }
      if (!comparable(subject, xs[k], child(a, k).offset, child(a, 0), child(a, k))) return {};
    }
    const auto cls = class_of(subject.type);
    return emit_typed(op::in_, formula_type::boolean, a, nodes_of(xs), flags,
                      static_cast<std::uint8_t>(cls.value_or(cmp_class::text)));
  }

  typed host_call(const ast_node& a, const function_def& f) {
    const std::size_t n = a.children.size();
    const std::size_t min = f.min_args == SIZE_MAX ? f.params.size() : f.min_args;
    const std::size_t max = f.variadic ? many : f.params.size();
    if (n < min || n > max) {
      const std::string expected = max == many  ? "at least " + count_args(min)
                                   : min == max ? count_args(min)
                                                : std::to_string(min) + " to " + count_args(max);
      error(a.name_offset, static_cast<std::uint32_t>(a.name.size()),
            ascii_upper(f.name) + " takes " + expected + ", got " + std::to_string(n));
      for (const std::uint32_t c : a.children)
        compile(c);
      return {};
    }
    std::vector<typed> xs = compile_all(a);
    if (!all_ok(xs)) return {};
    for (std::size_t k = 0; k < n; ++k) {
      const formula_type want =
          f.params.empty() ? formula_type::blank : f.params[std::min(k, f.params.size() - 1)];
      if (want == formula_type::blank) continue;  // any type
      if (!expect(xs[k], want, child(a, k),
                  "argument " + std::to_string(k + 1) + " of " + ascii_upper(f.name)))
        return {};
    }
    std::uint32_t index = 0;
    const auto& all = access::functions(env_);
    const auto env_index = static_cast<std::size_t>(&f - all.data());
    if (auto it = function_index_.find(env_index); it != function_index_.end()) {
      index = it->second;
    } else {
      index = static_cast<std::uint32_t>(p_->functions.size());
      p_->functions.push_back(f);
      function_index_.emplace(env_index, index);
    }
    typed t = emit_typed(op::host_call, f.returns, a, nodes_of(xs));
    node& nd = p_->nodes[t.node];
    nd.a = index;
    nd.b = static_cast<std::uint32_t>(p_->host_args);
    p_->host_args += n;
    nd.deps |= (f.reads_scopes & 0xFFu) | (f.reads_now ? dep_now : 0u) | (f.pure ? 0u : dep_impure);
    return t;
  }

  std::string_view text_;
  const formula_env& env_;
  const syntax_tree& tree_;
  std::vector<formula_issue>& issues_;
  std::unique_ptr<access::program> p_;
  std::size_t max_depth_;
  std::vector<std::size_t> depths_;  // per emitted node: the depth of its subtree
  bool too_deep_ = false;
  std::map<std::pair<std::size_t, std::string>, std::uint32_t> slot_index_;
  std::map<std::size_t, std::uint32_t> function_index_;
};

// ---------------------------------------------------------------------------------------------
// After checking: fold constants, keep only reachable nodes.

void fold(access::program& p, std::uint32_t i, bool under_handler, access::act_state& st,
          const activation& act, std::vector<formula_issue>& issues) {
  node& n = p.nodes[i];
  if (n.code == op::constant) return;
  if (n.deps == 0) {
    const formula_value v = fold_constant(p, i, st, act);
    if (v.is_error() && !under_handler) {
      // Point at the operation that fails (the division), not at the whole constant part.
      issues.push_back({v.error_offset(), 1,
                        "this part always evaluates to " + std::string(to_string(v.error())) +
                            (v.error() == formula_error::div_by_zero ? " (division by zero)" : ""),
                        ""});
    }
    formula_value kept = v;
    if (v.type() == formula_type::string && !v.is_blank() && !v.is_error())
      kept = formula_value::of_string(p.keep(v.as_string()));
    n.code = op::constant;
    n.a = static_cast<std::uint32_t>(p.constants.size());
    n.count = 0;
    p.constants.push_back(access::retype(kept, n.type));
    return;
  }
  const bool handler = under_handler || n.code == op::iferror || n.code == op::iserror;
  for (std::uint32_t k = 0; k < n.count; ++k)
    fold(p, p.kids[n.first + k], handler, st, act, issues);
}

/// Renumbers the nodes reachable from the root into a fresh, compact array.
void compact(access::program& p) {
  std::vector<node> nodes;
  std::vector<std::uint32_t> kids;
  std::vector<std::uint8_t> flags;
  std::vector<std::uint32_t> remap(p.nodes.size(), no_node);
  // Post-order copy: children before parents, as the checker emitted them.
  struct frame {
    std::uint32_t old;
    std::uint32_t next_kid;
  };
  std::vector<frame> stack{{p.root, 0}};
  while (!stack.empty()) {
    frame& f = stack.back();
    const node& n = p.nodes[f.old];
    if (f.next_kid < n.count) {
      const std::uint32_t kid = p.kids[n.first + f.next_kid++];
      if (remap[kid] == no_node) stack.push_back({kid, 0});
      continue;
    }
    node copy = n;
    copy.first = static_cast<std::uint32_t>(kids.size());
    for (std::uint32_t k = 0; k < n.count; ++k) {
      kids.push_back(remap[p.kids[n.first + k]]);
      flags.push_back(p.kid_flags[n.first + k]);
    }
    remap[f.old] = static_cast<std::uint32_t>(nodes.size());
    nodes.push_back(copy);
    stack.pop_back();
  }
  p.root = remap[p.root];
  p.nodes = std::move(nodes);
  p.kids = std::move(kids);
  p.kid_flags = std::move(flags);
}

}  // namespace

std::string describe_type(formula_type t) {
  return a_type(t);
}

bool is_builtin_function(std::string_view upper) noexcept {
  return find_builtin(upper) != nullptr;
}

std::shared_ptr<const formula> compile_formula(std::string_view text, const formula_env& env,
                                               const formula_limits& limits,
                                               std::vector<formula_issue>& issues) {
  if (text.size() > limits.max_length) {
    issues.push_back({0, 1,
                      "formula too long: " + std::to_string(text.size()) + " bytes (the limit is " +
                          std::to_string(limits.max_length) + ")",
                      ""});
    return nullptr;
  }
  if (auto bad = first_invalid_utf8(text)) {
    issues.push_back({static_cast<std::uint32_t>(*bad), 1,
                      "the formula is not valid UTF-8 (byte offset " + std::to_string(*bad) + ")",
                      ""});
    return nullptr;
  }
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
    issues.push_back({0, 1, "empty formula", ""});
    return nullptr;
  }
  std::vector<parse_error> errors;
  const syntax_tree tree = parse(text, {limits.max_depth, limits.max_nodes}, errors);
  if (!errors.empty()) {
    for (auto& e : errors)
      issues.push_back({e.offset, e.length, std::move(e.message), std::move(e.suggestion)});
    return nullptr;
  }
  auto program = compiler(text, env, tree, limits.max_depth, issues).run();
  if (!program) {
    std::stable_sort(
        issues.begin(), issues.end(),
        [](const formula_issue& a, const formula_issue& b) { return a.offset < b.offset; });
    return nullptr;
  }
  access::program* raw = program.get();
  auto f = access::make(std::move(program));
  {
    activation scratch(*f);
    fold(*raw, raw->root, false, access::state(scratch), scratch, issues);
  }
  if (!issues.empty()) return nullptr;
  compact(*raw);
  raw->type = raw->nodes[raw->root].type;
  raw->deps = raw->nodes[raw->root].deps;
  raw->bc = generate(*raw);
  // How activation::bind loads each scope's slots.
  raw->bindings.assign(raw->slots_by_scope.size(), {});
  for (std::size_t scope = 0; scope < raw->slots_by_scope.size(); ++scope) {
    for (const std::uint32_t slot : raw->slots_by_scope[scope]) {
      const slot_def& d = raw->slots[slot];
      binding b;
      b.slot = slot;
      b.builtin = d.field.builtin;
      b.index = d.field.builtin_index;
      b.name = d.field.name;
      b.type = static_cast<std::uint8_t>(d.type);
      raw->bindings[scope].push_back(b);
    }
  }
  raw->scope_bindings.resize(raw->bindings.size());
  for (std::size_t scope = 0; scope < raw->bindings.size(); ++scope) {
    raw->scope_bindings[scope].kind = raw->scope_kinds[scope];
    raw->scope_bindings[scope].count = static_cast<std::uint32_t>(raw->bindings[scope].size());
    raw->scope_bindings[scope].first = raw->bindings[scope].data();
  }
  return f;
}

}  // namespace crmrules::detail::fx

namespace crmrules {

result<std::shared_ptr<const formula>, diagnostics> formula::compile(std::string_view text,
                                                                     const formula_env& env,
                                                                     const formula_limits& limits,
                                                                     std::string_view source_name) {
  std::vector<detail::fx::formula_issue> issues;
  auto f = detail::fx::compile_formula(text, env, limits, issues);
  if (f) return f;
  diagnostics out;
  // Lines and columns within the formula text.
  for (const auto& issue : issues) {
    diagnostic d;
    d.file = std::string(source_name);
    std::uint32_t line = 1;
    std::size_t line_start = 0;
    const std::size_t at = std::min<std::size_t>(issue.offset, text.size());
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    const std::size_t line_end = std::min(text.find('\n', line_start), text.size());
    const std::string_view line_text = text.substr(line_start, line_end - line_start);
    d.position = {line,
                  static_cast<std::uint32_t>(
                      detail::count_code_points(text.substr(line_start, at - line_start)) + 1)};
    d.message = issue.message;
    d.suggestion = issue.suggestion;
    if (is_valid_utf8(line_text)) {
      d.source_line = std::string(line_text);
      d.caret = detail::display_columns(line_text, d.position.column - 1);
    }
    out.add(std::move(d));
  }
  return out;
}

}  // namespace crmrules
