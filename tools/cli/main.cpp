// crmrules: the command line. Check rules files and run the engines on CSV or JSON Lines files.
//
//   crmrules check RULES.json
//   crmrules dedup --rules RULES.json --input customers.csv [--against existing.jsonl]
//
// Exit status: 0 ok, 1 invalid input or rules (or a file that cannot be read or written),
// 2 a usage error, 3 an internal error. See docs/CLI.md.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "crmrules/version.hpp"

int main(int argc, char** argv) {
  namespace cli = crmrules::cli;
  CLI::App program(
      "crmrules: check rules files and run crmrules' engines on CSV or JSON Lines files.",
      "crmrules");
  program.set_version_flag("--version", std::string("crmrules ") + crmrules::version_string);
  program.require_subcommand(1);
  program.footer(
      "Run 'crmrules SUBCOMMAND --help' for a subcommand's options.\n"
      "Exit status: 0 ok; 1 invalid input or rules, or a file that cannot be read or written;\n"
      "2 usage error; 3 internal error. See docs/CLI.md.");

  std::vector<cli::command> commands;
  commands.push_back(cli::add_check_command(program));
  commands.push_back(cli::add_assign_command(program));
  commands.push_back(cli::add_dedup_command(program));
  commands.push_back(cli::add_tier_command(program));
  commands.push_back(cli::add_stage_command(program));
  commands.push_back(cli::add_sla_command(program));

  try {
    program.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and succeed; every other parse error is a usage error.
    const int code = program.exit(e);
    return code == 0 ? cli::exit_ok : cli::exit_usage;
  }

  try {
    for (const auto& c : commands) {
      if (c.app->parsed()) return c.run();
    }
  } catch (const std::exception& e) {
    std::cerr << "crmrules: internal error: " << e.what() << '\n';
    return cli::exit_internal;
  }
  return cli::exit_usage;
}
