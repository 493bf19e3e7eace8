// Merge plans for duplicate customers: the survivor, the field-by-field resolution, the linked
// records to move, execution in one commit with an undo record, and the undo.
#include "crmrules/dedup/merge.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crmrules/store/memory_storage.hpp"
#include "crmrules/store/wrappers.hpp"
#ifdef CRMRULES_WITH_SQLITE
#include "crmrules/store/sqlite_storage.hpp"
#endif

using namespace crmrules;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = from_unix_micros(1'790'000'000'000'000);  // 2026-09-21

customer make_customer(std::string id, std::string name, timestamp created, timestamp updated) {
  customer c;
  c.id = customer_id{std::move(id)};
  c.name = std::move(name);
  c.created_at = created;
  c.updated_at = updated;
  return c;
}

const dedup::field_resolution& field(const dedup::merge_plan& p, std::string_view name) {
  const auto it = std::find_if(p.fields.begin(), p.fields.end(),
                               [&](const dedup::field_resolution& f) { return f.field == name; });
  REQUIRE(it != p.fields.end());
  return *it;
}

/// `r` with version 0: records compared ignoring version numbers.
template <class R>
R unversioned(R r) {
  r.version = 0;
  return r;
}

/// Counts commits that reach the store, and can run something just before one (a concurrent
/// writer that wins the race).
class spy_storage final : public storage_wrapper {
 public:
  using storage_wrapper::storage_wrapper;
  int commits = 0;
  std::function<void()> before_commit;

 protected:
  result<commit_receipt> do_commit(const write_batch& batch) override {
    ++commits;
    if (before_commit) {
      auto f = std::move(before_commit);
      before_commit = nullptr;
      f();
    }
    return storage_wrapper::do_commit(batch);
  }
};

/// Three duplicates of one hospital with contacts, deals, events, a lead and a promise, and an
/// unrelated customer whose records must not move.
struct fixture {
  customer k1 = make_customer("K1", "仁济医院", t0, t0 + 10h);           // newest: survivor
  customer k2 = make_customer("K2", "上海仁济医院", t0 - 48h, t0 + 5h);  // oldest, longest name
  customer k3 = make_customer("K3", "", t0 - 24h, t0 + 1h);
  customer other = make_customer("K9", "别的客户", t0, t0);

  void store_all(storage& s) {
    k1.phones = {"+8613800138000"};
    k1.emails = {"info@renji.example"};
    k1.tier = "B";
    k2.phones = {"138 0013 8000", "021-6288 0000"};
    k2.emails = {"INFO@renji.example", "purchase@renji.example"};
    k2.uscc = "91310000MA1FL4PQ2X";
    k2.address = "上海市浦东新区东方路1630号";
    k2.tier = "A";
    k2.custom.set("床位数", std::int64_t{1600});
    k3.region = "华东";
    k3.owner = rep_id{"R7"};
    for (customer* c : {&k1, &k2, &k3, &other}) {
      auto v = s.customers().insert(*c);
      REQUIRE(v);
      c->version = *v;
    }
    auto add_contact = [&](const char* id, const customer& c) {
      contact x;
      x.id = contact_id{id};
      x.customer = c.id;
      x.name = std::string("联系人 ") + id;
      REQUIRE(s.contacts().insert(x));
    };
    add_contact("C1", k1);
    add_contact("C2", k2);
    add_contact("C3", k3);
    add_contact("C9", other);
    opportunity o;
    o.id = opportunity_id{"O2"};
    o.customer = k2.id;
    o.stage = "qualify";
    o.created_at = t0;
    o.entered_stage_at = t0;
    REQUIRE(s.opportunities().insert(o));
    for (auto [id, c, at] : {std::tuple{"E2", &k2, t0 - 100h}, std::tuple{"E3", &k3, t0 + 3h},
                             std::tuple{"E9", &other, t0}}) {
      event e;
      e.id = event_id{id};
      e.type = "site_visit";
      e.at = at;
      e.customer = c->id;
      REQUIRE(s.events().insert(e));
    }
    lead l;
    l.id = lead_id{"L3"};
    l.created_at = t0;
    l.customer = k3.id;
    REQUIRE(s.leads().insert(l));
    lead unrelated = l;
    unrelated.id = lead_id{"L9"};
    unrelated.customer = other.id;
    REQUIRE(s.leads().insert(unrelated));
    promise p;
    p.id = promise_id{"P2"};
    p.deliverable = "方案";
    p.due = t0 + 72h;
    p.customer = k2.id;
    REQUIRE(s.promises().insert(p));
  }

  [[nodiscard]] std::vector<customer> cluster() const { return {k3, k1, k2}; }
};

/// Everything a merge may touch, for before/after comparisons.
struct snapshot {
  std::vector<customer> customers;
  std::vector<contact> contacts;
  std::vector<opportunity> opportunities;
  std::vector<event> events;
  std::vector<lead> leads;
  std::vector<promise> promises;

  static snapshot of(storage& s, bool with_versions = true) {
    snapshot out;
    auto take = [&](auto& store, auto& into) {
      auto all = store.list();
      REQUIRE(all);
      into = *all;
      if (!with_versions) {
        for (auto& r : into)
          r.version = 0;
      }
    };
    take(s.customers(), out.customers);
    take(s.contacts(), out.contacts);
    take(s.opportunities(), out.opportunities);
    take(s.events(), out.events);
    take(s.leads(), out.leads);
    take(s.promises(), out.promises);
    return out;
  }
  friend bool operator==(const snapshot&, const snapshot&) = default;
};

std::uint64_t decision_count(storage& s) {
  auto last = s.decisions().last_seq();
  REQUIRE(last);
  return *last;
}

void check_merged_store(storage& s, const fixture& f) {
  // The absorbed are gone, the unrelated customer is untouched.
  CHECK(s.customers().get(f.k2.id).error().is_not_found());
  CHECK(s.customers().get(f.k3.id).error().is_not_found());
  CHECK(s.customers().get(f.other.id)->version == f.other.version);
  auto k1 = s.customers().get(f.k1.id);
  REQUIRE(k1);
  CHECK(k1->version == f.k1.version + 1);
  CHECK(k1->name == "仁济医院");
  CHECK(k1->uscc == "91310000MA1FL4PQ2X");
  CHECK(k1->region == "华东");
  CHECK(k1->owner == rep_id{"R7"});
  CHECK(k1->phones == std::vector<std::string>{"+8613800138000", "021-6288 0000"});
  // Every linked record of K2 and K3 now belongs to K1; K9's stay.
  for (const char* id : {"C1", "C2", "C3"})
    CHECK(s.contacts().get(contact_id{id})->customer == f.k1.id);
  CHECK(s.contacts().get(contact_id{"C9"})->customer == f.other.id);
  CHECK(s.opportunities().get(opportunity_id{"O2"})->customer == f.k1.id);
  CHECK(s.events().get(event_id{"E2"})->customer == f.k1.id);
  CHECK(s.events().get(event_id{"E3"})->customer == f.k1.id);
  CHECK(s.events().get(event_id{"E9"})->customer == f.other.id);
  CHECK(s.leads().get(lead_id{"L3"})->customer == f.k1.id);
  CHECK(s.leads().get(lead_id{"L9"})->customer == f.other.id);
  CHECK(s.promises().get(promise_id{"P2"})->customer == f.k1.id);
}

/// Plan, collect, execute, check, undo, check: the whole round on one storage.
void merge_and_undo(storage& s) {
  fixture f;
  f.store_all(s);
  const snapshot before = snapshot::of(s, false);
  const auto log_before = decision_count(s);

  auto plan = dedup::plan_merge(f.cluster());
  REQUIRE(plan);
  const lead_id leads[] = {lead_id{"L3"}, lead_id{"L9"}};
  const promise_id promises[] = {promise_id{"P2"}};
  REQUIRE(dedup::collect_links(s, *plan, leads, promises).ok());
  CHECK(plan->moves.size() == 7);  // C2 C3 O2 E2 E3 L3 P2

  auto seq = dedup::execute_merge(s, *plan, t0 + 20h, "u:zhang.wei");
  REQUIRE(seq);
  check_merged_store(s, f);
  CHECK(s.customers().get(f.k1.id)->updated_at == t0 + 20h);

  // One merge decision about the survivor, whose detail is the undo record.
  CHECK(decision_count(s) == log_before + 1);
  auto logged = s.decisions().read(*seq - 1, 1);
  REQUIRE(logged);
  REQUIRE(logged->size() == 1);
  const decision& d = logged->front();
  CHECK(d.seq == *seq);
  CHECK(d.kind == decision_kind::merge);
  CHECK(d.subject == record_ref{record_kind::customer, "K1"});
  CHECK(d.actor == "u:zhang.wei");
  const auto detail = nlohmann::json::parse(d.detail);
  CHECK(detail["absorbed"] == nlohmann::json::array({"K2", "K3"}));
  const auto& undo = detail["undo"];
  CHECK(undo["survivor_before"]["name"] == "仁济医院");
  CHECK(undo["survivor_before"]["tier"] == "B");
  REQUIRE(undo["absorbed"].size() == 2);
  CHECK(undo["absorbed"][0]["id"] == "K2");
  CHECK(undo["absorbed"][0]["address"] == "上海市浦东新区东方路1630号");
  REQUIRE(undo["moves"].size() == 7);
  CHECK(undo["moves"][0]["kind"] == "lead");
  CHECK(undo["moves"][0]["from"] == "K3");

  auto undone = dedup::undo_merge(s, *seq, t0 + 30h, "u:li.na");
  REQUIRE(undone);
  CHECK(*undone == *seq + 1);
  CHECK(snapshot::of(s, false) == before);  // everything exactly as before, versions aside
  auto undo_decision = s.decisions().read(*seq, 1);
  REQUIRE(undo_decision);
  REQUIRE(undo_decision->size() == 1);
  CHECK(undo_decision->front().kind == decision_kind::merge_undo);
  CHECK(undo_decision->front().subject == record_ref{record_kind::customer, "K1"});
  CHECK(undo_decision->front().actor == "u:li.na");
  CHECK(nlohmann::json::parse(undo_decision->front().detail)["undoes"] == *seq);

  // Twice is a conflict, and writes nothing.
  auto again = dedup::undo_merge(s, *seq, t0 + 31h, "u:li.na");
  REQUIRE_FALSE(again);
  CHECK(again.error().is_conflict());
  CHECK(decision_count(s) == *undone);
}

}  // namespace

