// The storage conformance suite (conformance.hpp) run against crmrules::sqlite_storage, each test
// on a fresh database file under $CRMRULES_TEST_TMPDIR (or the system temp directory), removed
// afterwards together with its -wal and -shm files.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>

#include "crmrules/store/sqlite_storage.hpp"
#include "store/conformance.hpp"

namespace {

std::filesystem::path temp_base() {
  std::filesystem::path base;
  if (const char* dir = std::getenv("CRMRULES_TEST_TMPDIR"); dir != nullptr && *dir != '\0') {
    base = dir;
  } else {
    base = std::filesystem::temp_directory_path();
  }
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  return base;
}

/// A name no other test, run or concurrent process uses.
std::filesystem::path unique_db_path() {
  static std::atomic<unsigned> counter{0};
  static const std::string run = [] {
    std::random_device rd;
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    return std::to_string(rd()) + "-" + std::to_string(rd()) + "-" + std::to_string(ticks);
  }();
  return temp_base() /
         ("crmrules-conformance-" + run + "-" + std::to_string(counter.fetch_add(1)) + ".db");
}

/// A fresh SQLite storage per test, on its own file.
class sqlite_fixture {
 public:
  sqlite_fixture() : path_(unique_db_path()) {
    remove_files();
    crmrules::sqlite_options options;
    options.synchronous =
        crmrules::sqlite_options::sync_mode::normal;  // fast; crashes not tested here
    auto db = crmrules::sqlite_storage::open(path_, options);
    if (!db) {
      remove_files();
      FAIL("cannot open " << path_.string() << ": " << db.error().to_string());
    }
    db_ = std::move(*db);
  }
  ~sqlite_fixture() {
    db_.reset();
    remove_files();
  }
  sqlite_fixture(const sqlite_fixture&) = delete;
  sqlite_fixture& operator=(const sqlite_fixture&) = delete;

  crmrules::storage& storage() { return *db_; }

 private:
  void remove_files() noexcept {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::error_code ec;
      std::filesystem::remove(std::filesystem::path(path_.string() + suffix), ec);
    }
  }

  std::filesystem::path path_;
  std::unique_ptr<crmrules::sqlite_storage> db_;
};

}  // namespace

CRMRULES_STORAGE_CONFORMANCE_TESTS(sqlite_fixture, "sqlite")
