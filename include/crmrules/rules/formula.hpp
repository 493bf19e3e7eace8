// crmrules rules language: Excel-like formulas over CRM records, checked, compiled once,
// evaluated many times.
//
//   IF(线索来源="官网表单", 100, IF(线索来源="抖音私信", 85, IF(线索来源="展会扫码", 60, 40)))
//     + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0)
//
// Three steps, as in cel-cpp:
//  1. describe what formulas can see: a `formula_env` with the records in scope (a lead, a rep),
//     engine-computed variables (rep.load) and host functions;
//  2. compile: `formula::compile(text, env)` parses, resolves names, type-checks, folds constants
//     and returns an immutable `formula`, or every error with its position and a suggestion;
//  3. evaluate: bind records to an `activation` and call `formula::evaluate`, millions of times.
//
// The language (docs/RULES_LANGUAGE.md has the full reference):
// - literals: numbers (`42`, `0.8`, `50万`, `1.5亿`), strings in double quotes (`"" ` inside is one
//   quote), durations (`2h`, `72h`, `7d`, `30m`), `TRUE`, `FALSE`, `NULL` (blank);
// - fields: bare names (`线索来源`, `budget`), dotted paths (`lead.source`, `rep.load`,
//   `线索.客户预算`), or bracketed names with spaces or symbols (`[近30天 互动频次]`);
// - operators: `+ - * / ^`, `&` (text), `= <> < <= > >=`, `AND OR NOT` (also as functions);
// - functions: IF IFS SWITCH AND OR NOT IFERROR ISERROR ISBLANK COALESCE, STARTS_WITH ENDS_WITH
//   CONTAINS LEN LOWER UPPER TRIM, IN, MIN MAX ABS ROUND CLAMP, NOW HOURS_SINCE DAYS_SINCE
//   BETWEEN, and the host's own.
// Function and keyword names are case-insensitive; field names are exact.
//
// Semantics follow Excel where Excel has an answer: blank is 0 in arithmetic and "" for text; an
// empty string is blank; `=` on text ignores ASCII case; a runtime error (division by zero,
// overflow) is a value (#DIV/0!, #NUM!) that propagates until IFERROR catches it.
//
// Thread-safety: `formula_env` is built once and then only read; a compiled `formula` is
// immutable and safe to evaluate from many threads at once, each with its own `activation`.
// Evaluation does not allocate in steady state (text functions use the activation's arena).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/schema.hpp"
#include "crmrules/model/value.hpp"
#include "crmrules/rules/diagnostic.hpp"
#include "crmrules/status.hpp"

namespace crmrules {

namespace detail::fx {
struct access;  // the evaluator's view of formula_value's representation

/// One field a formula reads from a scope's record, and the slot it is loaded into.
struct binding {
  std::uint32_t slot = 0;
  std::uint16_t index = 0;  // into record_traits<R>::fields() when builtin
  bool builtin = false;
  std::uint8_t type = 0;  // formula_type
  std::string_view name;  // custom attribute name when not builtin
};

/// The bindings of one scope, as activation::bind reads them.
struct scope_binding {
  record_kind kind = record_kind::lead;
  std::uint32_t count = 0;
  const binding* first = nullptr;
};
}  // namespace detail::fx

/// The static type of a formula or sub-expression.
enum class formula_type : std::uint8_t {
  blank,  ///< the type of NULL: fits wherever any type is expected
  boolean,
  number,  ///< double; integer and decimal fields are numbers
  money,   ///< integer fen; compares and combines with numbers read as yuan
  string,
  time,         ///< a UTC instant
  interval,     ///< a duration (named "duration" in messages and docs)
  string_list,  ///< a list of strings (tags, regions); named "list"
};
/// "blank", "boolean", "number", "money", "string", "time", "duration", "list".
[[nodiscard]] std::string_view to_string(formula_type t) noexcept;

/// Excel's error values: what a formula evaluates to when it cannot produce a value.
enum class formula_error : std::uint8_t {
  none,
  div_by_zero,  ///< #DIV/0!: division by zero
  num,          ///< #NUM!: overflow, a result that is not a finite number
  na,           ///< #N/A: no IFS branch or SWITCH case matched, a host function had no answer
  value,        ///< #VALUE!: a host function failed or returned the wrong type
};
/// "#DIV/0!", "#NUM!", "#N/A", "#VALUE!" (and "" for none).
[[nodiscard]] std::string_view to_string(formula_error e) noexcept;

/// A value produced by a formula: its type, and blank, an error, or the data. Strings and lists
/// are views, valid until the activation that produced them evaluates again or is destroyed.
/// 16 bytes and trivially copyable, so the evaluator passes it in registers.
class formula_value {
 public:
  formula_value() = default;

