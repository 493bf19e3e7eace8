// The crmrules end-to-end demo: the README's main job (`./run demo`).
//
// Generates the deterministic sample data set (teams, reps, customers, leads, behaviour events),
// stores it in the embedded SQLite store, reopens the file to prove it persisted, and runs every
// engine on it: dedup of incoming leads, tiering from behaviour events, assignment with
// explanations, SLA deadlines over three simulated days with reclaims and escalations, stage
// moves refused and allowed. It ends with a short report and writes the pipeline as a Graphviz
// graph.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/crmrules.hpp"
#include "crmrules/store/sqlite_storage.hpp"
#include "crmrules_sample/sample.hpp"

namespace {

using namespace crmrules;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

#ifndef CRMRULES_EXAMPLES_DIR
#define CRMRULES_EXAMPLES_DIR "examples"
#endif

struct demo_options {
  fs::path db = "crmrules-demo.db";
  fs::path dot;  ///< the pipeline graph; empty: pipeline.dot next to the database
  fs::path rules = CRMRULES_EXAMPLES_DIR "/rules/sample-rules.json";
  sample::options data;
};

/// What each step found, for the short report at the end.
struct demo_report {
  std::size_t leads = 0, dedup_same = 0, dedup_suspected = 0, planted = 0, planted_found = 0;
  std::size_t customers = 0, tier_actions = 0;
  std::string tiers;  // "A 12, B 40, ..."
  std::size_t assigned_today = 0, to_fallback = 0, waiting = 0;
  std::size_t in_time = 0, late = 0, reclaimed = 0, reassigned = 0, warnings = 0, breaches = 0,
              escalations = 0;
  std::size_t deals = 0, moved = 0, refused = 0, overridden = 0;
  std::string weighted_forecast;
  fs::path dot;
};

[[noreturn]] void usage(int code) {
  std::fputs(
      "usage: crmrules_demo [--db FILE] [--rules FILE] [--dot FILE] [--seed N] [--leads N]\n"
      "                     [--reps N] [--customers N]\n"
      "  Generates the sample CRM data, stores it in a SQLite file (replaced if it exists),\n"
      "  prints a summary, tiers the customers from their behaviour events, assigns the\n"
      "  day's new leads under the rules file, runs three\n"
      "  simulated days of first-touch deadlines and moves a few\n"
      "  deals through its stage gate, then prints a short report and writes the pipeline as\n"
      "  a Graphviz graph (--dot, default pipeline.dot next to the database).\n",
      code == 0 ? stdout : stderr);
  std::exit(code);
}

demo_options parse_args(int argc, char** argv) {
  demo_options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") usage(0);
    if (i + 1 >= argc) usage(2);
    const char* v = argv[++i];
    auto number = [&]() -> std::size_t {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v, &end, 10);
      if (end == v || *end != '\0' || n == 0) {
        fmt::print(stderr, "crmrules_demo: {} needs a positive integer, got '{}'\n", arg, v);
        usage(2);
      }
      return static_cast<std::size_t>(n);
    };
    if (arg == "--db") {
      o.db = v;
    } else if (arg == "--rules") {
      o.rules = v;
    } else if (arg == "--dot") {
      o.dot = v;
    } else if (arg == "--seed") {
      o.data.seed = number();
    } else if (arg == "--leads") {
      o.data.leads = number();
    } else if (arg == "--reps") {
      o.data.reps = number();
    } else if (arg == "--customers") {
      o.data.customers = number();
    } else {
      fmt::print(stderr, "crmrules_demo: unknown option '{}'\n", arg);
      usage(2);
    }
  }
  return o;
}

[[noreturn]] void fail(std::string_view step, const status& s) {
  fmt::print(stderr, "crmrules_demo: {} failed: {}\n", step, s.to_string());
  std::exit(1);
}

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

void heading(std::string_view title) {
  fmt::print("\n== {}\n", title);
}

/// Prints "label  count  share  bar" rows, largest first.
void print_distribution(const std::map<std::string, std::size_t>& counts, std::size_t total) {
  std::vector<std::pair<std::string, std::size_t>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [label, n] : rows) {
    const double share =
        total == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(total);
    fmt::print("  {:<14} {:>6}  {:>5.1f}%  {}\n", label, n, share,
               std::string(static_cast<std::size_t>(share / 2), '#'));
  }
}

/// Reads every record of a store page by page.
template <class Store>
std::vector<typename Store::record_type> read_all(const Store& store) {
  std::vector<typename Store::record_type> out;
  typename Store::id_type after;
  for (;;) {
    auto page = store.list(after, 2000);
    if (!page) fail("reading back", page.error());
    if (page->empty()) return out;
    after = page->back().id;
    for (auto& r : *page)
      out.push_back(std::move(r));
  }
}

/// Step 1: store the generated data set, in batches of at most 1000 records per transaction.
void load(storage& db, const sample::dataset& data) {
  write_batch batch;
  auto flush = [&] {
    if (batch.empty()) return;
    if (auto r = db.commit(batch); !r) fail("loading", r.error());
    batch.clear();
  };
  auto add_all = [&](const auto& records) {
    for (const auto& r : records) {
      batch.insert(r);
      if (batch.size() >= 1000) flush();
    }
    flush();
  };
  add_all(data.teams);
  add_all(data.reps);
  add_all(data.customers);
  add_all(data.leads);
  add_all(data.events);
  decision d;
  d.at = data.leads.empty() ? timestamp{} : data.leads.back().created_at;
  d.kind = decision_kind::other;
  d.subject = {record_kind::team,
               data.teams.empty() ? std::string("none") : data.teams.front().id.str()};
  d.actor = "crmrules_demo";
  d.reason = "sample data loaded";
  batch.append(d);
  flush();
}

