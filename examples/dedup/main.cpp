// Duplicate customers, in memory: a small customer list with the seed's duplicates (the hospital
// entered three ways, a company with and without its city and form, one phone written two ways)
// and the look-alikes that must stay apart (a branch, the same brand in another city, two credit
// codes). Prints every pair found with its reason, the clusters, and the merge plan of the first
// cluster, then executes it on a memory store and undoes it.
//
//   crmrules_example_dedup [RULES_FILE]     (default: examples/rules/dedup-rules.json)
#include <fmt/core.h>

#include <string>
#include <vector>

#include "crmrules/crmrules.hpp"

#ifndef CRMRULES_EXAMPLES_DIR
#define CRMRULES_EXAMPLES_DIR "examples"
#endif

using namespace crmrules;

namespace {

customer make(std::string id, std::string name, std::vector<std::string> phones = {},
              std::string uscc = {}, int updated_day = 1) {
  customer c;
  c.id = customer_id{std::move(id)};
  c.name = std::move(name);
  c.phones = std::move(phones);
  c.uscc = std::move(uscc);
  c.created_at = timestamp{} + std::chrono::days{20000};
  c.updated_at = c.created_at + std::chrono::days{updated_day};
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : CRMRULES_EXAMPLES_DIR "/rules/dedup-rules.json";
  auto rules = rule_set::load_file(path);
  if (!rules) {
    fmt::print(stderr, "{}", rules.error().to_string());
    return 1;
  }
  std::vector<customer> customers = {
      make("C01", "瑞金医院", {"021-64370045"}, {}, 3),
      make("C02", "上海瑞金医院有限公司", {}, {}, 9),
      make("C03", "上海交通大学医学院附属瑞金医院", {}, {}, 5),
      make("C04", "北京某某科技", {"+86 139 1234 5678"}),
      make("C05", "北京市某某科技股份有限公司", {"13912345678"}, "91110000MA01ABCD0J", 7),
      make("C06", "北京某某科技有限公司杭州分公司", {"13912345678"}),
      make("C07", "杭州某某科技有限公司"),
      make("C08", "深圳瑞华电子有限公司", {}, "91440300MA5DC0YC1Q"),
      make("C09", "深圳瑞华电子有限公司", {}, "91440300MA5G9LCX4E"),
      make("C10", "企帮宝信息科技(甘肃)有限公司", {"13800138000"}),
      make("C11", "甘肃企帮宝信息科技有限公司", {"13800138000"}),
  };
  customers[4].address = "北京市海淀区中关村大街 1 号";
  customers[3].address = "北京市朝阳区建国路 88 号";

  dedup::matcher m((*rules)->dedup_policy());
  if (status s = m.add_all(customers); !s.ok()) {
    fmt::print(stderr, "{}\n", s.to_string());
    return 1;
  }
  for (const auto& p : m.problems())
    fmt::print("note: {} {} '{}': {}\n", p.id.str(), p.field, p.value, p.problem);

  const dedup::scan_result scan = m.scan({.report = dedup::verdict::suspected});
  fmt::print("\n{} records, {} comparisons ({} without blocking)\n", m.size(), scan.comparisons,
             m.size() * (m.size() - 1) / 2);
  for (const dedup::match& p : scan.pairs) {
    fmt::print("{} ~ {}: {} by {} (score {:.2f})\n", p.a.str(), p.b.str(),
               dedup::to_string(p.result), p.rule, p.score);
    for (const auto& f : p.fields) {
      if (f.outcome == dedup::field_outcome::missing) continue;
      fmt::print("    {:<8} {:<9} {} | {}\n", f.field, dedup::to_string(f.outcome), f.a, f.b);
    }
  }
  // The look-alikes, judged one by one.
  for (auto [x, y] : {std::pair{5, 4}, std::pair{6, 4}, std::pair{7, 8}}) {
    const dedup::match d =
        dedup::compare(customers[static_cast<std::size_t>(x)],
                       customers[static_cast<std::size_t>(y)], *(*rules)->dedup_policy());
    fmt::print("{} ~ {}: {} ({})\n", customers[static_cast<std::size_t>(x)].name,
               customers[static_cast<std::size_t>(y)].name, dedup::to_string(d.result),
               d.rule.empty() ? "nothing matched" : d.rule);
  }

  fmt::print("\nclusters:\n");
  for (const dedup::cluster& c : scan.clusters) {
    std::string ids;
    for (const auto& id : c.members)
      ids += (ids.empty() ? "" : ", ") + id.str();
    fmt::print("  [{}]{}\n", ids, c.review ? "  (review: a suspected link)" : "");
  }

  // Plan, execute and undo the merge of the first cluster.
  memory_storage store;
  for (const customer& c : customers) {
    write_batch b;
    b.insert(c);
    if (auto r = store.commit(b); !r) return 1;
  }
  std::vector<customer> members;
  for (const auto& id : scan.clusters.front().members) {
    auto c = store.customers().get(id);
    if (!c) return 1;
    members.push_back(*c);
  }
  auto plan = dedup::plan_merge(members, (*rules)->dedup_policy()->merge);
  if (!plan) {
    fmt::print(stderr, "{}\n", plan.error().to_string());
    return 1;
  }
  fmt::print("\nmerge plan: {} survives, absorbs {}\n", plan->survivor.id.str(),
             plan->absorbed.size());
  for (const auto& f : plan->fields) {
    if (f.value.empty()) continue;
    fmt::print("  {:<8} = {} (from {}, {}{})\n", f.field, f.value, f.from.str(),
               dedup::to_string(f.rule), f.conflict ? ", others differed" : "");
  }
  if (status s = dedup::collect_links(store, *plan); !s.ok()) return 1;
  const timestamp now = plan->survivor.updated_at + std::chrono::days{1};
  auto seq = dedup::execute_merge(store, *plan, now, "example");
  if (!seq) {
    fmt::print(stderr, "{}\n", seq.error().to_string());
    return 1;
  }
  fmt::print("merged: decision #{}; customers left: {}\n", *seq,
             store.customers().list().value().size());
  auto undo = dedup::undo_merge(store, *seq, now + std::chrono::hours{1}, "example");
  if (!undo) {
    fmt::print(stderr, "{}\n", undo.error().to_string());
    return 1;
  }
  fmt::print("undone: decision #{}; customers: {}\n", *undo,
             store.customers().list().value().size());
  return 0;
}
