// Internal: a compiled formula and the state of its activations.
//
// A program is a flat array of nodes in which every node's operand types were fixed by the
// checker, so each opcode does exactly one thing (no runtime type dispatch). Children are listed
// in `kids`; `a`, `b`, `c` hold non-node operands (a constant, a slot, a table).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "crmrules/rules/formula.hpp"

namespace crmrules::detail::fx {

enum class op : std::uint8_t {
  // leaves
  constant,  // constants[a]
  field,     // activation slot a
  variable,  // activation variable a
  now,       // the activation's time
  cached,    // a value computed by formula::prepare, cache[a]
  // conversions
  number_to_money,  // a number read as yuan
  // logic
  if_,         // kids: cond, then[, else]
  ifs,         // kids: cond1, value1, cond2, value2, ...
  switch_,     // kids: subject, case1, value1, ..., [default] (sub: comparison class)
  str_switch,  // kids: subject, value1..valueN, [default]; switch_tables[a] holds the cases
  and_,
  or_,
  not_,
  iferror,  // kids: value, fallback
  iserror,
  isblank,
  coalesce,
  // comparisons: sub = cmp (low 3 bits) | class << 3
  compare,
  // arithmetic
  sum,          // n-ary + / - by kid_flags; type number, money or duration
  product,      // n-ary * / / by kid_flags; numbers only
  power,        // number ^ number
  negate,       // number, money or duration
  percent,      // number / 100
  scale_money,  // kids: money, number; kid_flags[1]: divide
  ratio_money,  // money / money -> number
  scale_dur,    // kids: duration, number; kid_flags[1]: divide
  ratio_dur,    // duration / duration -> number
  time_plus,    // kids: time, duration; kid_flags[1]: minus
  time_diff,    // time - time -> duration
  concat,       // n-ary &
  // text
  starts_with,
  ends_with,
  contains_text,
  contains_list,
  len_text,
  len_list,
  lower,
  upper,
  trim,
  // others
  in_,   // kids: subject, candidates...; kid_flags: candidate is a list (sub: class)
  min_,  // sub: class
  max_,  // sub: class
  abs_,
  round_,   // kids: number or money[, digits]
  clamp,    // sub: class
  between,  // sub: class
  hours_since,
  days_since,
  host_call,  // functions[a]; arguments go to args scratch at offset b
};

/// Classes of comparable values.
enum class cmp_class : std::uint8_t { number, money, text, time, interval, boolean };
enum class cmp_op : std::uint8_t { eq, ne, lt, le, gt, ge };

// Dependency bits of a node: scopes 0..7, the clock, unscoped variables, impure functions.
inline constexpr std::uint32_t dep_now = 1u << 8;
inline constexpr std::uint32_t dep_vars = 1u << 9;
inline constexpr std::uint32_t dep_impure = 1u << 10;

struct node {
  op code = op::constant;
  formula_type type = formula_type::blank;
  std::uint8_t sub = 0;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t first = 0;  // kids[first, first + count)
  std::uint32_t count = 0;
  std::uint32_t offset = 0;  // source span
  std::uint32_t length = 0;
  std::uint32_t deps = 0;
};

struct slot_def {
  std::size_t scope = 0;
  field_def field;
  formula_type type = formula_type::blank;
};

struct variable_def {
  std::string name;
  formula_type type = formula_type::blank;
};

/// The cases of a str_switch, matched in order with the text `=` (ASCII case ignored).
struct switch_table {
  std::vector<std::string_view> cases;
  std::vector<bool>
      has_letters;  // per case: contains an ASCII letter, so case matters to the match
  bool has_default = false;
};

}  // namespace crmrules::detail::fx

namespace crmrules {

struct formula::program {
  std::string text;
  std::vector<detail::fx::node> nodes;
  std::vector<std::uint32_t> kids;
  std::vector<std::uint8_t> kid_flags;  // parallel to kids
  std::vector<formula_value> constants;
  std::deque<std::string> strings;  // storage for text constants (stable addresses)
  std::vector<detail::fx::switch_table> switch_tables;
  std::vector<detail::fx::slot_def> slots;
  std::vector<std::vector<std::uint32_t>> slots_by_scope;  // scope -> slot indices
  std::vector<detail::fx::variable_def> variables;         // env variable index -> type
  std::vector<function_def> functions;                     // host functions used
  std::size_t host_args = 0;                               // scratch size for host-call arguments
  std::vector<record_kind> scope_kinds;
  std::uint32_t root = 0;
  formula_type type = formula_type::blank;
  std::uint32_t deps = 0;

