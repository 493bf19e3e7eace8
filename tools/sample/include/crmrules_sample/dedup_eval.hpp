// crmrules_sample: the labelled evaluation set and the large population for the dedup engine.
//
// Both are built from the sample generator's tables and name machinery (crmrules_sample/sample.hpp)
// and are deterministic: the same options give the same records on every platform.
//
// The labelled set is pairs of customer records with the ground truth "same legal party or not":
// positives are one company written two ways (region prefix added, dropped or written another
// way, organisational form varied, brackets and full-width characters, an abbreviation, a typo,
// traditional characters), some of them sharing a strong key (a valid USCC, a phone number or an
// e-mail address, written differently) and the others sharing none; negatives are different
// parties that look alike (the same brand and trade in another city, a branch and its head office,
// a near-identical name, the same name under another USCC) and never share a phone or an e-mail
// address. The population is many distinct companies with some of them entered again as such
// variants, for a full scan with ground truth.
//
// Not installed; a tool for crmrules' own tests and benchmarks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/model/time.hpp"

namespace crmrules::sample {

/// Two customer records and whether they are the same legal party.
struct labelled_pair {
  customer a;
  customer b;
  /// Ground truth: a and b are the same legal party.
  bool duplicate = false;
  /// How b's name differs from a's. Positives: region_added, region_dropped, region_form (北京 /
  /// 北京市 / in brackets, 深圳 / 广东省深圳市), org_form, brackets_fullwidth (bracket width or
  /// place, full-width letters and digits, extra spaces), abbreviation, typo, traditional;
  /// several joined by '+' in that order. Negatives: other_city (the same brand and trade in
  /// another city, both names carrying their city), branch (a branch, 营业部 or 办事处 and its
  /// head office), near_name (one character of a short brand different, or the same brand in
  /// another industry), other_uscc (the same name under two different valid USCCs).
  std::string kind;
  /// a and b share a valid USCC, a phone number or an e-mail address (after normalisation): the
  /// cases a "same" verdict should find. Never true for a negative.
  bool shares_strong_key = false;

  friend bool operator==(const labelled_pair&, const labelled_pair&) = default;
};

struct eval_options {
  std::uint64_t seed = 20261123;
  std::size_t positives = 3000;
  std::size_t negatives = 3000;
  /// Share of the positives that share a strong key (clamped to [0, 1]).
  double strong_key_share = 0.3;
  /// "Now" for created_at / updated_at (both within the two years before it).
  crmrules::timestamp now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 20} +
                            std::chrono::hours{1};  // 09:00 +08:00
};

/// The labelled evaluation set: `positives` positive pairs, then `negatives` negative pairs.
/// Customer ids are C0000001, C0000002... (a of pair k is the (2k+1)-th). The first positives are
/// the hand-written seed pairs (瑞金医院 / 上海瑞金医院有限公司, 上海交通大学医学院附属瑞金医院 /
/// 瑞金医院, 北京瑞华科技 / 北京市瑞华科技股份有限公司 style, 深圳 / 广东省深圳市); the two
/// hospital seeds are one hospital. Every other pair is about parties of its own: no record is the
/// same party as a record of another pair.
[[nodiscard]] std::vector<labelled_pair> make_dedup_eval(const eval_options& opts = {});

struct population_options {
  std::uint64_t seed = 20261123;
  /// Records in all.
  std::size_t customers = 100000;
  /// Share of the records that enter again a company another record already has (clamped to
  /// [0, 1]); the others are distinct companies.
  double duplicate_rate = 0.05;
  /// Share of those re-entries that share a strong key with the company's first record.
  double strong_key_share = 0.3;
  crmrules::timestamp now =
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 20} + std::chrono::hours{1};
};

/// A population of customer records with ground truth.
struct population {
  std::vector<customer> customers;  ///< shuffled; ids C0000001... in this order
  /// customers[i] and customers[j] are the same party iff entity[i] == entity[j].
  std::vector<std::size_t> entity;
  /// For a re-entry, how its name differs from its company's first record (as
  /// labelled_pair::kind, or "exact" in the rare case that no variant could be made of the name);
  /// empty for a company's first record.
  std::vector<std::string> kind;

  friend bool operator==(const population&, const population&) = default;
};

/// A population: distinct companies (no two of them are unlabelled duplicates: the sample
/// generator's registry keeps their names apart) and re-entries of some of them as name variants,
/// with or without a shared strong key. Scales to 1,000,000 records in a few seconds.
[[nodiscard]] population make_dedup_population(const population_options& opts = {});

/// The simplified -> traditional character pairs the "traditional" variants use: every
/// simplified character of the generator's name tables that has a different traditional form
/// (华 -> 華, 国 -> 國, 电 -> 電, ...), each one code point, sorted by the simplified side.
[[nodiscard]] std::span<const std::pair<std::string_view, std::string_view>>
traditional_pairs() noexcept;

}  // namespace crmrules::sample
