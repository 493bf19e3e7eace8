#include "crmrules/sla/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace crmrules::sla {

namespace {
constexpr std::uint32_t late_bit = 0x80000000u;
constexpr std::uint32_t where_mask = ~late_bit;
}  // namespace

timer_wheel::timer_wheel(std::int64_t now_ms) : now_(std::max<std::int64_t>(0, now_ms)) {
  heads_.fill(none);
}

std::uint32_t timer_wheel::allocate() {
  if (free_ != none) {
    const std::uint32_t i = free_;
    free_ = nodes_[i].next;
    return i;
  }
  nodes_.push_back({0, none, none, 0, free_list});
  payloads_.push_back(0);
  seq_.push_back(0);
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void timer_wheel::link(std::uint32_t i) {
  node& n = nodes_[i];
  const std::uint32_t w = n.where & where_mask;
  n.prev = none;
  n.next = heads_[w];
  if (n.next != none) nodes_[n.next].prev = i;
  heads_[w] = i;
  if (w < due_list) occupied_[w / slots] |= std::uint64_t{1} << (w % slots);
}

void timer_wheel::unlink(std::uint32_t i) noexcept {
  node& n = nodes_[i];
  const std::uint32_t w = n.where & where_mask;
  if (n.prev != none) {
    nodes_[n.prev].next = n.next;
  } else {
    heads_[w] = n.next;
    if (n.next == none && w < due_list) occupied_[w / slots] &= ~(std::uint64_t{1} << (w % slots));
  }
  if (n.next != none) nodes_[n.next].prev = n.prev;
}

/// Puts node i in the slot its deadline falls in, seen from now (or the due list).
void timer_wheel::place(std::uint32_t i) {
  node& n = nodes_[i];
  const std::uint32_t late = n.where & late_bit;
  if (n.deadline <= now_) {
    n.where = due_list | late;
  } else {
    const auto diff = static_cast<std::uint64_t>(n.deadline ^ now_);
    const int top = 63 - std::countl_zero(diff);
    const int level = std::min(levels - 1, top / bits);
    const auto slot = static_cast<std::uint32_t>(
        (static_cast<std::uint64_t>(n.deadline) >> (bits * level)) & (slots - 1));
    n.where = (static_cast<std::uint32_t>(level) * slots + slot) | late;
  }
  link(i);
}

timer_wheel::handle timer_wheel::schedule(std::int64_t deadline_ms, std::uint64_t payload) {
  const std::uint32_t i = allocate();
  node& n = nodes_[i];
  n.deadline = std::max<std::int64_t>(0, deadline_ms);
  n.where = deadline_ms <= now_ ? late_bit : 0;
  payloads_[i] = payload;
  seq_[i] = next_seq_++;
  place(i);
  ++pending_;
  return {i, n.generation};
}

bool timer_wheel::cancel(handle h) noexcept {
  if (h.index >= nodes_.size()) return false;
  node& n = nodes_[h.index];
  if (n.generation != h.generation || (n.where & where_mask) == free_list) return false;
  unlink(h.index);
  n.where = free_list;
  ++n.generation;
  n.next = free_;
  free_ = h.index;
  --pending_;
  return true;
}

bool timer_wheel::reschedule(handle h, std::int64_t deadline_ms) {
  if (h.index >= nodes_.size()) return false;
  node& n = nodes_[h.index];
  if (n.generation != h.generation || (n.where & where_mask) == free_list) return false;
  unlink(h.index);
  n.deadline = std::max<std::int64_t>(0, deadline_ms);
  n.where = deadline_ms <= now_ ? late_bit : 0;
  seq_[h.index] = next_seq_++;
  place(h.index);
  return true;
}

std::size_t timer_wheel::advance(std::int64_t now_ms, std::vector<fired>& out) {
  const std::size_t first = out.size();
  auto emit = [&](std::uint32_t i) {
    node& n = nodes_[i];
    out.push_back({{i, n.generation}, payloads_[i], n.deadline, (n.where & late_bit) != 0});
    n.where = free_list;
    ++n.generation;
    n.next = free_;
    free_ = i;
    --pending_;
  };
  auto drain_due = [&] {
    for (std::uint32_t i = heads_[due_list]; i != none;) {
      const std::uint32_t next = nodes_[i].next;
      emit(i);
      i = next;
    }
    heads_[due_list] = none;
  };
  drain_due();
  const std::int64_t target = std::max(now_, now_ms);
  // Jump from event to event: the start of the earliest occupied slot after now's position,
  // at the lowest level that has one (levels are ordered: every timer of level L comes before
  // every timer of level L + 1).
  for (;;) {
    int level = -1;
    std::int64_t start = 0;
    for (int l = 0; l < levels; ++l) {
      const int pos =
          static_cast<int>((static_cast<std::uint64_t>(now_) >> (bits * l)) & (slots - 1));
      const std::uint64_t after = pos == slots - 1 ? 0 : ~std::uint64_t{0} << (pos + 1);
      const std::uint64_t mask = occupied_[static_cast<std::size_t>(l)] & after;
      if (mask == 0) continue;
      const int slot = std::countr_zero(mask);
      const int shift = bits * (l + 1);
      const std::uint64_t high =
          shift >= 64 ? 0 : (static_cast<std::uint64_t>(now_) >> shift) << shift;
      start = static_cast<std::int64_t>(high | (static_cast<std::uint64_t>(slot) << (bits * l)));
      level = l;
      break;
    }
    if (level < 0 || start > target) break;
    now_ = start;
    const std::uint32_t w =
        static_cast<std::uint32_t>(level) * slots +
        static_cast<std::uint32_t>((static_cast<std::uint64_t>(start) >> (bits * level)) &
                                   (slots - 1));
    std::uint32_t i = heads_[w];
    heads_[w] = none;
    occupied_[static_cast<std::size_t>(level)] &= ~(std::uint64_t{1} << (w % slots));
    while (i != none) {
      const std::uint32_t next = nodes_[i].next;
      if (level == 0 || nodes_[i].deadline <= now_) {
        emit(i);
      } else {
        place(i);  // cascade: to a lower level
      }
      i = next;
    }
  }
  now_ = target;
  // Deadline order, ties in scheduling order (seq is read before the nodes are reused: emit
  // only frees them, and nothing is scheduled while advancing).
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
            [&](const fired& a, const fired& b) {
              if (a.deadline_ms != b.deadline_ms) return a.deadline_ms < b.deadline_ms;
              return seq_[a.id.index] < seq_[b.id.index];
            });
  return out.size() - first;
}

