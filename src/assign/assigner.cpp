#include "crmrules/assign/assigner.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <stdexcept>

#include "crmrules/model/validate.hpp"

namespace crmrules::assign {

std::string_view to_string(outcome o) noexcept {
  switch (o) {
    case outcome::assigned:
      return "assigned";
    case outcome::fallback:
      return "fallback";
    case outcome::unassigned:
      return "unassigned";
  }
  return "?";
}

std::string_view to_string(fallback_reason r) noexcept {
  switch (r) {
    case fallback_reason::none:
      return "none";
    case fallback_reason::lead_invalid:
      return "lead_invalid";
    case fallback_reason::not_covered:
      return "not_covered";
    case fallback_reason::pool_empty:
      return "pool_empty";
    case fallback_reason::all_over_cap:
      return "all_over_cap";
    case fallback_reason::no_eligible_rep:
      return "no_eligible_rep";
  }
  return "?";
}

std::string_view describe(fallback_reason r) noexcept {
  switch (r) {
    case fallback_reason::lead_invalid:
      return "lead failed validation";
    case fallback_reason::not_covered:
      return "no rule covers the lead";
    case fallback_reason::pool_empty:
      return "pool empty";
    case fallback_reason::all_over_cap:
      return "all over cap";
    case fallback_reason::no_eligible_rep:
      return "no eligible rep";
    case fallback_reason::none:
      break;
  }
  return {};
}

namespace {

/// An activation that exists only when its formula does.
struct slot {
  const formula* f = nullptr;
  std::unique_ptr<activation> act;
  void reset(const std::shared_ptr<const formula>& formula_ptr) {
    f = formula_ptr.get();
    act = f == nullptr ? nullptr : std::make_unique<activation>(*f);
  }
  /// A lead-only formula: TRUE (or no formula) passes.
  bool lead_test(const lead& l, timestamp now, bool if_absent) {
    if (f == nullptr) return if_absent;
    act->set_now(now);
    if (!act->bind(policy::lead_scope, l).ok()) return false;
    const formula_value v = f->evaluate(*act);
    return !v.is_error() && !v.is_blank() && v.as_bool();
  }
};

constexpr double days(duration d) noexcept {
  return std::chrono::duration<double, std::ratio<86400>>(d).count();
}

bool member_of(const pool& p, const rep& r) {
  if (!p.team && p.members.empty()) return true;
  if (p.team && r.team && *p.team == *r.team) return true;
  return std::find(p.members.begin(), p.members.end(), r.id) != p.members.end();
}

/// What the per-rep checks, the load and the tie-break read from a rep, in one compact record.
/// Loaded reps keep one each (refresh() reads it again), so choosing among them reads no rep
/// record unless it has leave, revenue to weigh or a tie to break by id.
struct rep_facts {
  std::int64_t assigned_today = 0;
  std::int64_t open_leads = 0;
  std::int64_t today_follow_ups = 0;
  std::int64_t open_tasks = 0;
  std::int64_t daily_cap = 0;
  std::int64_t open_cap = 0;
  std::int64_t revenue_3d = 0;  // minor units
  timestamp hired_at{};
  timestamp last_assigned_at{};
  bool active = false;
  bool accepts_leads = false;
  bool has_leave = false;
  bool has_daily_cap = false;
  bool has_open_cap = false;
  bool has_hired_at = false;
  bool has_last_assigned = false;
};

[[gnu::always_inline]] inline rep_facts facts_of(const rep& r) noexcept {
  rep_facts f;
  f.assigned_today = r.assigned_today;
  f.open_leads = r.open_leads;
  f.today_follow_ups = r.today_follow_ups;
  f.open_tasks = r.open_tasks;
  f.has_daily_cap = r.daily_cap.has_value();
  f.daily_cap = r.daily_cap.value_or(0);
  f.has_open_cap = r.open_cap.has_value();
  f.open_cap = r.open_cap.value_or(0);
  f.revenue_3d = r.revenue_3d.minor();
  f.has_hired_at = r.hired_at.has_value();
  f.hired_at = r.hired_at.value_or(timestamp{});
  f.has_last_assigned = r.last_assigned_at.has_value();
  f.last_assigned_at = r.last_assigned_at.value_or(timestamp{});
  f.active = r.active;
  f.accepts_leads = r.accepts_leads;
  f.has_leave = !r.leave.empty();
  return f;
}

/// Deterministic order among equals: least recently assigned first (never assigned before
/// anyone), then by id.
/// What the ranking reads of a candidate besides its score: when it was last assigned (ties)
/// and how many leads it has today (rotation).
struct turn {
  bool assigned = false;
  timestamp last_assigned_at{};
  std::int64_t assigned_today = 0;
};

bool earlier_in_turn(const turn& ta, const rep& a, const turn& tb, const rep& b) noexcept {
  if (ta.assigned != tb.assigned) return !ta.assigned;
  if (ta.assigned && ta.last_assigned_at != tb.last_assigned_at)
    return ta.last_assigned_at < tb.last_assigned_at;
  return a.id < b.id;
}

/// Days the rep was not on leave in the 3 days before `now`, at least 1. Leave periods may
/// overlap: each instant counts once.
double days_present_in_3d(const rep& r, timestamp now) {
  const timestamp window_from = now - std::chrono::days(3);
  // The parts of leave inside the window: rarely any, so kept on the stack; a rep with more
  // than 8 overlapping periods (never seen in practice) takes the heap.
  std::array<period, 8> inline_parts{};
  std::vector<period> heap_parts;
  std::size_t n = 0;
  for (const period& lp : r.leave) {
    const timestamp from = std::max(lp.from, window_from);
    const timestamp to = std::min(lp.to, now);
    if (to <= from) continue;
    if (n < inline_parts.size()) {
      inline_parts[n] = {from, to};
    } else {
      if (heap_parts.empty()) heap_parts.assign(inline_parts.begin(), inline_parts.end());
      heap_parts.push_back({from, to});
    }
    ++n;
  }
  if (n == 0) return 3.0;
  const std::span<period> away = heap_parts.empty() ? std::span<period>(inline_parts.data(), n)
                                                    : std::span<period>(heap_parts);
  std::sort(away.begin(), away.end(),
            [](const period& a, const period& b) { return a.from < b.from; });
  duration total{};
  timestamp counted_to = window_from;
  for (const period& p : away) {
    const timestamp from = std::max(p.from, counted_to);
    if (p.to > from) {
      total += p.to - from;
      counted_to = p.to;
    }
  }
  return std::max(1.0, 3.0 - days(total));
}

/// One policy formula over the live reps (each with its rep.load): from the loaded batch (the
/// reps' positions in `at`) or, without one, from the records. A batch that cannot be
/// evaluated (which the loads' checks rule out) comes back as errors, never as stale values.
void evaluate_batch(const formula& f, activation& act, const record_batch* batch,
                    std::span<const std::uint32_t> at, std::span<const rep* const> reps,
                    std::span<const formula_value> loads, std::span<formula_value> out) {
  const status st =
      batch != nullptr
          ? f.evaluate_each(act, *batch, at, out, policy::load_variable, loads)
          : f.evaluate_each(act, policy::rep_scope, reps, out, policy::load_variable, loads);
  if (!st.ok()) {
    for (formula_value& v : out)
      v = formula_value::error(f.type(), formula_error::value);
  }
}

/// Scratch that only grows (sizes are tracked by the caller).
template <class V>
void grow(V& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

/// A rep's load under weights `w` (assigner::load_of; inline for the per-rep loop).
[[gnu::always_inline]] inline double load_value(const load_weights& w, const rep_facts& f,
                                                const rep& r, timestamp now) noexcept {
  const double load = w.follow_ups * static_cast<double>(f.today_follow_ups) +
                      w.open_tasks * static_cast<double>(f.open_tasks) +
                      w.open_leads * static_cast<double>(f.open_leads);
  if (w.revenue_3d_per_10k == 0 || f.revenue_3d == 0) return load;
  // The 3-day revenue is judged per working day present: a rep back from two days of leave
  // is compared on the one day worked, not diluted by the days away.
  const double revenue_10k = r.revenue_3d.major() / 10000.0;
  return load + w.revenue_3d_per_10k * revenue_10k * 3.0 / days_present_in_3d(r, now);
}

}  // namespace

struct assigner::scratch {
  slot covers, eligible, score, cold_start;
  std::vector<slot> takes;
  std::vector<std::uint32_t> member_at;  // each pool member's position in the reps given
  // The reps left after the record checks, and per rep: its load (the formulas' rep.load),
  // whether it is a new hire, its member index; then the formulas' values. Sizes only grow;
  // choose_among tracks how many are in use. `live` (pointers) serves reps passed with the
  // lead; loaded reps are found through `live_at`.
  std::vector<const rep*> live;
  std::vector<formula_value> loads;
  std::vector<std::uint8_t> new_hire;
  std::vector<std::uint32_t> member_index;
  std::vector<std::uint32_t> live_at;  // each live rep's position in the reps given
  std::vector<turn> live_turn;
  std::vector<formula_value> values;
  std::vector<std::size_t> excluded_at;  // explain: member index of each out.excluded entry
  // load(): the reps, and the formulas' batches of them.
  std::span<const rep> loaded;
  std::vector<const rep*> loaded_ptrs;
  std::vector<rep_facts> facts;  // per loaded rep
  record_batch score_batch, eligible_batch;
};

assigner::assigner(std::shared_ptr<const policy> p) : p_(std::move(p)) {
  if (!p_ || !p_->score)
    throw std::invalid_argument("assign::assigner needs a policy with a score");
  s_ = std::make_unique<scratch>();
  s_->covers.reset(p_->covers);
  s_->eligible.reset(p_->eligible);
  s_->score.reset(p_->score);
  s_->cold_start.reset(p_->cold_start_leads);
  s_->takes.resize(p_->pools.size());
  for (std::size_t i = 0; i < p_->pools.size(); ++i)
    s_->takes[i].reset(p_->pools[i].takes);
}

assigner::~assigner() = default;
assigner::assigner(assigner&&) noexcept = default;
assigner& assigner::operator=(assigner&&) noexcept = default;

double assigner::load_of(const rep& r, timestamp now) const noexcept {
  return load_value(p_->load, facts_of(r), r, now);
}

void assigner::load(std::span<const rep> reps) {
  scratch& s = *s_;
  s.loaded = reps;
  s.loaded_ptrs.resize(reps.size());
  s.facts.resize(reps.size());
  for (std::size_t i = 0; i < reps.size(); ++i) {
    s.loaded_ptrs[i] = &reps[i];
    s.facts[i] = facts_of(reps[i]);
  }
  const std::span<const rep* const> ptrs(s.loaded_ptrs);
  (void)s.score_batch.load(*s.score.f, policy::rep_scope, ptrs);
  if (s.eligible.f != nullptr) (void)s.eligible_batch.load(*s.eligible.f, policy::rep_scope, ptrs);
}

status assigner::refresh(std::size_t i) {
  scratch& s = *s_;
  if (i >= s.loaded.size()) {
    return status::invalid_argument("assigner::refresh: rep " + std::to_string(i) + " of " +
                                    std::to_string(s.loaded.size()) + " loaded");
  }
  s.facts[i] = facts_of(s.loaded[i]);
  if (status st = s.score_batch.reload<rep>(i); !st.ok()) return st;
  if (s.eligible.f != nullptr) return s.eligible_batch.reload<rep>(i);
  return {};
}

assignment assigner::choose(const lead& l, timestamp now, bool explain) {
  return choose_among(l, s_->loaded, now, explain, /*loaded=*/true);
}

assignment assigner::choose(const lead& l, std::span<const rep> reps, timestamp now, bool explain) {
  return choose_among(l, reps, now, explain, /*loaded=*/false);
}

assignment assigner::choose_among(const lead& l, std::span<const rep> reps, timestamp now,
                                  bool explain, bool loaded) {
  assignment out;
  scratch& s = *s_;
  const policy& p = *p_;

  auto fall_back = [&](fallback_reason why, std::string detail) {
    out.reason = why;
    out.reason_text = std::string(describe(why)) + (detail.empty() ? "" : ": " + detail);
    out.rep = p.fallback;
    out.kind = p.fallback ? outcome::fallback : outcome::unassigned;
    out.score = 0;
    return std::move(out);
  };

  if (status st = validate(l); !st.ok()) {
    out.alert = true;  // a person has to fix the record
    return fall_back(fallback_reason::lead_invalid, st.message());
  }
  if (!s.covers.lead_test(l, now, true)) {
    out.alert = true;
    return fall_back(fallback_reason::not_covered, "the policy's 'covers' rule is not TRUE");
  }

  // The pool: the first that takes the lead.
  const pool* chosen = nullptr;
  for (std::size_t i = 0; i < p.pools.size() && chosen == nullptr; ++i) {
    if (s.takes[i].lead_test(l, now, true)) chosen = &p.pools[i];
  }
  if (!p.pools.empty() && chosen == nullptr) {
    out.alert = true;
    return fall_back(fallback_reason::not_covered, "no pool takes the lead");
  }
  if (chosen != nullptr) out.pool = chosen->name;

  // The pool's members; without a pool every rep is one, in place (no list to build).
  const bool every_rep = chosen == nullptr;
  std::size_t member_count = reps.size();
  if (!every_rep) {
    grow(s.member_at, reps.size());
    member_count = 0;
    for (std::size_t i = 0; i < reps.size(); ++i) {
      if (member_of(*chosen, reps[i])) s.member_at[member_count++] = static_cast<std::uint32_t>(i);
    }
  }
  if (member_count == 0) return fall_back(fallback_reason::pool_empty, out.pool);
  // Member m's position in `reps`.
  auto member_pos = [&](std::size_t m) -> std::uint32_t {
    return every_rep ? static_cast<std::uint32_t>(m) : s.member_at[m];
  };

  // The lead's part of the formulas, once.
  activation& score_act = *s.score.act;
  score_act.set_now(now);
  (void)score_act.bind(policy::lead_scope, l);
  s.score.f->prepare(score_act, (1u << policy::lead_scope) | formula::fixed_now);
  if (s.eligible.f != nullptr) {
    s.eligible.act->set_now(now);
    (void)s.eligible.act->bind(policy::lead_scope, l);
    s.eligible.f->prepare(*s.eligible.act, (1u << policy::lead_scope) | formula::fixed_now);
  }
  int cold_start_verdict = -1;  // the cold-start rule over the lead, evaluated on first need

  const bool rotation = chosen != nullptr && chosen->mode == pool_mode::round_robin;
  const rep* best = nullptr;
  std::size_t best_at = 0;  // in s.live
  double best_key = 0, best_score = 0;
  std::size_t capped = 0, excluded = 0;
  // Ranking key: score mode maximises the score; rotation minimises leads today per weight.
  auto rank_key = [&](const rep& r, const turn& f, double score) {
    if (!rotation) return score;
    double weight = 1;
    if (auto it = chosen->rotation_weights.find(r.role); it != chosen->rotation_weights.end())
      weight = it->second;
    return weight > 0 ? -(static_cast<double>(f.assigned_today) + 1) / weight : -1e300;
  };
  std::vector<std::size_t> candidate_reps;  // explain: s.live index per out.candidates entry
  s.excluded_at.clear();
  auto exclude = [&](std::size_t member, const rep& r, const char* rule, std::string detail) {
    ++excluded;
    if (explain) {
      out.excluded.push_back({r.id, rule, std::move(detail)});
      s.excluded_at.push_back(member);
    }
  };

  // 1. The record checks, rep by rep; the survivors and their loads go on as columns.
  // Sized for every member up front and cut to the survivors after: no growth checks per rep.
  // Scratch only grows; `live` counts the reps still in the running.
  grow(s.loads, member_count);
  grow(s.new_hire, member_count);
  grow(s.member_index, member_count);
  grow(s.live_at, member_count);
  grow(s.live_turn, member_count);
  if (!loaded) {
    grow(s.live, member_count);
  }
  std::size_t live = 0;
  for (std::size_t m = 0; m < member_count; ++m) {
    const std::uint32_t pos = member_pos(m);
    const rep& r = reps[pos];
    // The checks, over the loaded rep's facts or the facts read from the record here (a
    // temporary the compiler keeps in registers, reading only the fields it needs).
    auto checks = [&](const rep_facts& f) __attribute__((always_inline))->bool {
      if (!f.active) {
        exclude(m, r, "inactive", "inactive");
        return false;
      }
      if (!f.accepts_leads) {
        exclude(m, r, "not_accepting", "does not accept new leads");
        return false;
      }
      if (f.has_leave && r.on_leave(now)) {
        exclude(m, r, "on_leave", "on leave");
        return false;
      }
      if (f.has_daily_cap && f.assigned_today >= f.daily_cap) {
        ++capped;
        exclude(m, r, "daily_cap",
                explain ? "daily cap " + std::to_string(f.daily_cap) + " reached (" +
                              std::to_string(f.assigned_today) + " today)"
                        : std::string());
        return false;
      }
      if (f.has_open_cap && f.open_leads >= f.open_cap) {
        ++capped;
        exclude(m, r, "open_cap",
                explain ? "open cap " + std::to_string(f.open_cap) + " reached (" +
                              std::to_string(f.open_leads) + " open)"
                        : std::string());
        return false;
      }
      const bool new_hire = f.has_hired_at && now - f.hired_at < p.cold_start_period;
      if (new_hire && s.cold_start.f != nullptr) {
        if (cold_start_verdict < 0)
          cold_start_verdict = s.cold_start.lead_test(l, now, true) ? 1 : 0;
        if (cold_start_verdict == 0) {
          exclude(m, r, "cold_start", "in cold start: only low-competition leads");
          return false;
        }
      }
      const double load = load_value(p.load, f, r, now);
      if (!std::isfinite(load)) {  // absurd counters or weights: never a number to rank on
        exclude(m, r, "score_error", explain ? "rep.load is not a finite number" : "");
        return false;
      }
      s.loads[live] = formula_value::of_number(load);
      s.new_hire[live] = new_hire ? 1 : 0;
      s.live_turn[live] = {f.has_last_assigned, f.last_assigned_at, f.assigned_today};
      return true;
    };
    if (!(loaded ? checks(s.facts[pos]) : checks(facts_of(r)))) continue;
    if (!loaded) s.live[live] = &r;
    s.member_index[live] = static_cast<std::uint32_t>(m);
    s.live_at[live] = pos;
    ++live;
  }

  // The facts of live rep i (phase 3 and explanations).
  auto live_rep = [&](std::size_t i) -> const rep& { return reps[s.live_at[i]]; };
  // Formula input and output over the live reps.
  auto evaluate_live = [&](const formula& f, activation& act, const record_batch* batch) {
    grow(s.values, live);
    evaluate_batch(f, act, loaded ? batch : nullptr,
                   std::span<const std::uint32_t>(s.live_at.data(), live),
                   std::span<const rep* const>(s.live.data(), loaded ? 0 : live),
                   std::span<const formula_value>(s.loads.data(), live),
                   std::span<formula_value>(s.values.data(), live));
  };

  // 2. Eligibility over the whole batch; the ineligible leave the columns.
  if (s.eligible.f != nullptr && live > 0) {
    evaluate_live(*s.eligible.f, *s.eligible.act, &s.eligible_batch);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < live; ++i) {
      const formula_value& ok = s.values[i];
      if (ok.is_error() || ok.is_blank() || !ok.as_bool()) {
        exclude(s.member_index[i], live_rep(i), "not_eligible",
                explain ? "eligible is " + ok.to_string() + ": " + s.eligible.f->text() : "");
        continue;
      }
      if (!loaded) s.live[kept] = s.live[i];
      s.loads[kept] = s.loads[i];
      s.new_hire[kept] = s.new_hire[i];
      s.member_index[kept] = s.member_index[i];
      s.live_at[kept] = s.live_at[i];
      s.live_turn[kept] = s.live_turn[i];
      ++kept;
    }
    live = kept;
  }

