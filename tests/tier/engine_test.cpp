// Tiering: the tiers section, first match wins, actions once per entry, upgrades on a rising
// condition, tier changes logged with their cause, windows moving on in a sweep, a rebuild from
// the event store that agrees with incremental counting, daily must-do checks and the funnel.
#include "crmrules/tier/engine.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "crmrules/rules/rule_set.hpp"
#include "crmrules/sla/engine.hpp"
#include "crmrules/store/memory_storage.hpp"
#include "doc_example.hpp"

using namespace crmrules;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = *parse_timestamp("2026-11-02T10:00:00+08:00");  // a Monday

constexpr const char* rules_text = R"js({
  "sla": {
    "tier_a_response": {"about": "customer", "due": "2h",
                        "steps": [{"at": "0m", "action": "escalate", "to": ["$owner"]}]}
  },
  "tiers": {
    "horizon": "90d",
    "levels": [
      {"name": "A",
       "when": "COUNT_EVENTS(\"site_visit\", 30d) >= 3 AND HAS_EVENT(\"whitepaper_download\", 30d) AND COUNT_EVENTS(\"demo_attended\", 30d) >= 1",
       "actions": [{"action": "respond", "to": ["$owner"], "sla": "tier_a_response"},
                   {"action": "assign_advisor", "to": ["sales_director"]},
                   {"action": "push_content", "to": ["$owner"],
                    "params": {"content": "competitor_comparison"}}]},
      {"name": "B", "when": "COUNT_EVENTS(\"site_visit\", 30d) >= 1 OR HAS_EVENT(\"call\", 7d)",
       "daily": [{"event": "call", "min": 1}, {"event": "wechat_message", "min": 1}]},
      {"name": "C", "when": "DAYS_SINCE_LAST(\"site_visit\") <= 90"}
    ],
    "upgrades": [
      {"name": "high_intent",
       "when": "COUNT_EVENTS(\"tech_consult\", 30d) >= 2 AND COUNT_EVENTS(\"quote_request\", 30d) >= 1",
       "actions": [{"action": "send_demo_link", "to": ["$owner"]}]}
    ]
  }
})js";

std::shared_ptr<const rule_set> load_rules() {
  auto r = rule_set::load_string(rules_text, "tier-test.json");
  if (!r) FAIL(r.error().to_string());
  return *r;
}

customer make_customer(const char* id, const char* owner) {
  customer c;
  c.id = customer_id{id};
  c.name = std::string("客户") + id;
  c.owner = rep_id{owner};
  c.created_at = t0 - 365 * 24h;
  return c;
}

event make_event(const std::string& id, const char* customer, const char* type, timestamp at) {
  event e;
  e.id = event_id{id};
  e.customer = customer_id{customer};
  e.type = type;
  e.at = at;
  e.channel = "web";
  return e;
}

}  // namespace

TEST_CASE("the tiers section loads tiers in order with actions, daily touches and upgrades",
          "[tier]") {
  const auto rules = load_rules();
  const auto p = rules->tier_policy();
  REQUIRE(p);
  REQUIRE(p->tiers.size() == 3);
  CHECK(p->tiers[0].name == "A");
  CHECK(p->tiers[0].actions.size() == 3);
  CHECK(p->tiers[0].actions[0].sla == "tier_a_response");
  CHECK(*p->tiers[0].actions[2].params.find("content") == value("competitor_comparison"));
  CHECK(p->tiers[1].daily.size() == 2);
  CHECK(p->upgrades.size() == 1);
  CHECK(p->find("C") == std::optional<std::size_t>(2));
  CHECK(p->horizon == 90 * 24h);
}

TEST_CASE("mistakes in the tiers section are reported at their place", "[tier]") {
  auto errors_of = [](const std::string& tiers) {
    auto r = rule_set::load_string(std::string(R"({"tiers": )") + tiers + "}", "bad.json");
    REQUIRE_FALSE(r);
    return r.error().to_string();
  };
  CHECK_THAT(errors_of(R"js({"levels": [{"name": "A", "when": "COUNT_EVENTS(\"x\")"}]})js"),
             Catch::Contains("COUNT_EVENTS") && Catch::Contains("bad.json:1:"));
  CHECK_THAT(errors_of(R"js({"levels": [{"name": "A", "when": "COUNT_EVENTS(\"x\", 30d)"}]})js"),
             Catch::Contains("must be TRUE/FALSE"));
  CHECK_THAT(
      errors_of(
          R"js({"levels": [{"name": "A", "when": "TRUE"}, {"name": "A", "when": "TRUE"}]})js"),
      Catch::Contains("a second tier or upgrade named 'A'"));
  CHECK_THAT(errors_of(R"js({"levels": [{"name": "A", "when": "TRUE",
                         "actions": [{"action": "respond", "sla": "tier_a"}]}]})js"),
             Catch::Contains("no SLA policy named 'tier_a'"));
  CHECK_THAT(errors_of(R"js({"levels": []})js"), Catch::Contains("at least one tier"));
  CHECK_THAT(
      errors_of(R"js({"levels": [{"name": "A", "when": "TRUE", "daily": [{"evnt": "call"}]}]})js"),
      Catch::Contains("evnt"));
  CHECK_THAT(
      errors_of(R"js({"horizon": "1h", "levels": [{"name": "A", "when": "TRUE"}], "x": 1})js"),
      Catch::Contains("between 1d and 3650d"));
}