void summarise(storage& db, timestamp now) {
  const auto leads = read_all(db.leads());
  const auto reps = read_all(db.reps());
  const auto teams = read_all(db.teams());

  heading("What is in the database");
  fmt::print(
      "  {:>6} teams\n  {:>6} reps\n  {:>6} customers\n  {:>6} leads\n  {:>6} behaviour events\n",
      teams.size(), reps.size(), db.customers().count().value_or(0), leads.size(),
      db.events().count().value_or(0));

  heading("Leads by source (线索来源)");
  std::map<std::string, std::size_t> by_source, by_region;
  std::size_t no_phone = 0, no_email = 0, no_budget = 0, fb = 0;
  std::vector<std::int64_t> budgets;
  for (const auto& l : leads) {
    ++by_source[l.source];
    ++by_region[l.region.empty() ? "(blank)" : l.region];
    no_phone += l.phone.empty() ? 1 : 0;
    no_email += l.email.empty() ? 1 : 0;
    fb += l.id.str().rfind("fb_", 0) == 0 ? 1 : 0;
    if (l.budget) {
      budgets.push_back(l.budget->minor());
    } else {
      ++no_budget;
    }
  }
  print_distribution(by_source, leads.size());
  heading("Leads by region (区域)");
  print_distribution(by_region, leads.size());

  heading("Budgets (客户预算)");
  std::sort(budgets.begin(), budgets.end());
  auto quantile = [&](double q) {
    if (budgets.empty()) return money{};
    return money::from_minor(
        budgets[static_cast<std::size_t>(q * static_cast<double>(budgets.size() - 1))]);
  };
  fmt::print("  stated by {} leads, blank for {}\n", budgets.size(), no_budget);
  fmt::print("  median ¥{}   p90 ¥{}   max ¥{}\n", quantile(0.5).to_string(),
             quantile(0.9).to_string(), quantile(1.0).to_string());

  heading("Data quality at intake");
  fmt::print("  {} leads without a phone, {} without an e-mail\n", no_phone, no_email);
  fmt::print("  {} leads from channels with ids starting fb_ (no routing rule covers them yet)\n",
             fb);
  const auto unassigned = db.leads().list_unassigned(lead_id{}, leads.size() + 1);
  if (!unassigned) fail("query unassigned leads", unassigned.error());
  fmt::print("  {} leads waiting for an owner (index leads_unassigned)\n", unassigned->size());

  heading("Sales teams");
  std::map<std::string, std::string> team_names;
  for (const auto& t : teams)
    team_names[t.id.str()] = t.name;
  std::size_t on_leave = 0, inactive = 0, new_hires = 0;
  for (const auto& t : teams) {
    auto members = db.reps().list_by_team(t.id);
    if (!members) fail("query team members", members.error());
    std::map<std::string, std::size_t> roles;
    for (const auto& r : *members)
      ++roles[r.role];
    std::string role_text;
    for (const auto& [role, n] : roles)
      role_text += fmt::format("{}{} {}", role_text.empty() ? "" : ", ", n, role);
    fmt::print("  {:<4} {:<12} {:>2} reps  ({})\n", t.id.str(), t.name, members->size(), role_text);
  }
  for (const auto& r : reps) {
    on_leave += r.on_leave(now) ? 1 : 0;
    inactive += r.active ? 0 : 1;
    new_hires += r.hired_at && now - *r.hired_at < std::chrono::days(7) ? 1 : 0;
  }
  fmt::print(
      "  now: {} on leave, {} inactive, {} hired within 7 days (cold-start protection applies)\n",
      on_leave, inactive, new_hires);
}

