#include "crmrules/tier/engine.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "crmrules/sla/engine.hpp"
#include "tier/count_plan.hpp"
#include "tier/functions.hpp"

namespace crmrules::tier {

namespace {

// What every event touches besides the events, the customer's tier and its upgrades' last
// results, lives in the customer's block of the windows (event_windows::user_words), so that
// an event reads no memory of the engine's own; the customer record, read by conditions that
// use its fields and by actions, lives apart.
struct tier_state {
  std::uint64_t* words;
  /// Index into the policy's tiers; -1: none.
  [[nodiscard]] int tier() const noexcept { return static_cast<int>(words[0]) - 1; }
  void set_tier(int t) noexcept { words[0] = static_cast<std::uint64_t>(t + 1); }
  /// Bit i: upgrade i's condition held at the last re-tier.
  [[nodiscard]] std::uint64_t upgrades() const noexcept { return words[1]; }
  void set_upgrades(std::uint64_t bits) noexcept { words[1] = bits; }
};

int tier_index(const event_windows& w, event_windows::slot s) noexcept {
  return static_cast<int>(w.user_words(s)[0]) - 1;
}

const std::string& tier_name(const tier_policy& p, int i) {
  static const std::string none;
  return i < 0 ? none : p.tiers[static_cast<std::size_t>(i)].name;
}

}  // namespace

struct engine::state {
  state(std::shared_ptr<const tier_policy> p, engine_options o)
      : policy(std::move(p)),
        opts(std::move(o)),
        windows(window_options{policy->horizon, policy->cap_per_type}) {
    for (const auto& t : policy->tiers)
      tier_acts.push_back(t.when ? std::make_unique<activation>(*t.when) : nullptr);
    for (const auto& u : policy->upgrades)
      upgrade_acts.push_back(u.when ? std::make_unique<activation>(*u.when) : nullptr);
    // The type names the conditions spell out are interned now, once, so that the functions
    // find them by the constant's address instead of hashing the name at every call.
    auto resolve = [this](const formula* f) {
      if (f == nullptr) return;
      for (const detail::event_call& c : detail::event_calls(*f)) {
        const auto type = windows.intern(c.type);
        if (type) sites.push_back({c.type.data(), c.type.size(), *type});
      }
    };
    for (const auto& t : policy->tiers)
      resolve(t.when.get());
    for (const auto& u : policy->upgrades)
      resolve(u.when.get());
    // Whether a condition can see the customer record (its fields, or a host function reading
    // it): then the record's `tier` must follow every change. Otherwise the record is not
    // touched on a change, which at a million customers saves a cache miss.
    auto reads_record = [](const formula* f, const activation* act) {
      if (f == nullptr || act == nullptr) return false;
      if (act->binds_fields(0)) return true;
      const auto calls = f->host_calls();
      return std::any_of(calls.begin(), calls.end(), [](const formula::host_call_site& c) {
        return !detail::is_event_function(c.function);
      });
    };
    for (std::size_t i = 0; i < policy->tiers.size(); ++i)
      record_read |= reads_record(policy->tiers[i].when.get(), tier_acts[i].get());
    for (std::size_t i = 0; i < policy->upgrades.size(); ++i)
      record_read |= reads_record(policy->upgrades[i].when.get(), upgrade_acts[i].get());
    // Conditions over event counts alone are evaluated from one pass over the events.
    auto lowered = [this](const formula* f) {
      if (f == nullptr) return -1;
      const auto i = opts.lower_conditions ? plan.add(*f, windows) : std::nullopt;
      machine_used |= !i;
      return i ? static_cast<int>(*i) : -1;
    };
    for (const auto& t : policy->tiers)
      tier_plan.push_back(lowered(t.when.get()));
    for (const auto& u : policy->upgrades)
      upgrade_plan.push_back(lowered(u.when.get()));
  }