  static formula_value blank(formula_type t) noexcept { return formula_value(t, state::blank, 0); }
  static formula_value error(formula_type t, formula_error e, std::uint32_t offset = 0) noexcept {
    formula_value v(t, state::error, offset);
    v.meta_ |= static_cast<std::uint64_t>(e) << 48;
    return v;
  }
  static formula_value of_bool(bool b) noexcept {
    formula_value v(formula_type::boolean, state::ok, 0);
    v.int_ = b ? 1 : 0;
    return v;
  }
  static formula_value of_number(double d) noexcept {
    formula_value v(formula_type::number, state::ok, 0);
    v.num_ = d;
    return v;
  }
  static formula_value of_money(money m) noexcept {
    formula_value v(formula_type::money, state::ok, 0);
    v.int_ = m.minor();
    return v;
  }
  /// `s` must outlive the value. An empty string is blank.
  static formula_value of_string(std::string_view s) noexcept {
    formula_value v(formula_type::string, s.empty() ? state::blank : state::ok,
                    static_cast<std::uint32_t>(s.size()));
    v.str_ = s.data();
    return v;
  }
  static formula_value of_time(timestamp t) noexcept {
    formula_value v(formula_type::time, state::ok, 0);
    v.int_ = t.time_since_epoch().count();
    return v;
  }
  static formula_value of_duration(duration d) noexcept {
    formula_value v(formula_type::interval, state::ok, 0);
    v.int_ = d.count();
    return v;
  }
  /// `l` must outlive the value. An empty (or null) list is blank.
  static formula_value of_list(const std::vector<std::string>* l) noexcept {
    formula_value v(formula_type::string_list,
                    l == nullptr || l->empty() ? state::blank : state::ok, 0);
    v.list_ = l;
    return v;
  }

  /// A field's value as formula type `want`: blank stays blank; integers and decimals become
  /// numbers; a value of another type than the field declares (a custom attribute holding the
  /// wrong type) becomes #VALUE!. Strings and lists are views into the record.
  static formula_value of_view(const field_view& v, formula_type want) noexcept {
    switch (v.type) {
      case value_type::null:
        return blank(want);
      case value_type::boolean:
        if (want == formula_type::boolean) return of_bool(v.boolean);
        break;
      case value_type::integer:
        if (want == formula_type::number) return of_number(static_cast<double>(v.integer));
        break;
      case value_type::decimal:
        // NaN and infinities never enter the language: such a field reads as #NUM!.
        if (want == formula_type::number)
          return std::isfinite(v.decimal) ? of_number(v.decimal) : error(want, formula_error::num);
        break;
      case value_type::string:
        if (want == formula_type::string) return of_string(v.text());
        break;
      case value_type::string_list:
        if (want == formula_type::string_list) return of_list(v.list);
        break;
      case value_type::money:
      case value_type::time:
      case value_type::interval: {
        const bool match = (v.type == value_type::money && want == formula_type::money) ||
                           (v.type == value_type::time && want == formula_type::time) ||
                           (v.type == value_type::interval && want == formula_type::interval);
        if (match) {
          formula_value out(want, state::ok, 0);
          out.int_ = v.integer;
          return out;
        }
        break;
      }
    }
    return error(want, formula_error::value);
  }

  [[nodiscard]] formula_type type() const noexcept {
    return static_cast<formula_type>((meta_ >> 32) & 0xFF);
  }
  [[nodiscard]] bool is_blank() const noexcept { return st() == state::blank; }
  [[nodiscard]] bool is_error() const noexcept { return st() == state::error; }
  [[nodiscard]] formula_error error() const noexcept {
    return is_error() ? static_cast<formula_error>((meta_ >> 48) & 0xFF) : formula_error::none;
  }
  /// Byte offset in the formula text of the sub-expression that raised the error.
  [[nodiscard]] std::uint32_t error_offset() const noexcept { return is_error() ? len() : 0; }

