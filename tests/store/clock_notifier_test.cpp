#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "crmrules/store/clock.hpp"
#include "crmrules/store/notifier.hpp"

using namespace crmrules;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_CASE("a manual clock moves only when told", "[clock]") {
  const timestamp start = *parse_timestamp("2026-11-20T09:00:00+08:00");
  manual_clock clk(start);
  CHECK(clk.now() == start);
  clk.advance(hours(2));
  CHECK(clk.now() == start + hours(2));
  clk.set(start);
  CHECK(clk.now() == start);
  clk.advance(-minutes(5));
  CHECK(clk.now() == start - minutes(5));
}

TEST_CASE("the system clock reads the wall clock", "[clock]") {
  crmrules::system_clock clk;
  const auto before = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
  const auto t = clk.now();
  CHECK(t >= before);
  CHECK(t - before < seconds(5));
}

TEST_CASE("an engine-facing clock reference works polymorphically", "[clock]") {
  manual_clock m(*parse_timestamp("2026-01-01"));
  const crmrules::clock& c = m;
  CHECK(format_timestamp(c.now()) == "2026-01-01T00:00:00Z");
}

TEST_CASE("a notifier refuses a notification without a topic and counts outcomes", "[notifier]") {
  memory_notifier n;
  notification x;
  x.message = "hello";
  CHECK(n.notify(x).is_invalid_argument());
  x.topic = "assign.unrouted_channel";
  x.level = notification_level::alert;
  x.subject = {record_kind::lead, "fb_1"};
  x.recipients = {"sales_director"};
  CHECK(n.notify(x).ok());
  CHECK(n.delivered() == 1);
  CHECK(n.failed() == 1);
  REQUIRE(n.size() == 1);
  CHECK(n.snapshot()[0] == x);
  CHECK(to_string(notification_level::escalation) == "escalation");
}

TEST_CASE("a host notifier that throws is reported as internal, never propagated", "[notifier]") {
  callback_notifier n(
      [](const notification&) -> status { throw std::runtime_error("WeChat API down"); });
  notification x;
  x.topic = "sla.breach";
  const status s = n.notify(x);
  CHECK(s.is_internal());
  CHECK_THAT(s.message(), Catch::Contains("WeChat API down"));
  CHECK(n.failed() == 1);

  callback_notifier refusing(
      [](const notification&) { return status::unavailable("rate limited"); });
  CHECK(refusing.notify(x).is_unavailable());
  CHECK(refusing.failed() == 1);
}

TEST_CASE("a memory notifier keeps every notification sent from several threads", "[notifier]") {
  memory_notifier n;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&n, t] {
      for (int i = 0; i < 500; ++i) {
        notification x;
        x.topic = "t" + std::to_string(t);
        (void)n.notify(x);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  CHECK(n.size() == 2000);
  CHECK(n.delivered() == 2000);
  n.clear();
  CHECK(n.size() == 0);
}
