#include "terminal.hpp"

#include <unistd.h>

#include <cstdio>

#include "util/suggest.hpp"

namespace crmrules::cli {

bool stderr_is_terminal() noexcept {
  return ::isatty(STDERR_FILENO) == 1;
}

void progress::tick(std::string_view label, std::uint64_t count) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) return;
  show(std::string(label) + ": " + with_commas(count));
}

void progress::show(std::string_view text) {
  if (!enabled_) return;
  // \r and "erase to end of line": the line is redrawn in place.
  out_ << "\r\x1b[K" << text << std::flush;
  shown_ = true;
  next_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
}

void progress::clear() {
  if (!enabled_ || !shown_) return;
  out_ << "\r\x1b[K" << std::flush;
  shown_ = false;
}

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string format_seconds(double s) {
  char buf[32];
  if (s < 10) {
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  } else if (s < 100) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  }
  return buf;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return with_commas(n) + " " + std::string(n == 1 ? one : many);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> closest_of(std::string_view word,
                                      const std::vector<std::string>& candidates) {
  const std::vector<std::string_view> views(candidates.begin(), candidates.end());
  return detail::closest_match(word, views);
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const auto guess = closest_of(word, candidates);
  return guess ? "; did you mean '" + *guess + "'?" : std::string();
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  const auto guess = detail::closest_match(word, candidates);
  return guess ? "; did you mean '" + *guess + "'?" : std::string();
}

}  // namespace crmrules::cli