  // Accessors: the value, or the type's blank reading (false, 0, "", epoch, empty list) when
  // blank or an error. Reading another type than type() gives that blank reading too.
  [[nodiscard]] bool as_bool() const noexcept { return ok_as(formula_type::boolean) && int_ != 0; }
  [[nodiscard]] double as_number() const noexcept {
    return ok_as(formula_type::number) ? num_ : 0.0;
  }
  [[nodiscard]] money as_money() const noexcept {
    return money::from_minor(ok_as(formula_type::money) ? int_ : 0);
  }
  [[nodiscard]] std::string_view as_string() const noexcept {
    return ok_as(formula_type::string) ? std::string_view(str_, len()) : std::string_view{};
  }
  [[nodiscard]] timestamp as_time() const noexcept {
    return timestamp(duration(ok_as(formula_type::time) ? int_ : 0));
  }
  [[nodiscard]] duration as_duration() const noexcept {
    return duration(ok_as(formula_type::interval) ? int_ : 0);
  }
  [[nodiscard]] std::span<const std::string> as_list() const noexcept {
    return ok_as(formula_type::string_list) ? std::span<const std::string>(*list_)
                                            : std::span<const std::string>{};
  }

  /// An owning model value: null for blank; number becomes decimal. Errors become null too:
  /// test is_error() first.
  [[nodiscard]] value to_value() const;
  /// For people: "100", "500000.00", "官网表单", "2h", "TRUE", "(blank)", "#DIV/0!".
  [[nodiscard]] std::string to_string() const;

 private:
  friend struct detail::fx::access;
  enum class state : std::uint8_t { ok, blank, error };

  // Two machine words, always written and read whole: the evaluator moves values through its
  // stack at every step, and mixing narrow and wide accesses to one value stalls the CPU.
  // meta_: bits 0-31 string length (or error offset), 32-39 type, 40-47 state, 48-55 error.
  formula_value(formula_type t, state s, std::uint32_t len) noexcept
      : meta_(len | static_cast<std::uint64_t>(t) << 32 | static_cast<std::uint64_t>(s) << 40) {}
  [[nodiscard]] state st() const noexcept { return static_cast<state>((meta_ >> 40) & 0xFF); }
  [[nodiscard]] std::uint32_t len() const noexcept { return static_cast<std::uint32_t>(meta_); }
  [[nodiscard]] bool ok_as(formula_type t) const noexcept {
    return (meta_ >> 32 & 0xFFFF) ==
           (static_cast<std::uint64_t>(t) | static_cast<std::uint64_t>(state::ok) << 8);
  }
  void set_type(formula_type t) noexcept {
    meta_ = (meta_ & ~(std::uint64_t{0xFF} << 32)) | static_cast<std::uint64_t>(t) << 32;
  }

  union {
    double num_ = 0;
    std::int64_t int_;  // booleans (0/1), money (fen), time and duration (microseconds)
    const char* str_;
    const std::vector<std::string>* list_;
  };
  std::uint64_t meta_ = static_cast<std::uint64_t>(state::blank) << 40;
};

class activation;
class record_batch;

/// What a host function sees besides its arguments.
class eval_context {
 public:
  /// The time the evaluation runs at (activation::set_now).
  [[nodiscard]] timestamp now() const noexcept;
  /// The record bound to scope `scope`, or nullptr.
  [[nodiscard]] const void* record(std::size_t scope) const noexcept;
  /// Copies `text` into the activation's arena so a returned string stays valid.
  [[nodiscard]] std::string_view keep(std::string_view text) const;

