// crmrules stage --rules R validate|graph: a stage move checked by the gate, with every reason,
// and the pipeline (with a decision log's analytics) as a Graphviz graph.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "crmrules/model/json.hpp"
#include "crmrules/model/validate.hpp"
#include "crmrules/stage/analytics.hpp"
#include "crmrules/stage/dwell.hpp"
#include "crmrules/stage/pipeline.hpp"
#include "input.hpp"
#include "output.hpp"
#include "terminal.hpp"
#include "util/suggest.hpp"
#include "util/utf8.hpp"

namespace crmrules::cli {

namespace {

struct stage_options {
  std::string rules;
  // validate
  std::string opportunity;
  std::string id;
  std::string target;
  std::string evidence;
  std::string at;
  std::string actor;
  std::string role;
  std::string override_reason;
  bool override_given = false;
  input_options in;
  output_options out;
  // graph
  std::string log;
  std::string graph_output;
  std::string graph_format;
  bool skip_bad_log_lines = false;
};
bool is_json_file(const std::string& path, const input_options& in) {
  if (!in.format.empty()) return false;
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return false;
  return lower_ascii(std::string_view(path).substr(dot)) == ".json";
}
std::vector<std::string> stage_ids(const stage::pipeline& p) {
  std::vector<std::string> ids;
  for (const auto& s : p.stages)
    ids.push_back(s.id);
  return ids;
}

/// The rules file's pipeline, or null after a message (a rules file with errors or without the
/// section).
std::shared_ptr<const stage::pipeline> load_pipeline(const std::string& path,
                                                     std::shared_ptr<const rule_set>& rules) {
  rules = load_rules(path, std::cerr);
  if (!rules) return nullptr;
  auto p = rules->stage_pipeline();
  if (!p) {
    std::cerr << path
              << ": error: the rules file has no \"pipeline\" section; 'crmrules stage' needs "
                 "one (the stages, their evidence and transitions: see docs/STAGE_GATES.md)\n";
  }
  return p;
}

double rounded1(double x) {
  return std::round(x * 10.0) / 10.0;
}

std::string one_decimal(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

double days_of(duration d) {
  return std::chrono::duration<double, std::ratio<86400>>(d).count();
}

// -- reading the opportunity -------------------------------------------------------------------

struct picked {
  opportunity deal;
  std::string where;        ///< "file:line", for messages
  std::size_t skipped = 0;  ///< bad rows of the file left out (--skip-bad-rows)
};

/// A plain .json file holding one opportunity object.
std::optional<picked> read_json_object(const stage_options& o, const schema& fields) {
  auto text = read_file(o.opportunity);
  if (!text) {
    std::cerr << o.opportunity << ": error: " << text.error().message() << '\n';
    return std::nullopt;
  }
  if (const auto at = detail::first_invalid_utf8(*text)) {
    std::cerr << o.opportunity << ": error: " << invalid_utf8_message(*text, *at) << '\n';
    return std::nullopt;
  }
  std::string_view data = *text;
  if (data.starts_with("\xEF\xBB\xBF")) data.remove_prefix(3);
  auto r = from_json<opportunity>(data);
  if (!r) {
    std::cerr << o.opportunity << ": error: " << r.error().message()
              << " (a .json file holds one opportunity object; several go in a JSON Lines file, "
                 "one per line)\n";
    return std::nullopt;
  }
  std::vector<std::string> problems;
  for (const char* name : {"id", "stage"}) {
    const field_def* def = fields.find(name);
    if (def == nullptr) continue;
    const value v = read_field(*r, *def);
    const auto* s = v.get_if<std::string>();
    if (v.is_null() || (s != nullptr && s->empty()))
      problems.push_back(std::string("required field '") + name + "' is missing or empty");
  }
  if (status s = validate(*r); !s.ok()) problems.push_back(s.message());
  for (const auto& p : problems)
    std::cerr << o.opportunity << ": error: " << p << '\n';
  if (!problems.empty()) return std::nullopt;
  if (!o.id.empty() && r->id.str() != o.id) {
    std::cerr << o.opportunity << ": error: no opportunity '" << o.id << "' in the file (it holds '"
              << r->id.str() << "')\n";
    return std::nullopt;
  }
  return picked{std::move(*r), o.opportunity, 0};
}

std::optional<picked> read_opportunity(const stage_options& o, const rule_set& rules) {
  const schema& fields = rules.schemas().of(record_kind::opportunity);
  if (is_json_file(o.opportunity, o.in)) return read_json_object(o, fields);
  const read_request rq{o.opportunity, &fields, {"id", "stage"}, &o.in, nullptr};
  auto set = read_records<opportunity>(rq, std::cerr);
  if (!set) return std::nullopt;
  const auto where = [&](std::size_t i) {
    return set->source + ":" + std::to_string(set->lines[i]);
  };
  if (!o.id.empty()) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < set->records.size(); ++i) {
      if (set->records[i].id.str() == o.id) return picked{set->records[i], where(i), set->skipped};
      ids.push_back(set->records[i].id.str());
    }
    std::cerr << set->source << ": error: no opportunity '" << o.id << "' in the file"
              << did_you_mean(o.id, ids) << '\n';
    return std::nullopt;
  }
  if (set->records.size() == 1) return picked{set->records[0], where(0), set->skipped};
  if (set->records.empty()) {
    std::cerr << set->source << ": error: no opportunity in the file\n";
    return std::nullopt;
  }
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < set->records.size() && i < 10; ++i)
    ids.push_back(set->records[i].id.str());
  std::cerr << set->source << ": error: the file holds "
            << plural(set->records.size(), "opportunity", "opportunities")
            << "; pick one with --id (" << joined(ids) << (set->records.size() > 10 ? ", ..." : "")
            << ")\n";
  return std::nullopt;
}

