// Internal: a compiled formula and the state of its activations.
//
// A program is a flat array of nodes in which every node's operand types were fixed by the
// checker, so each opcode does exactly one thing (no runtime type dispatch). Children are listed
// in `kids`; `a`, `b`, `c` hold non-node operands (a constant, a slot, a table).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
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
inline constexpr std::uint32_t dep_now = formula::fixed_now;
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
  std::uint32_t deps = 0;  // the scope bit it belongs to, or dep_vars
};

/// One case of a str_switch: the text, and whether it has an ASCII letter (only then can the
/// case-insensitive `=` differ from byte equality, which is cheaper).
struct switch_case {
  std::string_view key;
  bool fold = false;
};

/// The cases of a str_switch, matched in order with the text `=`.
struct switch_table {
  std::vector<switch_case> cases;
  bool has_default = false;
};

// ---------------------------------------------------------------------------------------------
// Bytecode (vm.hpp/vm.cpp): the same formula as postfix code for a stack machine.

enum class vop : std::uint8_t {
  // pushes
  push_const,  // constants[a]
  push_slot,   // slots[a]
  push_var,    // variables[a]
  push_now,
  push_cache,  // cache[a]: a value computed by prepare()
  push_blank,  // blank of `type`
  push_bool,   // `sub`
  push_error,  // error `sub` of `type`, raised at `offset`
  // control flow
  jump,               // to a
  branch,             // pop cond: error -> push it (as `type`), jump b; false or blank -> jump a
  and_step,           // pop v: error -> push, jump a; false -> push FALSE, jump a
  or_step,            // pop v: error -> push, jump a; true -> push TRUE, jump a
  keep_if_ok,         // IFERROR: top not an error -> retype, jump a; else pop
  keep_if_not_blank,  // COALESCE: top not blank -> retype, jump a; else pop
  check_subject,      // SWITCH/IN: top (the subject) an error -> retype, jump a
  switch_case,  // pop case: error -> replace subject, jump b; equal (class sub) -> pop subject;
                // else jump a
  pop,
  str_switch,  // pop subject: error -> push, jump to table end; else jump to the matching
               // case's code, the default's, or push #N/A and jump to the end
  str_lookup,  // fused: subject slot a, table b, every result a constant: push it
  in_step,     // pop candidate (a list when flag): error -> replace subject, jump a;
               // hit -> replace subject with TRUE, jump a
  in_done,     // replace subject with FALSE
  // operations on the top of the stack, with the tree's blank and error rules
  number_to_money,
  not_,
  iserror,
  isblank,
  compare,             // pop r, l
  compare_const,       // pop l; r = constants[b]
  compare_slot_const,  // l = slots[a], r = constants[b]: nothing popped
  select_const,        // pop cond: error -> push it; true -> constants[a]; else constants[b]
  select_cmp,          // fused IF(slots[a] <op sub> constants[b], constants[c], constants[d])
  select_in_list,      // fused IF(IN(slots[a], slots[b] a list), constants[c], constants[d])
  score,               // a number sum of terms[a .. a + b): see score_term
  add,                 // pop r, l; `type` number, money or duration; `flag` subtract
  mul,                 // numbers; `flag` divide
  power,
  negate,
  percent,
  scale,      // money or duration by a number; `flag` divide
  ratio,      // money / money or duration / duration
  time_plus,  // `flag` minus
  time_diff,
  concat,  // a values
  starts_with,
  ends_with,
  contains_text,
  contains_list,
  len_text,
  len_list,
  lower,
  upper,
  trim,
  min_,  // a values, class sub
  max_,
  abs_,
  round_,   // a = 1 or 2 values
  clamp,    // class sub
  between,  // class sub
  hours_since,
  days_since,
  call,  // functions[a], b arguments
  ret,
};

struct instr {
  vop code = vop::ret;
  std::uint8_t sub = 0;
  formula_type type = formula_type::blank;
  std::uint8_t flag = 0;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t c = 0;
  std::uint32_t d = 0;
  std::uint32_t offset = 0;  // source offset, for errors raised here
};

