#include "crmrules/stage/commit.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/backoff.hpp"

namespace crmrules::stage {

namespace {

std::string gaps_text(const move_verdict& v) {
  std::string out;
  for (const auto& g : v.unmet) {
    if (!out.empty()) out += "; ";
    out += g.detail;
  }
  return out;
}

std::string decision_detail(const opportunity& o, const move_request& r, const move_verdict& v,
                            bool overridden) {
  nlohmann::json j;
  j["from"] = o.stage;
  j["to"] = r.target;
  j["kind"] = std::string(to_string(v.kind));
  if (!v.skipped.empty()) j["skipped"] = v.skipped;
  if (!v.unmet.empty()) {
    nlohmann::json gaps = nlohmann::json::array();
    for (const auto& g : v.unmet)
      gaps.push_back({{"stage", g.stage}, {"requirement", g.requirement}, {"detail", g.detail}});
    j["unmet"] = std::move(gaps);
  }
  if (overridden) j["override_role"] = r.actor_role;
  if (!r.evidence.empty()) {
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& e : r.evidence)
      ids.push_back(e.id);
    j["evidence"] = std::move(ids);
  }
  return j.dump();
}

}  // namespace

result<move_result> move_and_commit(storage& store, gate& g, const move_request& request,
                                    timestamp now) {
  if (request.actor.empty())
    return status::invalid_argument("move_and_commit: the actor is empty (who asks?)");
  const pipeline& p = g.current_pipeline();
  move_result out;
  status last = status::conflict("no attempt made");
  const int attempts = std::max(1, request.max_attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    out.attempts = attempt;
    auto stored = store.opportunities().get(request.id);
    if (!stored) return stored.error();
    // The deal as the move would leave it: with the lost reasons that come with the request
    // (a copy only then).
    opportunity with_reasons;
    const opportunity* o = &*stored;
    if (!request.lost_reasons.empty()) {
      with_reasons = *stored;
      with_reasons.lost_reasons = request.lost_reasons;
      o = &with_reasons;
    }
    out.verdict = g.validate(*o, request.target, request.evidence, now);
    const move_verdict& v = out.verdict;

    bool move = v.allowed;
    out.overridden = false;
    out.refusal.clear();
    if (!v.allowed && request.override_reason) {
      const bool authorised = std::find(p.override_roles.begin(), p.override_roles.end(),
                                        request.actor_role) != p.override_roles.end();
      if (v.kind == move_kind::invalid) {
        out.refusal = "an invalid move cannot be overridden: " + gaps_text(v);
      } else if (!authorised) {
        out.refusal =
            "role '" + request.actor_role + "' may not override the gate (" + gaps_text(v) + ")";
      } else if (request.override_reason->empty()) {
        out.refusal = "an override needs a reason (" + gaps_text(v) + ")";
      } else {
        move = true;
        out.overridden = true;
      }
    } else if (!v.allowed) {
      out.refusal = gaps_text(v);
    }

    write_batch batch;
    decision d;
    d.at = now;
    d.subject = record_ref{record_kind::opportunity, request.id.str()};
    d.actor = request.actor;
    d.detail = decision_detail(*o, request, v, out.overridden);
    if (move) {
      opportunity moved = *o;
      moved.stage = request.target;
      moved.entered_stage_at = now;
      moved.evidence.insert(moved.evidence.end(), request.evidence.begin(), request.evidence.end());
      const stage_def* to = p.find(request.target);
      if (to != nullptr && to->kind != stage_kind::open) moved.closed_at = now;
      d.kind = out.overridden ? decision_kind::override : decision_kind::stage_move;
      d.reason = out.overridden ? "override by " + request.actor_role + ": " +
                                      *request.override_reason + " (missing: " + gaps_text(v) + ")"
                                : "moved from '" + o->stage + "' to '" + request.target + "' (" +
                                      std::string(to_string(v.kind)) + ")";
      batch.update(std::move(moved));
    } else {
      // A refusal changes nothing on the deal, but the deal is written back (its version
      // bumps) so that the refusal and any concurrent move are ordered: a refusal is never
      // logged against a deal that had already moved.
      d.kind = decision_kind::gate_refusal;
      d.reason = "refused: " + out.refusal;
      batch.update(*stored);
    }
    batch.append(std::move(d));
    auto receipt = store.commit(batch);
    if (receipt) {
      out.moved = move;
      out.decision_seq = receipt->decision_seqs.empty() ? 0 : receipt->decision_seqs.front();
      return out;
    }
    last = receipt.error();
    if (!last.is_conflict()) return last;
    detail::conflict_backoff(attempt);
  }
  return status::conflict("opportunity " + request.id.str() + ": still conflicting after " +
                          std::to_string(attempts) + " attempts (" + last.message() + ")");
}

}  // namespace crmrules::stage