 private:
  friend class formula;
  friend struct detail::fx::access;
  explicit eval_context(const activation& a) noexcept : act_(a) {}
  const activation& act_;
};

/// A host function: a name, a typed signature and an implementation.
///
/// **Example**
/// ```
/// crmrules::function_def f;
/// f.name = "REGION_HEAT";                        // callable as region_heat(...) too
/// f.params = {crmrules::formula_type::string};
/// f.returns = crmrules::formula_type::number;
/// f.impl = [](std::span<const crmrules::formula_value> args,
///             const crmrules::eval_context&, const void*) {
///   return crmrules::formula_value::of_number(args[0].as_string() == "华东" ? 1.2 : 1.0);
/// };
/// env.add_function(f);
/// ```
struct function_def {
  using impl_fn = formula_value (*)(std::span<const formula_value> args, const eval_context& ctx,
                                    const void* user);
  std::string name;  ///< letters, digits, '_'; matched case-insensitively
  /// Parameter types; formula_type::blank accepts any type. A blank argument is accepted for
  /// any parameter (check `is_blank()`).
  std::vector<formula_type> params;
  bool variadic = false;            ///< the last parameter repeats (one or more times)
  std::size_t min_args = SIZE_MAX;  ///< default: params.size() (fewer: trailing params optional)
  formula_type returns = formula_type::blank;
  impl_fn impl = nullptr;  ///< must not throw; report failure as an error value
  /// Passed to impl (engine state); must outlive the env and every formula compiled with it.
  const void* user = nullptr;
  /// Result depends only on the arguments (so calls with constant arguments are folded).
  bool pure = true;
  /// Scopes whose records the function reads besides its arguments (bit i = scope i), and
  /// whether it reads the clock: both matter for partial evaluation.
  std::uint32_t reads_scopes = 0;
  bool reads_now = false;
  std::string description;
};

/// Which records, variables and functions formulas can see.
class formula_env {
 public:
  /// At most this many scopes (records visible at once).
  static constexpr std::size_t max_scopes = 8;

  explicit formula_env(schema_set schemas = {});

  /// Makes a record of `kind` visible as `name` (and `aliases`): fields are then reachable as
  /// `name.field`, or bare when no other scope has a field of that name. Returns the scope index
  /// to bind records to. invalid_argument beyond max_scopes or for a name already used.
  result<std::size_t> add_scope(std::string name, record_kind kind,
                                std::vector<std::string> aliases = {});

  /// A value the engine computes and sets per evaluation, reachable as `name` (may be dotted,
  /// e.g. "rep.load"). `scope` says which record it belongs to for partial evaluation, or
  /// npos for none. Returns the variable index for activation::set_variable.
  result<std::size_t> add_variable(std::string name, formula_type type, std::size_t scope = npos);

  /// Registers a host function. invalid_argument for a bad name, a missing impl, or a name that
  /// is a built-in; already_exists if registered before.
  status add_function(function_def f);

  [[nodiscard]] const schema_set& schemas() const noexcept { return schemas_; }
  [[nodiscard]] std::size_t scope_count() const noexcept { return scopes_.size(); }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  friend class formula;
  friend struct detail::fx::access;
  struct scope_def {
    std::string name;
    std::vector<std::string> aliases;
    record_kind kind;
  };
  struct variable_def {
    std::string name;
    formula_type type;
    std::size_t scope;
  };
  schema_set schemas_;
  std::vector<scope_def> scopes_;
  std::vector<variable_def> variables_;
  std::vector<function_def> functions_;
};

/// Hard limits that keep hostile or accidental input from exhausting memory or the stack.
struct formula_limits {
  std::size_t max_length = 64 * 1024;  ///< bytes of formula text
  std::size_t max_depth = 128;         ///< nesting of parentheses, calls and operators
  std::size_t max_nodes = 10'000;      ///< sub-expressions after parsing
};

/// An explanation of one evaluation: every sub-expression's value, and the formula's top-level
/// terms (the operands of its outermost `+`, or the whole formula) with their contributions.
struct explanation {
  struct step {
    std::uint32_t offset = 0;  ///< the sub-expression's bytes in the formula text
    std::uint32_t length = 0;
    std::uint32_t depth = 0;  ///< nesting depth, 0 for the whole formula
    std::string text;         ///< its source text
    std::string value;        ///< its value, formula_value::to_string
  };
  struct term {
    std::string label;  ///< the first field it reads (e.g. 线索来源), else its text
    std::string text;
    std::string value;
    double number = 0;  ///< the value as a number when the term is numeric
  };
  std::vector<step> steps;  ///< in evaluation order; branches not taken do not appear
  std::vector<term> terms;
  std::string result;

