// crmrules: the in-memory storage. Complete (every store and query), thread-safe, not durable.
//
// For tests, dry runs, benchmarks and hosts that keep their own persistence. All stores of one
// memory_storage share a reader/writer lock: reads run in parallel, a write or a commit is
// exclusive, so commits are atomic with respect to every read. Queries other than get/list scan
// in id order (linear in the store's size).
#pragma once

#include <memory>

#include "crmrules/store/storage.hpp"

namespace crmrules {

class memory_storage final : public storage {
 public:
  memory_storage();
  ~memory_storage() override;

  [[nodiscard]] lead_store& leads() noexcept override;
  [[nodiscard]] customer_store& customers() noexcept override;
  [[nodiscard]] contact_store& contacts() noexcept override;
  [[nodiscard]] rep_store& reps() noexcept override;
  [[nodiscard]] team_store& teams() noexcept override;
  [[nodiscard]] opportunity_store& opportunities() noexcept override;
  [[nodiscard]] event_store& events() noexcept override;
  [[nodiscard]] promise_store& promises() noexcept override;
  [[nodiscard]] timer_store& timers() noexcept override;
  [[nodiscard]] decision_log& decisions() noexcept override;

 protected:
  result<commit_receipt> do_commit(const write_batch& batch) override;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace crmrules
