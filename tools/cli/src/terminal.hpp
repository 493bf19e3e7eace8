// crmrules command line: progress on a terminal, elapsed time, and numbers for people.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace crmrules::cli {

/// Whether standard error is a terminal (progress is shown only then).
[[nodiscard]] bool stderr_is_terminal() noexcept;

/// A one-line progress display, redrawn in place at most ten times a second. Does nothing unless
/// enabled, so pipes and log files get only the final summary.
class progress {
 public:
  progress(bool enabled, std::ostream& out) : enabled_(enabled), out_(out) {}
  ~progress() { clear(); }
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

  /// Shows "label: count" when a redraw is due (cheap to call for every item).
  void tick(std::string_view label, std::uint64_t count);
  /// Shows `text` now.
  void show(std::string_view text);
  /// Erases the line.
  void clear();

 private:
  bool enabled_;
  std::ostream& out_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point next_{};
};

/// Seconds since construction.
class stopwatch {
 public:
  stopwatch() : start_(std::chrono::steady_clock::now()) {}
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

/// 1234567 -> "1,234,567".
[[nodiscard]] std::string with_commas(std::uint64_t n);
/// "0.42 s", "12.3 s", "75 s".
[[nodiscard]] std::string format_seconds(double s);
/// "1 cluster" / "3 clusters".
[[nodiscard]] std::string plural(std::uint64_t n, std::string_view one, std::string_view many);

/// "a, b, c".
[[nodiscard]] std::string joined(const std::vector<std::string>& items);
/// `s` with ASCII letters lower-cased.
[[nodiscard]] std::string lower_ascii(std::string_view s);
/// The candidate close enough to `word` to be a typo of it (the library's "did you mean"), if any.
[[nodiscard]] std::optional<std::string> closest_of(std::string_view word,
                                                    const std::vector<std::string>& candidates);
/// "; did you mean 'x'?" when one of `candidates` is close to `word`, else "".
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       const std::vector<std::string>& candidates);
[[nodiscard]] std::string did_you_mean(std::string_view word,
                                       const std::vector<std::string_view>& candidates);

}  // namespace crmrules::cli
