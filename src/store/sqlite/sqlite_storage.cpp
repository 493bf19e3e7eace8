#include "crmrules/store/sqlite_storage.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "crmrules/model/json.hpp"
#include "model/record_dispatch.hpp"
#include "store/messages.hpp"

namespace crmrules {
namespace {

// ---------------------------------------------------------------------------------------------
// Errors

/// Maps a SQLite result code (extended codes on) to a status. Transient conditions (locks, I/O
/// errors) are `unavailable`; problems with the path or permissions are `invalid_argument`,
/// since retrying will not help.
status from_sqlite(int rc, sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return status::unavailable(msg + " (database locked by another connection)");
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return status::resource_exhausted(msg);
    case SQLITE_NOTADB:
      return status::corrupted(msg + " (not a SQLite database)");
    case SQLITE_CORRUPT:
      return status::corrupted(msg);
    case SQLITE_IOERR:
      return status::unavailable(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return status::invalid_argument(msg + " (check the path and its permissions)");
    case SQLITE_TOOBIG:
      return status::invalid_argument(msg + " (value too large for the database)");
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
        return status::already_exists(msg);
      return status::internal(msg);
    default:
      return status::internal(msg);
  }
}

// ---------------------------------------------------------------------------------------------
// A connection with a cache of prepared statements. Not thread-safe: the storage's mutex guards it.

class statement {
 public:
  statement(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  // A failed bind (a value too big, out of memory) is remembered and reported by step().
  void bind(int i, std::string_view text) {
    keep(sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind(int i, std::int64_t n) { keep(sqlite3_bind_int64(s_, i, n)); }
  void bind(int i,
            std::uint64_t n) {  // sequence numbers: beyond INT64_MAX means "after everything"
    keep(sqlite3_bind_int64(
        s_, i,
        n > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(n)));
  }
  void bind_null(int i) { keep(sqlite3_bind_null(s_, i)); }
  template <class Tag>
  void bind(int i, const std::optional<basic_id<Tag>>& id) {
    if (id) {
      bind(i, std::string_view(id->str()));
    } else {
      bind_null(i);
    }
  }

  /// SQLITE_ROW, SQLITE_DONE, or an error code (a failed bind's, if any).
  int step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(s_); }

  [[nodiscard]] std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  [[nodiscard]] std::string_view text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p == nullptr
               ? std::string_view{}
               : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
  }
  [[nodiscard]] sqlite3* db() const { return db_; }

 private:
  void keep(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
  int bind_rc_ = SQLITE_OK;
};

class connection {
 public:
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { close(); }

  void close() {
    for (auto& [sql, s] : cache_)
      sqlite3_finalize(s);
    cache_.clear();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  bool broken = false;  // a transaction could not be rolled back: unusable

  result<sqlite3_stmt*> prepare(const std::string& sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return from_sqlite(rc, db_, "prepare");
    cache_.emplace(sql, s);
    return s;
  }

  status exec(const char* sql, std::string_view what) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return from_sqlite(rc, db_, what);
    return {};
  }

 private:
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
status broken_connection() {
  return status::unavailable(
      "the database connection could not roll back a failed transaction; reopen the storage");
}

class transaction {
 public:
  explicit transaction(connection& c) : c_(c) {}
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (!open_) return;
    (void)c_.exec("ROLLBACK", "rollback");
    // A rollback that failed (an I/O error) can leave the connection inside the transaction;
    // reusing it would show later reads uncommitted rows. Refuse further use instead.
    if (sqlite3_get_autocommit(c_.db_) == 0) c_.broken = true;
  }
  status begin() {
    if (c_.broken) return broken_connection();
    status s = c_.exec("BEGIN IMMEDIATE", "begin transaction");
    open_ = s.ok();
    return s;
  }
  status commit() {
    status s = c_.exec("COMMIT", "commit");
    if (s.ok()) open_ = false;
    return s;
  }

 private:
  connection& c_;
  bool open_ = false;
};

// ---------------------------------------------------------------------------------------------
// Schema

/// 'name' for SQL, from the enum's own to_string, so that renaming an enum cannot silently
/// break a partial index or a query.
template <class E>
std::string q(E e) {
  return "'" + std::string(to_string(e)) + "'";
}

std::string schema_v1() {
  return R"sql(
CREATE TABLE crmrules_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE leads(id TEXT PRIMARY KEY, version INTEGER NOT NULL, owner TEXT, status TEXT NOT NULL,
                   doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX leads_by_owner ON leads(owner, id) WHERE owner IS NOT NULL;
CREATE INDEX leads_unassigned ON leads(id) WHERE status IN ()sql" +
         q(lead_status::unassigned) + ", " + q(lead_status::to_reassign) + R"sql();

CREATE TABLE customers(id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE customer_keys(kind TEXT NOT NULL, key TEXT NOT NULL, customer_id TEXT NOT NULL,
                           PRIMARY KEY(kind, key, customer_id)) WITHOUT ROWID;
CREATE INDEX customer_keys_by_customer ON customer_keys(customer_id);

CREATE TABLE contacts(id TEXT PRIMARY KEY, version INTEGER NOT NULL, customer_id TEXT,
                      doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX contacts_by_customer ON contacts(customer_id, id);

CREATE TABLE reps(id TEXT PRIMARY KEY, version INTEGER NOT NULL, team_id TEXT, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX reps_by_team ON reps(team_id, id);

CREATE TABLE teams(id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE opportunities(id TEXT PRIMARY KEY, version INTEGER NOT NULL, customer_id TEXT, stage TEXT NOT NULL,
                           doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX opportunities_by_customer ON opportunities(customer_id, id);
CREATE INDEX opportunities_by_stage ON opportunities(stage, id);

CREATE TABLE events(id TEXT PRIMARY KEY, version INTEGER NOT NULL, customer_id TEXT, lead_id TEXT,
                    at INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX events_by_customer ON events(customer_id, at, id) WHERE customer_id IS NOT NULL;
CREATE INDEX events_by_lead ON events(lead_id, at, id) WHERE lead_id IS NOT NULL;

CREATE TABLE promises(id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, due INTEGER NOT NULL,
                      doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX promises_open_by_due ON promises(due, id) WHERE state = )sql" +
         q(promise_state::open) + R"sql(;

CREATE TABLE timers(id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, due_at INTEGER NOT NULL,
                    subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX timers_pending_by_due ON timers(due_at, id) WHERE state = )sql" +
         q(timer_state::pending) + R"sql(;
CREATE INDEX timers_active ON timers(id) WHERE state IN ()sql" +
         q(timer_state::pending) + ", " + q(timer_state::paused) + R"sql();
CREATE INDEX timers_by_subject ON timers(subject_kind, subject_id, id);

CREATE TABLE decisions(seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL,
                       subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, actor TEXT NOT NULL,
                       reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX decisions_by_subject ON decisions(subject_kind, subject_id, seq);
)sql";
}

const std::string& unassigned_sql() {
  static const std::string sql = "SELECT version, doc FROM leads WHERE status IN (" +
                                 q(lead_status::unassigned) + ", " + q(lead_status::to_reassign) +
                                 ") AND id > ?1 ORDER BY id LIMIT ?2";
  return sql;
}
const std::string& open_promises_sql() {
  static const std::string sql =
      "SELECT version, doc FROM promises WHERE state = " + q(promise_state::open) +
      " AND due < ?1 ORDER BY due, id LIMIT ?2";
  return sql;
}
const std::string& due_timers_sql() {
  static const std::string sql =
      "SELECT version, doc FROM timers WHERE state = " + q(timer_state::pending) +
      " AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2";
  return sql;
}
const std::string& active_timers_sql() {
  static const std::string sql = "SELECT version, doc FROM timers WHERE state IN (" +
                                 q(timer_state::pending) + ", " + q(timer_state::paused) +
                                 ") AND id > ?1 ORDER BY id LIMIT ?2";
  return sql;
}

/// migrations()[v] upgrades a database from schema version v to v + 1.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> all{schema_v1()};
  return all;
}

// ---------------------------------------------------------------------------------------------
// Per-kind tables: name, the indexed columns beside id/version/doc, and how to fill them.

template <class R>
struct table_desc;

template <>
struct table_desc<lead> {
  static constexpr std::string_view name = "leads";
  static constexpr std::array<std::string_view, 2> columns{"owner", "status"};
  static void bind(statement& s, int i, const lead& r) {
    s.bind(i, r.owner);
    s.bind(i + 1, to_string(r.status));
  }
};
template <>
struct table_desc<customer> {
  static constexpr std::string_view name = "customers";
  static constexpr std::array<std::string_view, 0> columns{};
  static void bind(statement&, int, const customer&) {}
};
template <>
struct table_desc<contact> {
  static constexpr std::string_view name = "contacts";
  static constexpr std::array<std::string_view, 1> columns{"customer_id"};
  static void bind(statement& s, int i, const contact& r) { s.bind(i, r.customer); }
};
template <>
struct table_desc<rep> {
  static constexpr std::string_view name = "reps";
  static constexpr std::array<std::string_view, 1> columns{"team_id"};
  static void bind(statement& s, int i, const rep& r) { s.bind(i, r.team); }
};
template <>
struct table_desc<team> {
  static constexpr std::string_view name = "teams";
  static constexpr std::array<std::string_view, 0> columns{};
  static void bind(statement&, int, const team&) {}
};
template <>
struct table_desc<opportunity> {
  static constexpr std::string_view name = "opportunities";
  static constexpr std::array<std::string_view, 2> columns{"customer_id", "stage"};
  static void bind(statement& s, int i, const opportunity& r) {
    s.bind(i, r.customer);
    s.bind(i + 1, std::string_view(r.stage));
  }
};
template <>
struct table_desc<event> {
  static constexpr std::string_view name = "events";
  static constexpr std::array<std::string_view, 3> columns{"customer_id", "lead_id", "at"};
  static void bind(statement& s, int i, const event& r) {
    s.bind(i, r.customer);
    s.bind(i + 1, r.lead);
    s.bind(i + 2, to_unix_micros(r.at));
  }
};
template <>
struct table_desc<promise> {
  static constexpr std::string_view name = "promises";
  static constexpr std::array<std::string_view, 2> columns{"state", "due"};
  static void bind(statement& s, int i, const promise& r) {
    s.bind(i, to_string(r.state));
    s.bind(i + 1, to_unix_micros(r.due));
  }
};
template <>
struct table_desc<timer> {
  static constexpr std::string_view name = "timers";
  static constexpr std::array<std::string_view, 4> columns{"state", "due_at", "subject_kind",
                                                           "subject_id"};
  static void bind(statement& s, int i, const timer& r) {
    s.bind(i, to_string(r.state));
    s.bind(i + 1, to_unix_micros(r.due_at));
    s.bind(i + 2, to_string(r.subject.kind));
    s.bind(i + 3, std::string_view(r.subject.id));
  }
};

/// The SQL of the generic operations on R's table, built once.
template <class R>
struct table_sql {
  std::string get, insert, update, remove, version_of, list, count;

  table_sql() {
    using d = table_desc<R>;
    const std::string t(d::name);
    std::string cols, marks, sets;
    for (auto c : d::columns) {
      cols += ", " + std::string(c);
      marks += ", ?";
      sets += ", " + std::string(c) + " = ?";
    }
    get = "SELECT version, doc FROM " + t + " WHERE id = ?1";
    insert = "INSERT INTO " + t + "(id, version" + cols + ", doc) VALUES(?, ?" + marks + ", ?)";
    update = "UPDATE " + t + " SET version = ?" + sets + ", doc = ? WHERE id = ? AND version = ?";
    remove = "DELETE FROM " + t + " WHERE id = ?1 AND version = ?2";
    version_of = "SELECT version FROM " + t + " WHERE id = ?1";
    list = "SELECT version, doc FROM " + t + " WHERE id > ?1 ORDER BY id LIMIT ?2";
    count = "SELECT count(*) FROM " + t;
  }

  static const table_sql& get_instance() {
    static const table_sql sql;
    return sql;
  }
};

// ---------------------------------------------------------------------------------------------
// Row operations. The caller holds the storage mutex; writes run inside a transaction.

template <class R>
result<R> decode_row(const statement& s, std::string_view table) {
  auto r = from_json<R>(s.text(1));
  if (!r)
    return status::corrupted("unreadable row in table " + std::string(table) + ": " +
                             r.error().message());
  r->version = static_cast<std::uint64_t>(s.int64(0));
  return std::move(*r);
}

/// Runs a prepared query whose columns are (version, doc) and decodes every row.
template <class R>
result<std::vector<R>> collect(statement& s) {
  std::vector<R> out;
  for (;;) {
    const int rc = s.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return from_sqlite(rc, s.db(), "query");
    auto r = decode_row<R>(s, table_desc<R>::name);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
}

status step_done(statement& s, std::string_view what) {
  const int rc = s.step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return from_sqlite(rc, s.db(), what);
  return {};
}

/// The stored version of (R, id), or nullopt if absent.
template <class R>
result<std::optional<std::uint64_t>> stored_version(connection& c, std::string_view id) {
  auto p = c.prepare(table_sql<R>::get_instance().version_of);
  if (!p) return p.error();
  statement s(c.db_, *p);
  s.bind(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::uint64_t>{};
  if (rc != SQLITE_ROW) return from_sqlite(rc, c.db_, "read version");
  return std::optional<std::uint64_t>{static_cast<std::uint64_t>(s.int64(0))};
}

/// Explains why a conditional write touched no row: absent, or at another version.
template <class R>
status explain_miss(connection& c, std::string_view id, std::uint64_t expected) {
  auto v = stored_version<R>(c, id);
  if (!v) return v.error();
  if (!*v) return detail::missing(record_traits<R>::kind, id);
  return detail::stale(record_traits<R>::kind, id, **v, expected);
}

status write_customer_keys(connection& c, std::string_view id, const customer* r) {
  auto del = c.prepare("DELETE FROM customer_keys WHERE customer_id = ?1");
  if (!del) return del.error();
  {
    statement s(c.db_, *del);
    s.bind(1, id);
    if (status st = step_done(s, "delete customer keys"); !st.ok()) return st;
  }
  if (r == nullptr) return {};
  auto ins =
      c.prepare("INSERT OR IGNORE INTO customer_keys(kind, key, customer_id) VALUES(?1, ?2, ?3)");
  if (!ins) return ins.error();
  auto put = [&](customer_key k, std::string_view key) -> status {
    if (key.empty()) return {};
    statement s(c.db_, *ins);
    s.bind(1, to_string(k));
    s.bind(2, key);
    s.bind(3, id);
    return step_done(s, "insert customer key");
  };
  if (status st = put(customer_key::uscc, r->uscc); !st.ok()) return st;
  for (const auto& p : r->phones) {
    if (status st = put(customer_key::phone, p); !st.ok()) return st;
  }
  for (const auto& e : r->emails) {
    if (status st = put(customer_key::email, e); !st.ok()) return st;
  }
  return {};
}

template <class R>
std::string encode(const R& r, std::uint64_t version) {
  R copy = r;
  copy.version = version;
  return to_json(copy);
}

template <class R>
result<std::uint64_t> insert_row(connection& c, const R& r) {
  auto p = c.prepare(table_sql<R>::get_instance().insert);
  if (!p) return p.error();
  {
    statement s(c.db_, *p);
    s.bind(1, std::string_view(r.id.str()));
    s.bind(2, std::int64_t{1});
    table_desc<R>::bind(s, 3, r);
    s.bind(3 + static_cast<int>(table_desc<R>::columns.size()), std::string_view(encode(r, 1)));
    const int rc = s.step();
    if ((rc & 0xFF) == SQLITE_CONSTRAINT) return detail::taken(record_traits<R>::kind, r.id.str());
    if (rc != SQLITE_DONE) return from_sqlite(rc, c.db_, "insert");
  }
  if constexpr (std::is_same_v<R, customer>) {
    if (status st = write_customer_keys(c, r.id.str(), &r); !st.ok()) return st;
  }
  return std::uint64_t{1};
}

template <class R>
result<std::uint64_t> update_row(connection& c, const R& r) {
  auto p = c.prepare(table_sql<R>::get_instance().update);
  if (!p) return p.error();
  const std::uint64_t next = r.version + 1;
  {
    statement s(c.db_, *p);
    constexpr int n = static_cast<int>(table_desc<R>::columns.size());
    s.bind(1, next);
    table_desc<R>::bind(s, 2, r);
    s.bind(2 + n, std::string_view(encode(r, next)));
    s.bind(3 + n, std::string_view(r.id.str()));
    s.bind(4 + n, r.version);
    if (status st = step_done(s, "update"); !st.ok()) return st;
  }
  if (sqlite3_changes(c.db_) == 0) return explain_miss<R>(c, r.id.str(), r.version);
  if constexpr (std::is_same_v<R, customer>) {
    if (status st = write_customer_keys(c, r.id.str(), &r); !st.ok()) return st;
  }
  return next;
}

template <class R>
status remove_row(connection& c, std::string_view id, std::uint64_t expected) {
  auto p = c.prepare(table_sql<R>::get_instance().remove);
  if (!p) return p.error();
  {
    statement s(c.db_, *p);
    s.bind(1, id);
    s.bind(2, expected);
    if (status st = step_done(s, "remove"); !st.ok()) return st;
  }
  if (sqlite3_changes(c.db_) == 0) return explain_miss<R>(c, id, expected);
  if constexpr (std::is_same_v<R, customer>) {
    if (status st = write_customer_keys(c, id, nullptr); !st.ok()) return st;
  }
  return {};
}

result<std::uint64_t> append_decision(connection& c, const decision& d) {
  auto p = c.prepare(
      "INSERT INTO decisions(at, kind, subject_kind, subject_id, actor, reason, detail) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!p) return p.error();
  statement s(c.db_, *p);
  s.bind(1, to_unix_micros(d.at));
  s.bind(2, to_string(d.kind));
  s.bind(3, to_string(d.subject.kind));
  s.bind(4, std::string_view(d.subject.id));
  s.bind(5, std::string_view(d.actor));
  s.bind(6, std::string_view(d.reason));
  s.bind(7, std::string_view(d.detail));
  if (status st = step_done(s, "append decision"); !st.ok()) return st;
  return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(c.db_));
}

result<std::vector<decision>> collect_decisions(statement& s) {
  std::vector<decision> out;
  for (;;) {
    const int rc = s.step();
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return from_sqlite(rc, s.db(), "read decisions");
    decision d;
    d.seq = static_cast<std::uint64_t>(s.int64(0));
    d.at = from_unix_micros(s.int64(1));
    auto kind = parse_decision_kind(s.text(2));
    auto subject_kind = parse_record_kind(s.text(3));
    if (!kind || !subject_kind) {
      return status::corrupted("decision " + std::to_string(d.seq) + " has an unknown kind");
    }
    d.kind = *kind;
    d.subject = {*subject_kind, std::string(s.text(4))};
    d.actor = std::string(s.text(5));
    d.reason = std::string(s.text(6));
    d.detail = std::string(s.text(7));
    out.push_back(std::move(d));
  }
}

// ---------------------------------------------------------------------------------------------
// Stores

/// The storage's two connections: `conn` for writes (and reads inside a write transaction),
/// `reader` for every const call. Each is used by one thread at a time under its mutex.
struct shared_state {
  std::mutex mu;
  connection conn;
  std::mutex read_mu;
  connection reader;
};

template <class Base>
class sql_store : public Base {
 public:
  using R = typename Base::record_type;
  using id_type = typename Base::id_type;

  explicit sql_store(shared_state& st) : st_(st) {}

 protected:
  result<R> do_get(const id_type& id) const override {
    std::lock_guard lock(st_.read_mu);
    auto p = st_.reader.prepare(table_sql<R>::get_instance().get);
    if (!p) return p.error();
    statement s(st_.reader.db_, *p);
    s.bind(1, std::string_view(id.str()));
    const int rc = s.step();
    if (rc == SQLITE_DONE) return detail::missing(record_traits<R>::kind, id.str());
    if (rc != SQLITE_ROW) return from_sqlite(rc, st_.reader.db_, "get");
    return decode_row<R>(s, table_desc<R>::name);
  }

  result<std::uint64_t> do_insert(const R& r) override {
    return in_transaction([&] { return insert_row(st_.conn, r); });
  }
  result<std::uint64_t> do_update(const R& r) override {
    return in_transaction([&] { return update_row(st_.conn, r); });
  }
  status do_remove(const id_type& id, std::uint64_t expected) override {
    auto r = in_transaction([&]() -> result<std::uint64_t> {
      if (status s = remove_row<R>(st_.conn, id.str(), expected); !s.ok()) return s;
      return std::uint64_t{0};
    });
    return r ? status{} : r.error();
  }

  result<std::vector<R>> do_list(const id_type& after, std::size_t limit) const override {
    return query(table_sql<R>::get_instance().list, [&](statement& s) {
      s.bind(1, std::string_view(after.str()));
      s.bind(2, static_cast<std::int64_t>(limit));
    });
  }

  result<std::uint64_t> do_count() const override {
    std::lock_guard lock(st_.read_mu);
    auto p = st_.reader.prepare(table_sql<R>::get_instance().count);
    if (!p) return p.error();
    statement s(st_.reader.db_, *p);
    if (const int rc = s.step(); rc != SQLITE_ROW) return from_sqlite(rc, st_.reader.db_, "count");
    return static_cast<std::uint64_t>(s.int64(0));
  }

  /// Runs a (version, doc) query with the given bindings.
  template <class Bind>
  result<std::vector<R>> query(const std::string& sql, Bind bind) const {
    std::lock_guard lock(st_.read_mu);
    auto p = st_.reader.prepare(sql);
    if (!p) return p.error();
    statement s(st_.reader.db_, *p);
    bind(s);
    return collect<R>(s);
  }

  template <class F>
  result<std::uint64_t> in_transaction(F f) {
    std::lock_guard lock(st_.mu);
    transaction tx(st_.conn);
    if (status s = tx.begin(); !s.ok()) return s;
    auto r = f();
    if (!r) return r;
    if (status s = tx.commit(); !s.ok()) return s;
    return r;
  }

  shared_state& st_;
};

class sql_lead_store final : public sql_store<lead_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<lead>> do_list_by_owner(const rep_id& owner, const lead_id& after,
                                             std::size_t limit) const override {
    return query("SELECT version, doc FROM leads WHERE owner = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                 [&](statement& s) {
                   s.bind(1, std::string_view(owner.str()));
                   s.bind(2, std::string_view(after.str()));
                   s.bind(3, static_cast<std::int64_t>(limit));
                 });
  }
  result<std::vector<lead>> do_list_unassigned(const lead_id& after,
                                               std::size_t limit) const override {
    return query(unassigned_sql(), [&](statement& s) {
      s.bind(1, std::string_view(after.str()));
      s.bind(2, static_cast<std::int64_t>(limit));
    });
  }
};

class sql_customer_store final : public sql_store<customer_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<customer>> do_find_by_key(customer_key kind,
                                               std::string_view key) const override {
    return query(
        "SELECT c.version, c.doc FROM customer_keys k JOIN customers c ON c.id = k.customer_id "
        "WHERE k.kind = ?1 AND k.key = ?2 ORDER BY c.id",
        [&](statement& s) {
          s.bind(1, to_string(kind));
          s.bind(2, key);
        });
  }
};

class sql_contact_store final : public sql_store<contact_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<contact>> do_list_by_customer(const customer_id& c) const override {
    return query("SELECT version, doc FROM contacts WHERE customer_id = ?1 ORDER BY id",
                 [&](statement& s) { s.bind(1, std::string_view(c.str())); });
  }
};

class sql_rep_store final : public sql_store<rep_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<rep>> do_list_by_team(const team_id& t) const override {
    return query("SELECT version, doc FROM reps WHERE team_id = ?1 ORDER BY id",
                 [&](statement& s) { s.bind(1, std::string_view(t.str())); });
  }
};

class sql_team_store final : public sql_store<team_store> {
 public:
  using sql_store::sql_store;
};

class sql_opportunity_store final : public sql_store<opportunity_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<opportunity>> do_list_by_customer(const customer_id& c) const override {
    return query("SELECT version, doc FROM opportunities WHERE customer_id = ?1 ORDER BY id",
                 [&](statement& s) { s.bind(1, std::string_view(c.str())); });
  }
  result<std::vector<opportunity>> do_list_by_stage(std::string_view stage,
                                                    const opportunity_id& after,
                                                    std::size_t limit) const override {
    return query(
        "SELECT version, doc FROM opportunities WHERE stage = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        [&](statement& s) {
          s.bind(1, stage);
          s.bind(2, std::string_view(after.str()));
          s.bind(3, static_cast<std::int64_t>(limit));
        });
  }
};

class sql_event_store final : public sql_store<event_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<event>> do_list_by_customer(const customer_id& c, timestamp from,
                                                 timestamp to) const override {
    return query(
        "SELECT version, doc FROM events WHERE customer_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY "
        "at, id",
        [&](statement& s) {
          s.bind(1, std::string_view(c.str()));
          s.bind(2, to_unix_micros(from));
          s.bind(3, to_unix_micros(to));
        });
  }
  result<std::vector<event>> do_list_by_lead(const lead_id& l, timestamp from,
                                             timestamp to) const override {
    return query(
        "SELECT version, doc FROM events WHERE lead_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at, "
        "id",
        [&](statement& s) {
          s.bind(1, std::string_view(l.str()));
          s.bind(2, to_unix_micros(from));
          s.bind(3, to_unix_micros(to));
        });
  }
};

class sql_promise_store final : public sql_store<promise_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<promise>> do_list_open_due_before(timestamp t,
                                                       std::size_t limit) const override {
    return query(open_promises_sql(), [&](statement& s) {
      s.bind(1, to_unix_micros(t));
      s.bind(2, static_cast<std::int64_t>(limit));
    });
  }
};

class sql_timer_store final : public sql_store<timer_store> {
 public:
  using sql_store::sql_store;

