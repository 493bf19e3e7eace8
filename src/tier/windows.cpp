#include "crmrules/tier/windows.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <new>

namespace crmrules::tier {

namespace {

constexpr std::int64_t epoch_2000 = 946'684'800;  // unix seconds

std::uint32_t to_seconds(timestamp t) {
  const std::int64_t us = to_unix_micros(t);
  const std::int64_t s = (us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000) - epoch_2000;
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(s, 0, std::numeric_limits<std::uint32_t>::max()));
}

timestamp from_seconds(std::uint32_t s) {
  return from_unix_micros((static_cast<std::int64_t>(s) + epoch_2000) * 1'000'000);
}

/// The first second inside a window ending at `now_s`: at > now_s - window.
std::int64_t window_start(std::uint32_t now_s, duration window, std::uint32_t horizon_s) {
  const std::int64_t w = std::min<std::int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(window).count(), horizon_s);
  return static_cast<std::int64_t>(now_s) - w + 1;
}

}  // namespace

// ---- entry_buffer ----------------------------------------------------------------------------

void event_windows::entry_buffer::release() noexcept {
  if (data_ != inline_) delete[] data_;
  data_ = inline_;
  head_ = 0;
  cap_ = inline_capacity;
}

void event_windows::entry_buffer::take(entry_buffer& o) noexcept {
  size_ = o.size_;
  aged = o.aged;
  if (o.data_ == o.inline_) {
    data_ = inline_;
    head_ = 0;
    cap_ = inline_capacity;
    std::copy(o.begin(), o.end(), inline_);
  } else {
    data_ = o.data_;
    head_ = o.head_;
    cap_ = o.cap_;
  }
  o.data_ = o.inline_;
  o.head_ = o.size_ = 0;
  o.cap_ = inline_capacity;
  o.aged = 0;
}

void event_windows::entry_buffer::insert(const entry* pos, entry e) {
  auto at = static_cast<std::size_t>(pos - begin());
  if (head_ + size_ == cap_) {
    if (head_ > 0) {  // room at the front: move the entries back to the start
      std::copy(begin(), end(), data_);
      head_ = 0;
    } else {
      const std::uint32_t bigger = cap_ * 2;
      entry* grown = new entry[bigger];
      std::copy(data_, data_ + size_, grown);
      if (data_ != inline_) delete[] data_;
      data_ = grown;
      cap_ = bigger;
    }
  }
  entry* const first = begin();
  if (at != size_) std::copy_backward(first + at, first + size_, first + size_ + 1);
  first[at] = e;
  ++size_;
}

void event_windows::entry_buffer::erase(const entry* first, const entry* last) noexcept {
  if (first == last) return;
  entry* const base = begin();
  const auto a = static_cast<std::size_t>(first - base);
  const auto b = static_cast<std::size_t>(last - base);
  std::copy(base + b, base + size_, base + a);
  size_ -= static_cast<std::uint32_t>(b - a);
}

void event_windows::entry_buffer::shrink_to_fit() {
  if (data_ == inline_ || size_ * 2 > cap_) return;
  if (size_ <= inline_capacity) {
    entry* heap = data_;
    std::copy(begin(), end(), inline_);
    delete[] heap;
    data_ = inline_;
    head_ = 0;
    cap_ = inline_capacity;
    return;
  }
  entry* smaller = new entry[size_];
  std::copy(begin(), end(), smaller);
  delete[] data_;
  data_ = smaller;
  head_ = 0;
  cap_ = size_;
}

// ---- event_windows -----------------------------------------------------------------------------

event_windows::event_windows(window_options o)
    : opts_(o),
      horizon_s_(static_cast<std::uint32_t>(std::clamp<std::int64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(o.horizon).count(), 1,
          std::numeric_limits<std::uint32_t>::max()))) {
  if (opts_.cap_per_type == 0) opts_.cap_per_type = 1;
}

event_windows::event_windows(event_windows&& other) noexcept
    : opts_(other.opts_),
      horizon_s_(other.horizon_s_),
      table_(std::move(other.table_)),
      data_(std::move(other.data_)),
      types_(std::move(other.types_)),
      type_ids_(std::move(other.type_ids_)),
      quick_(other.quick_),
      events_(other.events_) {
  other.table_.clear();
  other.data_.clear();
  other.types_.clear();
  other.type_ids_.clear();
  other.quick_.fill(no_type);
  other.events_ = 0;
}

