// crmrules host interface: a storage, the set of stores an application uses, and atomic batches.
//
// Engines write through `storage::commit(write_batch)`: every insert, update, removal and
// decision in a batch is applied together or not at all, and every version precondition is
// checked before anything changes. That is how an assignment updates a lead and its rep at once,
// and how a merge moves linked records and logs its undo record in one transaction.
//
// Shipped implementations: `memory_storage` (memory_storage.hpp) and `sqlite_storage`
// (sqlite_storage.hpp, target crmrules::sqlite). A host backed by its own database implements
// this class; `commit` must then be one database transaction.
//
// Ownership: the storage owns its stores. Thread-safety: safe for concurrent use from several
// threads; `commit` is atomic with respect to every other call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "crmrules/store/stores.hpp"

namespace crmrules {

/// Any storable record, by value.
using any_record =
    std::variant<lead, customer, contact, rep, team, opportunity, event, promise, timer>;

/// The id and kind of an `any_record`.
[[nodiscard]] record_ref ref_of(const any_record& r);

/// A list of writes to apply atomically. Cheap to build; owns copies of its records.
///
/// **Example**
/// ```
/// crmrules::write_batch batch;
/// batch.update(lead_with_new_owner)        // precondition: lead's version is still stored
///      .update(rep_with_new_counters)
///      .append(crmrules::decision{.kind = crmrules::decision_kind::assignment, ...});
/// auto receipt = storage.commit(batch);    // conflict: nothing was written; re-read and retry
/// ```
class write_batch {
 public:
  enum class op_kind : std::uint8_t { insert, update, remove };

  struct op {
    op_kind kind = op_kind::insert;
    any_record record;                   ///< for insert and update
    record_ref target;                   ///< for remove
    std::uint64_t expected_version = 0;  ///< for remove (update uses record's version)
  };

  /// Inserts a new record (version must be 0 when committed).
  template <stored_record R>
  write_batch& insert(R r) {
    ops_.push_back(op{op_kind::insert, any_record(std::move(r)), {}, 0});
    return *this;
  }
  /// Replaces a record if its `version` is still the stored one.
  template <stored_record R>
  write_batch& update(R r) {
    ops_.push_back(op{op_kind::update, any_record(std::move(r)), {}, 0});
    return *this;
  }
  /// Removes a record if its stored version is `expected_version`; the kind follows from the
  /// id type: `batch.remove(lead_id{"L1"}, 3)`.
  template <class Tag>
  write_batch& remove(const basic_id<Tag>& id, std::uint64_t expected_version) {
    using R = typename record_of_id<Tag>::type;
    ops_.push_back(op{op_kind::remove, any_record{}, record_ref{record_traits<R>::kind, id.str()},
                      expected_version});
    return *this;
  }
  /// The same, naming the record type: `batch.remove<lead>(id, 3)`.
  template <stored_record R>
  write_batch& remove(const typename record_traits<R>::id_type& id,
                      std::uint64_t expected_version) {
    return remove<typename record_traits<R>::id_type::tag_type>(id, expected_version);
  }
  /// Appends a decision to the log.
  write_batch& append(decision d) {
    decisions_.push_back(std::move(d));
    return *this;
  }

  [[nodiscard]] const std::vector<op>& ops() const noexcept { return ops_; }
  [[nodiscard]] const std::vector<decision>& decisions() const noexcept { return decisions_; }
  [[nodiscard]] bool empty() const noexcept { return ops_.empty() && decisions_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return ops_.size() + decisions_.size(); }
  void clear() noexcept {
    ops_.clear();
    decisions_.clear();
  }

 private:
  std::vector<op> ops_;
  std::vector<decision> decisions_;
};

/// What a successful commit did.
struct commit_receipt {
  std::vector<std::uint64_t> versions;  ///< per op, in order: the new version (0 for a removal)
  std::vector<std::uint64_t> decision_seqs;  ///< per appended decision, in order
};

class storage {
 public:
  virtual ~storage() = default;
  storage(const storage&) = delete;
  storage& operator=(const storage&) = delete;

  [[nodiscard]] virtual lead_store& leads() noexcept = 0;
  [[nodiscard]] virtual customer_store& customers() noexcept = 0;
  [[nodiscard]] virtual contact_store& contacts() noexcept = 0;
  [[nodiscard]] virtual rep_store& reps() noexcept = 0;
  [[nodiscard]] virtual team_store& teams() noexcept = 0;
  [[nodiscard]] virtual opportunity_store& opportunities() noexcept = 0;
  [[nodiscard]] virtual event_store& events() noexcept = 0;
  [[nodiscard]] virtual promise_store& promises() noexcept = 0;
  [[nodiscard]] virtual timer_store& timers() noexcept = 0;
  [[nodiscard]] virtual decision_log& decisions() noexcept = 0;

  /// Applies every write in `batch` atomically. Checks first: each record is valid
  /// (`validate`), inserts have version 0, updates a nonzero version, no record is written twice
  /// in one batch. Then: already_exists / not_found / conflict name the first failing op, and
  /// nothing is written. An empty batch is a no-op.
  [[nodiscard]] result<commit_receipt> commit(const write_batch& batch) noexcept;

 protected:
  storage() = default;
  /// The implementation's part: apply the (already checked) batch in one transaction.
  virtual result<commit_receipt> do_commit(const write_batch& batch) = 0;
};

}  // namespace crmrules