TEST_CASE("a constant window longer than the horizon is refused when the rules load", "[tier]") {
  // It could only ever give #NUM!: the loader says so at the call, with the way out.
  const auto r = rule_set::load_string(R"js({"tiers": {"horizon": "30d", "levels": [
      {"name": "X", "when": "HAS_EVENT(\"call\", 7d) OR COUNT_EVENTS(\"call\", 30d * 2) >= 1"},
      {"name": "Y", "when": "HAS_EVENT(\"call\", 0d)"}]}})js",
                                       "long.json");
  REQUIRE_FALSE(r);
  const std::string text = r.error().to_string();
  CHECK_THAT(text, Catch::Contains("long.json:2:57: error: the window 60d is longer than the "
                                   "horizon (30d)"));
  CHECK_THAT(text, Catch::Contains("raise the section's \"horizon\" or ask for a shorter window"));
  CHECK_THAT(text, !Catch::Contains("did you mean"));
  CHECK_THAT(text, Catch::Contains("long.json:3:30: error: the window must be longer than zero"));
  // Within the horizon (the horizon itself included) is fine.
  CHECK(rule_set::load_string(R"js({"tiers": {"horizon": "30d", "levels": [
      {"name": "X", "when": "COUNT_EVENTS(\"call\", 30d) >= 1"}]}})js"));
}

TEST_CASE("events move a customer up the tiers, first match wins, entry actions fire once",
          "[tier]") {
  const auto rules = load_rules();
  memory_storage store;
  memory_notifier sent;
  manual_clock clk(t0);
  sla::engine deadlines(rules->sla_policies(), store, clk, &sent);
  std::vector<std::string> actions;
  tier::engine_options o;
  o.notify = &sent;
  o.store = &store;
  o.keep_changes = true;
  o.deadlines = &deadlines;
  o.on_action = [&](const tier::fired_action& a) -> status {
    actions.push_back(a.source + ":" + a.action->action);
    return {};
  };
  tier::engine tiers(rules->tier_policy(), o);
  REQUIRE(tiers.add_customer(make_customer("C1", "R7")).ok());
  CHECK(tiers.tier_of(customer_id{"C1"}).value().empty());

  int n = 0;
  auto apply = [&](const char* type, timestamp at) {
    auto r = tiers.apply(make_event("E" + std::to_string(++n), "C1", type, at), at);
    REQUIRE(r);
    CHECK(r->errors.empty());
    return *r;
  };
  auto r = apply("site_visit", t0);
  CHECK(r.tier == "B");
  CHECK(r.changed);
  REQUIRE(r.change);
  CHECK(r.change->from.empty());
  CHECK(r.change->cause == event_id{"E1"});
  CHECK(apply("site_visit", t0 + 1h).changed == false);
  CHECK(apply("whitepaper_download", t0 + 2h).tier == "B");
  CHECK(apply("site_visit", t0 + 3h).tier == "B");  // 3 visits, a whitepaper, no demo yet
  r = apply("demo_attended", t0 + 4h);
  CHECK(r.tier == "A");
  REQUIRE(r.actions.size() == 3);
  CHECK(r.actions[0].recipients == std::vector<std::string>{"R7"});
  CHECK(actions == std::vector<std::string>{"A:respond", "A:assign_advisor", "A:push_content"});
  // The respond action started the SLA deadline for the customer.
  CHECK(deadlines.find(sla::timer_id_of("tier_a_response", {record_kind::customer, "C1"})));
  // More events while in A fire nothing again.
  r = apply("site_visit", t0 + 5h);
  CHECK(r.actions.empty());
  CHECK_FALSE(r.changed);

  // The decision log has both changes, with their cause and the counts they saw.
  auto log = store.decisions().for_subject({record_kind::customer, "C1"});
  REQUIRE(log);
  REQUIRE(log->size() == 2);
  CHECK((*log)[1].kind == decision_kind::tier_change);
  CHECK((*log)[1].reason == "tier B -> A: event E5 (demo_attended)");
  CHECK_THAT((*log)[1].detail, Catch::Contains("\"site_visit\":3"));
  CHECK(tiers.changes().size() == 2);

  // Thirty days on, the visits fall out of the window: back to B (the visit of t0+5h is still
  // in), then C, then no tier once the last visit is 90 days old.
  auto later = tiers.retier(customer_id{"C1"}, t0 + 30 * 24h + 4h);
  REQUIRE(later);
  CHECK(later->tier == "B");
  CHECK(later->change->cause.empty());
  CHECK(tiers.retier(customer_id{"C1"}, t0 + 31 * 24h)->tier == "C");
  CHECK(tiers.retier(customer_id{"C1"}, t0 + 91 * 24h)->tier.empty());
  // Back into A later: its actions fire again, once.
  actions.clear();
  const timestamp t1 = t0 + 100 * 24h;
  for (const char* type : {"site_visit", "site_visit", "site_visit", "whitepaper_download"})
    (void)apply(type, t1);
  CHECK(apply("demo_attended", t1).tier == "A");
  CHECK(actions.size() == 3);
}