  /// Keeps a copy of `s` for the program's lifetime.
  std::string_view keep(std::string_view s) { return strings.emplace_back(s); }
};

/// Per-activation scratch: bound field values, variables, cached partial results, host-call
/// arguments and an arena for strings made at runtime.
struct activation::state {
  std::vector<formula_value> slots;
  std::vector<formula_value> variables;
  std::vector<const void*> records;  // per scope
  std::vector<formula_value> args;
  // Partial evaluation: a copy of the node array with prepared nodes turned into `cached`.
  std::vector<detail::fx::node> prepared_nodes;
  std::vector<formula_value> cache;  // by node index
  std::uint32_t prepared_scopes = 0;
  bool prepared = false;
  std::size_t prepared_chunk = 0;  // arena position after prepare(): cached strings live below it
  std::size_t prepared_used = 0;

  // Arena: chunks never move, so views into them stay valid until reset().
  std::vector<std::unique_ptr<char[]>> chunks;
  std::vector<std::size_t> chunk_sizes;
  std::size_t chunk = 0;
  std::size_t used = 0;

  /// Frees the arena for the next evaluation, keeping what prepare() stored in it.
  void reset_arena() noexcept {
    chunk = prepared ? prepared_chunk : 0;
    used = prepared ? prepared_used : 0;
  }
  /// Room for `n` bytes; allocates only when the arena has never been this full before.
  char* allocate(std::size_t n);
  std::string_view keep(std::string_view s) {
    char* p = allocate(s.size());
    std::copy(s.begin(), s.end(), p);
    return {p, s.size()};
  }
};

}  // namespace crmrules

namespace crmrules::detail::fx {

/// The one friend of the public formula classes: everything internal reaches their private parts
/// through here.
struct access {
  using program = formula::program;
  using act_state = activation::state;
  using vstate = formula_value::state;

  static const program& prog(const formula& f) noexcept { return *f.p_; }
  static act_state& state(activation& a) noexcept { return *a.s_; }
  static const act_state& state(const activation& a) noexcept { return *a.s_; }
  static const formula& owner(const activation& a) noexcept { return a.f_; }
  static eval_context context(const activation& a) noexcept { return eval_context(a); }
  static const formula_env::scope_def& scope(const formula_env& e, std::size_t i) {
    return e.scopes_[i];
  }
  static const std::vector<formula_env::scope_def>& scopes(const formula_env& e) {
    return e.scopes_;
  }
  static const std::vector<formula_env::variable_def>& variables(const formula_env& e) {
    return e.variables_;
  }
  static const std::vector<function_def>& functions(const formula_env& e) { return e.functions_; }
  static std::shared_ptr<const formula> make(std::unique_ptr<program> p) {
    return std::shared_ptr<const formula>(new formula(std::move(p)));
  }

  // formula_value representation
  static bool ok(const formula_value& v) noexcept { return v.state_ == vstate::ok; }
  static double num(const formula_value& v) noexcept {
    return v.state_ == vstate::ok ? v.num_ : 0.0;
  }
  static std::int64_t i64(const formula_value& v) noexcept {
    return v.state_ == vstate::ok ? v.int_ : 0;
  }
  static bool truthy(const formula_value& v) noexcept { return v.state_ == vstate::ok && v.bool_; }
  static std::string_view text(const formula_value& v) noexcept {
    return v.state_ == vstate::ok ? std::string_view(v.str_, v.len_) : std::string_view{};
  }
  static const std::vector<std::string>* list(const formula_value& v) noexcept {
    return v.state_ == vstate::ok ? v.list_ : nullptr;
  }
  static formula_value of_i64(formula_type t, std::int64_t i) noexcept {
    formula_value v;
    v.type_ = t;
    v.state_ = vstate::ok;
    v.int_ = i;
    return v;
  }
  static formula_value retype(formula_value v, formula_type t) noexcept {
    v.type_ = t;
    return v;
  }
};

}  // namespace crmrules::detail::fx
