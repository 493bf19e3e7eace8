// crmrules sla: the deadline engine. It keeps every running deadline in a timing wheel and in
// the host's timer store, fires each step of a policy's ladder to the notifier when its time
// comes, and after a restart reloads what was pending and fires what came due meanwhile, once.
//
// One deadline per (policy, subject): its timer id is `timer_id_of(policy, subject)`, so starting
// the same policy for the same record again restarts it (a reassigned lead's first-touch clock).
//
// **Example**
// ```
// crmrules::sla::engine sla(rules->sla_policies(), storage, clock, &notifier);
// if (auto r = sla.recover(); !r) return r.error();            // after every start of the process
// sla.start({.policy = "first_touch", .subject = {crmrules::record_kind::lead, "L1"},
//            .from = lead.assigned_at.value(), .parties = {{"owner", "R7"}}});
// sla.stop("first_touch", {crmrules::record_kind::lead, "L1"});  // first touch recorded
// sla.advance();                                                 // from a loop or a scheduler
// ```
//
// Delivery: a step is sent to the notifier first and persisted (step advanced, an escalation
// entry in the decision log, in one batch) right after. Within one process no step fires twice.
// A process killed between the two sends that one step again after the restart: each
// notification carries `data["key"]` = "<timer id>#<step>", which hosts may use to drop the
// repeat. A notification the host refuses is retried after `engine_options::retry_after`, up to
// `engine_options::max_attempts` times; then the step is logged as undelivered and reported, and
// the ladder goes on (a notifier that refuses one recipient forever must not stop the reclaim).
//
// Thread-safety: every member may be called from several threads; calls are serialised by one
// mutex. The notifier is called with that mutex held and must not call back into the engine;
// `engine_options::on_step` is called after it is released and may (to restart a deadline after a
// reassignment, say).
//
// Ownership: the engine keeps references to the storage, clock and notifier, which must outlive
// it, and shares ownership of the policies.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/sla/policy.hpp"
#include "crmrules/sla/timer_wheel.hpp"
#include "crmrules/store/clock.hpp"
#include "crmrules/store/notifier.hpp"
#include "crmrules/store/storage.hpp"