// -- reading evidence and decisions (JSON Lines) -----------------------------------------------

/// Checks one line is a JSON object; the problem in words otherwise.
std::optional<std::string> not_an_object(std::string_view text, std::string_view what) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return std::string(what) + " must be a JSON object";
  } catch (const nlohmann::json::parse_error& e) {
    std::string why = e.what();
    if (const auto cut = why.find("] "); why.starts_with("[json.exception") && cut != why.npos)
      why.erase(0, cut + 2);
    return std::string(what) + ": malformed JSON: " + why;
  }
  return std::nullopt;
}

const std::vector<std::string>& evidence_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> out;
    for (auto t = static_cast<int>(evidence_type::note);
         t <= static_cast<int>(evidence_type::approval); ++t)
      out.emplace_back(to_string(static_cast<evidence_type>(t)));
    return out;
  }();
  return types;
}

struct evidence_set {
  std::vector<evidence_item> items;
  std::size_t skipped = 0;
};

/// The evidence submitted with the move: one item per line, in the model's JSON form (as in
/// opportunity::evidence). Items for stages the pipeline lacks are warned about.
std::optional<evidence_set> read_evidence(const std::string& path, const stage::pipeline& p,
                                          bool skip) {
  evidence_set out;
  if (path.empty()) return out;
  const auto data = read_file(path);
  if (!data) {
    std::cerr << path << ": error: " << data.error().message() << '\n';
    return std::nullopt;
  }
  const std::string source = path == "-" ? "<stdin>" : path;
  bad_rows bad(std::cerr, source, skip, "line");
  const auto ids = stage_ids(p);
  for_each_line(*data, [&](std::uint64_t line, std::size_t begin, std::string_view text) {
    if (const auto at = detail::first_invalid_utf8(text)) {
      bad.bad(line, invalid_utf8_message(*data, begin + *at));
      return;
    }
    if (auto problem = not_an_object(text, "evidence item")) {
      bad.bad(line, *problem);
      return;
    }
    // The library decodes evidence as part of an opportunity: wrap the line in one, so that
    // its checks (keys, types, duplicate keys) are the ones the stores apply.
    std::string wrapped = R"({"id":"evidence","evidence":[)";
    wrapped.append(text);
    wrapped += "]}";
    auto r = from_json<opportunity>(wrapped);
    if (!r || r->evidence.size() != 1) {
      std::string why = r ? "expected one evidence item" : r.error().message();
      if (why.starts_with("opportunity: ")) why.replace(0, 13, "evidence item: ");
      // The library does not say which type it got: name it, with the closest one.
      const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (why.find("evidence.type must") != std::string::npos && j.is_object() &&
          j.contains("type") && j["type"].is_string()) {
        const auto t = j["type"].get<std::string>();
        why = "evidence item: type '" + t + "' is not one of " + joined(evidence_types()) +
              did_you_mean(t, evidence_types());
      } else if (why.find("evidence.type must") != std::string::npos) {
        why = "evidence item: 'type' is missing; one of " + joined(evidence_types());
      } else if (!why.starts_with("evidence item")) {
        why = "evidence item: " + why;
      }
      bad.bad(line, why);
      return;
    }
    evidence_item e = std::move(r->evidence.front());
    const std::string name = e.id.empty() ? "an evidence item" : "evidence '" + e.id + "'";
    if (e.stage.empty()) {
      std::cerr << source << ':' << line << ": warning: " << name
                << " has no 'stage': it counts for no stage's requirements\n";
    } else if (p.find(e.stage) == nullptr) {
      std::cerr << source << ':' << line << ": warning: " << name << " is for stage '" << e.stage
                << "', which the pipeline does not have: it counts for nothing"
                << did_you_mean(e.stage, ids) << '\n';
    }
    out.items.push_back(std::move(e));
  });
  out.skipped = bad.count();
  if (!bad.finish()) return std::nullopt;
  return out;
}

