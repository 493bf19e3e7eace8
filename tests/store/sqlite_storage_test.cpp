// Behaviour specific to the SQLite storage: files, schema versions, locks, limits, damage.
// The record-store contract itself is covered by the conformance suite.
#include "crmrules/store/sqlite_storage.hpp"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

using namespace crmrules;
namespace fs = std::filesystem;

namespace {

fs::path temp_db(const std::string& name) {
  const char* base = std::getenv("CRMRULES_TEST_TMPDIR");
  fs::path dir = base ? fs::path(base) : fs::temp_directory_path();
  fs::create_directories(dir);
  fs::path p = dir / ("sqlite_storage_test_" + name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(p.string() + suffix);
  return p;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// A raw SQLite connection for arranging situations the storage must survive.
class raw_db {
 public:
  explicit raw_db(const fs::path& p) { REQUIRE(sqlite3_open(p.c_str(), &db_) == SQLITE_OK); }
  ~raw_db() { sqlite3_close(db_); }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;
  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  std::string query_text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::string out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      const auto* t =
          reinterpret_cast<const char*>(sqlite3_column_text(s, sqlite3_column_count(s) - 1));
      out += (t ? t : "");
      out += "\n";
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// GCC 12 warns on designated initializers that omit members, so options are built by hand.
sqlite_options options_with(std::function<void(sqlite_options&)> set) {
  sqlite_options o;
  set(o);
  return o;
}

lead make_lead(const std::string& id) {
  lead l;
  l.id = lead_id{id};
  l.source = "官网表单";
  l.company_name = "上海瑞金医院有限公司";
  return l;
}

}  // namespace

TEST_CASE("a new database file is created in WAL mode with the current schema version",
          "[sqlite]") {
  const auto path = temp_db("create");
  {
    auto db = sqlite_storage::open(path);
    REQUIRE(db);
    CHECK((*db)->path() == path);
  }
  raw_db raw(path);
  CHECK(raw.query_text("PRAGMA journal_mode") == "wal\n");
  CHECK(raw.query_text("SELECT value FROM crmrules_meta WHERE key = 'schema_version'") == "1\n");
  CHECK(raw.query_text("PRAGMA application_id") ==
        std::to_string(sqlite_storage::application_id) + "\n");
}

TEST_CASE("records survive closing and reopening the database", "[sqlite]") {
  const auto path = temp_db("reopen");
  {
    auto db = sqlite_storage::open(path);
    REQUIRE(db);
    REQUIRE((*db)->leads().insert(make_lead("L1")));
    write_batch b;
    b.append(
        decision{0, {}, decision_kind::assignment, {record_kind::lead, "L1"}, "test", "first", ""});
    REQUIRE((*db)->commit(b));
  }
  auto db = sqlite_storage::open(path, options_with([](auto& o) { o.create_if_missing = false; }));
  REQUIRE(db);
  auto l = (*db)->leads().get(lead_id{"L1"});
  REQUIRE(l);
  CHECK(l->company_name == "上海瑞金医院有限公司");
  CHECK(l->version == 1);
  CHECK(*(*db)->decisions().last_seq() == 1);
}

TEST_CASE("a missing file with create_if_missing off is not_found, and a directory is refused",
          "[sqlite]") {
  const auto path = temp_db("missing");
  auto db = sqlite_storage::open(path, options_with([](auto& o) { o.create_if_missing = false; }));
  REQUIRE_FALSE(db);
  CHECK(db.error().is_not_found());
  CHECK_FALSE(fs::exists(path));

  auto dir = sqlite_storage::open(path.parent_path());
  REQUIRE_FALSE(dir);
  CHECK(dir.error().is_invalid_argument());
}

TEST_CASE("a file that is not a SQLite database is refused as corrupted and left untouched",
          "[sqlite]") {
  const auto path = temp_db("garbage");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 200; ++i)
      out << "this is a CSV export, not a database\n";
  }
  const std::string before = read_file(path);
  auto db = sqlite_storage::open(path);
  REQUIRE_FALSE(db);
  CHECK(db.error().is_corrupted());
  CHECK_THAT(db.error().message(),
             Catch::Contains("not a SQLite database") || Catch::Contains("not a database"));
  CHECK(read_file(path) == before);
}

TEST_CASE("a SQLite database of another application is refused and left untouched", "[sqlite]") {
  const auto path = temp_db("foreign");
  {
    raw_db raw(path);
    raw.exec("CREATE TABLE invoices(id INTEGER PRIMARY KEY, amount INTEGER)");
  }
  auto db = sqlite_storage::open(path);
  REQUIRE_FALSE(db);
  CHECK(db.error().is_invalid_argument());
  CHECK_THAT(db.error().message(), Catch::Contains("another application"));
  raw_db raw(path);
  CHECK(raw.query_text("SELECT count(*) FROM sqlite_schema WHERE name = 'crmrules_meta'") == "0\n");

  const auto stamped = temp_db("foreign_app_id");
  {
    raw_db other(stamped);
    other.exec("PRAGMA application_id = 12345");
    other.exec("CREATE TABLE t(x)");
  }
  const std::string before = read_file(stamped);
  auto db2 = sqlite_storage::open(stamped);
  REQUIRE_FALSE(db2);
  CHECK(db2.error().is_invalid_argument());
  // Not even the journal mode changed: the file is byte for byte what it was.
  CHECK(read_file(stamped) == before);
  raw_db after(stamped);
  CHECK(after.query_text("PRAGMA journal_mode") == "delete\n");
}

TEST_CASE("an in-memory path is refused with a pointer to memory_storage", "[sqlite]") {
  auto db = sqlite_storage::open(":memory:");
  REQUIRE_FALSE(db);
  CHECK(db.error().is_invalid_argument());
  CHECK_THAT(db.error().message(), Catch::Contains("memory_storage"));
}

TEST_CASE("a database written by a newer schema version is refused as unsupported", "[sqlite]") {
  const auto path = temp_db("newer");
  {
    auto db = sqlite_storage::open(path);
    REQUIRE(db);
    REQUIRE((*db)->leads().insert(make_lead("L1")));
  }
  {
    raw_db raw(path);
    raw.exec("UPDATE crmrules_meta SET value = '7' WHERE key = 'schema_version'");
  }
  auto db = sqlite_storage::open(path);
  REQUIRE_FALSE(db);
  CHECK(db.error().is_unsupported());
  CHECK_THAT(db.error().message(),
             Catch::Contains("schema version 7") && Catch::Contains("up to version 1"));
  raw_db raw(path);
  CHECK(raw.query_text("SELECT value FROM crmrules_meta WHERE key = 'schema_version'") == "7\n");
  CHECK(raw.query_text("SELECT count(*) FROM leads") == "1\n");
}

TEST_CASE(
    "a write blocked by another connection's lock gives up after busy_timeout with unavailable",
    "[sqlite]") {
  const auto path = temp_db("locked");
  auto db = sqlite_storage::open(
      path, options_with([](auto& o) { o.busy_timeout = std::chrono::milliseconds(150); }));
  REQUIRE(db);
  REQUIRE((*db)->leads().insert(make_lead("L1")));

  raw_db other(path);
  other.exec("BEGIN EXCLUSIVE");
  const auto start = std::chrono::steady_clock::now();
  auto blocked = (*db)->leads().insert(make_lead("L2"));
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error().is_unavailable());
  CHECK(waited >= std::chrono::milliseconds(100));
  CHECK(waited < std::chrono::seconds(5));
  // Reads still work in WAL mode while another connection writes.
  CHECK((*db)->leads().get(lead_id{"L1"}));