 protected:
  result<std::vector<timer>> do_list_due(timestamp t, std::size_t limit) const override {
    return query(due_timers_sql(), [&](statement& s) {
      s.bind(1, to_unix_micros(t));
      s.bind(2, static_cast<std::int64_t>(limit));
    });
  }
  result<std::vector<timer>> do_list_active(const timer_id& after,
                                            std::size_t limit) const override {
    return query(active_timers_sql(), [&](statement& s) {
      s.bind(1, std::string_view(after.str()));
      s.bind(2, static_cast<std::int64_t>(limit));
    });
  }
  result<std::vector<timer>> do_list_by_subject(const record_ref& subject) const override {
    return query(
        "SELECT version, doc FROM timers WHERE subject_kind = ?1 AND subject_id = ?2 ORDER BY id",
        [&](statement& s) {
          s.bind(1, to_string(subject.kind));
          s.bind(2, std::string_view(subject.id));
        });
  }
};

constexpr const char* decision_columns =
    "seq, at, kind, subject_kind, subject_id, actor, reason, detail";

class sql_decision_log final : public decision_log {
 public:
  explicit sql_decision_log(shared_state& st) : st_(st) {}

 protected:
  result<std::uint64_t> do_append(const decision& d) override {
    std::lock_guard lock(st_.mu);
    transaction tx(st_.conn);
    if (status s = tx.begin(); !s.ok()) return s;
    auto seq = append_decision(st_.conn, d);
    if (!seq) return seq;
    if (status s = tx.commit(); !s.ok()) return s;
    return seq;
  }
  result<std::vector<decision>> do_read(std::uint64_t after_seq, std::size_t limit) const override {
    return query(std::string("SELECT ") + decision_columns +
                     " FROM decisions WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                 [&](statement& s) {
                   s.bind(1, after_seq);
                   s.bind(2, static_cast<std::int64_t>(limit));
                 });
  }
  result<std::vector<decision>> do_for_subject(const record_ref& subject) const override {
    return query(std::string("SELECT ") + decision_columns +
                     " FROM decisions WHERE subject_kind = ?1 AND subject_id = ?2 ORDER BY seq",
                 [&](statement& s) {
                   s.bind(1, to_string(subject.kind));
                   s.bind(2, std::string_view(subject.id));
                 });
  }
  result<std::uint64_t> do_last_seq() const override {
    std::lock_guard lock(st_.read_mu);
    auto p = st_.reader.prepare("SELECT coalesce(max(seq), 0) FROM decisions");
    if (!p) return p.error();
    statement s(st_.reader.db_, *p);
    if (const int rc = s.step(); rc != SQLITE_ROW)
      return from_sqlite(rc, st_.reader.db_, "last_seq");
    return static_cast<std::uint64_t>(s.int64(0));
  }

