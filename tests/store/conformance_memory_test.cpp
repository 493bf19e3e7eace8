// The storage conformance suite (conformance.hpp) run against crmrules::memory_storage.
#include "crmrules/store/memory_storage.hpp"
#include "store/conformance.hpp"

namespace {

/// A fresh, empty in-memory storage per test.
class memory_fixture {
 public:
  crmrules::storage& storage() { return db_; }

 private:
  crmrules::memory_storage db_;
};

}  // namespace

CRMRULES_STORAGE_CONFORMANCE_TESTS(memory_fixture, "memory")
