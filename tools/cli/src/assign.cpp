// crmrules assign --rules R --reps REPS --leads LEADS [--teams TEAMS] [--at TIME]
//                 [--explain LEAD_ID] [--compare OTHER_RULES]: a dry run of lead assignment.
//
// The summary and the comparison come from assign::dry_run; the per-lead rows come from an
// assigner driven over the same leads, in the same order, with the reps' counters raised exactly
// as dry_run raises them, so that caps fill up and loads grow in the same way. Every lead's owner
// is checked against dry_run's `owners` as it goes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands.hpp"
#include "crmrules/assign/assigner.hpp"
#include "crmrules/assign/dry_run.hpp"
#include "input.hpp"
#include "output.hpp"
#include "terminal.hpp"
#include "util/suggest.hpp"

namespace crmrules::cli {

namespace {

using json = nlohmann::ordered_json;

struct assign_options {
  std::string rules;
  std::string reps;
  std::string leads;
  std::string teams;
  std::string at;
  std::string explain;
  std::string compare;
  input_options in;
  output_options out;
};

double rounded(double x) {
  return std::round(x * 10000.0) / 10000.0;
}

/// A string, or null when empty.
json text_or_null(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

/// A fallback reason's words, without the detail (as the assigner writes them).
std::string reason_words(const std::string& code) {
  using assign::fallback_reason;
  for (const auto r :
       {fallback_reason::lead_invalid, fallback_reason::not_covered, fallback_reason::pool_empty,
        fallback_reason::all_over_cap, fallback_reason::no_eligible_rep}) {
    if (assign::to_string(r) == code) return std::string(assign::describe(r));
  }
  return code;
}

/// The policy of a rules file; null (after a message) when the file cannot be loaded or has no
/// "assign" section.
std::shared_ptr<const assign::policy> load_policy(const std::string& path, const char* option,
                                                  std::shared_ptr<const rule_set>* rules_out) {
  auto rules = load_rules(path, std::cerr);
  if (!rules) return nullptr;
  auto p = rules->assign_policy();
  if (!p) {
    std::cerr << path << ": error: the rules file (" << option
              << ") has no \"assign\" section, so there is no assignment policy to run; add one "
                 "(see docs/ASSIGNMENT.md)\n";
    return nullptr;
  }
  if (rules_out != nullptr) *rules_out = std::move(rules);
  return p;
}

/// Why an assigned lead went where it did, in words.
std::string assigned_reason(const assign::policy& p, const assign::assignment& pick) {
  for (const auto& pool : p.pools) {
    if (pool.name != pick.pool) continue;
    if (pool.mode == assign::pool_mode::round_robin)
      return "next in the round-robin rotation of pool " + pool.name;
    return "highest score in pool " + pool.name;
  }
  return "highest score among eligible reps";
}

/// Checks what the policy names against the data: pool teams (against --teams, an error when
/// missing there), pool members and the fallback rep (warnings). False when the run must stop.
bool check_references(const assign::policy& p, const std::string& rules_path,
                      const record_set<rep>& reps, const std::optional<record_set<team>>& teams) {
  std::unordered_set<std::string> rep_ids;
  std::vector<std::string_view> rep_names;
  std::set<std::string> rep_teams;
  for (const auto& r : reps.records) {
    rep_ids.insert(r.id.str());
    rep_names.push_back(r.id.str());
    if (r.team) rep_teams.insert(r.team->str());
  }
  std::vector<std::string_view> team_names;
  std::unordered_set<std::string> team_ids;
  if (teams) {
    for (const auto& t : teams->records) {
      team_ids.insert(t.id.str());
      team_names.push_back(t.id.str());
    }
  }
  bool ok = true;
  for (const auto& pool : p.pools) {
    if (pool.team) {
      const std::string id = pool.team->str();
      if (teams && !team_ids.contains(id)) {
        std::cerr << rules_path << ": error: pool '" << pool.name << "' takes the reps of team '"
                  << id << "', which is not in " << teams->source << did_you_mean(id, team_names)
                  << '\n';
        ok = false;
      } else if (!rep_teams.contains(id)) {
        std::cerr << rules_path << ": warning: pool '" << pool.name << "' takes the reps of team '"
                  << id << "', but no rep in " << reps.source << " belongs to it\n";
      }
    }
    for (const auto& m : pool.members) {
      if (!rep_ids.contains(m.str())) {
        std::cerr << rules_path << ": warning: pool '" << pool.name << "' lists rep '" << m.str()
                  << "', which is not in " << reps.source << did_you_mean(m.str(), rep_names)
                  << '\n';
      }
    }
  }
  if (p.fallback && !rep_ids.contains(p.fallback->str())) {
    std::cerr << rules_path << ": warning: the fallback rep '" << p.fallback->str()
              << "' is not in " << reps.source << did_you_mean(p.fallback->str(), rep_names)
              << " (it still gets the leads nobody else can take)\n";
  }
  return ok;
}

/// Warns about reps whose team is not in --teams (they belong to no team pool then).
void check_rep_teams(const record_set<rep>& reps, const record_set<team>& teams) {
  std::unordered_set<std::string> team_ids;
  std::vector<std::string_view> team_names;
  for (const auto& t : teams.records) {
    team_ids.insert(t.id.str());
    team_names.push_back(t.id.str());
  }
  std::size_t shown = 0;
  for (std::size_t i = 0; i < reps.records.size(); ++i) {
    const auto& r = reps.records[i];
    if (!r.team || team_ids.contains(r.team->str())) continue;
    if (++shown > max_reported_rows) continue;
    std::cerr << reps.source << ':' << reps.lines[i] << ": warning: rep '" << r.id.str()
              << "': team '" << r.team->str() << "' is not in " << teams.source
              << did_you_mean(r.team->str(), team_names) << '\n';
  }
  if (shown > max_reported_rows) {
    std::cerr << reps.source << ": warning: " << (shown - max_reported_rows)
              << " more reps with an unknown team not shown\n";
  }
}

/// A candidate of an explanation as a row.
json candidate_json(const std::string& lead, std::size_t rank, const assign::candidate& c,
                    bool flat) {
  json row = {{"candidate", c.rep.str()},
              {"lead", lead},
              {"rank", rank},
              {"score", rounded(c.score)},
              {"base", rounded(c.base)},
              {"coefficient", rounded(c.coefficient)},
              {"load", rounded(c.load)},
              {"summary", c.why.summary()}};
  if (!flat) {
    json terms = json::array();
    for (const auto& t : c.why.terms)
      terms.push_back({{"label", t.label}, {"value", t.value}, {"text", t.text}});
    row["terms"] = std::move(terms);
  }
  return row;
}

int run_assign(const assign_options& o) {
  const stopwatch clock;
  progress meter(stderr_is_terminal(), std::cerr);

  std::shared_ptr<const rule_set> rules;
  const auto policy = load_policy(o.rules, "--rules", &rules);
  if (!policy) return exit_invalid;
  std::shared_ptr<const assign::policy> other;
  if (!o.compare.empty()) {
    other = load_policy(o.compare, "--compare", nullptr);
    if (!other) return exit_invalid;
  }

  timestamp now{};
  if (o.at.empty()) {
    now = std::chrono::floor<duration>(std::chrono::system_clock::now());
  } else {
    auto t = parse_timestamp(o.at);
    if (!t) {  // the option's check refuses this already
      std::cerr << "crmrules: error: --at: " << t.error().message() << '\n';
      return exit_usage;
    }
    now = *t;
  }

  // Every file is read (and every problem reported) before giving up on any.
  const auto& schemas = rules->schemas();
  read_request rq{o.reps, &schemas.of(record_kind::rep), {"id"}, &o.in, &meter};
  const auto reps = read_records<rep>(rq, std::cerr);
  rq.path = o.leads;
  rq.fields = &schemas.of(record_kind::lead);
  const auto leads = read_records<lead>(rq, std::cerr);
  std::optional<record_set<team>> teams;
  bool teams_ok = true;
  if (!o.teams.empty()) {
    rq.path = o.teams;
    rq.fields = &schemas.of(record_kind::team);
    teams = read_records<team>(rq, std::cerr);
    teams_ok = teams.has_value();
  }
  meter.clear();
  if (!reps || !leads || !teams_ok) return exit_invalid;

  bool refs_ok = check_references(*policy, o.rules, *reps, teams);
  if (other) refs_ok = check_references(*other, o.compare, *reps, teams) && refs_ok;
  if (teams) check_rep_teams(*reps, *teams);
  if (!refs_ok) return exit_invalid;

  // The lead to explain.
  std::optional<std::size_t> explain_at;
  if (!o.explain.empty()) {
    std::vector<std::string_view> ids;
    ids.reserve(leads->records.size());
    for (std::size_t i = 0; i < leads->records.size(); ++i) {
      ids.push_back(leads->records[i].id.str());
      if (ids.back() == o.explain) explain_at = i;
    }
    if (!explain_at) {
      std::cerr << leads->source << ": error: no lead '" << o.explain << "' to --explain"
                << did_you_mean(o.explain, ids) << '\n';
      return exit_invalid;
    }
  }

  auto out = output::open(o.out.path);
  if (!out) {
    std::cerr << "crmrules: error: " << out.error().message() << '\n';
    return exit_invalid;
  }
  row_writer os((*out)->stream(), o.out.form(), /*max_cell=*/100);
  const bool flat = o.out.form() != output_format::jsonl;

  // The simulation of record: the library's dry run (both policies, the diff).
  meter.show("simulating " + plural(leads->records.size(), "lead", "leads"));
  const assign::dry_run_report report =
      assign::dry_run(policy, other, leads->records, reps->records, now);
  meter.clear();

  // The per-lead details: the same leads, in the same order, through an assigner over a copy
  // of the reps whose counters move as dry_run moves them.
  std::vector<rep> live(reps->records.begin(), reps->records.end());
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < live.size(); ++i)
    index.emplace(live[i].id.str(), i);
  assign::assigner a(policy);
  std::vector<double> load_before(live.size());
  for (std::size_t i = 0; i < live.size(); ++i)
    load_before[i] = a.load_of(live[i], now);
  a.load(live);

  std::optional<assign::assignment> explained;
  std::uint64_t done = 0;
  for (std::size_t i = 0; i < leads->records.size(); ++i) {
    const lead& l = leads->records[i];
    meter.tick("assigning", ++done);
    assign::assignment pick = a.choose(l, now, explain_at == i);
    const std::string owner = pick.rep ? pick.rep->str() : std::string();
    if (owner != report.candidate.owners[i]) {
      meter.clear();
      std::cerr << "crmrules: internal error: lead '" << l.id.str()
                << "': the dry run gives it to '" << report.candidate.owners[i]
                << "', the step-by-step run to '" << owner << "'\n";
      return exit_internal;
    }
    const bool assigned = pick.kind == assign::outcome::assigned;
    os.write({{"lead", l.id.str()},
              {"rep", text_or_null(owner)},
              {"fallback", pick.kind == assign::outcome::fallback},
              {"outcome", std::string(assign::to_string(pick.kind))},
              {"pool", text_or_null(pick.pool)},
              {"score", assigned ? json(rounded(pick.score)) : json(nullptr)},
              {"reason_code",
               assigned ? json(nullptr) : json(std::string(assign::to_string(pick.reason)))},
              {"reason", assigned ? assigned_reason(*policy, pick) : pick.reason_text},
              {"alert", pick.alert}});
    if (!owner.empty()) {
      if (auto it = index.find(owner); it != index.end()) {
        rep& r = live[it->second];
        ++r.assigned_today;
        ++r.open_leads;
        r.last_assigned_at = now;
        if (status s = a.refresh(it->second); !s.ok()) {
          meter.clear();
          std::cerr << "crmrules: internal error: " << s.message() << '\n';
          return exit_internal;
        }
      }
    }
    if (explain_at == i) explained = std::move(pick);
  }
  meter.clear();

  // The summary: one row per rep (file order; a fallback rep missing from the reps file last),
  // then one per fallback reason.
  const auto& sim = report.candidate;
  const auto count_of = [](const std::map<std::string, std::size_t>& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? std::size_t{0} : it->second;
  };
  const auto rep_row = [&](const std::string& id, std::optional<double> before) {
    json row = {{"rep", id},
                {"leads", count_of(sim.leads_per_rep, id)},
                {"fallback_rep", policy->fallback && policy->fallback->str() == id},
                {"load_before", before ? json(rounded(*before)) : json(nullptr)}};
    const auto after = sim.load_after.find(id);
    row["load_after"] =
        after != sim.load_after.end() ? json(rounded(after->second)) : json(nullptr);
    if (report.in_force) {
      row["compare_leads"] = count_of(report.in_force->leads_per_rep, id);
      const auto a2 = report.in_force->load_after.find(id);
      row["compare_load_after"] =
          a2 != report.in_force->load_after.end() ? json(rounded(a2->second)) : json(nullptr);
    }
    return row;
  };
  for (std::size_t i = 0; i < live.size(); ++i)
    os.write(rep_row(live[i].id.str(), load_before[i]));
  std::set<std::string> extra;  // owners not in the reps file: the fallback rep(s)
  for (const auto& [id, n] : sim.leads_per_rep)
    if (!index.contains(id)) extra.insert(id);
  if (report.in_force) {
    for (const auto& [id, n] : report.in_force->leads_per_rep)
      if (!index.contains(id)) extra.insert(id);
  }
  for (const auto& id : extra)
    os.write(rep_row(id, std::nullopt));

  std::set<std::string> codes;
  for (const auto& [code, n] : sim.reasons)
    codes.insert(code);
  if (report.in_force) {
    for (const auto& [code, n] : report.in_force->reasons)
      codes.insert(code);
  }
  for (const auto& code : codes) {
    json row = {{"fallback_reason", code},
                {"description", reason_words(code)},
                {"leads", count_of(sim.reasons, code)}};
    if (report.in_force) row["compare_leads"] = count_of(report.in_force->reasons, code);
    os.write(row);
  }

  // The diff: each lead that changes owner, then the counts per (from, to), largest first.
  if (report.in_force) {
    for (std::size_t i = 0; i < leads->records.size(); ++i) {
      const std::string& from = report.in_force->owners[i];
      const std::string& to = sim.owners[i];
      if (from == to) continue;
      os.write({{"moved_lead", leads->records[i].id.str()},
                {"from", text_or_null(from)},
                {"to", text_or_null(to)}});
    }
    std::vector<std::pair<std::pair<std::string, std::string>, std::size_t>> moves(
        report.moves.begin(), report.moves.end());
    std::stable_sort(moves.begin(), moves.end(),
                     [](const auto& x, const auto& y) { return x.second > y.second; });
    for (const auto& [move, n] : moves) {
      os.write(
          {{"from", text_or_null(move.first)}, {"to", text_or_null(move.second)}, {"leads", n}});
    }
  }

  // The explanation of one lead's choice, as it stood when its turn came.
  if (explained) {
    const std::string& id = o.explain;
    const auto& e = *explained;
    const bool assigned = e.kind == assign::outcome::assigned;
    os.write({{"explained", id},
              {"position", *explain_at + 1},
              {"rep", text_or_null(e.rep ? e.rep->str() : std::string())},
              {"outcome", std::string(assign::to_string(e.kind))},
              {"pool", text_or_null(e.pool)},
              {"score", assigned ? json(rounded(e.score)) : json(nullptr)},
              {"candidates", e.candidates.size()},
              {"excluded", e.excluded.size()},
              {"reason", assigned ? assigned_reason(*policy, e) : e.reason_text}});
    for (std::size_t k = 0; k < e.candidates.size(); ++k)
      os.write(candidate_json(id, k + 1, e.candidates[k], flat));
    for (const auto& x : e.excluded) {
      os.write(
          {{"excluded_rep", x.rep.str()}, {"lead", id}, {"rule", x.rule}, {"detail", x.detail}});
    }
  }

  os.finish();
  if (status s = (*out)->finish(); !s.ok()) {
    std::cerr << "crmrules: error: " << s.message() << '\n';
    return exit_invalid;
  }

  const std::size_t skipped =
      reps->skipped + leads->skipped + (teams ? teams->skipped : std::size_t{0});
  std::string summary = plural(leads->records.size(), "lead", "leads") + " over " +
                        plural(reps->records.size(), "rep", "reps");
  if (skipped > 0) summary += " (" + plural(skipped, "bad row", "bad rows") + " skipped)";
  summary += ": " + with_commas(sim.assigned) + " assigned, " + with_commas(sim.fallback) +
             " to the fallback" +
             (policy->fallback ? " (" + policy->fallback->str() + ")" : std::string()) + ", " +
             with_commas(sim.unassigned) + " unassigned";
  if (report.in_force) {
    summary += "; " + with_commas(report.changed_owner) + " change owner against " + o.compare;
  }
  std::cerr << "assign: " << summary << ", " << format_seconds(clock.seconds()) << '\n';
  return exit_ok;
}

}  // namespace

command add_assign_command(CLI::App& program) {
  auto o = std::make_shared<assign_options>();
  CLI::App* sub = program.add_subcommand(
      "assign",
      "Dry-run lead assignment: give each lead of --leads (in file order) to a rep of --reps "
      "under the rules file's assign section, writing nothing back. Writes one row per lead "
      "(lead, rep, fallback, outcome, pool, score, reason_code, reason, alert), then one per rep "
      "(leads, load before and after) and one per fallback reason; --compare adds the leads "
      "that change owner and the counts per (from, to); --explain adds one lead's candidates "
      "and exclusions. A summary line goes to stderr.");
  sub->add_option("--rules", o->rules, "The rules file (its assign section is required)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--reps", o->reps, "The reps (CSV with a header row, or JSON Lines; '-': stdin)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--leads", o->leads, "The leads to assign, in this order (CSV or JSON Lines)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--teams", o->teams,
                  "The teams: pools that name a team must name one of these, and reps' teams "
                  "are checked against them")
      ->type_name("FILE");
  sub->add_option("--at", o->at,
                  "The time of the run, RFC 3339 (2026-11-20T09:00:00+08:00; no offset: UTC); "
                  "default: now")
      ->type_name("TIME")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            auto t = parse_timestamp(text);
            return t ? std::string() : t.error().message();
          },
          "TIME", "RFC 3339 time"));
  sub->add_option("--explain", o->explain,
                  "Also explain this lead's choice: every candidate with its score terms, every "
                  "excluded pool member with the rule that excluded it")
      ->type_name("LEAD_ID");
  sub->add_option("--compare", o->compare,
                  "Another rules file (the policy in force, say): also simulate it and write the "
                  "leads that change owner (from: under OTHER_RULES, to: under --rules)")
      ->type_name("OTHER_RULES");
  add_input_options(*sub, o->in);
  add_output_options(*sub, o->out);
  sub->footer(
      "Lead columns: id (required), source, channel, created_at, company_name, contact_name, "
      "phone, email, region, industry, budget, tags, status, owner, assigned_at, "
      "first_touch_at, customer, the rules file's custom lead fields, or their Chinese names "
      "(线索编号, 线索来源, 区域, 行业, 客户预算, ...). Rep columns: id (required), name, team, "
      "role, active, accepts_leads, hired_at, daily_cap, open_cap, regions, industries, skills "
      "(lists separated by ';'), today_follow_ups, open_tasks, open_leads, assigned_today, "
      "revenue_3d, avg_response, last_assigned_at, or their Chinese names (员工编号, 团队, 角色, "
      "每日上限, ...); leave periods only in JSON Lines. Team columns: id (required), name, "
      "manager. JSON Lines: one record per line as crmrules_sample_gen writes leads.jsonl, "
      "reps.jsonl and teams.jsonl. Every lead is assigned whatever its status; a lead placed "
      "raises its rep's assigned_today and open_leads for the leads after it.");
  return {sub, [o] { return run_assign(*o); }};
}

}  // namespace crmrules::cli
