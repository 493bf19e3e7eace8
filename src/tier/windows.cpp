#include "crmrules/tier/windows.hpp"

#include <algorithm>
#include <limits>

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

event_windows::event_windows(window_options o)
    : opts_(o),
      horizon_s_(static_cast<std::uint32_t>(std::clamp<std::int64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(o.horizon).count(), 1,
          std::numeric_limits<std::uint32_t>::max()))) {
  if (opts_.cap_per_type == 0) opts_.cap_per_type = 1;
}

event_windows::slot event_windows::slot_of(std::string_view id) {
  if (const auto it = slots_.find(id); it != slots_.end()) return it->second;
  const auto s = static_cast<slot>(ids_.size());
  ids_.emplace_back(id);
  data_.emplace_back();
  slots_.emplace(std::string(id), s);
  return s;
}

std::optional<event_windows::slot> event_windows::find(std::string_view id) const {
  const auto it = slots_.find(id);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

std::optional<event_windows::type_id> event_windows::intern(std::string_view name) {
  if (const auto it = type_ids_.find(name); it != type_ids_.end()) return it->second;
  if (types_.size() >= max_types) return std::nullopt;
  const auto t = static_cast<type_id>(types_.size());
  types_.emplace_back(name);
  type_ids_.emplace(std::string(name), t);
  return t;
}

std::optional<event_windows::type_id> event_windows::type_of(std::string_view name) const {
  const auto it = type_ids_.find(name);
  if (it == type_ids_.end()) return std::nullopt;
  return it->second;
}

void event_windows::add(slot s, type_id type, timestamp at) {
  customer_events& c = data_[s];
  const std::uint32_t sec = to_seconds(at);
  // Most events arrive in time order: append; a late one is inserted in place.
  if (c.recent.empty() || c.recent.back().at <= sec) {
    c.recent.push_back({sec, type});
  } else {
    const auto pos = std::upper_bound(c.recent.begin(), c.recent.end(), sec,
                                      [](std::uint32_t v, const entry& e) { return v < e.at; });
    c.recent.insert(pos, {sec, type});
  }
  ++events_;
  auto last = std::find_if(c.last.begin(), c.last.end(),
                           [type](const last_seen& l) { return l.type == type; });
  if (last == c.last.end()) {
    c.last.push_back({type, sec});
  } else if (last->at < sec) {
    last->at = sec;
  }
  trim(c, c.recent.back().at, type);
}

void event_windows::trim(customer_events& c, std::uint32_t newest, type_id type) {
  // Older than the horizon before the newest event: no window can reach them any more.
  if (newest >= horizon_s_ && !c.recent.empty() && c.recent.front().at <= newest - horizon_s_) {
    const auto keep = std::upper_bound(
        c.recent.begin(), c.recent.end(), newest - horizon_s_,
        [](std::uint32_t v, const entry& e) { return v < e.at; });
    events_ -= static_cast<std::size_t>(keep - c.recent.begin());
    c.recent.erase(c.recent.begin(), keep);
  }
  if (c.recent.size() <= opts_.cap_per_type) return;
  std::size_t same = 0;
  for (const entry& e : c.recent)
    same += e.type == type ? 1 : 0;
  if (same <= opts_.cap_per_type) return;
  const auto oldest = std::find_if(c.recent.begin(), c.recent.end(),
                                   [type](const entry& e) { return e.type == type; });
  c.recent.erase(oldest);
  --events_;
}

std::int64_t event_windows::count(slot s, type_id type, duration window, timestamp now) const {
  const customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  const std::int64_t from = window_start(now_s, window, horizon_s_);
  std::int64_t n = 0;
  for (auto it = c.recent.rbegin(); it != c.recent.rend(); ++it) {
    if (it->at > now_s) continue;  // after `now` (a replay, a clock behind the events)
    if (static_cast<std::int64_t>(it->at) < from) break;
    n += it->type == type ? 1 : 0;
  }
  return n;
}

std::int64_t event_windows::count_between(slot s, type_id type, timestamp from,
                                          timestamp to) const {
  const customer_events& c = data_[s];
  const std::uint32_t a = to_seconds(from), b = to_seconds(to);
  auto it = std::lower_bound(c.recent.begin(), c.recent.end(), a,
                             [](const entry& e, std::uint32_t v) { return e.at < v; });
  std::int64_t n = 0;
  for (; it != c.recent.end() && it->at < b; ++it)
    n += it->type == type ? 1 : 0;
  return n;
}

std::optional<timestamp> event_windows::last(slot s, type_id type, timestamp now) const {
  const customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  for (const last_seen& l : c.last) {
    if (l.type != type) continue;
    if (l.at <= now_s) return from_seconds(l.at);
    // The last one is after `now`: the latest kept one at or before it, if any.
    for (auto it = c.recent.rbegin(); it != c.recent.rend(); ++it) {
      if (it->type == type && it->at <= now_s) return from_seconds(it->at);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::vector<std::pair<event_windows::type_id, std::int64_t>> event_windows::counts(
    slot s, duration window, timestamp now) const {
  const customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  const std::int64_t from = window_start(now_s, window, horizon_s_);
  std::vector<std::pair<type_id, std::int64_t>> out;
  for (auto it = c.recent.rbegin(); it != c.recent.rend(); ++it) {
    if (it->at > now_s) continue;
    if (static_cast<std::int64_t>(it->at) < from) break;
    auto slot_it = std::find_if(out.begin(), out.end(),
                                [&](const auto& p) { return p.first == it->type; });
    if (slot_it == out.end()) {
      out.emplace_back(it->type, 1);
    } else {
      ++slot_it->second;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void event_windows::prune(slot s, timestamp now) {
  customer_events& c = data_[s];
  const std::uint32_t now_s = to_seconds(now);
  if (now_s < horizon_s_) return;
  const auto keep =
      std::upper_bound(c.recent.begin(), c.recent.end(), now_s - horizon_s_,
                       [](std::uint32_t v, const entry& e) { return v < e.at; });
  events_ -= static_cast<std::size_t>(keep - c.recent.begin());
  c.recent.erase(c.recent.begin(), keep);
  if (c.recent.capacity() > 2 * c.recent.size() + 8) c.recent.shrink_to_fit();
}

void event_windows::clear_events() noexcept {
  for (auto& c : data_) {
    c.recent.clear();
    c.last.clear();
  }
  events_ = 0;
}

std::size_t event_windows::event_bytes() const noexcept {
  std::size_t n = 0;
  for (const auto& c : data_)
    n += c.recent.capacity() * sizeof(entry) + c.last.capacity() * sizeof(last_seen);
  return n;
}

}  // namespace crmrules::tier