TEST_CASE("an upgrade fires when its condition becomes true, and again only after it lapsed",
          "[tier]") {
  const auto rules = load_rules();
  memory_notifier sent;
  tier::engine_options o;
  o.notify = &sent;
  tier::engine tiers(rules->tier_policy(), o);
  REQUIRE(tiers.add_customer(make_customer("C1", "R7")).ok());
  int n = 0;
  auto apply = [&](const char* type, timestamp at) {
    auto r = tiers.apply(make_event("E" + std::to_string(++n), "C1", type, at), at);
    REQUIRE(r);
    return *r;
  };
  CHECK(apply("tech_consult", t0).actions.empty());
  CHECK(apply("quote_request", t0 + 1h).actions.empty());
  auto r = apply("tech_consult", t0 + 2h);
  REQUIRE(r.actions.size() == 1);
  CHECK(r.actions[0].upgrade);
  CHECK(r.actions[0].source == "high_intent");
  CHECK(r.actions[0].action->action == "send_demo_link");
  CHECK(apply("tech_consult", t0 + 3h).actions.empty());                   // still true: not again
  CHECK(tiers.retier(customer_id{"C1"}, t0 + 40 * 24h)->actions.empty());  // lapsed
  (void)apply("tech_consult", t0 + 41 * 24h);
  (void)apply("tech_consult", t0 + 41 * 24h);
  CHECK(apply("quote_request", t0 + 41 * 24h).actions.size() == 1);  // rose again
  std::size_t upgrades = 0;
  for (const auto& x : sent.snapshot())
    upgrades += x.topic == "tier.upgrade" ? 1 : 0;
  CHECK(upgrades == 2);
}

TEST_CASE("a restarted engine keeps stored tiers and rebuilds the same windows from the store",
          "[tier]") {
  const auto rules = load_rules();
  memory_storage store;
  std::mt19937_64 rng(7);
  const char* types[] = {"site_visit",   "whitepaper_download", "demo_attended", "call",
                         "tech_consult", "quote_request",       "wechat_message"};
  std::vector<customer> customers;
  for (int i = 0; i < 40; ++i)
    customers.push_back(make_customer(("C" + std::to_string(i)).c_str(), "R7"));
  tier::engine live(rules->tier_policy());
  for (const auto& c : customers)
    REQUIRE(live.add_customer(c).ok());
  write_batch batch;
  timestamp now = t0;
  for (int i = 0; i < 2000; ++i) {
    now = t0 + std::chrono::minutes(i * 97);
    const auto& c = customers[rng() % customers.size()];
    const event e = make_event("E" + std::to_string(100000 + i), c.id.str().c_str(),
                               types[rng() % 7], now - std::chrono::minutes(rng() % 3000));
    batch.insert(e);
    REQUIRE(live.apply(e, now));
  }
  REQUIRE(store.commit(batch));
  (void)live.sweep(now);  // every customer's tier as of `now`

  // After a restart: customers come back with their stored tiers, events from the store.
  tier::engine restarted(rules->tier_policy());
  for (auto c : customers) {
    c.tier = live.tier_of(c.id).value();
    REQUIRE(restarted.add_customer(c).ok());
  }
  REQUIRE(restarted.rebuild(store.events()).ok());
  for (const auto& c : customers) {
    for (const char* type : types) {
      for (const auto window : {7 * 24h, 30 * 24h, 90 * 24h}) {
        INFO(c.id.str() << " " << type);
        CHECK(restarted.count(c.id, type, window, now).value() ==
              live.count(c.id, type, window, now).value());
      }
    }
  }
  // Re-tiering at the same time changes nothing and fires nothing: the tiers agree.
  const auto sweep = restarted.sweep(now);
  CHECK(sweep.customers == customers.size());
  CHECK(sweep.changed == 0);
  CHECK(sweep.errors.empty());
  CHECK(restarted.windows().events() == live.windows().events());  // both pruned to `now`
}