/// Step 3: assignment. A dry run of the policy over every waiting lead (the sandbox view), then
/// the last 24 hours' leads assigned for real through the store, with one explanation.
/// Step 3: customer tiers from the stored behaviour events. The generated A/B/C/D labels are
/// replaced by tiers computed under the rules file's "tiers" section: the windows are rebuilt
/// from the event store, every customer is tiered at `now` (the changes logged in one batch per
/// thousand), then a few of today's events arrive and move customers up, firing their tier's
/// actions once (tier A's starts a 2-hour SLA response deadline); last, one rep's must-do list.
/// Step 2: dedup of incoming leads. The customers are indexed; each lead, in arrival order, is
/// looked up as someone would see it while typing ("possible duplicate"), then joins the index so
/// that a repeat submission finds the first one. The generator planted the duplicates it knows
/// of, so the step can say how many it found.
void dedup_step(storage& db, const rule_set& rules, const sample::dataset& data,
                demo_report& found) {
  heading("Dedup of incoming leads (against customers and earlier leads)");
  const auto t = clock_type::now();
  dedup::matcher index(rules.dedup_policy());
  const std::vector<customer> customers = read_all(db.customers());
  if (status s = index.add_all(customers); !s.ok()) fail("indexing customers", s);
  const double index_ms = ms_since(t);
  std::map<std::string, std::string> planted;  // lead -> original
  for (const auto& d : data.duplicates)
    planted[d.lead.str()] = d.original.id;
  std::size_t same = 0, suspected = 0, planted_found = 0, shown = 0;
  const auto t2 = clock_type::now();
  for (const lead& l : data.leads) {
    const customer q = dedup::as_customer(l);
    const auto hits = index.lookup(q, {.limit = 3});
    if (!hits.empty()) {
      ++(hits.front().result == dedup::verdict::same ? same : suspected);
      const auto it = planted.find(l.id.str());
      const bool right =
          it != planted.end() && std::any_of(hits.begin(), hits.end(), [&](const dedup::match& m) {
            return m.a.str() == it->second;
          });
      planted_found += right;
      if (shown < 3 && right) {
        ++shown;
        const dedup::match& m = hits.front();
        fmt::print("  {} \"{}\" ~ {}: {} by {} (score {:.2f})\n", l.id.str(), l.company_name,
                   m.a.str(), dedup::to_string(m.result), m.rule, m.score);
      }
    }
    if (status s = index.add(q); !s.ok()) fail("indexing a lead", s);
  }
  fmt::print(
      "  {} customers indexed in {:.0f} ms; {} leads looked up in {:.0f} ms ({:.0f} us each)\n",
      customers.size(), index_ms, data.leads.size(), ms_since(t2),
      1000.0 * ms_since(t2) / static_cast<double>(std::max<std::size_t>(data.leads.size(), 1)));
  fmt::print("  flagged: {} same (a shared key), {} suspected (a similar name in the same place)\n",
             same, suspected);
  fmt::print("  planted duplicates found: {} of {}\n", planted_found, planted.size());
  found.leads = data.leads.size();
  found.dedup_same = same;
  found.dedup_suspected = suspected;
  found.planted = planted.size();
  found.planted_found = planted_found;
}