  other.exec("ROLLBACK");
  CHECK((*db)->leads().insert(make_lead("L2")));
}

TEST_CASE("a full database rolls back the whole batch and keeps what was committed", "[sqlite]") {
  const auto path = temp_db("full");
  auto db = sqlite_storage::open(path, options_with([](auto& o) {
                                   o.synchronous = sqlite_options::sync_mode::normal;
                                   o.max_size_bytes = 256 * 1024;
                                 }));
  REQUIRE(db);
  const std::string padding(2000, 'x');
  int committed = 0;
  status failure;
  for (int b = 0; b < 1000 && failure.ok(); ++b) {
    write_batch batch;
    for (int i = 0; i < 10; ++i) {
      lead l = make_lead("B" + std::to_string(b) + "-" + std::to_string(i));
      l.custom.set("padding", padding);
      batch.insert(std::move(l));
    }
    auto r = (*db)->commit(batch);
    if (r) {
      ++committed;
    } else {
      failure = r.error();
    }
  }
  REQUIRE_FALSE(failure.ok());
  CHECK(failure.is_resource_exhausted());
  REQUIRE(committed > 0);
  CHECK(*(*db)->leads().count() == static_cast<std::uint64_t>(committed) * 10);
  // The storage is still usable: reads work and removing data frees room for new writes.
  CHECK((*db)->leads().get(lead_id{"B0-0"}));
  CHECK((*db)->leads().remove(lead_id{"B0-0"}, 1).ok());
  CHECK((*db)->leads().insert(make_lead("small")));
}

