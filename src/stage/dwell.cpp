#include "crmrules/stage/dwell.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace crmrules::stage {

namespace {

/// The stage's dwell limit when `o` is in an open stage that has one.
const stage_def* limited_stage(const pipeline& p, const opportunity& o) noexcept {
  const stage_def* s = p.find(o.stage);
  if (s == nullptr || s->kind != stage_kind::open || !s->dwell_limit) return nullptr;
  return s;
}

std::string days_text(duration d) {
  const double days = std::chrono::duration<double, std::ratio<86400>>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", days);
  return buf;
}

}  // namespace

bool is_frozen(const pipeline& p, const opportunity& o, timestamp now) noexcept {
  const stage_def* s = limited_stage(p, o);
  return s != nullptr && now - o.entered_stage_at > *s->dwell_limit;
}

std::vector<frozen_deal> frozen_deals(const pipeline& p, std::span<const opportunity> deals,
                                      timestamp now) {
  std::vector<frozen_deal> out;
  for (const opportunity& o : deals) {
    const stage_def* s = limited_stage(p, o);
    if (s == nullptr) continue;
    const duration in_stage = now - o.entered_stage_at;
    if (in_stage <= *s->dwell_limit) continue;
    out.push_back({o.id, s->id, in_stage, in_stage - *s->dwell_limit});
  }
  std::sort(out.begin(), out.end(), [](const frozen_deal& a, const frozen_deal& b) {
    if (a.over_by != b.over_by) return a.over_by > b.over_by;
    return a.id < b.id;
  });
  return out;
}

std::size_t remind_frozen(notifier& n, const pipeline& p, std::span<const opportunity> deals,
                          timestamp now) {
  std::size_t delivered = 0;
  for (const opportunity& o : deals) {
    const stage_def* s = limited_stage(p, o);
    if (s == nullptr || now - o.entered_stage_at <= *s->dwell_limit) continue;
    notification note;
    note.at = now;
    note.level = notification_level::warning;
    note.topic = "stage.dwell_exceeded";
    note.subject = record_ref{record_kind::opportunity, o.id.str()};
    if (o.owner) {
      note.recipients.push_back(o.owner->str());
    } else {
      note.recipients = p.override_roles;
    }
    const duration in_stage = now - o.entered_stage_at;
    note.message = "deal " + o.id.str() + (o.name.empty() ? "" : " (" + o.name + ")") +
                   " has been in '" + s->name + "' for " + days_text(in_stage) + " days (limit " +
                   days_text(*s->dwell_limit) + "); it is left out of the forecast until it moves";
    note.data.set("stage", s->id);
    note.data.set("days_in_stage",
                  std::chrono::duration<double, std::ratio<86400>>(in_stage).count());
    if (n.notify(note).ok()) ++delivered;
  }
  return delivered;
}

forecast forecast_of(const pipeline& p, std::span<const opportunity> deals, timestamp now) {
  forecast out;
  for (const opportunity& o : deals) {
    const stage_def* s = p.find(o.stage);
    if (s == nullptr || s->kind != stage_kind::open) continue;
    if (s->dwell_limit && now - o.entered_stage_at > *s->dwell_limit) {
      ++out.frozen;
      continue;
    }
    ++out.counted;
    out.unweighted += o.amount;
    const double w = std::round(static_cast<double>(o.amount.minor()) * s->win_probability);
    // w <= the amount (probabilities are at most 1); clamped where a double rounds past int64.
    const money weighted =
        money::from_minor(static_cast<std::int64_t>(std::clamp(w, -9.2e18, 9.2e18)));
    out.weighted += weighted;
    out.by_category[s->forecast_category] += weighted;
  }
  return out;
}

}  // namespace crmrules::stage