TEST_CASE("the daily must-do check lists the touches not yet done today", "[tier]") {
  const auto rules = load_rules();
  tier::engine tiers(rules->tier_policy());
  for (const char* id : {"C1", "C2", "C3"})
    REQUIRE(tiers.add_customer(make_customer(id, "R7")).ok());
  REQUIRE(tiers.add_customer(make_customer("C4", "R8")).ok());
  const timestamp day = *parse_timestamp("2026-11-03T00:00:00+08:00");
  int n = 0;
  auto apply = [&](const char* c, const char* type, timestamp at) {
    REQUIRE(tiers.apply(make_event("E" + std::to_string(++n), c, type, at), at));
  };
  for (const char* c : {"C1", "C2", "C4"})
    apply(c, "site_visit", day - 24h);  // all three in B
  apply("C1", "call", day + 10h);
  apply("C1", "wechat_message", day + 11h);
  apply("C2", "call", day + 9h);
  apply("C2", "call", day - 1h);  // yesterday's call does not count today
  const auto gaps = tiers.must_do(rep_id{"R7"}, day, day + 24h);
  REQUIRE(gaps.size() == 1);  // C3 has no tier; C4 is R8's
  CHECK(gaps[0].customer == customer_id{"C2"});
  CHECK(gaps[0].tier == "B");
  CHECK(gaps[0].event == "wechat_message");
  CHECK(gaps[0].done == 0);
  CHECK(gaps[0].min == 1);
  CHECK(tiers.must_do(rep_id{"R8"}, day, day + 24h).size() == 2);
}

TEST_CASE("bad events, unknown customers and formula errors are reported", "[tier]") {
  auto rules = rule_set::load_string(R"js({"tiers": {"horizon": "30d", "levels": [
      {"name": "X", "when": "COUNT_EVENTS(\"call\", 7d) / COUNT_EVENTS(\"email_open\", 7d) >= 1"},
      {"name": "Y", "when": "HAS_EVENT(\"call\", 7d)"}]}})js");
  REQUIRE(rules);
  tier::engine tiers((*rules)->tier_policy());
  CHECK(tiers.add_customer(customer{}).code() == status_code::invalid_argument);
  customer odd = make_customer("C9", "R7");
  odd.tier = "Z";
  CHECK_THAT(tiers.add_customer(odd).message(), Catch::Contains("tier 'Z'"));
  REQUIRE(tiers.add_customer(make_customer("C1", "R7")).ok());
  CHECK(tiers.apply(make_event("E1", "C2", "call", t0), t0).error().code() ==
        status_code::not_found);
  event no_customer = make_event("E2", "C1", "call", t0);
  no_customer.customer.reset();
  CHECK(tiers.apply(no_customer, t0).error().code() == status_code::invalid_argument);
  event no_type = make_event("E3", "C1", "", t0);
  CHECK(tiers.apply(no_type, t0).error().code() == status_code::invalid_argument);
  const auto r = tiers.apply(make_event("E4", "C1", "call", t0), t0);
  REQUIRE(r);
  CHECK(r->tier == "Y");  // X divides by no e-mail opens: #DIV/0!, counted as not met
  REQUIRE(r->errors.size() == 1);
  CHECK_THAT(r->errors[0], Catch::Contains("X") && Catch::Contains("#DIV/0!"));
  CHECK(tiers.count(customer_id{"C1"}, "call", 7 * 24h, t0).value() == 1);
  CHECK(tiers.count(customer_id{"C1"}, "call", 60 * 24h, t0).error().code() ==
        status_code::invalid_argument);
}

