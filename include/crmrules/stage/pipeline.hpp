// crmrules stage: the sales pipeline, compiled from the "pipeline" section of a rules file, and
// the gate every move of an opportunity passes.
//
// ```json
// "pipeline": {
//   "stages": [
//     {"id": "初步接触", "order": 1, "win_probability": 0.1, "forecast": "pipeline",
//      "evidence": [{"type": "call_recording", "min": 1}], "dwell": "7d"},
//     {"id": "需求分析", "order": 2, "win_probability": 0.25,
//      "evidence": [{"type": "meeting_minutes", "min": 1}], "fields": ["customer"],
//      "dwell": "10d"},
//     {"id": "方案演示", "order": 3, "win_probability": 0.5, "dwell": "5d",
//      "guards": [{"rule": "金额 > 0", "message": "the deal needs an amount"}]},
//     {"id": "报价审批", "order": 4, "win_probability": 0.75, "dwell": "3d",
//      "evidence": [{"type": "approval", "min": 1}]},
//     {"id": "赢单", "terminal": "won"},
//     {"id": "输单", "terminal": "lost"}
//   ],
//   "shortcuts": [{"from": "需求分析", "to": "报价审批", "when": "商机.repeat_customer"}],
//   "backward": [{"from": "报价审批", "to": "方案演示"}],
//   "lost_reasons": {"codes": ["price", "competitor", "no_budget", "timing"], "secondary": 2},
//   "override_roles": ["sales_director"]
// }
// ```
//
// A stage's requirements (evidence, fields, guards) are its exit criteria: the proof that its
// work was done, checked when a deal moves forward out of it. Open stages follow one another by
// `order`; a deal moves to the next one, or skips ahead with the proof of every stage it skips
// (unless a shortcut's condition holds), or back where a backward transition allows, or to a
// terminal: won from the last open stage (from an earlier one it is a skip, with the later
// stages' proof), lost from any open stage with coded reasons.
//
// A `pipeline` is immutable once loaded: share it across threads through
// `std::shared_ptr<const pipeline>` (rule_set::stage_pipeline). See docs/STAGE_GATES.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/rules/formula.hpp"

namespace crmrules::stage {

/// Open stages hold deals in progress; a deal in a terminal stage is closed.
enum class stage_kind : std::uint8_t { open, won, lost };
[[nodiscard]] std::string_view to_string(stage_kind k) noexcept;

/// At least `min` pieces of evidence of `type`, collected for the stage.
struct evidence_requirement {
  evidence_type type = evidence_type::note;
  std::int64_t min = 1;
};

/// An extra condition over the opportunity, in the rules language.
struct guard {
  std::shared_ptr<const formula> rule;  ///< boolean, over scope 0: the opportunity (商机)
  std::string message;                  ///< what to tell the salesperson when it is not TRUE
};

struct stage_def {
  std::string id;    ///< as stored in opportunity::stage
  std::string name;  ///< display name (defaults to the id)
  std::int64_t order = 0;
  stage_kind kind = stage_kind::open;
  double win_probability = 0;     ///< 0..1 (won: 1, lost: 0 unless given)
  std::string forecast_category;  ///< e.g. pipeline, best_case, commit, closed
  std::vector<evidence_requirement> evidence;
  /// Opportunity fields that must be filled in: not blank, not an empty text or list, and not
  /// a zero amount (a deal's amount of 0 is "no amount yet").
  std::vector<field_def> required_fields;
  std::vector<guard> guards;
  std::optional<duration> dwell_limit;  ///< longer in the stage: the deal is frozen
};

/// A declared move besides "the next open stage": a shortcut forward (its condition waives the
/// proof of the stages it skips) or a way back.
struct transition {
  std::string from;
  std::string to;
  std::shared_ptr<const formula> when;  ///< null: always
};

/// What marking a deal lost takes: reason codes from `codes`, exactly `primary` of them
/// primary and `secondary` secondary, each linked to a note or activity (lost_reason::ref).
struct lost_reason_rules {
  std::vector<std::string> codes;
  std::int64_t primary = 1;
  std::int64_t secondary = 2;
};

struct pipeline {
  std::vector<stage_def> stages;  ///< open stages by order, then the terminals
  std::vector<transition> shortcuts;
  std::vector<transition> backward;
  lost_reason_rules lost;
  std::vector<std::string> override_roles;  ///< roles allowed to override a refusal