/// One term of a fused numeric sum (vop::score): the shapes scoring formulas are built from.
struct score_term {
  enum class kind : std::uint8_t {
    constant,
    slot,
    variable,
    select_cmp,  // IF(slot <op> constant, c, d), any comparable class
    threshold,   // the same when the slot is a number, an amount or a duration and c, d are
                 // plain numbers: pre-converted, no dispatch on class at run time
    lookup,
    in_list,          // IF(IN(slot a, list slot b), constants[c], constants[d])
    scaled_variable,  // constants[b] * variables[a] (a load term: - 2 * rep.load)
  };
  kind what = kind::constant;
  std::uint8_t sub = 0;   // select_cmp: comparison (op | class << 3); threshold: cmp_op
  bool minus = false;     // subtracted
  bool integral = false;  // threshold: compare as int64 (money, duration), else as double
  std::uint32_t a =
      0;  // constant, slot or variable index; select_cmp / threshold / lookup: the slot
  std::uint32_t b = 0;       // select_cmp: compared constant; lookup: switch table
  std::uint32_t c = 0;       // select_cmp: value when true
  std::uint32_t d = 0;       // select_cmp: value when false
  std::int64_t limit_i = 0;  // threshold: the constant as int64 (integral) ...
  double limit_d = 0;        // ... or as double
  double then_v = 0;         // threshold: results
  double else_v = 0;
  std::uint32_t offset = 0;  // scaled_variable: the product's source offset, for #NUM!
  std::uint32_t deps = 0;    // what the term reads (dep bits): prepare() caches fixed terms
};

/// Jump targets of a str_switch: one per case, the default's, and the end.
struct switch_jumps {
  std::vector<std::uint32_t> cases;
  std::uint32_t fallback = 0;
  std::uint32_t end = 0;
};

/// A node's code occupies [start, end): what prepare() replaces with a cached value.
struct code_range {
  std::uint32_t node = 0;
  std::uint32_t start = 0;
  std::uint32_t end = 0;
};

struct bytecode {
  std::vector<instr> code;
  std::vector<switch_jumps> jumps;  // by switch table index
  std::vector<std::vector<std::uint32_t>>
      lookup_results;             // str_lookup: constant per case, then default
  std::vector<score_term> terms;  // vop::score
  std::vector<code_range> ranges;
  std::size_t max_stack = 0;
  bool score_only = false;  // the code is one `score` and `ret`: formula::evaluate's fast path
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
  std::vector<std::vector<detail::fx::binding>> bindings;  // scope -> how to load its slots
  std::vector<detail::fx::scope_binding> scope_bindings;   // scope -> its bindings, for bind()
  std::vector<detail::fx::variable_def> variables;         // env variable index -> type
  std::vector<function_def> functions;                     // host functions used
  std::size_t host_args = 0;                               // scratch size for host-call arguments
  std::vector<record_kind> scope_kinds;
  std::uint32_t root = 0;
  formula_type type = formula_type::blank;
  std::uint32_t deps = 0;
  detail::fx::bytecode bc;  // the hot path; the tree above is the reference

  /// Keeps a copy of `s` for the program's lifetime.
  std::string_view keep(std::string_view s) { return strings.emplace_back(s); }
};