struct decision_log {
  std::vector<decision> decisions;
  std::size_t skipped = 0;
};

/// For a decision whose kind is unknown: " (kind 'x'; did you mean 'y'?)", else "".
std::string kind_hint(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string()) return {};
  const auto kind = j["kind"].get<std::string>();
  if (parse_decision_kind(kind)) return {};
  std::vector<std::string> kinds;
  for (auto k = static_cast<int>(decision_kind::assignment);
       k <= static_cast<int>(decision_kind::other); ++k)
    kinds.emplace_back(to_string(static_cast<decision_kind>(k)));
  const std::string guess = did_you_mean(kind, kinds);
  return " (kind '" + kind + "'" + (guess.empty() ? "; the kinds are " + joined(kinds) : guess) +
         ")";
}

std::optional<decision_log> read_log(const std::string& path, bool skip) {
  decision_log out;
  const auto data = read_file(path);
  if (!data) {
    std::cerr << path << ": error: " << data.error().message() << '\n';
    return std::nullopt;
  }
  const std::string source = path == "-" ? "<stdin>" : path;
  bad_rows bad(std::cerr, source, skip, "line");
  for_each_line(*data, [&](std::uint64_t line, std::size_t begin, std::string_view text) {
    if (const auto at = detail::first_invalid_utf8(text)) {
      bad.bad(line, invalid_utf8_message(*data, begin + *at));
      return;
    }
    if (auto problem = not_an_object(text, "decision")) {
      bad.bad(line, *problem);
      return;
    }
    auto d = decision_from_json(text);
    if (!d) {
      bad.bad(line, d.error().message() + kind_hint(text));
      return;
    }
    out.decisions.push_back(std::move(*d));
  });
  out.skipped = bad.count();
  if (!bad.finish()) return std::nullopt;
  return out;
}

// -- validate ----------------------------------------------------------------------------------

/// Whether an override with these options would move the deal, and why (move_and_commit's
/// checks, in its order).
std::pair<bool, std::string> override_outcome(const stage_options& o, const stage::pipeline& p,
                                              const stage::move_verdict& v) {
  if (v.allowed) return {true, "not needed: the move is allowed"};
  if (v.kind == stage::move_kind::invalid)
    return {false, "refused: an invalid move cannot be overridden"};
  if (std::find(p.override_roles.begin(), p.override_roles.end(), o.role) ==
      p.override_roles.end()) {
    return {false,
            "refused: role '" + o.role + "' may not override the gate (allowed: " +
                (p.override_roles.empty() ? std::string("nobody") : joined(p.override_roles)) +
                ")"};
  }
  if (o.override_reason.empty()) return {false, "refused: an override needs a reason"};
  std::string who = o.actor.empty() ? o.role : o.actor + " (" + o.role + ")";
  return {true, "accepted: " + who + " overrides the gate: " + o.override_reason};
}