TEST_CASE("the funnel gives the monthly rate of moves from one tier to another", "[tier]") {
  auto change = [](const char* c, const char* from, const char* to, const char* at) {
    tier::tier_change ch;
    ch.customer = customer_id{c};
    ch.from = from;
    ch.to = to;
    ch.at = *parse_timestamp(at);
    return ch;
  };
  const std::vector<tier::tier_change> changes = {
      change("C1", "C", "B", "2026-09-10T10:00:00+08:00"),
      change("C2", "", "C", "2026-09-15T10:00:00+08:00"),
      change("C3", "C", "B", "2026-10-01T00:30:00+08:00"),  // September 30 in UTC: October here
      change("C2", "C", "A", "2026-10-20T10:00:00+08:00"),
      change("C4", "C", "D", "2026-10-21T10:00:00+08:00"),
  };
  const std::vector<std::pair<customer_id, std::string>> initial = {
      {customer_id{"C1"}, "C"}, {customer_id{"C3"}, "C"}, {customer_id{"C4"}, "C"}};
  const auto months = tier::funnel(changes, initial, "C", "B");
  REQUIRE(months.size() == 2);
  CHECK(months[0].year == 2026);
  CHECK(months[0].month == 9);
  CHECK(months[0].in_from == 4);  // C1, C2 (from the 15th), C3, C4
  CHECK(months[0].moved == 1);
  CHECK(months[1].in_from == 3);  // C2, C3, C4
  CHECK(months[1].moved == 1);
  CHECK(months[1].rate() == Approx(1.0 / 3));
  CHECK(tier::funnel({}, initial, "C", "B").empty());
}

TEST_CASE("the rules-file example in docs/TIERING.md and examples/rules/tier-rules.json load",
          "[tier][docs]") {
  const std::string text = test_docs::first_jsonc_block(CRMRULES_SOURCE_DIR "/docs/TIERING.md");
  REQUIRE_FALSE(text.empty());
  auto doc = rule_set::load_string(text, "docs/TIERING.md");
  if (!doc) FAIL(doc.error().to_string());
  CHECK((*doc)->tier_policy()->tiers.size() == 4);
  // As the page says: every condition of the example takes the one-pass path.
  CHECK(tier::engine((*doc)->tier_policy()).lowered_conditions() == 5);
  auto file = rule_set::load_file(CRMRULES_SOURCE_DIR "/examples/rules/tier-rules.json");
  if (!file) FAIL(file.error().to_string());
  CHECK((*file)->tier_policy()->upgrades.size() == 1);
}

TEST_CASE("a batch gives the results, actions, logged changes and windows of one-by-one applies",
          "[tier]") {
  const auto rules = load_rules();
  struct side {
    memory_storage store;
    std::vector<std::string> actions;
    std::unique_ptr<tier::engine> engine;
  };
  auto make_side = [&](side& s) {
    tier::engine_options o;
    o.store = &s.store;
    o.keep_changes = true;
    o.on_action = [&s](const tier::fired_action& f) -> status {
      s.actions.push_back(f.customer.str() + " " + f.source + " " + f.action->action);
      return {};
    };
    s.engine = std::make_unique<tier::engine>(rules->tier_policy(), o);
    for (int i = 0; i < 30; ++i)
      REQUIRE(s.engine->add_customer(make_customer(("C" + std::to_string(i)).c_str(), "R7")).ok());
  };
  side one, batched;
  make_side(one);
  make_side(batched);

  // Events over 200 days (so events age out of the horizon), several per customer in a batch,
  // and bad ones: an unknown customer, no customer, no type.
  std::mt19937_64 rng(5);
  const char* types[] = {"site_visit",   "whitepaper_download", "demo_attended", "call",
                         "tech_consult", "quote_request",       "wechat_message"};
  std::vector<event> events;
  for (int i = 0; i < 3000; ++i) {
    const std::string c = "C" + std::to_string(rng() % 31);  // C30 was never added
    event e = make_event("E" + std::to_string(i), c.c_str(), types[rng() % 7],
                         t0 + std::chrono::minutes(i * 96));
    if (i % 211 == 0) e.customer.reset();
    if (i % 307 == 0) e.type.clear();
    events.push_back(std::move(e));
  }
  std::size_t at = 0;
  for (const std::size_t size : {1, 2, 7, 16, 17, 64, 100, 500, 2293}) {
    const std::span<const event> part(events.data() + at, size);
    const timestamp now = part.back().at + 1h;
    const auto results = batched.engine->apply_batch(part, now);
    REQUIRE(results.size() == size);
    for (std::size_t k = 0; k < size; ++k) {
      INFO("event " << part[k].id.str());
      const auto expected = one.engine->apply(part[k], now);
      REQUIRE(results[k].ok() == expected.ok());
      if (!expected) {
        CHECK(results[k].error().code() == expected.error().code());
        CHECK(results[k].error().message() == expected.error().message());
        continue;
      }
      CHECK(results[k]->tier == expected->tier);
      CHECK(results[k]->changed == expected->changed);
      CHECK(results[k]->actions.size() == expected->actions.size());
      CHECK(results[k]->errors == expected->errors);
      REQUIRE(results[k]->change.has_value() == expected->change.has_value());
      if (expected->change) {
        CHECK(results[k]->change->from == expected->change->from);
        CHECK(results[k]->change->to == expected->change->to);
        CHECK(results[k]->change->cause == expected->change->cause);
        CHECK(results[k]->change->counts == expected->change->counts);
      }
    }
    at += size;
  }
  REQUIRE(at == events.size());
  CHECK(batched.actions == one.actions);
  CHECK_FALSE(one.actions.empty());
  REQUIRE(batched.engine->changes().size() == one.engine->changes().size());
  CHECK(one.engine->changes().size() > 50);
  for (std::size_t i = 0; i < one.engine->changes().size(); ++i) {
    CHECK(batched.engine->changes()[i].customer == one.engine->changes()[i].customer);
    CHECK(batched.engine->changes()[i].to == one.engine->changes()[i].to);
  }
  CHECK(batched.store.decisions().last_seq().value() == one.store.decisions().last_seq().value());
  const timestamp end = events.back().at + 1h;
  for (int i = 0; i < 30; ++i) {
    const customer_id id{"C" + std::to_string(i)};
    CHECK(batched.engine->tier_of(id).value() == one.engine->tier_of(id).value());
    for (const char* type : types)
      CHECK(batched.engine->count(id, type, 30 * 24h, end).value() ==
            one.engine->count(id, type, 30 * 24h, end).value());
  }
  CHECK(batched.engine->apply_batch({}, end).empty());
}

