// crmrules: the SQLite storage, the embedded default for real use (target crmrules::sqlite).
//
// One database file holds every store. The file is created on first open with the current
// schema, in WAL mode, and stamped with an application id and a schema version
// (table crmrules_meta). Opening an older crmrules database migrates it forward in one
// transaction; opening one written by a newer crmrules is refused (unsupported) and leaves it
// untouched. Each record is kept as its JSON document (model/json.hpp) beside the columns the
// queries need, each with an index: leads by owner and unassigned leads, customers by
// USCC/phone/email, timers due before T, events by customer and time, and so on.
//
// Every write, and every batch passed to `commit`, is one transaction: after a crash (even
// SIGKILL in the middle of a batch) a reopened database holds every committed batch whole and
// nothing of an uncommitted one.
//
// Errors come back as statuses, never exceptions:
// - a path that is not a SQLite database, or a damaged one: corrupted
// - a SQLite database that belongs to another application: invalid_argument (left untouched)
// - a database locked by another connection for longer than `busy_timeout`: unavailable
// - a full disk, or the `max_size_bytes` cap reached: resource_exhausted (the batch is rolled back)
//
// Thread-safety: safe for concurrent use from several threads; calls are serialised on one
// connection. Several processes may open the same file; SQLite's locking keeps them consistent
// and a writer waits up to `busy_timeout` for another process's transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "crmrules/store/storage.hpp"

namespace crmrules {

struct sqlite_options {
  /// Create the file (and the schema) if it does not exist; otherwise a missing file is not_found.
  bool create_if_missing = true;
  /// How long a write keeps retrying while another connection holds the lock before it gives up
  /// with status_code::unavailable.
  std::chrono::milliseconds busy_timeout{5000};
  /// full: a committed transaction survives power loss (fsync on every commit).
  /// normal: it survives a crash of the process, and the database stays consistent after power
  /// loss, but the last commits may be lost then; several times faster for small transactions.
  enum class sync_mode : std::uint8_t { normal, full };
  sync_mode synchronous = sync_mode::full;
  /// Upper bound on the database size; writes beyond it fail with resource_exhausted.
  std::optional<std::uint64_t> max_size_bytes;
};

class sqlite_storage final : public storage {
 public:
  /// The schema version this build writes, and the newest it can read.
  static constexpr int schema_version = 1;
  /// Stamped into the file header (PRAGMA application_id): "CRMR".
  static constexpr std::int32_t application_id = 0x43524D52;

  /// Opens (or creates) the database at `path`, migrating an older schema forward.
  ///
  /// **Example**
  /// ```
  /// auto db = crmrules::sqlite_storage::open("crm.db");
  /// if (!db) { std::cerr << db.error().to_string() << "\n"; return 1; }
  /// crmrules::storage& store = **db;
  /// ```
  [[nodiscard]] static result<std::unique_ptr<sqlite_storage>> open(
      const std::filesystem::path& path, const sqlite_options& options = {});
  ~sqlite_storage() override;

  [[nodiscard]] lead_store& leads() noexcept override;
  [[nodiscard]] customer_store& customers() noexcept override;
  [[nodiscard]] contact_store& contacts() noexcept override;
  [[nodiscard]] rep_store& reps() noexcept override;
  [[nodiscard]] team_store& teams() noexcept override;
  [[nodiscard]] opportunity_store& opportunities() noexcept override;
  [[nodiscard]] event_store& events() noexcept override;
  [[nodiscard]] promise_store& promises() noexcept override;
  [[nodiscard]] timer_store& timers() noexcept override;
  [[nodiscard]] decision_log& decisions() noexcept override;

  [[nodiscard]] const std::filesystem::path& path() const noexcept;

  /// Copies the write-ahead log into the main file and truncates it (e.g. before a backup).
  [[nodiscard]] status checkpoint() noexcept;

 protected:
  result<commit_receipt> do_commit(const write_batch& batch) override;

 private:
  struct impl;
  explicit sqlite_storage(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace crmrules