TEST_CASE("rule names round-trip", "[dedup][merge]") {
  for (auto r : {dedup::survivor_rule::most_recently_updated, dedup::survivor_rule::oldest,
                 dedup::survivor_rule::most_complete})
    CHECK(dedup::parse_survivor_rule(dedup::to_string(r)) == r);
  for (auto r :
       {dedup::field_rule::non_empty, dedup::field_rule::newest, dedup::field_rule::survivor,
        dedup::field_rule::longest, dedup::field_rule::union_all})
    CHECK(dedup::parse_field_rule(dedup::to_string(r)) == r);
  CHECK(dedup::parse_field_rule("union") == dedup::field_rule::union_all);
  CHECK_FALSE(dedup::parse_field_rule("Newest"));
  CHECK_FALSE(dedup::parse_survivor_rule(""));
}

TEST_CASE("the survivor follows the rule, and ties do not depend on input order",
          "[dedup][merge]") {
  customer a = make_customer("A", "甲", t0 - 10h, t0 + 1h);
  customer b = make_customer("B", "乙", t0 - 20h, t0 + 5h);  // newest, oldest
  customer c = make_customer("C", "丙", t0, t0 + 2h);
  c.uscc = "91310000MA1FL4PQ2X";  // most complete
  c.phones = {"13800138000"};
  c.custom.set("级别", "三甲");
  auto survivor_of = [](std::vector<customer> cluster, dedup::survivor_rule rule) {
    dedup::merge_policy p;
    p.survivor = rule;
    auto plan = dedup::plan_merge(cluster, p);
    REQUIRE(plan);
    return plan->survivor.id.str();
  };
  CHECK(survivor_of({a, b, c}, dedup::survivor_rule::most_recently_updated) == "B");
  CHECK(survivor_of({a, b, c}, dedup::survivor_rule::oldest) == "B");
  CHECK(survivor_of({a, b, c}, dedup::survivor_rule::most_complete) == "C");
  // The default is most recently updated.
  auto plan = dedup::plan_merge(std::vector<customer>{a, c, b});
  REQUIRE(plan);
  CHECK(plan->survivor.id == customer_id{"B"});
  CHECK(plan->merged.id == customer_id{"B"});
  REQUIRE(plan->absorbed.size() == 2);
  CHECK(plan->absorbed[0].id == customer_id{"A"});  // in id order
  CHECK(plan->absorbed[1].id == customer_id{"C"});
  CHECK(plan->merged.created_at == t0 - 20h);  // the earliest of the cluster

  // Ties: the smallest id, in every input order.
  customer x = make_customer("X2", "x", t0, t0 + 1h);
  customer y = make_customer("X1", "y", t0, t0 + 1h);
  customer z = make_customer("X3", "z", t0, t0 + 1h);
  std::vector<customer> cluster = {x, y, z};
  std::sort(cluster.begin(), cluster.end(),
            [](const customer& l, const customer& r) { return l.id < r.id; });
  do {
    for (auto rule : {dedup::survivor_rule::most_recently_updated, dedup::survivor_rule::oldest,
                      dedup::survivor_rule::most_complete}) {
      CHECK(survivor_of(cluster, rule) == "X1");
    }
  } while (std::next_permutation(cluster.begin(), cluster.end(),
                                 [](const customer& l, const customer& r) { return l.id < r.id; }));
  // most_complete ties fall back to the most recently updated.
  customer p = make_customer("P1", "p", t0, t0 + 1h);
  customer q = make_customer("P2", "q", t0, t0 + 2h);
  CHECK(survivor_of({p, q}, dedup::survivor_rule::most_complete) == "P2");
}

