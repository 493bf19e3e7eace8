#include "crmrules/store/memory_storage.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <vector>

#include "model/record_dispatch.hpp"
#include "store/messages.hpp"

namespace crmrules {
namespace {

template <class R>
using table = std::map<std::string, R, std::less<>>;

template <class T>
bool contains(const std::vector<T>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

/// The generic part of every in-memory store: a sorted map guarded by the storage's lock.
template <class Base>
class mem_store : public Base {
 public:
  using R = typename Base::record_type;
  using id_type = typename Base::id_type;

  explicit mem_store(std::shared_mutex& mu) : mu_(mu) {}

  table<R> rows;  // guarded by mu_

 protected:
  result<R> do_get(const id_type& id) const override {
    std::shared_lock lock(mu_);
    auto it = rows.find(id.str());
    if (it == rows.end()) return detail::missing(record_traits<R>::kind, id.str());
    return it->second;
  }

  result<std::uint64_t> do_insert(const R& r) override {
    R copy = r;
    copy.version = 1;
    std::unique_lock lock(mu_);
    auto [it, inserted] = rows.try_emplace(r.id.str(), std::move(copy));
    if (!inserted) return detail::taken(record_traits<R>::kind, r.id.str());
    return std::uint64_t{1};
  }

  result<std::uint64_t> do_update(const R& r) override {
    R copy = r;
    copy.version = r.version + 1;
    std::unique_lock lock(mu_);
    auto it = rows.find(r.id.str());
    if (it == rows.end()) return detail::missing(record_traits<R>::kind, r.id.str());
    if (it->second.version != r.version)
      return detail::stale(record_traits<R>::kind, r.id.str(), it->second.version, r.version);
    it->second = std::move(copy);
    return it->second.version;
  }

  status do_remove(const id_type& id, std::uint64_t expected) override {
    std::unique_lock lock(mu_);
    auto it = rows.find(id.str());
    if (it == rows.end()) return detail::missing(record_traits<R>::kind, id.str());
    if (it->second.version != expected)
      return detail::stale(record_traits<R>::kind, id.str(), it->second.version, expected);
    rows.erase(it);
    return {};
  }

  result<std::vector<R>> do_list(const id_type& after, std::size_t limit) const override {
    std::shared_lock lock(mu_);
    return scan(after.str(), limit, [](const R&) { return true; });
  }

  result<std::uint64_t> do_count() const override {
    std::shared_lock lock(mu_);
    return static_cast<std::uint64_t>(rows.size());
  }

  /// Records after `after` in id order that satisfy `pred`; the caller holds the lock.
  template <class Pred>
  std::vector<R> scan(std::string_view after, std::size_t limit, Pred pred) const {
    std::vector<R> out;
    for (auto it = after.empty() ? rows.begin() : rows.upper_bound(after);
         it != rows.end() && out.size() < limit; ++it) {
      if (pred(it->second)) out.push_back(it->second);
    }
    return out;
  }

  /// Matching records ordered by `key` then id; the caller holds the lock.
  template <class Pred, class Key>
  std::vector<R> sorted_scan(Pred pred, Key key, std::size_t limit) const {
    std::vector<R> out = scan("", rows.size() + 1, pred);
    std::stable_sort(out.begin(), out.end(),
                     [&](const R& a, const R& b) { return key(a) < key(b); });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

 public:
  std::shared_mutex& mu_;
};

class mem_lead_store final : public mem_store<lead_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<lead>> do_list_by_owner(const rep_id& owner, const lead_id& after,
                                             std::size_t limit) const override {
    std::shared_lock lock(mu_);
    return scan(after.str(), limit, [&](const lead& l) { return l.owner == owner; });
  }
  result<std::vector<lead>> do_list_unassigned(const lead_id& after,
                                               std::size_t limit) const override {
    std::shared_lock lock(mu_);
    return scan(after.str(), limit, [](const lead& l) {
      return l.status == lead_status::unassigned || l.status == lead_status::to_reassign;
    });
  }
};

class mem_customer_store final : public mem_store<customer_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<customer>> do_find_by_key(customer_key kind,
                                               std::string_view key) const override {
    std::shared_lock lock(mu_);
    return scan("", rows.size() + 1, [&](const customer& c) {
      switch (kind) {
        case customer_key::uscc:
          return c.uscc == key;
        case customer_key::phone:
          return contains(c.phones, key);
        case customer_key::email:
          return contains(c.emails, key);
      }
      return false;
    });
  }
};

class mem_contact_store final : public mem_store<contact_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<contact>> do_list_by_customer(const customer_id& c) const override {
    std::shared_lock lock(mu_);
    return scan("", rows.size() + 1, [&](const contact& x) { return x.customer == c; });
  }
};

class mem_rep_store final : public mem_store<rep_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<rep>> do_list_by_team(const team_id& t) const override {
    std::shared_lock lock(mu_);
    return scan("", rows.size() + 1, [&](const rep& r) { return r.team == t; });
  }
};