void tier_step(storage& db, const rule_set& rules, timestamp now, demo_report& found) {
  heading("Customer tiers (from behaviour events)");
  const auto policy = rules.tier_policy();
  if (!policy) {
    fmt::print("  the rules file has no \"tiers\" section\n");
    return;
  }
  manual_clock clk(now);
  null_notifier quiet;
  sla::engine deadlines(rules.sla_policies(), db, clk, &quiet);
  std::map<std::string, std::size_t> fired;
  std::vector<std::string> first_actions;
  tier::engine_options o;
  o.store = &db;
  o.deadlines = &deadlines;
  o.on_action = [&](const tier::fired_action& a) -> status {
    ++fired[a.source + " -> " + a.action->action];
    if (first_actions.size() < 3) {
      std::string to;
      for (const auto& r : a.recipients)
        to += (to.empty() ? "" : ", ") + r;
      first_actions.push_back(fmt::format("{} entered {}: {} (to {})", a.customer.str(), a.source,
                                          a.action->action, to));
    }
    return {};
  };
  tier::engine tiers(policy, o);
  const auto customers = read_all(db.customers());
  for (auto c : customers) {
    c.tier.clear();  // computed from behaviour below, not the generated label
    if (status s = tiers.add_customer(c); !s.ok()) fail("add a customer", s);
  }
  auto t = clock_type::now();
  if (status s = tiers.rebuild(db.events()); !s.ok()) fail("rebuild the event windows", s);
  const auto sweep = tiers.sweep(now);
  for (const auto& e : sweep.errors)
    fmt::print("  error: {}\n", e);
  std::map<std::string, std::size_t> by_tier;
  for (const auto& c : customers) {
    const std::string tier = tiers.tier_of(c.id).value();
    ++by_tier[tier.empty() ? "(none)" : tier];
  }
  fmt::print("  {} customers tiered from {} stored events in {:.0f} ms ({} tier changes logged):\n",
             customers.size(), tiers.windows().events(), ms_since(t), sweep.changed);
  print_distribution(by_tier, customers.size());
  found.customers = customers.size();
  for (const auto& [tier, n] : by_tier)
    found.tiers += fmt::format("{}{} {}", found.tiers.empty() ? "" : ", ", tier, n);

  // Today: three C customers visit three times, download the whitepaper and attend a demo.
  std::vector<customer_id> movers;
  for (const auto& c : customers) {
    if (movers.size() < 3 && tiers.tier_of(c.id).value() == "C") movers.push_back(c.id);
  }
  write_batch today;
  int n = 0;
  std::size_t moved = 0;
  for (const auto& id : movers) {
    for (const char* type :
         {"site_visit", "site_visit", "whitepaper_download", "site_visit", "demo_attended"}) {
      event e;
      e.id = event_id{fmt::format("E-today-{:03}", ++n)};
      e.customer = id;
      e.type = type;
      e.channel = "官网";
      e.at = now + std::chrono::minutes(n * 7);
      today.insert(e);
      auto r = tiers.apply(e, e.at);
      if (!r) fail("apply an event", r.error());
      if (r->change) {
        ++moved;
        fmt::print("    {} {} -> {} after {} ({})\n", id.str(),
                   r->change->from.empty() ? "-" : r->change->from, r->change->to,
                   r->change->cause.str(), r->change->cause_type);
      }
    }
  }
  if (auto r = db.commit(today); !r) fail("store today's events", r.error());
  fmt::print(
      "  today's {} events moved customers {} times; actions fired (once per entry, the first "
      "tiering included):\n",
      n, moved);
  for (const auto& [what, count] : fired) {
    fmt::print("    {:<26} {:>4}\n", what, count);
    found.tier_actions += count;
  }
  for (const auto& line : first_actions)
    fmt::print("    e.g. {}\n", line);
  fmt::print("  {} tier-A response deadlines running in the SLA engine\n", deadlines.running());

  std::map<std::string, std::size_t> b_owned;
  for (const auto& c : customers) {
    if (c.owner && tiers.tier_of(c.id).value() == "B") ++b_owned[c.owner->str()];
  }
  if (!b_owned.empty()) {
    const auto busiest =
        std::max_element(b_owned.begin(), b_owned.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    const timestamp day = now - 9h;  // 00:00 Beijing time
    const auto gaps = tiers.must_do(rep_id{busiest->first}, day, day + 24h);
    fmt::print("  must-do today for {} ({} B customers): {} touches not done yet\n", busiest->first,
               busiest->second, gaps.size());
  }
}

void assign_step(storage& db, const rule_set& rules, const sample::dataset& data, timestamp now,
                 demo_report& found) {
  heading("Assignment (rules: " + rules.name() + ")");
  const auto policy = rules.assign_policy();
  if (!policy) {
    fmt::print("  the rules file has no \"assign\" section\n");
    return;
  }
  const auto reps = read_all(db.reps());
  auto waiting = db.leads().list_unassigned(lead_id{}, data.leads.size() + 1);
  if (!waiting) fail("query unassigned leads", waiting.error());
  auto t = clock_type::now();
  const auto report = assign::dry_run(policy, nullptr, *waiting, reps, now);
  fmt::print(
      "  dry run over all {} waiting leads (a month's intake against one day's caps) in "
      "{:.0f} ms, nothing written: {} assigned, {} to the fallback\n",
      report.leads, ms_since(t), report.candidate.assigned, report.candidate.fallback);
  for (const auto& [reason, n] : report.candidate.reasons)
    fmt::print("    fallback because {}: {}\n", reason, n);

  std::vector<lead_id> today;
  for (const auto& l : *waiting) {
    if (now - l.created_at <= std::chrono::hours(24)) today.push_back(l.id);
  }
  assign::assigner a(policy);
  if (!today.empty()) {
    const auto first = db.leads().get(today.front());
    if (!first) fail("read a lead", first.error());
    const auto why = a.choose(*first, reps, now, /*explain=*/true);
    fmt::print("  why lead {} ({}, {}, {}) goes where it goes:\n", first->id.str(), first->source,
               first->region, first->industry);
    for (std::size_t i = 0; i < std::min<std::size_t>(3, why.candidates.size()); ++i) {
      const auto& c = why.candidates[i];
      fmt::print("    {:<5} {:>6.1f} = {} x {}\n", c.rep.str(), c.score, c.why.summary(),
                 c.coefficient);
    }
    std::map<std::string, std::size_t> excluded;
    for (const auto& e : why.excluded)
      ++excluded[e.rule];
    std::string text;
    for (const auto& [rule, n] : excluded)
      text += fmt::format("{}{} {}", text.empty() ? "" : ", ", n, rule);
    fmt::print("    excluded: {}\n", text.empty() ? "none" : text);
  }
  t = clock_type::now();
  std::map<std::string, std::size_t> per_team, outcomes;
  std::map<std::string, std::string> team_of;
  for (const auto& r : reps)
    team_of[r.id.str()] = r.team ? r.team->str() : "(no team)";
  std::size_t retried = 0;
  for (const auto& id : today) {
    auto done = assign::assign_and_commit(db, a, id, now);
    if (!done) fail("assign " + id.str(), done.error());
    retried += done->attempts > 1 ? 1 : 0;
    ++outcomes[std::string(to_string(done->pick.kind)) +
               (done->pick.kind == assign::outcome::assigned
                    ? ""
                    : " (" + std::string(to_string(done->pick.reason)) + ")")];
    found.to_fallback += done->pick.kind == assign::outcome::fallback ? 1 : 0;
    if (done->pick.rep)
      ++per_team[team_of.contains(done->pick.rep->str()) ? team_of[done->pick.rep->str()]
                                                         : "(fallback)"];
  }
  fmt::print(
      "  assigned the last 24 hours' {} leads in {:.0f} ms, committed to SQLite with "
      "versions ({} retried):\n",
      today.size(), ms_since(t), retried);
  print_distribution(outcomes, today.size());
  found.assigned_today = today.size();
  found.waiting = waiting->size();
  fmt::print("  by team of the new owner:\n");
  print_distribution(per_team, today.size());
  auto seq = db.decisions().last_seq();
  if (!seq) fail("read the decision log", seq.error());
  fmt::print("  decision log: {} entries\n", *seq);
}

/// Step 4: SLA deadlines over three simulated days (Friday 09:00 to Monday 09:00) on a manual
/// clock: a first-touch deadline for every lead assigned today and a golden-72h deadline for
/// every lead that fell to the fallback. Reps touch most leads in time; leads nobody touches
/// climb the ladder (warning, breach, reclaim), and the reclaim step takes them back and
/// reassigns them with a new deadline. Halfway through Friday the engine's process "stops" for
/// 40 minutes; the new engine recovers the deadlines from SQLite and fires what it missed once.
void sla_step(storage& db, const rule_set& rules, timestamp now, demo_report& found) {
  heading("SLA deadlines (three simulated days on a manual clock)");
  const auto policies = rules.sla_policies();
  const auto policy = rules.assign_policy();
  const sla::policy* first_touch = policies->find("first_touch");
  if (first_touch == nullptr || !policy || !policies->find("golden_72h")) {
    fmt::print("  the rules file has no \"sla\" section with first_touch and golden_72h\n");
    return;
  }
  std::map<std::string, std::string> manager_of;  // rep -> the manager of the rep's team
  {
    std::map<std::string, std::string> team_manager;
    for (const auto& t : read_all(db.teams())) {
      if (t.manager) team_manager[t.id.str()] = t.manager->str();
    }
    for (const auto& r : read_all(db.reps())) {
      const auto it = r.team ? team_manager.find(r.team->str()) : team_manager.end();
      manager_of[r.id.str()] = it != team_manager.end() ? it->second : "sales_manager";
    }
  }
  const std::string fallback = policy->fallback ? policy->fallback->str() : "";
  manual_clock clk(now);
  std::map<std::string, std::size_t> by_topic;
  std::vector<std::string> samples;
  std::string late_sample;
  std::size_t late_fired = 0;
  callback_notifier out([&](const notification& n) -> status {
    if (by_topic[n.topic]++ == 0) samples.push_back(n.topic + ": " + n.message);
    const value* was_late = n.data.find("late");
    if (was_late != nullptr && *was_late == value(true) && late_fired++ == 0)
      late_sample = n.topic + ": " + n.message;
    return {};
  });

  // When each owner touches each lead: deterministic, in business time after the assignment.
  // Half the first owners call within the hour, a fifth late (after the breach, before the
  // reclaim), the rest never; a second owner calls within 40 minutes.
  struct touch {
    timestamp at;
    std::string lead;
    std::string owner;
  };
  std::vector<touch> touches;
  auto plan_touch = [&](const lead& l, timestamp from, bool second_owner) {
    const std::size_t h = std::hash<std::string>{}(l.id.str()) % 100;
    duration delay{};
    if (second_owner) {
      delay = std::chrono::minutes(10 + static_cast<int>(h % 30));
    } else if (h < 55) {
      delay = std::chrono::minutes(5 + static_cast<int>(h));
    } else if (h < 75) {
      delay = std::chrono::minutes(125 + static_cast<int>(h % 50));
    } else {
      return;
    }
    auto when = first_touch->calendar ? first_touch->calendar->add(from, delay)
                                      : result<timestamp>(from + delay);
    if (when) touches.push_back({*when, l.id.str(), l.owner ? l.owner->str() : ""});
  };
  auto first_touch_request = [&](const lead& l, timestamp from) {
    sla::start_request r;
    r.policy = "first_touch";
    r.subject = {record_kind::lead, l.id.str()};
    r.from = from;
    const std::string owner = l.owner ? l.owner->str() : "";
    r.parties.set("owner", owner);
    r.parties.set("manager", manager_of.contains(owner) ? manager_of[owner] : "sales_manager");
    return r;
  };

  assign::assigner chooser(policy);
  sla::engine* engine = nullptr;
  std::size_t reclaimed = 0, reassigned = 0, in_time = 0, late = 0;
  sla::engine_options options;
  options.on_step = [&](const sla::fired_step& f) -> status {
    if (f.rules->steps[f.index].action != "reclaim") return {};
    const lead_id id{f.deadline.subject.id};
    auto r = assign::reclaim_and_commit(db, *policy, id, f.fired_at, nullptr);
    if (!r) return r.error();
    if (!r->released) return {};
    ++reclaimed;
    auto done = assign::assign_and_commit(db, chooser, id, f.fired_at);
    if (!done) return done.error();
    if (done->pick.kind != assign::outcome::assigned) return {};
    ++reassigned;
    auto l = db.leads().get(id);
    if (!l) return l.error();
    plan_touch(*l, f.fired_at, /*second_owner=*/true);
    auto t = engine->start(first_touch_request(*l, f.fired_at));
    return t ? status{} : t.error();
  };

  auto t0 = clock_type::now();
  auto sla_engine = std::make_unique<sla::engine>(policies, db, clk, &out, options);
  engine = sla_engine.get();
  if (auto rec = engine->recover(); !rec) fail("recover deadlines", rec.error());
  std::size_t started_first = 0, started_golden = 0;
  for (const auto& l : read_all(db.leads())) {
    if (l.status != lead_status::assigned || !l.assigned_at || *l.assigned_at != now) continue;
    if (l.owner && l.owner->str() == fallback) {
      sla::start_request r;
      r.policy = "golden_72h";
      r.subject = {record_kind::lead, l.id.str()};
      r.from = l.created_at;
      if (auto t = engine->start(r); !t) fail("start a deadline", t.error());
      ++started_golden;
      continue;
    }
    if (auto t = engine->start(first_touch_request(l, now)); !t) fail("start", t.error());
    plan_touch(l, now, /*second_owner=*/false);
    ++started_first;
  }
  fmt::print(
      "  started {} first-touch deadlines (2 business hours, 华东 calendar) and {} golden-72h "
      "deadlines (fallback leads), each persisted in the timer store\n",
      started_first, started_golden);

  // A touch stops the deadline if the toucher still owns the lead, and records it on the lead.
  std::size_t next_touch = 0;
  auto apply_touches = [&](timestamp until) {
    std::stable_sort(touches.begin() + static_cast<std::ptrdiff_t>(next_touch), touches.end(),
                     [](const touch& a, const touch& b) { return a.at < b.at; });
    for (; next_touch < touches.size() && touches[next_touch].at <= until; ++next_touch) {
      const touch& x = touches[next_touch];
      auto l = db.leads().get(lead_id{x.lead});
      if (!l) fail("read a lead", l.error());
      if (!l->owner || l->owner->str() != x.owner || l->status != lead_status::assigned)
        continue;  // reclaimed before the call
      const bool before_breach = x.at <= first_touch->calendar->add(*l->assigned_at, 2h).value();
      (before_breach ? in_time : late) += 1;
      l->status = lead_status::touched;
      l->first_touch_at = x.at;
      if (auto v = db.leads().update(*l); !v) fail("record a touch", v.error());
      if (status s = engine->stop("first_touch", {record_kind::lead, x.lead}); !s.ok())
        fail("stop a deadline", s);
    }
  };

  const timestamp end = now + 72h;
  const timestamp crash_at = now + 1h + 45min;  // Friday 10:45
  const duration down_for = 40min;
  sla::recovery_report recovered;
  std::size_t steps_fired = 0;
  for (timestamp tick = now + 5min; tick <= end; tick += 5min) {
    if (tick == crash_at + 5min) {
      sla_engine.reset();  // the process stops: nothing in memory survives
      engine = nullptr;
      clk.set(crash_at + down_for);
      sla_engine = std::make_unique<sla::engine>(policies, db, clk, &out, options);
      engine = sla_engine.get();
      auto rec = engine->recover();
      if (!rec) fail("recover deadlines", rec.error());
      recovered = *rec;
      tick = crash_at + down_for;
    }
    clk.set(tick);
    apply_touches(tick);
    const auto r = engine->advance();
    for (const auto& e : r.errors)
      fail("an SLA step", e);
    steps_fired += r.fired;
  }
  fmt::print(
      "  Friday 10:45 the engine's process stopped; 40 minutes later a new one reloaded {} "
      "deadlines from SQLite with {} steps that came due meanwhile; the touches recorded during "
      "the outage stopped their deadlines first, and the other {} fired once, marked late\n",
      recovered.loaded, recovered.overdue, late_fired);
  if (!late_sample.empty()) fmt::print("    e.g. {}\n", late_sample);
  fmt::print(
      "  {} steps fired over three days ({:.0f} ms): first touches {} in time, {} late; {} "
      "leads reclaimed by the ladder, {} reassigned with a new deadline\n",
      steps_fired, ms_since(t0), in_time, late, reclaimed, reassigned);
  for (const auto& [topic, n] : by_topic) {
    fmt::print("    {:<15} {:>5}\n", topic, n);
    if (topic.ends_with("warning")) found.warnings += n;
    if (topic.ends_with("breach")) found.breaches += n;
    if (topic.ends_with("escalate") || topic.ends_with("escalation")) found.escalations += n;
  }
  found.in_time = in_time;
  found.late = late;
  found.reclaimed = reclaimed;
  found.reassigned = reassigned;
  for (const auto& line : samples)
    fmt::print("    e.g. {}\n", line);
  fmt::print("  still running Monday 09:00: {} deadlines (next due {})\n", engine->running(),
             engine->next_due() ? format_timestamp(*engine->next_due()) : "none");
}

/// Step 5: stage gates. A dozen deals opened for sample customers, moved through the gate with
/// move_and_commit on the same SQLite store (some refused, one overridden by the director),
/// then the frozen deals and the forecast.
void stage_step(storage& db, const rule_set& rules, const sample::dataset& data, timestamp now,
                demo_report& found) {
  const auto pipeline = rules.stage_pipeline();
  if (!pipeline) {
    heading("Stage gates");
    fmt::print("  the rules file has no \"pipeline\" section\n");
    return;
  }
  std::string path;
  for (const auto& s : pipeline->stages) {
    if (s.kind == stage::stage_kind::open) path += (path.empty() ? "" : " -> ") + s.id;
  }
  heading("Stage gates (" + path + ")");

  // Each deal: its stage and days there, the proof on file, and the move asked for.
  struct script {
    const char* stage;
    int days;
    std::vector<std::pair<const char*, evidence_type>> on_file;
    const char* target;  // nullptr: stays where it is
    std::vector<std::pair<const char*, evidence_type>> submitted;
    bool repeat_customer = false;
    bool lost_reasons = false;
  };
  using et = evidence_type;
  const std::vector<script> plan{
      {"初步接触", 2, {}, "需求分析", {{"初步接触", et::call_recording}}},
      {"初步接触", 9, {}, "需求分析", {}},
      {"初步接触", 3, {}, "方案演示", {{"初步接触", et::call_recording}}},
      {"需求分析", 4, {{"需求分析", et::meeting_minutes}}, "报价审批", {}, true},
      {"需求分析", 12, {{"需求分析", et::meeting_minutes}}, "方案演示", {}},
      {"方案演示", 2, {}, "报价审批", {}},
      {"方案演示", 7, {{"方案演示", et::pdf}}, nullptr, {}},
      {"报价审批", 1, {{"报价审批", et::approval}, {"报价审批", et::signed_document}}, "赢单", {}},
      {"报价审批", 2, {}, "方案演示", {}},
      {"方案演示", 3, {}, "输单", {}, false, true},
      {"需求分析", 2, {}, nullptr, {}},
      {"报价审批", 6, {{"报价审批", et::approval}}, nullptr, {}},
  };
  auto evidence = [&](const std::string& deal, std::size_t k, const char* stage, et type) {
    evidence_item e;
    e.id = fmt::format("{}-E{}", deal, k);
    e.stage = stage;
    e.type = type;
    e.ref = fmt::format("doc://{}/{}", deal, k);
    e.added_at = now - std::chrono::hours(2);
    if (type == et::meeting_minutes) e.attendees = {"销售", "客户"};
    return e;
  };
  write_batch batch;
  std::vector<opportunity_id> ids;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const script& s = plan[i];
    opportunity o;
    o.id = opportunity_id{fmt::format("OPP{:04}", i + 1)};
    if (!data.customers.empty()) {
      const customer& c = data.customers[i % data.customers.size()];
      o.customer = c.id;
      o.owner = c.owner;
      o.name = c.name;
    }
    o.stage = s.stage;
    o.amount = money::from_major(static_cast<std::int64_t>(80000 + 35000 * (i % 7)));
    o.created_at = now - std::chrono::days(30);
    o.entered_stage_at = now - std::chrono::days(s.days);
    for (const auto& [stage_id, type] : s.on_file)
      o.evidence.push_back(evidence(o.id.str(), o.evidence.size() + 1, stage_id, type));
    if (s.repeat_customer) o.custom.set("repeat_customer", true);
    if (s.lost_reasons)
      o.lost_reasons = {
          {"price", true, "note-1"}, {"competitor", false, "call-2"}, {"timing", false, "note-3"}};
    ids.push_back(o.id);
    batch.insert(std::move(o));
  }
  if (auto r = db.commit(batch); !r) fail("store the deals", r.error());
  const auto seq_before = db.decisions().last_seq();
  if (!seq_before) fail("read the decision log", seq_before.error());

  // The director of the sample (R001) may override; everyone else asks as a rep.
  const rep* director = nullptr;
  for (const auto& r : data.reps) {
    if (r.role == "director") {
      director = &r;
      break;
    }
  }
  stage::gate g(pipeline);
  auto t = clock_type::now();
  std::map<std::string, std::size_t> moved;
  std::size_t refused = 0, moves = 0;
  std::vector<std::string> refusals;
  std::string overridden;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const script& s = plan[i];
    if (s.target == nullptr) continue;
    stage::move_request req;
    req.id = ids[i];
    req.target = s.target;
    for (const auto& [stage_id, type] : s.submitted)
      req.evidence.push_back(evidence(ids[i].str(), 10 + req.evidence.size(), stage_id, type));
    req.actor = "R-sales";
    req.actor_role = "sales";
    auto done = stage::move_and_commit(db, g, req, now);
    if (!done) fail("move " + ids[i].str(), done.error());
    ++moves;
    if (done->moved) {
      ++moved[std::string(to_string(done->verdict.kind))];
      continue;
    }
    ++refused;
    refusals.push_back(fmt::format("{} {} -> {} ({}): {}", ids[i].str(), s.stage, s.target,
                                   to_string(done->verdict.kind), done->refusal));
    if (director != nullptr && overridden.empty()) {
      // The first refusal (OPP0002, whose call recording is missing) goes to the director, who
      // overrides it with a reason.
      req.actor = director->id.str();
      req.actor_role = director->role;
      req.override_reason = "the call happened; its recording was lost in the phone system";
      done = stage::move_and_commit(db, g, req, now);
      if (!done) fail("override " + ids[i].str(), done.error());
      ++moves;
      if (done->overridden) overridden = ids[i].str();
    }
  }
  std::string kinds;
  std::size_t moved_total = 0;
  for (const auto& [kind, n] : moved) {
    kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
    moved_total += n;
  }
  fmt::print(
      "  {} deals opened for sample customers; {} moves through the gate in {:.0f} ms, "
      "committed to SQLite:\n",
      plan.size(), moves, ms_since(t));
  fmt::print("    moved {} ({}), refused {}", moved_total, kinds, refused);
  if (!overridden.empty()) fmt::print(", of which the director overrode 1 ({})", overridden);
  fmt::print("\n");
  for (const auto& r : refusals)
    fmt::print("    refused {}\n", r);
  auto log = db.decisions().read(*seq_before);
  if (!log) fail("read the decision log", log.error());
  std::map<std::string, std::size_t> by_kind;
  for (const auto& d : *log)
    ++by_kind[std::string(to_string(d.kind))];
  std::string logged;
  for (const auto& [kind, n] : by_kind)
    logged += fmt::format("{}{} {}", logged.empty() ? "" : ", ", n, kind);
  fmt::print("    decision log: {} new entries ({})\n", log->size(), logged);
  for (const auto& d : *log) {
    if (d.kind == decision_kind::override)
      fmt::print("    {} {} by {}: {}\n", to_string(d.kind), d.subject.id, d.actor, d.reason);
  }

  // Read the deals back from the file: the frozen ones, their reminders, and the forecast.
  const auto deals = read_all(db.opportunities());
  const auto frozen = stage::frozen_deals(*pipeline, deals, now);
  fmt::print("  frozen (past the stage's dwell limit):\n");
  for (const auto& f : frozen) {
    fmt::print("    {} in {} for {:.1f} days, {:.1f} over\n", f.id.str(), f.stage,
               std::chrono::duration<double, std::ratio<86400>>(f.in_stage).count(),
               std::chrono::duration<double, std::ratio<86400>>(f.over_by).count());
  }
  memory_notifier reminders;
  fmt::print("    {} reminders sent (stage.dwell_exceeded, to each deal's owner)\n",
             stage::remind_frozen(reminders, *pipeline, deals, now));
  const auto f = stage::forecast_of(*pipeline, deals, now);
  std::string categories;
  for (const auto& [category, amount] : f.by_category)
    categories +=
        fmt::format("{}{} ¥{}", categories.empty() ? "" : ", ", category, amount.to_string());
  fmt::print("  forecast: {} open deals ¥{}, weighted ¥{} ({}); {} frozen left out\n", f.counted,
             f.unweighted.to_string(), f.weighted.to_string(), categories, f.frozen);
  found.deals = plan.size();
  found.moved = moved_total;
  found.refused = refused;
  found.overridden = overridden.empty() ? 0 : 1;
  found.weighted_forecast = f.weighted.to_string();

  // The pipeline as a graph, drawn with what the decision log says about it.
  std::vector<decision> stage_log;
  for (std::uint64_t after = *seq_before;;) {
    auto page = db.decisions().read(after);
    if (!page) fail("read the decision log", page.error());
    if (page->empty()) break;
    after = page->back().seq;
    stage_log.insert(stage_log.end(), page->begin(), page->end());
  }
  const auto analytics = stage::analyse(*pipeline, stage_log);
  std::ofstream dot(found.dot, std::ios::binary | std::ios::trunc);
  dot << stage::to_dot(*pipeline, &analytics);
  dot.close();
  if (!dot) fail("write " + found.dot.string(), status::unavailable("cannot write the file"));
  fmt::print("  pipeline graph with the moves taken: {} (dot -Tsvg {} > pipeline.svg)\n",
             found.dot.string(), found.dot.filename().string());
}

