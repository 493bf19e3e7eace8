// The harness the command-line tests share: runs the real `crmrules` program in tests/cli/data
// (or another directory) with arguments and standard input, and returns its exit status, standard
// output and standard error.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#ifndef CRMRULES_CLI
#error "CRMRULES_CLI (the program's path) must be defined"
#endif
#ifndef CRMRULES_CLI_DATA
#error "CRMRULES_CLI_DATA (tests/cli/data) must be defined"
#endif

namespace crmrules_cli_test {

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string tmp_dir() {
  const char* d = std::getenv("CRMRULES_TEST_TMPDIR");
  return d != nullptr ? d : "/tmp";
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs the program in `dir` (tests/cli/data by default) with `args`, standard input from `input`.
inline run_result run(const std::vector<std::string>& args, const std::string& input = {},
                      const std::string& dir = CRMRULES_CLI_DATA) {
  static int counter = 0;
  const std::string base =
      tmp_dir() + "/cli-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  const std::string in_path = base + ".in";
  const std::string out_path = base + ".out";
  const std::string err_path = base + ".err";
  std::ofstream(in_path, std::ios::binary) << input;

  std::vector<std::string> argv_s = {CRMRULES_CLI};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
        ::dup2(err, 2) < 0 || ::chdir(dir.c_str()) != 0) {
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  run_result r;
  r.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

/// The lines of `text` (JSON Lines output) parsed, one object each.
inline std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace crmrules_cli_test