 private:
  template <class Bind>
  result<std::vector<decision>> query(const std::string& sql, Bind bind) const {
    std::lock_guard lock(st_.read_mu);
    auto p = st_.reader.prepare(sql);
    if (!p) return p.error();
    statement s(st_.reader.db_, *p);
    bind(s);
    return collect_decisions(s);
  }

  shared_state& st_;
};

// ---------------------------------------------------------------------------------------------
// Opening and migrating

result<std::int64_t> query_int(connection& c, const char* sql, std::string_view what) {
  auto p = c.prepare(sql);
  if (!p) return p.error();
  statement s(c.db_, *p);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return s.int64(0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return from_sqlite(rc, c.db_, what);
}

/// Reads what the file is, changing nothing: its schema version (0 for an empty file), or why
/// crmrules must not touch it (not a database, another application's, a newer schema).
result<std::int64_t> identify(connection& c, const std::filesystem::path& path) {
  auto app = query_int(c, "PRAGMA application_id", "read application id");
  if (!app) return app.error();
  auto has_meta = query_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'crmrules_meta'",
                            "read schema");
  if (!has_meta) return has_meta.error();
  auto tables = query_int(c, "SELECT count(*) FROM sqlite_schema", "read schema");
  if (!tables) return tables.error();

  const bool ours = *app == sqlite_storage::application_id;
  if (*app != 0 && !ours) {
    return status::invalid_argument(path.string() +
                                    " belongs to another application (application_id " +
                                    std::to_string(*app) + "); not touching it");
  }
  if (!ours && *tables > 0 && *has_meta == 0) {
    return status::invalid_argument(
        path.string() +
        " is a SQLite database of another application (it has tables but no "
        "crmrules schema); not touching it");
  }
  std::int64_t version = 0;
  if (*has_meta != 0) {
    auto v = c.prepare("SELECT value FROM crmrules_meta WHERE key = 'schema_version'");
    if (!v) return v.error();
    statement st(c.db_, *v);
    if (st.step() != SQLITE_ROW)
      return status::corrupted(path.string() + ": crmrules_meta has no schema_version");
    try {
      version = std::stoll(std::string(st.text(0)));
    } catch (const std::exception&) {
      return status::corrupted(path.string() + ": schema_version '" + std::string(st.text(0)) +
                               "' is not a number");
    }
  }
  if (version > sqlite_storage::schema_version) {
    return status::unsupported(path.string() + " was written by a newer crmrules (schema version " +
                               std::to_string(version) + "); this build reads up to version " +
                               std::to_string(sqlite_storage::schema_version));
  }
  if (version < 0) return status::corrupted(path.string() + ": negative schema_version");
  return version;
}

/// Brings the schema to the current version in one transaction. Identifies the file again
/// inside it: another process may have created or migrated it meanwhile.
status migrate(connection& c, const std::filesystem::path& path) {
  transaction tx(c);
  if (status s = tx.begin(); !s.ok()) return s;
  auto identified = identify(c, path);
  if (!identified) return identified.error();
  const std::int64_t version = *identified;
  auto app = query_int(c, "PRAGMA application_id", "read application id");
  if (!app) return app.error();
  if (version == sqlite_storage::schema_version && *app == sqlite_storage::application_id)
    return {};

  for (auto v = static_cast<std::size_t>(version); v < migrations().size(); ++v) {
    if (status s =
            c.exec(migrations()[v].c_str(), "migrate schema to version " + std::to_string(v + 1));
        !s.ok())
      return s;
  }
  const std::string stamp =
      "PRAGMA application_id = " + std::to_string(sqlite_storage::application_id) +
      "; INSERT OR REPLACE INTO crmrules_meta(key, value) VALUES('schema_version', '" +
      std::to_string(sqlite_storage::schema_version) + "');";
  if (status s = c.exec(stamp.c_str(), "stamp schema version"); !s.ok()) return s;
  return tx.commit();
}

}  // namespace

struct sqlite_storage::impl {
  std::filesystem::path path;
  mutable shared_state st;
  sql_lead_store leads{st};
  sql_customer_store customers{st};
  sql_contact_store contacts{st};
  sql_rep_store reps{st};
  sql_team_store teams{st};
  sql_opportunity_store opportunities{st};
  sql_event_store events{st};
  sql_promise_store promises{st};
  sql_timer_store timers{st};
  sql_decision_log log{st};
};

sqlite_storage::sqlite_storage(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
sqlite_storage::~sqlite_storage() = default;

result<std::unique_ptr<sqlite_storage>> sqlite_storage::open(const std::filesystem::path& path,
                                                             const sqlite_options& options) {
  return detail::guarded("open", [&]() -> result<std::unique_ptr<sqlite_storage>> {
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    if (!exists && !options.create_if_missing)
      return status::not_found(path.string() + " does not exist");
    if (exists && std::filesystem::is_directory(path, ec)) {
      return status::invalid_argument(path.string() + " is a directory, not a database file");
    }
    if (path.string() == ":memory:" || path.empty()) {
      return status::invalid_argument(
          "sqlite_storage needs a file; use memory_storage for an in-memory store");
    }
    auto p = std::make_unique<impl>();
    p->path = path;
    connection& c = p->st.conn;
    const int flags = SQLITE_OPEN_READWRITE | (options.create_if_missing ? SQLITE_OPEN_CREATE : 0) |
                      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(path.c_str(), &c.db_, flags, nullptr);
    if (rc != SQLITE_OK) return from_sqlite(rc, c.db_, "open " + path.string());
    const auto timeout_ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
        options.busy_timeout.count(), 0, std::numeric_limits<int>::max()));
    sqlite3_busy_timeout(c.db_, timeout_ms);

    // Find out what the file is before changing anything in it: the first read also tells
    // whether it is a database at all. Another application's file is left exactly as it was.
    if (auto what = identify(c, path); !what) {
      const status& e = what.error();
      return status(e.code(), e.message().rfind(path.string(), 0) == 0
                                  ? e.message()
                                  : path.string() + ": " + e.message());
    }
    auto mode = c.prepare("PRAGMA journal_mode = WAL");
    if (!mode) return mode.error();
    {
      statement st(c.db_, *mode);
      const int step = st.step();
      if (step != SQLITE_ROW) return from_sqlite(step, c.db_, "open " + path.string());
      if (st.text(0) != "wal")
        return status::unavailable(path.string() + ": cannot switch to WAL mode");
    }
    const char* sync = options.synchronous == sqlite_options::sync_mode::full
                           ? "PRAGMA synchronous = FULL"
                           : "PRAGMA synchronous = NORMAL";
    if (status s = c.exec(sync, "set synchronous"); !s.ok()) return s;
    if (options.max_size_bytes) {
      auto page = query_int(c, "PRAGMA page_size", "read page size");
      if (!page) return page.error();
      const auto pages =
          std::max<std::uint64_t>(1, *options.max_size_bytes / static_cast<std::uint64_t>(*page));
      const std::string pragma = "PRAGMA max_page_count = " + std::to_string(pages);
      if (status s = c.exec(pragma.c_str(), "set size limit"); !s.ok()) return s;
    }
    if (status s = migrate(c, path); !s.ok()) return s;

    // A second, read-only connection serves reads, so that they do not wait behind a long
    // write transaction on the first (WAL lets a reader see the last committed state).
    connection& r = p->st.reader;
    const int rrc = sqlite3_open_v2(
        path.c_str(), &r.db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
        nullptr);
    if (rrc != SQLITE_OK) return from_sqlite(rrc, r.db_, "open reader " + path.string());
    sqlite3_busy_timeout(r.db_, timeout_ms);
    return std::unique_ptr<sqlite_storage>(new sqlite_storage(std::move(p)));
  });
}