event_windows& event_windows::operator=(event_windows&& other) noexcept {
  if (this != &other) {
    this->~event_windows();
    new (this) event_windows(std::move(other));
  }
  return *this;
}

template <class Match>
std::optional<event_windows::slot> event_windows::probe(std::uint64_t h,
                                                        Match&& match) const noexcept {
  if (table_.empty()) return std::nullopt;
  const std::size_t mask = table_.size() - 1;
  const std::uint64_t tag = h >> 32;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint64_t e = table_[i];
    if (e == 0) return std::nullopt;
    if ((e >> 32) == tag) {
      const auto s = static_cast<slot>((e & 0xFFFFFFFFu) - 1);
      if (match(s)) return s;
    }
  }
}

std::optional<event_windows::slot> event_windows::lookup(std::string_view id,
                                                         std::uint64_t h) const {
  return probe(h, [&](slot s) { return data_[s].id == id; });
}

void event_windows::grow() {
  std::vector<std::uint64_t> bigger(table_.empty() ? 64 : table_.size() * 2, 0);
  const std::size_t mask = bigger.size() - 1;
  for (slot s = 0; s < data_.size(); ++s) {
    const std::uint64_t h = hash_id(data_[s].id);
    std::size_t i = h & mask;
    while (bigger[i] != 0)
      i = (i + 1) & mask;
    bigger[i] = ((h >> 32) << 32) | (static_cast<std::uint64_t>(s) + 1);
  }
  table_ = std::move(bigger);
}

event_windows::slot event_windows::slot_of(std::string_view id) {
  const std::uint64_t h = hash_id(id);
  if (const auto found = lookup(id, h)) return *found;
  const auto s = static_cast<slot>(data_.size());
  data_.emplace_back().id = std::string(id);
  if (2 * data_.size() > table_.size()) {
    grow();  // rehashes every id, the new one included
  } else {
    const std::size_t mask = table_.size() - 1;
    std::size_t i = h & mask;
    while (table_[i] != 0)
      i = (i + 1) & mask;
    table_[i] = ((h >> 32) << 32) | (static_cast<std::uint64_t>(s) + 1);
  }
  return s;
}

std::optional<event_windows::slot> event_windows::find(std::string_view id) const {
  return lookup(id, hash_id(id));
}

std::uint64_t event_windows::hash_id(std::string_view id) noexcept {
  return std::hash<std::string_view>{}(id);
}

std::optional<event_windows::slot> event_windows::find(std::string_view id, std::uint64_t h) const {
  return lookup(id, h);
}

void event_windows::prefetch_index(std::uint64_t h) const noexcept {
  if (!table_.empty()) __builtin_prefetch(&table_[h & (table_.size() - 1)]);
}

std::optional<event_windows::slot> event_windows::prefetch_customer(
    std::uint64_t h) const noexcept {
  const auto s = probe(h, [](slot) { return true; });  // the first tag that matches
  if (s) {
    const char* block = reinterpret_cast<const char*>(&data_[*s]);
    __builtin_prefetch(block);
    __builtin_prefetch(block + 64);
    __builtin_prefetch(block + 128);
    __builtin_prefetch(block + 192);
  }
  return s;
}

void event_windows::prefetch_events(slot s) const noexcept {
  const entry_buffer& all = data_[s].entries;
  if (all.on_heap() && !all.empty()) {
    // Counting reads from the newest end; the oldest are read when they age out.
    __builtin_prefetch(all.end() - 1);
    __builtin_prefetch(all.begin());
  }
}

std::size_t event_windows::quick_index(std::string_view name) noexcept {
  if (name.empty()) return 0;
  const auto first = static_cast<unsigned char>(name.front());
  const auto last = static_cast<unsigned char>(name.back());
  return (name.size() * 31 + first * 7 + last) & (quick_size - 1);
}

std::optional<event_windows::type_id> event_windows::intern(std::string_view name) {
  if (const auto t = type_of(name)) {
    quick_[quick_index(name)] = *t;  // the type seen last keeps a shared entry
    return t;
  }
  if (types_.size() >= max_types) return std::nullopt;
  const auto t = static_cast<type_id>(types_.size());
  types_.emplace_back(name);
  type_ids_.emplace(std::string(name), t);
  quick_[quick_index(name)] = t;
  return t;
}

