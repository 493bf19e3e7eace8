// crmrules dedup: the matcher. An index over customers' blocking keys finds, for one record or for
// all of them, the few others worth comparing; each pair is then judged by the policy and
// explained field by field.
//
//   crmrules::dedup::matcher idx(rules->dedup_policy());
//   for (const auto& c : customers) (void)idx.add(c);
//   auto scan = idx.scan();                         // every pair, clusters, comparison counts
//   auto hits = idx.lookup(new_customer);           // "possible duplicate" while someone types
//
// Blocking: a record's keys are its valid USCC, its valid phones, its e-mails, and pairs of
// characters of its core name (adjacent pairs, and the first character with each of the next
// three: 北京大学 gives 北京, 京大, 大学, 北大, 北学, which also finds the abbreviation 北大). Two
// records are compared only if they share a key; a key shared by more than `policy::max_block`
// records is not used (and counted). Latin names use their words as keys.
//
// Thread-safety: `add` must not run concurrently with anything else on the same index; `lookup`,
// `scan`, `compare` and the accessors are const and may run concurrently from many threads. The
// policy is shared and immutable. Nothing here throws except std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/dedup/policy.hpp"
#include "crmrules/model/records.hpp"
#include "crmrules/status.hpp"

namespace crmrules::dedup {

enum class verdict : std::uint8_t {
  different,  ///< not the same party (or nothing says they are)
  suspected,  ///< a weak rule matched: a person should confirm
  same,       ///< a strong key matched: the same party
};
[[nodiscard]] std::string_view to_string(verdict v) noexcept;

/// How one field of the two records compares.
enum class field_outcome : std::uint8_t { equal, similar, different, missing };
[[nodiscard]] std::string_view to_string(field_outcome o) noexcept;

struct field_comparison {
  std::string field;  ///< "uscc", "phone", "email", "name", "core", "trade", "region", ...
  field_outcome outcome = field_outcome::missing;
  double score = 0;  ///< similarity for "similar" (and 1 for equal, 0 for different)
  std::string a;     ///< the values compared, normalised ("" when missing)
  std::string b;
};

/// One judged pair.
struct match {
  customer_id a;  ///< for a scan, the record added first; for a lookup, the stored record
  customer_id b;  ///< for a scan, the record added later; for a lookup, the query
  verdict result = verdict::different;
  double score = 0;  ///< 1 for same; the name similarity for suspected and different
  /// The rule that decided: "same_uscc", "same_phone", "same_email", a weak rule's name, or for a
  /// hard negative "different_uscc" / "branch"; "" when nothing matched.
  std::string rule;
  std::vector<field_comparison> fields;  ///< every compared field, in a fixed order
};

/// A record the index could not use in full: an invalid USCC (never a strong key), a phone that
/// is not a valid number, a junk number.
struct record_problem {
  customer_id id;
  std::string field;    ///< "uscc", "phone", "email"
  std::string value;    ///< as stored
  std::string problem;  ///< in words
};

/// Records joined by their pairs (union-find). A cluster never holds two different valid USCCs
/// nor (with `branch_is_different`) a branch and another branch or head office.
struct cluster {
  std::vector<customer_id> members;  ///< in the order they were added
  bool review = false;               ///< some link is only "suspected": a person confirms first
};

struct scan_options {
  unsigned threads = 0;                 ///< 0: std::thread::hardware_concurrency()
  verdict report = verdict::suspected;  ///< pairs at or above this are returned
};

struct scan_result {
  std::vector<match> pairs;       ///< at or above scan_options::report; ordered by (a, b) add order
  std::vector<cluster> clusters;  ///< clusters of two or more, ordered by their first member
  /// Links refused because they would join two different valid USCCs (or two branches).
  std::vector<match> refused_links;
  std::uint64_t comparisons = 0;     ///< pairs judged (the quadratic number would be n(n-1)/2)
  std::uint64_t skipped_blocks = 0;  ///< blocking keys shared by more than max_block
};

struct lookup_options {
  verdict report = verdict::suspected;  ///< candidates at or above this are returned
  std::size_t limit = 20;               ///< at most this many, best first
  /// An indexed record to leave out (the query itself, when it was added before); none: empty.
  customer_id exclude{};
};

/// An index of customers to match against, and the rules to judge pairs by.
class matcher {
 public:
  /// `p` must not be null.
  explicit matcher(std::shared_ptr<const policy> p);
  ~matcher();
  matcher(matcher&&) noexcept;
  matcher& operator=(matcher&&) noexcept;
  matcher(const matcher&) = delete;
  matcher& operator=(const matcher&) = delete;

  /// Adds a record (copying what matching needs). invalid_argument for an empty id;
  /// already_exists for an id added before.
  [[nodiscard]] status add(const customer& c);
  /// Adds many records, preparing them on `threads` threads (0: all cores). Stops at the first
  /// refused record, after adding those before it.
  [[nodiscard]] status add_all(const std::vector<customer>& cs, unsigned threads = 0);

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] const policy& rules() const noexcept;

  /// Candidates for a new record (which need not be, and is not, added), best first: same before
  /// suspected, then by score, then by add order.
  [[nodiscard]] std::vector<match> lookup(const customer& query,
                                          const lookup_options& options = {}) const;

  /// Every pair among the indexed records at or above `options.report`, and their clusters.
  [[nodiscard]] scan_result scan(const scan_options& options = {}) const;

  /// Problems found while adding (invalid USCCs, invalid or junk phones), in add order.
  [[nodiscard]] std::vector<record_problem> problems() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Judges one pair under `p`, with every field compared (no index needed).
[[nodiscard]] match compare(const customer& a, const customer& b, const policy& p);

/// A lead's company as a customer-shaped record to match: name from company_name, phone, email,
/// region and industry; the id is the lead's.
[[nodiscard]] customer as_customer(const lead& l);

}  // namespace crmrules::dedup
