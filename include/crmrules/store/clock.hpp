// crmrules host interface: the clock.
//
// Every engine takes "now" from a clock it is given, never from the system directly, so tests
// and dry runs can move time by hand (RocksDB split SystemClock out of Env for the same reason).
//
// Implementations must be safe for concurrent use from several threads and must not throw.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "crmrules/model/time.hpp"

namespace crmrules {

class clock {
 public:
  virtual ~clock() = default;
  clock(const clock&) = delete;
  clock& operator=(const clock&) = delete;

  /// The current UTC time.
  [[nodiscard]] virtual timestamp now() const noexcept = 0;

 protected:
  clock() = default;
};

/// The operating system's wall clock, truncated to microseconds.
class system_clock final : public clock {
 public:
  system_clock() = default;
  [[nodiscard]] timestamp now() const noexcept override {
    return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
  }
};

/// A clock that only moves when told to: for tests, dry runs and replays.
///
/// **Example**
/// ```
/// crmrules::manual_clock clk(*crmrules::parse_timestamp("2026-11-20T09:00:00+08:00"));
/// clk.advance(std::chrono::hours(2));
/// ```
class manual_clock final : public clock {
 public:
  explicit manual_clock(timestamp start = timestamp{}) noexcept : us_(to_unix_micros(start)) {}

  [[nodiscard]] timestamp now() const noexcept override {
    return from_unix_micros(us_.load(std::memory_order_acquire));
  }
  /// Jumps to `t`; moving backwards is allowed (a test may need it), engines tolerate it.
  void set(timestamp t) noexcept { us_.store(to_unix_micros(t), std::memory_order_release); }
  /// Moves forward (or back, for a negative `d`) by `d`.
  void advance(duration d) noexcept { us_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<std::int64_t> us_;
};

}  // namespace crmrules
