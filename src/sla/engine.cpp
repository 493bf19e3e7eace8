#include "crmrules/sla/engine.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

namespace crmrules::sla {

namespace {

constexpr std::string_view deadline_key = "deadline";
constexpr duration max_offset = policy::max_offset;
constexpr std::string_view from_key = "from";
constexpr std::string_view party_prefix = "party.";

/// The wheel counts whole milliseconds: deadlines round up (a step never fires early), now
/// rounds down.
std::int64_t ms_up(timestamp t) {
  const std::int64_t us = to_unix_micros(t);
  if (us <= 0) return 0;
  return us / 1000 + (us % 1000 != 0 ? 1 : 0);
}
std::int64_t ms_down(timestamp t) {
  return std::max<std::int64_t>(0, to_unix_micros(t) / 1000);
}

std::optional<timestamp> time_attr(const timer& t, std::string_view key) {
  const value* v = t.custom.find(key);
  const timestamp* at = v == nullptr ? nullptr : v->get_if<timestamp>();
  if (at == nullptr) return std::nullopt;
  return *at;
}

std::string_view topic_of(const step& s) {
  if (s.offset < duration::zero()) return "sla.warning";
  if (s.offset == duration::zero()) return "sla.breach";
  return "sla.escalation";
}

std::vector<std::string> resolve(const step& s, const timer& t) {
  std::vector<std::string> out;
  for (const auto& who : s.to) {
    if (who.size() < 2 || who.front() != '$') {
      out.push_back(who);
      continue;
    }
    const value* v = t.custom.find(std::string(party_prefix) + who.substr(1));
    if (v == nullptr) continue;
    if (const auto* one = v->get_if<std::string>()) {
      if (!one->empty()) out.push_back(*one);
    } else if (const auto* many = v->get_if<value::string_list>()) {
      out.insert(out.end(), many->begin(), many->end());
    }
  }
  // A rep named twice (owner and manager the same person) is told once.
  std::vector<std::string> unique;
  for (auto& r : out) {
    if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(std::move(r));
  }
  return unique;
}

}  // namespace

timer_id timer_id_of(std::string_view policy, const record_ref& subject) {
  std::string id;
  const std::string_view kind = to_string(subject.kind);
  id.reserve(policy.size() + kind.size() + subject.id.size() + 2);
  id.append(policy).append("/").append(kind).append("/").append(subject.id);
  return timer_id{std::move(id)};
}

struct engine::state {
  struct entry {
    timer rec;
    const policy* pol = nullptr;
    timestamp deadline{};
    timer_wheel::handle h{};
    bool scheduled = false;
    bool dirty = false;      // the stored copy is behind: write it again at the next advance
    bool recovered = false;  // loaded by recover(), not started in this process
    int attempts = 0;        // refusals of the current step's notification
    std::vector<decision> unlogged;  // decision-log entries of steps whose write failed
  };

  state(std::shared_ptr<const policy_set> p, storage& st, const clock& c, notifier* n,
        engine_options o)
      : policies(std::move(p)),
        store(st),
        clk(c),
        out(n),
        opts(std::move(o)),
        wheel(ms_down(c.now())) {}

  std::shared_ptr<const policy_set> policies;
  storage& store;
  const clock& clk;
  notifier* out;
  engine_options opts;

  mutable std::mutex mu;
  timer_wheel wheel;
  std::vector<entry> slots;
  std::vector<std::uint32_t> free_slots;
  std::unordered_map<std::string, std::uint32_t> by_id;
  struct unsaved_write {
    timer rec;
    std::vector<decision> log;
  };
  std::vector<unsaved_write> unsaved;  // finished timers whose last write failed
  std::vector<std::uint32_t> dirty;    // slots whose last write failed
  std::size_t paused_count = 0;
  timestamp recovered_at = timestamp::min();

  // ---- slots -------------------------------------------------------------------------------