class mem_team_store final : public mem_store<team_store> {
 public:
  using mem_store::mem_store;
};

class mem_opportunity_store final : public mem_store<opportunity_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<opportunity>> do_list_by_customer(const customer_id& c) const override {
    std::shared_lock lock(mu_);
    return scan("", rows.size() + 1, [&](const opportunity& o) { return o.customer == c; });
  }
  result<std::vector<opportunity>> do_list_by_stage(std::string_view stage,
                                                    const opportunity_id& after,
                                                    std::size_t limit) const override {
    std::shared_lock lock(mu_);
    return scan(after.str(), limit, [&](const opportunity& o) { return o.stage == stage; });
  }
};

class mem_event_store final : public mem_store<event_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<event>> do_list_by_customer(const customer_id& c, timestamp from,
                                                 timestamp to) const override {
    std::shared_lock lock(mu_);
    return sorted_scan([&](const event& e) { return e.customer == c && from <= e.at && e.at < to; },
                       [](const event& e) { return e.at; }, rows.size() + 1);
  }
  result<std::vector<event>> do_list_by_lead(const lead_id& l, timestamp from,
                                             timestamp to) const override {
    std::shared_lock lock(mu_);
    return sorted_scan([&](const event& e) { return e.lead == l && from <= e.at && e.at < to; },
                       [](const event& e) { return e.at; }, rows.size() + 1);
  }
};

class mem_promise_store final : public mem_store<promise_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<promise>> do_list_open_due_before(timestamp t,
                                                       std::size_t limit) const override {
    std::shared_lock lock(mu_);
    return sorted_scan(
        [&](const promise& p) { return p.state == promise_state::open && p.due < t; },
        [](const promise& p) { return p.due; }, limit);
  }
};

class mem_timer_store final : public mem_store<timer_store> {
 public:
  using mem_store::mem_store;

 protected:
  result<std::vector<timer>> do_list_due(timestamp t, std::size_t limit) const override {
    std::shared_lock lock(mu_);
    return sorted_scan(
        [&](const timer& x) { return x.state == timer_state::pending && x.due_at <= t; },
        [](const timer& x) { return x.due_at; }, limit);
  }
  result<std::vector<timer>> do_list_active(const timer_id& after,
                                            std::size_t limit) const override {
    std::shared_lock lock(mu_);
    return scan(after.str(), limit, [](const timer& x) {
      return x.state == timer_state::pending || x.state == timer_state::paused;
    });
  }
  result<std::vector<timer>> do_list_by_subject(const record_ref& subject) const override {
    std::shared_lock lock(mu_);
    return scan("", rows.size() + 1, [&](const timer& x) { return x.subject == subject; });
  }
};

class mem_decision_log final : public decision_log {
 public:
  explicit mem_decision_log(std::shared_mutex& mu) : mu_(mu) {}
  std::vector<decision> entries;  // guarded by mu_; entries[i].seq == i + 1

 protected:
  result<std::uint64_t> do_append(const decision& d) override {
    decision copy = d;
    std::unique_lock lock(mu_);
    copy.seq = entries.size() + 1;
    entries.push_back(std::move(copy));
    return entries.back().seq;
  }
  result<std::vector<decision>> do_read(std::uint64_t after_seq, std::size_t limit) const override {
    std::shared_lock lock(mu_);
    std::vector<decision> out;
    for (std::size_t i = after_seq; i < entries.size() && out.size() < limit; ++i)
      out.push_back(entries[i]);
    return out;
  }
  result<std::vector<decision>> do_for_subject(const record_ref& subject) const override {
    std::shared_lock lock(mu_);
    std::vector<decision> out;
    for (const auto& e : entries) {
      if (e.subject == subject) out.push_back(e);
    }
    return out;
  }
  result<std::uint64_t> do_last_seq() const override {
    std::shared_lock lock(mu_);
    return static_cast<std::uint64_t>(entries.size());
  }

 private:
  std::shared_mutex& mu_;
};

}  // namespace

struct memory_storage::impl {
  mutable std::shared_mutex mu;
  mem_lead_store leads{mu};
  mem_customer_store customers{mu};
  mem_contact_store contacts{mu};
  mem_rep_store reps{mu};
  mem_team_store teams{mu};
  mem_opportunity_store opportunities{mu};
  mem_event_store events{mu};
  mem_promise_store promises{mu};
  mem_timer_store timers{mu};
  mem_decision_log log{mu};