  std::shared_ptr<const tier_policy> policy;
  engine_options opts;
  event_windows windows;
  std::vector<std::unique_ptr<customer>> records;  // by window slot
  std::vector<std::unique_ptr<activation>> tier_acts;
  std::vector<std::unique_ptr<activation>> upgrade_acts;
  std::vector<detail::type_site> sites;  // the conditions' constant type names, interned
  bool record_read = false;       // a condition reads the customer record (see the constructor)
  detail::count_plan plan;        // the conditions over event counts alone
  std::vector<int> tier_plan;     // per tier: its condition in `plan`, or -1 (the machine)
  std::vector<int> upgrade_plan;  // the same per upgrade
  bool machine_used = false;      // some condition is not lowered: the machine evaluates it
  std::vector<tier_change> changes;
  write_batch pending;  // tier_change decisions not yet committed

  /// Commits the pending decisions; a failure is reported and they are dropped (the changes
  /// stay in changes()).
  void flush(std::vector<std::string>& errors) {
    if (pending.empty()) return;
    if (auto r = opts.store->commit(pending); !r)
      errors.push_back("log the tier changes: " + r.error().message());
    pending.clear();
  }

  /// Evaluates a condition for a customer; an error counts as false and is reported.
  bool holds(const formula* f, activation* act, const customer& c, timestamp now,
             std::string_view what, std::vector<std::string>& errors) {
    if (f == nullptr || act == nullptr) return false;
    if (status s = act->bind(0, c); !s.ok()) {
      errors.push_back(std::string(what) + ": " + s.message());
      return false;
    }
    act->set_now(now);
    const formula_value v = f->evaluate(*act);
    if (v.is_error()) {
      errors.push_back(std::string(what) + ": " + v.to_string());
      return false;
    }
    return !v.is_blank() && v.as_bool();
  }

  std::vector<std::string> recipients(const action_def& a, const customer& c) const {
    std::vector<std::string> out;
    for (const auto& who : a.to) {
      std::string r = who;
      if (who == "$owner") {
        if (!c.owner) continue;
        r = c.owner->str();
      }
      if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(std::move(r));
    }
    return out;
  }

  void fire(const std::vector<action_def>& actions, const std::string& source, bool upgrade,
            const customer& c, timestamp now, apply_result& out) {
    for (const action_def& a : actions) {
      fired_action f;
      f.customer = c.id;
      f.source = source;
      f.upgrade = upgrade;
      f.action = &a;
      f.recipients = recipients(a, c);
      f.at = now;
      if (opts.notify != nullptr) {
        notification n;
        n.at = now;
        n.level = notification_level::reminder;
        n.topic = upgrade ? "tier.upgrade" : "tier.action";
        n.subject = {record_kind::customer, c.id.str()};
        n.recipients = f.recipients;
        n.message = "customer " + c.id.str() + " (" + c.name + ") " +
                    (upgrade ? "shows " + source : "entered tier " + source) + ": " + a.action;
        n.data.set(upgrade ? "upgrade" : "tier", source);
        n.data.set("action", a.action);
        for (const auto& [k, v] : a.params)
          n.data.set("param." + k, v);
        if (status s = opts.notify->notify(n); !s.ok())
          out.errors.push_back("notify " + a.action + ": " + s.message());
      }
      if (!a.sla.empty() && opts.deadlines != nullptr) {
        sla::start_request r;
        r.policy = a.sla;
        r.subject = {record_kind::customer, c.id.str()};
        r.from = now;
        r.parties.set("owner", c.owner ? c.owner->str() : std::string());
        if (auto t = opts.deadlines->start(r); !t)
          out.errors.push_back("start " + a.sla + ": " + t.error().message());
      }
      if (opts.on_action) {
        status s =
            crmrules::detail::guarded("on_action", [&]() -> status { return opts.on_action(f); });
        if (!s.ok()) out.errors.push_back(a.action + ": " + s.message());
      }
      out.actions.push_back(std::move(f));
    }
  }