  std::uint32_t add_slot(entry e) {
    std::uint32_t i = 0;
    if (!free_slots.empty()) {
      i = free_slots.back();
      free_slots.pop_back();
      slots[i] = std::move(e);
    } else {
      i = static_cast<std::uint32_t>(slots.size());
      slots.push_back(std::move(e));
    }
    by_id.emplace(slots[i].rec.id.str(), i);
    if (slots[i].rec.state == timer_state::paused) ++paused_count;
    return i;
  }

  void drop_slot(std::uint32_t i) {
    entry& e = slots[i];
    if (e.scheduled) wheel.cancel(e.h);
    if (e.rec.state == timer_state::paused) --paused_count;
    by_id.erase(e.rec.id.str());
    e = entry{};
    free_slots.push_back(i);
  }

  bool is_unsaved(const timer_id& id) const {
    return std::any_of(unsaved.begin(), unsaved.end(),
                       [&](const unsaved_write& u) { return u.rec.id == id; });
  }

  entry* find(const timer_id& id) {
    const auto it = by_id.find(id.str());
    return it == by_id.end() ? nullptr : &slots[it->second];
  }
  std::uint32_t index_of(const timer_id& id) const { return by_id.at(id.str()); }

  void schedule(std::uint32_t i) {
    entry& e = slots[i];
    if (e.scheduled) wheel.cancel(e.h);
    e.h = wheel.schedule(ms_up(e.rec.due_at), i);
    e.scheduled = true;
  }
  void unschedule(entry& e) {
    if (e.scheduled) wheel.cancel(e.h);
    e.scheduled = false;
  }

  // ---- the store ---------------------------------------------------------------------------

  /// Writes `t` (insert when its version is 0) with the decision-log entries `log`, in one
  /// batch; on success `t.version` is the stored one. A conflict re-reads the stored version
  /// once and writes again: the engine owns its timers, so a newer stored copy is a write of
  /// ours whose answer was lost.
  status write(timer& t, const std::vector<decision>& log = {}) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      write_batch batch;
      if (t.version == 0) {
        batch.insert(t);
      } else {
        batch.update(t);
      }
      for (const decision& d : log)
        batch.append(d);
      auto receipt = store.commit(batch);
      if (receipt) {
        t.version = receipt->versions.front();
        return {};
      }
      const status_code code = receipt.error().code();
      if (attempt > 0 || (code != status_code::conflict && code != status_code::already_exists))
        return receipt.error();
      auto stored = store.timers().get(t.id);
      if (!stored) {
        if (stored.error().code() != status_code::not_found) return stored.error();
        t.version = 0;
      } else {
        t.version = stored->version;
      }
    }
    return status::internal("unreachable");
  }

  // ---- deadlines ---------------------------------------------------------------------------

  /// Sets `e.rec.due_at` to the time of its next step, or marks it fired when there is none.
  status aim(entry& e) {
    const auto n = static_cast<std::int64_t>(e.pol->steps.size());
    if (e.rec.step >= n) {
      e.rec.state = timer_state::fired;
      return {};
    }
    auto at = e.pol->step_time(static_cast<std::size_t>(e.rec.step), e.deadline);
    if (!at) return at.error();
    e.rec.due_at = *at;
    return {};
  }

  notification notice(const entry& e, const step& s, std::size_t index, timestamp step_at,
                      timestamp now, bool late, std::vector<std::string> recipients) const {
    notification n;
    n.at = now;
    n.level = s.level;
    n.topic = std::string(topic_of(s));
    n.subject = e.rec.subject;
    n.recipients = std::move(recipients);
    const duration overdue = now - e.deadline;
    std::string msg = e.pol->name + " " + std::string(to_string(e.rec.subject.kind)) + " " +
                      e.rec.subject.id + ": " + s.name + " (" + s.action + "); deadline " +
                      format_timestamp(e.deadline);
    if (overdue > duration::zero()) {
      msg += ", " + format_duration(std::chrono::floor<std::chrono::seconds>(overdue)) + " over";
    } else if (overdue < duration::zero()) {
      msg += ", " + format_duration(std::chrono::floor<std::chrono::seconds>(-overdue)) + " left";
    }
    if (late) msg += "; came due while the engine was down";
    n.message = std::move(msg);
    n.data.set("policy", e.pol->name);
    n.data.set("step", s.name);
    n.data.set("step_index", static_cast<std::int64_t>(index));
    n.data.set("action", s.action);
    n.data.set("deadline", e.deadline);
    n.data.set("step_at", step_at);
    n.data.set("late", late);
    n.data.set("late_by", now - step_at);
    n.data.set("overdue", overdue);
    n.data.set("timer", e.rec.id.str());
    n.data.set("key", e.rec.id.str() + "#" + std::to_string(index));
    return n;
  }

  decision log_entry(const entry& e, const step& s, std::size_t index, timestamp step_at,
                     timestamp now, bool late) const {
    decision d;
    d.at = now;
    d.kind = decision_kind::escalation;
    d.subject = e.rec.subject;
    d.actor = opts.actor;
    d.reason = e.pol->name + ": step '" + s.name + "' (" + s.action + ")";
    if (late) d.reason += ", fired on recovery";
    nlohmann::json j = {{"timer", e.rec.id.str()},
                        {"policy", e.pol->name},
                        {"step", s.name},
                        {"step_index", index},
                        {"action", s.action},
                        {"deadline", format_timestamp(e.deadline)},
                        {"step_at", format_timestamp(step_at)},
                        {"late", late}};
    d.detail = j.dump();
    return d;
  }
};

