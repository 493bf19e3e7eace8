// Runs the real `crmrules tier` on small files and checks its exit status and output.
#include <catch2/catch.hpp>

#include "run_cli.hpp"

using namespace crmrules_cli_test;

TEST_CASE("cli tier: --help describes the subcommand", "[cli][tier]") {
  const auto h = run({"tier", "--help"});
  CHECK(h.exit_code == 0);
}
