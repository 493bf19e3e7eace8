// crmrules tier --rules R --customers C --events E [--at TIME]: customer tiers from behaviour
// events, and the actions that would fire.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands.hpp"
#include "crmrules/model/json.hpp"
#include "crmrules/model/time.hpp"
#include "crmrules/tier/engine.hpp"
#include "input.hpp"
#include "output.hpp"
#include "terminal.hpp"
#include "util/suggest.hpp"

namespace crmrules::cli {

namespace {

struct tier_options {
  std::string rules;
  std::string customers;
  std::string events;
  std::string at;
  bool from_stored = false;
  std::string must_do_rep;
  std::string day;
  input_options in;
  output_options out;
};

/// China Standard Time: the offset --day is read in.
constexpr std::chrono::minutes day_offset = std::chrono::hours(8);

/// " (did you mean 'x'?)" or "": tier messages go on after the suggestion.
std::string maybe_meant(std::string_view word, const std::vector<std::string>& names) {
  const auto guess = closest_of(word, names);
  return guess ? " (did you mean '" + *guess + "'?)" : std::string();
}

nlohmann::ordered_json param_json(const value& v) {
  return nlohmann::ordered_json::parse(value_to_json(v), nullptr, false);
}

/// A fired action. JSON Lines keeps it as an object; CSV and tables get one string per action,
/// "respond to R027 sla=tier_a_response", recipients joined with '+' (the source added in
/// brackets for upgrades).
nlohmann::ordered_json action_json(const tier::fired_action& a, bool flat) {
  const tier::action_def& d = *a.action;
  if (flat) {
    std::string s = d.action;
    std::string to;
    for (const auto& r : a.recipients)
      to += (to.empty() ? "" : "+") + r;
    if (!to.empty()) s += " to " + to;
    if (!d.sla.empty()) s += " sla=" + d.sla;
    for (const auto& [k, v] : d.params)
      s += " " + k + "=" + v.to_string();
    if (a.upgrade) s += " (" + a.source + ")";
    return s;
  }
  nlohmann::ordered_json j = {
      {"source", a.source}, {"upgrade", a.upgrade}, {"action", d.action}, {"to", a.recipients}};
  if (!d.sla.empty()) j["sla"] = d.sla;
  if (!d.params.empty()) {
    nlohmann::ordered_json params = nlohmann::ordered_json::object();
    for (const auto& [k, v] : d.params)
      params[k] = param_json(v);
    j["params"] = std::move(params);
  }
  return j;
}

nlohmann::ordered_json tier_or_null(std::string_view t) {
  return t.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t);
}

/// Warnings of one kind, the first max_reported_rows printed and the rest counted.
class warnings {
 public:
  explicit warnings(std::ostream& err) : err_(err) {}
  void add(const std::string& text) {
    if (++count_ <= max_reported_rows) err_ << text << '\n';
  }
  void close(const std::string& source, const std::string& what) {
    if (count_ > max_reported_rows) {
      err_ << source << ": warning: " << (count_ - max_reported_rows) << " more " << what
           << " not shown (" << count_ << " in all)\n";
    }
  }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }

 private:
  std::ostream& err_;
  std::size_t count_ = 0;
};

/// A YYYY-MM-DD date at 00:00 China Standard Time, or nullopt.
std::optional<timestamp> parse_day(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto t = parse_timestamp(text, day_offset);
  if (!t) return std::nullopt;
  return *t;
}

