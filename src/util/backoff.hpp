// Internal: waiting after a lost optimistic-concurrency race.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>

namespace crmrules::detail {

/// After a lost race: waits a random time that grows with `attempt` (up to about 2 ms), so
/// that callers who keep choosing the same record spread out instead of colliding again.
inline void conflict_backoff(int attempt) {
  thread_local std::minstd_rand rng(
      static_cast<std::uint32_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  const int shift = std::clamp(attempt, 0, 11);
  const auto limit = std::uint32_t{1} << shift;  // microseconds
  std::this_thread::sleep_for(std::chrono::microseconds(rng() % limit));
}

}  // namespace crmrules::detail