TEST_CASE("a window or type computed at evaluation is checked and looked up at run time",
          "[tier]") {
  // The loader checks constant windows; a policy built in C++ (or a window computed from a
  // field) reaches the engine unchecked, and the function answers #NUM! for it. A type name
  // read from a field is looked up by its text, as constant names are by their place.
  const formula_env env = tier::tier_env(schema_set{});
  auto policy = std::make_shared<tier::tier_policy>();
  policy->horizon = 30 * 24h;
  auto compile = [&](const char* text) {
    auto f = formula::compile(text, env);
    if (!f) FAIL(f.error().to_string());
    return *f;
  };
  policy->tiers.push_back({"X", compile(R"(COUNT_EVENTS("call", 60d) >= 1)"), {}, {}});
  policy->tiers.push_back({"Y", compile(R"(COUNT_EVENTS(customer.industry, 7d) >= 2)"), {}, {}});
  policy->tiers.push_back({"Z", compile(R"(HAS_EVENT("call", 7d))"), {}, {}});
  tier::engine tiers(policy);
  customer c = make_customer("C1", "R7");
  c.industry = "call";
  REQUIRE(tiers.add_customer(c).ok());
  auto r = tiers.apply(make_event("E1", "C1", "call", t0), t0);
  REQUIRE(r);
  CHECK(r->tier == "Z");
  REQUIRE(r->errors.size() == 1);
  CHECK_THAT(r->errors[0], Catch::Contains("X") && Catch::Contains("#NUM!"));
  r = tiers.apply(make_event("E2", "C1", "call", t0 + 1h), t0 + 1h);
  REQUIRE(r);
  CHECK(r->tier == "Y");  // two calls, the type named by the customer's field
  CHECK(r->changed);
}

TEST_CASE("a condition reading the customer's tier field sees the tier the engine gave it",
          "[tier]") {
  // The record's tier follows each change when a condition reads the record (here the 客户等级
  // field): an upgrade for tier-A customers who call fires once the customer is A.
  auto rules = rule_set::load_string(R"js({"tiers": {
    "levels": [{"name": "A", "when": "HAS_EVENT(\"demo_attended\", 30d)"}],
    "upgrades": [{"name": "a_calling", "when": "客户等级 = \"A\" AND HAS_EVENT(\"call\", 7d)",
                  "actions": [{"action": "call_back", "to": ["$owner"]}]}]}})js");
  REQUIRE(rules);
  tier::engine tiers((*rules)->tier_policy());
  REQUIRE(tiers.add_customer(make_customer("C1", "R7")).ok());
  auto r = tiers.apply(make_event("E1", "C1", "call", t0), t0);
  REQUIRE(r);
  CHECK(r->tier.empty());
  CHECK(r->actions.empty());  // not A yet
  r = tiers.apply(make_event("E2", "C1", "demo_attended", t0 + 1h), t0 + 1h);
  REQUIRE(r);
  CHECK(r->tier == "A");
  CHECK(r->actions.empty());  // the upgrade saw the tier the customer had when it was evaluated
  r = tiers.apply(make_event("E3", "C1", "call", t0 + 2h), t0 + 2h);
  REQUIRE(r);
  REQUIRE(r->actions.size() == 1);
  CHECK(r->actions[0].source == "a_calling");
  // A stored tier is what the record starts with.
  customer stored = make_customer("C2", "R7");
  stored.tier = "A";
  REQUIRE(tiers.add_customer(stored).ok());
  r = tiers.apply(make_event("E4", "C2", "call", t0 + 3h), t0 + 3h);
  REQUIRE(r);
  CHECK(r->tier.empty());           // no demo: the customer leaves A
  REQUIRE(r->actions.size() == 1);  // but the condition saw 客户等级 = A before the change
}

