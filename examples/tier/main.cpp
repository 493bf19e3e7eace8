// Customer tiers from generated behaviour events, in memory: the seed's tier A rule and intent
// upgrade (examples/rules/tier-rules.json) over three months of sample events applied in time
// order. Prints the tier changes as they happen (the first few), the actions fired, the tiers at
// the end, one rep's must-do touches for the day, and the monthly C -> B funnel.
//
//   crmrules_example_tier [RULES_FILE]     (default: examples/rules/tier-rules.json)
#include <fmt/core.h>

#include <map>
#include <string>

#include "crmrules/crmrules.hpp"
#include "crmrules_sample/sample.hpp"

#ifndef CRMRULES_EXAMPLES_DIR
#define CRMRULES_EXAMPLES_DIR "examples"
#endif

using namespace crmrules;

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : CRMRULES_EXAMPLES_DIR "/rules/tier-rules.json";
  auto rules = rule_set::load_file(path);
  if (!rules) {
    fmt::print(stderr, "{}", rules.error().to_string());
    return 1;
  }
  sample::options o;
  o.customers = 2000;
  o.events_per_customer = 40;
  o.leads = 100;
  const sample::dataset data = sample::generate(o);

  memory_storage store;  // the SLA deadlines tier A's "respond" action starts live here
  manual_clock clk(o.now);
  memory_notifier sent;
  sla::engine deadlines((*rules)->sla_policies(), store, clk, &sent);
  std::map<std::string, std::size_t> fired;
  tier::engine_options opts;
  opts.notify = &sent;
  opts.store = &store;
  opts.keep_changes = true;  // for the funnel below
  opts.deadlines = &deadlines;
  opts.on_action = [&](const tier::fired_action& a) -> status {
    ++fired[a.source + " -> " + a.action->action];
    return {};
  };
  tier::engine tiers((*rules)->tier_policy(), opts);
  std::vector<std::pair<customer_id, std::string>> initial;
  for (const auto& c : data.customers) {
    customer fresh = c;
    fresh.tier.clear();  // tiers come from behaviour here, not from the generated labels
    if (status s = tiers.add_customer(fresh); !s.ok()) {
      fmt::print(stderr, "{}\n", s.to_string());
      return 1;
    }
    initial.emplace_back(c.id, "");
  }

  fmt::print("Rules: {}; {} customers, {} events over 90 days, applied in time order\n\n",
             (*rules)->name(), data.customers.size(), data.events.size());
  std::size_t shown = 0, errors = 0;
  for (const auto& e : data.events) {
    if (!e.customer) continue;
    auto r = tiers.apply(e, e.at);
    if (!r) {
      fmt::print(stderr, "{}\n", r.error().to_string());
      return 1;
    }
    errors += r->errors.size();
    if (r->change && r->change->to == "A" && shown < 5) {
      ++shown;
      std::string counts;
      for (const auto& [type, n] : r->change->counts)
        counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", type, n);
      fmt::print("  {}  {} {} -> A after {} ({}); 90 days: {}\n", format_timestamp(e.at),
                 e.customer->str(), r->change->from.empty() ? "-" : r->change->from,
                 r->change->cause.str(), r->change->cause_type, counts);
    }
  }
  const auto sweep = tiers.sweep(o.now);  // windows moved on since each customer's last event
  fmt::print("\n{} tier changes ({} more in the sweep at {}), {} formula errors\n",
             tiers.changes().size() - sweep.changed, sweep.changed, format_timestamp(o.now),
             errors + sweep.errors.size());
  fmt::print("actions fired (each once per entry into its tier):\n");
  for (const auto& [what, n] : fired)
    fmt::print("  {:<28} {:>5}\n", what, n);

  std::map<std::string, std::size_t> by_tier;
  std::map<std::string, std::size_t> b_per_owner;
  for (const auto& c : data.customers) {
    const std::string t = tiers.tier_of(c.id).value();
    ++by_tier[t.empty() ? "(none)" : t];
    if (t == "B" && c.owner) ++b_per_owner[c.owner->str()];
  }
  fmt::print("tiers now:");
  for (const auto& [t, n] : by_tier)
    fmt::print(" {} {}", t, n);
  fmt::print("; {} customers with a tier-A response deadline in the SLA engine\n",
             deadlines.running());

  if (!b_per_owner.empty()) {
    auto busiest = b_per_owner.begin();
    for (auto it = b_per_owner.begin(); it != b_per_owner.end(); ++it)
      if (it->second > busiest->second) busiest = it;
    const timestamp day = o.now - std::chrono::hours(9);  // today, 00:00 Beijing time
    const auto gaps = tiers.must_do(rep_id{busiest->first}, day, day + std::chrono::hours(24));
    fmt::print("must-do today for {} ({} B customers): {} touches not done yet, e.g.\n",
               busiest->first, busiest->second, gaps.size());
    for (std::size_t i = 0; i < std::min<std::size_t>(3, gaps.size()); ++i)
      fmt::print("  {} (tier {}): {} {} of {}\n", gaps[i].customer.str(), gaps[i].tier,
                 gaps[i].event, gaps[i].done, gaps[i].min);
  }

  fmt::print("C -> B funnel by month:\n");
  for (const auto& m : tier::funnel(tiers.changes(), initial, "C", "B"))
    fmt::print("  {}-{:02}: {} of {} C customers moved up to B ({:.1f}%)\n", m.year, m.month,
               m.moved, m.in_from, 100 * m.rate());
  const auto log = store.decisions().last_seq();
  fmt::print("decision log: {} entries (tier changes)\n", log ? *log : 0);
  return 0;
}
