// crmrules command line: where results go (standard output or --output FILE).
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "crmrules/status.hpp"

namespace crmrules::cli {

/// Standard output, or a file created (truncated) for writing.
class output {
 public:
  /// `path` empty or "-": standard output. not_found / unavailable when the file cannot be made.
  [[nodiscard]] static result<std::unique_ptr<output>> open(const std::string& path);

  [[nodiscard]] std::ostream& stream() noexcept { return *out_; }
  /// Flushes; unavailable when anything could not be written (a full disk, a closed pipe).
  [[nodiscard]] status finish();

 private:
  output() = default;
  std::string path_;
  std::unique_ptr<std::ofstream> file_;
  std::ostream* out_ = nullptr;
};

}  // namespace crmrules::cli
