// Runs the real `crmrules stage` on small files and checks its exit status and output.
#include <catch2/catch.hpp>

#include "run_cli.hpp"

using namespace crmrules_cli_test;

TEST_CASE("cli stage: --help describes the subcommand", "[cli][stage]") {
  const auto h = run({"stage", "--help"});
  CHECK(h.exit_code == 0);
}
