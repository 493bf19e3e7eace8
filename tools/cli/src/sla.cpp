// crmrules sla --rules R add|between|replay: business time on the rules file's calendars, and
// SLA deadlines replayed on a simulated clock.
//
//   crmrules sla --rules R add --calendar NAME --from TIME --duration 2h
//   crmrules sla --rules R between --calendar NAME --from T1 --to T2
//   crmrules sla --rules R replay --events EVENTS.jsonl [--until TIME]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "crmrules/model/time.hpp"
#include "crmrules/sla/calendar.hpp"
#include "crmrules/sla/engine.hpp"
#include "crmrules/sla/policy.hpp"
#include "crmrules/store/clock.hpp"
#include "crmrules/store/memory_storage.hpp"
#include "crmrules/store/notifier.hpp"
#include "csv_reader.hpp"
#include "input.hpp"
#include "model/json_strict.hpp"
#include "output.hpp"
#include "terminal.hpp"
#include "util/suggest.hpp"
#include "util/utf8.hpp"

namespace crmrules::cli {

namespace {

using std::chrono::minutes;

struct sla_options {
  std::string rules;
  // add and between
  std::string calendar;
  std::string from;
  std::string to;
  std::string duration_text;
  // replay
  std::string events;
  std::string until;
  input_options in;
  output_options out;
};

// ---------------------------------------------------------------------------------------------
// Time zones and times for people

/// RFC 3339 at `offset`: "2026-11-20T11:00:00+08:00" ("Z" at UTC).
std::string format_at(timestamp t, minutes offset) {
  if (offset == minutes(0)) return format_timestamp(t);
  std::string s = format_timestamp(t + offset);
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  const auto m = offset.count() < 0 ? -offset.count() : offset.count();
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset.count() < 0 ? '-' : '+',
                static_cast<int>(m / 60), static_cast<int>(m % 60));
  return s + buf;
}

/// The UTC offset written in a time's text ("Z", "+08:00"), or nullopt when it has none.
std::optional<minutes> offset_in(std::string_view text) {
  const auto with = parse_timestamp(text, minutes(0));
  const auto other = parse_timestamp(text, minutes(60));
  if (!with || !other || *with != *other) return std::nullopt;
  // The offset follows the time of day: the last 'Z', '+' or '-' after the date.
  std::size_t at = std::string_view::npos;
  for (std::size_t i = text.size(); i > 10; --i) {
    const char c = text[i - 1];
    if (c == 'Z' || c == 'z' || c == '+' || c == '-') {
      at = i - 1;
      break;
    }
  }
  if (at == std::string_view::npos) return minutes(0);
  const auto local = parse_timestamp(text.substr(0, at), minutes(0));
  if (!local) return minutes(0);
  return std::chrono::duration_cast<minutes>(*local - *with);
}

/// `text` for a message: quoted.
std::string quote_text(std::string_view text) {
  return "'" + std::string(text) + "'";
}
// ---------------------------------------------------------------------------------------------
// add and between

/// The calendar named `name`; null (after a message) when the rules file has no calendars or
/// none of that name.
std::shared_ptr<const sla::business_calendar> find_calendar(const rule_set& rules,
                                                            const sla_options& o,
                                                            std::string_view sub) {
  const auto names = rules.calendar_names();
  if (names.empty()) {
    std::cerr << o.rules << ": error: the rules file has no \"calendars\" section; sla " << sub
              << " counts business time on one of its calendars (docs/SLA.md)\n";
    return nullptr;
  }
  auto cal = rules.calendar(o.calendar);
  if (!cal) {
    std::cerr << o.rules << ": error: no calendar named " << quote_text(o.calendar)
              << did_you_mean(o.calendar, names) << " (the calendars: " << joined(names) << ")\n";
    return nullptr;
  }
  return cal;
}

/// A time given on the command line; one without an offset is local time on the calendar.
std::optional<timestamp> calendar_time(const std::string& option, const std::string& text,
                                       const sla::business_calendar& cal) {
  auto t = parse_timestamp(text, minutes(0));
  if (!t) {
    std::cerr << "crmrules: error: " << option << " " << quote_text(text)
              << " is not a time (RFC 3339, e.g. 2026-11-20T09:00:00+08:00, or a local time "
                 "on the calendar such as 2026-11-20T09:00): "
              << t.error().message() << '\n';
    return std::nullopt;
  }
  if (!offset_in(text)) return cal.from_local(*t);
  return *t;
}

/// Writes the rows and finishes the output; exit status.
int write_rows(const sla_options& o, const std::vector<nlohmann::ordered_json>& rows) {
  auto out = output::open(o.out.path);
  if (!out) {
    std::cerr << "crmrules: error: " << out.error().message() << '\n';
    return exit_invalid;
  }
  row_writer os((*out)->stream(), o.out.form());
  for (const auto& r : rows)
    os.write(r);
  os.finish();
  if (status s = (*out)->finish(); !s.ok()) {
    std::cerr << "crmrules: error: " << s.message() << '\n';
    return exit_invalid;
  }
  return exit_ok;
}

int run_add(const sla_options& o) {
  const stopwatch clock;
  const auto rules = load_rules(o.rules, std::cerr);
  if (!rules) return exit_invalid;
  const auto cal = find_calendar(*rules, o, "add");
  if (!cal) return exit_invalid;
  const auto from = calendar_time("--from", o.from, *cal);
  if (!from) return exit_invalid;
  const auto d = parse_duration(o.duration_text);
  if (!d) {
    std::cerr << "crmrules: error: --duration " << quote_text(o.duration_text)
              << " is not a duration (e.g. 2h, 90m, 1h30m, 1d = 24 business hours): "
              << d.error().message() << '\n';
    return exit_invalid;
  }
  if (*d < duration::zero()) {
    std::cerr << "crmrules: error: --duration " << quote_text(o.duration_text)
              << " is negative; business time is only counted forwards\n";
    return exit_invalid;
  }
  const auto due = cal->add(*from, *d);
  if (!due) {
    std::cerr << "crmrules: error: calendar '" << o.calendar << "': " << due.error().message()
              << '\n';
    return exit_invalid;
  }
  nlohmann::ordered_json row = {{"calendar", o.calendar},
                                {"from", format_at(*from, cal->utc_offset(*from))},
                                {"duration", format_duration(*d)},
                                {"due", format_at(*due, cal->utc_offset(*due))}};
  if (const int rc = write_rows(o, {row}); rc != exit_ok) return rc;
  std::cerr << "sla add: " << format_duration(*d) << " of business time on " << o.calendar
            << " from " << row["from"].get<std::string>() << " is due "
            << row["due"].get<std::string>() << ", " << format_seconds(clock.seconds()) << '\n';
  return exit_ok;
}

int run_between(const sla_options& o) {
  const stopwatch clock;
  const auto rules = load_rules(o.rules, std::cerr);
  if (!rules) return exit_invalid;
  const auto cal = find_calendar(*rules, o, "between");
  if (!cal) return exit_invalid;
  const auto from = calendar_time("--from", o.from, *cal);
  if (!from) return exit_invalid;
  const auto to = calendar_time("--to", o.to, *cal);
  if (!to) return exit_invalid;
  if (*to < *from) {
    std::cerr << "crmrules: error: --to " << quote_text(o.to) << " is before --from "
              << quote_text(o.from) << "\n";
    return exit_invalid;
  }
  const duration d = cal->business_time_between(*from, *to);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  nlohmann::ordered_json row = {{"calendar", o.calendar},
                                {"from", format_at(*from, cal->utc_offset(*from))},
                                {"to", format_at(*to, cal->utc_offset(*to))},
                                {"business_time", format_duration(d)},
                                {"seconds", seconds}};
  if (const int rc = write_rows(o, {row}); rc != exit_ok) return rc;
  std::cerr << "sla between: " << format_duration(d) << " ("
            << with_commas(static_cast<std::uint64_t>(seconds)) << " s) of business time on "
            << o.calendar << ", " << format_seconds(clock.seconds()) << '\n';
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// replay: the events file

enum class verb : std::uint8_t { start, stop, pause, resume };
constexpr std::string_view verb_names[] = {"start", "stop", "pause", "resume"};

std::string_view name_of(verb v) {
  return verb_names[static_cast<std::size_t>(v)];
}

/// One command of the events file.
struct command_line {
  std::uint64_t line = 0;
  std::string at_text;
  timestamp at{};
  verb what = verb::start;
  const sla::policy* pol = nullptr;
  record_ref subject;
  // start only
  std::optional<timestamp> from;
  std::optional<duration> due_in;
  std::optional<timestamp> due_at;
  attributes parties;
};

std::string subject_text(const record_ref& r) {
  return std::string(to_string(r.kind)) + ":" + r.id;
}

std::vector<std::string> kind_names() {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < record_kind_count; ++k)
    out.emplace_back(to_string(static_cast<record_kind>(k)));
  return out;
}

/// The raw fields of one command, from a JSON object or a CSV row.
struct raw_command {
  std::string at;
  std::string verb_text;  ///< empty when no command was given
  std::string policy;
  std::string subject;
  std::string from;
  std::string due_in;
  std::string due_at;
  bool has_parties = false;
  attributes parties;
};

/// Checks the events of a file one by one, in order: each command on its own (times, policy,
/// subject, parties) and against what came before it (time order; a stop, pause or resume of
/// a deadline the file started and left in a state that allows it).
class command_checker {
 public:
  explicit command_checker(const sla::policy_set& policies) : policies_(policies) {
    for (const auto& n : policies.names())
      policy_names_.push_back(n);
  }

