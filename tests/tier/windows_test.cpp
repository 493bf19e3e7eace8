// Rolling-window event counts: exact at the window's edges (to the second), events in any
// order, the horizon and the per-type cap bounding memory, and counts that agree with a
// brute-force count over the raw events.
#include "crmrules/tier/windows.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

using namespace crmrules;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = *parse_timestamp("2026-11-01T10:00:00+08:00");

}  // namespace

TEST_CASE("a window counts events in (now - window, now], to the second", "[tier][windows]") {
  tier::event_windows w;
  const auto c = w.slot_of("C1");
  const auto visit = *w.intern("site_visit");
  w.add(c, visit, t0);
  CHECK(w.count(c, visit, 30 * 24h, t0) == 1);
  CHECK(w.count(c, visit, 30 * 24h, t0 + 30 * 24h - 1s) == 1);
  CHECK(w.count(c, visit, 30 * 24h, t0 + 30 * 24h) == 0);
  CHECK(w.count(c, visit, 30 * 24h, t0 - 1s) == 0);  // not yet happened at that `now`
  CHECK(w.count(c, visit, 1s, t0) == 1);
  CHECK(w.last(c, visit, t0 + 100 * 24h) == std::optional(t0));
  CHECK_FALSE(w.last(c, visit, t0 - 1s));
  CHECK(w.find("C1") == std::optional<tier::event_windows::slot>(c));
  CHECK_FALSE(w.find("C2"));
  CHECK(w.type_of("site_visit") == std::optional<tier::event_windows::type_id>(visit));
  CHECK_FALSE(w.type_of("demo_attended"));
}

TEST_CASE("events arriving out of order are counted where they belong", "[tier][windows]") {
  tier::event_windows w;
  const auto c = w.slot_of("C1");
  const auto call = *w.intern("call");
  const auto wechat = *w.intern("wechat_message");
  w.add(c, call, t0 + 5 * 24h);
  w.add(c, wechat, t0 + 24h);  // late arrival
  w.add(c, call, t0 + 2 * 24h);
  CHECK(w.count(c, call, 7 * 24h, t0 + 6 * 24h) == 2);
  CHECK(w.count(c, call, 3 * 24h, t0 + 6 * 24h) == 1);
  CHECK(w.count(c, wechat, 7 * 24h, t0 + 6 * 24h) == 1);
  CHECK(w.count_between(c, call, t0 + 2 * 24h, t0 + 3 * 24h) == 1);
  CHECK(w.count_between(c, call, t0 + 2 * 24h + 1s, t0 + 5 * 24h) == 0);  // [from, to)
  const auto all = w.counts(c, 7 * 24h, t0 + 6 * 24h);
  REQUIRE(all.size() == 2);
  CHECK(all[0] == std::pair<tier::event_windows::type_id, std::int64_t>{call, 2});
  CHECK(w.last(c, call, t0 + 3 * 24h) == std::optional(t0 + 2 * 24h));
  CHECK(w.events() == 3);
}

TEST_CASE("the horizon and the per-type cap bound what a customer keeps", "[tier][windows]") {
  tier::window_options o;
  o.horizon = 10 * 24h;
  o.cap_per_type = 5;
  tier::event_windows w(o);
  const auto c = w.slot_of("C1");
  const auto visit = *w.intern("site_visit");
  const auto quote = *w.intern("quote_request");
  w.add(c, quote, t0);
  for (int i = 0; i < 8; ++i)
    w.add(c, visit, t0 + 24h + std::chrono::minutes(i));
  CHECK(w.count(c, visit, 10 * 24h, t0 + 2 * 24h) == 5);  // the cap: the newest five
  CHECK(w.count(c, quote, 10 * 24h, t0 + 2 * 24h) == 1);
  // A window longer than the horizon counts only the horizon.
  CHECK(w.count(c, quote, 30 * 24h, t0 + 9 * 24h) == 1);
  // An event 10 days after the quote pushes the quote out; its last time is still known.
  w.add(c, visit, t0 + 10 * 24h);
  CHECK(w.count(c, quote, 10 * 24h, t0 + 10 * 24h) == 0);
  CHECK(w.last(c, quote, t0 + 10 * 24h) == std::optional(t0));
  CHECK(w.events() == 5);
  w.prune(c, t0 + 40 * 24h);
  CHECK(w.events() == 0);
  CHECK(w.last(c, visit, t0 + 40 * 24h) == std::optional(t0 + 10 * 24h));
  w.clear_events();
  CHECK_FALSE(w.last(c, visit, t0 + 40 * 24h));
}

