// crmrules: forwarding wrappers for every host interface (LevelDB's EnvWrapper pattern).
//
// Each wrapper forwards every call to a target it does not own. Derive from one and override
// only the hook you need: a store that fails its third commit, a log that records calls, a store
// that adds latency.
//
// **Example**
// ```
// class flaky_storage : public crmrules::storage_wrapper {
//  public:
//   using storage_wrapper::storage_wrapper;
//  protected:
//   crmrules::result<crmrules::commit_receipt> do_commit(const crmrules::write_batch& b) override {
//     if (++commits_ == 3) return crmrules::status::unavailable("injected");
//     return storage_wrapper::do_commit(b);
//   }
//  private:
//   int commits_ = 0;
// };
// ```
//
// Ownership: the target must outlive the wrapper. Thread-safety: as safe as the target and the
// overriding code.
#pragma once

#include "crmrules/store/storage.hpp"

namespace crmrules {

/// Forwards the record_store<R> part of `Store` to a target of the same type.
template <class Store>
class basic_store_wrapper : public Store {
 public:
  using R = typename Store::record_type;
  using id_type = typename Store::id_type;

  explicit basic_store_wrapper(Store& target) noexcept : target_(target) {}
  [[nodiscard]] Store& target() const noexcept { return target_; }

 protected:
  result<R> do_get(const id_type& id) const override { return target_.get(id); }
  result<std::uint64_t> do_insert(const R& r) override { return target_.insert(r); }
  result<std::uint64_t> do_update(const R& r) override { return target_.update(r); }
  status do_remove(const id_type& id, std::uint64_t v) override { return target_.remove(id, v); }
  result<std::vector<R>> do_list(const id_type& after, std::size_t limit) const override {
    return target_.list(after, limit);
  }
  result<std::uint64_t> do_count() const override { return target_.count(); }

 private:
  Store& target_;
};

class lead_store_wrapper : public basic_store_wrapper<lead_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<lead>> do_list_by_owner(const rep_id& o, const lead_id& after,
                                             std::size_t n) const override {
    return target().list_by_owner(o, after, n);
  }
  result<std::vector<lead>> do_list_unassigned(const lead_id& after, std::size_t n) const override {
    return target().list_unassigned(after, n);
  }
};

class customer_store_wrapper : public basic_store_wrapper<customer_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<customer>> do_find_by_key(customer_key k,
                                               std::string_view key) const override {
    return target().find_by_key(k, key);
  }
};

class contact_store_wrapper : public basic_store_wrapper<contact_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<contact>> do_list_by_customer(const customer_id& c) const override {
    return target().list_by_customer(c);
  }
};

class rep_store_wrapper : public basic_store_wrapper<rep_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<rep>> do_list_by_team(const team_id& t) const override {
    return target().list_by_team(t);
  }
};

class team_store_wrapper : public basic_store_wrapper<team_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;
};

class opportunity_store_wrapper : public basic_store_wrapper<opportunity_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<opportunity>> do_list_by_customer(const customer_id& c) const override {
    return target().list_by_customer(c);
  }
  result<std::vector<opportunity>> do_list_by_stage(std::string_view s, const opportunity_id& after,
                                                    std::size_t n) const override {
    return target().list_by_stage(s, after, n);
  }
};

class event_store_wrapper : public basic_store_wrapper<event_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<event>> do_list_by_customer(const customer_id& c, timestamp from,
                                                 timestamp to) const override {
    return target().list_by_customer(c, from, to);
  }
  result<std::vector<event>> do_list_by_lead(const lead_id& l, timestamp from,
                                             timestamp to) const override {
    return target().list_by_lead(l, from, to);
  }
};

class promise_store_wrapper : public basic_store_wrapper<promise_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<promise>> do_list_open_due_before(timestamp t, std::size_t n) const override {
    return target().list_open_due_before(t, n);
  }
};

class timer_store_wrapper : public basic_store_wrapper<timer_store> {
 public:
  using basic_store_wrapper::basic_store_wrapper;

 protected:
  result<std::vector<timer>> do_list_due(timestamp t, std::size_t n) const override {
    return target().list_due(t, n);
  }
  result<std::vector<timer>> do_list_active(const timer_id& after, std::size_t n) const override {
    return target().list_active(after, n);
  }
  result<std::vector<timer>> do_list_by_subject(const record_ref& s) const override {
    return target().list_by_subject(s);
  }
};

class decision_log_wrapper : public decision_log {
 public:
  explicit decision_log_wrapper(decision_log& target) noexcept : target_(target) {}
  [[nodiscard]] decision_log& target() const noexcept { return target_; }

 protected:
  result<std::uint64_t> do_append(const decision& d) override { return target_.append(d); }
  result<std::vector<decision>> do_read(std::uint64_t after, std::size_t n) const override {
    return target_.read(after, n);
  }
  result<std::vector<decision>> do_for_subject(const record_ref& s) const override {
    return target_.for_subject(s);
  }
  result<std::uint64_t> do_last_seq() const override { return target_.last_seq(); }

 private:
  decision_log& target_;
};

/// Forwards every store accessor and commit to a target storage. Override an accessor to hand
/// out a wrapped store, or `do_commit` to intercept batches.
class storage_wrapper : public storage {
 public:
  explicit storage_wrapper(storage& target) noexcept : target_(target) {}
  [[nodiscard]] storage& target() const noexcept { return target_; }

  [[nodiscard]] lead_store& leads() noexcept override { return target_.leads(); }
  [[nodiscard]] customer_store& customers() noexcept override { return target_.customers(); }
  [[nodiscard]] contact_store& contacts() noexcept override { return target_.contacts(); }
  [[nodiscard]] rep_store& reps() noexcept override { return target_.reps(); }
  [[nodiscard]] team_store& teams() noexcept override { return target_.teams(); }
  [[nodiscard]] opportunity_store& opportunities() noexcept override {
    return target_.opportunities();
  }
  [[nodiscard]] event_store& events() noexcept override { return target_.events(); }
  [[nodiscard]] promise_store& promises() noexcept override { return target_.promises(); }
  [[nodiscard]] timer_store& timers() noexcept override { return target_.timers(); }
  [[nodiscard]] decision_log& decisions() noexcept override { return target_.decisions(); }

 protected:
  result<commit_receipt> do_commit(const write_batch& batch) override {
    return target_.commit(batch);
  }

 private:
  storage& target_;
};

}  // namespace crmrules