std::int64_t timer_wheel::next_deadline_ms() const noexcept {
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  for (std::uint32_t i = heads_[due_list]; i != none; i = nodes_[i].next)
    best = std::min(best, nodes_[i].deadline);
  if (best != std::numeric_limits<std::int64_t>::max()) return best;
  for (int l = 0; l < levels; ++l) {
    const std::uint64_t mask = occupied_[static_cast<std::size_t>(l)];
    if (mask == 0) continue;
    // Occupied slots all lie after now's position at their level: the lowest is the earliest.
    const int pos =
        static_cast<int>((static_cast<std::uint64_t>(now_) >> (bits * l)) & (slots - 1));
    const std::uint64_t after = pos == slots - 1 ? 0 : ~std::uint64_t{0} << (pos + 1);
    const std::uint64_t m = mask & after;
    const int slot = std::countr_zero(m != 0 ? m : mask);
    for (std::uint32_t i =
             heads_[static_cast<std::uint32_t>(l) * slots + static_cast<std::uint32_t>(slot)];
         i != none; i = nodes_[i].next)
      best = std::min(best, nodes_[i].deadline);
    return best;
  }
  return best;
}

std::size_t timer_wheel::bytes_per_slot() const noexcept {
  return sizeof(node) + sizeof(std::uint64_t) * 2;  // node, payload, sequence
}

}  // namespace crmrules::sla