int run_tier(const tier_options& o) {
  const stopwatch clock;
  progress meter(stderr_is_terminal(), std::cerr);
  const auto rules = load_rules(o.rules, std::cerr);
  if (!rules) return exit_invalid;
  const auto policy = rules->tier_policy();
  if (!policy) {
    std::cerr << o.rules << ": error: the rules file has no \"tiers\" section (the tiers, their "
              << "conditions and actions; see docs/TIERING.md)\n";
    return exit_invalid;
  }

  std::optional<timestamp> at;
  if (!o.at.empty()) at = parse_timestamp(o.at).value();  // checked by the option's validator
  const std::optional<timestamp> day = o.day.empty() ? std::nullopt : parse_day(o.day);

  read_request rq{o.customers, &rules->schemas().of(record_kind::customer), {"id"}, &o.in, &meter};
  const auto customers = read_records<customer>(rq, std::cerr);
  read_request eq{
      o.events, &rules->schemas().of(record_kind::event), {"id", "type", "at"}, &o.in, &meter};
  const auto events = read_records<event>(eq, std::cerr);
  if (!customers || !events) return exit_invalid;

  // Each customer starts with no tier (its tier comes from behaviour), or with --from-stored at
  // its stored tier, which must be one of the section's.
  std::vector<std::string> tier_names;
  for (const auto& t : policy->tiers)
    tier_names.push_back(t.name);
  std::unordered_map<std::string, std::size_t> index;  // customer id -> position
  std::vector<std::string> owners;                     // for "did you mean" on --must-do-rep
  std::unordered_set<std::string> owner_set;
  std::size_t bad_tiers = 0;
  for (std::size_t i = 0; i < customers->records.size(); ++i) {
    const customer& c = customers->records[i];
    index.emplace(c.id.str(), i);
    if (c.owner && owner_set.insert(c.owner->str()).second) owners.push_back(c.owner->str());
    if (o.from_stored && !c.tier.empty() && !policy->find(c.tier)) {
      if (++bad_tiers <= max_reported_rows) {
        std::cerr << customers->source << ':' << customers->lines[i] << ": error: customer '"
                  << c.id.str() << "' has tier '" << c.tier
                  << "', which the rules file's tiers section does not have"
                  << maybe_meant(c.tier, tier_names) << '\n';
      }
    }
  }
  if (bad_tiers > 0) {
    std::cerr << customers->source << ": error: " << plural(bad_tiers, "customer", "customers")
              << " with a tier the rules do not have (--from-stored takes the stored tiers as "
                 "they are)\n";
    return exit_invalid;
  }
  std::sort(owners.begin(), owners.end());
  if (!o.must_do_rep.empty() && !owner_set.contains(o.must_do_rep)) {
    std::cerr << "crmrules: error: --must-do-rep '" << o.must_do_rep << "' owns no customer in "
              << customers->source << maybe_meant(o.must_do_rep, owners) << '\n';
    return exit_invalid;
  }

  // --at defaults to the latest event's time: a replayed export is tiered as of its end.
  bool at_from_events = false;
  if (!at) {
    for (const auto& e : events->records) {
      if (!at || e.at > *at) at = e.at;
    }
    at_from_events = at.has_value();
    if (!at) {
      at =
          std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
      std::cerr << events->source << ": warning: no events; tiering as of now ("
                << format_timestamp(*at) << "), give --at to choose the time\n";
    }
  }

  tier::engine tiers(policy);
  for (const customer& c : customers->records) {
    customer copy = c;
    if (!o.from_stored) copy.tier.clear();
    if (status s = tiers.add_customer(copy); !s.ok()) {
      std::cerr << customers->source << ": error: " << s.message() << '\n';
      return exit_invalid;
    }
  }

  // Events: those of customers not in the file are warnings with their line, those after --at
  // have not happened yet, those of no customer (a lead's) are not a customer's behaviour.
  warnings unknown(std::cerr);
  std::size_t later = 0;
  std::size_t no_customer = 0;
  std::uint64_t first_no_customer = 0;
  std::size_t used = 0;
  std::vector<std::string> ids;  // customer ids in file order, for "did you mean"
  for (std::size_t i = 0; i < events->records.size(); ++i) {
    const event& e = events->records[i];
    meter.tick("loading events", i + 1);
    if (!e.customer || e.customer->empty()) {
      if (no_customer++ == 0) first_no_customer = events->lines[i];
      continue;
    }
    if (!index.contains(e.customer->str())) {
      std::string text = events->source + ':' + std::to_string(events->lines[i]) +
                         ": warning: event '" + e.id.str() + "' is for customer '" +
                         e.customer->str() + "', who is not in " + customers->source;
      if (unknown.count() < max_reported_rows) {
        // The guess is only worth computing for the lines printed.
        if (ids.empty()) {
          ids.reserve(customers->records.size());
          for (const auto& c : customers->records)
            ids.push_back(c.id.str());
        }
        text += maybe_meant(e.customer->str(), ids);
      }
      unknown.add(text + "; the event is ignored");
      continue;
    }
    if (e.at > *at) {
      ++later;
      continue;
    }
    if (status s = tiers.record(e); !s.ok()) {
      std::cerr << events->source << ':' << events->lines[i] << ": error: " << s.message() << '\n';
      return exit_invalid;
    }
    ++used;
  }
  unknown.close(events->source, "events of unknown customers");
  if (no_customer > 0) {
    std::cerr << events->source << ": warning: " << plural(no_customer, "event has", "events have")
              << " no customer (first on line " << first_no_customer
              << "); a lead's events do not tier customers, they are ignored\n";
  }

  auto out = output::open(o.out.path);
  if (!out) {
    std::cerr << "crmrules: error: " << out.error().message() << '\n';
    return exit_invalid;
  }
  row_writer os((*out)->stream(), o.out.form());
  const bool flat = o.out.form() != output_format::jsonl;

  std::map<std::string, std::size_t> per_tier;
  std::map<std::pair<std::string, std::string>, std::size_t> per_action;  // (source, action)
  std::size_t fired = 0;
  // Formula errors (#NUM! ...), grouped by message: the same mistake meets every customer.
  struct error_group {
    std::size_t customers = 0;
    std::string first;
    std::uint64_t line = 0;
  };
  std::map<std::string, error_group> formula_errors;
  std::size_t customers_with_errors = 0;
  for (std::size_t i = 0; i < customers->records.size(); ++i) {
    const customer& c = customers->records[i];
    meter.tick("tiering", i + 1);
    auto r = tiers.retier(c.id, *at);
    if (!r) {
      std::cerr << customers->source << ':' << customers->lines[i]
                << ": error: " << r.error().message() << '\n';
      return exit_internal;
    }
    customers_with_errors += r->errors.empty() ? 0 : 1;
    for (const auto& e : r->errors) {
      error_group& g = formula_errors[e];
      if (g.customers++ == 0) {
        g.first = c.id.str();
        g.line = customers->lines[i];
      }
    }
    ++per_tier[std::string(r->tier)];
    nlohmann::ordered_json upgrades = nlohmann::ordered_json::array();
    nlohmann::ordered_json actions = nlohmann::ordered_json::array();
    for (const auto& a : r->actions) {
      ++fired;
      ++per_action[{a.source, a.action->action}];
      if (a.upgrade && std::find(upgrades.begin(), upgrades.end(), a.source) == upgrades.end())
        upgrades.push_back(a.source);
      actions.push_back(action_json(a, flat));
    }
    // The counts the conditions saw: every event type in the horizon, by name.
    std::vector<std::pair<std::string, std::int64_t>> counts;
    const auto& w = tiers.windows();
    if (const auto slot = w.find(c.id.str())) {
      for (const auto& [type, n] : w.counts(*slot, policy->horizon, *at))
        counts.emplace_back(w.type_name(type), n);
    }
    std::sort(counts.begin(), counts.end());
    nlohmann::ordered_json counted =
        flat ? nlohmann::ordered_json::array() : nlohmann::ordered_json::object();
    for (const auto& [type, n] : counts) {
      if (flat)
        counted.push_back(type + "=" + std::to_string(n));
      else
        counted[type] = n;
    }
    os.write({{"customer", c.id.str()},
              {"tier", tier_or_null(r->tier)},
              {"stored_tier", tier_or_null(c.tier)},
              {"upgrades", std::move(upgrades)},
              {"actions", std::move(actions)},
              {"counts", std::move(counted)}});
  }
  for (const auto& [text, g] : formula_errors) {
    std::cerr << o.rules << ": warning: " << text << " for "
              << plural(g.customers, "customer", "customers") << " (first '" << g.first << "', "
              << customers->source << ':' << g.line << "); the condition counts as not met\n";
  }

  std::size_t gaps_found = 0;
  if (!o.must_do_rep.empty()) {
    const timestamp from = day ? *day : [&] {
      // The day of --at in China Standard Time.
      const auto local = std::chrono::floor<std::chrono::days>(*at + day_offset);
      return timestamp(local - day_offset);
    }();
    const std::string day_text = format_timestamp(from + day_offset).substr(0, 10);
    const auto gaps = tiers.must_do(rep_id{o.must_do_rep}, from, from + std::chrono::hours(24));
    gaps_found = gaps.size();
    os.finish();
    for (const auto& g : gaps) {
      os.write({{"must_do", o.must_do_rep},
                {"day", day_text},
                {"customer", g.customer.str()},
                {"tier", g.tier},
                {"event", g.event},
                {"min", g.min},
                {"done", g.done}});
    }
  }

  // The summary: customers per tier (every tier of the section, then none), actions per kind.
  const std::size_t total = customers->records.size();
  std::string tiers_text;
  os.finish();
  auto tier_row = [&](const std::string& name) {
    const std::size_t n = per_tier.contains(name) ? per_tier.at(name) : 0;
    const double share =
        total == 0
            ? 0.0
            : std::round(10000.0 * static_cast<double>(n) / static_cast<double>(total)) / 10000.0;
    os.write({{"tier", tier_or_null(name)}, {"customers", n}, {"share", share}});
    tiers_text +=
        (tiers_text.empty() ? "" : ", ") + (name.empty() ? "none" : name) + " " + with_commas(n);
  };
  for (const auto& t : policy->tiers)
    tier_row(t.name);
  tier_row("");
  os.finish();
  auto action_rows = [&](const std::string& source, bool upgrade,
                         const std::vector<tier::action_def>& defs) {
    std::unordered_set<std::string> seen;
    for (const auto& d : defs) {
      if (!seen.insert(d.action).second) continue;
      const auto it = per_action.find({source, d.action});
      os.write({{"action", d.action},
                {"source", source},
                {"upgrade", upgrade},
                {"fired", it == per_action.end() ? 0 : it->second}});
    }
  };
  for (const auto& t : policy->tiers)
    action_rows(t.name, false, t.actions);
  for (const auto& u : policy->upgrades)
    action_rows(u.name, true, u.actions);

  os.finish();
  if (status s = (*out)->finish(); !s.ok()) {
    std::cerr << "crmrules: error: " << s.message() << '\n';
    return exit_invalid;
  }
  meter.clear();
  std::string summary = plural(total, "customer", "customers");
  if (customers->skipped + events->skipped > 0) {
    summary +=
        " (" + plural(customers->skipped + events->skipped, "bad row", "bad rows") + " skipped)";
  }
  summary += " as of " + format_timestamp(*at) + (at_from_events ? " (the latest event)" : "") +
             ": " + tiers_text + "; " + plural(used, "event", "events") + " counted";
  std::string ignored;
  const auto add_ignored = [&](std::size_t n, const std::string& why) {
    if (n > 0) ignored += (ignored.empty() ? "" : ", ") + with_commas(n) + " " + why;
  };
  add_ignored(unknown.count(), "of unknown customers");
  add_ignored(later, "after --at");
  add_ignored(no_customer, "without a customer");
  if (!ignored.empty()) summary += " (ignored: " + ignored + ")";
  summary += ", " + plural(fired, "action", "actions") + " would fire";
  if (!o.must_do_rep.empty())
    summary += ", " + plural(gaps_found, "must-do touch", "must-do touches") + " not done";
  if (customers_with_errors > 0) {
    summary +=
        ", " + plural(customers_with_errors, "customer", "customers") + " with formula errors";
  }
  std::cerr << "tier: " << summary << ", " << format_seconds(clock.seconds()) << '\n';
  return exit_ok;
}

}  // namespace

