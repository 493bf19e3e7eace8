// crmrules assign: choosing a rep for a lead under a policy, with the reasons.
//
// `assigner::choose` is a pure function of (policy, lead, reps, now): it writes nothing and
// returns the chosen rep (or the fallback) and, on request, every candidate's score split into
// its terms and every excluded rep with the rule that excluded it.
//
// **Thread-safety:** a policy is immutable and shared; an `assigner` holds scratch space for its
// formulas and is used by one thread at a time (make one per thread; they are cheap). Records
// passed to `choose` are read during the call only; reps given to `load` are read until the next
// `load` (see there).
//
// **Example**
// ```
// auto rules = crmrules::rule_set::load_file("rules.json");
// crmrules::assign::assigner a((*rules)->assign_policy());
// const auto pick = a.choose(lead, reps, clock.now(), /*explain=*/true);
// if (pick.rep) std::cout << pick.rep->str() << " (" << pick.score << ")\n";
// else std::cout << "unassigned: " << pick.reason_text << "\n";
// ```
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/assign/policy.hpp"

namespace crmrules::assign {

/// What happened to the lead.
enum class outcome : std::uint8_t {
  assigned,    ///< a rep of the pool won
  fallback,    ///< nobody could take it: the policy's fallback rep gets it (see `reason`)
  unassigned,  ///< nobody could take it and the policy names no fallback
};

/// Why a lead went to the fallback (or stayed unassigned).
enum class fallback_reason : std::uint8_t {
  none,             ///< it was assigned normally
  lead_invalid,     ///< "lead failed validation": the record breaks a model invariant
  not_covered,      ///< "no rule covers the lead": `covers` is not TRUE, or no pool takes it
  pool_empty,       ///< "pool empty": the pool that takes the lead has no members
  all_over_cap,     ///< "all over cap": no candidate, and some member was excluded only by a
                    ///< daily or open cap (the rest being away, inactive or not eligible)
  no_eligible_rep,  ///< "no eligible rep": every member was excluded by a rule other than a cap
};
[[nodiscard]] std::string_view to_string(outcome o) noexcept;
/// The reason's code as written in decisions: "lead_invalid", "not_covered", ...
[[nodiscard]] std::string_view to_string(fallback_reason r) noexcept;
/// The reason in words, as explanations write it ("all over cap"); empty for none.
[[nodiscard]] std::string_view describe(fallback_reason r) noexcept;

/// A rep that could take the lead, with its score.
struct candidate {
  rep_id rep;
  double score = 0;        ///< final: base × coefficient (the number ranked in score mode)
  double base = 0;         ///< the score formula's value
  double coefficient = 1;  ///< the role coefficient applied
  double load = 0;         ///< `rep.load` as the formula saw it
  explanation why;         ///< the score formula's terms (explain only)
};

/// A rep that could not take the lead, and the rule that said so.
struct exclusion {
  rep_id rep;
  std::string rule;    ///< a code: inactive, not_accepting, on_leave, daily_cap, open_cap,
                       ///< cold_start, not_eligible, score_error
  std::string detail;  ///< in words: "daily cap 20 reached (20 today)"
};

/// The decision for one lead.
struct assignment {
  outcome kind = outcome::unassigned;
  std::optional<rep_id> rep;  ///< the winner or the fallback; nullopt when unassigned
  std::string pool;           ///< the pool that took the lead (empty: the implicit pool)
  fallback_reason reason = fallback_reason::none;
  std::string reason_text;  ///< in words, for logs and people
  double score = 0;         ///< the winner's final score (0 for a fallback)
  /// True when people must hear of it: the lead is not covered by any rule.
  bool alert = false;
  /// Explain only: every candidate, best first, and every excluded pool member.
  std::vector<candidate> candidates;
  std::vector<exclusion> excluded;
};

class assigner {
 public:
  /// `p` must not be null (invalid_argument is thrown: a programming error).
  explicit assigner(std::shared_ptr<const policy> p);
  ~assigner();
  assigner(const assigner&) = delete;
  assigner& operator=(const assigner&) = delete;
  assigner(assigner&&) noexcept;
  assigner& operator=(assigner&&) noexcept;

  /// Chooses a rep for `l` among `reps` at time `now`. Deterministic: the same policy, records
  /// and time give the same result. Without `explain`, allocates only what the result holds.
  [[nodiscard]] assignment choose(const lead& l, std::span<const rep> reps, timestamp now,
                                  bool explain = false);

  /// Loads `reps` for many choose(lead, now) calls: "lead after lead against the same reps"
  /// (a queue being drained, a dry run). What the policy's formulas read from every rep is
  /// read once and list fields are indexed (see formula's record_batch), so each choose()
  /// costs little more than the score's terms. The reps are viewed, not copied: keep them
  /// alive, at the same addresses, and call refresh(i) after changing reps[i] (a counter after
  /// an assignment, say); load again after adding or removing reps. A rep changed and not
  /// refreshed gives stale results, or reads freed memory if its lists or text were
  /// reallocated (as for any record a formula views). Results are exactly those of
  /// choose(lead, reps, now). Allocates (std::bad_alloc on exhaustion); replaces what was
  /// loaded before.
  void load(std::span<const rep> reps);
  /// Reads reps[i] of the loaded reps again after the host changed it. invalid_argument when
  /// nothing is loaded or `i` is past the loaded reps.
  status refresh(std::size_t i);
  /// Chooses among the loaded reps (none loaded: as among no reps, "pool empty").
  [[nodiscard]] assignment choose(const lead& l, timestamp now, bool explain = false);

  /// `rep.load` for `r` at `now` under this policy's weights.
  [[nodiscard]] double load_of(const rep& r, timestamp now) const noexcept;

  [[nodiscard]] const policy& current_policy() const noexcept { return *p_; }

 private:
  struct scratch;
  assignment choose_among(const lead& l, std::span<const rep> reps, timestamp now, bool explain,
                          bool loaded);
  std::shared_ptr<const policy> p_;
  std::unique_ptr<scratch> s_;
};

}  // namespace crmrules::assign