  // 3. The score over the batch (term by term: see formula::evaluate_each), then the choice.
  if (live > 0) evaluate_live(*s.score.f, score_act, &s.score_batch);
  for (std::size_t i = 0; i < live; ++i) {
    const rep& r = live_rep(i);
    const formula_value& v = s.values[i];
    if (v.is_error()) {
      exclude(s.member_index[i], r, "score_error",
              explain ? "score is " + v.to_string() : std::string());
      continue;
    }
    const double base = v.is_blank() ? 0.0 : v.as_number();
    double coefficient = 1;
    if (!p.role_coefficients.empty()) {
      auto it =
          s.new_hire[i] != 0 ? p.role_coefficients.find("new_hire") : p.role_coefficients.end();
      if (it == p.role_coefficients.end()) it = p.role_coefficients.find(r.role);
      if (it != p.role_coefficients.end()) coefficient = it->second;
    }
    const double score = base * coefficient;
    const turn& t = s.live_turn[i];
    const double key = rank_key(r, t, score);
    if (best == nullptr || key > best_key ||
        (key == best_key && earlier_in_turn(t, r, s.live_turn[best_at], *best))) {
      best = &r;
      best_at = i;
      best_key = key;
      best_score = score;
    }
    if (explain) {  // only explanations pay for a candidate record (an id copy, the terms)
      candidate& c = out.candidates.emplace_back();
      c.rep = r.id;
      c.load = s.loads[i].as_number();
      c.base = base;
      c.coefficient = coefficient;
      c.score = score;
      (void)score_act.bind(policy::rep_scope, r);
      (void)score_act.set_variable(policy::load_variable, s.loads[i]);
      (void)s.score.f->evaluate(score_act, c.why);
      candidate_reps.push_back(i);
    }
  }