lead_store& sqlite_storage::leads() noexcept {
  return impl_->leads;
}
customer_store& sqlite_storage::customers() noexcept {
  return impl_->customers;
}
contact_store& sqlite_storage::contacts() noexcept {
  return impl_->contacts;
}
rep_store& sqlite_storage::reps() noexcept {
  return impl_->reps;
}
team_store& sqlite_storage::teams() noexcept {
  return impl_->teams;
}
opportunity_store& sqlite_storage::opportunities() noexcept {
  return impl_->opportunities;
}
event_store& sqlite_storage::events() noexcept {
  return impl_->events;
}
promise_store& sqlite_storage::promises() noexcept {
  return impl_->promises;
}
timer_store& sqlite_storage::timers() noexcept {
  return impl_->timers;
}
decision_log& sqlite_storage::decisions() noexcept {
  return impl_->log;
}
const std::filesystem::path& sqlite_storage::path() const noexcept {
  return impl_->path;
}

status sqlite_storage::checkpoint() noexcept {
  return detail::guarded("checkpoint", [&]() -> status {
    std::lock_guard lock(impl_->st.mu);
    const int rc = sqlite3_wal_checkpoint_v2(impl_->st.conn.db_, nullptr,
                                             SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc != SQLITE_OK) return from_sqlite(rc, impl_->st.conn.db_, "checkpoint");
    return {};
  });
}