std::optional<event_windows::type_id> event_windows::type_of(std::string_view name) const {
  // A handful of types carry nearly every event: most names are found in the small table,
  // without hashing the whole name.
  const type_id q = quick_[quick_index(name)];
  if (q != no_type && types_[q] == name) return q;
  const auto it = type_ids_.find(name);
  if (it == type_ids_.end()) return std::nullopt;
  return it->second;
}

void event_windows::add(slot s, type_id type, timestamp at) {
  customer_events& c = data_[s];
  const std::uint32_t sec = to_seconds(at);
  // Most events arrive in time order: append; a late one is inserted in place among the recent.
  entry_buffer& all = c.entries;
  if (all.size() == all.aged || (all.end() - 1)->at <= sec) {
    all.insert(all.end(), {sec, type});
  } else {
    const auto pos = std::upper_bound(c.recent_begin(), all.end(), sec,
                                      [](std::uint32_t v, const entry& e) { return v < e.at; });
    all.insert(pos, {sec, type});
  }
  ++events_;
  trim(s, (all.end() - 1)->at, type);
}

void event_windows::forget(slot s, std::size_t n) {
  if (n == 0) return;
  entry_buffer& all = data_[s].entries;
  entry* const base = all.begin();
  const std::size_t a = all.aged, stays = a + n, size = all.size();
  const auto recent_has = [&](type_id t) {
    return std::any_of(base + stays, base + size, [t](const entry& r) { return r.type == t; });
  };
  // The forgotten events, oldest first, become aged entries in place ([a, a + k)): one per type
  // with no event left recent (a newer one stays recent: last() finds that one, and it is
  // remembered when it ages out in turn), the latest of them.
  std::size_t k = 0;
  for (std::size_t i = a; i < stays; ++i) {
    const entry e = base[i];
    if (recent_has(e.type)) continue;
    const auto tagged = static_cast<type_id>(e.type | aged_tag);
    entry* same =
        std::find_if(base + a, base + a + k, [tagged](const entry& x) { return x.type == tagged; });
    if (same != base + a + k) {
      same->at = e.at;  // ascending: this one is later
    } else {
      base[a + k++] = {e.at, tagged};
    }
  }
  // The older aged entries of those types go (a late event forgotten as soon as it came may be
  // older still: the later time stays); the rest move up to the new ones.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < a; ++i) {
    const entry old = base[i];
    entry* same =
        std::find_if(base + a, base + a + k, [&old](const entry& x) { return x.type == old.type; });
    if (same == base + a + k) {
      base[kept++] = old;
    } else {
      same->at = std::max(same->at, old.at);
    }
  }
  // The aged entries go right before the events that stay, which do not move: the new ones
  // to [stays - k, stays), the kept ones before them; the storage then starts there.
  const std::size_t m = kept + k;
  for (std::size_t i = k; i-- > 0;)  // backwards: the ranges may overlap, the target higher
    base[stays - k + i] = base[a + i];
  for (std::size_t i = kept; i-- > 0;)
    base[stays - m + i] = base[i];
  all.drop_front(stays - m);
  all.aged = static_cast<std::uint32_t>(m);
  events_ -= n;
}

void event_windows::trim(slot s, std::uint32_t newest, type_id type) {
  customer_events& c = data_[s];
  entry_buffer& all = c.entries;
  // Older than the horizon before the newest event: no window can reach them any more.
  if (newest >= horizon_s_ && all.size() > all.aged &&
      c.recent_begin()->at <= newest - horizon_s_) {
    const auto keep = std::upper_bound(c.recent_begin(), all.end(), newest - horizon_s_,
                                       [](std::uint32_t v, const entry& e) { return v < e.at; });
    forget(s, static_cast<std::size_t>(keep - c.recent_begin()));
  }
  if (all.size() - all.aged <= opts_.cap_per_type) return;
  std::size_t same = 0;
  for (const entry* e = c.recent_begin(); e != all.end(); ++e)
    same += e->type == type ? 1 : 0;
  if (same <= opts_.cap_per_type) return;
  const entry* oldest =
      std::find_if(c.recent_begin(), all.end(), [type](const entry& e) { return e.type == type; });
  // The type stays recent, so last() does not need its time: drop it.
  all.erase(oldest, oldest + 1);
  --events_;
}