TEST_CASE("window counts agree with a brute-force count over the raw events", "[tier][windows]") {
  std::mt19937_64 rng(20261123);
  tier::event_windows w;
  struct raw {
    std::uint32_t customer;
    tier::event_windows::type_id type;
    timestamp at;
  };
  std::vector<raw> events;
  const char* types[] = {"site_visit", "whitepaper_download", "demo_attended", "call"};
  for (int c = 0; c < 50; ++c)
    (void)w.slot_of("C" + std::to_string(c));
  for (const char* t : types)
    (void)w.intern(t);
  timestamp newest = t0;
  for (int i = 0; i < 5000; ++i) {
    const auto c = static_cast<std::uint32_t>(rng() % 50);
    const auto type = static_cast<tier::event_windows::type_id>(rng() % 4);
    // Mostly forward in time, sometimes a late arrival up to two days back.
    const timestamp at = t0 + std::chrono::seconds(static_cast<std::int64_t>(i) * 997) -
                         std::chrono::seconds(static_cast<std::int64_t>(rng() % 172800));
    w.add(c, type, at);
    events.push_back({c, type, at});
    newest = std::max(newest, at);
  }
  for (int q = 0; q < 2000; ++q) {
    const auto c = static_cast<std::uint32_t>(rng() % 50);
    const auto type = static_cast<tier::event_windows::type_id>(rng() % 4);
    const duration window = std::chrono::seconds(1 + static_cast<std::int64_t>(rng() % 7776000));
    const timestamp now = newest + std::chrono::seconds(static_cast<std::int64_t>(rng() % 864000));
    std::int64_t expected = 0;
    for (const raw& e : events) {
      const auto floor_s = [](timestamp t) { return std::chrono::floor<std::chrono::seconds>(t); };
      if (e.customer == c && e.type == type && floor_s(e.at) <= floor_s(now) &&
          floor_s(e.at) > floor_s(now) - window)
        ++expected;
    }
    INFO("customer " << c << " type " << type << " window " << window.count());
    REQUIRE(w.count(c, type, window, now) == expected);
  }
}

TEST_CASE("the last time of a type survives its events ageing out, one after another",
          "[tier][windows]") {
  tier::event_windows w;  // 90-day horizon
  const auto c = w.slot_of("C1");
  const auto visit = *w.intern("site_visit"), call = *w.intern("call");
  w.add(c, visit, t0);
  w.add(c, visit, t0 + 10 * 24h);
  w.add(c, call, t0 + 20 * 24h);
  // The first visit ages out while the second stays recent: last() still reads the second.
  w.add(c, call, t0 + 95 * 24h);
  CHECK(w.last(c, visit, t0 + 95 * 24h) == std::optional(t0 + 10 * 24h));
  // Now the second ages out too, and the first call: both remembered apart.
  w.add(c, call, t0 + 200 * 24h);
  CHECK(w.count(c, visit, 90 * 24h, t0 + 200 * 24h) == 0);
  CHECK(w.last(c, visit, t0 + 200 * 24h) == std::optional(t0 + 10 * 24h));
  CHECK(w.last(c, call, t0 + 200 * 24h) == std::optional(t0 + 200 * 24h));
  w.prune(c, t0 + 400 * 24h);
  CHECK(w.events() == 0);
  CHECK(w.last(c, call, t0 + 400 * 24h) == std::optional(t0 + 200 * 24h));
}