  template <class R>
  auto& store_for() {
    if constexpr (std::is_same_v<R, lead>)
      return leads;
    else if constexpr (std::is_same_v<R, customer>)
      return customers;
    else if constexpr (std::is_same_v<R, contact>)
      return contacts;
    else if constexpr (std::is_same_v<R, rep>)
      return reps;
    else if constexpr (std::is_same_v<R, team>)
      return teams;
    else if constexpr (std::is_same_v<R, opportunity>)
      return opportunities;
    else if constexpr (std::is_same_v<R, event>)
      return events;
    else if constexpr (std::is_same_v<R, promise>)
      return promises;
    else
      return timers;
  }
};

memory_storage::memory_storage() : impl_(std::make_unique<impl>()) {}
memory_storage::~memory_storage() = default;

lead_store& memory_storage::leads() noexcept {
  return impl_->leads;
}
customer_store& memory_storage::customers() noexcept {
  return impl_->customers;
}
contact_store& memory_storage::contacts() noexcept {
  return impl_->contacts;
}
rep_store& memory_storage::reps() noexcept {
  return impl_->reps;
}
team_store& memory_storage::teams() noexcept {
  return impl_->teams;
}
opportunity_store& memory_storage::opportunities() noexcept {
  return impl_->opportunities;
}
event_store& memory_storage::events() noexcept {
  return impl_->events;
}
promise_store& memory_storage::promises() noexcept {
  return impl_->promises;
}
timer_store& memory_storage::timers() noexcept {
  return impl_->timers;
}
decision_log& memory_storage::decisions() noexcept {
  return impl_->log;
}

result<commit_receipt> memory_storage::do_commit(const write_batch& batch) {
  std::unique_lock lock(impl_->mu);
  commit_receipt receipt;
  receipt.versions.reserve(batch.ops().size());
  receipt.decision_seqs.reserve(batch.decisions().size());

  // Phase 1 and 2: check every precondition and prepare every allocation. Nothing is visible yet.
  std::vector<std::function<void()>> appliers;
  appliers.reserve(batch.ops().size());
  std::size_t index = 0;
  for (const auto& op : batch.ops()) {
    const std::size_t at = index++;
    const record_kind kind =
        op.kind == write_batch::op_kind::remove ? op.target.kind : ref_of(op.record).kind;
    status s = detail::visit_kind(kind, [&]<class R>(detail::type_tag<R>) -> status {
      auto& store = impl_->store_for<R>();
      auto& rows = store.rows;
      if (op.kind == write_batch::op_kind::remove) {
        auto it = rows.find(op.target.id);
        if (it == rows.end()) return detail::missing(kind, op.target.id);
        if (it->second.version != op.expected_version) {
          return detail::stale(kind, op.target.id, it->second.version, op.expected_version);
        }
        receipt.versions.push_back(0);
        appliers.emplace_back([&rows, it] { rows.erase(it); });
        return {};
      }
      const R& rec = std::get<R>(op.record);
      auto it = rows.find(rec.id.str());
      if (op.kind == write_batch::op_kind::insert) {
        if (it != rows.end()) return detail::taken(kind, rec.id.str());
        table<R> staging;
        R copy = rec;
        copy.version = 1;
        staging.emplace(rec.id.str(), std::move(copy));
        auto node =
            std::make_shared<typename table<R>::node_type>(staging.extract(staging.begin()));
        receipt.versions.push_back(1);
        appliers.emplace_back([&rows, node] { rows.insert(std::move(*node)); });
        return {};
      }
      if (it == rows.end()) return detail::missing(kind, rec.id.str());
      if (it->second.version != rec.version) {
        return detail::stale(kind, rec.id.str(), it->second.version, rec.version);
      }
      auto copy = std::make_shared<R>(rec);
      copy->version = rec.version + 1;
      receipt.versions.push_back(copy->version);
      appliers.emplace_back([it, copy] { it->second = std::move(*copy); });
      return {};
    });
    if (!s.ok()) return detail::in_batch_op(at, s);
  }
  auto& log = impl_->log.entries;
  // Room for the new entries now, so that phase 3 cannot fail; grown geometrically (reserving
  // the exact size made every commit copy the whole log).
  if (const std::size_t need = log.size() + batch.decisions().size(); need > log.capacity())
    log.reserve(std::max(need, 2 * log.capacity()));
  std::vector<decision> staged = batch.decisions();
  for (auto& d : staged) {
    d.seq = log.size() + receipt.decision_seqs.size() + 1;
    receipt.decision_seqs.push_back(d.seq);
  }

  // Phase 3: apply. Moves, node insertions and erasures only: nothing here allocates or throws.
  for (auto& apply : appliers)
    apply();
  for (auto& d : staged)
    log.push_back(std::move(d));
  return receipt;
}

}  // namespace crmrules
