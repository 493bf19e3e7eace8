#include "crmrules/store/wrappers.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "crmrules/store/memory_storage.hpp"

using namespace crmrules;

namespace {

lead make_lead(const char* id, const char* owner = nullptr) {
  lead l;
  l.id = lead_id{id};
  if (owner != nullptr) {
    l.owner = rep_id{owner};
    l.status = lead_status::assigned;
  }
  return l;
}

/// Fails every third commit: a fault-injection double overriding one hook only.
class flaky_storage : public storage_wrapper {
 public:
  using storage_wrapper::storage_wrapper;
  int commits = 0;

 protected:
  result<commit_receipt> do_commit(const write_batch& b) override {
    if (++commits % 3 == 0) return status::unavailable("injected failure");
    return storage_wrapper::do_commit(b);
  }
};

/// A lead store whose get() throws, as a badly behaved host implementation might.
class throwing_leads : public lead_store_wrapper {
 public:
  using lead_store_wrapper::lead_store_wrapper;

 protected:
  result<lead> do_get(const lead_id&) const override {
    throw std::runtime_error("connection reset");
  }
};

}  // namespace

TEST_CASE("a storage wrapper forwards everything and a double overrides only what it needs",
          "[wrappers]") {
  memory_storage real;
  flaky_storage flaky(real);
  REQUIRE(flaky.leads().insert(make_lead("L1", "R1")));
  CHECK(flaky.leads().list_by_owner(rep_id{"R1"})->size() == 1);

  write_batch b;
  b.insert(make_lead("L2"));
  CHECK(flaky.commit(b));
  write_batch b2;
  b2.insert(make_lead("L3"));
  CHECK(flaky.commit(b2));
  write_batch b3;
  b3.insert(make_lead("L4"));
  auto third = flaky.commit(b3);
  REQUIRE_FALSE(third);
  CHECK(third.error().is_unavailable());
  CHECK_FALSE(real.leads().get(lead_id{"L4"}));
  CHECK(*real.leads().count() == 3);
}

TEST_CASE("per-store wrappers forward every query to their target", "[wrappers]") {
  memory_storage real;
  REQUIRE(real.leads().insert(make_lead("L1", "R1")));
  REQUIRE(real.leads().insert(make_lead("L2")));
  lead_store_wrapper leads(real.leads());
  CHECK(leads.get(lead_id{"L1"})->owner == rep_id{"R1"});
  CHECK(leads.list_unassigned()->size() == 1);
  CHECK(leads.list_by_owner(rep_id{"R1"})->size() == 1);
  CHECK(*leads.count() == 2);

  customer c;
  c.id = customer_id{"C1"};
  c.uscc = "91310000MA1FL1234X";
  REQUIRE(real.customers().insert(c));
  customer_store_wrapper customers(real.customers());
  CHECK(customers.find_by_key(customer_key::uscc, "91310000MA1FL1234X")->size() == 1);

  decision_log_wrapper log(real.decisions());
  REQUIRE(
      log.append(decision{0, {}, decision_kind::other, {record_kind::lead, "L1"}, "t", "r", ""}));
  CHECK(*log.last_seq() == 1);
  CHECK(log.for_subject({record_kind::lead, "L1"})->size() == 1);
}

TEST_CASE("a store hook that throws comes back as an internal status", "[wrappers]") {
  memory_storage real;
  throwing_leads leads(real.leads());
  auto r = leads.get(lead_id{"L1"});
  REQUIRE_FALSE(r);
  CHECK(r.error().is_internal());
  CHECK_THAT(r.error().message(), Catch::Contains("connection reset"));
}

TEST_CASE("commit checks the batch before the implementation sees it", "[wrappers]") {
  memory_storage real;
  flaky_storage counting(real);

  write_batch bad_version;
  lead l = make_lead("L1");
  l.version = 5;
  bad_version.insert(l);
  CHECK(counting.commit(bad_version).error().is_invalid_argument());

  write_batch twice;
  twice.insert(make_lead("L1")).insert(make_lead("L1"));
  auto dup = counting.commit(twice);
  CHECK(dup.error().is_invalid_argument());
  CHECK_THAT(dup.error().message(), Catch::Contains("written twice"));

  write_batch invalid;
  invalid.insert(make_lead("L\xff"));
  CHECK(counting.commit(invalid).error().is_invalid_argument());

  write_batch bad_decision;
  bad_decision.append(decision{});
  CHECK(counting.commit(bad_decision).error().is_invalid_argument());

  write_batch zero_remove;
  zero_remove.remove<lead>(lead_id{"L1"}, 0);
  CHECK(counting.commit(zero_remove).error().is_invalid_argument());

  CHECK(counting.commits == 0);           // none of these reached do_commit
  CHECK(counting.commit(write_batch{}));  // an empty batch is a no-op
  CHECK(counting.commits == 0);
}

TEST_CASE("a batch removal names its record by the id's type alone", "[wrappers]") {
  memory_storage s;
  REQUIRE(s.leads().insert(make_lead("L1")));
  write_batch b;
  b.remove(lead_id{"L1"}, 1);
  REQUIRE(s.commit(b));
  CHECK(s.leads().get(lead_id{"L1"}).error().is_not_found());
}