TEST_CASE("last times agree with the raw events over a year of sparse events", "[tier][windows]") {
  std::mt19937_64 rng(11);
  tier::event_windows w;
  const char* types[] = {"site_visit", "whitepaper_download", "demo_attended", "call", "quote"};
  for (int c = 0; c < 20; ++c)
    (void)w.slot_of("C" + std::to_string(c));
  for (const char* t : types)
    (void)w.intern(t);
  std::vector<std::vector<std::optional<timestamp>>> last(20,
                                                          std::vector<std::optional<timestamp>>(5));
  timestamp at = t0;
  for (int i = 0; i < 3000; ++i) {
    at += std::chrono::seconds(static_cast<std::int64_t>(rng() % 21600));  // a year in all
    const auto c = static_cast<std::uint32_t>(rng() % 20);
    // Rare types age out of the horizon often; common ones stay recent.
    const auto type = static_cast<tier::event_windows::type_id>(rng() % 8 < 4 ? 0 : rng() % 5);
    w.add(c, type, at);
    last[c][type] = at;
    if (i % 100 == 99) {
      for (std::uint32_t k = 0; k < 20; ++k) {
        for (tier::event_windows::type_id t = 0; t < 5; ++t) {
          INFO("after event " << i << ", customer " << k << " type " << t);
          std::optional<timestamp> expected;
          if (last[k][t]) expected = std::chrono::floor<std::chrono::seconds>(*last[k][t]);
          REQUIRE(w.last(k, t, at) == expected);
        }
      }
    }
  }
}

TEST_CASE("counts and last times agree with the raw events when late events and many types age out",
          "[tier][windows]") {
  // Forty types (more aged-out last times than a customer's block holds in place), events two
  // years long, and one in five arriving late, up to 200 days back: often older than the
  // horizon already, so forgotten as soon as it comes, next to an aged-out time of its type.
  std::mt19937_64 rng(20261123);
  tier::event_windows w;
  constexpr int customers = 8, types = 40;
  for (int c = 0; c < customers; ++c)
    (void)w.slot_of("C" + std::to_string(c));
  for (int t = 0; t < types; ++t)
    (void)w.intern("type" + std::to_string(t));
  struct raw {
    std::uint32_t customer;
    tier::event_windows::type_id type;
    timestamp at;
  };
  std::vector<raw> events;
  std::vector<timestamp> newest(customers, t0);
  timestamp clock = t0;
  const auto floor_s = [](timestamp t) { return std::chrono::floor<std::chrono::seconds>(t); };
  for (int i = 0; i < 6000; ++i) {
    clock += std::chrono::seconds(static_cast<std::int64_t>(rng() % 21000));
    const auto c = static_cast<std::uint32_t>(rng() % customers);
    const auto type = static_cast<tier::event_windows::type_id>(
        rng() % 2 == 0 ? rng() % 4 : rng() % types);  // a few common types, many rare ones
    const timestamp at =
        rng() % 5 == 0 ? clock - std::chrono::seconds(static_cast<std::int64_t>(rng() % 17280000))
                       : clock;
    w.add(c, type, at);
    events.push_back({c, type, at});
    newest[c] = std::max(newest[c], at);
    if (i % 500 != 499) continue;
    for (std::uint32_t k = 0; k < customers; ++k) {
      const timestamp now = newest[k];
      for (tier::event_windows::type_id t = 0; t < types; ++t) {
        std::optional<timestamp> last;
        std::int64_t in_30d = 0, in_90d = 0;
        for (const raw& e : events) {
          if (e.customer != k || e.type != t) continue;
          if (!last || e.at > *last) last = e.at;
          in_30d += floor_s(e.at) > floor_s(now) - 30 * 24h ? 1 : 0;
          in_90d += floor_s(e.at) > floor_s(now) - 90 * 24h ? 1 : 0;
        }
        INFO("after event " << i << ", customer " << k << " type " << t);
        REQUIRE(w.last(k, t, now) == (last ? std::optional(floor_s(*last)) : std::nullopt));
        REQUIRE(w.count(k, t, 30 * 24h, now) == in_30d);
        REQUIRE(w.count(k, t, 90 * 24h, now) == in_90d);
      }
    }
  }
  CHECK(w.event_bytes() > 0);  // some customers spilled past their block
}