namespace detail::fx {
/// record_batch's index of one list column: every distinct item (ASCII letters folded, so
/// that byte equality of keys is text `=`) numbered, and per record the bit set of its items.
struct list_index {
  static constexpr std::size_t max_items = 64;   // a bit each in a record's mask
  std::vector<std::string> keys;                 // folded items; item b has bit b
  std::array<std::int8_t, 2 * max_items> table;  // open addressing over keys; -1 empty
  std::vector<std::uint64_t> masks;              // per record
  bool usable = true;  // false: more than max_items distinct items, or an error value
  list_index() { table.fill(-1); }
  /// Adds record i's list (`list` a column value); false when the index must be given up.
  bool add(std::size_t i, const formula_value& list);
  /// The bit of `subject` (folded), -1 when no record's list holds it, -2 when it cannot be
  /// looked up (out of memory folding a long subject: compare item by item).
  [[nodiscard]] int bit_of(std::string_view subject) const noexcept;
  /// The table position of folded key `key`: its entry, or the empty entry it would take.
  [[nodiscard]] std::size_t probe(std::string_view key) const noexcept;
};
struct list_indexes {
  std::vector<list_index> by_binding;  // parallel to the scope's bindings (unused when not lists)
  std::vector<std::int32_t> by_slot;   // slot -> binding with a usable index, or -1
};

}  // namespace detail::fx

/// Per-activation scratch: bound field values, variables, cached partial results, host-call
/// arguments and an arena for strings made at runtime.
struct activation::state {
  std::vector<formula_value> slots;
  std::vector<formula_value> variables;
  std::vector<const void*> records;  // per scope
  std::vector<formula_value> args;
  std::vector<formula_value> stack;  // the VM's operand stack (bc.max_stack)
  // Partial evaluation: the code with prepared parts replaced by their cached values.
  std::vector<detail::fx::instr> prepared_code;
  std::vector<formula_value> cache;  // by node index
  // Partial evaluation of a fused sum: each term's value when it reads only fixed scopes.
  std::vector<formula_value> term_values;
  std::uint32_t fixed_terms = 0;  // the `fixed` mask those values were computed for
  // The leading run of fixed terms, summed once in order: evaluation starts after it from
  // prefix_sum (a number), or returns prefix_sum at once when it is the sum's error.
  std::uint32_t prefix_terms = 0;
  formula_value prefix_sum;
  // formula::evaluate_each: the batch of a one-off call, and variable values retyped.
  record_batch scratch;
  std::vector<formula_value> batch_vars;
  std::vector<double> batch_sums;
  std::size_t prepared_chunk = 0;  // arena position after prepare(): cached strings live below it
  std::size_t prepared_used = 0;

  // Arena: chunks never move, so views into them stay valid until reset().
  std::vector<std::unique_ptr<char[]>> chunks;
  std::vector<std::size_t> chunk_sizes;
  std::size_t chunk = 0;
  std::size_t used = 0;

  /// Frees the arena for the next evaluation, keeping what prepare() stored in it.
  void reset_arena(bool prepared) noexcept {
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
  static const std::vector<const formula_value*>& slot_columns(const record_batch& b) noexcept {
    return b.slot_columns_;
  }
  static const list_indexes* indexes(const record_batch& b) noexcept { return b.indexes_.get(); }
  static act_state& state(activation& a) noexcept { return *a.s_; }
  static bool prepared(const activation& a) noexcept { return a.prepared_; }
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
  static bool ok(const formula_value& v) noexcept { return v.st() == vstate::ok; }
  static double num(const formula_value& v) noexcept { return v.st() == vstate::ok ? v.num_ : 0.0; }
  static std::int64_t i64(const formula_value& v) noexcept {
    return v.st() == vstate::ok ? v.int_ : 0;
  }
  static bool truthy(const formula_value& v) noexcept {
    return v.st() == vstate::ok && v.int_ != 0;
  }
  static std::string_view text(const formula_value& v) noexcept {
    return v.st() == vstate::ok ? std::string_view(v.str_, v.len()) : std::string_view{};
  }
  static const std::vector<std::string>* list(const formula_value& v) noexcept {
    return v.st() == vstate::ok ? v.list_ : nullptr;
  }
  static formula_value of_i64(formula_type t, std::int64_t i) noexcept {
    formula_value v(t, vstate::ok, 0);
    v.int_ = i;
    return v;
  }
  static formula_value retype(formula_value v, formula_type t) noexcept {
    v.set_type(t);
    return v;
  }
};

}  // namespace crmrules::detail::fx
