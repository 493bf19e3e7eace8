// crmrules_sample: a deterministic generator of realistic Chinese CRM sample data.
//
// Feeds the end-to-end demo, the benchmarks and the dedup quality set. Everything comes from one
// seed through `rng` (splitmix64 seeding + xoshiro256**, its own bounded integers and doubles,
// no std:: distributions and no transcendental functions), so the same options give
// byte-identical output on every platform and compiler. Each part of the data set (reps,
// customers, leads, events) draws from its own stream, so asking for more leads does not change
// the reps or the customers.
//
// Not installed; a tool for crmrules' own demo, benchmarks and tests.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/model/time.hpp"
#include "crmrules/status.hpp"

namespace crmrules::sample {

/// A small, fast, portable pseudo-random generator: xoshiro256** seeded through splitmix64.
/// Its output depends only on the seed and the stream, never on the platform.
class rng {
 public:
  /// `stream` selects an independent sequence for the same seed.
  explicit rng(std::uint64_t seed, std::uint64_t stream = 0) noexcept;

  /// The next 64 random bits.
  std::uint64_t next() noexcept;
  /// Uniform in [0, bound) (Lemire's multiply-and-reject, unbiased); 0 when bound is 0.
  std::uint64_t below(std::uint64_t bound) noexcept;
  /// `below` for container indices.
  std::size_t index(std::size_t size) noexcept { return static_cast<std::size_t>(below(size)); }
  /// Uniform in [lo, hi], both included; lo when hi < lo.
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept;
  /// Uniform in [0, 1) with 53 random bits.
  double unit() noexcept;
  /// True with probability p (p <= 0: never; p >= 1: always).
  bool chance(double p) noexcept { return unit() < p; }

  /// One splitmix64 step: advances `state` and returns the mixed output.
  static std::uint64_t splitmix64(std::uint64_t& state) noexcept;

 private:
  std::array<std::uint64_t, 4> s_{};
};

/// What to generate.
struct options {
  std::uint64_t seed = 20261122;
  std::size_t leads = 10000;
  std::size_t reps = 50;
  std::size_t customers = 2000;
  std::size_t events_per_customer = 10;
  /// "Now" for the data set: leads fall in the 30 days before it, events in the 90 days before
  /// it, customers in the 2 years before it; leave periods and hire dates are relative to it.
  crmrules::timestamp now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 20} +
                            std::chrono::hours{1};  // 09:00 +08:00
  /// Share of leads that are name variants of an existing customer (clamped to [0, 1]).
  double duplicate_rate = 0.10;
  /// Share of leads that are a repeat submission of an earlier lead (clamped to [0, 1]).
  double repeat_rate = 0.02;
};

/// Ground truth for dedup: `lead` is the same company as `original` (a customer, or an earlier
/// lead for repeat submissions). `change` names what was done to the name, joined by '+':
/// region, org_form, brackets, typo, english, or "exact" (repeats only).
struct duplicate_truth {
  lead_id lead;
  record_ref original;
  std::string change;

  friend bool operator==(const duplicate_truth&, const duplicate_truth&) = default;
};

/// A generated data set. Leads and events are in time order; ids are sequential in that order
/// (L000001..., fb_... for Facebook ads leads, E0000001...).
struct dataset {
  std::vector<team> teams;
  std::vector<rep> reps;
  std::vector<customer> customers;
  std::vector<lead> leads;
  std::vector<event> events;
  std::vector<duplicate_truth> duplicates;  ///< every planted duplicate lead, in lead order

  friend bool operator==(const dataset&, const dataset&) = default;
};

/// Generates a data set. Deterministic: the same options always give the same data set.
[[nodiscard]] dataset generate(const options& opts = {});

/// Writes teams.jsonl, reps.jsonl, customers.jsonl, leads.jsonl and events.jsonl (one
/// crmrules::to_json record per line, '\n' line ends) and duplicates.jsonl (one
/// {"lead":..,"original_kind":..,"original":..,"change":..} object per line) into `dir`,
/// creating it if needed.
[[nodiscard]] crmrules::status write_jsonl(const dataset& data, const std::filesystem::path& dir);

/// The JSON line written for one duplicate_truth.
[[nodiscard]] std::string to_json(const duplicate_truth& truth);

}  // namespace crmrules::sample
