// Internal: tier conditions lowered to event counts.
//
// Most tier and upgrade conditions are logic over counts of events: COUNT_EVENTS with a constant
// type and window compared with a constant number, HAS_EVENT with constant arguments, under
// AND, OR and NOT. Such a condition needs no formula machine: the plan counts every window the
// conditions ask about in one pass over the customer's events (event_windows::count_many),
// decides each comparison of a count with a constant, and looks each condition up in its truth
// table over those comparisons (or runs it as a short postfix program). It gives exactly what
// formula::evaluate gives for them; any other condition is refused and stays with the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "crmrules/rules/formula.hpp"
#include "crmrules/tier/windows.hpp"

namespace crmrules::tier::detail {

class count_plan {
 public:
  /// Lowers `f` when it is of that form, interning its event types in `w`; returns the index
  /// to pass to holds(), or nullopt when the formula is not (the plan is then unchanged,
  /// unless an allocation failed, which throws).
  std::optional<std::size_t> add(const formula& f, event_windows& w);

  /// Whether any condition was lowered.
  [[nodiscard]] bool empty() const noexcept { return conditions_.empty(); }

  /// Counts every window of the plan for `s` at `now` and decides every comparison, for the
  /// holds() calls that follow.
  void load(const event_windows& w, event_windows::slot s, timestamp now) noexcept;
  /// Condition `i` as of the last load().
  [[nodiscard]] bool holds(std::size_t i) const noexcept;

 private:
  /// A comparison of a count with a constant, as an integer range: lo <= count <= hi, or
  /// outside it when `outside`.
  struct atom {
    std::uint32_t query = 0;
    std::int64_t lo = 0, hi = 0;
    bool outside = false;
    friend bool operator==(const atom&, const atom&) = default;
  };
  /// A condition in postfix: truth (arg 0 or 1), an atom (arg: its index), and, or (arg: how
  /// many operands), not.
  struct step {
    enum class code : std::uint8_t { truth, atom, and_, or_, not_ };
    code what = code::truth;
    std::uint32_t arg = 0;
  };
  struct condition {
    std::vector<step> program;
    /// The atoms it reads, and when they are few, its truth table: bit k of the index is
    /// atoms[k], so the condition is one lookup.
    std::vector<std::uint32_t> atoms;
    std::vector<std::uint64_t> table;
  };
  /// Conditions of at most this many atoms get a table (2^12 bits).
  static constexpr std::size_t table_atoms = 12;
  /// At most 64 atoms in a plan: their values are the bits of one word.
  static constexpr std::size_t max_atoms = 64;

  bool lower(const formula::expression_tree& t, std::uint32_t i, event_windows& w,
             std::vector<step>& out);
  /// The query for a constant (type, window) pair of an event-function call, added when new;
  /// nullopt when the arguments are not constants the windows can count.
  std::optional<std::uint32_t> query(const formula::expression_tree& t,
                                     const formula::tree_node& call, event_windows& w);
  /// The atom `a`, added when new; nullopt past max_atoms.
  std::optional<std::uint32_t> intern(const atom& a);
  /// The program's value with atom values `bits`.
  [[nodiscard]] static bool run(const std::vector<step>& program, std::uint64_t bits) noexcept;

  std::vector<event_windows::count_query> queries_;
  event_windows::count_set set_;  // queries_, prepared (rebuilt when a condition adds some)
  std::vector<atom> atoms_;
  std::vector<condition> conditions_;
  std::vector<std::int64_t> counts_;  // per query, set by load()
  std::uint64_t bits_ = 0;            // per atom, set by load()
};

}  // namespace crmrules::tier::detail