result<commit_receipt> sqlite_storage::do_commit(const write_batch& batch) {
  std::lock_guard lock(impl_->st.mu);
  connection& c = impl_->st.conn;
  transaction tx(c);
  if (status s = tx.begin(); !s.ok()) return s;
  commit_receipt receipt;
  receipt.versions.reserve(batch.ops().size());
  std::size_t index = 0;
  for (const auto& op : batch.ops()) {
    const std::size_t at = index++;
    const record_kind kind =
        op.kind == write_batch::op_kind::remove ? op.target.kind : ref_of(op.record).kind;
    auto version =
        detail::visit_kind(kind, [&]<class R>(detail::type_tag<R>) -> result<std::uint64_t> {
          switch (op.kind) {
            case write_batch::op_kind::insert:
              return insert_row(c, std::get<R>(op.record));
            case write_batch::op_kind::update:
              return update_row(c, std::get<R>(op.record));
            case write_batch::op_kind::remove: {
              if (status s = remove_row<R>(c, op.target.id, op.expected_version); !s.ok()) return s;
              return std::uint64_t{0};
            }
          }
          return status::internal("unknown op");
        });
    if (!version) return detail::in_batch_op(at, version.error());
    receipt.versions.push_back(*version);
  }
  for (const auto& d : batch.decisions()) {
    auto seq = append_decision(c, d);
    if (!seq) return seq.error();
    receipt.decision_seqs.push_back(*seq);
  }
  if (status s = tx.commit(); !s.ok()) return s;
  return receipt;
}

}  // namespace crmrules