engine::engine(std::shared_ptr<const policy_set> policies, storage& store, const clock& clk,
               notifier* n, engine_options opts)
    : s_(std::make_unique<state>(std::move(policies), store, clk, n, std::move(opts))) {
  if (!s_->policies) s_->policies = std::make_shared<const policy_set>();
  // A retry at "now" would come due again at once: advance() would never end.
  s_->opts.retry_after = std::clamp<duration>(s_->opts.retry_after, std::chrono::milliseconds(1),
                                              std::chrono::hours(24));
  s_->opts.max_attempts = std::max(1, s_->opts.max_attempts);
}

engine::~engine() = default;

result<recovery_report> engine::recover() {
  std::lock_guard lock(s_->mu);
  state& st = *s_;
  const timestamp now = st.clk.now();
  recovery_report rep;
  timer_id after;
  for (;;) {
    auto page = st.store.timers().list_active(after);
    if (!page) return page.error();
    if (page->empty()) break;
    after = page->back().id;
    for (timer& t : *page) {
      // Started in this process already, or finished here with its write still pending.
      if (st.find(t.id) != nullptr || st.is_unsaved(t.id)) continue;
      const policy* pol = st.policies->find(t.policy);
      const auto deadline = time_attr(t, deadline_key);
      if (pol == nullptr || !deadline || t.step < 0 ||
          t.step >= static_cast<std::int64_t>(pol->steps.size())) {
        ++rep.orphaned;
        continue;
      }
      ++rep.loaded;
      state::entry e;
      e.rec = std::move(t);
      e.pol = pol;
      e.deadline = *deadline;
      e.recovered = true;
      if (e.rec.state == timer_state::paused) {
        ++rep.paused;
        st.add_slot(std::move(e));
        continue;
      }
      if (pol->on_recovery == recovery_mode::skip && e.rec.due_at <= now) {
        status failed;
        std::size_t skipped = 0;
        while (failed.ok() && e.rec.state == timer_state::pending && e.rec.due_at <= now) {
          ++skipped;
          ++e.rec.step;
          failed = st.aim(e);
        }
        if (failed.ok()) failed = st.write(e.rec);
        if (!failed.ok()) {  // left as stored: the next recovery tries again
          --rep.loaded;
          rep.errors.push_back(status(failed.code(), e.rec.id.str() + ": " + failed.message()));
          continue;
        }
        rep.skipped += skipped;
        if (e.rec.state != timer_state::pending) continue;
      } else {
        for (auto k = static_cast<std::size_t>(e.rec.step); k < pol->steps.size(); ++k) {
          auto at = pol->step_time(k, e.deadline);
          if (!at || *at > now) break;
          ++rep.overdue;
        }
      }
      st.schedule(st.add_slot(std::move(e)));
    }
  }
  st.recovered_at = now;
  return rep;
}

