// crmrules sla: SLA policies, the kinds of deadline a CRM keeps (first touch within 2 business
// hours, the golden 72 hours, stage dwell limits, promise deadlines) and the ladder of steps
// each one climbs: pre-warnings before the deadline, the breach at it, escalations after it.
//
// Policies come from the rules file's "sla" section (docs/SLA.md) or are built in C++. A policy
// is immutable once loaded; share it freely across threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/sla/calendar.hpp"
#include "crmrules/store/notifier.hpp"

namespace crmrules::sla {

/// What recovery does with a step that came due while no process was running.
enum class recovery_mode : std::uint8_t {
  fire,  ///< fire it once, now, marked late (the default)
  skip,  ///< drop it silently (counted in the recovery report); later steps still fire
};
[[nodiscard]] std::string_view to_string(recovery_mode m) noexcept;

/// One rung of a policy's ladder.
struct step {
  std::string name;  ///< unique within the policy: "warn", "breach", "manager", "reassign"
  /// When, relative to the deadline: negative is a pre-warning (wall-clock time before it),
  /// zero is the breach, positive an escalation after it (business time when the policy has a
  /// calendar, else wall-clock time).
  duration offset{};
  /// What the host should do: "remind", "notify", "escalate", "reassign", "reclaim", or any word
  /// of the host's; the engine only reports it.
  std::string action;
  /// Recipients: rep ids or role names ("sales_director"), or "$party" placeholders filled from
  /// the deadline's parties when it is started ("$owner", "$delivery_owner").
  std::vector<std::string> to;
  notification_level level = notification_level::escalation;
};

struct policy {
  /// The longest time allowed and the farthest step offset: ten years.
  static constexpr duration max_offset = std::chrono::days(3653);

  std::string name;                       ///< "first_touch", "golden_72h", "promise", ...
  record_kind about = record_kind::lead;  ///< the kind of record its deadlines are about
  /// Time allowed from the start; nullopt when every deadline is given explicitly (a promise's
  /// due date, a stage's dwell limit passed at start).
  std::optional<duration> due;
  /// Counts in business time on this calendar; null counts wall-clock time.
  std::shared_ptr<const business_calendar> calendar;
  std::string calendar_name;
  std::vector<step> steps;  ///< ordered by offset; at least one
  recovery_mode on_recovery = recovery_mode::fire;

  /// The "$party" names the steps use, sorted, without the '$'.
  [[nodiscard]] std::vector<std::string> parties() const;
  /// The instant of step `i` for a deadline at `deadline`. invalid_argument when the calendar
  /// has no working time left.
  [[nodiscard]] result<timestamp> step_time(std::size_t i, timestamp deadline) const;
  /// The deadline of a clock started at `from` with `allowed` time (business time on the
  /// calendar when there is one).
  [[nodiscard]] result<timestamp> deadline_from(timestamp from, duration allowed) const;

  /// Checks the policy: a name without '/', at least one step, steps ordered by offset with
  /// unique names and an action, recipients non-empty strings, "$" followed by a name, `due`
  /// and offsets within ten years. invalid_argument otherwise.
  [[nodiscard]] status check() const;
};

/// The policies of one rules file, by name.
class policy_set {
 public:
  /// Adds `p` after `p.check()`; already_exists for a second policy of the same name.
  status add(policy p);
  /// The policy named `name`, or nullptr.
  [[nodiscard]] const policy* find(std::string_view name) const noexcept;
  /// The names, sorted.
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] bool empty() const noexcept { return by_name_.empty(); }

 private:
  std::map<std::string, policy, std::less<>> by_name_;
};

}  // namespace crmrules::sla