TEST_CASE("an unreadable stored row is reported as corrupted, not thrown", "[sqlite]") {
  const auto path = temp_db("bad_row");
  {
    auto db = sqlite_storage::open(path);
    REQUIRE(db);
    REQUIRE((*db)->leads().insert(make_lead("L1")));
    REQUIRE((*db)->leads().insert(make_lead("L2")));
  }
  {
    raw_db raw(path);
    raw.exec("UPDATE leads SET doc = '{not json' WHERE id = 'L1'");
  }
  auto db = sqlite_storage::open(path);
  REQUIRE(db);
  auto l = (*db)->leads().get(lead_id{"L1"});
  REQUIRE_FALSE(l);
  CHECK(l.error().is_corrupted());
  CHECK_THAT(l.error().message(), Catch::Contains("leads"));
  CHECK((*db)->leads().get(lead_id{"L2"}));
  CHECK((*db)->leads().list().error().is_corrupted());
}

TEST_CASE("two storages on one file see each other's writes and conflict on stale versions",
          "[sqlite]") {
  const auto path = temp_db("two_connections");
  auto a = sqlite_storage::open(path);
  auto b = sqlite_storage::open(path);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE((*a)->leads().insert(make_lead("L1")));
  auto from_b = (*b)->leads().get(lead_id{"L1"});
  REQUIRE(from_b);
  lead from_a = *(*a)->leads().get(lead_id{"L1"});
  from_a.owner = rep_id{"R1"};
  REQUIRE((*a)->leads().update(from_a));
  from_b->owner = rep_id{"R2"};
  auto stale = (*b)->leads().update(*from_b);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().is_conflict());
  CHECK((*b)->leads().get(lead_id{"L1"})->owner == rep_id{"R1"});
}

TEST_CASE("the queries engines need are served by indexes", "[sqlite]") {
  const auto path = temp_db("plans");
  { REQUIRE(sqlite_storage::open(path)); }
  raw_db raw(path);
  auto plan = [&](const std::string& sql) { return raw.query_text("EXPLAIN QUERY PLAN " + sql); };
  CHECK_THAT(plan("SELECT doc FROM leads WHERE owner = 'R1' AND id > '' ORDER BY id LIMIT 10"),
             Catch::Contains("leads_by_owner"));
  CHECK_THAT(plan("SELECT doc FROM leads WHERE status IN ('unassigned', 'to_reassign') AND id > '' "
                  "ORDER BY id LIMIT 5"),
             Catch::Contains("leads_unassigned"));
  CHECK_THAT(plan("SELECT doc FROM timers WHERE state = 'pending' AND due_at <= 5 ORDER BY due_at, "
                  "id LIMIT 5"),
             Catch::Contains("timers_pending_by_due"));
  CHECK_THAT(plan("SELECT c.doc FROM customer_keys k JOIN customers c ON c.id = k.customer_id "
                  "WHERE k.kind = 1 AND k.key = '+8613800138000' ORDER BY c.id"),
             Catch::Contains("USING PRIMARY KEY (kind=? AND key=?)"));
  CHECK_THAT(
      plan(
          "SELECT doc FROM events WHERE customer_id = 'C1' AND at >= 0 AND at < 9 ORDER BY at, id"),
      Catch::Contains("events_by_customer"));
  CHECK_THAT(
      plan("SELECT doc FROM promises WHERE state = 'open' AND due < 9 ORDER BY due, id LIMIT 5"),
      Catch::Contains("promises_open_by_due"));
}