int run_validate(const stage_options& o) {
  const stopwatch clock;
  std::shared_ptr<const rule_set> rules;
  const auto p = load_pipeline(o.rules, rules);
  if (!p) return exit_invalid;

  timestamp now = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
  if (!o.at.empty()) {
    auto t = parse_timestamp(o.at);
    if (!t) {
      std::cerr << "crmrules: error: --at '" << o.at << "': " << t.error().message() << '\n';
      return exit_invalid;
    }
    now = *t;
  }

  const auto ids = stage_ids(*p);
  const auto evidence = read_evidence(o.evidence, *p, o.in.skip_bad_rows);
  const auto deal = read_opportunity(o, *rules);
  if (!deal || !evidence) return exit_invalid;
  const opportunity& d = deal->deal;

  bool known = true;
  if (p->find(d.stage) == nullptr) {
    std::cerr << deal->where << ": error: opportunity '" << d.id.str() << "' is in stage '"
              << d.stage << "', which the pipeline does not have" << did_you_mean(d.stage, ids)
              << " (stages: " << joined(ids) << ")\n";
    known = false;
  }
  if (p->find(o.target) == nullptr) {
    std::cerr << "crmrules: error: --to: no stage '" << o.target << "' in the pipeline"
              << did_you_mean(o.target, ids) << " (stages: " << joined(ids) << ")\n";
    known = false;
  }
  if (!known) return exit_invalid;

  stage::gate g(p);
  const stage::move_verdict v = g.validate(d, o.target, evidence->items, now);

  auto out = output::open(o.out.path);
  if (!out) {
    std::cerr << "crmrules: error: " << out.error().message() << '\n';
    return exit_invalid;
  }
  const output_format form = o.out.form();
  row_writer os((*out)->stream(), form, form == output_format::table ? 4096 : 48);  // reasons uncut

  // Dwell: how long the deal has been in its stage, against the stage's limit.
  const stage::stage_def& from = *p->find(d.stage);
  const bool entered_known = d.entered_stage_at != timestamp{};
  const bool frozen = entered_known && stage::is_frozen(*p, d, now);
  nlohmann::ordered_json in_stage = nullptr;
  if (entered_known) in_stage = rounded1(days_of(now - d.entered_stage_at));
  nlohmann::ordered_json limit = nullptr;
  if (from.dwell_limit) limit = format_duration(*from.dwell_limit);

  bool moves = v.allowed;
  nlohmann::ordered_json override_text = nullptr;
  if (o.override_given) {
    const auto [would, text] = override_outcome(o, *p, v);
    moves = would;
    override_text = text;
  }

  nlohmann::ordered_json row = {{"opportunity", d.id.str()},
                                {"from", d.stage},
                                {"to", o.target},
                                {"kind", std::string(stage::to_string(v.kind))},
                                {"allowed", v.allowed},
                                {"moves", moves},
                                {"skipped", v.skipped}};
  if (form != output_format::table) {
    nlohmann::ordered_json unmet = nlohmann::ordered_json::array();
    for (const auto& gap : v.unmet) {
      if (form == output_format::jsonl) {
        unmet.push_back(
            {{"stage", gap.stage}, {"requirement", gap.requirement}, {"detail", gap.detail}});
      } else {
        unmet.push_back(gap.requirement + ": " + gap.detail);
      }
    }
    row["unmet"] = std::move(unmet);
  }
  row["days_in_stage"] = in_stage;
  row["dwell_limit"] = limit;
  row["frozen"] = frozen;
  row["override"] = override_text;
  os.write(row);

  if (form == output_format::table) {
    // People read the reasons one per line, uncut, under the verdict.
    for (const auto& gap : v.unmet)
      os.write({{"stage", gap.stage}, {"requirement", gap.requirement}, {"detail", gap.detail}});
    if (frozen) {
      const duration stay = now - d.entered_stage_at;
      os.write(
          {{"stage", d.stage},
           {"requirement", "dwell"},
           {"detail", "frozen: " + one_decimal(days_of(stay)) + " days in the stage, " +
                          one_decimal(days_of(stay - *from.dwell_limit)) + " over its limit of " +
                          limit.get<std::string>() + "; left out of the forecast until it moves"}});
    }
  }

  os.finish();
  if (status s = (*out)->finish(); !s.ok()) {
    std::cerr << "crmrules: error: " << s.message() << '\n';
    return exit_invalid;
  }
  std::string summary = "stage validate: " + d.id.str() + " " + d.stage + " -> " + o.target + ": " +
                        std::string(stage::to_string(v.kind)) + ", " +
                        (v.allowed ? "allowed" : "refused");
  if (!v.allowed)
    summary += " (" + plural(v.unmet.size(), "unmet requirement", "unmet requirements") + ")";
  if (o.override_given && !v.allowed)
    summary += moves ? ", override accepted" : ", override refused";
  summary +=
      ", " + plural(evidence->items.size(), "evidence item", "evidence items") + " submitted";
  if (evidence->skipped > 0)
    summary += " (" + plural(evidence->skipped, "bad line", "bad lines") + " skipped)";
  if (deal->skipped > 0)
    summary +=
        ", " + plural(deal->skipped, "bad opportunity row", "bad opportunity rows") + " skipped";
  if (frozen) summary += ", frozen";
  std::cerr << summary << ", " << format_seconds(clock.seconds()) << '\n';
  return exit_ok;
}

