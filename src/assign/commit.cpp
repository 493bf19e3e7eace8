#include "crmrules/assign/commit.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/backoff.hpp"

namespace crmrules::assign {

namespace {

/// Every rep, read page by page.
result<std::vector<rep>> all_reps(storage& store) {
  std::vector<rep> out;
  rep_id after;
  for (;;) {
    auto page = store.reps().list(after, 1000);
    if (!page) return page.error();
    if (page->empty()) return out;
    after = page->back().id;
    for (auto& r : *page)
      out.push_back(std::move(r));
  }
}

std::string decision_detail(const assignment& pick) {
  nlohmann::json j;
  j["outcome"] = std::string(to_string(pick.kind));
  if (!pick.pool.empty()) j["pool"] = pick.pool;
  if (pick.kind == outcome::assigned) {
    j["score"] = pick.score;
  } else {
    j["reason"] = std::string(to_string(pick.reason));
  }
  return j.dump();
}

void send_alert(notifier& n, const lead& l, const assignment& pick, const policy& p,
                timestamp now) {
  notification note;
  note.at = now;
  note.level = notification_level::alert;
  note.topic =
      pick.reason == fallback_reason::lead_invalid ? "assign.invalid_lead" : "assign.unrouted_lead";
  note.subject = record_ref{record_kind::lead, l.id.str()};
  note.recipients = p.alert_recipients;
  if (note.recipients.empty() && p.fallback) note.recipients.push_back(p.fallback->str());
  note.message = "lead " + l.id.str() + " (" + l.source + "): " + pick.reason_text +
                 (pick.rep ? "; given to " + pick.rep->str() : "; left unassigned");
  note.data.set("reason", std::string(to_string(pick.reason)));
  (void)n.notify(note);  // the assignment stands whether or not the alert got through
}

}  // namespace

result<commit_result> assign_and_commit(storage& store, assigner& a, const lead_id& id,
                                        timestamp now, const commit_options& options) {
  commit_result out;
  status last = status::conflict("no attempt made");
  for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
    out.attempts = attempt;
    auto l = store.leads().get(id);
    if (!l) return l.error();
    if (l->status != lead_status::unassigned && l->status != lead_status::to_reassign) {
      out.already_owned = true;
      return out;
    }
    auto reps = all_reps(store);
    if (!reps) return reps.error();
    // A lead taken back for no touch is not given to the owner it was taken from.
    const std::optional<rep_id> previous =
        l->status == lead_status::to_reassign ? l->owner : std::nullopt;
    if (previous) {
      std::erase_if(*reps, [&](const rep& r) { return r.id == *previous; });
    }
    out.pick = a.choose(*l, *reps, now);
    if (out.pick.reason == fallback_reason::lead_invalid) {
      // A record that breaks the model's rules cannot be written with an owner: it stays
      // waiting, the decision and the alert say why, and a person fixes it.
      out.pick.kind = outcome::unassigned;
      out.pick.rep.reset();
    }
    const assignment& pick = out.pick;

    write_batch batch;
    lead updated = *l;
    if (pick.reason == fallback_reason::lead_invalid) {
      // A record that breaks the model's rules cannot be written back: only the decision is,
      // and the alert asks a person to fix it.
    } else if (pick.rep) {
      updated.owner = pick.rep;
      updated.status = lead_status::assigned;
      updated.assigned_at = now;
      for (const rep& r : *reps) {
        if (r.id != *pick.rep) continue;
        rep counted = r;
        ++counted.assigned_today;
        ++counted.open_leads;
        counted.last_assigned_at = now;
        batch.update(std::move(counted));
        break;
      }
    } else {
      // Nobody can take it: it stays waiting (a released lead keeps its previous owner, still
      // to be skipped), and the decision says why. The version bump still guards against a
      // concurrent assignment of the same lead.
    }
    if (pick.reason != fallback_reason::lead_invalid) batch.update(std::move(updated));
    decision d;
    d.at = now;
    d.kind = pick.kind == outcome::assigned
                 ? (previous ? decision_kind::reassignment : decision_kind::assignment)
                 : decision_kind::fallback;
    d.subject = record_ref{record_kind::lead, id.str()};
    d.actor = options.actor;
    d.reason = pick.kind == outcome::assigned
                   ? "assigned to " + pick.rep->str() +
                         (pick.pool.empty() ? "" : " (pool " + pick.pool + ")")
                   : pick.reason_text;
    d.detail = decision_detail(pick);
    batch.append(std::move(d));

    auto receipt = store.commit(batch);
    if (receipt) {
      out.decision_seq = receipt->decision_seqs.empty() ? 0 : receipt->decision_seqs.front();
      if (pick.alert && options.alerts != nullptr)
        send_alert(*options.alerts, *l, pick, a.current_policy(), now);
      return out;
    }
    last = receipt.error();
    if (!last.is_conflict()) return last;
    detail::conflict_backoff(attempt);
  }
  return status::conflict("lead " + id.str() + ": still conflicting after " +
                          std::to_string(std::max(1, options.max_attempts)) + " attempts (" +
                          last.message() + ")");
}

}  // namespace crmrules::assign
