// Runs the real `crmrules sla` on small files and checks its exit status and output.
#include <catch2/catch.hpp>

#include "run_cli.hpp"

using namespace crmrules_cli_test;

TEST_CASE("cli sla: --help describes the subcommand", "[cli][sla]") {
  const auto h = run({"sla", "--help"});
  CHECK(h.exit_code == 0);
}