TEST_CASE("fields: non-empty, newest, survivor and longest, with per-field overrides",
          "[dedup][merge]") {
  customer s = make_customer("S", "", t0, t0 + 9h);  // the survivor, with an empty name
  s.address = "东方路1630号";
  s.tier = "B";
  s.custom.set("床位数", std::int64_t{1200});
  customer n = make_customer("N", "上海仁济", t0, t0 + 5h);  // newer of the others
  n.address = "浦东新区东方路1630号";
  n.tier = "A";
  n.region = "华东";
  customer o = make_customer("O", "ABCDEFGHIJK", t0, t0 + 1h);  // 11 code points, 11 bytes
  o.address = "   ";                                            // blank counts as empty
  o.region = "华南";
  o.custom.set("床位数", std::int64_t{1600});
  o.custom.set("等级", "三甲");
  const std::vector<customer> cluster = {o, n, s};

  SECTION("the default: the survivor's value unless empty, then the newest non-empty") {
    auto plan = dedup::plan_merge(cluster);
    REQUIRE(plan);
    CHECK(plan->survivor.id == customer_id{"S"});
    CHECK(plan->merged.name == "上海仁济");
    CHECK(field(*plan, "name").from == customer_id{"N"});
    CHECK(field(*plan, "name").rule == dedup::field_rule::non_empty);
    CHECK(field(*plan, "name").conflict);  // O's name differs and is dropped
    CHECK(plan->merged.address == "东方路1630号");
    CHECK(field(*plan, "address").from == customer_id{"S"});
    CHECK(plan->merged.region == "华东");  // S has none; N is newer than O
    CHECK(field(*plan, "region").conflict);
    CHECK(plan->merged.tier == "B");
    CHECK(*plan->merged.custom.find("床位数") == value(std::int64_t{1200}));
    CHECK(*plan->merged.custom.find("等级") == value("三甲"));  // only O has it
    CHECK_FALSE(field(*plan, "等级").conflict);
    CHECK(field(*plan, "等级").from == customer_id{"O"});
    CHECK(field(*plan, "industry").value.empty());  // nobody has one
    CHECK(field(*plan, "industry").from == customer_id{"S"});
    CHECK_FALSE(field(*plan, "industry").conflict);
    // Fields in schema order, then custom keys in byte order.
    std::vector<std::string> names;
    for (const auto& f : plan->fields)
      names.push_back(f.field);
    CHECK(names == std::vector<std::string>{"name", "uscc", "phones", "emails", "address", "region",
                                            "industry", "tier", "owner", "床位数", "等级"});
  }

  SECTION("newest: the most recently updated non-empty value") {
    dedup::merge_policy p;
    p.default_rule = dedup::field_rule::newest;
    // Make O the newest record but keep S the survivor by the oldest rule.
    std::vector<customer> c = cluster;
    c[0].updated_at = t0 + 20h;
    c[2].created_at = t0 - 1h;
    p.survivor = dedup::survivor_rule::oldest;
    auto plan = dedup::plan_merge(c, p);
    REQUIRE(plan);
    CHECK(plan->survivor.id == customer_id{"S"});
    CHECK(plan->merged.name == "ABCDEFGHIJK");
    CHECK(plan->merged.address == "东方路1630号");  // O's is blank: the next newest, S's
    CHECK(plan->merged.region == "华南");
    CHECK(*plan->merged.custom.find("床位数") == value(std::int64_t{1600}));
  }

  SECTION("survivor: the survivor's value even when empty") {
    dedup::merge_policy p;
    p.default_rule = dedup::field_rule::survivor;
    auto plan = dedup::plan_merge(cluster, p);
    REQUIRE(plan);
    CHECK(plan->merged.name.empty());
    CHECK(field(*plan, "name").from == customer_id{"S"});
    CHECK(field(*plan, "name").conflict);
    CHECK(plan->merged.region.empty());
    CHECK_FALSE(plan->merged.custom.contains("等级"));
  }

  SECTION("longest counts code points, not bytes") {
    dedup::merge_policy p;
    p.default_rule = dedup::field_rule::longest;
    auto plan = dedup::plan_merge(cluster, p);
    REQUIRE(plan);
    CHECK(plan->merged.name == "ABCDEFGHIJK");  // 11 code points beat 4 (12 bytes)
    CHECK(plan->merged.address == "浦东新区东方路1630号");
    CHECK(field(*plan, "address").from == customer_id{"N"});
    CHECK(plan->merged.region == "华东");  // equal length: survivor order, N before O
  }

  SECTION("per-field rules override the default, by name, Chinese alias or custom key") {
    dedup::merge_policy p;
    p.per_field = {{"name", dedup::field_rule::longest},
                   {"客户等级", dedup::field_rule::newest},  // alias of tier
                   {"区域", dedup::field_rule::survivor},    // alias of region
                   {"床位数", dedup::field_rule::newest},
                   {"phones", dedup::field_rule::union_all}};
    std::vector<customer> c = cluster;
    c[1].updated_at = t0 + 30h;  // N is now the newest record; S survives as the oldest
    p.survivor = dedup::survivor_rule::oldest;
    c[2].created_at = t0 - 1h;
    auto plan = dedup::plan_merge(c, p);
    REQUIRE(plan);
    CHECK(plan->survivor.id == customer_id{"S"});
    CHECK(plan->merged.name == "ABCDEFGHIJK");
    CHECK(field(*plan, "name").rule == dedup::field_rule::longest);
    CHECK(plan->merged.tier == "A");
    CHECK(field(*plan, "tier").rule == dedup::field_rule::newest);
    CHECK(plan->merged.region.empty());
    CHECK(field(*plan, "region").rule == dedup::field_rule::survivor);
    CHECK(*plan->merged.custom.find("床位数") == value(std::int64_t{1200}));  // S newer than O
    CHECK(plan->merged.address == "东方路1630号");                            // default non_empty
    CHECK(field(*plan, "address").rule == dedup::field_rule::non_empty);
  }
}