  /// Re-tiers `slot` at `now` into `out` (default-constructed), because of `cause` when
  /// not null.
  void evaluate(event_windows::slot slot, timestamp now, const event* cause, apply_result& out) {
    // The record is read only when a condition, a change or an action needs it: with every
    // condition lowered, an event that changes nothing never touches it.
    const auto rec = [&]() -> const customer& { return *records[slot]; };
    tier_state cs{windows.user_words(slot)};
    // Only the machine's functions read the view (a thread-local pointer set and reset).
    const detail::window_view view{&windows, slot, sites};
    std::optional<detail::view_scope> in_view;
    if (machine_used) in_view.emplace(view);
    if (!plan.empty()) plan.load(windows, slot, now);
    const auto condition = [&](int lowered, const formula* f, activation* act,
                               std::string_view what) {
      if (lowered >= 0) return plan.holds(static_cast<std::size_t>(lowered));
      return holds(f, act, rec(), now, what, out.errors);
    };
    int next = -1;
    for (std::size_t i = 0; i < policy->tiers.size(); ++i) {
      if (condition(tier_plan[i], policy->tiers[i].when.get(), tier_acts[i].get(),
                    policy->tiers[i].name)) {
        next = static_cast<int>(i);
        break;
      }
    }
    std::uint64_t held = 0;
    for (std::size_t i = 0; i < policy->upgrades.size(); ++i) {
      if (condition(upgrade_plan[i], policy->upgrades[i].when.get(), upgrade_acts[i].get(),
                    policy->upgrades[i].name))
        held |= std::uint64_t{1} << i;
    }
    if (next != cs.tier()) {
      tier_change ch;
      ch.customer = customer_id{windows.id_of(slot)};  // in the block at hand, not the record
      ch.from = tier_name(*policy, cs.tier());
      ch.to = tier_name(*policy, next);
      ch.at = now;
      if (cause != nullptr) {
        ch.cause = cause->id;
        ch.cause_type = cause->type;
      }
      const auto counts = windows.counts(slot, policy->horizon, now);
      ch.counts.reserve(counts.size());
      for (const auto& [type, n] : counts)
        ch.counts.emplace_back(windows.type_name(type), n);
      record_change(ch, rec(), out);
      cs.set_tier(next);
      if (record_read) records[slot]->tier = ch.to;
      out.changed = true;
      if (next >= 0) {
        const tier_def& t = policy->tiers[static_cast<std::size_t>(next)];
        fire(t.actions, t.name, false, rec(), now, out);
      }
      if (opts.keep_changes) changes.push_back(ch);
      out.change = std::move(ch);
    }
    const std::uint64_t rising = held & ~cs.upgrades();
    for (std::size_t i = 0; i < policy->upgrades.size(); ++i) {
      if ((rising >> i) & 1u)
        fire(policy->upgrades[i].actions, policy->upgrades[i].name, true, rec(), now, out);
    }
    cs.set_upgrades(held);
    out.tier = tier_name(*policy, cs.tier());
  }

  void record_change(const tier_change& ch, const customer& c, apply_result& out) {
    if (opts.store == nullptr && opts.notify == nullptr) return;
    const std::string from = ch.from.empty() ? "(none)" : ch.from;
    const std::string to = ch.to.empty() ? "(none)" : ch.to;
    std::string why = ch.cause.empty() ? std::string("windows moved on")
                                       : "event " + ch.cause.str() + " (" + ch.cause_type + ")";
    if (opts.store != nullptr) {
      decision d;
      d.at = ch.at;
      d.kind = decision_kind::tier_change;
      d.subject = {record_kind::customer, ch.customer.str()};
      d.actor = opts.actor;
      d.reason = "tier " + from + " -> " + to + ": " + why;
      nlohmann::json counts = nlohmann::json::object();
      for (const auto& [type, n] : ch.counts)
        counts[type] = n;
      nlohmann::json detail = {{"from", ch.from},
                               {"to", ch.to},
                               {"cause", ch.cause.str()},
                               {"cause_type", ch.cause_type},
                               {"counts", counts}};
      d.detail = detail.dump();
      pending.append(std::move(d));
    }
    if (opts.notify != nullptr) {
      notification n;
      n.at = ch.at;
      n.level = notification_level::info;
      n.topic = "tier.change";
      n.subject = {record_kind::customer, ch.customer.str()};
      if (c.owner) n.recipients.push_back(c.owner->str());
      n.message = "customer " + ch.customer.str() + " (" + c.name + "): tier " + from + " -> " +
                  to + " after " + why;
      n.data.set("from", ch.from);
      n.data.set("to", ch.to);
      if (!ch.cause.empty()) n.data.set("cause", ch.cause.str());
      if (status s = opts.notify->notify(n); !s.ok())
        out.errors.push_back("notify the tier change: " + s.message());
    }
  }