TEST_CASE("a host function reading the customer record sees the tier the engine gave it",
          "[tier]") {
  // No field of the record is bound here: the host function reads the record through
  // eval_context::record, so the engine must still keep the record's tier.
  function_def my_tier;
  my_tier.name = "MY_TIER";
  my_tier.returns = formula_type::string;
  my_tier.pure = false;
  my_tier.reads_scopes = 1;
  my_tier.impl = [](std::span<const formula_value>, const eval_context& ctx,
                    const void*) -> formula_value {
    const auto* c = static_cast<const customer*>(ctx.record(0));
    return c == nullptr ? formula_value::blank(formula_type::string)
                        : formula_value::of_string(ctx.keep(c->tier));
  };
  rules_options opts;
  opts.functions.push_back(my_tier);
  auto rules = rule_set::load_string(R"js({"tiers": {
    "levels": [{"name": "A", "when": "HAS_EVENT(\"demo_attended\", 30d)"}],
    "upgrades": [{"name": "a_calling", "when": "MY_TIER() = \"A\" AND HAS_EVENT(\"call\", 7d)",
                  "actions": [{"action": "call_back", "to": ["$owner"]}]}]}})js",
                                     "host-function.json", opts);
  if (!rules) FAIL(rules.error().to_string());
  tier::engine tiers((*rules)->tier_policy());
  REQUIRE(tiers.add_customer(make_customer("C1", "R7")).ok());
  auto r = tiers.apply(make_event("E1", "C1", "demo_attended", t0), t0);
  REQUIRE(r);
  CHECK(r->tier == "A");
  CHECK(r->errors.empty());
  CHECK(r->actions.empty());
  r = tiers.apply(make_event("E2", "C1", "call", t0 + 1h), t0 + 1h);
  REQUIRE(r);
  CHECK(r->errors.empty());
  REQUIRE(r->actions.size() == 1);
  CHECK(r->actions[0].source == "a_calling");
}