TEST_CASE("phones and e-mails are the union, survivor's first, without duplicates",
          "[dedup][merge]") {
  customer s = make_customer("S", "a", t0, t0 + 2h);
  s.phones = {"+8613800138000", "(021) 6288 0000"};
  s.emails = {"Zhang.Wei@Example.com"};
  customer o = make_customer("O", "b", t0, t0 + 1h);
  o.phones = {"138-0013-8000", "+86 21 6288 0000", "13900139000", ""};
  o.emails = {"zhang.wei@example.com ", "li.na@example.com", "not an address", "not an address"};
  auto plan = dedup::plan_merge(std::vector<customer>{o, s});
  REQUIRE(plan);
  CHECK(plan->merged.phones ==
        std::vector<std::string>{"+8613800138000", "(021) 6288 0000", "13900139000"});
  CHECK(plan->merged.emails ==
        std::vector<std::string>{"Zhang.Wei@Example.com", "li.na@example.com", "not an address"});
  CHECK(field(*plan, "phones").rule == dedup::field_rule::union_all);
  CHECK(field(*plan, "phones").value == "+8613800138000, (021) 6288 0000, 13900139000");
  CHECK_FALSE(field(*plan, "emails").conflict);
}

TEST_CASE("a plan needs two distinct customers and a sound policy", "[dedup][merge]") {
  const customer a = make_customer("A", "甲", t0, t0);
  const customer b = make_customer("B", "乙", t0, t0);
  auto invalid = [](std::vector<customer> cluster, const dedup::merge_policy& p = {}) {
    auto plan = dedup::plan_merge(cluster, p);
    REQUIRE_FALSE(plan);
    return plan.error().code() == status_code::invalid_argument;
  };
  CHECK(invalid({}));
  CHECK(invalid({a}));
  CHECK(invalid({a, b, a}));
  CHECK(invalid({a, make_customer("", "x", t0, t0)}));
  auto rule = [](std::string name, dedup::field_rule r) {
    dedup::merge_policy p;
    p.per_field = {{std::move(name), r}};
    return p;
  };
  CHECK(invalid({a, b}, rule("name", dedup::field_rule::union_all)));
  CHECK(invalid({a, b}, rule("emails", dedup::field_rule::newest)));
  CHECK(invalid({a, b}, rule("电话", dedup::field_rule::survivor)));  // alias of phones
  CHECK(invalid({a, b}, rule("created_at", dedup::field_rule::newest)));
  CHECK(invalid({a, b}, rule("id", dedup::field_rule::newest)));
  CHECK(invalid({a, b}, rule("", dedup::field_rule::newest)));
  dedup::merge_policy twice;
  twice.per_field = {{"tier", dedup::field_rule::newest},
                     {"客户等级", dedup::field_rule::survivor}};
  CHECK(invalid({a, b}, twice));
  dedup::merge_policy union_default;
  union_default.default_rule = dedup::field_rule::union_all;
  CHECK(invalid({a, b}, union_default));
  CHECK(dedup::plan_merge(std::vector<customer>{a, b}));
}