  static std::uint64_t hash_of(const event& e) {
    return e.customer ? event_windows::hash_id(e.customer->str()) : 0;
  }
  result<event_windows::slot> slot_for_event(const event& e) {
    return slot_for_event(e, hash_of(e));
  }
  /// `h`: event_windows::hash_id of the customer id, when the event has one.
  result<event_windows::slot> slot_for_event(const event& e, std::uint64_t h) {
    if (!e.customer || e.customer->empty())
      return status::invalid_argument("event " + e.id.str() + " has no customer");
    if (e.type.empty()) return status::invalid_argument("event " + e.id.str() + " has no type");
    const auto slot = windows.find(e.customer->str(), h);
    if (!slot) return status::not_found("customer " + e.customer->str() + " was never added");
    return *slot;
  }

  /// apply() of an event whose customer id has hash `h` (event_windows::hash_id; any value
  /// when the event has no customer, which is refused), into `out` (default-constructed: the
  /// result is filled where the caller keeps it, not moved there).
  status apply_one(const event& e, std::uint64_t h, timestamp now, apply_result& out) {
    auto slot = slot_for_event(e, h);
    if (!slot) return slot.error();
    if (status st = record(e, *slot); !st.ok()) return st;
    evaluate(*slot, now, &e, out);
    flush(out.errors);
    return {};
  }