// -- graph -------------------------------------------------------------------------------------

int run_graph(const stage_options& o) {
  const stopwatch clock;
  std::shared_ptr<const rule_set> rules;
  const auto p = load_pipeline(o.rules, rules);
  if (!p) return exit_invalid;

  std::optional<decision_log> log;
  std::optional<stage::pipeline_report> report;
  if (!o.log.empty()) {
    log = read_log(o.log, o.skip_bad_log_lines);
    if (!log) return exit_invalid;
    report = stage::analyse(*p, log->decisions);
    const std::string source = o.log == "-" ? "<stdin>" : o.log;
    if (report->unreadable > 0) {
      std::cerr << source << ": warning: "
                << plural(report->unreadable, "stage decision has", "stage decisions have")
                << " a detail without 'from' and 'to'; left out\n";
    }
    std::set<std::string> unknown;
    for (const auto& f : report->flows) {
      if (p->find(f.from) == nullptr) unknown.insert(f.from);
      if (p->find(f.to) == nullptr) unknown.insert(f.to);
    }
    if (!unknown.empty()) {
      std::cerr << source << ": warning: moves involve stages the pipeline does not have: "
                << joined({unknown.begin(), unknown.end()})
                << " (drawn as plain nodes, without figures)\n";
    }
  }

  auto out = output::open(o.graph_output);
  if (!out) {
    std::cerr << "crmrules: error: " << out.error().message() << '\n';
    return exit_invalid;
  }
  (*out)->stream() << stage::to_dot(*p, report ? &*report : nullptr);
  if (status s = (*out)->finish(); !s.ok()) {
    std::cerr << "crmrules: error: " << s.message() << '\n';
    return exit_invalid;
  }

  std::size_t open = 0;
  for (const auto& s : p->stages)
    open += s.kind == stage::stage_kind::open ? 1 : 0;
  std::string summary = "stage graph: " + plural(p->stages.size(), "stage", "stages") + " (" +
                        with_commas(open) + " open)";
  if (!report) {
    summary += ", " + plural(p->shortcuts.size(), "shortcut", "shortcuts") + ", " +
               plural(p->backward.size(), "backward move", "backward moves");
  } else {
    std::size_t moves = 0;
    for (const auto& f : report->flows)
      moves += f.moves;
    std::size_t refused = 0;
    for (const auto& s : report->stages)
      refused += s.refused;
    summary += "; " + plural(log->decisions.size(), "decision", "decisions") + " in the log";
    if (log->skipped > 0)
      summary += " (" + plural(log->skipped, "bad line", "bad lines") + " skipped)";
    summary += ", " + with_commas(report->decisions_read) +
               " about stages: " + plural(moves, "move", "moves") + " along " +
               plural(report->flows.size(), "path", "paths") + ", " + with_commas(refused) +
               " refused";
    if (report->unreadable > 0) summary += ", " + with_commas(report->unreadable) + " unreadable";
  }
  std::cerr << summary << ", " << format_seconds(clock.seconds()) << '\n';
  return exit_ok;
}

}  // namespace