result<timer> engine::start(const start_request& r) {
  std::lock_guard lock(s_->mu);
  state& st = *s_;
  const policy* pol = st.policies->find(r.policy);
  if (pol == nullptr) return status::not_found("no SLA policy named '" + r.policy + "'");
  if (r.subject.id.empty()) return status::invalid_argument("empty subject id");
  if (r.subject.kind != pol->about) {
    return status::invalid_argument("policy '" + pol->name + "' is about a " +
                                    std::string(to_string(pol->about)) + ", not a " +
                                    std::string(to_string(r.subject.kind)));
  }
  for (const auto& party : pol->parties()) {
    const value* v = r.parties.find(party);
    if (v == nullptr || (v->type() != value_type::string && v->type() != value_type::string_list)) {
      return status::invalid_argument("policy '" + pol->name + "' needs the party '" + party +
                                      "' (a string or a string list)");
    }
  }
  state::entry e;
  e.pol = pol;
  if (r.due_at) {
    e.deadline = *r.due_at;
  } else {
    const std::optional<duration> allowed = r.due_in ? r.due_in : pol->due;
    if (!allowed) {
      return status::invalid_argument("policy '" + pol->name +
                                      "' has no \"due\": give due_in or due_at");
    }
    if (r.from == timestamp{})
      return status::invalid_argument("start_request::from is not set (the clock's start)");
    if (!in_supported_range(r.from) || *allowed > max_offset)
      return status::invalid_argument("the deadline is out of range");
    auto d = pol->deadline_from(r.from, *allowed);
    if (!d) return d.error();
    e.deadline = *d;
  }
  // Ten years either side leaves room for every step's offset without overflow.
  if (!in_supported_range(e.deadline) || !in_supported_range(e.deadline - max_offset) ||
      !in_supported_range(e.deadline + max_offset))
    return status::invalid_argument("the deadline " + format_timestamp(e.deadline) +
                                    " is out of range");
  const timestamp now = st.clk.now();
  timer& t = e.rec;
  t.id = timer_id_of(pol->name, r.subject);
  t.policy = pol->name;
  t.subject = r.subject;
  t.state = timer_state::pending;
  t.step = 0;
  t.created_at = now;
  t.custom.set(deadline_key, e.deadline);
  t.custom.set(from_key, r.from);
  for (const auto& [name, v] : r.parties)
    t.custom.set(std::string(party_prefix) + name, v);
  if (status s = st.aim(e); !s.ok()) return s;

  // A restart keeps the stored version; a first start looks for an old copy (stopped or
  // completed) to overwrite.
  state::entry* old = st.find(t.id);
  if (old != nullptr) {
    t.version = old->rec.version;
  } else {
    auto stored = st.store.timers().get(t.id);
    if (stored) {
      t.version = stored->version;
    } else if (stored.error().code() != status_code::not_found) {
      return stored.error();
    }
  }
  // Log entries of the old ladder still waiting for the store go with the new start.
  static const std::vector<decision> none;
  if (status s = st.write(t, old != nullptr ? old->unlogged : none); !s.ok()) return s;
  if (old != nullptr) st.drop_slot(st.index_of(t.id));
  timer copy = e.rec;
  st.schedule(st.add_slot(std::move(e)));
  return copy;
}