std::int64_t event_windows::count(slot s, type_id type, duration window, timestamp now) const {
  const customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  const std::int64_t from = window_start(now_s, window, horizon_s_);
  std::int64_t n = 0;
  for (const entry* it = c.entries.end(); it != c.recent_begin();) {
    --it;
    if (it->at > now_s) continue;  // after `now` (a replay, a clock behind the events)
    if (static_cast<std::int64_t>(it->at) < from) break;
    n += it->type == type ? 1 : 0;
  }
  return n;
}

event_windows::count_set::count_set(std::vector<count_query> queries)
    : queries_(std::move(queries)) {
  std::vector<std::uint32_t> order(queries_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const count_query &x = queries_[a], &y = queries_[b];
    return x.type != y.type ? x.type < y.type : x.window < y.window;
  });
  const auto seconds = [](duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
  };
  // Queries join the current part while its cells fit; then a new part starts.
  std::vector<type_id> types;  // the current part's, one per row
  std::vector<std::int64_t> bounds;
  for (const std::uint32_t q : order) {
    const type_id t = queries_[q].type;
    const std::int64_t w = seconds(queries_[q].window);
    const std::size_t rows =
        types.size() + (std::find(types.begin(), types.end(), t) == types.end() ? 1 : 0);
    const std::size_t cols =
        bounds.size() + (std::find(bounds.begin(), bounds.end(), w) == bounds.end() ? 1 : 0);
    if (parts_.empty() || (rows + 1) * (cols + 1) > max_cells) {
      parts_.emplace_back();
      types.clear();
      bounds.clear();
    }
    if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
    if (std::find(bounds.begin(), bounds.end(), w) == bounds.end()) bounds.push_back(w);
    parts_.back().members.push_back({q, 0, 0});
  }
  // Each part's windows, ascending, and rows, numbered from 1 as its types come.
  for (part& p : parts_) {
    for (const part::member& m : p.members)
      p.bounds.push_back(seconds(queries_[m.query].window));
    std::sort(p.bounds.begin(), p.bounds.end());
    p.bounds.erase(std::unique(p.bounds.begin(), p.bounds.end()), p.bounds.end());
    std::uint16_t next_row = 0;
    for (part::member& m : p.members) {
      const type_id t = queries_[m.query].type;
      std::uint16_t row = p.row_of(t);
      if (row == 0) {
        row = ++next_row;
        if (t < 64) {
          p.low_rows[t] = row;
        } else {
          p.high_rows.emplace_back(t, row);
        }
      }
      m.row = row;
      m.bound = static_cast<std::uint16_t>(
          std::lower_bound(p.bounds.begin(), p.bounds.end(), seconds(queries_[m.query].window)) -
          p.bounds.begin());
    }
    p.rows = next_row;
  }
}

std::uint16_t event_windows::count_set::part::high_row(type_id t) const noexcept {
  for (const auto& [type, row] : high_rows) {
    if (type == t) return row;
  }
  return 0;
}

void event_windows::count_many(slot s, const count_set& set, timestamp now,
                               std::span<std::int64_t> out) const {
  const customer_events& c = data_[s];
  const std::int64_t now_s = to_seconds(now);
  for (const count_set::part& p : set.parts_) {
    // An event `age` seconds before now is in a window of w seconds when 0 <= age < min(w,
    // horizon), as count() has it. Its column is the number of the part's windows it is in:
    // with the windows ascending, it is in window j exactly when its column is >= d - j.
    const std::size_t d = p.bounds.size(), cols = d + 1;
    std::array<std::int64_t, count_set::max_cells> eff;
    for (std::size_t j = 0; j < d; ++j)
      eff[j] = std::min(p.bounds[j], static_cast<std::int64_t>(horizon_s_));
    std::array<std::int64_t, count_set::max_cells> cells;
    std::fill_n(cells.begin(), (p.rows + 1u) * cols, 0);
    // Newest first, the ages only grow (the recent events are ordered by time): the windows an
    // event is past only grow too, so each comparison with a window is made once per pass.
    std::size_t past = 0;  // eff[j] <= age for every j < past: the event is outside them
    for (const entry* it = c.entries.end(); it != c.recent_begin();) {
      --it;
      const std::int64_t age = now_s - static_cast<std::int64_t>(it->at);
      if (age < 0) continue;  // after `now`: in no window (count() skips it)
      while (past < d && eff[past] <= age)
        ++past;
      if (past == d) break;  // older than every window, and so are the rest
      ++cells[p.row_of(it->type) * cols + (d - past)];
    }
    // Each row's cells summed from the right: cell (row, col) is then the count of the events
    // of that row in the window whose column starts at col.
    for (std::size_t row = 1; row <= p.rows; ++row) {
      std::int64_t* r = &cells[row * cols];
      for (std::size_t col = d; col-- > 1;)
        r[col] += r[col + 1];
    }
    for (const count_set::part::member& m : p.members)
      out[m.query] = cells[m.row * cols + (d - m.bound)];
  }
}

