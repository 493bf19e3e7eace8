// Assigns the bundled sample leads to the sample reps under examples/rules/sample-rules.json,
// in memory, and prints the distribution and why one lead went where it did.
//
//   crmrules_assign [RULES_FILE] [LEADS]
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "crmrules/crmrules.hpp"
#include "crmrules_sample/sample.hpp"

#ifndef CRMRULES_EXAMPLES_DIR
#define CRMRULES_EXAMPLES_DIR "examples"
#endif

int main(int argc, char** argv) {
  using namespace crmrules;
  const std::string rules_path =
      argc > 1 ? argv[1] : CRMRULES_EXAMPLES_DIR "/rules/sample-rules.json";
  auto rules = rule_set::load_file(rules_path);
  if (!rules) {
    fmt::print(stderr, "{}", rules.error().to_string());
    return 1;
  }
  sample::options o;
  o.leads = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 500;  // about a day's intake
  o.reps = 50;
  o.customers = 200;
  const sample::dataset data = sample::generate(o);
  const timestamp now = o.now;

  memory_storage store;
  write_batch batch;
  for (const auto& r : data.reps)
    batch.insert(r);
  for (const auto& l : data.leads)
    batch.insert(l);
  if (auto done = store.commit(batch); !done) {
    fmt::print(stderr, "loading the sample: {}\n", done.error().to_string());
    return 1;
  }

  // Why the first lead goes where it goes, before anything is assigned.
  assign::assigner a((*rules)->assign_policy());
  const lead& first = data.leads.front();
  const auto why = a.choose(first, data.reps, now, /*explain=*/true);
  fmt::print("lead {} ({}, {}, {}):\n", first.id.str(), first.source, first.region, first.industry);
  for (std::size_t i = 0; i < std::min<std::size_t>(3, why.candidates.size()); ++i) {
    const auto& c = why.candidates[i];
    fmt::print("  {} {:>7.1f}  = ({}) x {}\n", c.rep.str(), c.score, c.why.summary(),
               c.coefficient);
  }
  std::map<std::string, int> excluded;
  for (const auto& e : why.excluded)
    ++excluded[e.rule];
  for (const auto& [rule, n] : excluded)
    fmt::print("  excluded {}: {}\n", rule, n);

  // Assign every lead through the store, as a backend would.
  std::map<std::string, std::size_t> per_rep, reasons;
  for (const auto& l : data.leads) {
    auto done = assign::assign_and_commit(store, a, l.id, now);
    if (!done) {
      fmt::print(stderr, "assigning {}: {}\n", l.id.str(), done.error().to_string());
      return 1;
    }
    if (done->pick.rep) ++per_rep[done->pick.rep->str()];
    if (done->pick.kind != assign::outcome::assigned)
      ++reasons[std::string(to_string(done->pick.reason))];
  }
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const auto& [rep, n] : per_rep)
    ranked.emplace_back(n, rep);
  std::sort(ranked.rbegin(), ranked.rend());
  fmt::print("{} leads over {} reps; busiest:\n", data.leads.size(), per_rep.size());
  for (std::size_t i = 0; i < std::min<std::size_t>(8, ranked.size()); ++i)
    fmt::print("  {:<6} {:>4}\n", ranked[i].second, ranked[i].first);
  for (const auto& [reason, n] : reasons)
    fmt::print("  to the fallback, {}: {}\n", reason, n);
  fmt::print("decisions logged: {}\n", *store.decisions().last_seq());
  return 0;
}