  if (explain) {  // exclusions in the order the reps were given
    std::vector<std::size_t> idx(out.excluded.size());
    for (std::size_t i = 0; i < idx.size(); ++i)
      idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      return s.excluded_at[a] < s.excluded_at[b];
    });
    std::vector<exclusion> sorted;
    sorted.reserve(idx.size());
    for (const std::size_t i : idx)
      sorted.push_back(std::move(out.excluded[i]));
    out.excluded = std::move(sorted);
  }

  if (explain) {  // best first, in the order the choice used
    std::vector<std::size_t> idx(out.candidates.size());
    for (std::size_t i = 0; i < idx.size(); ++i)
      idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      const std::size_t ia = candidate_reps[a], ib = candidate_reps[b];
      const double ka = rank_key(live_rep(ia), s.live_turn[ia], out.candidates[a].score);
      const double kb = rank_key(live_rep(ib), s.live_turn[ib], out.candidates[b].score);
      if (ka != kb) return ka > kb;
      return earlier_in_turn(s.live_turn[ia], live_rep(ia), s.live_turn[ib], live_rep(ib));
    });
    std::vector<candidate> sorted;
    sorted.reserve(idx.size());
    for (const std::size_t i : idx)
      sorted.push_back(std::move(out.candidates[i]));
    out.candidates = std::move(sorted);
  }

  if (best == nullptr) {
    // Over cap: some rep would have taken it but for a cap (the others are away, inactive,
    // or not eligible for this lead). Otherwise nobody was eligible at all.
    const bool all_capped = capped > 0;
    return fall_back(
        all_capped ? fallback_reason::all_over_cap : fallback_reason::no_eligible_rep,
        std::to_string(excluded) + " of " + std::to_string(member_count) + " reps excluded");
  }
  out.kind = outcome::assigned;
  out.rep = best->id;
  out.score = best_score;
  return out;
}

}  // namespace crmrules::assign