TEST_CASE("execute moves every linked record in one commit, and undo restores everything",
          "[dedup][merge]") {
  memory_storage store;
  spy_storage spy(store);
  merge_and_undo(spy);
  CHECK(spy.commits == 2);  // one for the merge, one for the undo
}

TEST_CASE("a concurrent change to an absorbed customer makes execute conflict, writing nothing",
          "[dedup][merge]") {
  memory_storage store;
  fixture f;
  f.store_all(store);
  auto plan = dedup::plan_merge(f.cluster());
  REQUIRE(plan);
  REQUIRE(dedup::collect_links(store, *plan).ok());
  CHECK(plan->moves.size() == 5);  // C2 C3 O2 E2 E3: leads and promises were not named
  const snapshot before = snapshot::of(store);
  const auto log_before = decision_count(store);

  SECTION("changed after planning") {
    customer k3 = f.k3;
    k3.industry = "医疗";
    REQUIRE(store.customers().update(k3));
    const snapshot changed = snapshot::of(store);
    auto seq = dedup::execute_merge(store, *plan, t0 + 20h, "u:zhang.wei");
    REQUIRE_FALSE(seq);
    CHECK(seq.error().is_conflict());
    CHECK(snapshot::of(store) == changed);
  }
  SECTION("changed while the batch is on its way: the commit itself refuses it") {
    spy_storage spy(store);
    spy.before_commit = [&] {
      customer k2 = f.k2;
      k2.industry = "医疗";
      REQUIRE(store.customers().update(k2));
    };
    auto seq = dedup::execute_merge(spy, *plan, t0 + 20h, "u:zhang.wei");
    REQUIRE_FALSE(seq);
    CHECK(seq.error().is_conflict());
    CHECK(spy.commits == 1);
    snapshot after = snapshot::of(store);
    // Only the concurrent writer's change is there: K2 one version up, nothing else moved.
    auto k2 = store.customers().get(f.k2.id);
    REQUIRE(k2);
    CHECK(k2->industry == "医疗");
    CHECK(k2->version == f.k2.version + 1);
    for (auto& c : after.customers) {
      if (c.id == f.k2.id) c = before.customers[1];
    }
    CHECK(after == before);
  }
  SECTION("a record linked to an absorbed customer since collecting, or links never collected") {
    contact late;
    late.id = contact_id{"C4"};
    late.customer = f.k3.id;
    REQUIRE(store.contacts().insert(late));
    const snapshot changed = snapshot::of(store);
    auto seq = dedup::execute_merge(store, *plan, t0 + 20h, "u:zhang.wei");
    REQUIRE_FALSE(seq);
    CHECK(seq.error().is_conflict());
    auto uncollected = dedup::plan_merge(f.cluster());
    REQUIRE(uncollected);
    seq = dedup::execute_merge(store, *uncollected, t0 + 20h, "u:zhang.wei");
    REQUIRE_FALSE(seq);
    CHECK(seq.error().is_conflict());
    CHECK(snapshot::of(store) == changed);
  }
  SECTION("a linked record changed or removed since collecting") {
    REQUIRE(store.contacts().remove(contact_id{"C3"}, 1).ok());
    auto seq = dedup::execute_merge(store, *plan, t0 + 20h, "u:zhang.wei");
    REQUIRE_FALSE(seq);
    CHECK(seq.error().is_conflict());
  }
  CHECK(decision_count(store) == log_before);
  CHECK(store.customers().get(f.k1.id)->version == f.k1.version);
}

