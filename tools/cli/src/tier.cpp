// crmrules tier: (being written).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "commands.hpp"

namespace crmrules::cli {

command add_tier_command(CLI::App& program) {
  CLI::App* sub = program.add_subcommand("tier", "(not yet available)");
  return {sub, [] {
            std::cerr << "crmrules: tier is not available yet\n";
            return exit_internal;
          }};
}

}  // namespace crmrules::cli
