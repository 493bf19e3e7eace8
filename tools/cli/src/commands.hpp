// crmrules command line: the subcommands, and what they share.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "crmrules/rules/rule_set.hpp"

namespace CLI {
class App;
}

namespace crmrules::cli {

/// Exit status of the program (documented in docs/CLI.md).
inline constexpr int exit_ok = 0;
/// Invalid input or rules, or a file that cannot be read or written.
inline constexpr int exit_invalid = 1;
/// A usage error: an unknown option, a missing argument (CLI11 reports it).
inline constexpr int exit_usage = 2;
/// A bug: an exception nobody expected.
inline constexpr int exit_internal = 3;

/// A subcommand registered on the program: its CLI11 app, and what runs it once it was parsed.
struct command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

[[nodiscard]] command add_check_command(CLI::App& program);
[[nodiscard]] command add_dedup_command(CLI::App& program);
[[nodiscard]] command add_assign_command(CLI::App& program);
[[nodiscard]] command add_tier_command(CLI::App& program);
[[nodiscard]] command add_stage_command(CLI::App& program);
[[nodiscard]] command add_sla_command(CLI::App& program);

/// `crmrules check PATH`, writing the summary to `out` and diagnostics to `err`.
[[nodiscard]] int run_check(const std::string& path, std::ostream& out, std::ostream& err);

/// Loads a rules file; on failure prints every error to `err` and returns null. Warnings are
/// printed too.
[[nodiscard]] std::shared_ptr<const rule_set> load_rules(const std::string& path,
                                                         std::ostream& err);

}  // namespace crmrules::cli