std::int64_t event_windows::count_between(slot s, type_id type, timestamp from,
                                          timestamp to) const {
  const customer_events& c = data_[s];
  const std::uint32_t a = to_seconds(from), b = to_seconds(to);
  const entry* it = std::lower_bound(c.recent_begin(), c.entries.end(), a,
                                     [](const entry& e, std::uint32_t v) { return e.at < v; });
  std::int64_t n = 0;
  for (; it != c.entries.end() && it->at < b; ++it)
    n += it->type == type ? 1 : 0;
  return n;
}

std::optional<timestamp> event_windows::last(slot s, type_id type, timestamp now) const {
  const customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  std::optional<std::uint32_t> best;
  for (const entry* it = c.entries.end(); it != c.recent_begin();) {
    --it;
    if (it->type == type && it->at <= now_s) {
      best = it->at;
      break;
    }
  }
  // The last one that aged out: older than the recent events, except after a prune (which ages
  // out by `now`, not by the newest event) followed by a late event of the type.
  const auto tagged = static_cast<type_id>(type | aged_tag);
  for (const entry* it = c.entries.begin(); it != c.recent_begin(); ++it) {
    if (it->type == tagged) {
      if (it->at <= now_s && (!best || it->at > *best)) best = it->at;
      break;
    }
  }
  return best ? std::optional(from_seconds(*best)) : std::nullopt;
}

std::vector<std::pair<event_windows::type_id, std::int64_t>> event_windows::counts(
    slot s, duration window, timestamp now) const {
  const customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  const std::int64_t from = window_start(now_s, window, horizon_s_);
  // The first 64 types (nearly every event in practice) are counted in an array and listed in
  // order by their bits; the others, rare, in a list sorted after.
  std::array<std::int64_t, 64> low{};
  std::uint64_t seen = 0;
  std::vector<std::pair<type_id, std::int64_t>> high;
  for (const entry* it = c.entries.end(); it != c.recent_begin();) {
    --it;
    if (it->at > now_s) continue;
    if (static_cast<std::int64_t>(it->at) < from) break;
    if (it->type < 64) {
      ++low[it->type];
      seen |= std::uint64_t{1} << it->type;
      continue;
    }
    auto same =
        std::find_if(high.begin(), high.end(), [&](const auto& p) { return p.first == it->type; });
    if (same == high.end()) {
      high.emplace_back(it->type, 1);
    } else {
      ++same->second;
    }
  }
  std::vector<std::pair<type_id, std::int64_t>> out;
  out.reserve(static_cast<std::size_t>(std::popcount(seen)) + high.size());
  for (std::uint64_t bits = seen; bits != 0; bits &= bits - 1) {
    const auto t = static_cast<type_id>(std::countr_zero(bits));
    out.emplace_back(t, low[t]);
  }
  std::sort(high.begin(), high.end());
  out.insert(out.end(), high.begin(), high.end());
  return out;
}

void event_windows::prune(slot s, timestamp now) {
  customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  if (now_s < horizon_s_) return;
  const auto keep = std::upper_bound(c.recent_begin(), c.entries.end(), now_s - horizon_s_,
                                     [](std::uint32_t v, const entry& e) { return v < e.at; });
  forget(s, static_cast<std::size_t>(keep - c.recent_begin()));
  c.entries.shrink_to_fit();
}

void event_windows::clear_events() noexcept {
  for (auto& c : data_) {
    c.entries.clear();
    c.entries.aged = 0;
  }
  events_ = 0;
}

std::size_t event_windows::event_bytes() const noexcept {
  std::size_t n = 0;
  for (const auto& c : data_)
    n += c.entries.on_heap() ? c.entries.capacity() * sizeof(entry) : 0;
  return n;
}

}  // namespace crmrules::tier
