// Tests that load the rules-file example a documentation page shows.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace test_docs {

/// The first ```jsonc block of the page at `path`, or "" when the page or the block is missing.
inline std::string first_jsonc_block(const std::string& path) {
  std::ifstream in(path);
  const std::string page{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string fence = "```jsonc\n";
  const auto start = page.find(fence);
  if (start == std::string::npos) return {};
  const auto body = start + fence.size();
  const auto end = page.find("```", body);
  return end == std::string::npos ? std::string() : page.substr(body, end - body);
}

}  // namespace test_docs
