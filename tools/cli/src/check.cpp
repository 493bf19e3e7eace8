// crmrules check RULES.json: validate a whole rules file.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "crmrules/sla/policy.hpp"
#include "crmrules/stage/pipeline.hpp"
#include "crmrules/tier/policy.hpp"
#include "input.hpp"
#include "terminal.hpp"

namespace crmrules::cli {

namespace {

/// The top-level keys of the (already validated) file, in file order, each with a count where
/// one says something.
std::string sections_of(const std::string& path, const rule_set& rules) {
  auto text = read_file(path);
  if (!text) return {};
  const auto doc = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false,
                                                 /*ignore_comments=*/true);
  if (!doc.is_object()) return {};
  std::string out;
  for (const auto& [key, val] : doc.items()) {
    if (key == "version" || key == "name" || key == "description") continue;
    if (!out.empty()) out += ", ";
    out += key;
    if (key == "formulas") {
      out += " (" + std::to_string(rules.formula_names().size()) + ")";
    } else if (key == "calendars") {
      out += " (" + std::to_string(rules.calendar_names().size()) + ")";
    } else if (key == "pipeline" && rules.stage_pipeline()) {
      out += " (" + plural(rules.stage_pipeline()->stages.size(), "stage", "stages") + ")";
    } else if (key == "tiers" && rules.tier_policy()) {
      out += " (" + std::to_string(rules.tier_policy()->tiers.size()) + ")";
    } else if (key == "sla" && rules.sla_policies()) {
      out += " (" + plural(rules.sla_policies()->names().size(), "policy", "policies") + ")";
    } else if (key == "schema" && val.is_object()) {
      out += " (";
      bool first = true;
      for (const auto& [kind, unused] : val.items()) {
        out += (first ? "" : ", ") + kind;
        first = false;
      }
      out += ")";
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<const rule_set> load_rules(const std::string& path, std::ostream& err) {
  auto loaded = rule_set::load_file(path);
  if (!loaded) {
    err << loaded.error().to_string() << '\n';
    return nullptr;
  }
  if (!(*loaded)->warnings().empty()) err << (*loaded)->warnings().to_string() << '\n';
  return std::move(*loaded);
}

int run_check(const std::string& path, std::ostream& out, std::ostream& err) {
  const auto rules = load_rules(path, err);
  if (!rules) return exit_invalid;
  const std::string sections = sections_of(path, *rules);
  out << path << ": ok";
  if (!rules->name().empty()) out << " (" << rules->name() << ")";
  out << ": " << (sections.empty() ? "no sections (built-in schemas only)" : sections) << "; "
      << plural(rules->warnings().size(), "warning", "warnings") << '\n';
  return exit_ok;
}

command add_check_command(CLI::App& program) {
  auto path = std::make_shared<std::string>();
  CLI::App* sub = program.add_subcommand(
      "check",
      "Validate a whole rules file. Every error is printed as file:line:col: message, with a "
      "suggestion when one is close; exit 0 when the file is valid, 1 when not.");
  sub->add_option("RULES", *path, "The rules file (JSON; // and /* */ comments allowed)")
      ->type_name("FILE")
      ->required();
  return {sub, [path] { return run_check(*path, std::cout, std::cerr); }};
}

}  // namespace crmrules::cli
