// crmrules dedup: the match rules, as the rules file's "dedup" section declares them.
//
// Strong keys prove two records are the same party ("same"): an equal valid unified social credit
// code, an equal valid phone number (E.164, not a known junk number), an equal e-mail address.
// Weak rules make a pair "suspected": the core names are similar (a kernel and a threshold), the
// regions and industries agree, and an optional formula over both records holds. Hard negatives
// win over both: two different valid USCCs, a branch against its head office.
//
// A policy is immutable once built and shared by every index and thread that uses it
// (`std::shared_ptr<const policy>`). See docs/DEDUP.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/dedup/merge.hpp"
#include "crmrules/rules/formula.hpp"

namespace crmrules::dedup {

/// The similarity kernel a weak rule compares core names with.
enum class kernel : std::uint8_t {
  jaro_winkler,  ///< good for short names and typos near the end
  levenshtein,   ///< 1 - edits / longer length
  bigram_dice,   ///< shared character pairs: word order and insertions
  token_set,     ///< Latin names: shared words, any order
};
[[nodiscard]] std::string_view to_string(kernel k) noexcept;
[[nodiscard]] std::optional<kernel> parse_kernel(std::string_view name) noexcept;

/// A weak rule: similar names that do not contradict each other make a pair "suspected".
struct weak_rule {
  std::string name = "similar_name";
  kernel similarity = kernel::jaro_winkler;  ///< for Chinese names; Latin names use token_set
  double threshold = 0.85;                   ///< core-name similarity at least this
  bool abbreviations = true;        ///< a short name abbreviating the other counts as similar
  double abbreviation_score = 0.9;  ///< the similarity an abbreviation gets
  bool same_region = true;          ///< the regions (name, else address) must not contradict
  bool same_industry = true;        ///< the `industry` fields must be equal when both are set
  bool same_trade = true;  ///< the names' trade words (科技, 医院) must agree when both set
  /// Extra condition over the pair: scopes `a` (甲) and `b` (乙) are the two customers, and
  /// `name_similarity` (名称相似度) the kernel's score. Null: none.
  std::shared_ptr<const formula> when;
};

/// A whole dedup policy. The defaults are the issue's: strong keys USCC, phone and e-mail; one
/// weak rule at 0.85 with region and industry agreeing; branches apart from their head offices.
struct policy {
  bool match_uscc = true;
  bool match_phone = true;
  bool match_email = true;
  bool skip_test_emails = true;     ///< test@..., noreply@...: never a strong key
  std::string phone_region = "CN";  ///< the region numbers without a country code are read in
  /// Placeholder numbers people type (13800138000): never a strong key. As E.164 after loading.
  std::vector<std::string> junk_phones;
  std::vector<weak_rule> weak{weak_rule{}};
  bool branch_is_different = true;  ///< a branch never matches its head office or another branch
  /// A blocking key shared by more records than this is not used to find candidates (it says
  /// nothing: 有限公司, a call-centre number); the scan reports how many were skipped.
  std::size_t max_block = 5000;
  merge_policy merge;  ///< how a cluster is merged
};

/// The environment `weak_rule::when` compiles in: scopes `a`/甲 and `b`/乙 (customers), the
/// variable `name_similarity`/名称相似度 (number), and PHONE_VALID. Scope indices are 0 and 1,
/// the variable's index 0.
[[nodiscard]] formula_env pair_env(const schema_set& schemas = {});

/// PHONE_VALID(text[, region]): whether a text is a valid phone number (libphonenumber; region
/// "CN" by default). Registered in the tiering and dedup formula environments.
[[nodiscard]] function_def phone_valid_function();

}  // namespace crmrules::dedup
