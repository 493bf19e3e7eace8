// crmrules_sample_gen: writes a deterministic sample data set as JSON Lines.
//
//   crmrules_sample_gen --out DIR [--seed N] [--leads N] [--reps N] [--customers N]
//                       [--events-per-customer N]

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "crmrules_sample/sample.hpp"

namespace {

constexpr std::string_view usage_text =
    "usage: crmrules_sample_gen --out DIR [--seed N] [--leads N] [--reps N] [--customers N]\n"
    "                           [--events-per-customer N]\n"
    "Writes teams.jsonl, reps.jsonl, customers.jsonl, leads.jsonl, events.jsonl and\n"
    "duplicates.jsonl (dedup ground truth) into DIR. The same arguments always give the same\n"
    "bytes. Defaults: --seed 20261122 --leads 10000 --reps 50 --customers 2000\n"
    "--events-per-customer 10.\n";

int usage(std::string_view problem) {
  if (!problem.empty()) std::cerr << "crmrules_sample_gen: " << problem << "\n";
  std::cerr << usage_text;
  return 2;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  crmrules::sample::options opts;
  std::optional<std::string> out_dir;

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_text;
      return 0;
    }
    const std::string_view name = arg.substr(0, arg.find('='));
    if (name != "--out" && name != "--seed" && name != "--leads" && name != "--reps" &&
        name != "--customers" && name != "--events-per-customer") {
      return usage(arg.starts_with("--") ? "unknown option '" + std::string(name) + "'"
                                         : "unexpected argument '" + std::string(arg) + "'");
    }
    std::string_view value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else {
      if (i + 1 >= argc) return usage(std::string(arg) + " needs a value");
      value = argv[++i];
    }

    if (arg == "--out") {
      if (value.empty()) return usage("--out needs a directory");
      out_dir = std::string(value);
      continue;
    }
    const auto n = parse_count(value);
    if (!n) {
      return usage("'" + std::string(value) + "' is not a non-negative integer (for " +
                   std::string(arg) + ")");
    }
    if (arg == "--seed") {
      opts.seed = *n;
    } else if (arg == "--leads") {
      opts.leads = static_cast<std::size_t>(*n);
    } else if (arg == "--reps") {
      opts.reps = static_cast<std::size_t>(*n);
    } else if (arg == "--customers") {
      opts.customers = static_cast<std::size_t>(*n);
    } else {
      opts.events_per_customer = static_cast<std::size_t>(*n);
    }
  }
  if (!out_dir) return usage("--out is required");

  const crmrules::sample::dataset data = crmrules::sample::generate(opts);
  if (crmrules::status s = crmrules::sample::write_jsonl(data, *out_dir); !s.ok()) {
    std::cerr << "crmrules_sample_gen: " << s.to_string() << "\n";
    return 1;
  }
  std::cout << "wrote " << *out_dir << " (seed " << opts.seed << ")\n"
            << "  teams       " << data.teams.size() << "\n"
            << "  reps        " << data.reps.size() << "\n"
            << "  customers   " << data.customers.size() << "\n"
            << "  leads       " << data.leads.size() << "\n"
            << "  events      " << data.events.size() << "\n"
            << "  duplicates  " << data.duplicates.size() << "\n";
  return 0;
}