  status record(const event& e, event_windows::slot slot) {
    const auto type = windows.intern(e.type);
    if (!type) return status::resource_exhausted("too many event types");
    windows.add(slot, *type, e.at);
    return {};
  }
};

engine::engine(std::shared_ptr<const tier_policy> policy, engine_options options)
    : s_(std::make_unique<state>(policy ? std::move(policy) : std::make_shared<const tier_policy>(),
                                 std::move(options))) {}

engine::~engine() = default;

status engine::add_customer(const customer& c) {
  if (c.id.empty()) return status::invalid_argument("empty customer id");
  int tier = -1;
  if (!c.tier.empty()) {
    const auto t = s_->policy->find(c.tier);
    if (!t) {
      return status::invalid_argument("customer " + c.id.str() + " has tier '" + c.tier +
                                      "', which the tiers section does not have");
    }
    tier = static_cast<int>(*t);
  }
  const auto slot = s_->windows.slot_of(c.id.str());
  if (slot >= s_->records.size()) s_->records.resize(slot + 1);
  s_->records[slot] = std::make_unique<customer>(c);
  tier_state{s_->windows.user_words(slot)}.set_tier(tier);
  return {};
}

result<apply_result> engine::apply(const event& e, timestamp now) {
  result<apply_result> r(std::in_place);
  if (status s = s_->apply_one(e, s_->hash_of(e), now, *r); !s.ok()) return s;
  return r;
}

std::vector<result<apply_result>> engine::apply_batch(std::span<const event> events,
                                                      timestamp now) {
  // A pipeline over the events: the id index line of event k + 2d is requested, then the
  // customer block (with its tier state) and record pointer of event k + d, then the heap events of
  // event k + d/2, while event k is applied; d = 8 keeps ~16 fetches in flight, which this takes to
  // hide a DRAM miss behind the computing of the events before it.
  constexpr std::size_t d = 8, ring = 32;
  static_assert(ring > 2 * d);
  std::array<std::uint64_t, ring> hashes{};
  std::array<std::optional<event_windows::slot>, ring> guesses{};
  event_windows& w = s_->windows;
  const std::size_t n = events.size();
  const auto has_id = [&](std::size_t i) {
    return events[i].customer && !events[i].customer->empty();
  };
  std::vector<result<apply_result>> out;
  out.reserve(n);
  for (std::size_t k = 0; k < n + 2 * d; ++k) {
    if (k < n) {
      hashes[k % ring] = state::hash_of(events[k]);
      if (has_id(k)) w.prefetch_index(hashes[k % ring]);
    }
    if (k >= d && k - d < n) {
      const std::size_t j = k - d;
      guesses[j % ring] = has_id(j) ? w.prefetch_customer(hashes[j % ring]) : std::nullopt;
      if (const auto g = guesses[j % ring]; g && s_->machine_used)
        __builtin_prefetch(&s_->records[*g]);
    }
    if (k >= d + d / 2 && k - d - d / 2 < n) {
      const std::size_t j = k - d - d / 2;
      if (const auto g = guesses[j % ring]) w.prefetch_events(*g);
    }
    if (k >= 2 * d) {
      const std::size_t i = k - 2 * d;
      auto& r = out.emplace_back(std::in_place);
      if (status s = s_->apply_one(events[i], hashes[i % ring], now, *r); !s.ok()) r = std::move(s);
    }
  }
  return out;
}

status engine::record(const event& e) {
  auto slot = s_->slot_for_event(e);
  if (!slot) return slot.error();
  return s_->record(e, *slot);
}

result<apply_result> engine::retier(const customer_id& id, timestamp now) {
  const auto slot = s_->windows.find(id.str());
  if (!slot) return status::not_found("customer " + id.str() + " was never added");
  result<apply_result> r(std::in_place);
  s_->evaluate(*slot, now, nullptr, *r);
  s_->flush(r->errors);
  return r;
}

sweep_report engine::sweep(timestamp now) {
  sweep_report rep;
  for (event_windows::slot s = 0; s < s_->records.size(); ++s) {
    if (!s_->records[s]) continue;
    s_->windows.prune(s, now);
    apply_result r;
    s_->evaluate(s, now, nullptr, r);
    ++rep.customers;
    rep.changed += r.changed ? 1 : 0;
    rep.actions += r.actions.size();
    for (auto& e : r.errors)
      rep.errors.push_back(s_->records[s]->id.str() + ": " + std::move(e));
    if (s_->pending.size() >= 1000) s_->flush(rep.errors);
  }
  s_->flush(rep.errors);
  return rep;
}

status engine::rebuild(const event_store& events) {
  s_->windows.clear_events();
  event_id after;
  for (;;) {
    auto page = events.list(after, 10'000);
    if (!page) return page.error();
    if (page->empty()) return {};
    after = page->back().id;
    for (const event& e : *page) {
      if (!e.customer || e.type.empty()) continue;
      const auto slot = s_->windows.find(e.customer->str());
      if (!slot) continue;  // a customer this engine does not tier
      if (status st = s_->record(e, *slot); !st.ok()) return st;
    }
  }
}

result<std::string> engine::tier_of(const customer_id& id) const {
  const auto slot = s_->windows.find(id.str());
  if (!slot) return status::not_found("customer " + id.str() + " was never added");
  return tier_name(*s_->policy, tier_index(s_->windows, *slot));
}

result<std::int64_t> engine::count(const customer_id& id, std::string_view type, duration window,
                                   timestamp now) const {
  const auto slot = s_->windows.find(id.str());
  if (!slot) return status::not_found("customer " + id.str() + " was never added");
  if (window <= duration::zero() || window > s_->policy->horizon)
    return status::invalid_argument("the window is longer than the horizon, or not positive");
  const auto t = s_->windows.type_of(type);
  if (!t) return std::int64_t{0};
  return s_->windows.count(*slot, *t, window, now);
}

std::vector<must_do_gap> engine::must_do(const rep_id& owner, timestamp day_start,
                                         timestamp day_end) const {
  std::vector<must_do_gap> out;
  for (event_windows::slot s = 0; s < s_->records.size(); ++s) {
    const customer* rec = s_->records[s].get();
    const int tier = tier_index(s_->windows, s);
    if (tier < 0 || rec == nullptr || !rec->owner || *rec->owner != owner) continue;
    const tier_def& t = s_->policy->tiers[static_cast<std::size_t>(tier)];
    for (const daily_requirement& req : t.daily) {
      const auto type = s_->windows.type_of(req.event);
      const std::int64_t done = type ? s_->windows.count_between(s, *type, day_start, day_end) : 0;
      if (done < req.min) out.push_back({rec->id, t.name, req.event, req.min, done});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const must_do_gap& a, const must_do_gap& b) {
    return a.customer < b.customer;
  });
  return out;
}

const std::vector<tier_change>& engine::changes() const noexcept {
  return s_->changes;
}
std::vector<tier_change> engine::take_changes() noexcept {
  return std::exchange(s_->changes, {});
}
const event_windows& engine::windows() const noexcept {
  return s_->windows;
}
std::size_t engine::customers() const noexcept {
  return s_->windows.customers();
}
std::size_t engine::lowered_conditions() const noexcept {
  const auto lowered = [](int i) { return i >= 0; };
  return static_cast<std::size_t>(
      std::count_if(s_->tier_plan.begin(), s_->tier_plan.end(), lowered) +
      std::count_if(s_->upgrade_plan.begin(), s_->upgrade_plan.end(), lowered));
}

std::vector<funnel_month> funnel(const std::vector<tier_change>& changes,
                                 const std::vector<std::pair<customer_id, std::string>>& initial,
                                 std::string_view from, std::string_view to,
                                 std::chrono::minutes utc_offset) {
  using namespace std::chrono;
  if (changes.empty()) return {};
  auto month_of = [&](timestamp t) {
    const year_month_day d{floor<days>(t + utc_offset)};
    return static_cast<int>(d.year()) * 12 + static_cast<int>(static_cast<unsigned>(d.month())) - 1;
  };
  std::vector<const tier_change*> sorted;
  for (const auto& c : changes)
    sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const tier_change* a, const tier_change* b) { return a->at < b->at; });
  const int first = month_of(sorted.front()->at), last = month_of(sorted.back()->at);
  std::vector<funnel_month> out(static_cast<std::size_t>(last - first + 1));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int m = first + static_cast<int>(i);
    out[i].year = m / 12;
    out[i].month = static_cast<unsigned>(m % 12 + 1);
  }
  // Each customer's months in `from`: from the start (or the change into it) to the change out.
  std::map<std::string, int> in_since;  // month index the customer entered `from`
  std::vector<std::set<std::string>> present(out.size());
  for (const auto& [id, t] : initial) {
    if (t == from) in_since[id.str()] = first;
  }
  auto mark = [&](const std::string& id, int a, int b) {
    for (int m = std::max(a, first); m <= std::min(b, last); ++m)
      present[static_cast<std::size_t>(m - first)].insert(id);
  };
  for (const tier_change* c : sorted) {
    const std::string& id = c->customer.str();
    const int m = month_of(c->at);
    if (c->from == from) {  // in `from` since it entered, or since before the first change
      const auto since = in_since.find(id);
      mark(id, since == in_since.end() ? first : since->second, m);
      if (since != in_since.end()) in_since.erase(since);
      if (c->to == to) ++out[static_cast<std::size_t>(m - first)].moved;
    }
    if (c->to == from) in_since[id] = m;
  }
  for (const auto& [id, m] : in_since)
    mark(id, m, last);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i].in_from = present[i].size();
  return out;
}

}  // namespace crmrules::tier