namespace {

/// A random condition over event counts: comparisons either way round (whole and fractional
/// bounds, negative ones), HAS_EVENT, TRUE and FALSE, under AND, OR (both forms) and NOT.
std::string random_condition(std::mt19937_64& rng, int depth) {
  static const char* const types[] = {"site_visit", "call", "demo_attended", "tech_consult",
                                      "quote_request"};
  static const char* const windows[] = {"12h", "1d", "7d", "30d", "90d"};
  static const char* const ops[] = {"=", "<>", "<", "<=", ">", ">="};
  static const char* const bounds[] = {"0",  "1",   "2",    "3",     "1.5",
                                       "-1", "2.0", "-0.5", "1e300", "2.5"};
  if (depth == 0 || rng() % 3 == 0) {
    const std::string call =
        std::string("(\"") + types[rng() % 5] + "\", " + windows[rng() % 5] + ")";
    const std::string count = "COUNT_EVENTS" + call;
    switch (rng() % 8) {
      case 0:
        return "HAS_EVENT" + call;
      case 1:
        return std::string(bounds[rng() % 10]) + " " + ops[rng() % 6] + " " + count;
      case 2:
        return rng() % 2 == 0 ? "TRUE" : "FALSE";
      default:
        return count + " " + ops[rng() % 6] + " " + bounds[rng() % 10];
    }
  }
  const std::string a = random_condition(rng, depth - 1), b = random_condition(rng, depth - 1);
  switch (rng() % 5) {
    case 0:
      return "(" + a + " AND " + b + ")";
    case 1:
      return "(" + a + " OR " + b + ")";
    case 2:
      return "NOT (" + a + ")";
    case 3:
      return "AND(" + a + ", " + b + ", " + random_condition(rng, depth - 1) + ")";
    default:
      return "OR(" + a + ", " + b + ")";
  }
}

std::string json_escaped(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("conditions over event counts decide as the formula machine does, from one pass",
          "[tier]") {
  // The seed's tiers A and B and its upgrade are such conditions; C (DAYS_SINCE_LAST) is not.
  CHECK(tier::engine(load_rules()->tier_policy()).lowered_conditions() == 3);
  std::size_t lowered_total = 0, conditions_total = 0;
  std::mt19937_64 rng(20261124);
  const char* types[] = {"site_visit",   "call",          "demo_attended",
                         "tech_consult", "quote_request", "wechat_message"};
  for (int policy = 0; policy < 40; ++policy) {
    // Three tiers and two upgrades; now and then a tier the machine keeps (DAYS_SINCE_LAST).
    std::string text = R"({"tiers": {"horizon": "90d", "levels": [)";
    const bool with_machine = policy % 4 == 3;
    for (int t = 0; t < 3; ++t) {
      const std::string when =
          with_machine && t == 1 ? R"(DAYS_SINCE_LAST("call") <= 3)" : random_condition(rng, 3);
      text += std::string(t == 0 ? "" : ",") + R"({"name": "T)" + std::to_string(t) +
              R"(", "when": ")" + json_escaped(when) + R"(", "actions": [{"action": "enter"}]})";
    }
    text += R"(], "upgrades": [)";
    for (int u = 0; u < 2; ++u) {
      text += std::string(u == 0 ? "" : ",") + R"({"name": "U)" + std::to_string(u) +
              R"(", "when": ")" + json_escaped(random_condition(rng, 2)) +
              R"(", "actions": [{"action": "rise"}]})";
    }
    text += "]}}";
    INFO("policy " << policy << ": " << text);
    const auto rules = rule_set::load_string(text, "random-tiers.json");
    REQUIRE(rules);

    struct side {
      std::vector<std::string> actions;
      std::unique_ptr<tier::engine> engine;
    };
    side lowered, machine;
    for (side* s : {&lowered, &machine}) {
      tier::engine_options o;
      o.lower_conditions = s == &lowered;
      o.on_action = [s](const tier::fired_action& f) -> status {
        s->actions.push_back(f.customer.str() + " " + f.source + " " + f.action->action);
        return {};
      };
      s->engine = std::make_unique<tier::engine>((*rules)->tier_policy(), o);
      for (int i = 0; i < 8; ++i)
        REQUIRE(
            s->engine->add_customer(make_customer(("C" + std::to_string(i)).c_str(), "R1")).ok());
    }
    // The comparison is between two paths: most conditions take the one-pass one (past 64
    // comparisons in a policy, the rest stay with the machine).
    CHECK(machine.engine->lowered_conditions() == 0);
    CHECK(lowered.engine->lowered_conditions() >= 1);
    lowered_total += lowered.engine->lowered_conditions();
    conditions_total += with_machine ? 4 : 5;
    // Events over 120 days (so they age out), a few arriving late.
    for (int i = 0; i < 300; ++i) {
      const std::string c = "C" + std::to_string(rng() % 8);
      timestamp at = t0 + std::chrono::minutes(i * 576);
      if (rng() % 10 == 0) at -= std::chrono::hours(rng() % 72);
      const event e = make_event("E" + std::to_string(i), c.c_str(), types[rng() % 6], at);
      const timestamp now = t0 + std::chrono::minutes(i * 576);
      const auto a = lowered.engine->apply(e, now);
      const auto b = machine.engine->apply(e, now);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      INFO("event " << i << " for " << c);
      REQUIRE(a->tier == b->tier);
      REQUIRE(a->changed == b->changed);
      REQUIRE(a->errors == b->errors);
      REQUIRE(a->actions.size() == b->actions.size());
    }
    CHECK(lowered.actions == machine.actions);
    // Time passing alone: the windows empty.
    for (const auto days : {10, 40, 100}) {
      const timestamp later = t0 + std::chrono::minutes(300 * 576) + days * 24h;
      const auto x = lowered.engine->sweep(later);
      const auto y = machine.engine->sweep(later);
      CHECK(x.changed == y.changed);
      CHECK(x.actions == y.actions);
      for (int i = 0; i < 8; ++i) {
        const customer_id id{"C" + std::to_string(i)};
        CHECK(lowered.engine->tier_of(id).value() == machine.engine->tier_of(id).value());
      }
    }
  }
  CHECK(lowered_total * 10 >= conditions_total * 9);
}
