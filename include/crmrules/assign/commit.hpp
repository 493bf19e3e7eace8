// crmrules assign: committing an assignment through the host's stores, safely under
// concurrency.
//
// `assign_and_commit` reads the lead and the reps, chooses (assigner::choose), and commits in one
// atomic write batch: the lead with its new owner, the winning rep's counters (assigned today,
// open leads, last assigned), and the decision. Every record carries the version it was read
// at, so when another thread or process changed any of them first, the store refuses the batch
// (status conflict) and the whole step is retried on fresh data. Hence a lead never gets two
// owners and a rep never passes a cap, however many callers assign at once.
//
// **Thread-safety:** call from any number of threads, each with its own `assigner`; the
// storage must be safe for concurrent use (memory_storage and sqlite_storage are).
#pragma once

#include <cstdint>
#include <string>

#include "crmrules/assign/assigner.hpp"
#include "crmrules/store/notifier.hpp"
#include "crmrules/store/storage.hpp"

namespace crmrules::assign {

struct commit_options {
  /// Attempts before giving up on version conflicts (each re-reads everything, after a random
  /// wait that grows with the attempt, up to about 2 ms).
  int max_attempts = 256;
  /// Where alerts go (a lead no rule covers, a lead that failed validation); may be null.
  notifier* alerts = nullptr;
  /// Written as the decision's actor.
  std::string actor = "crmrules.assign";
};

struct commit_result {
  assignment pick;                 ///< what was decided (and committed, unless `already_owned`)
  std::uint64_t decision_seq = 0;  ///< the decision's sequence number in the log
  int attempts = 0;                ///< 1 unless conflicts forced retries
  /// The lead was not waiting for an owner (status neither unassigned nor to_reassign):
  /// nothing was written.
  bool already_owned = false;
};

/// Assigns lead `id` at `now` and commits the result. Errors: not_found for an unknown lead;
/// conflict after `max_attempts` lost races; whatever the store reports otherwise. A lead with
/// no possible owner and no fallback rep is left unassigned, and the decision says why.
[[nodiscard]] result<commit_result> assign_and_commit(storage& store, assigner& a,
                                                      const lead_id& id, timestamp now,
                                                      const commit_options& options = {});

}  // namespace crmrules::assign