namespace crmrules::sla {

/// The id of the deadline of `policy` about `subject`: "<policy>/<kind>/<id>".
[[nodiscard]] timer_id timer_id_of(std::string_view policy, const record_ref& subject);

/// What to start.
struct start_request {
  std::string policy;
  record_ref subject;
  timestamp from{};  ///< when the clock starts (the assignment, the stage entry)
  /// The time allowed, overriding the policy's `due` (a stage's own dwell limit).
  std::optional<duration> due_in;
  /// An absolute deadline (a promise's due date); wins over `due_in` and the policy's `due`.
  std::optional<timestamp> due_at;
  /// The "$party" recipients of the policy's steps: {"owner", "R7"}; a string or a string list
  /// each. Every party the policy's steps name must be here.
  attributes parties;
};

/// A step that fired, as given to `engine_options::on_step` (the notification has the same facts).
struct fired_step {
  timer deadline;  ///< the stored timer after the step (its `step` already advanced)
  const policy* rules = nullptr;
  std::size_t index = 0;    ///< the step's index in `rules->steps`
  timestamp deadline_at{};  ///< the deadline itself
  timestamp step_at{};      ///< when the step was due
  timestamp fired_at{};     ///< when it fired
  bool late = false;        ///< it came due while no process ran (fired by recovery)
  /// The step's new state and log entry reached the store; false when the write failed (it is
  /// retried at the next advance, and a crash before then fires the step again).
  bool persisted = true;
  /// The notifier refused the step `engine_options::max_attempts` times; it was given up.
  bool undelivered = false;
  std::vector<std::string> recipients;  ///< resolved
};

struct advance_report {
  std::size_t fired = 0;        ///< steps delivered
  std::size_t completed = 0;    ///< deadlines whose last step fired
  std::size_t retried = 0;      ///< notifications refused by the host, to be retried
  std::size_t undelivered = 0;  ///< steps given up after max_attempts refusals (also in errors)
  std::vector<status> errors;   ///< store writes that failed (retried at the next advance)
};

struct recovery_report {
  std::size_t loaded = 0;   ///< pending and paused deadlines reloaded
  std::size_t paused = 0;   ///< of which paused
  std::size_t overdue = 0;  ///< steps that came due while down and will fire at the next advance
  std::size_t skipped = 0;  ///< steps dropped by policies whose `on_recovery` is skip
  /// Timers left untouched: of a policy the rules no longer have, or whose stored state the
  /// policy cannot use (no deadline, a step beyond its ladder).
  std::size_t orphaned = 0;
  /// Timers that could not be reloaded (a calendar with no working time left for the next
  /// step, a store write that failed); the others were reloaded.
  std::vector<status> errors;
};

struct engine_options {
  /// Called, without the engine's lock, for every step after it was delivered (see
  /// `fired_step::persisted`): where a host runs the step's action (a reclaim, a
  /// reassignment). An error is reported in the advance report and does not undo the step.
  /// Steps of one deadline fired by concurrent advance() calls may reach it out of order, and
  /// a stop() may come between the step and the call: a host action re-checks the record (as
  /// assign::reclaim_and_commit does).
  std::function<status(const fired_step&)> on_step;
  /// How long after a refused notification it is tried again (at least 1 ms, at most 1 day).
  duration retry_after = std::chrono::minutes(1);
  /// After this many refusals of one step's notification the step is given up: logged as
  /// undelivered, reported in the advance's errors, and the ladder moves on (at least 1).
  int max_attempts = 10;
  /// Written as the decision log's actor.
  std::string actor = "crmrules.sla";
};

class engine {
 public:
  /// `policies` must not be null. `n` may be null (steps are then only logged and reported).
  engine(std::shared_ptr<const policy_set> policies, storage& store, const clock& clk, notifier* n,
         engine_options opts = {});
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Reloads every pending and paused deadline from the timer store (call once, before the
  /// first start or advance of a process). Steps that came due meanwhile fire at the next
  /// advance, marked late, or are skipped, as each policy says.
  [[nodiscard]] result<recovery_report> recover();

  /// Starts (or restarts, from its first step) the deadline of `r.policy` about `r.subject` and
  /// persists it. not_found for an unknown policy; invalid_argument for a subject of another
  /// kind than the policy's, no deadline (no `due`, `due_in` or `due_at`), no `from` when the
  /// deadline is counted from it, a deadline outside years 1..9999, or a missing party.
  [[nodiscard]] result<timer> start(const start_request& r);
  /// Stops a deadline because its condition is met (the first touch was recorded); it will not
  /// fire again. not_found when it is not running (never started, stopped, or completed).
  status stop(const timer_id& id);
  status stop(std::string_view policy, const record_ref& subject) {
    return stop(timer_id_of(policy, subject));
  }
  /// Pauses a running deadline (waiting for the customer): the time left is kept (in business
  /// time on the policy's calendar) and counts again from `resume`. not_found when it is not
  /// running; invalid_argument when it is already paused.
  status pause(const timer_id& id);
  /// Resumes a paused deadline: its deadline becomes now plus the time that was left.
  /// not_found when it is not known; invalid_argument when it is not paused.
  status resume(const timer_id& id);

  /// Fires every step due by the clock's now: each deadline's steps in order, the due steps of
  /// all deadlines in order of due time, round by round (a step made due by another's firing
  /// comes in the next round of the same call); see the header comment for delivery.
  [[nodiscard]] advance_report advance();

  /// A running or paused deadline, as stored; nullopt otherwise.
  [[nodiscard]] std::optional<timer> find(const timer_id& id) const;
  /// Deadlines running (scheduled in the wheel) and paused.
  [[nodiscard]] std::size_t running() const;
  [[nodiscard]] std::size_t paused() const;
  /// When the next step is due, or nullopt when nothing is scheduled: how long a host loop may
  /// sleep.
  [[nodiscard]] std::optional<timestamp> next_due() const;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace crmrules::sla