  /// The command, or the problems with it (appended to `problems`).
  std::optional<command_line> check(const raw_command& raw, std::uint64_t line,
                                    std::vector<std::string>& problems) {
    command_line c;
    c.line = line;
    c.at_text = raw.at;
    const std::size_t before = problems.size();
    if (raw.at.empty()) {
      problems.push_back("'at' is missing: the time of the command");
    } else if (auto t = read_time("at", raw.at, problems)) {
      c.at = *t;
    }
    bool verb_ok = false;
    for (std::size_t i = 0; i < std::size(verb_names); ++i) {
      if (raw.verb_text == verb_names[i]) {
        c.what = static_cast<verb>(i);
        verb_ok = true;
      }
    }
    if (!verb_ok) {
      std::vector<std::string> verbs(std::begin(verb_names), std::end(verb_names));
      if (raw.verb_text.empty()) {
        problems.push_back("no command: give one of start, stop, pause or resume");
      } else {
        problems.push_back("unknown command " + quote_text(raw.verb_text) +
                           did_you_mean(raw.verb_text, verbs) +
                           " (the commands: start, stop, pause, resume)");
      }
    }
    if (raw.policy.empty()) {
      if (verb_ok) problems.push_back("no policy: name the SLA policy the command is about");
    } else {
      c.pol = policies_.find(raw.policy);
      if (c.pol == nullptr) {
        problems.push_back("unknown SLA policy " + quote_text(raw.policy) +
                           did_you_mean(raw.policy, policy_names_) +
                           " (the rules file has: " + joined(policy_names_) + ")");
      }
    }
    if (raw.subject.empty()) {
      problems.push_back("'subject' is missing: the record, as kind:id (lead:L1)");
    } else {
      const auto colon = raw.subject.find(':');
      const std::string kind = raw.subject.substr(0, colon);
      const auto k = parse_record_kind(kind);
      if (colon == std::string::npos || colon + 1 == raw.subject.size()) {
        problems.push_back("subject " + quote_text(raw.subject) +
                           " is not kind:id (such as lead:L1 or customer:C7)");
      } else if (!k) {
        problems.push_back("unknown subject kind " + quote_text(kind) +
                           did_you_mean(kind, kind_names()) + " in " + quote_text(raw.subject) +
                           " (the kinds: " + joined(kind_names()) + ")");
      } else {
        c.subject = {*k, raw.subject.substr(colon + 1)};
        if (c.pol != nullptr && c.pol->about != *k) {
          problems.push_back("policy '" + c.pol->name + "' is about a " +
                             std::string(to_string(c.pol->about)) + ", not a " + kind +
                             " (subject " + quote_text(raw.subject) + ")");
        }
      }
    }
    const bool starting = verb_ok && c.what == verb::start;
    auto start_only = [&](std::string_view key, bool given) {
      if (given && verb_ok && !starting)
        problems.push_back("'" + std::string(key) + "' is for start, not " +
                           std::string(name_of(c.what)));
    };
    start_only("from", !raw.from.empty());
    start_only("due_in", !raw.due_in.empty());
    start_only("due_at", !raw.due_at.empty());
    start_only("parties", raw.has_parties && !raw.parties.empty());
    if (starting) {
      if (!raw.from.empty()) c.from = read_time("from", raw.from, problems);
      if (!raw.due_at.empty()) c.due_at = read_time("due_at", raw.due_at, problems);
      if (!raw.due_in.empty()) {
        auto d = parse_duration(raw.due_in);
        if (!d || *d < duration::zero()) {
          problems.push_back("due_in " + quote_text(raw.due_in) +
                             " is not a duration (e.g. 2h, 90m, 1h30m, 3d)");
        } else {
          c.due_in = *d;
        }
      }
      c.parties = raw.parties;
      if (c.pol != nullptr) {
        std::vector<std::string> missing;
        for (const auto& p : c.pol->parties()) {
          if (c.parties.find(p) == nullptr) missing.push_back(p);
        }
        if (!missing.empty()) {
          problems.push_back("policy '" + c.pol->name + "' needs the part" +
                             (missing.size() == 1 ? "y " : "ies ") + joined(missing) +
                             " in 'parties' (its steps name $" + joined(missing) + ")");
        }
        if (!c.pol->due && !c.due_in && !c.due_at) {
          problems.push_back("policy '" + c.pol->name + "' has no \"due\": give due_in or due_at");
        }
      }
    }
    if (problems.size() != before) return std::nullopt;

    if (previous_ && c.at < previous_->at) {
      problems.push_back("time goes backwards: " + c.at_text + " is before " + previous_->at_text +
                         " on line " + std::to_string(previous_->line) +
                         "; the commands must be in time order");
      return std::nullopt;
    }
    // What the file did with this deadline before.
    const std::string id = sla::timer_id_of(c.pol->name, c.subject).str();
    auto& st = states_[id];
    switch (c.what) {
      case verb::start:
        st = state::running;
        started_[c.pol->name].insert(subject_text(c.subject));
        break;
      case verb::stop:
      case verb::pause:
      case verb::resume: {
        std::string wrong;
        if (st == state::none) {
          wrong = "was never started" +
                  did_you_mean(subject_text(c.subject),
                               std::vector<std::string>(started_[c.pol->name].begin(),
                                                        started_[c.pol->name].end()));
        } else if (st == state::stopped) {
          wrong = "was stopped before (start it again first)";
        } else if (c.what == verb::pause && st == state::paused) {
          wrong = "is already paused";
        } else if (c.what == verb::resume && st != state::paused) {
          wrong = "is not paused";
        }
        if (!wrong.empty()) {
          problems.push_back(std::string(name_of(c.what)) + " " + c.pol->name + " " +
                             subject_text(c.subject) + ": the deadline " + wrong);
          return std::nullopt;
        }
        st = c.what == verb::stop ? state::stopped
                                  : (c.what == verb::pause ? state::paused : state::running);
        break;
      }
    }
    previous_ = c;
    return c;
  }

