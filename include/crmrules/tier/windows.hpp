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
// Layout: each customer is one 256-byte block (four cache lines) holding its id, its events
// (23 in place with libstdc++; more spill to the heap), the last times of the types none of whose
// events is recent any more, and two words its owner may use (user_words). What one event reads and
// writes is therefore one block the caller can prefetch whole (prefetch_customer).
//
// Thread-safety: const members may be called concurrently; anything else needs exclusive access.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
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
  static constexpr std::size_t max_types = 32767;

  explicit event_windows(window_options o = {});
  /// Movable, not copyable; a moved-from object is empty.
  event_windows(const event_windows&) = delete;
  event_windows& operator=(const event_windows&) = delete;
  event_windows(event_windows&& other) noexcept;
  event_windows& operator=(event_windows&& other) noexcept;
  ~event_windows() = default;

  /// The slot of customer `id`, added when new.
  slot slot_of(std::string_view id);
  /// The slot of customer `id`, or nullopt.
  [[nodiscard]] std::optional<slot> find(std::string_view id) const;

  // Batches: a caller handling many events fetches each one's customer from memory ahead of
  // using it, so that the cache misses of several customers overlap instead of following one
  // another (at a million customers each miss costs as much as all the computing of an event).
  // The prefetches only load cache lines: they never change the object, never fault, and a
  // wrong guess costs nothing but the memory traffic.

  /// The hash the index uses for customer ids.
  [[nodiscard]] static std::uint64_t hash_id(std::string_view id) noexcept;
  /// find(id) with `h` = hash_id(id) computed earlier.
  [[nodiscard]] std::optional<slot> find(std::string_view id, std::uint64_t h) const;
  /// Starts loading the index line where the id with hash `h` would be.
  void prefetch_index(std::uint64_t h) const noexcept;
  /// Starts loading the block of the customer whose id has hash `h`, and returns its slot as
  /// the index's tags say (a guess, not checked against the id, whose block is on its way:
  /// for prefetching the caller's own per-slot data); nullopt when no tag matches. Reads the
  /// index line, which prefetch_index should have loaded.
  std::optional<slot> prefetch_customer(std::uint64_t h) const noexcept;
  /// Starts loading the events of `s` kept on the heap (more than fit in its block). Reads the
  /// block, which prefetch_customer should have loaded. `s` must be a slot of this object.
  void prefetch_events(slot s) const noexcept;
  /// The id of `s`.
  [[nodiscard]] const std::string& id_of(slot s) const { return data_[s].id; }
  /// Two words of `s` that the owner of this object uses as it likes (the tier engine keeps the
  /// customer's tier and upgrade bits there): in the customer's block, so that they cost no
  /// memory access of their own. Zero for a new customer; clear_events() leaves them. `s` must
  /// be a slot of this object.
  [[nodiscard]] std::uint64_t* user_words(slot s) noexcept { return data_[s].user; }
  [[nodiscard]] const std::uint64_t* user_words(slot s) const noexcept { return data_[s].user; }

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
  /// One count of a count_set.
  struct count_query {
    type_id type = 0;
    duration window{};
  };
  /// Counts asked together (a tier policy's), prepared once for count_many. The pass over a
  /// customer's events puts each event in a cell by its type and by how many of the set's
  /// windows it is in (a few comparisons, and a table for the types below 64); the counts are
  /// sums of cells.
  class count_set {
   public:
    count_set() = default;
    explicit count_set(std::vector<count_query> queries);
    [[nodiscard]] const std::vector<count_query>& queries() const noexcept { return queries_; }
    [[nodiscard]] std::size_t size() const noexcept { return queries_.size(); }

   private:
    friend class event_windows;
    /// The cells of one pass: (rows + 1) x (bounds + 1) of them, at most `max_cells`.
    static constexpr std::size_t max_cells = 512;
    struct part {
      std::vector<std::int64_t> bounds;          // distinct windows in seconds, ascending
      std::array<std::uint16_t, 64> low_rows{};  // row of each type below 64 (0: none)
      std::vector<std::pair<type_id, std::uint16_t>> high_rows;  // the other types' rows
      std::uint16_t rows = 0;
      struct member {
        std::uint32_t query;  // index in queries_
        std::uint16_t row;
        std::uint16_t bound;  // index in bounds
      };
      std::vector<member> members;
      /// The row of type `t` (0: none): a table read for the types below 64, on every event.
      [[nodiscard]] std::uint16_t row_of(type_id t) const noexcept {
        return t < 64 ? low_rows[t] : high_row(t);
      }
      [[nodiscard]] std::uint16_t high_row(type_id t) const noexcept;
    };
    std::vector<count_query> queries_;
    std::vector<part> parts_;  // one pass each (one unless the set is very large)
  };
  /// out[i] = count(s, q.type, q.window, now) for the i-th query q of `set`, in one pass over
  /// the events. `out` must be set.size() long.
  void count_many(slot s, const count_set& set, timestamp now, std::span<std::int64_t> out) const;

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

  [[nodiscard]] std::size_t customers() const noexcept { return data_.size(); }
  [[nodiscard]] std::size_t events() const noexcept { return events_; }
  [[nodiscard]] const window_options& options() const noexcept { return opts_; }
  /// Heap bytes held for events (and aged-out types' last times) beyond the 23 each customer
  /// keeps in its block, for sizing.
  [[nodiscard]] std::size_t event_bytes() const noexcept;

 private:
  struct entry {
    std::uint32_t at;  // seconds since 2000-01-01T00:00:00Z
    type_id type;
  };
  /// A customer's entries: up to `inline_capacity` in place (the common case, so an event
  /// touches one 256-byte block), more on the heap. They start `head_` entries into the
  /// storage, so that dropping the oldest moves nothing; an append that finds no room at the
  /// end moves them back to the start first.
  class entry_buffer {
   public:
    /// What is left of the 256-byte block (23 with libstdc++'s 32-byte std::string).
    static constexpr std::uint32_t inline_capacity =
        (256 - sizeof(std::string) - 2 * sizeof(std::uint64_t) - sizeof(void*) -
         4 * sizeof(std::uint32_t)) /
        8;
    entry_buffer() noexcept : data_(inline_) {}
    ~entry_buffer() { release(); }
    entry_buffer(const entry_buffer&) = delete;
    entry_buffer& operator=(const entry_buffer&) = delete;
    entry_buffer(entry_buffer&& o) noexcept { take(o); }
    entry_buffer& operator=(entry_buffer&& o) noexcept {
      if (this != &o) {
        release();
        take(o);
      }
      return *this;
    }
    [[nodiscard]] entry* begin() noexcept { return data_ + head_; }
    [[nodiscard]] entry* end() noexcept { return data_ + head_ + size_; }
    [[nodiscard]] const entry* begin() const noexcept { return data_ + head_; }
    [[nodiscard]] const entry* end() const noexcept { return data_ + head_ + size_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }
    [[nodiscard]] bool on_heap() const noexcept { return data_ != inline_; }
    /// Inserts `e` before `pos` (end() appends).
    void insert(const entry* pos, entry e);
    /// Removes [first, last).
    void erase(const entry* first, const entry* last) noexcept;
    /// Removes the first n, moving nothing.
    void drop_front(std::size_t n) noexcept {
      head_ += static_cast<std::uint32_t>(n);
      size_ -= static_cast<std::uint32_t>(n);
    }
    void clear() noexcept { size_ = head_ = 0; }
    /// Returns heap memory not needed (back in place when the entries fit).
    void shrink_to_fit();

   private:
    void release() noexcept;
    void take(entry_buffer& o) noexcept;
    entry* data_;
    std::uint32_t head_ = 0;  // where the entries start in data_
    std::uint32_t size_ = 0;
    std::uint32_t cap_ = inline_capacity;

   public:
    /// The number of aged-out entries at the front (a customer_events field, kept here to
    /// use the padding).
    std::uint32_t aged = 0;

   private:
    entry inline_[inline_capacity];
  };
  /// One customer, in one 256-byte block: the id (checked by the lookup), the owner's words and
  /// the entries, ordered as
  ///   [0, aged)      the last time of each type none of whose events is recent (type tagged
  ///                  with `aged_tag`; in no order; older than the recent events
  ///                  of their type, except after a prune and a late event);
  ///   [aged, size)   the recent events, ordered by time.
  struct alignas(64) customer_events {
    std::string id;
    std::uint64_t user[2] = {0, 0};
    entry_buffer entries;
    [[nodiscard]] const entry* recent_begin() const noexcept {
      return entries.begin() + entries.aged;
    }
    [[nodiscard]] entry* recent_begin() noexcept { return entries.begin() + entries.aged; }
  };
  static_assert(sizeof(entry) == 8);
  static_assert(sizeof(customer_events) == 256, "one customer in four cache lines");
  static_assert(entry_buffer::inline_capacity >= 20);
  static constexpr type_id aged_tag = 0x8000;
  static_assert(max_types < aged_tag);
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  void trim(slot s, std::uint32_t newest, type_id type);
  /// Drops the oldest n recent events of `s`, remembering as aged entries the last time of each
  /// type none of whose events stays recent.
  void forget(slot s, std::size_t n);
  /// The first slot in the index whose tag is h's and for which match(slot) holds.
  template <class Match>
  [[nodiscard]] std::optional<slot> probe(std::uint64_t h, Match&& match) const noexcept;
  [[nodiscard]] std::optional<slot> lookup(std::string_view id, std::uint64_t h) const;
  void grow();

  window_options opts_;
  std::uint32_t horizon_s_;
  // Customer ids to slots: open addressing, each entry (hash's top 32 bits << 32) | (slot + 1),
  // 0 when empty; at most half full. One probe usually touches one cache line of the table and
  // the id it points to.
  std::vector<std::uint64_t> table_;
  std::vector<customer_events> data_;
  std::vector<std::string> types_;
  std::unordered_map<std::string, type_id, hash, std::equal_to<>> type_ids_;
  // A direct-mapped cache in front of type_ids_, written by intern only (so const readers only
  // read it; each intern leaves its name there): an index from the name's length and ends,
  // checked against types_.
  static constexpr std::size_t quick_size = 64;
  static constexpr type_id no_type = 0xFFFF;
  [[nodiscard]] static std::size_t quick_index(std::string_view name) noexcept;
  std::array<type_id, quick_size> quick_ = make_quick();
  static constexpr std::array<type_id, quick_size> make_quick() noexcept {
    std::array<type_id, quick_size> a{};
    a.fill(no_type);
    return a;
  }
  std::size_t events_ = 0;
};

}  // namespace crmrules::tier