TEST_CASE("undo after a later change conflicts and writes nothing", "[dedup][merge]") {
  memory_storage store;
  fixture f;
  f.store_all(store);
  auto plan = dedup::plan_merge(f.cluster());
  REQUIRE(plan);
  const lead_id leads[] = {lead_id{"L3"}};
  REQUIRE(dedup::collect_links(store, *plan, leads).ok());
  auto seq = dedup::execute_merge(store, *plan, t0 + 20h, "system");
  REQUIRE(seq);

  SECTION("the survivor was updated") {
    auto k1 = store.customers().get(f.k1.id);
    REQUIRE(k1);
    k1->tier = "A";
    REQUIRE(store.customers().update(*k1));
  }
  SECTION("a moved record was updated") {
    auto l = store.leads().get(lead_id{"L3"});
    REQUIRE(l);
    l->tags = {"vip"};
    REQUIRE(store.leads().update(*l));
  }
  SECTION("an absorbed id was taken again") {
    REQUIRE(store.customers().insert(make_customer("K2", "新客户", t0, t0)));
  }
  const snapshot changed = snapshot::of(store);
  const auto log_before = decision_count(store);
  auto undone = dedup::undo_merge(store, *seq, t0 + 30h, "system");
  REQUIRE_FALSE(undone);
  CHECK(undone.error().is_conflict());
  CHECK(snapshot::of(store) == changed);
  CHECK(decision_count(store) == log_before);
}

