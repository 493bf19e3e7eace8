#include "crmrules/assign/reclaim.hpp"

#include "util/backoff.hpp"

namespace crmrules::assign {

std::string_view to_string(reclaim_step s) noexcept {
  switch (s) {
    case reclaim_step::none:
      return "none";
    case reclaim_step::remind_owner:
      return "remind_owner";
    case reclaim_step::notify_manager:
      return "notify_manager";
    case reclaim_step::reassign:
      return "reassign";
  }
  return "?";
}

reclaim_decision reclaim_check(const policy& p, const lead& l, timestamp now) {
  reclaim_decision out;
  if (l.status != lead_status::assigned || !l.owner || !l.assigned_at || l.first_touch_at)
    return out;
  const reclaim_ladder& ladder = p.reclaim;
  const duration waited = now - *l.assigned_at;
  // The rungs in order; the highest one reached is the step, the next one is when to look again.
  const std::pair<std::optional<duration>, reclaim_step> rungs[] = {
      {ladder.remind_owner, reclaim_step::remind_owner},
      {ladder.notify_manager, reclaim_step::notify_manager},
      {ladder.reassign, reclaim_step::reassign},
  };
  for (const auto& [at, step] : rungs) {
    if (!at) continue;
    if (waited >= *at) {
      out.step = step;
    } else {
      out.next_at = *l.assigned_at + *at;
      break;
    }
  }
  if (out.step != reclaim_step::none) {
    out.reason = "not touched " +
                 format_duration(std::chrono::floor<std::chrono::minutes>(waited)) +
                 " after assignment to " + l.owner->str();
  }
  return out;
}

namespace {

void tell(notifier* n, notification_level level, std::string topic, const lead& l,
          std::vector<std::string> to, std::string message, timestamp now) {
  if (n == nullptr || to.empty()) return;
  notification note;
  note.at = now;
  note.level = level;
  note.topic = std::move(topic);
  note.subject = record_ref{record_kind::lead, l.id.str()};
  note.recipients = std::move(to);
  note.message = std::move(message);
  (void)n->notify(note);  // the decision stands whether or not the message got through
}

/// The owner's manager (through the owner's team), else the policy's alert recipients.
std::vector<std::string> managers_of(storage& store, const policy& p, const rep_id& owner) {
  if (auto r = store.reps().get(owner); r && r->team) {
    if (auto t = store.teams().get(*r->team); t && t->manager) return {t->manager->str()};
  }
  return p.alert_recipients;
}

}  // namespace

result<reclaim_result> reclaim_and_commit(storage& store, const policy& p, const lead_id& id,
                                          timestamp now, notifier* n, int max_attempts) {
  reclaim_result out;
  status last = status::conflict("no attempt made");
  for (int attempt = 0; attempt < std::max(1, max_attempts); ++attempt) {
    auto l = store.leads().get(id);
    if (!l) return l.error();
    out.decision = reclaim_check(p, *l, now);
    const rep_id owner = l->owner.value_or(rep_id{});
    switch (out.decision.step) {
      case reclaim_step::none:
        return out;
      case reclaim_step::remind_owner:
        tell(n, notification_level::reminder, "assign.first_touch_reminder", *l, {owner.str()},
             "please contact lead " + l->id.str() + ": " + out.decision.reason, now);
        return out;
      case reclaim_step::notify_manager:
        tell(n, notification_level::escalation, "assign.first_touch_overdue", *l,
             managers_of(store, p, owner),
             "lead " + l->id.str() + " is waiting: " + out.decision.reason, now);
        return out;
      case reclaim_step::reassign:
        break;
    }
    write_batch batch;
    lead released = *l;
    released.status = lead_status::to_reassign;  // the owner stays, as the one to skip
    batch.update(released);
    if (auto r = store.reps().get(owner)) {
      rep counted = *r;
      if (counted.open_leads > 0) --counted.open_leads;
      batch.update(std::move(counted));
    } else if (!r.error().is_not_found()) {
      return r.error();
    }
    decision d;
    d.at = now;
    d.kind = decision_kind::reclaim;
    d.subject = record_ref{record_kind::lead, id.str()};
    d.actor = "crmrules.assign";
    d.reason = out.decision.reason;
    batch.append(std::move(d));
    auto receipt = store.commit(batch);
    if (receipt) {
      out.released = true;
      out.decision_seq = receipt->decision_seqs.front();
      tell(n, notification_level::escalation, "assign.reclaimed", *l, managers_of(store, p, owner),
           "lead " + l->id.str() + " taken back from " + owner.str() + ": " + out.decision.reason,
           now);
      return out;
    }
    last = receipt.error();
    if (!last.is_conflict()) return last;
    detail::conflict_backoff(attempt);
  }
  return status::conflict("lead " + id.str() + ": still conflicting after " +
                          std::to_string(std::max(1, max_attempts)) + " attempts (" +
                          last.message() + ")");
}

}  // namespace crmrules::assign