/// The short report at the end: one line per step, the figures a sales-operations lead asks
/// for first.
void print_report(const demo_report& r) {
  heading("Report");
  fmt::print(
      "  dedup        {} of {} planted duplicates caught among {} incoming leads "
      "({} flagged same, {} to review)\n",
      r.planted_found, r.planted, r.leads, r.dedup_same, r.dedup_suspected);
  fmt::print("  tiers        {} customers: {}; {} tier actions fired, once each\n", r.customers,
             r.tiers, r.tier_actions);
  fmt::print(
      "  assignment   {} of today's leads assigned and committed ({} to the fallback); "
      "all {} waiting leads dry-run first\n",
      r.assigned_today, r.to_fallback, r.waiting);
  fmt::print(
      "  SLA          3 simulated days: {} first touches in time, {} late; {} warnings, "
      "{} breaches, {} escalations; {} leads reclaimed, {} reassigned\n",
      r.in_time, r.late, r.warnings, r.breaches, r.escalations, r.reclaimed, r.reassigned);
  fmt::print(
      "  stage gates  {} deals: {} moves allowed, {} refused ({} overridden by the "
      "director); weighted forecast ¥{}\n",
      r.deals, r.moved, r.refused, r.overridden, r.weighted_forecast);
  if (r.deals > 0) fmt::print("  pipeline     {}\n", r.dot.string());
}

}  // namespace

