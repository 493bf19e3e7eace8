// crmrules sla: (being written).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "commands.hpp"

namespace crmrules::cli {

command add_sla_command(CLI::App& program) {
  CLI::App* sub = program.add_subcommand("sla", "(not yet available)");
  return {sub, [] {
            std::cerr << "crmrules: sla is not available yet\n";
            return exit_internal;
          }};
}

}  // namespace crmrules::cli
