// crmrules sla: a hierarchical timing wheel (Varghese & Lauck, scheme 7) for millions of
// deadlines: O(1) schedule and cancel, and advance(now) returning what came due in deadline
// order (ties in scheduling order). Time is given, never read: tests and dry runs move it by
// hand, the engine from the clock interface.
//
// Layout: 8 levels of 64 slots over 1 ms ticks (2^48 ms, about 8,900 years); each pending
// timer is a 24-byte node in one pool, linked into its slot by 32-bit indices, plus its
// payload. Slots carry an occupancy bit, so advancing over empty time costs a few bit scans, not
// a walk over every tick. No heap allocation per operation once the pool has grown to the peak
// number of pending timers.
//
// Thread-safety: none (one wheel per engine thread, or a lock around it).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace crmrules::sla {

class timer_wheel {
 public:
  /// A scheduled timer; stays unique (generation-checked) after the timer fires or is
  /// cancelled, so a stale handle never touches another timer.
  struct handle {
    std::uint32_t index = 0;
    std::uint32_t generation = 0;
    friend bool operator==(handle, handle) = default;
  };

  struct fired {
    handle id;
    std::uint64_t payload = 0;
    std::int64_t deadline_ms = 0;
    bool late = false;  ///< its deadline had passed when it was scheduled (fires at once)
  };

  /// A wheel whose time starts at `now_ms` (milliseconds on any epoch, >= 0).
  explicit timer_wheel(std::int64_t now_ms = 0);

  /// Schedules `payload` at `deadline_ms`. A deadline at or before now fires at the next
  /// advance, marked late. O(1).
  handle schedule(std::int64_t deadline_ms, std::uint64_t payload);
  /// Cancels a pending timer; false when it already fired, was cancelled, or never existed.
  /// O(1).
  bool cancel(handle h) noexcept;
  /// Moves the deadline of a pending timer (cancel + schedule, same handle). False when the
  /// timer is not pending.
  bool reschedule(handle h, std::int64_t deadline_ms);

  /// Moves time to `now_ms` (never backwards: an earlier time is ignored) and appends every
  /// timer due by then to `out`, in deadline order, ties in scheduling order. Returns how many
  /// were appended.
  std::size_t advance(std::int64_t now_ms, std::vector<fired>& out);

  [[nodiscard]] std::int64_t now_ms() const noexcept { return now_; }
  [[nodiscard]] std::size_t pending() const noexcept { return pending_; }
  /// The earliest pending deadline, or INT64_MAX when none (exact: scans the lowest occupied
  /// slot).
  [[nodiscard]] std::int64_t next_deadline_ms() const noexcept;
  /// Bytes held per pending timer at the pool's current size (nodes + payloads), for sizing.
  [[nodiscard]] std::size_t bytes_per_slot() const noexcept;

 private:
  static constexpr int bits = 6;
  static constexpr int slots = 1 << bits;
  static constexpr int levels = 8;
  static constexpr std::uint32_t none = 0xFFFFFFFFu;

  struct node {
    std::int64_t deadline;  // ms
    std::uint32_t next;
    std::uint32_t prev;
    std::uint32_t generation;
    std::uint32_t where;  // level * 64 + slot; `due_list` for the due list; `free_list` when free
  };
  static constexpr std::uint32_t due_list = levels * slots;
  static constexpr std::uint32_t free_list = due_list + 1;

  void link(std::uint32_t i);
  void unlink(std::uint32_t i) noexcept;
  void place(std::uint32_t i);
  std::uint32_t allocate();

  std::vector<node> nodes_;
  std::vector<std::uint64_t> payloads_;
  std::vector<std::uint64_t> seq_;  // scheduling order, for ties
  std::uint64_t next_seq_ = 0;
  std::uint32_t free_ = none;
  std::array<std::uint32_t, levels * slots + 1> heads_{};  // + the due list
  std::array<std::uint64_t, levels> occupied_{};
  std::int64_t now_ = 0;
  std::size_t pending_ = 0;
};

}  // namespace crmrules::sla