 private:
  enum class state : std::uint8_t { none, running, paused, stopped };

  static std::optional<timestamp> read_time(std::string_view key, const std::string& text,
                                            std::vector<std::string>& problems) {
    auto t = parse_timestamp(text, minutes(0));
    if (!t) {
      problems.push_back(std::string(key) + " " + quote_text(text) +
                         " is not a time (RFC 3339 with an offset, e.g. "
                         "2026-11-20T09:00:00+08:00): " +
                         t.error().message());
      return std::nullopt;
    }
    if (!offset_in(text)) {
      problems.push_back(std::string(key) + " " + quote_text(text) +
                         " has no UTC offset; add one, such as +08:00 or Z");
      return std::nullopt;
    }
    return *t;
  }

  const sla::policy_set& policies_;
  std::vector<std::string> policy_names_;
  std::optional<command_line> previous_;
  std::map<std::string, state> states_;
  std::map<std::string, std::set<std::string>> started_;
};

constexpr std::string_view json_keys[] = {"at",      "start",   "stop", "pause",  "resume",
                                          "subject", "parties", "from", "due_in", "due_at"};

/// A JSON object of the events file as raw fields; problems appended.
raw_command raw_from_json(const nlohmann::json& j, std::vector<std::string>& problems) {
  raw_command r;
  std::vector<std::string> keys(std::begin(json_keys), std::end(json_keys));
  auto text = [&](const std::string& key, std::string& into) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_string()) {
      problems.push_back("'" + key + "' must be a string, not " + std::string(it->type_name()));
      return;
    }
    into = it->get<std::string>();
    if (into.empty()) problems.push_back("'" + key + "' is empty");
  };
  for (const auto& [key, v] : j.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      problems.push_back("unknown key " + quote_text(key) + did_you_mean(key, keys) +
                         " (the keys: " + joined(keys) + ")");
    }
  }
  text("at", r.at);
  std::vector<std::string> verbs;
  for (const auto v : verb_names) {
    if (j.contains(std::string(v))) verbs.emplace_back(v);
  }
  if (verbs.size() > 1) {
    problems.push_back("one command per line, not " + joined(verbs));
  } else if (verbs.size() == 1) {
    r.verb_text = verbs[0];
    text(verbs[0], r.policy);
  }
  text("subject", r.subject);
  text("from", r.from);
  text("due_in", r.due_in);
  text("due_at", r.due_at);
  if (const auto it = j.find("parties"); it != j.end() && !it->is_null()) {
    r.has_parties = true;
    if (!it->is_object()) {
      problems.push_back("'parties' must be an object such as {\"owner\": \"R1\"}");
    } else {
      for (const auto& [name, v] : it->items()) {
        if (v.is_string()) {
          r.parties.set(name, value(v.get<std::string>()));
        } else if (v.is_array() &&
                   std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); })) {
          r.parties.set(name, value(v.get<value::string_list>()));
        } else {
          problems.push_back("party '" + name + "' must be a string or a list of strings");
        }
      }
    }
  }
  return r;
}