int main(int argc, char** argv) {
  const demo_options opt = parse_args(argc, argv);
  const auto start = clock_type::now();
  fmt::print("crmrules {} end-to-end demo\n", version_string);

  auto t = clock_type::now();
  const sample::dataset data = sample::generate(opt.data);
  fmt::print("generated sample data (seed {}) in {:.0f} ms\n", opt.data.seed, ms_since(t));

  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(opt.db.string() + suffix);
  {
    auto db = sqlite_storage::open(opt.db);
    if (!db) fail("opening " + opt.db.string(), db.error());
    t = clock_type::now();
    load(**db, data);
    fmt::print("stored it in {} in {:.0f} ms\n", opt.db.string(), ms_since(t));
  }

  // Reopen: everything below is read back from the file.
  sqlite_options reopen;
  reopen.create_if_missing = false;
  auto db = sqlite_storage::open(opt.db, reopen);
  if (!db) fail("reopening " + opt.db.string(), db.error());
  summarise(**db, opt.data.now);

  auto rules = rule_set::load_file(opt.rules);
  if (!rules) {
    fmt::print(stderr, "{}", rules.error().to_string());
    fail("loading " + opt.rules.string(), status::invalid_argument("the rules file has errors"));
  }
  demo_report report;
  report.dot = opt.dot.empty() ? opt.db.parent_path() / "pipeline.dot" : opt.dot;
  dedup_step(**db, **rules, data, report);
  tier_step(**db, **rules, opt.data.now, report);
  assign_step(**db, **rules, data, opt.data.now, report);
  sla_step(**db, **rules, opt.data.now, report);
  stage_step(**db, **rules, data, opt.data.now, report);
  print_report(report);

  fmt::print("\ndemo finished in {:.0f} ms; database at {}\n", ms_since(start),
             fs::absolute(opt.db).string());
  return 0;
}
