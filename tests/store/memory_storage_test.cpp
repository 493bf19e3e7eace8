// In-memory specifics; the store contract is covered by the conformance suite.
#include "crmrules/store/memory_storage.hpp"

#include <catch2/catch.hpp>

using namespace crmrules;

TEST_CASE("a memory storage hands out the same store objects for its lifetime", "[memory]") {
  memory_storage s;
  CHECK(&s.leads() == &s.leads());
  CHECK(&s.decisions() == &s.decisions());
  storage& base = s;
  CHECK(&base.timers() == &s.timers());
}

TEST_CASE("a rejected batch leaves a memory storage exactly as it was", "[memory]") {
  memory_storage s;
  rep r;
  r.id = rep_id{"R1"};
  REQUIRE(s.reps().insert(r));
  lead l;
  l.id = lead_id{"L1"};
  REQUIRE(s.leads().insert(l));

  write_batch b;
  lead assigned = *s.leads().get(lead_id{"L1"});
  assigned.owner = rep_id{"R1"};
  b.update(assigned);
  rep stale = *s.reps().get(rep_id{"R1"});
  stale.version = 7;  // someone else moved on
  stale.open_leads = 1;
  b.update(stale);
  b.append(decision{0, {}, decision_kind::assignment, {record_kind::lead, "L1"}, "t", "r", ""});
  auto out = s.commit(b);
  REQUIRE_FALSE(out);
  CHECK(out.error().is_conflict());
  CHECK_THAT(out.error().message(), Catch::Contains("batch op 1"));
  CHECK_FALSE(s.leads().get(lead_id{"L1"})->owner.has_value());
  CHECK(s.leads().get(lead_id{"L1"})->version == 1);
  CHECK(*s.decisions().last_seq() == 0);
}