command add_stage_command(CLI::App& program) {
  auto o = std::make_shared<stage_options>();
  CLI::App* sub = program.add_subcommand(
      "stage",
      "Stage gates: check a move of an opportunity against the rules file's pipeline (validate), "
      "or draw the pipeline as a Graphviz graph, with a decision log's figures (graph).");
  sub->add_option("--rules", o->rules,
                  "The rules file (its \"pipeline\" section is required); may also follow "
                  "validate or graph")
      ->type_name("FILE")
      ->required();
  sub->require_subcommand(1);
  sub->footer(
      "Run 'crmrules stage validate --help' or 'crmrules stage graph --help' for their "
      "options. See docs/STAGE_GATES.md for how a move is decided.");

  CLI::App* val = sub->add_subcommand(
      "validate",
      "Check one move of an opportunity to --to, with the evidence submitted with it, and say "
      "why: the kind of move, allowed or not, every unmet requirement (evidence, fields, guards, "
      "the proof of skipped stages, lost reasons, transitions), the stages skipped, and how long "
      "the deal has been in its stage against the dwell limit. Writes nothing. One row: JSON by "
      "default; exit 0 whether the move is allowed or refused.");
  val->fallthrough();
  val->add_option("--opportunity", o->opportunity,
                  "The opportunity: CSV or JSON Lines (one record, or pick one with --id), or a "
                  ".json file with one object; '-': stdin (with --input-format)")
      ->type_name("FILE")
      ->required();
  val->add_option("--id", o->id, "The opportunity to check, when the file holds several")
      ->type_name("OPP");
  val->add_option("--to", o->target, "The stage to move to (a stage id of the pipeline)")
      ->type_name("STAGE")
      ->required();
  val->add_option("--evidence", o->evidence,
                  "Evidence submitted with the move: JSON Lines, one item per line, "
                  "{\"id\", \"type\", \"stage\", \"ref\", \"attendees\", \"added_at\"}")
      ->type_name("FILE");
  val->add_option("--at", o->at,
                  "The time of the move, RFC 3339 (default: now); dwell is measured to it")
      ->type_name("TIME");
  val->add_option("--actor", o->actor, "Who asks (a user id); shown with an override")
      ->type_name("ID");
  auto* role = val->add_option("--role", o->role,
                               "The actor's role, checked against the "
                               "pipeline's override_roles")
                   ->type_name("ROLE");
  val->add_option("--override-reason", o->override_reason,
                  "Ask to override a refusal, with this reason: says whether the override would "
                  "be accepted (needs --role)")
      ->type_name("TEXT")
      ->needs(role)
      ->each([o](const std::string&) { o->override_given = true; });
  add_input_options(*val, o->in);
  add_output_options(*val, o->out);
  val->footer(
      "--rules FILE (an option of 'stage') may come before or after 'validate'.\n"
      "Opportunity columns (CSV): id and stage (required), name, customer, owner, "
      "entered_stage_at, amount, created_at, closed_at, and the rules file's custom fields, or "
      "their Chinese names (商机编号, 销售阶段, 商机名称, 客户编号, 负责人, 进入阶段时间, "
      "金额, ...). JSON Lines and .json: the model's JSON form, which also carries the deal's "
      "evidence and lost_reasons.\n"
      "Evidence types: note, call_recording, screenshot, pdf, signed_document, email, "
      "meeting_minutes (counted only with attendees), approval. An item counts for the stage "
      "named in its 'stage'.\n"
      "Output keys: opportunity, from, to, kind (next, skip, shortcut, back, won, lost, "
      "invalid), allowed, moves, skipped, unmet (stage, requirement, detail), days_in_stage, "
      "dwell_limit, frozen, override. --format table prints the reasons one per line under the "
      "verdict.");

  CLI::App* graph = sub->add_subcommand(
      "graph",
      "Write the pipeline as a Graphviz DOT digraph: the stages and the allowed moves, or with "
      "--log the moves actually taken (counted), each stage's entries, stays and refusals, "
      "shaded by its median stay against its dwell limit. Render with: dot -Tsvg pipeline.dot > "
      "pipeline.svg");
  graph->fallthrough();
  graph->footer("--rules FILE (an option of 'stage') may come before or after 'graph'.");
  graph
      ->add_option("--log", o->log,
                   "A decision log: JSON Lines, one decision per line in the library's JSON "
                   "form (seq, at, kind, subject, actor, reason, detail); '-': stdin")
      ->type_name("FILE");
  graph->add_option("--output", o->graph_output, "Write the DOT here (default: standard output)")
      ->type_name("FILE");
  graph
      ->add_option("--format", o->graph_format,
                   "Not used: graph always writes Graphviz DOT (only 'dot' is accepted)")
      ->check(CLI::Validator(
          [](std::string& f) -> std::string {
            if (f == "dot") return {};
            return "graph always writes Graphviz DOT; --format " + f +
                   " applies to 'stage validate' only";
          },
          "dot"));
  graph->add_flag("--skip-bad-rows", o->skip_bad_log_lines,
                  "Report bad lines of the log on stderr and leave them out (default: refuse the "
                  "log after reporting them)");

  return {sub, [o, val, graph] {
            if (val->parsed()) return run_validate(*o);
            if (graph->parsed()) return run_graph(*o);
            std::cerr << "crmrules: stage needs validate or graph\n";
            return exit_usage;
          }};
}

}  // namespace crmrules::cli
