// crmrules tier: rolling-window event counts per customer.
//
// `event_windows` remembers, per customer, the behaviour events of the last `horizon` (90 days
// by default) as 8-byte entries (type, second), and the last time of every event type ever seen.
// It answers "how many site visits in the last 30 days" for any window up to the horizon, at any
// `now`: nothing needs updating as time passes, because a window is counted when it is asked
// for (now - window < at <= now). Memory is bounded per customer: events older than the horizon
// are dropped as newer ones arrive, and at most `cap_per_type` events of one type are kept (a
// count above the cap reads as the cap).
//
// Thread-safety: const members may be called concurrently; anything else needs exclusive access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crmrules/model/time.hpp"

namespace crmrules::tier {

struct window_options {
  /// The longest window that can be asked for; older events are forgotten.
  duration horizon = std::chrono::days(90);
  /// At most this many events of one type are kept per customer (the newest).
  std::uint32_t cap_per_type = 1024;
};

class event_windows {
 public:
  /// A customer's dense index, stable for the life of the object.
  using slot = std::uint32_t;
  /// An interned event type.
  using type_id = std::uint16_t;
  static constexpr std::size_t max_types = 65535;

  explicit event_windows(window_options o = {});

  /// The slot of customer `id`, added when new.
  slot slot_of(std::string_view id);
  /// The slot of customer `id`, or nullopt.
  [[nodiscard]] std::optional<slot> find(std::string_view id) const;
  /// The id of `s`.
  [[nodiscard]] const std::string& id_of(slot s) const { return ids_[s]; }

  /// The id of event type `name`, interned when new; nullopt past max_types.
  std::optional<type_id> intern(std::string_view name);
  /// The id of event type `name` if it was ever seen.
  [[nodiscard]] std::optional<type_id> type_of(std::string_view name) const;
  [[nodiscard]] const std::string& type_name(type_id t) const { return types_[t]; }

  /// Records an event of `type` at `at` for `s`, in any order of time. Events before 2000-01-01
  /// or after 2136 are clamped to those bounds (one-second resolution).
  void add(slot s, type_id type, timestamp at);

  /// Events of `type` with now - window < at <= now (window <= horizon; longer windows count
  /// only the horizon).
  [[nodiscard]] std::int64_t count(slot s, type_id type, duration window, timestamp now) const;
  /// Events of `type` with from <= at < to (a day, for must-do checks); at most the horizon
  /// before the newest event is remembered.
  [[nodiscard]] std::int64_t count_between(slot s, type_id type, timestamp from,
                                           timestamp to) const;
  /// The last event of `type` at or before `now` (also older than the horizon), or nullopt.
  [[nodiscard]] std::optional<timestamp> last(slot s, type_id type, timestamp now) const;
  /// Every type with at least one event in the window, with its count.
  [[nodiscard]] std::vector<std::pair<type_id, std::int64_t>> counts(slot s, duration window,
                                                                      timestamp now) const;

  /// Forgets the events of `s` older than now - horizon (adds do this too, relative to the
  /// newest event): for a periodic sweep that bounds memory of customers gone quiet.
  void prune(slot s, timestamp now);
  /// Forgets every event (customers and types stay): before a rebuild.
  void clear_events() noexcept;

  [[nodiscard]] std::size_t customers() const noexcept { return ids_.size(); }
  [[nodiscard]] std::size_t events() const noexcept { return events_; }
  [[nodiscard]] const window_options& options() const noexcept { return opts_; }
  /// Bytes held by event entries (capacity, not size), for sizing.
  [[nodiscard]] std::size_t event_bytes() const noexcept;

 private:
  struct entry {
    std::uint32_t at;  // seconds since 2000-01-01T00:00:00Z
    type_id type;
  };
  struct last_seen {
    type_id type;
    std::uint32_t at;
  };
  struct customer_events {
    std::vector<entry> recent;    // ordered by at
    std::vector<last_seen> last;  // one per type ever seen
  };
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  void trim(customer_events& c, std::uint32_t newest, type_id type);

  window_options opts_;
  std::uint32_t horizon_s_;
  std::vector<std::string> ids_;
  std::unordered_map<std::string, slot, hash, std::equal_to<>> slots_;
  std::vector<customer_events> data_;
  std::vector<std::string> types_;
  std::unordered_map<std::string, type_id, hash, std::equal_to<>> type_ids_;
  std::size_t events_ = 0;
};

}  // namespace crmrules::tier