  /// "线索来源 +100, 客户预算 +50, 近30天互动频次 +0 = 150".
  [[nodiscard]] std::string summary() const;
};

/// A compiled formula: immutable, shareable across threads.
class formula {
 public:
  /// Compiles `text` against `env`. On failure, every error, positioned in `text` (line and
  /// column count from the formula's first character) and named `source_name`.
  ///
  /// **Example**
  /// ```
  /// using namespace crmrules;
  /// formula_env env;
  /// const std::size_t lead_scope = *env.add_scope("lead", record_kind::lead, {"线索"});
  /// auto f = formula::compile(
  ///     R"(IF(线索来源="官网表单", 100, 40) + IF(客户预算>50万, 50, 0))", env);
  /// if (!f) {
  ///   std::cerr << f.error().to_string();
  ///   return;
  /// }
  /// activation act(**f);  // one per thread; reuse it for every lead
  /// act.bind(lead_scope, my_lead);
  /// double weight = (*f)->evaluate(act).as_number();
  /// ```
  [[nodiscard]] static result<std::shared_ptr<const formula>, diagnostics> compile(
      std::string_view text, const formula_env& env, const formula_limits& limits = {},
      std::string_view source_name = "<formula>");

  ~formula();
  formula(const formula&) = delete;
  formula& operator=(const formula&) = delete;

  [[nodiscard]] formula_type type() const noexcept;
  [[nodiscard]] const std::string& text() const noexcept;
  /// Bit i set when the formula reads scope i (its fields, variables or functions).
  [[nodiscard]] std::uint32_t scopes_read() const noexcept;
  [[nodiscard]] bool reads_now() const noexcept;

  /// Evaluates with the records, variables and time in `act` (which must have been made for
  /// this formula). Never throws; runtime problems come back as error values.
  [[nodiscard]] formula_value evaluate(activation& act) const noexcept;

  /// Evaluates and records every step. Costs allocations; for "why" questions, not hot paths.
  [[nodiscard]] formula_value evaluate(activation& act, explanation& out) const;

  /// Evaluates once per record of `records`, each bound in turn to `scope` with everything
  /// else (other scopes, the time, prepare()d parts) as set on `act`: out[i] is exactly what
  /// `act.bind(scope, *records[i]); f.evaluate(act)` returns. With `variable` (an index from
  /// formula_env::add_variable), the variable takes variable_values[i] for records[i].
  ///
  /// This is the form for "one lead against every rep": a weighted sum (the usual score
  /// formula) is computed term by term across the whole batch, so the per-record cost is the
  /// terms' work and little else. Other formulas are evaluated record by record.
  ///
  /// Errors (nothing is evaluated): invalid_argument when `act` was made for another formula,
  /// when `scope` does not hold R records, when `out` (or `variable_values`, given a
  /// variable) is not records.size() long, or when a variable value fails set_variable's
  /// checks. Every pointer in `records` must be non-null, and the records must stay alive and
  /// unchanged during the call. Text and lists in `out` are views, valid until `act`
  /// evaluates again (as for evaluate()). Afterwards what `scope` and the variable hold in
  /// `act` is unspecified: bind and set them before a plain evaluate().
  template <stored_record R>
  status evaluate_each(activation& act, std::size_t scope, std::span<const R* const> records,
                       std::span<formula_value> out, std::size_t variable = no_variable,
                       std::span<const formula_value> variable_values = {}) const;

  /// The same over records loaded once into `batch` (see record_batch): the records at the
  /// positions `which` (every record, in order, when `which` is empty), out[i] for
  /// which[i]; variable_values, when given, are parallel to `out`. The batch must have been
  /// loaded for this formula. Errors as above, and invalid_argument for a position past the
  /// batch or a batch loaded for another formula.
  status evaluate_each(activation& act, const record_batch& batch,
                       std::span<const std::uint32_t> which, std::span<formula_value> out,
                       std::size_t variable = no_variable,
                       std::span<const formula_value> variable_values = {}) const;
  static constexpr std::size_t no_variable = static_cast<std::size_t>(-1);

