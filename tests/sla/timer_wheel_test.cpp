// The timing wheel against a reference (an ordered map), over random schedules, cancels,
// reschedules and advances: the same timers fire, in the same order, at the same advances.
#include "crmrules/sla/timer_wheel.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <tuple>
#include <vector>

using crmrules::sla::timer_wheel;

TEST_CASE("due timers fire in deadline order, ties in scheduling order; past deadlines are late",
          "[sla][wheel]") {
  timer_wheel w(1000);
  const auto a = w.schedule(5000, 1);
  const auto b = w.schedule(2000, 2);
  const auto c = w.schedule(2000, 3);
  const auto d = w.schedule(500, 4);  // already past
  w.schedule(1000000000, 5);          // far away (level > 0)
  CHECK(w.pending() == 5);
  CHECK(w.next_deadline_ms() == 500);
  std::vector<timer_wheel::fired> out;
  CHECK(w.advance(1999, out) == 1);
  CHECK(out[0].payload == 4);
  CHECK(out[0].late);
  out.clear();
  CHECK(w.advance(2000, out) == 2);
  CHECK(out[0].payload == 2);
  CHECK(out[1].payload == 3);
  CHECK_FALSE(out[0].late);
  CHECK(w.cancel(a));
  CHECK_FALSE(w.cancel(a));  // twice
  CHECK_FALSE(w.cancel(b));  // fired
  CHECK_FALSE(w.cancel(d));
  (void)c;
  out.clear();
  CHECK(w.advance(999999999, out) == 0);
  CHECK(w.next_deadline_ms() == 1000000000);
  CHECK(w.advance(1000000000, out) == 1);
  CHECK(out[0].payload == 5);
  CHECK(w.pending() == 0);
  CHECK(w.bytes_per_slot() <= 48);
}

TEST_CASE("the wheel agrees with an ordered map over random operations", "[sla][wheel]") {
  std::mt19937_64 rng(20261123);
  for (int round = 0; round < 20; ++round) {
    const std::int64_t start = static_cast<std::int64_t>(rng() % 2'000'000'000'000ULL);
    timer_wheel w(start);
    std::int64_t now = start;
    std::uint64_t seq = 0;
    // reference: (deadline, seq) -> (payload, handle)
    std::map<std::pair<std::int64_t, std::uint64_t>, std::pair<std::uint64_t, timer_wheel::handle>>
        ref;
    std::vector<std::pair<std::pair<std::int64_t, std::uint64_t>, timer_wheel::handle>> live;
    auto horizon = [&]() -> std::int64_t {
      switch (rng() % 5) {
        case 0:
          return static_cast<std::int64_t>(rng() % 64);
        case 1:
          return static_cast<std::int64_t>(rng() % 5000);
        case 2:
          return static_cast<std::int64_t>(rng() % 300'000);
        case 3:
          return static_cast<std::int64_t>(rng() % 100'000'000);
        default:
          return static_cast<std::int64_t>(rng() % 40'000'000'000LL) - 1000;
      }
    };
    for (int op = 0; op < 4000; ++op) {
      const auto r = rng() % 10;
      if (r < 5) {
        const std::int64_t deadline = std::max<std::int64_t>(0, now + horizon());
        const std::uint64_t payload = rng();
        const auto h = w.schedule(deadline, payload);
        const auto key = std::make_pair(std::max(deadline, std::int64_t{0}), seq++);
        ref.emplace(key, std::make_pair(payload, h));
        live.emplace_back(key, h);
      } else if (r < 7 && !live.empty()) {
        const std::size_t k = rng() % live.size();
        const auto [key, h] = live[k];
        const bool was = ref.count(key) != 0;
        CHECK(w.cancel(h) == was);
        ref.erase(key);
        live[k] = live.back();
        live.pop_back();
      } else if (r < 8 && !live.empty()) {
        const std::size_t k = rng() % live.size();
        auto& [key, h] = live[k];
        const auto it = ref.find(key);
        const std::int64_t deadline = std::max<std::int64_t>(0, now + horizon());
        const bool ok = w.reschedule(h, deadline);
        CHECK(ok == (it != ref.end()));
        if (it != ref.end()) {
          const auto payload = it->second.first;
          ref.erase(it);
          key = std::make_pair(deadline, seq++);
          ref.emplace(key, std::make_pair(payload, h));
        }
      } else {
        now += horizon() / ((rng() % 4) + 1);
        if (now < w.now_ms()) now = w.now_ms();
        std::vector<timer_wheel::fired> out;
        w.advance(now, out);
        std::vector<std::uint64_t> want;
        while (!ref.empty() && ref.begin()->first.first <= now) {
          want.push_back(ref.begin()->second.first);
          ref.erase(ref.begin());
        }
        std::vector<std::uint64_t> got;
        for (const auto& f : out)
          got.push_back(f.payload);
        REQUIRE(got == want);
      }
      REQUIRE(w.pending() == ref.size());
      if (!ref.empty()) {
        REQUIRE(w.next_deadline_ms() == ref.begin()->first.first);
      }
    }
  }
}