  /// The stage with id `id`, or nullptr.
  [[nodiscard]] const stage_def* find(std::string_view id) const noexcept;
  /// The first open stage (where new deals start).
  [[nodiscard]] const stage_def& start() const noexcept { return stages.front(); }

  /// The formulas' scope: the opportunity (商机).
  static constexpr std::size_t opportunity_scope = 0;
};

// -- validating a move ------------------------------------------------------------------------

/// What kind of move was asked for.
enum class move_kind : std::uint8_t {
  next,      ///< to the next open stage
  skip,      ///< forward past one or more open stages
  shortcut,  ///< forward along a shortcut whose condition holds
  back,      ///< to an earlier open stage
  won,
  lost,
  invalid,  ///< no such stage, the deal is closed, or it is already there
};
[[nodiscard]] std::string_view to_string(move_kind k) noexcept;

/// One requirement the move does not meet, and what would meet it.
struct requirement_gap {
  std::string stage;        ///< the stage whose requirement it is (or the target)
  std::string requirement;  ///< a code: evidence, field, guard, transition, lost_reason, stage
  std::string detail;  ///< "2 x meeting_minutes with attendees for stage '需求分析' (have 1)"
};

struct move_verdict {
  bool allowed = false;
  move_kind kind = move_kind::invalid;
  std::vector<requirement_gap> unmet;  ///< every unmet requirement (empty when allowed)
  /// The open stages the move passes over (skip or shortcut).
  std::vector<std::string> skipped;
};

/// Checks moves against one pipeline, fast: it keeps an activation per formula of the
/// pipeline, so a check allocates nothing unless it has something to report (a refusal, the
/// stages a move skips). Not thread-safe: one gate per thread (they are cheap); the pipeline
/// is shared and must outlive its gates (the gate keeps a shared_ptr).
class gate {
 public:
  /// `p` must not be null (std::invalid_argument: a programming error).
  explicit gate(std::shared_ptr<const pipeline> p);
  ~gate();
  gate(gate&&) noexcept;
  gate& operator=(gate&&) noexcept;
  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;

  /// See validate_move below.
  [[nodiscard]] move_verdict validate(const opportunity& o, std::string_view target,
                                      std::span<const evidence_item> submitted, timestamp now);
  [[nodiscard]] const pipeline& current_pipeline() const noexcept { return *p_; }

 private:
  struct formulas;
  std::shared_ptr<const pipeline> p_;
  std::unique_ptr<formulas> f_;
};

/// Checks a move of `o` to `target` at `now`, counting the evidence already on `o` plus
/// `submitted` (the proof that comes with the move). Pure: writes nothing. Thread-safe (it
/// makes a gate for the call; keep a `gate` per thread for speed).
///
/// Rules (docs/STAGE_GATES.md): forward moves need the current stage's exit criteria and, when
/// they skip stages, every skipped stage's evidence unless a shortcut from the current stage to
/// the target holds; a move back needs a backward transition whose condition holds; won is
/// reached from the last open stage (with its exit criteria); lost from any open stage with
/// exactly the configured primary and secondary reason codes (opportunity::lost_reasons), each
/// with a ref. A closed deal,
/// an unknown stage or the current stage as target is refused as `invalid`.
[[nodiscard]] move_verdict validate_move(const pipeline& p, const opportunity& o,
                                         std::string_view target,
                                         std::span<const evidence_item> submitted, timestamp now);

}  // namespace crmrules::stage