  /// Partial evaluation: evaluates, once, every sub-expression that reads only scopes in
  /// `fixed` (and constants), and keeps the results in `act`. Later `evaluate` calls reuse them
  /// until a scope in `fixed` is bound again (or a variable of such a scope is set). `fixed`
  /// holds bit i for scope i, and `fixed_now` when the clock stays put too (then `NOW()` and
  /// `HOURS_SINCE(...)` parts are cached until `set_now`). An assigner fixes the lead, then
  /// varies the rep: `f.prepare(act, (1u << lead_scope) | formula::fixed_now)`.
  void prepare(activation& act, std::uint32_t fixed) const noexcept;
  static constexpr std::uint32_t fixed_now = 1u << 8;

  /// Sub-expressions, after folding (for tests and tuning).
  [[nodiscard]] std::size_t node_count() const noexcept;

  /// A call of a host function as compiled (after constant folding): which function, where in
  /// text(), and which of its arguments are constants.
  struct host_call_site {
    std::string_view function;  ///< the name it was registered with
    std::uint32_t offset = 0;   ///< the call's source span in text()
    std::uint32_t length = 0;
    /// Per argument: its value when it is a constant (folded: `LOWER("X")` is one), nullopt
    /// when it is computed at each evaluation. A text constant views the formula's own storage,
    /// and its `as_string().data()` is the very pointer the function receives for that
    /// argument at every evaluation, for the life of the formula: hosts may key what they
    /// resolve once per call site (a name to an id) by it.
    std::vector<std::optional<formula_value>> args;
  };
  /// Every host-function call the formula can make, in evaluation order (postfix; calls in
  /// branches not taken included). For hosts that check constant arguments when rules load (a
  /// window longer than they keep) or resolve them once. The views are valid while the formula
  /// lives.
  [[nodiscard]] std::vector<host_call_site> host_calls() const;

  /// The compiled expression (after constant folding) as a tree of nodes, for hosts that
  /// evaluate a narrow class of formulas their own way: the tier engine turns conditions made
  /// of event counts compared with constants into one pass over a customer's events. Such a
  /// host must give what evaluate() gives, and keeps evaluate() for everything else (and as the
  /// reference its tests compare with). Logic and comparisons are named; every other operation
  /// is `other`, which a host lowering formulas should refuse.
  struct tree_node {
    enum class kind : std::uint8_t {
      constant,   ///< `value`
      host_call,  ///< a host function (`function`); the kids are its arguments
      and_,       ///< AND of the kids (errors pass; blank is false)
      or_,        ///< OR of the kids
      not_,       ///< NOT of the one kid
      compare,    ///< kids[0] `op` kids[1], both of type `compared`
      other,      ///< any other operation, field, variable or NOW()
    };
    enum class comparison : std::uint8_t { eq, ne, lt, le, gt, ge };
    kind what = kind::other;
    formula_type type = formula_type::blank;  ///< the node's result type
    comparison op = comparison::eq;           ///< compare: the operator
    /// compare: the operands' type (number, money, string, time, interval or boolean).
    formula_type compared = formula_type::blank;
    std::optional<formula_value> value;  ///< constant: the value (text views the formula)
    std::string_view function;           ///< host_call: the name it was registered with
    std::vector<std::uint32_t> kids;     ///< indices into expression_tree::nodes, in order
    std::uint32_t offset = 0;            ///< the node's source span in text()
    std::uint32_t length = 0;
  };
  struct expression_tree {
    std::vector<tree_node> nodes;  ///< kids before their parents
    std::uint32_t root = 0;        ///< the whole formula
  };
  /// The tree; its views are valid while the formula lives.
  [[nodiscard]] expression_tree expression() const;

 private:
  friend class activation;
  friend struct detail::fx::access;
  struct program;
  explicit formula(std::unique_ptr<program> p);
  std::unique_ptr<program> p_;
};

namespace detail::fx {
/// A field of a record, as activation::bind loads it into its slot.
template <stored_record R>
[[gnu::always_inline]] inline formula_value load_field(const binding& b, const R& record) noexcept {
  static const auto fields = record_traits<R>::fields();
  field_view v;
  if (b.builtin) {
    v = fields[b.index].view(record);
  } else if (const value* c = record.custom.find(b.name)) {
    v = view_of(*c);
  }
  return formula_value::of_view(v, static_cast<formula_type>(b.type));
}
struct list_indexes;  // record_batch's indexes of list fields
}  // namespace detail::fx

/// The inputs of evaluations of one formula: a record per scope, variables, the time, and
/// scratch space. Reusable for any number of evaluations; not thread-safe (one per thread).
/// Bound records are viewed, not copied: they must stay alive and unchanged while bound.
class activation {
 public:
  explicit activation(const formula& f);
  ~activation();
  activation(const activation&) = delete;
  activation& operator=(const activation&) = delete;