command add_tier_command(CLI::App& program) {
  auto o = std::make_shared<tier_options>();
  CLI::App* sub = program.add_subcommand(
      "tier",
      "Tier customers from their behaviour events under the rules file's \"tiers\" section, and "
      "list the actions that would fire. Writes JSON Lines: one object per customer (customer, "
      "tier, stored_tier, upgrades, actions, counts), the must-do touches with --must-do-rep, "
      "then the customers per tier and the actions per kind; a summary line goes to stderr.");
  sub->add_option("--rules", o->rules, "The rules file (it must have a \"tiers\" section)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--customers", o->customers,
                  "Customers (CSV with a header row, or JSON Lines; '-': stdin)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--events", o->events,
                  "Behaviour events (CSV with a header row, or JSON Lines; '-': stdin)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--at", o->at,
                  "Tier as of this RFC 3339 time (default: the latest event's time, so a replayed "
                  "export is tiered as of its end); later events are ignored")
      ->type_name("TIME")
      ->check(CLI::Validator(
          [](std::string& t) -> std::string {
            auto r = parse_timestamp(t);
            return r ? std::string()
                     : "'" + t +
                           "' is not an RFC 3339 time (e.g. "
                           "2026-11-20T09:00:00+08:00): " +
                           r.error().message();
          },
          ""));
  sub->add_flag("--from-stored", o->from_stored,
                "Start each customer at its stored tier (the tier column): only customers whose "
                "tier changes fire entry actions (default: every customer enters its tier afresh)");
  auto* rep = sub->add_option("--must-do-rep", o->must_do_rep,
                              "Also list this rep's must-do touches not done on --day (for the "
                              "customers the rep owns, by their tier's daily requirements)")
                  ->type_name("REP");
  sub->add_option("--day", o->day,
                  "With --must-do-rep: the day, YYYY-MM-DD in China Standard Time (UTC+08:00; "
                  "default: the day of --at)")
      ->type_name("DATE")
      ->check(CLI::Validator(
          [](std::string& d) -> std::string {
            return parse_day(d) ? std::string() : "'" + d + "' is not a date (YYYY-MM-DD)";
          },
          ""))
      ->needs(rep);
  add_input_options(*sub, o->in);
  add_output_options(*sub, o->out);
  sub->footer(
      "Customers: id required; owner (负责人) resolves \"$owner\" recipients; tier (客户等级) is "
      "the stored tier (used with --from-stored); conditions may read any other field. "
      "Events: id (事件编号), type (事件类型), at (发生时间, RFC 3339) required; customer "
      "(客户编号); channel and lead are read too. An event of a customer not in --customers is "
      "a warning with its line and is ignored; so is an event with no customer (a lead's). "
      "JSON Lines: one record per line as crmrules_sample_gen writes customers.jsonl and "
      "events.jsonl.");
  return {sub, [o] { return run_tier(*o); }};
}

}  // namespace crmrules::cli