status engine::stop(const timer_id& id) {
  std::lock_guard lock(s_->mu);
  state& st = *s_;
  state::entry* e = st.find(id);
  if (e == nullptr) return status::not_found("no running deadline '" + id.str() + "'");
  timer t = e->rec;
  t.state = timer_state::cancelled;
  t.remaining.reset();
  // A stored copy removed by someone else (not_found) leaves nothing to cancel there.
  if (status s = st.write(t, e->unlogged); !s.ok() && s.code() != status_code::not_found) return s;
  st.drop_slot(st.index_of(id));
  return {};
}

status engine::pause(const timer_id& id) {
  std::lock_guard lock(s_->mu);
  state& st = *s_;
  state::entry* e = st.find(id);
  if (e == nullptr) return status::not_found("no running deadline '" + id.str() + "'");
  if (e->rec.state == timer_state::paused)
    return status::invalid_argument("deadline '" + id.str() + "' is already paused");
  const timestamp now = st.clk.now();
  timer t = e->rec;
  t.state = timer_state::paused;
  if (e->deadline > now) {
    t.remaining = e->pol->calendar ? e->pol->calendar->business_time_between(now, e->deadline)
                                   : e->deadline - now;
  } else {
    t.remaining = e->deadline - now;  // already over: kept as wall-clock time over
  }
  if (status s = st.write(t, e->unlogged); !s.ok()) return s;
  e->rec = std::move(t);
  e->unlogged.clear();
  e->dirty = false;
  st.unschedule(*e);
  ++st.paused_count;
  return {};
}

status engine::resume(const timer_id& id) {
  std::lock_guard lock(s_->mu);
  state& st = *s_;
  state::entry* e = st.find(id);
  if (e == nullptr) return status::not_found("no deadline '" + id.str() + "'");
  if (e->rec.state != timer_state::paused || !e->rec.remaining)
    return status::invalid_argument("deadline '" + id.str() + "' is not paused");
  const timestamp now = st.clk.now();
  state::entry next = *e;
  const duration left = *next.rec.remaining;
  if (left > duration::zero()) {
    auto d = next.pol->deadline_from(now, left);
    if (!d) return d.error();
    next.deadline = *d;
  } else {
    next.deadline = now + left;
  }
  next.rec.state = timer_state::pending;
  next.rec.remaining.reset();
  next.rec.custom.set(deadline_key, next.deadline);
  if (status s = st.aim(next); !s.ok()) return s;
  if (status s = st.write(next.rec, next.unlogged); !s.ok()) return s;
  next.unlogged.clear();
  next.dirty = false;
  *e = std::move(next);
  --st.paused_count;
  st.schedule(st.index_of(id));
  return {};
}