TEST_CASE("the owner's words of a customer stay through events, ageing, clearing and moves",
          "[tier][windows]") {
  tier::event_windows w;
  const auto a = w.slot_of("A"), b = w.slot_of("B");
  CHECK(w.user_words(a)[0] == 0);
  CHECK(w.user_words(a)[1] == 0);
  w.user_words(a)[0] = 7;
  w.user_words(a)[1] = 0xF0F0;
  w.user_words(b)[1] = 3;
  const auto visit = *w.intern("site_visit");
  for (int i = 0; i < 60; ++i)  // past the block's room, and past the horizon
    w.add(a, visit, t0 + i * 5 * 24h);
  w.prune(a, t0 + 400 * 24h);
  CHECK(w.user_words(a)[0] == 7);
  CHECK(w.user_words(a)[1] == 0xF0F0);
  w.clear_events();
  CHECK(w.user_words(a)[0] == 7);
  tier::event_windows moved(std::move(w));
  CHECK(moved.user_words(*moved.find("A"))[1] == 0xF0F0);
  CHECK(moved.user_words(*moved.find("B"))[1] == 3);
  CHECK(moved.last(*moved.find("A"), visit, t0 + 400 * 24h) == std::nullopt);
}

TEST_CASE("the last time stays the latest when a late event comes after a prune aged its type out",
          "[tier][windows]") {
  // A prune ages events out by `now`, not by the newest event: a late event older than the
  // remembered last time can then still be recent, and must not hide it.
  tier::event_windows w;  // 90-day horizon
  const auto c = w.slot_of("C1");
  const auto x = *w.intern("site_visit"), y = *w.intern("call");
  w.add(c, x, t0 + 50 * 24h);
  w.add(c, y, t0 + 60 * 24h);
  w.prune(c, t0 + 145 * 24h);  // x (day 50) ages out, y (day 60) stays
  CHECK(w.last(c, x, t0 + 145 * 24h) == std::optional(t0 + 50 * 24h));
  w.add(c, x, t0 + 40 * 24h);  // late, and within the horizon of the newest event (day 60)
  CHECK(w.last(c, x, t0 + 145 * 24h) == std::optional(t0 + 50 * 24h));
  CHECK(w.last(c, x, t0 + 45 * 24h) == std::optional(t0 + 40 * 24h));
  CHECK(w.last(c, x, t0 + 30 * 24h) == std::nullopt);
  CHECK(w.count(c, x, 90 * 24h, t0 + 100 * 24h) == 1);  // the late one; the aged one is no event
}

