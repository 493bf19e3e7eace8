// crmrules dedup: merge plans for duplicate customers, their execution, and their undo.
//
// A cluster of customer records that are the same party becomes one `merge_plan`: the survivor
// (the record that keeps its id), a field-by-field resolution of what the merged customer holds,
// and the linked records (leads, contacts, opportunities, events, promises) that must be
// re-pointed from the absorbed customers to the survivor. A plan is a value: build it, show it to
// a person, then execute it. Executing writes everything in one `storage::commit` together with a
// `decision_kind::merge` decision whose detail is the undo record; `undo_merge` reverses it.
//
// The three steps:
//
//   auto plan = dedup::plan_merge(cluster, policy);        // pure: no store involved
//   if (!plan) return plan.error();
//   if (auto s = dedup::collect_links(store, *plan); !s.ok()) return s;
//   auto seq = dedup::execute_merge(store, *plan, now, "u:zhang.wei");  // one transaction
//   ...
//   auto undone = dedup::undo_merge(store, *seq, later, "u:zhang.wei");
//
// Concurrency is optimistic, like every other write in crmrules: a plan remembers the version of
// every record it read, and execution is refused with status_code::conflict (nothing written) if
// any of them changed in between. A conflicting plan is not retried here: the merged values were
// computed (and perhaps reviewed) from the old records, so the caller plans again.
//
// Ownership: plans own copies of everything; the functions keep no reference to their arguments.
// Thread-safety: `plan_merge` and the name functions are pure. `collect_links`, `execute_merge`
// and `undo_merge` may run concurrently from several threads on one storage; two merges touching
// the same records are ordered by the storage, and the later one fails with conflict.
// Errors: returned as `status` / `result<T>`, never thrown (every function is noexcept).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/status.hpp"
#include "crmrules/store/storage.hpp"

namespace crmrules::dedup {

/// Which record of a cluster survives (keeps its id; the others are removed).
/// Ties are broken by the smallest id (byte order), so a plan never depends on input order.
enum class survivor_rule : std::uint8_t {
  most_recently_updated,  ///< the greatest `updated_at` (the default)
  oldest,                 ///< the smallest `created_at`: the longest-standing account
  most_complete,          ///< the most filled-in fields (each non-empty built-in field, the phone
                          ///< list and the e-mail list count one each, every non-empty custom
                          ///< attribute one); ties: most recently updated, then smallest id
};
/// "most_recently_updated", "oldest", "most_complete".
[[nodiscard]] std::string_view to_string(survivor_rule r) noexcept;
[[nodiscard]] std::optional<survivor_rule> parse_survivor_rule(std::string_view name) noexcept;

/// How one field of the merged customer is chosen. "Empty" means an empty or whitespace-only
/// string, an absent owner, a null or absent custom attribute, an empty string or list value.
///
/// Two orders decide between records. The *survivor order* is the survivor, then the others by
/// `updated_at` descending, then by id. The *newest order* is every record by `updated_at`
/// descending, the survivor first among equal times, then by id.
enum class field_rule : std::uint8_t {
  non_empty,  ///< the first non-empty value in survivor order: the survivor's unless it is empty
  newest,     ///< the first non-empty value in newest order (an empty value never wins: one
              ///< `updated_at` per record cannot tell a cleared field from a never-filled one)
  survivor,   ///< the survivor's value, even when empty
  longest,    ///< the non-empty value with the most code points; ties in survivor order
  union_all,  ///< lists only, and their only rule: every entry of every record, survivor's
              ///< first, duplicates removed (phones compared as E.164, e-mails lower-cased)
};
/// "non_empty", "newest", "survivor", "longest", "union".
[[nodiscard]] std::string_view to_string(field_rule r) noexcept;
[[nodiscard]] std::optional<field_rule> parse_field_rule(std::string_view name) noexcept;

/// How a cluster is merged.
struct merge_policy {
  survivor_rule survivor = survivor_rule::most_recently_updated;
  /// For every scalar field without its own rule: name, uscc, address, region, industry, tier,
  /// owner, and each custom attribute. Must not be union_all.
  field_rule default_rule = field_rule::non_empty;
  /// Per-field rules, by customer field name or its Chinese alias ("tier", "客户等级") or, for
  /// anything else, by custom attribute key (a custom key spelled like a built-in field name is
  /// shadowed by the built-in). phones and emails accept only union_all (they are always the
  /// union: a phone or e-mail dropped by a merge would stop finding the customer); id,
  /// version, created_at and updated_at are not mergeable fields. A name may appear once.
  std::vector<std::pair<std::string, field_rule>> per_field;
  /// The region phones without a country code are read in when phones are compared (ISO 3166).
  std::string phone_region = "CN";
};

/// How one field of the merged customer was decided.
struct field_resolution {
  std::string field;  ///< "name", ..., "phones", "emails", then custom keys in byte order
  std::string value;  ///< the chosen value as text (lists: entries joined by ", "; "" = empty)
  customer_id from;   ///< the record the value came from (the survivor when all are empty)
  field_rule rule = field_rule::non_empty;
  bool conflict = false;  ///< another record had a different non-empty value, which is dropped