  /// Binds `record` to scope `scope` (its kind must be the scope's kind, else invalid_argument):
  /// loads the fields the formula reads from it. Cost: one look per field read, no copying.
  template <stored_record R>
  status bind(std::size_t scope, const R& record) {
    if (scope >= scope_count_ || scopes_[scope].kind != record_traits<R>::kind) [[unlikely]]
      return bind_error(scope, record_traits<R>::kind);
    const detail::fx::scope_binding& plan = scopes_[scope];
    for (const detail::fx::binding* b = plan.first; b != plan.first + plan.count; ++b)
      slots_[b->slot] = detail::fx::load_field(*b, record);
    records_[scope] = &record;
    if ((prepared_scopes_ & (1u << scope)) != 0) prepared_ = false;
    return {};
  }
  /// A temporary would be gone before the evaluation reads it: bind a named record.
  template <stored_record R>
  status bind(std::size_t scope, const R&& record) = delete;
  /// Removes the record bound to `scope`: its fields read as blank.
  void unbind(std::size_t scope) noexcept;
  /// Whether bind(scope, r) reads fields of r (false: it only remembers r's address, for host
  /// functions that ask eval_context::record). False for a scope out of range.
  [[nodiscard]] bool binds_fields(std::size_t scope) const noexcept {
    return scope < scope_count_ && scopes_[scope].count > 0;
  }
  void set_now(timestamp t) noexcept;
  [[nodiscard]] timestamp now() const noexcept { return now_; }
  /// Sets a variable declared with formula_env::add_variable; invalid_argument if its type does
  /// not match the declaration.
  status set_variable(std::size_t index, const formula_value& v);

 private:
  friend class formula;
  friend class eval_context;
  friend struct detail::fx::access;
  [[nodiscard]] status bind_error(std::size_t scope, record_kind kind) const;
  // formula::evaluate_each, out of line: the checks (`retype`: some variable value is a
  // blank typed `blank`, stored as the variable's type); the scratch batch of a one-off call.
  [[nodiscard]] status check_each(std::size_t scope, record_kind kind, std::size_t records,
                                  std::size_t out, std::size_t variable,
                                  std::span<const formula_value> values, bool& retype) const;
  [[nodiscard]] record_batch& scratch_batch() noexcept;
  struct state;
  const formula& f_;
  std::unique_ptr<state> s_;
  // What bind() touches, inline so that binding costs no calls; storage is owned by s_ and f_.
  const detail::fx::scope_binding* scopes_ = nullptr;
  std::size_t scope_count_ = 0;
  formula_value* slots_ = nullptr;
  const void** records_ = nullptr;
  std::uint32_t prepared_scopes_ = 0;  // what prepare() cached: scope bits and dep_now
  bool prepared_ = false;
  timestamp now_{};
};

/// Records of one scope (the reps, say) loaded once for many formula::evaluate_each calls of
/// one formula: "lead after lead against the same reps". Loading reads every field the
/// formula uses from every record into columns, and indexes list fields (rep.industries,
/// rep.regions) so that IN(lead.industry, rep.industries) is a bit test per record instead of
/// a text comparison per list item. The results are exactly those of bind + evaluate.
///
/// The records are viewed, not copied: they must stay alive at the same addresses while the
/// batch is used. After changing a record, reload(i) it in every batch that holds it (or load
/// again); a batch never notices changes by itself, and one that still views text or a list a
/// change has reallocated reads freed memory (undefined behaviour, as for a bound record).
/// Ownership: the batch owns its columns and indexes and refers to the formula, which must outlive
/// it. Thread-safety: load and reload are not thread-safe; once loaded, any number of threads may
/// evaluate against one batch (each with its own activation).
class record_batch {
 public:
  record_batch();
  ~record_batch();
  record_batch(record_batch&&) noexcept;
  record_batch& operator=(record_batch&&) noexcept;
  record_batch(const record_batch&) = delete;
  record_batch& operator=(const record_batch&) = delete;