TEST_CASE("counts list every type in the window in type order, past the first 64 types too",
          "[tier][windows]") {
  std::mt19937_64 rng(20261124);
  tier::event_windows w;
  constexpr int types = 150;
  const auto s = w.slot_of("C1");
  for (int t = 0; t < types; ++t)
    (void)w.intern("t" + std::to_string(t));
  const timestamp now = t0 + 100 * 24h;
  for (int i = 0; i < 400; ++i) {
    const auto type = static_cast<tier::event_windows::type_id>(
        rng() % 3 == 0 ? rng() % 5 : rng() % types);  // ids below and above 64
    w.add(s, type, now - std::chrono::seconds(static_cast<std::int64_t>(rng() % 7776000)));
  }
  for (const duration window : {duration(24h), duration(30 * 24h), duration(90 * 24h)}) {
    const auto counts = w.counts(s, window, now);
    std::vector<std::pair<tier::event_windows::type_id, std::int64_t>> expected;
    for (tier::event_windows::type_id t = 0; t < types; ++t) {
      if (const auto n = w.count(s, t, window, now); n > 0) expected.emplace_back(t, n);
    }
    CHECK(counts == expected);
    if (window < 30 * 24h) continue;  // a day holds a few events
    REQUIRE(expected.size() > 10);
    CHECK(
        std::any_of(expected.begin(), expected.end(), [](const auto& p) { return p.first >= 64; }));
  }
}

TEST_CASE("type names alike in length and ends are told apart", "[tier][windows]") {
  // The small cache in front of the type table is indexed by a name's length and ends only.
  tier::event_windows w;
  const auto a = w.intern("axb"), b = w.intern("ayb"), c = w.intern("azb");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a != *b);
  CHECK(*b != *c);
  CHECK(w.type_of("axb") == a);
  CHECK(w.type_of("ayb") == b);
  CHECK(w.type_of("azb") == c);
  CHECK(w.intern("axb") == a);  // found again, not added twice
  CHECK_FALSE(w.type_of("awb"));
  CHECK_FALSE(w.type_of(""));
  const auto empty = w.intern("");
  REQUIRE(empty);
  CHECK(w.type_of("") == empty);
  CHECK(w.intern("ayb") == b);  // now "ayb" holds the shared cache entry
  CHECK(w.type_of("axb") == a);
  CHECK(w.type_of("azb") == c);
  tier::event_windows moved(std::move(w));
  CHECK(moved.type_of("ayb") == b);
  CHECK(moved.type_of("axb") == a);
  CHECK(moved.type_of("") == empty);
  CHECK_FALSE(w.type_of("ayb"));  // NOLINT(bugprone-use-after-move): moved-from is empty
}

TEST_CASE("counts asked together agree with counts asked one by one, at every size of set",
          "[tier][windows]") {
  std::mt19937_64 rng(20261125);
  tier::event_windows w;  // 90-day horizon
  constexpr int types = 120;
  for (int c = 0; c < 5; ++c)
    (void)w.slot_of("C" + std::to_string(c));
  for (int t = 0; t < types; ++t)
    (void)w.intern("t" + std::to_string(t));
  const timestamp now = t0 + 200 * 24h;
  for (int i = 0; i < 3000; ++i) {
    const auto s = static_cast<tier::event_windows::slot>(rng() % 5);
    // Types below and above 64; times over 120 days, some after `now` (a clock behind).
    const auto type =
        static_cast<tier::event_windows::type_id>(rng() % 2 == 0 ? rng() % 6 : rng() % types);
    w.add(s, type, now + 2h - std::chrono::seconds(static_cast<std::int64_t>(rng() % 10368000)));
  }
  // Windows at the edges: none, negative, under a second, a second, the horizon and past it.
  const std::vector<duration> windows = {
      duration::zero(),        -duration(1h),      std::chrono::milliseconds(500),
      std::chrono::seconds(1), duration(7 * 24h),  duration(30 * 24h),
      duration(90 * 24h),      duration(120 * 24h)};
  // Sets of every size: one query, a policy's handful, and more cells than one pass holds.
  for (const std::size_t size : {1, 7, 40, 600}) {
    std::vector<tier::event_windows::count_query> queries;
    for (std::size_t i = 0; i < size; ++i) {
      const auto type =
          static_cast<tier::event_windows::type_id>(size <= 7 ? rng() % 6 : rng() % types);
      const duration window =
          rng() % 4 == 0 ? windows[rng() % windows.size()]
                         : std::chrono::seconds(1 + static_cast<std::int64_t>(rng() % 10368000));
      queries.push_back({type, window});
    }
    const tier::event_windows::count_set set(queries);
    REQUIRE(set.size() == size);
    std::vector<std::int64_t> out(size, -1);
    for (tier::event_windows::slot s = 0; s < 5; ++s) {
      for (const timestamp at : {now, now - 50 * 24h, now + 1h}) {
        w.count_many(s, set, at, out);
        for (std::size_t i = 0; i < size; ++i) {
          INFO("set of " << size << ", query " << i << ": type " << queries[i].type << ", window "
                         << queries[i].window.count() << "us");
          REQUIRE(out[i] == w.count(s, queries[i].type, queries[i].window, at));
        }
      }
    }
  }
  // An empty set counts nothing.
  w.count_many(0, tier::event_windows::count_set{}, now, {});
}