/// A CSV "parties" cell: "owner=R1;manager=M1"; a name given twice is a list.
void parties_from_cell(std::string_view cell, raw_command& r, std::vector<std::string>& problems) {
  std::map<std::string, std::vector<std::string>> found;
  std::vector<std::string> order;
  std::size_t start = 0;
  while (start <= cell.size()) {
    const std::size_t semi = cell.find(';', start);
    const std::size_t stop = semi == std::string_view::npos ? cell.size() : semi;
    const std::string_view item = detail::trim_blanks(cell.substr(start, stop - start));
    if (!item.empty()) {
      const auto eq = item.find('=');
      const std::string name(detail::trim_blanks(item.substr(0, eq)));
      const std::string who(eq == std::string_view::npos
                                ? std::string_view()
                                : detail::trim_blanks(item.substr(eq + 1)));
      if (name.empty() || who.empty()) {
        problems.push_back("parties " + quote_text(item) +
                           ": write name=id pairs separated by ';' (owner=R1;manager=M1)");
      } else {
        if (!found.contains(name)) order.push_back(name);
        found[name].push_back(who);
      }
    }
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  r.has_parties = true;
  for (const auto& name : order) {
    const auto& ids = found[name];
    if (ids.size() == 1) {
      r.parties.set(name, value(ids[0]));
    } else {
      r.parties.set(name, value(value::string_list(ids)));
    }
  }
}

/// Reads and checks every command of the events file; nullopt (after the messages) when the
/// file is refused.
std::optional<std::vector<command_line>> read_events(const sla_options& o,
                                                     const sla::policy_set& policies,
                                                     std::size_t& skipped) {
  const auto format = format_of(o.events, o.in, std::cerr);
  if (!format) return std::nullopt;
  auto data = read_file(o.events);
  if (!data) {
    std::cerr << "crmrules: error: " << data.error().message() << '\n';
    return std::nullopt;
  }
  const std::string source = o.events == "-" ? "<stdin>" : o.events;
  bad_rows errors(std::cerr, source, o.in.skip_bad_rows, "line");
  command_checker checker(policies);
  std::vector<command_line> out;
  std::vector<std::string> problems;
  auto take = [&](const raw_command& raw, std::uint64_t line) {
    if (problems.empty()) {
      if (auto c = checker.check(raw, line, problems)) out.push_back(std::move(*c));
    }
    if (!problems.empty()) errors.bad(line, problems);
  };
  const std::string_view text = *data;

  if (*format == input_format::jsonl) {
    for_each_line(text, [&](std::uint64_t line, std::size_t begin, std::string_view row) {
      problems.clear();
      if (const auto at = detail::first_invalid_utf8(row)) {
        problems.push_back(invalid_utf8_message(text, begin + *at));
        errors.bad(line, problems);
        return;
      }
      // Strict: a key given twice ("start" twice, say) is refused, as the record readers do.
      auto parsed = detail::parse_json_object(row, "the command");
      if (!parsed && parsed.error().message().find("must be a JSON object") == std::string::npos) {
        problems.push_back(parsed.error().message());
        errors.bad(line, problems);
        return;
      }
      const nlohmann::json j = parsed ? nlohmann::json(*parsed) : nlohmann::json();
      if (!j.is_object()) {
        problems.push_back(
            "a command must be a JSON object such as {\"at\": ..., \"start\": "
            "\"first_touch\", \"subject\": \"lead:L1\", ...}");
        errors.bad(line, problems);
        return;
      }
      const raw_command raw = raw_from_json(j, problems);
      take(raw, line);
    });
  } else {
    csv_reader reader(text, delimiter_of(o.in.delimiter, o.events));
    csv_record rec;
    csv_error bad;
    switch (reader.next(rec, bad)) {
      case csv_reader::outcome::end:
        std::cerr << source << ": error: the file is empty; a CSV file starts with a header row\n";
        return std::nullopt;
      case csv_reader::outcome::error:
        std::cerr << source << ':' << bad.at_line
                  << ": error: malformed header row: " << bad.message << '\n';
        return std::nullopt;
      case csv_reader::outcome::record:
        break;
    }
    if (const auto at = detail::first_invalid_utf8(text.substr(rec.begin, rec.end - rec.begin))) {
      std::cerr << source << ':' << rec.line
                << ": error: header row: " << invalid_utf8_message(text, rec.begin + *at) << '\n';
      return std::nullopt;
    }
    const std::vector<std::string> known = {"at",      "command", "policy", "subject",
                                            "parties", "from",    "due_in", "due_at"};
    std::vector<int> column(rec.fields.size(), -1);
    std::vector<std::string> header;
    bool header_ok = true;
    for (std::size_t i = 0; i < rec.fields.size(); ++i) {
      const std::string name(detail::trim_blanks(rec.fields[i]));
      header.push_back(name);
      const auto it = std::find(known.begin(), known.end(), name);
      if (name.empty()) {
        std::cerr << source << ':' << rec.line << ": error: column " << (i + 1) << " has no name\n";
        header_ok = false;
      } else if (it != known.end()) {
        column[i] = static_cast<int>(it - known.begin());
        // A column given twice would silently win over the first: refuse it.
        for (std::size_t k = 0; k < i; ++k) {
          if (column[k] == column[i]) {
            std::cerr << source << ':' << rec.line << ": error: column " << quote_text(name)
                      << " appears twice (columns " << (k + 1) << " and " << (i + 1) << ")\n";
            header_ok = false;
          }
        }
      } else {
        std::cerr << source << ':' << rec.line << ": warning: column " << quote_text(name)
                  << " is not an SLA command column; it is ignored" << did_you_mean(name, known)
                  << '\n';
      }
    }
    for (int need = 0; need < 4; ++need) {
      if (std::find(column.begin(), column.end(), need) != column.end()) continue;
      std::cerr << source << ':' << rec.line << ": error: missing required column '"
                << known[static_cast<std::size_t>(need)] << "'; the header has: " << joined(header)
                << '\n';
      header_ok = false;
    }
    if (!header_ok) return std::nullopt;
    std::uint64_t row = 0;
    for (;;) {
      const auto outcome = reader.next(rec, bad);
      if (outcome == csv_reader::outcome::end) break;
      ++row;
      problems.clear();
      if (outcome == csv_reader::outcome::error) {
        problems.push_back("row " + std::to_string(row) + ": malformed row: " + bad.message);
        errors.bad(bad.line, problems);
        continue;
      }
      if (const auto at = detail::first_invalid_utf8(text.substr(rec.begin, rec.end - rec.begin))) {
        problems.push_back("row " + std::to_string(row) + ": " +
                           invalid_utf8_message(text, rec.begin + *at));
        errors.bad(rec.line, problems);
        continue;
      }
      if (rec.fields.size() != column.size()) {
        problems.push_back("row " + std::to_string(row) + ": malformed row: it has " +
                           plural(rec.fields.size(), "field", "fields") + ", the header has " +
                           std::to_string(column.size()));
        errors.bad(rec.line, problems);
        continue;
      }
      raw_command raw;
      for (std::size_t i = 0; i < column.size(); ++i) {
        const std::string cell(detail::trim_blanks(rec.fields[i]));
        switch (column[i]) {
          case 0:
            raw.at = cell;
            break;
          case 1:
            raw.verb_text = cell;
            break;
          case 2:
            raw.policy = cell;
            break;
          case 3:
            raw.subject = cell;
            break;
          case 4:
            parties_from_cell(cell, raw, problems);
            break;
          case 5:
            raw.from = cell;
            break;
          case 6:
            raw.due_in = cell;
            break;
          case 7:
            raw.due_at = cell;
            break;
          default:
            break;
        }
      }
      take(raw, rec.line);
    }
  }
  skipped = errors.count();
  if (!errors.finish()) return std::nullopt;
  return out;
}

// ---------------------------------------------------------------------------------------------
// replay: running the engine

/// How far past the last command a replay without --until runs on, at most.
constexpr auto run_on_cap = std::chrono::days(366);

struct policy_counts {
  std::uint64_t started = 0;
  std::uint64_t stopped_in_time = 0;
  std::uint64_t stopped_late = 0;
  std::uint64_t warnings = 0;
  std::uint64_t breaches = 0;
  std::uint64_t escalations = 0;
};

/// What the replay knows of one deadline.
struct deadline_state {
  timestamp deadline{};
  minutes offset{0};    ///< written times of a policy without a calendar use the start's offset
  bool missed = false;  ///< its breach or a later step fired
  bool paused = false;
};

std::string_view step_type(const sla::step& s) {
  if (s.offset < duration::zero()) return "warning";
  if (s.offset == duration::zero()) return "breach";
  return "escalation";
}

std::optional<timestamp> deadline_of(const timer& t) {
  const value* v = t.custom.find("deadline");
  const timestamp* at = v == nullptr ? nullptr : v->get_if<timestamp>();
  if (at == nullptr) return std::nullopt;
  return *at;
}

int run_replay(const sla_options& o) {
  const stopwatch clock;
  const auto rules = load_rules(o.rules, std::cerr);
  if (!rules) return exit_invalid;
  const auto policies = rules->sla_policies();
  if (policies->empty()) {
    std::cerr << o.rules
              << ": error: the rules file has no \"sla\" section; sla replay runs "
                 "its SLA policies (docs/SLA.md)\n";
    return exit_invalid;
  }
  std::optional<timestamp> until;
  if (!o.until.empty()) {
    auto t = parse_timestamp(o.until, minutes(0));
    if (!t || !offset_in(o.until)) {
      std::cerr << "crmrules: error: --until " << quote_text(o.until)
                << " is not a time with a UTC offset (RFC 3339, e.g. 2026-11-23T18:00:00+08:00)"
                << (t ? std::string() : ": " + t.error().message()) << '\n';
      return exit_invalid;
    }
    until = *t;
  }
  std::size_t skipped = 0;
  const auto commands = read_events(o, *policies, skipped);
  if (!commands) return exit_invalid;

  auto out = output::open(o.out.path);
  if (!out) {
    std::cerr << "crmrules: error: " << out.error().message() << '\n';
    return exit_invalid;
  }
  row_writer os((*out)->stream(), o.out.form());
  const bool flat = o.out.form() != output_format::jsonl;

  std::map<std::string, policy_counts> counts;      // by policy, in name order
  std::map<std::string, deadline_state> deadlines;  // by timer id
  minutes last_offset{0};
  auto offset_for = [&](const sla::policy& p, const std::string& id, timestamp t) {
    if (p.calendar) return p.calendar->utc_offset(t);
    const auto it = deadlines.find(id);
    return it != deadlines.end() ? it->second.offset : last_offset;
  };

  std::vector<sla::fired_step> fired;
  memory_storage store;
  null_notifier quiet;
  manual_clock clk(commands->empty() ? timestamp{} : commands->front().at);
  sla::engine_options options;
  options.on_step = [&](const sla::fired_step& f) -> status {
    fired.push_back(f);
    return {};
  };
  sla::engine engine(policies, store, clk, &quiet, options);
  if (auto r = engine.recover(); !r) {
    std::cerr << "crmrules: internal error: " << r.error().to_string() << '\n';
    return exit_internal;
  }

  std::uint64_t steps = 0;
  std::size_t failures = 0;
  auto write_fired = [&] {
    for (const auto& f : fired) {
      const sla::step& s = f.rules->steps[f.index];
      const std::string id = f.deadline.id.str();
      auto& c = counts[f.rules->name];
      const auto type = step_type(s);
      (type == "warning" ? c.warnings : type == "breach" ? c.breaches : c.escalations) += 1;
      if (type != "warning") deadlines[id].missed = true;
      ++steps;
      const minutes off = offset_for(*f.rules, id, f.fired_at);
      nlohmann::ordered_json recipients = nlohmann::ordered_json::array();
      for (const auto& r : f.recipients)
        recipients.push_back(r);
      nlohmann::ordered_json row = {
          {"at", format_at(f.fired_at, off)},
          {"policy", f.rules->name},
          {"subject", subject_text(f.deadline.subject)},
          {"step", s.name},
          {"action", s.action},
          {"type", std::string(type)},
          {"level", std::string(to_string(s.level))},
          {"recipients", std::move(recipients)},
          {"deadline", format_at(f.deadline_at, offset_for(*f.rules, id, f.deadline_at))},
          {"late", f.late || f.fired_at > f.step_at}};
      if (flat) row["late"] = row["late"].get<bool>() ? "yes" : "no";
      os.write(row);
    }
    fired.clear();
  };
  auto report_errors = [&](const sla::advance_report& r) {
    for (const auto& e : r.errors) {
      std::cerr << "crmrules: error: " << e.message() << '\n';
      ++failures;
    }
  };
  // Fires every step due up to `target`, each at its own time.
  // With `settle`, the clock then stays at `target`; without, at the last step fired.
  auto run_to = [&](timestamp target, bool settle) {
    for (;;) {
      const auto next = engine.next_due();
      if (!next || *next > target) break;
      if (*next > clk.now()) clk.set(*next);
      const auto r = engine.advance();
      report_errors(r);
      write_fired();
      if (r.fired == 0 && r.retried == 0) break;  // nothing moved: do not spin
    }
    if (settle && target > clk.now()) clk.set(target);
  };

  const std::string source = o.events == "-" ? "<stdin>" : o.events;
  std::uint64_t applied = 0;
  std::uint64_t left_out = 0;
  for (const auto& c : *commands) {
    if (until && c.at > *until) {
      ++left_out;
      continue;
    }
    run_to(c.at, true);
    ++applied;
    if (const auto off = offset_in(c.at_text)) last_offset = *off;
    const std::string id = sla::timer_id_of(c.pol->name, c.subject).str();
    auto& pc = counts[c.pol->name];
    auto fail = [&](const status& s) {
      std::cerr << source << ':' << c.line << ": error: " << name_of(c.what) << ' ' << c.pol->name
                << ' ' << subject_text(c.subject) << ": " << s.message() << '\n';
      ++failures;
    };
    switch (c.what) {
      case verb::start: {
        sla::start_request r;
        r.policy = c.pol->name;
        r.subject = c.subject;
        r.from = c.from.value_or(c.at);
        r.due_in = c.due_in;
        r.due_at = c.due_at;
        r.parties = c.parties;
        auto t = engine.start(r);
        if (!t) {
          fail(t.error());
          break;
        }
        ++pc.started;
        deadline_state st;
        st.deadline = deadline_of(*t).value_or(c.at);
        st.offset = last_offset;
        deadlines[id] = st;
        break;
      }
      case verb::stop: {
        auto& st = deadlines[id];
        const status s = engine.stop(timer_id{id});
        if (!s.ok() && s.code() != status_code::not_found) {
          fail(s);
          break;
        }
        // not_found: its ladder had completed, so the stop came after every step.
        const bool late = !s.ok() || st.missed || (!st.paused && c.at > st.deadline);
        (late ? pc.stopped_late : pc.stopped_in_time) += 1;
        st.paused = false;
        break;
      }
      case verb::pause: {
        const status s = engine.pause(timer_id{id});
        if (s.code() == status_code::not_found) {
          std::cerr << source << ':' << c.line << ": warning: pause " << c.pol->name << ' '
                    << subject_text(c.subject)
                    << ": the deadline is no longer running (its ladder completed)\n";
          break;
        }
        if (!s.ok()) {
          fail(s);
          break;
        }
        deadlines[id].paused = true;
        break;
      }
      case verb::resume: {
        const status s = engine.resume(timer_id{id});
        if (s.code() == status_code::not_found) {
          std::cerr << source << ':' << c.line << ": warning: resume " << c.pol->name << ' '
                    << subject_text(c.subject)
                    << ": the deadline is no longer running (its ladder completed)\n";
          deadlines[id].paused = false;
          break;
        }
        if (!s.ok()) {
          fail(s);
          break;
        }
        auto& st = deadlines[id];
        st.paused = false;
        if (const auto t = engine.find(timer_id{id})) {
          if (const auto d = deadline_of(*t)) st.deadline = *d;
        }
        break;
      }
    }
  }
  // After the last command: on to --until, or until nothing is left to fire (at most a year on).
  if (until) {
    run_to(*until, true);
  } else if (!commands->empty()) {
    run_to(clk.now() + run_on_cap, false);
  }

  for (const auto& [name, c] : counts) {
    std::uint64_t running = 0;
    std::uint64_t paused = 0;
    for (const auto& [id, st] : deadlines) {
      if (!id.starts_with(name + "/")) continue;
      if (const auto t = engine.find(timer_id{id})) {
        (t->state == timer_state::paused ? paused : running) += 1;
      }
    }
    os.write({{"policy", name},
              {"started", c.started},
              {"stopped_in_time", c.stopped_in_time},
              {"stopped_late", c.stopped_late},
              {"warnings", c.warnings},
              {"breaches", c.breaches},
              {"escalations", c.escalations},
              {"running", running},
              {"paused", paused}});
  }
  os.finish();
  if (status s = (*out)->finish(); !s.ok()) {
    std::cerr << "crmrules: error: " << s.message() << '\n';
    return exit_invalid;
  }

  policy_counts all;
  for (const auto& [name, c] : counts) {
    all.started += c.started;
    all.stopped_in_time += c.stopped_in_time;
    all.stopped_late += c.stopped_late;
    all.warnings += c.warnings;
    all.breaches += c.breaches;
    all.escalations += c.escalations;
  }
  std::string summary = plural(applied, "command", "commands");
  if (skipped > 0) summary += " (" + plural(skipped, "bad line", "bad lines") + " skipped)";
  if (left_out > 0) summary += " (" + with_commas(left_out) + " after --until not replayed)";
  summary += ", " + with_commas(all.started) + " started, " + with_commas(all.stopped_in_time) +
             " stopped in time, " + with_commas(all.stopped_late) + " stopped late; " +
             plural(steps, "step", "steps") + " fired (" +
             plural(all.warnings, "warning", "warnings") + ", " +
             plural(all.breaches, "breach", "breaches") + ", " +
             plural(all.escalations, "escalation", "escalations") + "); " +
             with_commas(engine.running() + engine.paused()) + " still running";
  if (!commands->empty()) summary += " at " + format_at(clk.now(), last_offset);
  std::cerr << "sla replay: " << summary << ", " << format_seconds(clock.seconds()) << '\n';
  if (failures > 0) {
    std::cerr << "crmrules: error: " << plural(failures, "command or step", "commands or steps")
              << " failed (see above)\n";
    return exit_invalid;
  }
  return exit_ok;
}

}  // namespace