  friend bool operator==(const field_resolution&, const field_resolution&) = default;
};

/// A linked record to re-point from an absorbed customer to the survivor.
struct link_move {
  record_ref record;          ///< a lead, contact, opportunity, event or promise
  customer_id from;           ///< the absorbed customer it belongs to now
  std::uint64_t version = 0;  ///< its version when collected: execution checks it is unchanged

  friend bool operator==(const link_move&, const link_move&) = default;
};

/// What a merge will do. Plans carry full copies of the customers as read, with their versions:
/// execution refuses the plan if any of them changed, and the undo record is built from them.
struct merge_plan {
  customer survivor;               ///< the survivor as read (before the merge)
  std::vector<customer> absorbed;  ///< the others as read, in id order; removed on execution
  /// The survivor as it will be written: resolved fields, the union of phones and e-mails, the
  /// earliest `created_at` of the cluster (the account existed since then), the survivor's id and
  /// version. Execution sets `updated_at` to the time of the merge.
  customer merged;
  std::vector<field_resolution> fields;
  std::vector<link_move> moves;  ///< filled by collect_links; in (kind, id) order
};

/// Plans the merge of `cluster` (at least 2 records, distinct non-empty ids; any order). Pure.
/// invalid_argument for fewer than 2 records, an empty or repeated id, or a policy that
/// breaks the rules of `merge_policy` (union_all on a scalar, another rule on a list, an
/// unmergeable field name, a name given twice).
[[nodiscard]] result<merge_plan> plan_merge(std::span<const customer> cluster,
                                            const merge_policy& policy = {}) noexcept;

/// Fills `plan.moves` (replacing what was there) with every record linked to an absorbed
/// customer: contacts, opportunities and events from the stores' by-customer queries.
///
/// Leads and promises have no by-customer query in the store interfaces (`lead_store` and
/// `promise_store`), so the host names them: `known_leads` / `known_promises` are ids the host
/// found linked (e.g. `SELECT id FROM leads WHERE customer_id IN (...)`); each is read from the
/// store and moved if it belongs to an absorbed customer. not_found if a named one is not
/// stored. Timers are not moved: they belong to the engines that own them.
[[nodiscard]] status collect_links(storage& s, merge_plan& plan,
                                   std::span<const lead_id> known_leads = {},
                                   std::span<const promise_id> known_promises = {}) noexcept;

/// Executes `plan` in one `storage::commit`: updates the survivor to `plan.merged` (with
/// `updated_at = now`), re-points every moved record to the survivor, removes the absorbed
/// customers, and appends a decision {kind merge, subject the survivor, actor} whose `detail`
/// JSON holds the field resolutions and the undo record: full copies of the survivor before and
/// of the absorbed customers, and each moved record's previous customer and new version.
/// Returns the decision's seq.
///
/// conflict (nothing written) if any customer or moved record changed or disappeared since it
/// was read, or if an absorbed customer has a contact, opportunity or event that is not in
/// `plan.moves` (linked after collect_links ran, or collect_links never called: a merge never
/// leaves those pointing at a removed customer; host-named leads and promises are the host's
/// to name completely); invalid_argument for an empty actor or a plan that is not one `plan_merge`
/// could have made (no absorbed record, records never stored, moves from a customer not absorbed).
[[nodiscard]] result<std::uint64_t> execute_merge(storage& s, const merge_plan& plan, timestamp now,
                                                  std::string_view actor) noexcept;

/// Reverses the merge logged as decision `merge_seq`, in one commit: re-inserts the absorbed
/// customers (as new records, version 1), restores the survivor as it was before, re-points
/// the moved records to their previous customers, and appends a decision_kind::merge_undo about
/// the survivor (detail: {"undoes": merge_seq, ...}). Returns that decision's seq.
///
/// not_found if there is no decision `merge_seq`; invalid_argument if it is not a merge;
/// corrupted if its undo record cannot be read; conflict (nothing written) if the merge was
/// already undone or anything it wrote changed since (the survivor or a moved record updated,
/// an absorbed id taken again).
[[nodiscard]] result<std::uint64_t> undo_merge(storage& s, std::uint64_t merge_seq, timestamp now,
                                               std::string_view actor) noexcept;

}  // namespace crmrules::dedup
