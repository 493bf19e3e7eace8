// Runs the real `crmrules assign` on small files and checks its exit status and output.
#include <catch2/catch.hpp>

#include "run_cli.hpp"

using namespace crmrules_cli_test;

TEST_CASE("cli assign: --help describes the subcommand", "[cli][assign]") {
  const auto h = run({"assign", "--help"});
  CHECK(h.exit_code == 0);
}