  /// Loads `records` (non-null pointers) for `f`'s scope `scope`, replacing what was loaded.
  /// invalid_argument when `scope` does not hold R records (the batch is then empty).
  /// `index_lists` = false skips the list indexes (for a batch used once).
  template <stored_record R>
  status load(const formula& f, std::size_t scope, std::span<const R* const> records,
              bool index_lists = true);
  /// Reads record i again (the same record object, changed since it was loaded).
  /// invalid_argument past the batch or when it holds another kind of record.
  template <stored_record R>
  status reload(std::size_t i);

  [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }
  [[nodiscard]] bool empty() const noexcept { return records_.empty(); }

 private:
  friend class formula;
  friend struct detail::fx::access;
  // Out of line: sets up the columns for n records (false: scope/kind mismatch); builds or
  // refreshes the list indexes once columns are filled.
  [[nodiscard]] status start(const formula& f, std::size_t scope, record_kind kind, std::size_t n,
                             bool index_lists);
  void build_indexes();
  void refresh_indexes(std::size_t i);
  template <stored_record R>
  void read(std::size_t i) noexcept {
    const auto* record = static_cast<const R*>(records_[i]);
    const std::size_t n = records_.size();
    for (std::uint32_t b = 0; b < plan_->count; ++b)
      columns_[b * n + i] = detail::fx::load_field(plan_->first[b], *record);
  }

  const formula* f_ = nullptr;
  std::size_t scope_ = 0;
  record_kind kind_ = record_kind::lead;
  const detail::fx::scope_binding* plan_ = nullptr;
  std::vector<const void*> records_;
  status (*bind_)(activation&, std::size_t, const void*) = nullptr;
  std::vector<formula_value> columns_;                 // binding-major: columns_[b * n + i]
  std::vector<const formula_value*> slot_columns_;     // by slot: its column, or nullptr
  std::unique_ptr<detail::fx::list_indexes> indexes_;  // null: none
};

template <stored_record R>
status record_batch::load(const formula& f, std::size_t scope, std::span<const R* const> records,
                          bool index_lists) {
  if (status st = start(f, scope, record_traits<R>::kind, records.size(), index_lists); !st.ok())
    return st;
  for (std::size_t i = 0; i < records.size(); ++i)
    records_[i] = records[i];
  bind_ = [](activation& act, std::size_t s, const void* r) {
    return act.bind(s, *static_cast<const R*>(r));
  };
  // Column by column: one field accessor at a time over every record.
  const std::size_t n = records.size();
  static const auto fields = record_traits<R>::fields();
  for (std::uint32_t b = 0; b < plan_->count; ++b) {
    const detail::fx::binding& bd = plan_->first[b];
    formula_value* column = columns_.data() + b * n;
    if (bd.builtin) {
      const auto view = fields[bd.index].view;
      const auto type = static_cast<formula_type>(bd.type);
      for (std::size_t i = 0; i < n; ++i)
        column[i] = formula_value::of_view(view(*records[i]), type);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        column[i] = detail::fx::load_field(bd, *records[i]);
    }
  }
  if (index_lists) build_indexes();
  return {};
}

template <stored_record R>
status record_batch::reload(std::size_t i) {
  if (i >= records_.size())
    return status::invalid_argument("record_batch::reload: no record " + std::to_string(i));
  if (kind_ != record_traits<R>::kind)
    return status::invalid_argument("record_batch::reload: the batch holds " +
                                    std::string(to_string(kind_)) + " records");
  read<R>(i);
  refresh_indexes(i);
  return {};
}

template <stored_record R>
status formula::evaluate_each(activation& act, std::size_t scope, std::span<const R* const> records,
                              std::span<formula_value> out, std::size_t variable,
                              std::span<const formula_value> variable_values) const {
  if (&act.f_ != this)
    return status::invalid_argument("the activation was made for another formula");
  // A batch used once: loaded into the activation's scratch, without list indexes; the
  // batch form checks the rest before it writes anything.
  record_batch& batch = act.scratch_batch();
  if (status st = batch.load(*this, scope, records, /*index_lists=*/false); !st.ok()) return st;
  return evaluate_each(act, batch, {}, out, variable, variable_values);
}

}  // namespace crmrules