advance_report engine::advance() {
  advance_report rep;
  std::vector<fired_step> fired;
  {
    std::lock_guard lock(s_->mu);
    state& st = *s_;
    const timestamp now = st.clk.now();

    // Writes that failed before go first, so the store catches up before it moves on.
    for (auto it = st.unsaved.begin(); it != st.unsaved.end();) {
      status s;
      if (st.find(it->rec.id) != nullptr) {
        // Started again since: the running deadline's state wins; only the log entries remain.
        write_batch batch;
        for (const decision& d : it->log)
          batch.append(d);
        if (auto r = st.store.commit(batch); !r) s = r.error();
      } else {
        s = st.write(it->rec, it->log);
      }
      if (s.ok()) {
        it = st.unsaved.erase(it);
      } else {
        rep.errors.push_back(s);
        ++it;
      }
    }
    std::vector<std::uint32_t> still_dirty;
    for (const std::uint32_t i : st.dirty) {
      state::entry& e = st.slots[i];
      if (!e.dirty || e.pol == nullptr) continue;  // written since, or the slot was reused
      if (status s = st.write(e.rec, e.unlogged); s.ok()) {
        e.dirty = false;
        e.unlogged.clear();
      } else {
        rep.errors.push_back(s);
        still_dirty.push_back(i);
      }
    }
    st.dirty = std::move(still_dirty);

    // A step that fires can make the next one of its ladder due at once (missed while down, or
    // time advanced far): keep going until nothing is due at `now`.
    auto fire = [&](const timer_wheel::fired& f) {
      const auto i = static_cast<std::uint32_t>(f.payload);
      state::entry& e = st.slots[i];
      e.scheduled = false;
      const auto index = static_cast<std::size_t>(e.rec.step);
      const step& s = e.pol->steps[index];
      const timestamp step_at = e.rec.due_at;
      // Late: it came due while no process ran (a deadline reloaded by recover()); a step that
      // was already due when its deadline started in this process is not late.
      const bool late = e.recovered && step_at < st.recovered_at;
      auto recipients = resolve(s, e.rec);
      bool undelivered = false;
      if (st.out != nullptr) {
        const notification n = st.notice(e, s, index, step_at, now, late, recipients);
        if (status ns = st.out->notify(n); !ns.ok()) {
          if (++e.attempts < st.opts.max_attempts) {
            ++rep.retried;
            e.h = st.wheel.schedule(ms_up(now + st.opts.retry_after), i);
            e.scheduled = true;
            return;
          }
          undelivered = true;  // given up: the rest of the ladder must not wait for it
          ++rep.undelivered;
          rep.errors.push_back(
              status(ns.code(), e.rec.id.str() + " step '" + s.name + "' undelivered after " +
                                    std::to_string(e.attempts) + " attempts: " + ns.message()));
        }
      }
      e.attempts = 0;
      ++rep.fired;
      e.unlogged.push_back(st.log_entry(e, s, index, step_at, now, late));
      if (undelivered) e.unlogged.back().reason += "; the notifier refused it, given up";
      ++e.rec.step;
      if (status as = st.aim(e); !as.ok()) {
        // No working time left on the calendar for the next step: the ladder ends here.
        rep.errors.push_back(as);
        e.rec.state = timer_state::fired;
      }
      const status ws = st.write(e.rec, e.unlogged);
      if (ws.ok()) {
        e.unlogged.clear();
      } else {
        rep.errors.push_back(ws);
      }
      fired_step fs;
      fs.deadline = e.rec;
      fs.rules = e.pol;
      fs.index = index;
      fs.deadline_at = e.deadline;
      fs.step_at = step_at;
      fs.fired_at = now;
      fs.late = late;
      fs.persisted = ws.ok();
      fs.undelivered = undelivered;
      fs.recipients = std::move(recipients);
      fired.push_back(std::move(fs));
      if (e.rec.state == timer_state::pending) {
        if (!ws.ok() && !e.dirty) st.dirty.push_back(i);
        e.dirty = !ws.ok();
        st.schedule(i);
      } else {
        ++rep.completed;
        if (!ws.ok()) st.unsaved.push_back({e.rec, std::move(e.unlogged)});
        st.drop_slot(i);
      }
    };
    std::vector<timer_wheel::fired> due;
    while (st.wheel.advance(ms_down(now), due) > 0) {
      for (const auto& f : due)
        fire(f);
      due.clear();
    }
  }
  if (s_->opts.on_step) {
    for (const auto& f : fired) {
      status s = detail::guarded("on_step", [&]() -> status { return s_->opts.on_step(f); });
      if (!s.ok()) rep.errors.push_back(std::move(s));
    }
  }
  return rep;
}

std::optional<timer> engine::find(const timer_id& id) const {
  std::lock_guard lock(s_->mu);
  const state::entry* e = s_->find(id);
  if (e == nullptr) return std::nullopt;
  return e->rec;
}

std::size_t engine::running() const {
  std::lock_guard lock(s_->mu);
  return s_->by_id.size() - s_->paused_count;
}

std::size_t engine::paused() const {
  std::lock_guard lock(s_->mu);
  return s_->paused_count;
}

std::optional<timestamp> engine::next_due() const {
  std::lock_guard lock(s_->mu);
  const std::int64_t ms = s_->wheel.next_deadline_ms();
  if (ms == std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  return from_unix_micros(ms * 1000);
}

}  // namespace crmrules::sla
