#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "crmrules/stage/pipeline.hpp"

namespace crmrules::stage {

std::string_view to_string(stage_kind k) noexcept {
  switch (k) {
    case stage_kind::open:
      return "open";
    case stage_kind::won:
      return "won";
    case stage_kind::lost:
      return "lost";
  }
  return "?";
}

std::string_view to_string(move_kind k) noexcept {
  switch (k) {
    case move_kind::next:
      return "next";
    case move_kind::skip:
      return "skip";
    case move_kind::shortcut:
      return "shortcut";
    case move_kind::back:
      return "back";
    case move_kind::won:
      return "won";
    case move_kind::lost:
      return "lost";
    case move_kind::invalid:
      return "invalid";
  }
  return "?";
}

const stage_def* pipeline::find(std::string_view id) const noexcept {
  for (const auto& s : stages) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

namespace {

/// A boolean formula over the opportunity: TRUE passes; FALSE, blank or an error does not.
/// `why` gets the value when it is not TRUE.
bool holds(const formula& f, activation& act, const opportunity& o, timestamp now,
           std::string* why) {
  act.set_now(now);
  if (!act.bind(pipeline::opportunity_scope, o).ok()) {
    if (why != nullptr) *why = "cannot be evaluated";
    return false;
  }
  const formula_value v = f.evaluate(act);
  const bool ok = !v.is_error() && !v.is_blank() && v.as_bool();
  if (!ok && why != nullptr) *why = v.to_string();
  return ok;
}

/// Pieces of evidence of `type` for stage `stage` on the deal and in the submission; meeting
/// minutes count only with attendees.
std::int64_t count_evidence(const opportunity& o, std::span<const evidence_item> submitted,
                            const std::string& stage, evidence_type type) {
  std::int64_t n = 0;
  auto counts = [&](const evidence_item& e) {
    return e.stage == stage && e.type == type &&
           (type != evidence_type::meeting_minutes || !e.attendees.empty());
  };
  for (const auto& e : o.evidence)
    n += counts(e) ? 1 : 0;
  for (const auto& e : submitted)
    n += counts(e) ? 1 : 0;
  return n;
}

bool blank(const field_view& v) {
  switch (v.type) {
    case value_type::null:
      return true;
    case value_type::string:
      return v.size == 0;
    case value_type::string_list:
      return v.list == nullptr || v.list->empty();
    case value_type::money:
      return v.integer == 0;  // an amount of 0: no amount yet
    default:
      return false;
  }
}

/// Everything `s` asks for before a deal leaves it forward.
void check_exit(const stage_def& s, std::vector<std::unique_ptr<activation>>& guard_acts,
                const opportunity& o, std::span<const evidence_item> submitted, timestamp now,
                bool evidence_only, std::vector<requirement_gap>& out) {
  for (const auto& req : s.evidence) {
    const std::int64_t have = count_evidence(o, submitted, s.id, req.type);
    if (have < req.min) {
      std::string what = std::to_string(req.min) + " x " + std::string(to_string(req.type));
      if (req.type == evidence_type::meeting_minutes) what += " with attendees";
      out.push_back({s.id, "evidence",
                     what + " for stage '" + s.id + "' (have " + std::to_string(have) + ")"});
    }
  }
  if (evidence_only) return;
  for (const auto& f : s.required_fields) {
    if (blank(view_field(o, f)))
      out.push_back({s.id, "field", "field '" + f.name + "' must be filled in"});
  }
  for (std::size_t k = 0; k < s.guards.size(); ++k) {
    const guard& g = s.guards[k];
    std::string why;
    if (!holds(*g.rule, *guard_acts[k], o, now, &why))
      out.push_back({s.id, "guard", g.message + " (" + g.rule->text() + " is " + why + ")"});
  }
}

/// Whether `list` declares a move from `from` to `to` whose condition holds (`acts` parallel to
/// `list`). `why` gets the value of the last condition that did not.
bool declared(const std::vector<transition>& list, std::vector<std::unique_ptr<activation>>& acts,
              const std::string& from, const std::string& to, const opportunity& o, timestamp now,
              std::string& why) {
  for (std::size_t k = 0; k < list.size(); ++k) {
    const transition& t = list[k];
    if (t.from != from || t.to != to) continue;
    if (!t.when || holds(*t.when, *acts[k], o, now, &why)) return true;
  }
  return false;
}

void check_lost_reasons(const pipeline& p, const opportunity& o, std::vector<requirement_gap>& out,
                        const std::string& target) {
  std::int64_t primary = 0, secondary = 0;
  for (const auto& r : o.lost_reasons) {
    if (std::find(p.lost.codes.begin(), p.lost.codes.end(), r.code) == p.lost.codes.end()) {
      out.push_back({target, "lost_reason", "reason code '" + r.code + "' is not in the list"});
      continue;
    }
    if (r.ref.empty())
      out.push_back(
          {target, "lost_reason", "reason '" + r.code + "' must link a note or activity (ref)"});
    (r.primary ? primary : secondary) += 1;
  }
  auto want = [&](std::int64_t have, std::int64_t need, const char* what) {
    if (have != need)
      out.push_back({target, "lost_reason",
                     "exactly " + std::to_string(need) + " " + what + " reason code" +
                         (need == 1 ? "" : "s") + " (have " + std::to_string(have) + ")"});
  };
  want(primary, p.lost.primary, "primary");
  want(secondary, p.lost.secondary, "secondary");
}

}  // namespace

/// One activation per formula of the pipeline, in its shape.
struct gate::formulas {
  std::vector<std::vector<std::unique_ptr<activation>>> guards;  // [stage][guard]
  std::vector<std::unique_ptr<activation>> shortcuts, backward;  // null: no condition
};

gate::gate(std::shared_ptr<const pipeline> p) : p_(std::move(p)) {
  if (!p_) throw std::invalid_argument("stage::gate needs a pipeline");
  f_ = std::make_unique<formulas>();
  for (const auto& s : p_->stages) {
    auto& acts = f_->guards.emplace_back();
    for (const auto& g : s.guards)
      acts.push_back(std::make_unique<activation>(*g.rule));
  }
  for (const auto& t : p_->shortcuts)
    f_->shortcuts.push_back(t.when ? std::make_unique<activation>(*t.when) : nullptr);
  for (const auto& t : p_->backward)
    f_->backward.push_back(t.when ? std::make_unique<activation>(*t.when) : nullptr);
}

gate::~gate() = default;
gate::gate(gate&&) noexcept = default;
gate& gate::operator=(gate&&) noexcept = default;

move_verdict validate_move(const pipeline& p, const opportunity& o, std::string_view target,
                           std::span<const evidence_item> submitted, timestamp now) {
  // A gate for this call, viewing `p` (the aliasing constructor: no ownership taken).
  gate g(std::shared_ptr<const pipeline>(std::shared_ptr<const pipeline>(), &p));
  return g.validate(o, target, submitted, now);
}

move_verdict gate::validate(const opportunity& o, std::string_view target,
                            std::span<const evidence_item> submitted, timestamp now) {
  const pipeline& p = *p_;
  formulas& f = *f_;
  auto stage_index = [&](const stage_def* s) {
    return static_cast<std::size_t>(s - p.stages.data());
  };
  move_verdict v;
  const stage_def* from = p.find(o.stage);
  const stage_def* to = p.find(target);
  if (from == nullptr) {
    v.unmet.push_back(
        {o.stage, "stage", "the deal's stage '" + o.stage + "' is not in the pipeline"});
    return v;
  }
  if (to == nullptr) {
    v.unmet.push_back(
        {std::string(target), "stage", "no stage '" + std::string(target) + "' in the pipeline"});
    return v;
  }
  if (from->kind != stage_kind::open) {
    v.unmet.push_back({from->id, "stage", "the deal is closed (" + from->id + ")"});
    return v;
  }
  if (from == to) {
    v.unmet.push_back({to->id, "stage", "the deal is already in '" + to->id + "'"});
    return v;
  }

  if (to->kind == stage_kind::lost) {
    v.kind = move_kind::lost;
    check_lost_reasons(p, o, v.unmet, to->id);
  } else if (to->kind == stage_kind::open && to->order < from->order) {
    v.kind = move_kind::back;
    std::string why;
    if (!declared(p.backward, f.backward, from->id, to->id, o, now, why)) {
      v.unmet.push_back({to->id, "transition",
                         "no backward move from '" + from->id + "' to '" + to->id + "'" +
                             (why.empty() ? std::string(" is declared")
                                          : " holds (its condition is " + why + ")")});
    }
  } else {
    // Forward: to a later open stage, or to a won terminal (from the last open stage).
    std::vector<const stage_def*> passed;  // open stages strictly between from and to
    for (const auto& s : p.stages) {
      if (s.kind != stage_kind::open || s.order <= from->order) continue;
      if (to->kind == stage_kind::open && s.order >= to->order) continue;
      passed.push_back(&s);
    }
    std::string why;
    const bool by_shortcut =
        !passed.empty() && declared(p.shortcuts, f.shortcuts, from->id, to->id, o, now, why);
    v.kind = to->kind == stage_kind::won ? move_kind::won
             : by_shortcut               ? move_kind::shortcut
             : passed.empty()            ? move_kind::next
                                         : move_kind::skip;
    check_exit(*from, f.guards[stage_index(from)], o, submitted, now, /*evidence_only=*/false,
               v.unmet);
    for (const stage_def* s : passed) {
      v.skipped.push_back(s->id);
      if (!by_shortcut)
        check_exit(*s, f.guards[stage_index(s)], o, submitted, now, /*evidence_only=*/true,
                   v.unmet);
    }
    if (!why.empty() && !by_shortcut && !v.unmet.empty()) {
      v.unmet.push_back({to->id, "transition",
                         "the shortcut from '" + from->id + "' to '" + to->id +
                             "' does not apply (its condition is " + why + ")"});
    }
  }
  v.allowed = v.unmet.empty();
  return v;
}

}  // namespace crmrules::stage
