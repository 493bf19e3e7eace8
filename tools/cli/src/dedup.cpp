// crmrules dedup --rules R --input CUSTOMERS [--against EXISTING]: duplicate customers, explained.
#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands.hpp"
#include "crmrules/dedup/matcher.hpp"
#include "input.hpp"
#include "output.hpp"
#include "terminal.hpp"

namespace crmrules::cli {

namespace {

struct dedup_options {
  std::string rules;
  std::string input;
  std::string against;
  std::string report = "suspected";
  unsigned threads = 0;
  std::size_t limit = 20;
  input_options in;
  output_options out;
};

double rounded(double x) {
  return std::round(x * 10000.0) / 10000.0;
}

/// A pair as a row. JSON Lines keeps every field comparison as an object; CSV and tables get
/// one cell listing the fields that were compared, "core=equal;phone=different;...".
nlohmann::ordered_json pair_json(const dedup::match& m, bool flat) {
  nlohmann::ordered_json fields = nlohmann::ordered_json::array();
  for (const auto& f : m.fields) {
    if (flat) {
      if (f.outcome != dedup::field_outcome::missing)
        fields.push_back(f.field + "=" + std::string(dedup::to_string(f.outcome)));
      continue;
    }
    fields.push_back({{"field", f.field},
                      {"outcome", std::string(dedup::to_string(f.outcome))},
                      {"score", rounded(f.score)},
                      {"a", f.a},
                      {"b", f.b}});
  }
  return {{"a", m.a.str()},
          {"b", m.b.str()},
          {"verdict", std::string(dedup::to_string(m.result))},
          {"score", rounded(m.score)},
          {"rule", m.rule},
          {"fields", std::move(fields)}};
}

/// Problems the index found in records (invalid codes, junk numbers), as warnings at their line.
void report_problems(const dedup::matcher& m, const record_set<customer>& set, std::ostream& err) {
  const auto problems = m.problems();
  if (problems.empty()) return;
  std::unordered_map<std::string, std::uint64_t> line_of;
  for (std::size_t i = 0; i < set.records.size(); ++i) {
    line_of.emplace(set.records[i].id.str(), set.lines[i]);
  }
  std::size_t shown = 0;
  for (const auto& p : problems) {
    if (++shown > max_reported_rows) break;
    const auto it = line_of.find(p.id.str());
    err << set.source << ':' << (it != line_of.end() ? it->second : 0) << ": warning: customer '"
        << p.id.str() << "', " << p.field << " '" << p.value << "': " << p.problem << '\n';
  }
  if (problems.size() > max_reported_rows) {
    err << set.source << ": warning: " << (problems.size() - max_reported_rows)
        << " more problems not shown (" << problems.size() << " in all)\n";
  }
}

struct counts {
  std::uint64_t same = 0;
  std::uint64_t suspected = 0;
  void add(dedup::verdict v) { (v == dedup::verdict::same ? same : suspected) += 1; }
  [[nodiscard]] std::string pairs() const {
    return plural(same + suspected, "pair", "pairs") + " (" + with_commas(same) + " same, " +
           with_commas(suspected) + " suspected)";
  }
};

int run_dedup(const dedup_options& o) {
  const stopwatch clock;
  progress meter(stderr_is_terminal(), std::cerr);
  const auto rules = load_rules(o.rules, std::cerr);
  if (!rules) return exit_invalid;

  const schema& fields = rules->schemas().of(record_kind::customer);
  read_request rq{o.input, &fields, {"id", "name"}, &o.in, &meter};
  const auto input = read_records<customer>(rq, std::cerr);
  std::optional<record_set<customer>> existing;
  if (!o.against.empty()) {
    rq.path = o.against;
    existing = read_records<customer>(rq, std::cerr);
    if (!existing) return exit_invalid;
  }
  if (!input) return exit_invalid;

  auto out = output::open(o.out.path);
  if (!out) {
    std::cerr << "crmrules: error: " << out.error().message() << '\n';
    return exit_invalid;
  }
  row_writer os((*out)->stream(), o.out.form());
  const bool flat = o.out.form() != output_format::jsonl;
  const dedup::verdict report =
      o.report == "same" ? dedup::verdict::same : dedup::verdict::suspected;

  dedup::matcher m(rules->dedup_policy());
  counts found;
  std::string summary;
  const auto skipped = [&] {
    const std::size_t n = input->skipped + (existing ? existing->skipped : 0);
    return n == 0 ? std::string() : " (" + plural(n, "bad row", "bad rows") + " skipped)";
  };

  if (!existing) {
    meter.show("indexing " + plural(input->records.size(), "customer", "customers"));
    if (status s = m.add_all(input->records, o.threads); !s.ok()) {
      std::cerr << o.input << ": error: " << s.message() << '\n';
      return exit_invalid;
    }
    meter.show("comparing " + plural(input->records.size(), "customer", "customers"));
    const auto scan = m.scan({.threads = o.threads, .report = report});
    meter.clear();
    report_problems(m, *input, std::cerr);
    for (const auto& p : scan.pairs) {
      found.add(p.result);
      os.write(pair_json(p, flat));
    }
    std::uint64_t review = 0;
    for (const auto& c : scan.clusters) {
      nlohmann::ordered_json ids = nlohmann::ordered_json::array();
      for (const auto& id : c.members)
        ids.push_back(id.str());
      review += c.review ? 1 : 0;
      os.write({{"cluster", std::move(ids)}, {"review", c.review}});
    }
    summary = plural(input->records.size(), "customer", "customers") + skipped() + ", " +
              plural(scan.comparisons, "comparison", "comparisons") + ", " + found.pairs() + ", " +
              plural(scan.clusters.size(), "cluster", "clusters") + " (" + with_commas(review) +
              " to review)";
    if (!scan.refused_links.empty()) {
      summary += ", " + plural(scan.refused_links.size(), "link", "links") +
                 " refused (different credit codes or branches)";
    }
  } else {
    meter.show("indexing " + plural(existing->records.size(), "customer", "customers"));
    if (status s = m.add_all(existing->records, o.threads); !s.ok()) {
      std::cerr << o.against << ": error: " << s.message() << '\n';
      return exit_invalid;
    }
    meter.clear();
    report_problems(m, *existing, std::cerr);
    std::unordered_set<std::string> known;
    for (const auto& c : existing->records)
      known.insert(c.id.str());
    std::uint64_t matched = 0;
    std::uint64_t review = 0;
    std::uint64_t done = 0;
    std::vector<nlohmann::ordered_json> groups;
    for (const auto& q : input->records) {
      meter.tick("looking up", ++done);
      dedup::lookup_options lo{.report = report, .limit = o.limit};
      // A record that is in both files is an update of itself, not its own duplicate.
      if (known.contains(q.id.str())) lo.exclude = q.id;
      const auto hits = m.lookup(q, lo);
      if (hits.empty()) continue;
      ++matched;
      bool to_review = false;
      nlohmann::ordered_json ids = nlohmann::ordered_json::array();
      for (const auto& h : hits) {
        found.add(h.result);
        to_review = to_review || h.result != dedup::verdict::same;
        ids.push_back(h.a.str());
        os.write(pair_json(h, flat));
      }
      review += to_review ? 1 : 0;
      groups.push_back({{"input", q.id.str()}, {"matches", std::move(ids)}, {"review", to_review}});
    }
    meter.clear();
    for (const auto& g : groups)
      os.write(g);
    summary = plural(input->records.size(), "customer", "customers") + " against " +
              with_commas(existing->records.size()) + " existing" + skipped() + ", " +
              found.pairs() + ", " + with_commas(matched) + " with matches (" +
              with_commas(review) + " to review)";
  }

  os.finish();
  if (status s = (*out)->finish(); !s.ok()) {
    std::cerr << "crmrules: error: " << s.message() << '\n';
    return exit_invalid;
  }
  std::cerr << "dedup: " << summary << ", " << format_seconds(clock.seconds()) << '\n';
  return exit_ok;
}

}  // namespace

command add_dedup_command(CLI::App& program) {
  auto o = std::make_shared<dedup_options>();
  CLI::App* sub = program.add_subcommand(
      "dedup",
      "Find duplicate customers: a full scan of --input, or each --input record against "
      "--against. Writes JSON Lines: one object per candidate pair (a, b, verdict, score, rule, "
      "fields), then one per cluster; a summary line goes to stderr.");
  sub->add_option("--rules", o->rules, "The rules file (its dedup section; defaults without one)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--input", o->input,
                  "Customers to check (CSV with a header row, or JSON Lines; '-': stdin)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--against", o->against,
                  "Existing customers to look each input record up against (no full scan)")
      ->type_name("FILE");
  sub->add_option("--report", o->report, "Lowest verdict to report: suspected or same")
      ->check(CLI::IsMember({"suspected", "same"}))
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "Threads for indexing and scanning (0: all cores)")
      ->type_name("N")
      ->capture_default_str();
  sub->add_option("--limit", o->limit, "With --against: at most this many candidates per record")
      ->type_name("N")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_input_options(*sub, o->in);
  add_output_options(*sub, o->out);
  sub->footer(
      "CSV columns: id and name (required), uscc, phones and emails (several separated by ';'), "
      "address, region, industry, tier, owner, created_at, updated_at, or their Chinese names "
      "(客户编号, 客户名称, 统一社会信用代码, 电话, ...). JSON Lines: one customer per line as "
      "crmrules writes it (crmrules_sample_gen's customers.jsonl).");
  return {sub, [o] { return run_dedup(*o); }};
}

}  // namespace crmrules::cli