TEST_CASE("a steady stream ageing out keeps exact counts, in place and on the heap, across moves",
          "[tier][windows]") {
  // One event every 100 hours (about 21 in the 90-day horizon: in place) for one customer and
  // one every 40 minutes (over 3,000: on the heap) for another, over two years: the oldest
  // age out at nearly every event, so the kept events drift through their storage and are
  // moved back to its start again and again.
  tier::event_windows w;
  const auto few = w.slot_of("few"), many = w.slot_of("many");
  const char* types[] = {"a", "b", "c"};
  for (const char* t : types)
    (void)w.intern(t);
  struct raw {
    tier::event_windows::slot s;
    tier::event_windows::type_id type;
    timestamp at;
  };
  std::vector<raw> events;
  // From the raw events: the count of `who`'s events of type t in (now - window, now], and
  // the last one's time (every event is at or before `now`).
  const auto expected = [&events](tier::event_windows::slot who, tier::event_windows::type_id t,
                                  duration window, timestamp now) {
    std::pair<std::int64_t, std::optional<timestamp>> r{0, std::nullopt};
    for (const raw& e : events) {
      if (e.s != who || e.type != t) continue;
      if (e.at > now - window) ++r.first;
      r.second = e.at;
    }
    return r;
  };
  std::mt19937_64 rng(7);
  timestamp at = t0;
  const timestamp end = t0 + 730 * 24h;
  std::int64_t step = 0;
  while (at < end) {
    const bool to_few = step % 150 == 0;
    const auto s = to_few ? few : many;
    const auto type = static_cast<tier::event_windows::type_id>(rng() % 3);
    w.add(s, type, at);
    events.push_back({s, type, at});
    ++step;
    at += 40min;
    if (step % 5000 == 0) {  // a move of the whole object
      tier::event_windows moved(std::move(w));
      w = std::move(moved);
    }
    if (step % 1000 == 0)  // new customers: the blocks move, their events part-way drifted
      (void)w.slot_of("extra" + std::to_string(step));
    if (step % 97 != 0 && !to_few) continue;
    for (const auto who : {few, many}) {
      for (tier::event_windows::type_id t = 0; t < 3; ++t) {
        const auto [count, last] = expected(who, t, 30 * 24h, at);
        INFO("step " << step << " customer " << who << " type " << t);
        REQUIRE(w.count(who, t, 30 * 24h, at) == count);
        REQUIRE(w.last(who, t, at) == last);
      }
    }
  }
  CHECK(w.events() < 3500);  // the horizon's worth, not two years'
  // A sweep 89.5 days on leaves the last half day's events: the heap customer's go back in
  // place.
  const timestamp later = at + 89 * 24h + 12h;
  for (const auto who : {few, many}) {
    w.prune(who, later);
    for (tier::event_windows::type_id t = 0; t < 3; ++t) {
      const auto [count, last] = expected(who, t, 90 * 24h, later);
      CHECK(w.count(who, t, 90 * 24h, later) == count);
      CHECK(w.last(who, t, later) == last);
    }
  }
  CHECK(w.event_bytes() == 0);
}
