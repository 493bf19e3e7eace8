// Moves a few deals through the stage gate of examples/rules/stage-rules.json, in memory: each
// move goes through move_and_commit, which validates it, writes the deal and logs the decision.
// Prints every verdict with what it lacks, then the frozen deals and the forecast, and writes
// the flow as a Graphviz graph.
//
//   crmrules_example_stage [RULES_FILE [DOT_FILE]]     (DOT_FILE: stage-pipeline.dot)
#include <fmt/core.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "crmrules/crmrules.hpp"

#ifndef CRMRULES_EXAMPLES_DIR
#define CRMRULES_EXAMPLES_DIR "examples"
#endif

namespace {

using namespace crmrules;

const timestamp now = *parse_timestamp("2026-11-20T10:00:00+08:00");

opportunity deal(const char* id, const char* name, const char* stage, std::int64_t yuan,
                 int days_in_stage) {
  opportunity o;
  o.id = opportunity_id{id};
  o.name = name;
  o.customer = customer_id{"C-0042"};
  o.owner = rep_id{"R-007"};
  o.stage = stage;
  o.amount = money::from_major(yuan);
  o.created_at = now - std::chrono::days(30);
  o.entered_stage_at = now - std::chrono::days(days_in_stage);
  return o;
}

evidence_item proof(const char* id, const char* stage, evidence_type type, const char* ref) {
  evidence_item e;
  e.id = id;
  e.stage = stage;
  e.type = type;
  e.ref = ref;
  e.added_at = now - std::chrono::hours(1);
  if (type == evidence_type::meeting_minutes) e.attendees = {"张伟", "客户CTO 李强"};
  return e;
}

double days(duration d) {
  return std::chrono::duration<double, std::ratio<86400>>(d).count();
}

/// One move through the gate, printed with its verdict and what it lacks.
bool move(storage& store, stage::gate& g, const stage::move_request& request,
          std::string_view what) {
  const auto before = store.opportunities().get(request.id);
  if (!before) {
    fmt::print(stderr, "reading {}: {}\n", request.id.str(), before.error().to_string());
    return false;
  }
  auto done = stage::move_and_commit(store, g, request, now);
  if (!done) {
    fmt::print(stderr, "moving {}: {}\n", request.id.str(), done.error().to_string());
    return false;
  }
  const stage::move_verdict& v = done->verdict;
  fmt::print("{} {} -> {} {}: {}, {}{}\n", request.id.str(), before->stage, request.target, what,
             to_string(v.kind), v.allowed ? "allowed" : "refused",
             done->overridden ? ", moved by an override"
             : done->moved    ? ", moved"
                              : "");
  for (const auto& gap : v.unmet)
    fmt::print("    {}/{}: {}\n", gap.stage, gap.requirement, gap.detail);
  if (!v.skipped.empty()) {
    std::string skipped;
    for (const auto& s : v.skipped)
      skipped += (skipped.empty() ? "" : ", ") + s;
    fmt::print("    skips {}\n", skipped);
  }
  if (!done->moved && request.override_reason) fmt::print("    {}\n", done->refusal);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string rules_path =
      argc > 1 ? argv[1] : CRMRULES_EXAMPLES_DIR "/rules/stage-rules.json";
  auto rules = rule_set::load_file(rules_path);
  if (!rules) {
    fmt::print(stderr, "{}", rules.error().to_string());
    return 1;
  }
  const auto pipeline = (*rules)->stage_pipeline();
  if (!pipeline) {
    fmt::print(stderr, "{}: the rules file has no \"pipeline\" section\n", rules_path);
    return 1;
  }
  std::string stages;
  for (const auto& s : pipeline->stages) {
    if (!stages.empty()) stages += s.kind == stage::stage_kind::lost ? " | " : " -> ";
    stages += s.id;
    if (s.dwell_limit) stages += " (" + format_duration(*s.dwell_limit) + ")";
  }
  fmt::print("pipeline: {}\n\n", stages);

  // The deals, as the host's CRM holds them.
  memory_storage store;
  opportunity repeat = deal("O-1003", "续约: 区域医院 HIS", "需求分析", 200000, 4);
  repeat.custom.set("repeat_customer", true);
  repeat.evidence = {
      proof("E-31", "需求分析", evidence_type::meeting_minutes, "doc://minutes/1003")};
  opportunity quote = deal("O-1007", "华东制造 MES", "报价审批", 900000, 5);
  quote.evidence = {proof("E-71", "报价审批", evidence_type::approval, "oa://approval/7")};
  const std::vector<opportunity> deals{
      deal("O-1001", "华东医院 CRM", "初步接触", 120000, 2),
      deal("O-1002", "苏州教育 SaaS", "初步接触", 80000, 3),
      repeat,
      deal("O-1004", "杭州零售 POS", "方案演示", 300000, 4),
      deal("O-1005", "宁波物流 TMS", "初步接触", 150000, 6),
      deal("O-1006", "南京银行 风控", "需求分析", 600000, 14),
      quote,
  };
  write_batch batch;
  for (const auto& o : deals)
    batch.insert(o);
  if (auto r = store.commit(batch); !r) {
    fmt::print(stderr, "storing the deals: {}\n", r.error().to_string());
    return 1;
  }

  // One gate per thread: it keeps an activation per formula of the pipeline.
  stage::gate g(pipeline);
  const std::string rep = "u-zhangwei", director = "u-lina";
  bool ok = true;
  ok = ok && move(store, g,
                  {opportunity_id{"O-1001"},
                   "需求分析",
                   {proof("E-11", "初步接触", evidence_type::call_recording, "rec://2026/1001")},
                   rep,
                   "sales",
                   {}},
                  "with a call recording");
  ok = ok && move(store, g, {opportunity_id{"O-1002"}, "方案演示", {}, rep, "sales", {}},
                  "without any proof");
  ok = ok && move(store, g, {opportunity_id{"O-1003"}, "报价审批", {}, rep, "sales", {}},
                  "(a repeat customer, 20万)");

  // Lost needs coded reasons on the deal itself: the host records them, then asks to move.
  auto lost = store.opportunities().get(opportunity_id{"O-1004"});
  if (!lost) return 1;
  lost->lost_reasons = {{"price", true, "note-88"}};
  if (auto r = store.opportunities().update(*lost); !r) return 1;
  ok = ok &&
       move(store, g, {opportunity_id{"O-1004"}, "输单", {}, rep, "sales", {}}, "with one reason");
  lost = store.opportunities().get(opportunity_id{"O-1004"});
  if (!lost) return 1;
  lost->lost_reasons.push_back({"competitor", false, "call-12"});
  lost->lost_reasons.push_back({"timing", false, "note-89"});
  if (auto r = store.opportunities().update(*lost); !r) return 1;
  ok = ok && move(store, g, {opportunity_id{"O-1004"}, "输单", {}, rep, "sales", {}},
                  "with price, competitor and timing");

  // The call happened but its recording is lost: a rep may not override, a director may.
  ok = ok && move(store, g,
                  {opportunity_id{"O-1005"},
                   "需求分析",
                   {},
                   rep,
                   "sales",
                   std::string("the customer is in a hurry")},
                  "with an override asked by a rep");
  ok = ok && move(store, g,
                  {opportunity_id{"O-1005"},
                   "需求分析",
                   {},
                   director,
                   "sales_director",
                   std::string("recording lost in the phone system; the call happened")},
                  "with an override by the director");
  if (!ok) return 1;

  auto log = store.decisions().read();
  if (!log) return 1;
  std::map<std::string, int> by_kind;
  for (const auto& d : *log)
    ++by_kind[std::string(to_string(d.kind))];
  std::string kinds;
  for (const auto& [kind, n] : by_kind)
    kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
  fmt::print("\ndecisions logged: {} ({})\n", log->size(), kinds);
  for (const auto& d : *log) {
    if (d.kind == decision_kind::override)
      fmt::print("  #{} by {}: {}\n", d.seq, d.actor, d.reason);
  }

  // Dwell limits: deals past them are frozen, reminded and left out of the forecast.
  auto all = store.opportunities().list();
  if (!all) return 1;
  const auto frozen = stage::frozen_deals(*pipeline, *all, now);
  fmt::print("\nfrozen deals: {}\n", frozen.size());
  for (const auto& f : frozen) {
    fmt::print("  {} in {} for {:.1f} days, {:.1f} over the limit\n", f.id.str(), f.stage,
               days(f.in_stage), days(f.over_by));
  }
  memory_notifier reminders;
  const std::size_t sent = stage::remind_frozen(reminders, *pipeline, *all, now);
  fmt::print("reminders sent: {}\n", sent);
  if (sent > 0) fmt::print("  {}\n", reminders.snapshot().front().message);

  const auto f = stage::forecast_of(*pipeline, *all, now);
  fmt::print("\nforecast: {} open deals counted, {} frozen left out; weighted ¥{} of ¥{}\n",
             f.counted, f.frozen, f.weighted.to_string(), f.unweighted.to_string());
  for (const auto& [category, amount] : f.by_category)
    fmt::print("  {:<10} ¥{}\n", category, amount.to_string());

  // The flow, from the decision log, as a Graphviz graph: dot -Tsvg stage-pipeline.dot > x.svg
  const auto report = stage::analyse(*pipeline, *log);
  const std::string dot_path = argc > 2 ? argv[2] : "stage-pipeline.dot";
  std::ofstream(dot_path) << stage::to_dot(*pipeline, &report);
  fmt::print("\npipeline graph written to {} ({} flows, {} refusals read)\n", dot_path,
             report.flows.size(), [&] {
               std::size_t n = 0;
               for (const auto& st : report.stages)
                 n += st.refused;
               return n;
             }());
  return 0;
}