TEST_CASE("execute and undo refuse what they cannot do", "[dedup][merge]") {
  memory_storage store;
  fixture f;
  f.store_all(store);
  auto plan = dedup::plan_merge(f.cluster());
  REQUIRE(plan);
  CHECK(dedup::execute_merge(store, *plan, t0, "").error().is_invalid_argument());
  auto unstored = dedup::plan_merge(
      std::vector<customer>{make_customer("N1", "a", t0, t0), make_customer("N2", "b", t0, t0)});
  REQUIRE(unstored);
  CHECK(dedup::execute_merge(store, *unstored, t0, "system").error().is_invalid_argument());
  const lead_id missing[] = {lead_id{"nope"}};
  CHECK(dedup::collect_links(store, *plan, missing).is_not_found());

  CHECK(dedup::undo_merge(store, 0, t0, "system").error().is_not_found());
  CHECK(dedup::undo_merge(store, 99, t0, "system").error().is_not_found());
  decision other;
  other.at = t0;
  other.kind = decision_kind::assignment;
  other.subject = record_ref{record_kind::lead, "L3"};
  auto seq = store.decisions().append(other);
  REQUIRE(seq);
  CHECK(dedup::undo_merge(store, *seq, t0, "system").error().is_invalid_argument());
  decision broken = other;
  broken.kind = decision_kind::merge;
  broken.detail = R"({"undo":{"survivor_before":{"id":"K1","bogus":1}}})";
  seq = store.decisions().append(broken);
  REQUIRE(seq);
  CHECK(dedup::undo_merge(store, *seq, t0, "system").error().is_corrupted());
}

#ifdef CRMRULES_WITH_SQLITE
TEST_CASE("merge and undo on SQLite", "[dedup][merge][sqlite]") {
  const char* base = std::getenv("CRMRULES_TEST_TMPDIR");
  const std::filesystem::path dir = base != nullptr ? base : std::filesystem::temp_directory_path();
  const auto path = dir / "dedup_merge.db";
  for (const auto& p : {path.string(), path.string() + "-wal", path.string() + "-shm"})
    std::filesystem::remove(p);
  sqlite_options options;
  options.synchronous = sqlite_options::sync_mode::normal;
  auto db = sqlite_storage::open(path, options);
  REQUIRE(db);
  merge_and_undo(**db);
}
#endif