command add_sla_command(CLI::App& program) {
  auto o = std::make_shared<sla_options>();
  CLI::App* sub = program.add_subcommand(
      "sla",
      "SLA deadlines and business time: 'add' a business duration to a time on a calendar, "
      "count the business time 'between' two times, or 'replay' start/stop/pause/resume "
      "commands on a simulated clock and list every warning, breach and escalation that fires.");
  sub->require_subcommand(1);
  sub->add_option("--rules", o->rules,
                  "The rules file (its \"calendars\" section; for replay its \"sla\" section). "
                  "May also come after the subcommand")
      ->type_name("FILE")
      ->required();
  add_output_options(*sub, o->out);
  sub->footer(
      "Times are RFC 3339 (2026-11-20T09:00:00+08:00); for add and between a time without an "
      "offset is local time on the calendar. Durations: 2h, 90m, 1h30m, 1d (= 24 hours of "
      "business time, not a working day). Run 'crmrules sla SUBCOMMAND --help' for each.");

  CLI::App* add = sub->add_subcommand(
      "add",
      "The instant DURATION of business time after FROM on a calendar of the rules file "
      "(working hours, holidays, make-up working days). Writes one row: calendar, from, "
      "duration, due (RFC 3339 in the calendar's local time).");
  add->fallthrough();
  add->add_option("--calendar", o->calendar, "A calendar of the rules file's \"calendars\"")
      ->type_name("NAME")
      ->required();
  add->add_option("--from", o->from,
                  "When the clock starts: RFC 3339, or local time on the calendar")
      ->type_name("TIME")
      ->required();
  add->add_option("--duration", o->duration_text,
                  "Business time to add: 2h, 90m, 1h30m, 1d (24 business hours)")
      ->type_name("DURATION")
      ->required();

  CLI::App* between = sub->add_subcommand(
      "between",
      "The business time between FROM and TO on a calendar of the rules file. Writes one row: "
      "calendar, from, to, business_time (such as 5h30m), seconds.");
  between->fallthrough();
  between->add_option("--calendar", o->calendar, "A calendar of the rules file's \"calendars\"")
      ->type_name("NAME")
      ->required();
  between->add_option("--from", o->from, "The start: RFC 3339, or local time on the calendar")
      ->type_name("TIME")
      ->required();
  between->add_option("--to", o->to, "The end (not before --from)")->type_name("TIME")->required();

  CLI::App* replay = sub->add_subcommand(
      "replay",
      "Replay SLA commands (start, stop, pause, resume a policy's deadline for a record) in time "
      "order on a simulated clock, firing each step of the policies' ladders at its time. "
      "Writes one row per fired step (at, policy, subject, step, action, type, level, "
      "recipients, deadline, late), then one summary row per policy (started, stopped_in_time, "
      "stopped_late, warnings, breaches, escalations, running, paused); a summary line goes to "
      "stderr.");
  replay->fallthrough();
  replay
      ->add_option("--events", o->events,
                   "The commands, in time order (JSON Lines or CSV; '-': stdin)")
      ->type_name("FILE")
      ->required();
  replay
      ->add_option("--until", o->until,
                   "Run the clock on to this time (RFC 3339 with an offset); commands after it "
                   "are not replayed (default: until nothing is left to fire, at most 366 days "
                   "after the last command)")
      ->type_name("TIME");
  add_input_options(*replay, o->in);
  replay->footer(
      "JSON Lines: one command per line, e.g.\n"
      "  {\"at\":\"2026-11-20T09:00:00+08:00\",\"start\":\"first_touch\",\"subject\":\"lead:L1\","
      "\"parties\":{\"owner\":\"R1\",\"manager\":\"M1\"}}\n"
      "  {\"at\":\"2026-11-20T10:00:00+08:00\",\"stop\":\"first_touch\",\"subject\":\"lead:L1\"}\n"
      "Keys: at (required, with an offset); one of start, stop, pause, resume (the policy); "
      "subject (kind:id); and for start: parties (name: id or list of ids), from (the clock's "
      "start, default at), due_in (a duration), due_at (a time).\n"
      "CSV columns: at, command (start/stop/pause/resume), policy, subject (required); parties "
      "(owner=R1;manager=M1, a name twice for a list), from, due_in, due_at.");

  return {sub, [o, add, between, replay] {
            if (add->parsed()) return run_add(*o);
            if (between->parsed()) return run_between(*o);
            if (replay->parsed()) return run_replay(*o);
            return exit_usage;
          }};
}

}  // namespace crmrules::cli
