// crmrules host interface: the notifier, where engines send reminders, escalations and alerts.
//
// The host decides how a notification reaches people (WeChat Work, DingTalk, e-mail, an inbox
// table). Engines call `notify` only after their decision is complete.
//
// `notify` is non-virtual (spdlog's base_sink::log pattern): it checks the notification, counts
// it and calls the host's `do_notify`. If `do_notify` throws, the exception is caught and
// reported as status_code::internal; hosts should still not throw. Implementations must be safe
// for concurrent use from several threads: engines may notify from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/attributes.hpp"
#include "crmrules/model/records.hpp"
#include "crmrules/status.hpp"

namespace crmrules {

enum class notification_level : std::uint8_t {
  info,        ///< for the record, nobody needs to act
  reminder,    ///< someone should act soon
  warning,     ///< a deadline is close
  escalation,  ///< a deadline was missed; a manager is told
  alert,       ///< something needs a person: an unrouted lead, a failed write
};
[[nodiscard]] std::string_view to_string(notification_level level) noexcept;

struct notification {
  timestamp at{};
  notification_level level = notification_level::info;
  std::string topic;  ///< machine-readable, dotted: "assign.unrouted_channel", "sla.breach"
  record_ref subject;
  std::vector<std::string> recipients;  ///< rep ids or role names ("sales_director")
  std::string message;                  ///< human-readable, already formatted
  attributes data;                      ///< structured details: policy, step, how late

  friend bool operator==(const notification&, const notification&) = default;
};

class notifier {
 public:
  virtual ~notifier() = default;
  notifier(const notifier&) = delete;
  notifier& operator=(const notifier&) = delete;

  /// Delivers `n`. invalid_argument if the topic is empty; otherwise what the host returns.
  status notify(const notification& n) noexcept;

  /// Notifications accepted by the host / refused or failed, since construction.
  [[nodiscard]] std::uint64_t delivered() const noexcept {
    return delivered_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t failed() const noexcept {
    return failed_.load(std::memory_order_relaxed);
  }

 protected:
  notifier() = default;
  /// The host's part: hand `n` to whatever delivers it.
  virtual status do_notify(const notification& n) = 0;

 private:
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
};

/// Accepts and discards everything.
class null_notifier final : public notifier {
 protected:
  status do_notify(const notification&) override { return {}; }
};

/// Keeps every notification in memory, in arrival order: for tests, dry runs and demos.
class memory_notifier final : public notifier {
 public:
  /// A copy of everything received so far.
  [[nodiscard]] std::vector<notification> snapshot() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  void clear() {
    std::lock_guard lock(mu_);
    received_.clear();
  }

 protected:
  status do_notify(const notification& n) override {
    std::lock_guard lock(mu_);
    received_.push_back(n);
    return {};
  }

 private:
  mutable std::mutex mu_;
  std::vector<notification> received_;
};

/// Forwards to a function; the function must be safe to call from several threads.
class callback_notifier final : public notifier {
 public:
  explicit callback_notifier(std::function<status(const notification&)> fn) : fn_(std::move(fn)) {}

 protected:
  status do_notify(const notification& n) override { return fn_(n); }

 private:
  std::function<status(const notification&)> fn_;
};

}  // namespace crmrules
