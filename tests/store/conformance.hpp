// Storage conformance suite: the contracts stated in store/record_store.hpp, store/stores.hpp,
// store/storage.hpp and model/records.hpp, written once and run against every storage.
//
// An implementation adds one small test file:
//
//   #include "store/conformance.hpp"
//
//   struct my_fixture {                    // one fresh, empty storage per test and per section
//     my_fixture();                        // may use REQUIRE / FAIL
//     crmrules::storage& storage();
//   };
//   CRMRULES_STORAGE_CONFORMANCE_TESTS(my_fixture, "postgres")
//
// Every test is named "<name>: <the behaviour it proves>" and tagged [conformance][<name>].
// Tests that hold for every record kind run once per kind, each kind in its own section (named
// after the kind) with its own fixture, so a failure names the kind.
//
// Contents: helpers (outcomes, record builders, snapshots), then the tests (generic per-kind
// tests as structs with a `run<R>(storage&)` template, the rest as functions of `storage&`), then
// the macro that turns them into Catch test cases.
#pragma once

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <latch>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "crmrules/model/json.hpp"
#include "crmrules/model/validate.hpp"
#include "crmrules/store/storage.hpp"

namespace crmrules::conformance {

// =============================================================================================
// Outcomes and diagnostics

inline std::string code_name(status_code c) {
  return std::string(to_string(c));
}
inline std::string code_of(const status& s) {
  return code_name(s.code());
}
template <class T>
std::string code_of(const result<T>& r) {
  return r.ok() ? code_name(status_code::ok) : code_of(r.error());
}
inline std::string describe(const status& s) {
  return s.to_string();
}
template <class T>
std::string describe(const result<T>& r) {
  return r.ok() ? std::string("ok") : r.error().to_string();
}

/// A record, a decision or a list of them as JSON, for failure messages.
template <stored_record R>
std::string show(const R& r) {
  return to_json(r);
}
inline std::string show(const decision& d) {
  return to_json(d);
}
template <class T>
std::string show(const std::vector<T>& items) {
  std::string out = "[";
  for (const auto& item : items)
    out += "\n    " + show(item);
  out += items.empty() ? "]" : "\n  ]";
  return out;
}

/// Checks that `expr` (a status or a result) has the status code `code` (a status_code name).
#define CRMRULES_CHECK_CODE(expr, code)                                         \
  do {                                                                          \
    const auto& crmrules_outcome_ = (expr);                                     \
    INFO(#expr " -> " << ::crmrules::conformance::describe(crmrules_outcome_)); \
    CHECK(::crmrules::conformance::code_of(crmrules_outcome_) ==                \
          ::crmrules::conformance::code_name(::crmrules::status_code::code));   \
  } while (false)

/// Requires that `expr` (a status or a result) is ok, showing the error otherwise.
#define CRMRULES_REQUIRE_OK(expr)                                                      \
  do {                                                                                 \
    const auto& crmrules_outcome_ = (expr);                                            \
    INFO(#expr " -> " << ::crmrules::conformance::describe(crmrules_outcome_));        \
    REQUIRE(::crmrules::conformance::code_of(crmrules_outcome_) == std::string("ok")); \
  } while (false)

/// Checks that two records, decisions or lists of them are equal, showing both as JSON when they
/// are not (only then: encoding is not free, and not defined for every value).
#define CRMRULES_CHECK_SAME(got, want)                                 \
  do {                                                                 \
    const auto& crmrules_got_ = (got);                                 \
    const auto& crmrules_want_ = (want);                               \
    if (crmrules_got_ == crmrules_want_) {                             \
      SUCCEED();                                                       \
    } else {                                                           \
      INFO("got:  " << ::crmrules::conformance::show(crmrules_got_));  \
      INFO("want: " << ::crmrules::conformance::show(crmrules_want_)); \
      CHECK(crmrules_got_ == crmrules_want_);                          \
    }                                                                  \
  } while (false)

using id_list = std::vector<std::string>;

/// The ids of a list result, or one "<error ...>" entry if the call failed.
template <class R>
id_list ids_of(const std::vector<R>& records) {
  id_list out;
  for (const auto& r : records)
    out.push_back(r.id.str());
  return out;
}
template <class R>
id_list ids_of(const result<std::vector<R>>& r) {
  if (!r.ok()) return {"<error " + describe(r) + ">"};
  return ids_of(*r);
}

/// The seqs of a decision list, or {0} (never a valid seq) if the call failed.
inline std::vector<std::uint64_t> seqs_of(const result<std::vector<decision>>& r) {
  if (!r.ok()) return {0};
  std::vector<std::uint64_t> out;
  for (const auto& d : *r)
    out.push_back(d.seq);
  return out;
}

// =============================================================================================
// Record kinds

template <class R>
using id_type_of = typename record_traits<R>::id_type;

template <class R>
id_type_of<R> make_id(std::string_view text) {
  return id_type_of<R>(text);
}

template <class R>
std::string kind_name() {
  return std::string(to_string(record_traits<R>::kind));
}

/// The store of kind R in `db`.
template <stored_record R>
record_store<R>& store_of(storage& db) {
  if constexpr (std::is_same_v<R, lead>) {
    return db.leads();
  } else if constexpr (std::is_same_v<R, customer>) {
    return db.customers();
  } else if constexpr (std::is_same_v<R, contact>) {
    return db.contacts();
  } else if constexpr (std::is_same_v<R, rep>) {
    return db.reps();
  } else if constexpr (std::is_same_v<R, team>) {
    return db.teams();
  } else if constexpr (std::is_same_v<R, opportunity>) {
    return db.opportunities();
  } else if constexpr (std::is_same_v<R, event>) {
    return db.events();
  } else if constexpr (std::is_same_v<R, promise>) {
    return db.promises();
  } else {
    static_assert(std::is_same_v<R, timer>);
    return db.timers();
  }
}

/// Calls `f(std::type_identity<R>{})` for every stored record type.
template <class F>
void for_each_kind(F&& f) {
  f(std::type_identity<lead>{});
  f(std::type_identity<customer>{});
  f(std::type_identity<contact>{});
  f(std::type_identity<rep>{});
  f(std::type_identity<team>{});
  f(std::type_identity<opportunity>{});
  f(std::type_identity<event>{});
  f(std::type_identity<promise>{});
  f(std::type_identity<timer>{});
}

/// Runs `Test::run<R>` for every kind R, each in its own section with a fresh fixture.
template <class Fixture, class Test>
void run_for_each_kind() {
  for_each_kind([]<class R>(std::type_identity<R>) {
    DYNAMIC_SECTION(kind_name<R>()) {
      Fixture fixture;
      Test::template run<R>(fixture.storage());
    }
  });
}

// =============================================================================================
// Time

/// 2026-11-22T09:30:00Z, the suite's "now".
inline timestamp base_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / November / 22} + hours{9} + minutes{30};
}
inline timestamp at_minute(std::int64_t m) {
  return base_time() + std::chrono::minutes{m};
}

// =============================================================================================
// Record builders

/// Every custom attribute value type, with edge values (limits, negatives, empties, Chinese).
inline attributes every_value_type() {
  using namespace std::chrono;
  attributes a;
  a.set("null_value", value{});
  a.set("布尔", value(true));
  a.set("bool_false", value(false));
  a.set("整数", value(std::int64_t{-42}));
  a.set("int_max", value(std::numeric_limits<std::int64_t>::max()));
  a.set("int_min", value(std::numeric_limits<std::int64_t>::min()));
  a.set("小数", value(0.1));
  a.set("decimal_whole", value(2.0));
  a.set("decimal_tiny", value(1.5e-7));
  a.set("decimal_negative", value(-12345.678));
  a.set("金额", value(money::from_minor(50'000'012)));
  a.set("money_negative", value(money::from_minor(-5)));
  a.set("money_zero", value(money{}));
  a.set("文本", value("课程偏好：数学、物理"));
  a.set("text_empty", value(""));
  a.set("text_like_time", value("2026-11-22T09:30:00Z"));
  a.set("text_like_number", value("42"));
  a.set("text_controls", value("tab\there\r\nline \"q\" \\ \x01\x1F\x7F 🚀"));
  a.set("$money", value("an attribute named like a tag"));
  a.set("version", value(std::int64_t{7}));
  a.set("id", value("not the record id"));
  a.set("时间", value(at_minute(90) + microseconds{123'456}));
  a.set("时长", value(duration{hours{1} + minutes{30} + seconds{15} + milliseconds{250}}));
  a.set("duration_zero", value(duration{0}));
  a.set("列表", value(value::string_list{"华东", "华南", "a,b"}));
  a.set("list_empty", value(value::string_list{}));
  return a;
}

// Typical records with only the usual fields set (optional fields empty).

inline lead sample_lead(std::string_view id) {
  lead r;
  r.id = lead_id(id);
  r.source = "官网表单";
  r.created_at = at_minute(0);
  r.company_name = "杭州示例科技有限公司";
  return r;
}
inline customer sample_customer(std::string_view id) {
  customer r;
  r.id = customer_id(id);
  r.name = "示例客户";
  r.created_at = at_minute(0);
  r.updated_at = at_minute(1);
  return r;
}
inline contact sample_contact(std::string_view id) {
  contact r;
  r.id = contact_id(id);
  r.name = "王芳";
  return r;
}
inline rep sample_rep(std::string_view id) {
  rep r;
  r.id = rep_id(id);
  r.name = "销售一号";
  r.role = "sales";
  return r;
}
inline team sample_team(std::string_view id) {
  team r;
  r.id = team_id(id);
  r.name = "华东一组";
  return r;
}
inline opportunity sample_opportunity(std::string_view id) {
  opportunity r;
  r.id = opportunity_id(id);
  r.name = "年度采购";
  r.stage = "需求确认";
  r.entered_stage_at = at_minute(0);
  r.amount = money::from_major(10'000);
  r.created_at = at_minute(0);
  return r;
}
inline event sample_event(std::string_view id) {
  event r;
  r.id = event_id(id);
  r.type = "site_visit";
  r.at = at_minute(0);
  return r;
}
inline promise sample_promise(std::string_view id) {
  promise r;
  r.id = promise_id(id);
  r.deliverable = "报价单";
  r.due = at_minute(60);
  r.created_at = at_minute(0);
  return r;
}
inline timer sample_timer(std::string_view id) {
  timer r;
  r.id = timer_id(id);
  r.policy = "first_touch";
  r.subject = record_ref{record_kind::lead, "L-subject"};
  r.due_at = at_minute(30);
  r.created_at = at_minute(0);
  return r;
}

template <stored_record R>
R sample(std::string_view id) {
  if constexpr (std::is_same_v<R, lead>) {
    return sample_lead(id);
  } else if constexpr (std::is_same_v<R, customer>) {
    return sample_customer(id);
  } else if constexpr (std::is_same_v<R, contact>) {
    return sample_contact(id);
  } else if constexpr (std::is_same_v<R, rep>) {
    return sample_rep(id);
  } else if constexpr (std::is_same_v<R, team>) {
    return sample_team(id);
  } else if constexpr (std::is_same_v<R, opportunity>) {
    return sample_opportunity(id);
  } else if constexpr (std::is_same_v<R, event>) {
    return sample_event(id);
  } else if constexpr (std::is_same_v<R, promise>) {
    return sample_promise(id);
  } else {
    return sample_timer(id);
  }
}

// Records with every field set to a non-default value, Chinese text, nested parts and custom
// attributes of every type.

inline lead full_lead(std::string_view id) {
  using namespace std::chrono;
  lead r = sample_lead(id);
  r.channel = "双11-抖音投放";
  r.contact_name = "张伟";
  r.phone = "+86 138-0013-8000";
  r.email = "zhang.wei@example.cn";
  r.region = "华东";
  r.industry = "软件和信息技术服务业";
  r.budget = money::from_major(500'000);
  r.tags = {"高意向", "回访"};
  r.status = lead_status::touched;
  r.owner = rep_id("R-001");
  r.assigned_at = at_minute(5);
  r.first_touch_at = at_minute(42) + milliseconds{250};
  r.customer = customer_id("C-001");
  r.custom = every_value_type();
  return r;
}
inline customer full_customer(std::string_view id) {
  customer r = sample_customer(id);
  r.name = "浙江示例医疗器械有限公司";
  r.uscc = "91330106MA2H3XYZ8K";
  r.phones = {"+8613800138000", "+862160000000"};
  r.emails = {"buyer@example.cn", "采购@例子.中国"};
  r.address = "浙江省杭州市西湖区文三路 90 号";
  r.region = "华东";
  r.industry = "医疗";
  r.tier = "A";
  r.owner = rep_id("R-001");
  r.created_at = at_minute(-10'000);
  r.updated_at = at_minute(10);
  r.custom = every_value_type();
  return r;
}
inline contact full_contact(std::string_view id) {
  contact r = sample_contact(id);
  r.customer = customer_id("C-001");
  r.title = "采购总监";
  r.phones = {"+8613900139000"};
  r.emails = {"wang.fang@example.cn", "wf@例子.中国"};
  r.custom = every_value_type();
  return r;
}
inline rep full_rep(std::string_view id) {
  using namespace std::chrono;
  rep r = sample_rep(id);
  r.name = "李娜";
  r.team = team_id("T-华东");
  r.role = "senior";
  r.active = false;
  r.accepts_leads = false;
  r.hired_at = at_minute(-525'600);
  r.daily_cap = 0;  // a cap of zero is not "no cap"
  r.open_cap = 30;
  r.regions = {"华东", "华南"};
  r.industries = {"医疗", "教育"};
  r.skills = {"英语", "粤语"};
  r.leave = {period{at_minute(1'440), at_minute(2'880)},
             period{at_minute(10'000), at_minute(10'001)}};
  r.today_follow_ups = 3;
  r.open_tasks = 4;
  r.open_leads = 5;
  r.assigned_today = 6;
  r.revenue_3d = money::from_minor(12'345'678);
  r.avg_response = duration{minutes{95} + microseconds{7}};
  r.last_assigned_at = at_minute(-3);
  r.custom = every_value_type();
  return r;
}
inline team full_team(std::string_view id) {
  team r = sample_team(id);
  r.name = "华东大客户一组";
  r.manager = rep_id("R-001");
  r.custom = every_value_type();
  return r;
}
inline opportunity full_opportunity(std::string_view id) {
  using namespace std::chrono;
  opportunity r = sample_opportunity(id);
  r.name = "2027 年度影像设备采购";
  r.customer = customer_id("C-001");
  r.owner = rep_id("R-001");
  r.stage = "方案报价";
  r.entered_stage_at = at_minute(100);
  r.amount = money::from_major(1'280'000);
  r.created_at = at_minute(-5'000);
  r.closed_at = at_minute(20'000);
  // One item of every evidence type.
  const evidence_type types[] = {evidence_type::note,
                                 evidence_type::call_recording,
                                 evidence_type::screenshot,
                                 evidence_type::pdf,
                                 evidence_type::signed_document,
                                 evidence_type::email,
                                 evidence_type::meeting_minutes,
                                 evidence_type::approval};
  std::int64_t n = 0;
  for (evidence_type t : types) {
    evidence_item item;
    item.id = "EV-" + std::to_string(n);
    item.type = t;
    item.stage = n % 2 == 0 ? "需求确认" : "";
    item.ref =
        n % 3 == 0 ? "会议纪要：确认预算与采购流程" : "doc://contracts/2027-" + std::to_string(n);
    if (t == evidence_type::meeting_minutes) item.attendees = {"张伟", "李娜"};
    item.added_at = at_minute(50 + n) + microseconds{n};
    r.evidence.push_back(std::move(item));
    ++n;
  }
  r.lost_reasons = {lost_reason{"price", true, "note-1"}, lost_reason{"竞品", false, ""}};
  r.custom = every_value_type();
  return r;
}
inline event full_event(std::string_view id) {
  event r = sample_event(id);
  r.type = "demo_attended";
  r.at = at_minute(15);
  r.customer = customer_id("C-001");
  r.lead = lead_id("L-001");
  r.channel = "微信";
  r.custom = every_value_type();
  return r;
}
inline promise full_promise(std::string_view id) {
  promise r = sample_promise(id);
  r.deliverable = "技术方案书（含报价）";
  r.due = at_minute(2'880);
  r.owner = rep_id("R-001");
  r.delivery_owner = "售前-王强";
  r.customer = customer_id("C-001");
  r.opportunity = opportunity_id("O-001");
  r.acceptance_criteria = "客户签字确认";
  r.state = promise_state::delivered;
  r.created_at = at_minute(-60);
  r.custom = every_value_type();
  return r;
}
inline timer full_timer(std::string_view id) {
  using namespace std::chrono;
  timer r = sample_timer(id);
  r.policy = "golden_72h";
  r.subject = record_ref{record_kind::opportunity, "O-001"};
  r.due_at = at_minute(4'320);
  r.step = 2;
  r.state = timer_state::paused;
  r.remaining = duration{minutes{45} + microseconds{7}};
  r.created_at = at_minute(-1);
  r.custom = every_value_type();
  return r;
}

template <stored_record R>
R full(std::string_view id) {
  if constexpr (std::is_same_v<R, lead>) {
    return full_lead(id);
  } else if constexpr (std::is_same_v<R, customer>) {
    return full_customer(id);
  } else if constexpr (std::is_same_v<R, contact>) {
    return full_contact(id);
  } else if constexpr (std::is_same_v<R, rep>) {
    return full_rep(id);
  } else if constexpr (std::is_same_v<R, team>) {
    return full_team(id);
  } else if constexpr (std::is_same_v<R, opportunity>) {
    return full_opportunity(id);
  } else if constexpr (std::is_same_v<R, event>) {
    return full_event(id);
  } else if constexpr (std::is_same_v<R, promise>) {
    return full_promise(id);
  } else {
    return full_timer(id);
  }
}

/// A visible content change for update tests.
template <stored_record R>
void revise(R& r, std::int64_t n) {
  r.custom.set("修订", value(n));
  r.custom.set("note", value("第 " + std::to_string(n) + " 版"));
}

inline decision make_decision(decision_kind kind, record_ref subject, std::string reason) {
  using namespace std::chrono;
  decision d;
  d.at = at_minute(1) + microseconds{7};
  d.kind = kind;
  d.subject = std::move(subject);
  d.actor = "crmrules.assign";
  d.reason = std::move(reason);
  d.detail = R"({"score":0.93,"规则":"华东轮转"})";
  return d;
}

// Convenience: insert, get.

template <stored_record R>
void put(storage& db, const R& r) {
  CRMRULES_REQUIRE_OK(store_of<R>(db).insert(r));
}

template <stored_record R>
R fetch(storage& db, const id_type_of<R>& id) {
  auto got = store_of<R>(db).get(id);
  CRMRULES_REQUIRE_OK(got);
  return *got;
}

template <stored_record R>
R with_version(R r, std::uint64_t version) {
  r.version = version;
  return r;
}

// =============================================================================================
// Invalid UTF-8

/// Malformed UTF-8 of several sorts: bad continuation, surrogate, overlong, above U+10FFFF,
/// truncated sequence, stray byte.
inline const std::vector<std::string>& bad_utf8_samples() {
  static const std::vector<std::string> samples{
      std::string("abc\xC3(", 5),   std::string("\xED\xA0\x80", 3),
      std::string("\xC0\xAF", 2),   std::string("\xF4\x90\x80\x80", 4),
      std::string("中\xE4\xB8", 5), std::string("ok\xFF", 3),
  };
  return samples;
}

template <class R>
struct corruption {
  std::string where;
  std::function<void(R&)> apply;
};

/// Ways to put invalid UTF-8 into a record of kind R: every built-in text field (found through
/// the field table), a custom attribute's value, list and name, and nested text.
template <stored_record R>
std::vector<corruption<R>> utf8_corruptions() {
  std::vector<corruption<R>> out;
  const auto& bad = bad_utf8_samples();
  std::size_t n = 0;
  auto next_bad = [&] { return bad[n++ % bad.size()]; };
  for (const auto& f : record_traits<R>::fields()) {
    const builtin_field<R>* field = &f;
    if (f.type == value_type::string) {
      const std::string text = next_bad();
      R probe = full<R>("probe");
      if (!f.set(probe, value(text)).ok()) continue;  // an enum: not free text
      out.push_back(
          {std::string(f.name), [field, text](R& r) { (void)field->set(r, value(text)); }});
    } else if (f.type == value_type::string_list) {
      const std::string text = next_bad();
      out.push_back({std::string(f.name), [field, text](R& r) {
                       (void)field->set(r, value(value::string_list{"正常", text}));
                     }});
    }
  }
  {
    const std::string text = next_bad();
    out.push_back({"custom string value", [text](R& r) { r.custom.set("备注", value(text)); }});
  }
  {
    const std::string text = next_bad();
    out.push_back({"custom string list value", [text](R& r) {
                     r.custom.set("列表", value(value::string_list{"好", text}));
                   }});
  }
  {
    const std::string text = next_bad();
    out.push_back({"custom attribute name", [text](R& r) { r.custom.set(text, value(1)); }});
  }
  if constexpr (std::is_same_v<R, opportunity>) {
    const std::string text = next_bad();
    out.push_back({"evidence.id", [text](R& r) { r.evidence.at(0).id = text; }});
    out.push_back({"evidence.stage", [text](R& r) { r.evidence.at(0).stage = text; }});
    out.push_back({"evidence.ref", [text](R& r) { r.evidence.at(1).ref = text; }});
    out.push_back(
        {"evidence.attendees", [text](R& r) { r.evidence.at(6).attendees.push_back(text); }});
    out.push_back({"lost_reasons.code", [text](R& r) { r.lost_reasons.at(1).code = text; }});
    out.push_back({"lost_reasons.ref", [text](R& r) { r.lost_reasons.at(0).ref = text; }});
  }
  return out;
}

// =============================================================================================
// Snapshots: everything a storage holds, to prove that a failed write changed nothing

struct snapshot {
  std::vector<lead> leads;
  std::vector<customer> customers;
  std::vector<contact> contacts;
  std::vector<rep> reps;
  std::vector<team> teams;
  std::vector<opportunity> opportunities;
  std::vector<event> events;
  std::vector<promise> promises;
  std::vector<timer> timers;
  std::vector<decision> decisions;
  std::uint64_t last_seq = 0;

  friend bool operator==(const snapshot&, const snapshot&) = default;
};

template <stored_record R>
std::vector<R> list_all(storage& db) {
  auto all = store_of<R>(db).list();
  CRMRULES_REQUIRE_OK(all);
  return *all;
}

inline snapshot take_snapshot(storage& db) {
  snapshot s;
  s.leads = list_all<lead>(db);
  s.customers = list_all<customer>(db);
  s.contacts = list_all<contact>(db);
  s.reps = list_all<rep>(db);
  s.teams = list_all<team>(db);
  s.opportunities = list_all<opportunity>(db);
  s.events = list_all<event>(db);
  s.promises = list_all<promise>(db);
  s.timers = list_all<timer>(db);
  auto log = db.decisions().read();
  CRMRULES_REQUIRE_OK(log);
  s.decisions = *log;
  auto last = db.decisions().last_seq();
  CRMRULES_REQUIRE_OK(last);
  s.last_seq = *last;
  return s;
}

inline std::string show(const snapshot& s) {
  return "leads " + show(s.leads) + "\n  customers " + show(s.customers) + "\n  contacts " +
         show(s.contacts) + "\n  reps " + show(s.reps) + "\n  teams " + show(s.teams) +
         "\n  opportunities " + show(s.opportunities) + "\n  events " + show(s.events) +
         "\n  promises " + show(s.promises) + "\n  timers " + show(s.timers) + "\n  decisions " +
         show(s.decisions) + "\n  last_seq " + std::to_string(s.last_seq);
}

// =============================================================================================
// Generic tests, once per record kind

struct insert_stores_version_one {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    for (const R& r : {sample<R>("K-sample"), full<R>("K-full")}) {
      auto v = store.insert(r);
      CRMRULES_REQUIRE_OK(v);
      CHECK(*v == 1U);
      auto got = store.get(r.id);
      CRMRULES_REQUIRE_OK(got);
      CHECK(got->version == 1U);
      CRMRULES_CHECK_SAME(*got, with_version(r, 1));
    }
    CRMRULES_CHECK_CODE(store.get(make_id<R>("K-missing")), not_found);
  }
};

struct insert_of_an_existing_id_is_already_exists {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    const R original = sample<R>("K-1");
    put(db, original);
    R other = full<R>("K-1");
    CRMRULES_CHECK_CODE(store.insert(other), already_exists);
    // Also when the stored record has moved past version 1.
    R current = fetch<R>(db, original.id);
    revise(current, 1);
    CRMRULES_REQUIRE_OK(store.update(current));
    CRMRULES_CHECK_CODE(store.insert(other), already_exists);
    CRMRULES_CHECK_SAME(fetch<R>(db, original.id), with_version(current, 2));
    CHECK(code_of(store.count()) == "ok");
    CHECK(store.count().value_or(0) == 1U);
  }
};

struct insert_with_a_nonzero_version_is_invalid_argument {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    for (std::uint64_t version :
         {std::uint64_t{1}, std::uint64_t{7}, std::numeric_limits<std::uint64_t>::max()}) {
      CAPTURE(version);
      CRMRULES_CHECK_CODE(store.insert(with_version(sample<R>("K-1"), version)), invalid_argument);
    }
    CRMRULES_CHECK_CODE(store.get(make_id<R>("K-1")), not_found);
    CHECK(store.count().value_or(99) == 0U);
  }
};

struct update_with_the_stored_version_increments_it {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    put(db, sample<R>("K-1"));
    R r = fetch<R>(db, make_id<R>("K-1"));
    for (std::uint64_t expected = 2; expected <= 4; ++expected) {
      revise(r, static_cast<std::int64_t>(expected));
      auto v = store.update(r);
      CRMRULES_REQUIRE_OK(v);
      CHECK(*v == expected);
      const R got = fetch<R>(db, r.id);
      CHECK(got.version == expected);
      CRMRULES_CHECK_SAME(got, with_version(r, expected));
      r = got;
    }
  }
};

struct update_with_a_stale_version_is_conflict_and_changes_nothing {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    put(db, sample<R>("K-1"));
    R v1 = fetch<R>(db, make_id<R>("K-1"));
    R v2 = v1;
    revise(v2, 2);
    CRMRULES_REQUIRE_OK(store.update(v2));
    const R stored = fetch<R>(db, v1.id);
    REQUIRE(stored.version == 2U);

    R stale = full<R>("K-1");  // different content, stale version
    stale.version = 1;
    CRMRULES_CHECK_CODE(store.update(stale), conflict);
    CRMRULES_CHECK_SAME(fetch<R>(db, v1.id), stored);

    R ahead = stale;  // a version the store never issued
    ahead.version = 3;
    CRMRULES_CHECK_CODE(store.update(ahead), conflict);
    CRMRULES_CHECK_SAME(fetch<R>(db, v1.id), stored);

    // The store still accepts the right version afterwards.
    R next = stored;
    revise(next, 3);
    auto v = store.update(next);
    CRMRULES_REQUIRE_OK(v);
    CHECK(*v == 3U);
  }
};

struct update_of_a_missing_id_is_not_found {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    CRMRULES_CHECK_CODE(store.update(with_version(sample<R>("K-missing"), 1)), not_found);
    CRMRULES_CHECK_CODE(store.get(make_id<R>("K-missing")), not_found);
    CHECK(store.count().value_or(99) == 0U);
    // A removed record is missing too.
    put(db, sample<R>("K-1"));
    CRMRULES_REQUIRE_OK(store.remove(make_id<R>("K-1"), 1));
    CRMRULES_CHECK_CODE(store.update(with_version(sample<R>("K-1"), 1)), not_found);
    CRMRULES_CHECK_CODE(store.get(make_id<R>("K-1")), not_found);
  }
};

struct update_replaces_the_whole_record {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    put(db, full<R>("K-1"));
    // The sample leaves optional fields, lists and custom attributes empty: they must be cleared,
    // not merged with what was stored.
    const R plain = with_version(sample<R>("K-1"), 1);
    CRMRULES_REQUIRE_OK(store.update(plain));
    CRMRULES_CHECK_SAME(fetch<R>(db, plain.id), with_version(plain, 2));
    // And back again.
    const R rich = with_version(full<R>("K-1"), 2);
    CRMRULES_REQUIRE_OK(store.update(rich));
    CRMRULES_CHECK_SAME(fetch<R>(db, plain.id), with_version(rich, 3));
  }
};

struct remove_with_the_stored_version_removes_the_record {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    put(db, sample<R>("K-1"));
    put(db, sample<R>("K-2"));
    R r = fetch<R>(db, make_id<R>("K-1"));
    revise(r, 2);
    CRMRULES_REQUIRE_OK(store.update(r));
    CRMRULES_CHECK_CODE(store.remove(r.id, 2), ok);
    CRMRULES_CHECK_CODE(store.get(r.id), not_found);
    CHECK(ids_of(store.list()) == id_list{"K-2"});
    CHECK(store.count().value_or(99) == 1U);
    // The id is free again and starts over at version 1.
    const R again = full<R>("K-1");
    auto v = store.insert(again);
    CRMRULES_REQUIRE_OK(v);
    CHECK(*v == 1U);
    CRMRULES_CHECK_SAME(fetch<R>(db, again.id), with_version(again, 1));
  }
};

struct remove_with_a_wrong_version_is_conflict_and_keeps_the_record {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    put(db, sample<R>("K-1"));
    R r = fetch<R>(db, make_id<R>("K-1"));
    revise(r, 2);
    CRMRULES_REQUIRE_OK(store.update(r));
    const R stored = fetch<R>(db, r.id);
    for (std::uint64_t wrong : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{3}}) {
      CAPTURE(wrong);
      CRMRULES_CHECK_CODE(store.remove(r.id, wrong), conflict);
      CRMRULES_CHECK_SAME(fetch<R>(db, r.id), stored);
    }
    CHECK(store.count().value_or(99) == 1U);
  }
};

struct remove_of_a_missing_id_is_not_found {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    CRMRULES_CHECK_CODE(store.remove(make_id<R>("K-missing"), 1), not_found);
    put(db, sample<R>("K-1"));
    CRMRULES_REQUIRE_OK(store.remove(make_id<R>("K-1"), 1));
    CRMRULES_CHECK_CODE(store.remove(make_id<R>("K-1"), 1), not_found);
    CHECK(store.count().value_or(99) == 0U);
  }
};

struct list_pages_in_id_byte_order {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    // Inserted scrambled; byte order differs from numeric, case-insensitive and locale order.
    const id_list inserted{"b", "中文", "a",  "Z", "10", "a_", "é", "A-1",
                           "9", "ab",   "~x", "0", "a0", "B",  "%", "'q"};
    const id_list expected{"%", "'q", "0",  "10", "9", "A-1", "B", "Z",
                           "a", "a0", "a_", "ab", "b", "~x",  "é", "中文"};
    for (const auto& id : inserted)
      put(db, sample<R>(id));

    auto all = store.list();
    CHECK(ids_of(all) == expected);
    if (all.ok()) {
      for (const R& r : *all) {
        CRMRULES_CHECK_SAME(r, with_version(sample<R>(r.id.str()), 1));
      }
    }

    for (std::size_t limit : {std::size_t{1}, std::size_t{3}, std::size_t{5}}) {
      CAPTURE(limit);
      id_list seen;
      id_type_of<R> after{};
      for (int pages = 0; pages < 100; ++pages) {
        auto page = store.list(after, limit);
        CRMRULES_REQUIRE_OK(page);
        if (page->empty()) break;
        CHECK(page->size() <= limit);
        // Every page but the last is full.
        if (seen.size() + page->size() < expected.size()) CHECK(page->size() == limit);
        for (const R& r : *page)
          seen.push_back(r.id.str());
        after = page->back().id;
      }
      CHECK(seen == expected);
    }

    // The cursor need not be a stored id.
    CHECK(ids_of(store.list(make_id<R>("a1"), 2)) == id_list{"a_", "ab"});
    CHECK(ids_of(store.list(make_id<R>("A"), 1)) == id_list{"A-1"});
    CHECK(ids_of(store.list(make_id<R>("中文"))).empty());
    CHECK(ids_of(store.list(make_id<R>("\xF4\x8F\xBF\xBF"))).empty());  // U+10FFFF sorts last
  }
};

struct list_with_limit_zero_is_invalid_argument {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    put(db, sample<R>("K-1"));
    CRMRULES_CHECK_CODE(store.list(id_type_of<R>{}, 0), invalid_argument);
    CRMRULES_CHECK_CODE(store.list(make_id<R>("K-0"), 0), invalid_argument);
    CHECK(ids_of(store.list(id_type_of<R>{}, 1)) == id_list{"K-1"});
  }
};

struct count_follows_inserts_and_removals {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    auto count = [&] { return store.count().value_or(999); };
    CRMRULES_CHECK_CODE(store.count(), ok);
    CHECK(count() == 0U);
    put(db, sample<R>("K-1"));
    put(db, sample<R>("K-2"));
    put(db, sample<R>("K-3"));
    CHECK(count() == 3U);
    CRMRULES_CHECK_CODE(store.insert(sample<R>("K-2")), already_exists);
    CHECK(count() == 3U);
    R r = fetch<R>(db, make_id<R>("K-2"));
    revise(r, 1);
    CRMRULES_REQUIRE_OK(store.update(r));
    CHECK(count() == 3U);
    CRMRULES_REQUIRE_OK(store.remove(make_id<R>("K-1"), 1));
    CHECK(count() == 2U);
    CRMRULES_CHECK_CODE(store.remove(make_id<R>("K-3"), 5), conflict);
    CHECK(count() == 2U);
  }
};

struct invalid_utf8_is_refused_and_nothing_is_stored {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    const auto corruptions = utf8_corruptions<R>();
    REQUIRE(corruptions.size() >= 4);
    const R stored_input = full<R>("K-stored");
    put(db, stored_input);
    const R stored = fetch<R>(db, stored_input.id);

    for (const auto& c : corruptions) {
      INFO("invalid UTF-8 in " << c.where);
      // insert
      R fresh = full<R>("K-new");
      c.apply(fresh);
      CRMRULES_CHECK_CODE(store.insert(fresh), invalid_argument);
      CRMRULES_CHECK_CODE(store.get(make_id<R>("K-new")), not_found);
      // update
      R changed = stored;
      c.apply(changed);
      CRMRULES_CHECK_CODE(store.update(changed), invalid_argument);
      CRMRULES_CHECK_SAME(fetch<R>(db, stored.id), stored);
      // batch insert and update
      write_batch insert_batch;
      insert_batch.insert(fresh);
      CRMRULES_CHECK_CODE(db.commit(insert_batch), invalid_argument);
      write_batch update_batch;
      update_batch.update(changed);
      CRMRULES_CHECK_CODE(db.commit(update_batch), invalid_argument);
      CRMRULES_CHECK_SAME(fetch<R>(db, stored.id), stored);
      CHECK(store.count().value_or(99) == 1U);
    }
    CHECK(ids_of(store.list()) == id_list{"K-stored"});
  }
};

struct empty_or_control_character_ids_are_invalid_argument {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    put(db, sample<R>("K-1"));
    for (std::string_view bad_id : {std::string_view{}, std::string_view("K\n2"),
                                    std::string_view("K\x7F"
                                                     "2"),
                                    std::string_view("K\0"
                                                     "2",
                                                     3)}) {
      INFO("id bytes: " << bad_id.size());
      CRMRULES_CHECK_CODE(store.insert(sample<R>(bad_id)), invalid_argument);
      CRMRULES_CHECK_CODE(store.update(with_version(sample<R>(bad_id), 1)), invalid_argument);
      write_batch batch;
      batch.insert(sample<R>(bad_id));
      CRMRULES_CHECK_CODE(db.commit(batch), invalid_argument);
    }
    CRMRULES_CHECK_CODE(store.get(id_type_of<R>{}), invalid_argument);
    CRMRULES_CHECK_CODE(store.remove(id_type_of<R>{}, 1), invalid_argument);
    write_batch remove_batch;
    remove_batch.remove<R>(id_type_of<R>{}, 1);
    CRMRULES_CHECK_CODE(db.commit(remove_batch), invalid_argument);
    CHECK(ids_of(store.list()) == id_list{"K-1"});
  }
};

struct round_trip_preserves_every_field {
  template <stored_record R>
  static void run(storage& db) {
    auto& store = store_of<R>(db);
    const R r = full<R>("K-全部字段");
    put(db, r);
    CRMRULES_CHECK_SAME(fetch<R>(db, r.id), with_version(r, 1));
    auto listed = store.list();
    CRMRULES_REQUIRE_OK(listed);
    REQUIRE(listed->size() == 1);
    CRMRULES_CHECK_SAME(listed->front(), with_version(r, 1));
    // Through update.
    R updated = with_version(r, 1);
    revise(updated, 2);
    CRMRULES_REQUIRE_OK(store.update(updated));
    CRMRULES_CHECK_SAME(fetch<R>(db, r.id), with_version(updated, 2));
    // Through a batch insert and a batch update.
    const R other = full<R>("K-批量");
    write_batch insert_batch;
    insert_batch.insert(other);
    CRMRULES_REQUIRE_OK(db.commit(insert_batch));
    CRMRULES_CHECK_SAME(fetch<R>(db, other.id), with_version(other, 1));
    R other2 = with_version(other, 1);
    revise(other2, 9);
    write_batch update_batch;
    update_batch.update(other2);
    CRMRULES_REQUIRE_OK(db.commit(update_batch));
    CRMRULES_CHECK_SAME(fetch<R>(db, other.id), with_version(other2, 2));
  }
};

struct round_trip_preserves_custom_attributes_of_every_value_type {
  template <stored_record R>
  static void run(storage& db) {
    R r = sample<R>("K-1");
    r.custom = every_value_type();
    put(db, r);
    const R got = fetch<R>(db, r.id);
    for (const auto& [name, want] : r.custom) {
      INFO("custom attribute " << name << " = " << want.to_string() << " ("
                               << to_string(want.type()) << ")");
      const value* have = got.custom.find(name);
      REQUIRE(have != nullptr);
      INFO("read back " << have->to_string() << " (" << to_string(have->type()) << ")");
      CHECK(have->type() == want.type());
      CHECK(*have == want);
    }
    CHECK(got.custom.size() == r.custom.size());
  }
};

struct round_trip_preserves_times_before_1970_and_microseconds {
  template <stored_record R>
  static void run(storage& db) {
    using namespace std::chrono;
    const timestamp moon = sys_days{year{1969} / July / 20} + hours{20} + minutes{17} +
                           seconds{40} + microseconds{123'456};
    const timestamp just_before_epoch = timestamp{} - microseconds{1};
    const timestamp early = sys_days{year{1900} / January / 1} + microseconds{999'999};
    R r = sample<R>("K-1");
    r.custom.set("moon", value(moon));
    r.custom.set("just_before_epoch", value(just_before_epoch));
    r.custom.set("early", value(early));
    r.custom.set("negative_duration", value(duration{-(hours{2} + microseconds{5})}));
    if constexpr (std::is_same_v<R, rep>) {
      r.hired_at = moon;
      r.leave = {period{just_before_epoch, timestamp{} + microseconds{1}}};
    } else if constexpr (std::is_same_v<R, event>) {
      r.at = moon;
    } else if constexpr (std::is_same_v<R, timer>) {
      r.due_at = just_before_epoch;
    } else if constexpr (std::is_same_v<R, promise>) {
      r.due = early;
    }
    put(db, r);
    CRMRULES_CHECK_SAME(fetch<R>(db, r.id), with_version(r, 1));
  }
};

// =============================================================================================
// Extreme values: validate() accepts them, so a store must either refuse them with
// invalid_argument or give them back unchanged (and keep the rest of its table readable).

struct extreme_case {
  std::string name;
  std::function<void(lead&)> apply;
};

// Encoding timestamp::min() is undefined behaviour in the library (signed overflow in
// format_timestamp), which aborts a sanitizer build outright and would hide every other result
// of the program; that one case runs only in ordinary builds.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
inline constexpr bool sanitized_build = true;
#else
inline constexpr bool sanitized_build = false;
#endif
#else
inline constexpr bool sanitized_build = false;
#endif

inline std::vector<extreme_case> extreme_lead_values() {
  using namespace std::chrono;
  using dbl = std::numeric_limits<double>;
  constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
  constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();
  const timestamp year_10000{sys_days{year{10000} / January / 1}};
  const timestamp year_0{sys_days{year{0} / December / 31}};
  const timestamp first_day{sys_days{year{1} / January / 1}};
  const timestamp last_micro{sys_days{year{9999} / December / 31} + hours{23} + minutes{59} +
                             seconds{59} + microseconds{999'999}};
  std::vector<extreme_case> cases{
      {"company_name with a NUL byte",
       [](lead& l) { l.company_name = std::string("before\0after", 12); }},
      {"custom text with a NUL byte",
       [](lead& l) { l.custom.set("s", value(std::string("before\0after", 12))); }},
      {"custom decimal +infinity", [](lead& l) { l.custom.set("x", value(dbl::infinity())); }},
      {"custom decimal -infinity", [](lead& l) { l.custom.set("x", value(-dbl::infinity())); }},
      {"custom decimal NaN", [](lead& l) { l.custom.set("x", value(dbl::quiet_NaN())); }},
      {"custom decimal max", [](lead& l) { l.custom.set("x", value(dbl::max())); }},
      {"custom decimal denorm_min", [](lead& l) { l.custom.set("x", value(dbl::denorm_min())); }},
      {"created_at = timestamp::max()", [](lead& l) { l.created_at = timestamp::max(); }},
      {"assigned_at in year 10000", [year_10000](lead& l) { l.assigned_at = year_10000; }},
      {"first_touch_at in year 0", [year_0](lead& l) { l.first_touch_at = year_0; }},
      {"assigned_at on 0001-01-01", [first_day](lead& l) { l.assigned_at = first_day; }},
      {"assigned_at at 9999-12-31T23:59:59.999999Z",
       [last_micro](lead& l) { l.assigned_at = last_micro; }},
      {"custom time = timestamp::max()",
       [](lead& l) { l.custom.set("t", value(timestamp::max())); }},
      {"custom duration = duration::max()",
       [](lead& l) { l.custom.set("d", value(duration::max())); }},
      {"custom duration = duration::min()",
       [](lead& l) { l.custom.set("d", value(duration::min())); }},
      {"budget = largest money", [=](lead& l) { l.budget = money::from_minor(i64_max); }},
      {"budget = smallest money", [=](lead& l) { l.budget = money::from_minor(i64_min); }},
      {"custom money = smallest money",
       [=](lead& l) { l.custom.set("m", value(money::from_minor(i64_min))); }},
  };
  if (!sanitized_build) {
    cases.push_back(
        {"created_at = timestamp::min()", [](lead& l) { l.created_at = timestamp::min(); }});
  }
  return cases;
}

/// `l` with NaN decimals replaced by a marker, so that equality treats NaN as equal to NaN.
inline lead with_nan_marked(lead l) {
  attributes marked;
  for (const auto& [name, v] : l.custom) {
    const double* d = v.get_if<double>();
    marked.set(name, d != nullptr && std::isnan(*d) ? value("<NaN>") : v);
  }
  l.custom = std::move(marked);
  return l;
}

inline void records_with_extreme_values_are_refused_or_read_back_unchanged(storage& db) {
  for (const auto& c : extreme_lead_values()) {
    DYNAMIC_SECTION(c.name) {
      put(db, sample_lead("L-0-normal"));
      lead l = sample_lead("L-1-extreme");
      c.apply(l);
      auto inserted = db.leads().insert(l);
      INFO("insert -> " << describe(inserted));
      if (!inserted.ok()) {
        CHECK(code_of(inserted) == "invalid_argument");
        CHECK(ids_of(db.leads().list()) == id_list{"L-0-normal"});
      } else {
        auto got = db.leads().get(l.id);
        INFO("get -> " << describe(got));
        CHECK(got.ok());
        if (got.ok()) {
          CRMRULES_CHECK_SAME(with_nan_marked(*got), with_nan_marked(with_version(l, 1)));
        }
        // One odd record must not make the rest of the table unreadable.
        CHECK(ids_of(db.leads().list()) == id_list{"L-0-normal", "L-1-extreme"});
        CHECK(ids_of(db.leads().list_unassigned()) == id_list{"L-0-normal", "L-1-extreme"});
      }
    }
  }
}

// =============================================================================================
// Leads

inline lead lead_with(std::string_view id, std::optional<std::string_view> owner, lead_status st) {
  lead r = sample_lead(id);
  if (owner) r.owner = rep_id(*owner);
  r.status = st;
  return r;
}

inline void leads_list_by_owner_returns_the_owners_leads_in_id_order(storage& db) {
  auto& leads = db.leads();
  put(db, lead_with("L07", "R1", lead_status::touched));
  put(db, lead_with("L02", "R2", lead_status::assigned));
  put(db, lead_with("L03", "R1", lead_status::assigned));
  put(db, lead_with("L05", std::nullopt, lead_status::unassigned));
  put(db, lead_with("L06", "R10", lead_status::assigned));  // "R1" is a prefix of "R10"
  put(db, lead_with("L01", "R1", lead_status::converted));
  put(db, lead_with("L04", "R1", lead_status::to_reassign));

  auto mine = leads.list_by_owner(rep_id("R1"));
  CHECK(ids_of(mine) == id_list{"L01", "L03", "L04", "L07"});
  if (mine.ok() && !mine->empty()) {
    CRMRULES_CHECK_SAME(mine->front(),
                        with_version(lead_with("L01", "R1", lead_status::converted), 1));
  }
  CHECK(ids_of(leads.list_by_owner(rep_id("R2"))) == id_list{"L02"});
  CHECK(ids_of(leads.list_by_owner(rep_id("R10"))) == id_list{"L06"});
  CHECK(ids_of(leads.list_by_owner(rep_id("R9"))).empty());

  // Paging.
  CHECK(ids_of(leads.list_by_owner(rep_id("R1"), lead_id{}, 2)) == id_list{"L01", "L03"});
  CHECK(ids_of(leads.list_by_owner(rep_id("R1"), lead_id("L03"), 2)) == id_list{"L04", "L07"});
  CHECK(ids_of(leads.list_by_owner(rep_id("R1"), lead_id("L07"), 2)).empty());
  CHECK(ids_of(leads.list_by_owner(rep_id("R1"), lead_id("L02"), 10)) ==
        id_list{"L03", "L04", "L07"});

  CRMRULES_CHECK_CODE(leads.list_by_owner(rep_id{}), invalid_argument);
  CRMRULES_CHECK_CODE(leads.list_by_owner(rep_id("R1"), lead_id{}, 0), invalid_argument);
}

inline void leads_list_unassigned_returns_only_unassigned_and_to_reassign(storage& db) {
  auto& leads = db.leads();
  put(db, lead_with("L6", "R1", lead_status::disqualified));
  put(db, lead_with("L5", "R1", lead_status::converted));
  put(db, lead_with("L4", std::nullopt, lead_status::to_reassign));
  put(db, lead_with("L3", "R1", lead_status::touched));
  put(db, lead_with("L2", "R1", lead_status::assigned));
  put(db, lead_with("L1", std::nullopt, lead_status::unassigned));
  put(db, lead_with("L0", "R2", lead_status::to_reassign));  // released but owner kept
  put(db, lead_with("L7", std::nullopt, lead_status::unassigned));

  auto waiting = leads.list_unassigned();
  CHECK(ids_of(waiting) == id_list{"L0", "L1", "L4", "L7"});
  if (waiting.ok() && waiting->size() == 4) {
    CRMRULES_CHECK_SAME((*waiting)[0],
                        with_version(lead_with("L0", "R2", lead_status::to_reassign), 1));
    CRMRULES_CHECK_SAME((*waiting)[2],
                        with_version(lead_with("L4", std::nullopt, lead_status::to_reassign), 1));
  }
  CHECK(ids_of(leads.list_unassigned(lead_id{}, 1)) == id_list{"L0"});
  CHECK(ids_of(leads.list_unassigned(lead_id("L0"), 2)) == id_list{"L1", "L4"});
  CHECK(ids_of(leads.list_unassigned(lead_id("L4"), 2)) == id_list{"L7"});
  CHECK(ids_of(leads.list_unassigned(lead_id("L7"), 2)).empty());
  CRMRULES_CHECK_CODE(leads.list_unassigned(lead_id{}, 0), invalid_argument);
}

inline void leads_queries_follow_updates_and_removals(storage& db) {
  auto& leads = db.leads();
  put(db, lead_with("L1", std::nullopt, lead_status::unassigned));
  put(db, lead_with("L2", std::nullopt, lead_status::unassigned));
  CHECK(ids_of(leads.list_unassigned()) == id_list{"L1", "L2"});

  // Assigned to R1 directly.
  lead l1 = fetch<lead>(db, lead_id("L1"));
  l1.owner = rep_id("R1");
  l1.status = lead_status::assigned;
  CRMRULES_REQUIRE_OK(leads.update(l1));
  CHECK(ids_of(leads.list_unassigned()) == id_list{"L2"});
  CHECK(ids_of(leads.list_by_owner(rep_id("R1"))) == id_list{"L1"});

  // A stale update changes no index.
  lead stale = l1;
  stale.owner = rep_id("R9");
  stale.status = lead_status::unassigned;
  CRMRULES_CHECK_CODE(leads.update(stale), conflict);
  CHECK(ids_of(leads.list_by_owner(rep_id("R9"))).empty());
  CHECK(ids_of(leads.list_unassigned()) == id_list{"L2"});

  // Reclaimed and handed to R2 through a batch.
  lead l1b = fetch<lead>(db, lead_id("L1"));
  l1b.owner = rep_id("R2");
  l1b.status = lead_status::to_reassign;
  lead l2 = fetch<lead>(db, lead_id("L2"));
  l2.owner = rep_id("R1");
  l2.status = lead_status::assigned;
  write_batch batch;
  batch.update(l1b).update(l2);
  CRMRULES_REQUIRE_OK(db.commit(batch));
  CHECK(ids_of(leads.list_by_owner(rep_id("R1"))) == id_list{"L2"});
  CHECK(ids_of(leads.list_by_owner(rep_id("R2"))) == id_list{"L1"});
  CHECK(ids_of(leads.list_unassigned()) == id_list{"L1"});

  // Owner cleared.
  lead l2b = fetch<lead>(db, lead_id("L2"));
  l2b.owner.reset();
  l2b.status = lead_status::disqualified;
  CRMRULES_REQUIRE_OK(leads.update(l2b));
  CHECK(ids_of(leads.list_by_owner(rep_id("R1"))).empty());

  // Removed.
  CRMRULES_REQUIRE_OK(leads.remove(lead_id("L1"), 3));
  CHECK(ids_of(leads.list_by_owner(rep_id("R2"))).empty());
  CHECK(ids_of(leads.list_unassigned()).empty());
}

// =============================================================================================
// Customers

inline customer customer_with(std::string_view id, std::string uscc,
                              std::vector<std::string> phones, std::vector<std::string> emails) {
  customer c = sample_customer(id);
  c.uscc = std::move(uscc);
  c.phones = std::move(phones);
  c.emails = std::move(emails);
  return c;
}

inline void customers_find_by_key_matches_uscc_every_phone_and_every_email(storage& db) {
  auto& customers = db.customers();
  const customer c2 = customer_with("C2", "91330106MA2H3XYZ8K",
                                    {"+8613800000001", "+8613800000002", "+8613800000003"},
                                    {"a@example.cn", "采购@例子.中国"});
  const customer c1 = customer_with("C1", "", {"+8613800000002"}, {"c@example.cn"});
  const customer c3 = customer_with("C3", "91110000100000000X", {}, {});
  const customer c4 = customer_with("C4", "", {"+8613800000009", "+8613800000009"}, {});
  put(db, c2);
  put(db, c1);
  put(db, c3);
  put(db, c4);
  using k = customer_key;

  auto by_uscc = customers.find_by_key(k::uscc, "91330106MA2H3XYZ8K");
  CHECK(ids_of(by_uscc) == id_list{"C2"});
  if (by_uscc.ok() && by_uscc->size() == 1)
    CRMRULES_CHECK_SAME(by_uscc->front(), with_version(c2, 1));
  CHECK(ids_of(customers.find_by_key(k::uscc, "91110000100000000X")) == id_list{"C3"});
  CHECK(ids_of(customers.find_by_key(k::phone, "+8613800000001")) == id_list{"C2"});
  CHECK(ids_of(customers.find_by_key(k::phone, "+8613800000002")) == id_list{"C1", "C2"});
  CHECK(ids_of(customers.find_by_key(k::phone, "+8613800000003")) == id_list{"C2"});
  CHECK(ids_of(customers.find_by_key(k::phone, "+8613800000009")) == id_list{"C4"});  // once
  CHECK(ids_of(customers.find_by_key(k::email, "a@example.cn")) == id_list{"C2"});
  CHECK(ids_of(customers.find_by_key(k::email, "采购@例子.中国")) == id_list{"C2"});
  CHECK(ids_of(customers.find_by_key(k::email, "c@example.cn")) == id_list{"C1"});

  // Exact match only, and only within the key's kind.
  CHECK(ids_of(customers.find_by_key(k::phone, "91330106MA2H3XYZ8K")).empty());
  CHECK(ids_of(customers.find_by_key(k::email, "+8613800000001")).empty());
  CHECK(ids_of(customers.find_by_key(k::uscc, "a@example.cn")).empty());
  CHECK(ids_of(customers.find_by_key(k::phone, "+86138")).empty());
  CHECK(ids_of(customers.find_by_key(k::phone, "8613800000001")).empty());
  CHECK(ids_of(customers.find_by_key(k::email, "A@EXAMPLE.CN")).empty());
  CHECK(ids_of(customers.find_by_key(k::uscc, "91330106ma2h3xyz8k")).empty());
  CHECK(ids_of(customers.find_by_key(k::phone, "+8613800000004")).empty());

  CRMRULES_CHECK_CODE(customers.find_by_key(k::phone, ""), invalid_argument);
  CRMRULES_CHECK_CODE(customers.find_by_key(k::uscc, ""), invalid_argument);
}

inline void customers_find_by_key_follows_updates_and_removals(storage& db) {
  auto& customers = db.customers();
  using k = customer_key;
  put(db, customer_with("C1", "USCC-OLD", {"P1", "P2"}, {"old@example.cn"}));
  put(db, customer_with("C2", "", {"P2"}, {}));
  CHECK(ids_of(customers.find_by_key(k::phone, "P2")) == id_list{"C1", "C2"});

  // Update: one phone dropped, one kept, one added; uscc and email replaced.
  customer c1 = fetch<customer>(db, customer_id("C1"));
  c1.uscc = "USCC-NEW";
  c1.phones = {"P2", "P3"};
  c1.emails = {"new@example.cn"};
  CRMRULES_REQUIRE_OK(customers.update(c1));
  CHECK(ids_of(customers.find_by_key(k::phone, "P1")).empty());
  CHECK(ids_of(customers.find_by_key(k::phone, "P2")) == id_list{"C1", "C2"});
  CHECK(ids_of(customers.find_by_key(k::phone, "P3")) == id_list{"C1"});
  CHECK(ids_of(customers.find_by_key(k::uscc, "USCC-OLD")).empty());
  CHECK(ids_of(customers.find_by_key(k::uscc, "USCC-NEW")) == id_list{"C1"});
  CHECK(ids_of(customers.find_by_key(k::email, "old@example.cn")).empty());
  CHECK(ids_of(customers.find_by_key(k::email, "new@example.cn")) == id_list{"C1"});

  // A stale update leaves the keys alone.
  customer stale = c1;  // still version 1
  stale.phones = {"P9"};
  CRMRULES_CHECK_CODE(customers.update(stale), conflict);
  CHECK(ids_of(customers.find_by_key(k::phone, "P9")).empty());
  CHECK(ids_of(customers.find_by_key(k::phone, "P3")) == id_list{"C1"});

  // Keys cleared.
  customer c2 = fetch<customer>(db, customer_id("C2"));
  c2.phones.clear();
  CRMRULES_REQUIRE_OK(customers.update(c2));
  CHECK(ids_of(customers.find_by_key(k::phone, "P2")) == id_list{"C1"});

  // Keys moved through a batch.
  customer c1b = fetch<customer>(db, customer_id("C1"));
  customer c2b = fetch<customer>(db, customer_id("C2"));
  c1b.phones = {"P3"};
  c2b.phones = {"P2"};
  write_batch batch;
  batch.update(c1b).update(c2b);
  CRMRULES_REQUIRE_OK(db.commit(batch));
  CHECK(ids_of(customers.find_by_key(k::phone, "P2")) == id_list{"C2"});
  CHECK(ids_of(customers.find_by_key(k::phone, "P3")) == id_list{"C1"});

  // Removed: no key finds it any more.
  CRMRULES_REQUIRE_OK(customers.remove(customer_id("C1"), 3));
  CHECK(ids_of(customers.find_by_key(k::phone, "P3")).empty());
  CHECK(ids_of(customers.find_by_key(k::uscc, "USCC-NEW")).empty());
  CHECK(ids_of(customers.find_by_key(k::email, "new@example.cn")).empty());

  // Removed through a batch.
  write_batch removal;
  removal.remove<customer>(customer_id("C2"), 3);
  CRMRULES_REQUIRE_OK(db.commit(removal));
  CHECK(ids_of(customers.find_by_key(k::phone, "P2")).empty());

  // The id reused with other keys finds only the new keys.
  put(db, customer_with("C1", "USCC-THIRD", {"P7"}, {}));
  CHECK(ids_of(customers.find_by_key(k::phone, "P3")).empty());
  CHECK(ids_of(customers.find_by_key(k::phone, "P7")) == id_list{"C1"});
  CHECK(ids_of(customers.find_by_key(k::uscc, "USCC-NEW")).empty());
}

// =============================================================================================
// Contacts, opportunities, reps

inline contact contact_of(std::string_view id, std::optional<std::string_view> cust) {
  contact r = sample_contact(id);
  if (cust) r.customer = customer_id(*cust);
  return r;
}

inline void contacts_list_by_customer_returns_contacts_in_id_order(storage& db) {
  auto& contacts = db.contacts();
  put(db, contact_of("K3", "C1"));
  put(db, contact_of("K1", "C1"));
  put(db, contact_of("K2", "C2"));
  put(db, contact_of("K4", std::nullopt));
  put(db, contact_of("K5", "C10"));

  auto of_c1 = contacts.list_by_customer(customer_id("C1"));
  CHECK(ids_of(of_c1) == id_list{"K1", "K3"});
  if (of_c1.ok() && !of_c1->empty()) {
    CRMRULES_CHECK_SAME(of_c1->front(), with_version(contact_of("K1", "C1"), 1));
  }
  CHECK(ids_of(contacts.list_by_customer(customer_id("C2"))) == id_list{"K2"});
  CHECK(ids_of(contacts.list_by_customer(customer_id("C10"))) == id_list{"K5"});
  CHECK(ids_of(contacts.list_by_customer(customer_id("C9"))).empty());

  contact k2 = fetch<contact>(db, contact_id("K2"));
  k2.customer = customer_id("C1");
  CRMRULES_REQUIRE_OK(contacts.update(k2));
  CHECK(ids_of(contacts.list_by_customer(customer_id("C1"))) == id_list{"K1", "K2", "K3"});
  CHECK(ids_of(contacts.list_by_customer(customer_id("C2"))).empty());

  contact k3 = fetch<contact>(db, contact_id("K3"));
  k3.customer.reset();
  CRMRULES_REQUIRE_OK(contacts.update(k3));
  CRMRULES_REQUIRE_OK(contacts.remove(contact_id("K1"), 1));
  CHECK(ids_of(contacts.list_by_customer(customer_id("C1"))) == id_list{"K2"});

  CRMRULES_CHECK_CODE(contacts.list_by_customer(customer_id{}), invalid_argument);
}

inline opportunity opportunity_of(std::string_view id, std::optional<std::string_view> cust,
                                  std::string stage) {
  opportunity r = sample_opportunity(id);
  if (cust) r.customer = customer_id(*cust);
  r.stage = std::move(stage);
  return r;
}

inline void opportunities_list_by_customer_returns_them_in_id_order(storage& db) {
  auto& opps = db.opportunities();
  put(db, opportunity_of("O3", "C1", "需求确认"));
  put(db, opportunity_of("O1", "C1", "赢单"));
  put(db, opportunity_of("O2", "C2", "需求确认"));
  put(db, opportunity_of("O4", std::nullopt, "需求确认"));
  put(db, opportunity_of("O5", "C10", "需求确认"));

  auto of_c1 = opps.list_by_customer(customer_id("C1"));
  CHECK(ids_of(of_c1) == id_list{"O1", "O3"});
  if (of_c1.ok() && !of_c1->empty()) {
    CRMRULES_CHECK_SAME(of_c1->front(), with_version(opportunity_of("O1", "C1", "赢单"), 1));
  }
  CHECK(ids_of(opps.list_by_customer(customer_id("C2"))) == id_list{"O2"});
  CHECK(ids_of(opps.list_by_customer(customer_id("C9"))).empty());

  opportunity o2 = fetch<opportunity>(db, opportunity_id("O2"));
  o2.customer = customer_id("C1");
  CRMRULES_REQUIRE_OK(opps.update(o2));
  CRMRULES_REQUIRE_OK(opps.remove(opportunity_id("O3"), 1));
  CHECK(ids_of(opps.list_by_customer(customer_id("C1"))) == id_list{"O1", "O2"});
  CHECK(ids_of(opps.list_by_customer(customer_id("C2"))).empty());

  CRMRULES_CHECK_CODE(opps.list_by_customer(customer_id{}), invalid_argument);
}

inline void opportunities_list_by_stage_pages_in_id_order(storage& db) {
  auto& opps = db.opportunities();
  const std::string qualify = "需求确认";
  const std::string quote = "方案报价";
  put(db, opportunity_of("O5", "C1", qualify));
  put(db, opportunity_of("O2", "C1", quote));
  put(db, opportunity_of("O1", "C2", qualify));
  put(db, opportunity_of("O4", std::nullopt, qualify));
  put(db, opportunity_of("O3", "C3", quote));
  put(db, opportunity_of("O6", "C3", "需求确认2"));  // the stage name is a prefix of this one

  CHECK(ids_of(opps.list_by_stage(qualify)) == id_list{"O1", "O4", "O5"});
  CHECK(ids_of(opps.list_by_stage(quote)) == id_list{"O2", "O3"});
  CHECK(ids_of(opps.list_by_stage("赢单")).empty());
  CHECK(ids_of(opps.list_by_stage(qualify, opportunity_id{}, 2)) == id_list{"O1", "O4"});
  CHECK(ids_of(opps.list_by_stage(qualify, opportunity_id("O4"), 2)) == id_list{"O5"});
  CHECK(ids_of(opps.list_by_stage(qualify, opportunity_id("O5"), 2)).empty());
  CHECK(ids_of(opps.list_by_stage(qualify, opportunity_id("O2"), 1)) == id_list{"O4"});

  // Moving a stage moves it between lists.
  opportunity o4 = fetch<opportunity>(db, opportunity_id("O4"));
  o4.stage = quote;
  write_batch batch;
  batch.update(o4);
  CRMRULES_REQUIRE_OK(db.commit(batch));
  CHECK(ids_of(opps.list_by_stage(qualify)) == id_list{"O1", "O5"});
  CHECK(ids_of(opps.list_by_stage(quote)) == id_list{"O2", "O3", "O4"});
  CRMRULES_REQUIRE_OK(opps.remove(opportunity_id("O2"), 1));
  CHECK(ids_of(opps.list_by_stage(quote)) == id_list{"O3", "O4"});

  CRMRULES_CHECK_CODE(opps.list_by_stage(""), invalid_argument);
  CRMRULES_CHECK_CODE(opps.list_by_stage(qualify, opportunity_id{}, 0), invalid_argument);
}

inline void reps_list_by_team_returns_members_in_id_order(storage& db) {
  auto& reps = db.reps();
  auto member = [](std::string_view id, std::optional<std::string_view> t) {
    rep r = sample_rep(id);
    if (t) r.team = team_id(*t);
    return r;
  };
  put(db, member("R3", "T1"));
  put(db, member("R1", "T1"));
  put(db, member("R2", "T2"));
  put(db, member("R4", std::nullopt));
  put(db, member("R5", "T10"));

  auto t1 = reps.list_by_team(team_id("T1"));
  CHECK(ids_of(t1) == id_list{"R1", "R3"});
  if (t1.ok() && !t1->empty())
    CRMRULES_CHECK_SAME(t1->front(), with_version(member("R1", "T1"), 1));
  CHECK(ids_of(reps.list_by_team(team_id("T2"))) == id_list{"R2"});
  CHECK(ids_of(reps.list_by_team(team_id("T10"))) == id_list{"R5"});
  CHECK(ids_of(reps.list_by_team(team_id("T9"))).empty());

  rep r2 = fetch<rep>(db, rep_id("R2"));
  r2.team = team_id("T1");
  CRMRULES_REQUIRE_OK(reps.update(r2));
  rep r3 = fetch<rep>(db, rep_id("R3"));
  r3.team.reset();
  CRMRULES_REQUIRE_OK(reps.update(r3));
  CHECK(ids_of(reps.list_by_team(team_id("T1"))) == id_list{"R1", "R2"});
  CHECK(ids_of(reps.list_by_team(team_id("T2"))).empty());
  CRMRULES_REQUIRE_OK(reps.remove(rep_id("R1"), 1));
  CHECK(ids_of(reps.list_by_team(team_id("T1"))) == id_list{"R2"});

  CRMRULES_CHECK_CODE(reps.list_by_team(team_id{}), invalid_argument);
}

// =============================================================================================
// Events

inline event event_at(std::string_view id, std::int64_t minute,
                      std::optional<std::string_view> cust, std::optional<std::string_view> ld) {
  event e = sample_event(id);
  e.at = at_minute(minute);
  if (cust) e.customer = customer_id(*cust);
  if (ld) e.lead = lead_id(*ld);
  return e;
}

inline void events_list_by_customer_returns_from_to_ordered_by_at_then_id(storage& db) {
  auto& events = db.events();
  // Ids deliberately out of time order; E2 and E5 share a time.
  put(db, event_at("E5", 10, "C1", std::nullopt));
  put(db, event_at("E2", 10, "C1", "L1"));
  put(db, event_at("E9", 0, "C1", std::nullopt));    // == from: included
  put(db, event_at("E1", 20, "C1", std::nullopt));   // == to: excluded
  put(db, event_at("E3", -1, "C1", std::nullopt));   // before from
  put(db, event_at("E4", 5, "C2", std::nullopt));    // other customer
  put(db, event_at("E7", 5, std::nullopt, "L1"));    // no customer
  put(db, event_at("E8", 19, "C10", std::nullopt));  // "C1" is a prefix of "C10"

  const customer_id c1("C1");
  auto window = events.list_by_customer(c1, at_minute(0), at_minute(20));
  CHECK(ids_of(window) == id_list{"E9", "E2", "E5"});
  if (window.ok() && window->size() == 3) {
    CRMRULES_CHECK_SAME((*window)[1], with_version(event_at("E2", 10, "C1", "L1"), 1));
  }
  CHECK(ids_of(events.list_by_customer(c1, at_minute(-100), at_minute(100))) ==
        id_list{"E3", "E9", "E2", "E5", "E1"});
  // Microsecond bounds.
  using std::chrono::microseconds;
  CHECK(ids_of(events.list_by_customer(c1, at_minute(10), at_minute(10) + microseconds{1})) ==
        id_list{"E2", "E5"});
  CHECK(
      ids_of(events.list_by_customer(c1, at_minute(10) + microseconds{1}, at_minute(20))).empty());
  CHECK(ids_of(events.list_by_customer(c1, at_minute(0), at_minute(10))) == id_list{"E9"});
  // Empty and inverted windows.
  CHECK(ids_of(events.list_by_customer(c1, at_minute(10), at_minute(10))).empty());
  CHECK(ids_of(events.list_by_customer(c1, at_minute(20), at_minute(0))).empty());
  CHECK(ids_of(events.list_by_customer(customer_id("C2"), at_minute(0), at_minute(20))) ==
        id_list{"E4"});
  CHECK(
      ids_of(events.list_by_customer(customer_id("C9"), at_minute(-100), at_minute(100))).empty());

  // A correction of the time moves the event.
  event e9 = fetch<event>(db, event_id("E9"));
  e9.at = at_minute(15);
  CRMRULES_REQUIRE_OK(events.update(e9));
  CHECK(ids_of(events.list_by_customer(c1, at_minute(0), at_minute(20))) ==
        id_list{"E2", "E5", "E9"});
  event e5 = fetch<event>(db, event_id("E5"));
  e5.customer = customer_id("C2");
  CRMRULES_REQUIRE_OK(events.update(e5));
  CRMRULES_REQUIRE_OK(events.remove(event_id("E2"), 1));
  CHECK(ids_of(events.list_by_customer(c1, at_minute(0), at_minute(20))) == id_list{"E9"});
  CHECK(ids_of(events.list_by_customer(customer_id("C2"), at_minute(0), at_minute(20))) ==
        id_list{"E4", "E5"});

  CRMRULES_CHECK_CODE(events.list_by_customer(customer_id{}, at_minute(0), at_minute(1)),
                      invalid_argument);
}

inline void events_list_by_lead_returns_from_to_ordered_by_at_then_id(storage& db) {
  auto& events = db.events();
  put(db, event_at("E6", 30, std::nullopt, "L1"));
  put(db, event_at("E4", 30, "C1", "L1"));
  put(db, event_at("E8", 5, std::nullopt, "L1"));
  put(db, event_at("E1", 60, std::nullopt, "L1"));  // == to
  put(db, event_at("E2", 4, std::nullopt, "L1"));   // before from
  put(db, event_at("E3", 10, "C1", std::nullopt));  // no lead
  put(db, event_at("E5", 10, std::nullopt, "L2"));
  put(db, event_at("E7", 10, std::nullopt, "L10"));

  const lead_id l1("L1");
  CHECK(ids_of(events.list_by_lead(l1, at_minute(5), at_minute(60))) == id_list{"E8", "E4", "E6"});
  CHECK(ids_of(events.list_by_lead(l1, at_minute(0), at_minute(61))) ==
        id_list{"E2", "E8", "E4", "E6", "E1"});
  CHECK(ids_of(events.list_by_lead(l1, at_minute(30), at_minute(30))).empty());
  CHECK(ids_of(events.list_by_lead(l1, at_minute(60), at_minute(5))).empty());
  CHECK(ids_of(events.list_by_lead(lead_id("L2"), at_minute(0), at_minute(60))) == id_list{"E5"});
  CHECK(ids_of(events.list_by_lead(lead_id("L9"), at_minute(0), at_minute(60))).empty());

  event e8 = fetch<event>(db, event_id("E8"));
  e8.lead.reset();
  CRMRULES_REQUIRE_OK(events.update(e8));
  CHECK(ids_of(events.list_by_lead(l1, at_minute(5), at_minute(60))) == id_list{"E4", "E6"});

  CRMRULES_CHECK_CODE(events.list_by_lead(lead_id{}, at_minute(0), at_minute(1)), invalid_argument);
}

// =============================================================================================
// Promises and timers

inline promise promise_due(std::string_view id, std::int64_t minute, promise_state st) {
  promise p = sample_promise(id);
  p.due = at_minute(minute);
  p.state = st;
  return p;
}

inline void promises_list_open_due_before_returns_open_ones_by_due_then_id(storage& db) {
  auto& promises = db.promises();
  put(db, promise_due("P1", 2, promise_state::open));
  put(db, promise_due("P3", 1, promise_state::open));
  put(db, promise_due("P2", 1, promise_state::open));  // ties with P3
  put(db, promise_due("P4", 0, promise_state::delivered));
  put(db, promise_due("P5", 0, promise_state::accepted));
  put(db, promise_due("P6", 0, promise_state::broken));
  put(db, promise_due("P7", 0, promise_state::cancelled));
  put(db, promise_due("P8", 3, promise_state::open));  // due exactly at the cutoff
  put(db, promise_due("P9", 50, promise_state::open));
  put(db, promise_due("P0", -5, promise_state::open));

  auto due = promises.list_open_due_before(at_minute(3));
  CHECK(ids_of(due) == id_list{"P0", "P2", "P3", "P1"});
  if (due.ok() && due->size() == 4) {
    CRMRULES_CHECK_SAME((*due)[1], with_version(promise_due("P2", 1, promise_state::open), 1));
  }
  CHECK(ids_of(promises.list_open_due_before(at_minute(3), 2)) == id_list{"P0", "P2"});
  CHECK(ids_of(promises.list_open_due_before(at_minute(3) + std::chrono::microseconds{1})) ==
        id_list{"P0", "P2", "P3", "P1", "P8"});
  CHECK(ids_of(promises.list_open_due_before(at_minute(-5))).empty());
  CHECK(ids_of(promises.list_open_due_before(at_minute(1000), 100)) ==
        id_list{"P0", "P2", "P3", "P1", "P8", "P9"});

  // Delivering one takes it off the list; reopening puts it back.
  promise p2 = fetch<promise>(db, promise_id("P2"));
  p2.state = promise_state::delivered;
  CRMRULES_REQUIRE_OK(promises.update(p2));
  promise p4 = fetch<promise>(db, promise_id("P4"));
  p4.state = promise_state::open;
  CRMRULES_REQUIRE_OK(promises.update(p4));
  CHECK(ids_of(promises.list_open_due_before(at_minute(3))) == id_list{"P0", "P4", "P3", "P1"});
  promise p1 = fetch<promise>(db, promise_id("P1"));
  p1.due = at_minute(-10);
  CRMRULES_REQUIRE_OK(promises.update(p1));
  CRMRULES_REQUIRE_OK(promises.remove(promise_id("P3"), 1));
  CHECK(ids_of(promises.list_open_due_before(at_minute(3))) == id_list{"P1", "P0", "P4"});

  CRMRULES_CHECK_CODE(promises.list_open_due_before(at_minute(3), 0), invalid_argument);
}

inline timer timer_due(std::string_view id, std::int64_t minute, timer_state st,
                       record_ref subject = record_ref{record_kind::lead, "L1"}) {
  timer t = sample_timer(id);
  t.due_at = at_minute(minute);
  t.state = st;
  t.subject = std::move(subject);
  return t;
}

inline void timers_list_due_returns_pending_ones_due_at_or_before_t(storage& db) {
  auto& timers = db.timers();
  put(db, timer_due("T1", 2, timer_state::pending));
  put(db, timer_due("T3", 1, timer_state::pending));
  put(db, timer_due("T2", 1, timer_state::pending));  // ties with T3
  put(db, timer_due("T4", 0, timer_state::paused));
  put(db, timer_due("T5", 0, timer_state::fired));
  put(db, timer_due("T6", 0, timer_state::cancelled));
  put(db, timer_due("T7", 3, timer_state::pending));  // due exactly at t: included
  put(db, timer_due("T8", 4, timer_state::pending));
  put(db, timer_due("T0", -60, timer_state::pending));

  auto due = timers.list_due(at_minute(3));
  CHECK(ids_of(due) == id_list{"T0", "T2", "T3", "T1", "T7"});
  if (due.ok() && due->size() == 5) {
    CRMRULES_CHECK_SAME((*due)[1], with_version(timer_due("T2", 1, timer_state::pending), 1));
  }
  CHECK(ids_of(timers.list_due(at_minute(3), 3)) == id_list{"T0", "T2", "T3"});
  CHECK(ids_of(timers.list_due(at_minute(3) - std::chrono::microseconds{1})) ==
        id_list{"T0", "T2", "T3", "T1"});
  CHECK(ids_of(timers.list_due(at_minute(-61))).empty());

  // Firing, pausing and resuming change what is due.
  timer t2 = fetch<timer>(db, timer_id("T2"));
  t2.state = timer_state::fired;
  timer t4 = fetch<timer>(db, timer_id("T4"));
  t4.state = timer_state::pending;
  timer t0 = fetch<timer>(db, timer_id("T0"));
  t0.state = timer_state::paused;
  t0.remaining = std::chrono::minutes{5};
  write_batch batch;
  batch.update(t2).update(t4).update(t0);
  CRMRULES_REQUIRE_OK(db.commit(batch));
  CHECK(ids_of(timers.list_due(at_minute(3))) == id_list{"T4", "T3", "T1", "T7"});
  timer t1 = fetch<timer>(db, timer_id("T1"));
  t1.due_at = at_minute(100);  // rescheduled
  CRMRULES_REQUIRE_OK(timers.update(t1));
  CRMRULES_REQUIRE_OK(timers.remove(timer_id("T3"), 1));
  CHECK(ids_of(timers.list_due(at_minute(3))) == id_list{"T4", "T7"});

  CRMRULES_CHECK_CODE(timers.list_due(at_minute(3), 0), invalid_argument);
}

inline void timers_list_active_returns_pending_and_paused_in_id_order(storage& db) {
  auto& timers = db.timers();
  put(db, timer_due("T6", 9, timer_state::pending));
  put(db, timer_due("T5", 1, timer_state::fired));
  put(db, timer_due("T4", 1, timer_state::paused));
  put(db, timer_due("T3", 1, timer_state::cancelled));
  put(db, timer_due("T2", 50, timer_state::pending));
  put(db, timer_due("T1", 1, timer_state::paused));

  CHECK(ids_of(timers.list_active()) == id_list{"T1", "T2", "T4", "T6"});
  CHECK(ids_of(timers.list_active(timer_id{}, 3)) == id_list{"T1", "T2", "T4"});
  CHECK(ids_of(timers.list_active(timer_id("T2"), 1)) == id_list{"T4"});
  CHECK(ids_of(timers.list_active(timer_id("T3"), 10)) == id_list{"T4", "T6"});
  CHECK(ids_of(timers.list_active(timer_id("T6"), 10)).empty());

  timer t6 = fetch<timer>(db, timer_id("T6"));
  t6.state = timer_state::cancelled;
  CRMRULES_REQUIRE_OK(timers.update(t6));
  timer t3 = fetch<timer>(db, timer_id("T3"));
  t3.state = timer_state::paused;
  CRMRULES_REQUIRE_OK(timers.update(t3));
  CHECK(ids_of(timers.list_active()) == id_list{"T1", "T2", "T3", "T4"});

  CRMRULES_CHECK_CODE(timers.list_active(timer_id{}, 0), invalid_argument);
}

inline void timers_list_by_subject_returns_the_subjects_timers_in_id_order(storage& db) {
  auto& timers = db.timers();
  const record_ref lead_x{record_kind::lead, "X"};
  put(db, timer_due("T4", 1, timer_state::fired, lead_x));
  put(db, timer_due("T2", 5, timer_state::pending, lead_x));
  put(db, timer_due("T3", 1, timer_state::cancelled, lead_x));
  put(db, timer_due("T1", 1, timer_state::pending, record_ref{record_kind::customer, "X"}));
  put(db, timer_due("T5", 1, timer_state::pending, record_ref{record_kind::lead, "X2"}));
  put(db, timer_due("T6", 1, timer_state::paused, record_ref{record_kind::opportunity, "X"}));

  auto about_x = timers.list_by_subject(lead_x);
  CHECK(ids_of(about_x) == id_list{"T2", "T3", "T4"});
  if (about_x.ok() && !about_x->empty()) {
    CRMRULES_CHECK_SAME(about_x->front(),
                        with_version(timer_due("T2", 5, timer_state::pending, lead_x), 1));
  }
  CHECK(ids_of(timers.list_by_subject(record_ref{record_kind::customer, "X"})) == id_list{"T1"});
  CHECK(ids_of(timers.list_by_subject(record_ref{record_kind::opportunity, "X"})) == id_list{"T6"});
  CHECK(ids_of(timers.list_by_subject(record_ref{record_kind::rep, "X"})).empty());

  timer t1 = fetch<timer>(db, timer_id("T1"));
  t1.subject = lead_x;
  CRMRULES_REQUIRE_OK(timers.update(t1));
  CRMRULES_REQUIRE_OK(timers.remove(timer_id("T3"), 1));
  CHECK(ids_of(timers.list_by_subject(lead_x)) == id_list{"T1", "T2", "T4"});
  CHECK(ids_of(timers.list_by_subject(record_ref{record_kind::customer, "X"})).empty());

  CRMRULES_CHECK_CODE(timers.list_by_subject(record_ref{record_kind::lead, ""}), invalid_argument);
}

// =============================================================================================
// The decision log

inline void decision_log_append_assigns_increasing_seqs_from_1(storage& db) {
  auto& log = db.decisions();
  std::vector<decision> appended;
  std::uint64_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    decision d =
        make_decision(decision_kind::assignment, {record_kind::lead, "L" + std::to_string(i)},
                      "轮转分配 #" + std::to_string(i));
    d.seq = 999;  // ignored
    auto seq = log.append(d);
    CRMRULES_REQUIRE_OK(seq);
    if (i == 0) CHECK(*seq == 1U);
    CHECK(*seq > previous);
    previous = *seq;
    d.seq = *seq;
    appended.push_back(d);
  }
  auto all = log.read();
  CRMRULES_REQUIRE_OK(all);
  CRMRULES_CHECK_SAME(*all, appended);
}

inline void decision_log_read_pages_by_seq(storage& db) {
  auto& log = db.decisions();
  CHECK(seqs_of(log.read()).empty());
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 7; ++i) {
    auto seq = log.append(make_decision(decision_kind::other, {record_kind::rep, "R1"}, "x"));
    CRMRULES_REQUIRE_OK(seq);
    seqs.push_back(*seq);
  }
  using v = std::vector<std::uint64_t>;
  CHECK(seqs_of(log.read(0, 3)) == v{seqs[0], seqs[1], seqs[2]});
  CHECK(seqs_of(log.read(seqs[2], 3)) == v{seqs[3], seqs[4], seqs[5]});
  CHECK(seqs_of(log.read(seqs[5], 3)) == v{seqs[6]});
  CHECK(seqs_of(log.read(seqs[6], 3)).empty());
  CHECK(seqs_of(log.read(seqs[6] + 1000, 3)).empty());
  CHECK(seqs_of(log.read(seqs[0], 1)) == v{seqs[1]});
  CHECK(seqs_of(log.read()) == seqs);
  CRMRULES_CHECK_CODE(log.read(0, 0), invalid_argument);
}

inline void decision_log_for_subject_filters_by_kind_and_id(storage& db) {
  auto& log = db.decisions();
  const record_ref lead_x{record_kind::lead, "X"};
  const record_ref customer_x{record_kind::customer, "X"};
  const record_ref lead_x2{record_kind::lead, "X2"};
  std::vector<decision> about_lead_x;
  for (const auto& [subject, kind] :
       {std::pair{lead_x, decision_kind::assignment}, std::pair{customer_x, decision_kind::merge},
        std::pair{lead_x, decision_kind::reclaim}, std::pair{lead_x2, decision_kind::assignment},
        std::pair{lead_x, decision_kind::reassignment}}) {
    decision d = make_decision(kind, subject, "why");
    auto seq = log.append(d);
    CRMRULES_REQUIRE_OK(seq);
    d.seq = *seq;
    if (subject == lead_x) about_lead_x.push_back(d);
  }
  auto got = log.for_subject(lead_x);
  CRMRULES_REQUIRE_OK(got);
  CRMRULES_CHECK_SAME(*got, about_lead_x);
  CHECK(seqs_of(log.for_subject(customer_x)).size() == 1);
  CHECK(seqs_of(log.for_subject(lead_x2)).size() == 1);
  CHECK(seqs_of(log.for_subject(record_ref{record_kind::rep, "X"})).empty());
  CHECK(seqs_of(log.for_subject(record_ref{record_kind::lead, "x"})).empty());
  CRMRULES_CHECK_CODE(log.for_subject(record_ref{record_kind::lead, ""}), invalid_argument);
}

inline void decision_log_last_seq_tracks_appends(storage& db) {
  auto& log = db.decisions();
  auto empty = log.last_seq();
  CRMRULES_REQUIRE_OK(empty);
  CHECK(*empty == 0U);
  for (int i = 0; i < 3; ++i) {
    auto seq =
        log.append(make_decision(decision_kind::tier_change, {record_kind::customer, "C1"}, "A→B"));
    CRMRULES_REQUIRE_OK(seq);
    auto last = log.last_seq();
    CRMRULES_REQUIRE_OK(last);
    CHECK(*last == *seq);
  }
  write_batch batch;
  batch.append(make_decision(decision_kind::other, {record_kind::lead, "L1"}, "a"))
      .append(make_decision(decision_kind::other, {record_kind::lead, "L1"}, "b"));
  auto receipt = db.commit(batch);
  CRMRULES_REQUIRE_OK(receipt);
  REQUIRE(receipt->decision_seqs.size() == 2);
  CHECK(log.last_seq().value_or(0) == receipt->decision_seqs.back());
}

inline void decision_log_round_trip_preserves_every_field(storage& db) {
  using namespace std::chrono;
  auto& log = db.decisions();
  const decision_kind kinds[] = {
      decision_kind::assignment,  decision_kind::fallback,   decision_kind::reassignment,
      decision_kind::reclaim,     decision_kind::stage_move, decision_kind::gate_refusal,
      decision_kind::override,    decision_kind::merge,      decision_kind::merge_undo,
      decision_kind::tier_change, decision_kind::escalation, decision_kind::other};
  const record_kind subjects[] = {
      record_kind::lead,  record_kind::customer, record_kind::contact,
      record_kind::rep,   record_kind::team,     record_kind::opportunity,
      record_kind::event, record_kind::promise,  record_kind::timer};
  std::vector<decision> appended;
  std::size_t i = 0;
  for (decision_kind kind : kinds) {
    decision d;
    d.at = at_minute(static_cast<std::int64_t>(i)) +
           microseconds{static_cast<std::int64_t>(i) * 7 + 1};
    d.kind = kind;
    d.subject = record_ref{subjects[i % std::size(subjects)], "对象-" + std::to_string(i)};
    d.actor = i % 2 == 0 ? "system" : "张经理";
    d.reason = "原因：超过 72 小时未跟进 (#" + std::to_string(i) + ")";
    d.detail = i % 3 == 0 ? "" : R"({"from":"R1","to":"R2","分数":[1,2.5]})";
    auto seq = log.append(d);
    CRMRULES_REQUIRE_OK(seq);
    d.seq = *seq;
    appended.push_back(d);
    ++i;
  }
  decision before_epoch = make_decision(decision_kind::other, {record_kind::lead, "L1"}, "");
  before_epoch.at = timestamp{} - microseconds{1};
  before_epoch.actor = "";
  before_epoch.detail = "";
  auto seq = log.append(before_epoch);
  CRMRULES_REQUIRE_OK(seq);
  before_epoch.seq = *seq;
  appended.push_back(before_epoch);

  auto all = log.read();
  CRMRULES_REQUIRE_OK(all);
  CRMRULES_CHECK_SAME(*all, appended);
}

inline void decision_log_refuses_invalid_utf8_and_empty_subjects(storage& db) {
  auto& log = db.decisions();
  const std::string bad = bad_utf8_samples().front();
  const decision good = make_decision(decision_kind::other, {record_kind::lead, "L1"}, "ok");
  std::vector<std::pair<std::string, decision>> invalid;
  decision d = good;
  d.actor = bad;
  invalid.emplace_back("actor", d);
  d = good;
  d.reason = bad;
  invalid.emplace_back("reason", d);
  d = good;
  d.detail = bad;
  invalid.emplace_back("detail", d);
  d = good;
  d.subject.id = bad;
  invalid.emplace_back("subject id", d);
  d = good;
  d.subject.id.clear();
  invalid.emplace_back("empty subject id", d);
  for (const auto& [what, dec] : invalid) {
    INFO(what);
    CRMRULES_CHECK_CODE(log.append(dec), invalid_argument);
    write_batch batch;
    batch.insert(sample_lead("L-with-bad-decision")).append(dec);
    CRMRULES_CHECK_CODE(db.commit(batch), invalid_argument);
  }
  CHECK(log.last_seq().value_or(99) == 0U);
  CHECK(seqs_of(log.read()).empty());
  CRMRULES_CHECK_CODE(db.leads().get(lead_id("L-with-bad-decision")), not_found);
}

// =============================================================================================
// Atomic batches

/// What the batch tests start from: one record of several kinds, a team at version 2, a decision.
struct batch_world {
  lead l1;
  rep r1;
  customer c1;
  contact k1;
  team tm1;
  timer t1;
  opportunity o1;
  promise p1;
  std::uint64_t last_seq = 0;
};

inline batch_world seed_batch_world(storage& db) {
  batch_world w;
  put(db, lead_with("L-1", std::nullopt, lead_status::unassigned));
  put(db, sample_rep("R-1"));
  put(db, customer_with("C-1", "USCC-1", {"P-old"}, {"old@example.cn"}));
  put(db, contact_of("K-1", "C-1"));
  put(db, sample_team("TM-1"));
  team tm = fetch<team>(db, team_id("TM-1"));
  revise(tm, 2);
  CRMRULES_REQUIRE_OK(db.teams().update(tm));
  put(db, timer_due("T-1", 10, timer_state::pending, {record_kind::lead, "L-1"}));
  put(db, opportunity_of("O-1", "C-1", "需求确认"));
  put(db, promise_due("P-1", 5, promise_state::open));
  auto seq = db.decisions().append(
      make_decision(decision_kind::other, {record_kind::lead, "L-1"}, "seed"));
  CRMRULES_REQUIRE_OK(seq);
  w.last_seq = *seq;
  w.l1 = fetch<lead>(db, lead_id("L-1"));
  w.r1 = fetch<rep>(db, rep_id("R-1"));
  w.c1 = fetch<customer>(db, customer_id("C-1"));
  w.k1 = fetch<contact>(db, contact_id("K-1"));
  w.tm1 = fetch<team>(db, team_id("TM-1"));
  w.t1 = fetch<timer>(db, timer_id("T-1"));
  w.o1 = fetch<opportunity>(db, opportunity_id("O-1"));
  w.p1 = fetch<promise>(db, promise_id("P-1"));
  return w;
}

/// The writes of an assignment-like batch across several kinds (all valid against `w`).
struct good_writes {
  lead l1;
  rep r1;
  customer c1;
  promise p1;
  event e1;
  opportunity o2;
  decision d1;
  decision d2;
};

inline good_writes make_good_writes(const batch_world& w) {
  good_writes g;
  g.l1 = w.l1;
  g.l1.owner = rep_id("R-1");
  g.l1.status = lead_status::assigned;
  g.l1.assigned_at = at_minute(2);
  g.r1 = w.r1;
  g.r1.open_leads += 1;
  g.r1.assigned_today += 1;
  g.r1.last_assigned_at = at_minute(2);
  g.c1 = w.c1;
  g.c1.phones = {"P-new"};
  g.p1 = w.p1;
  g.p1.state = promise_state::delivered;
  g.e1 = event_at("E-1", 2, "C-1", "L-1");
  g.o2 = opportunity_of("O-2", "C-1", "方案报价");
  g.d1 = make_decision(decision_kind::assignment, {record_kind::lead, "L-1"}, "轮转分配");
  g.d2 = make_decision(decision_kind::other, {record_kind::rep, "R-1"}, "计数 +1");
  return g;
}

/// Adds the good writes to `batch`: 4 updates, 2 inserts, 2 removals, 2 decisions.
inline void add_good_writes(write_batch& batch, const batch_world& w, const good_writes& g) {
  batch.update(g.l1)
      .update(g.r1)
      .insert(g.e1)
      .update(g.c1)
      .remove<timer>(w.t1.id, w.t1.version)
      .insert(g.o2)
      .remove<opportunity>(w.o1.id, w.o1.version)
      .update(g.p1)
      .append(g.d1)
      .append(g.d2);
}

/// Checks that `db` still holds `before` and that its indexes still describe it.
inline void check_nothing_applied(storage& db, const snapshot& before) {
  const snapshot after = take_snapshot(db);
  INFO("before: " << show(before));
  INFO("after:  " << show(after));
  CHECK(after == before);
  using k = customer_key;
  CHECK(ids_of(db.customers().find_by_key(k::phone, "P-old")) == id_list{"C-1"});
  CHECK(ids_of(db.customers().find_by_key(k::phone, "P-new")).empty());
  CHECK(ids_of(db.leads().list_unassigned()) == id_list{"L-1"});
  CHECK(ids_of(db.leads().list_by_owner(rep_id("R-1"))).empty());
  CHECK(ids_of(db.timers().list_due(at_minute(1000))) == id_list{"T-1"});
  CHECK(ids_of(db.opportunities().list_by_stage("方案报价")).empty());
  CHECK(ids_of(db.events().list_by_lead(lead_id("L-1"), at_minute(-100), at_minute(100))).empty());
  CHECK(ids_of(db.promises().list_open_due_before(at_minute(100))) == id_list{"P-1"});
}

inline void commit_applies_every_write_across_kinds_with_decisions(storage& db) {
  const batch_world w = seed_batch_world(db);
  const good_writes g = make_good_writes(w);
  write_batch batch;
  add_good_writes(batch, w, g);
  REQUIRE(batch.size() == 10);
  auto receipt = db.commit(batch);
  CRMRULES_REQUIRE_OK(receipt);
  CHECK(receipt->versions == std::vector<std::uint64_t>{2, 2, 1, 2, 0, 1, 0, 2});
  REQUIRE(receipt->decision_seqs.size() == 2);
  CHECK(receipt->decision_seqs[0] > w.last_seq);
  CHECK(receipt->decision_seqs[1] > receipt->decision_seqs[0]);

  CRMRULES_CHECK_SAME(fetch<lead>(db, g.l1.id), with_version(g.l1, 2));
  CRMRULES_CHECK_SAME(fetch<rep>(db, g.r1.id), with_version(g.r1, 2));
  CRMRULES_CHECK_SAME(fetch<customer>(db, g.c1.id), with_version(g.c1, 2));
  CRMRULES_CHECK_SAME(fetch<promise>(db, g.p1.id), with_version(g.p1, 2));
  CRMRULES_CHECK_SAME(fetch<event>(db, g.e1.id), with_version(g.e1, 1));
  CRMRULES_CHECK_SAME(fetch<opportunity>(db, g.o2.id), with_version(g.o2, 1));
  CRMRULES_CHECK_CODE(db.timers().get(w.t1.id), not_found);
  CRMRULES_CHECK_CODE(db.opportunities().get(w.o1.id), not_found);
  // Untouched records are as they were.
  CRMRULES_CHECK_SAME(fetch<contact>(db, w.k1.id), w.k1);
  CRMRULES_CHECK_SAME(fetch<team>(db, w.tm1.id), w.tm1);

  decision d1 = g.d1;
  d1.seq = receipt->decision_seqs[0];
  decision d2 = g.d2;
  d2.seq = receipt->decision_seqs[1];
  auto logged = db.decisions().read(w.last_seq);
  CRMRULES_REQUIRE_OK(logged);
  CRMRULES_CHECK_SAME(*logged, (std::vector<decision>{d1, d2}));
  CHECK(db.decisions().last_seq().value_or(0) == d2.seq);

  // Indexes follow.
  using k = customer_key;
  CHECK(ids_of(db.customers().find_by_key(k::phone, "P-old")).empty());
  CHECK(ids_of(db.customers().find_by_key(k::phone, "P-new")) == id_list{"C-1"});
  CHECK(ids_of(db.leads().list_unassigned()).empty());
  CHECK(ids_of(db.leads().list_by_owner(rep_id("R-1"))) == id_list{"L-1"});
  CHECK(ids_of(db.timers().list_due(at_minute(1000))).empty());
  CHECK(ids_of(db.opportunities().list_by_stage("方案报价")) == id_list{"O-2"});
  CHECK(ids_of(db.events().list_by_lead(lead_id("L-1"), at_minute(-100), at_minute(100))) ==
        id_list{"E-1"});
  CHECK(ids_of(db.promises().list_open_due_before(at_minute(100))).empty());
}

inline void commit_with_one_failing_write_applies_nothing(storage& db) {
  const batch_world w = seed_batch_world(db);
  const good_writes g = make_good_writes(w);
  const snapshot before = take_snapshot(db);

  // Each section: the good writes plus one that fails, and the code that names it.
  write_batch batch;
  std::string expected;
  bool failing_first = false;
  auto with_good = [&](auto add_failing) {
    if (failing_first) add_failing(batch);
    add_good_writes(batch, w, g);
    if (!failing_first) add_failing(batch);
  };
  SECTION("a stale update, last") {
    expected = "conflict";
    with_good([&](write_batch& b) { b.update(with_version(w.tm1, 1)); });
  }
  SECTION("a stale update, first") {
    failing_first = true;
    expected = "conflict";
    with_good([&](write_batch& b) { b.update(with_version(w.tm1, 1)); });
  }
  SECTION("an update ahead of the stored version") {
    expected = "conflict";
    with_good([&](write_batch& b) { b.update(with_version(w.k1, 2)); });
  }
  SECTION("an insert of an existing id") {
    expected = "already_exists";
    with_good([&](write_batch& b) { b.insert(contact_of("K-1", "C-9")); });
  }
  SECTION("an insert of an existing id, first") {
    failing_first = true;
    expected = "already_exists";
    with_good([&](write_batch& b) { b.insert(sample_team("TM-1")); });
  }
  SECTION("a removal of a missing record") {
    expected = "not_found";
    with_good([&](write_batch& b) { b.remove<promise>(promise_id("P-missing"), 1); });
  }
  SECTION("a removal with a stale version") {
    expected = "conflict";
    with_good([&](write_batch& b) { b.remove<team>(w.tm1.id, 1); });
  }
  SECTION("an update of a missing record") {
    expected = "not_found";
    with_good([&](write_batch& b) { b.update(with_version(sample_contact("K-missing"), 1)); });
  }
  SECTION("a record with invalid UTF-8") {
    expected = "invalid_argument";
    contact bad = contact_of("K-2", "C-1");
    bad.title = bad_utf8_samples().front();
    with_good([&](write_batch& b) { b.insert(bad); });
  }
  SECTION("an insert with a nonzero version") {
    expected = "invalid_argument";
    with_good([&](write_batch& b) { b.insert(with_version(sample_team("TM-2"), 1)); });
  }
  SECTION("an update with version 0") {
    expected = "invalid_argument";
    with_good([&](write_batch& b) { b.update(with_version(w.tm1, 0)); });
  }
  SECTION("a decision with an empty subject id") {
    expected = "invalid_argument";
    with_good([&](write_batch& b) {
      b.append(make_decision(decision_kind::other, {record_kind::lead, ""}, "no subject"));
    });
  }
  SECTION("a decision with invalid UTF-8") {
    expected = "invalid_argument";
    with_good([&](write_batch& b) {
      b.append(
          make_decision(decision_kind::other, {record_kind::lead, "L-1"}, bad_utf8_samples()[1]));
    });
  }

  auto receipt = db.commit(batch);
  INFO("commit -> " << describe(receipt));
  CHECK(code_of(receipt) == expected);
  check_nothing_applied(db, before);

  // The storage is still usable: the good writes alone commit.
  write_batch retry;
  add_good_writes(retry, w, g);
  CRMRULES_CHECK_CODE(db.commit(retry), ok);
}

inline void commit_removal_expecting_version_0_fails_and_applies_nothing(storage& db) {
  const batch_world w = seed_batch_world(db);
  const good_writes g = make_good_writes(w);
  const snapshot before = take_snapshot(db);
  write_batch batch;
  add_good_writes(batch, w, g);
  batch.remove<team>(w.tm1.id, 0);
  auto receipt = db.commit(batch);
  INFO("commit -> " << describe(receipt));
  // No stored record has version 0: either refused up front or a conflict.
  CHECK((code_of(receipt) == "invalid_argument" || code_of(receipt) == "conflict"));
  check_nothing_applied(db, before);
}

inline void commit_writing_one_record_twice_is_invalid_argument(storage& db) {
  const batch_world w = seed_batch_world(db);
  const snapshot before = take_snapshot(db);
  write_batch batch;
  batch.append(make_decision(decision_kind::other, {record_kind::lead, "L-1"}, "twice"));
  SECTION("two updates") {
    lead a = w.l1;
    a.owner = rep_id("R-1");
    lead b = with_version(w.l1, 2);
    batch.update(a).update(b);
  }
  SECTION("an update and a removal") {
    batch.update(w.r1).insert(sample_team("TM-9")).remove<rep>(w.r1.id, w.r1.version);
  }
  SECTION("an insert then an update of the new record") {
    batch.insert(sample_team("TM-2")).update(with_version(sample_team("TM-2"), 1));
  }
  SECTION("an insert then a removal of the new record") {
    batch.insert(sample_event("E-2")).remove<event>(event_id("E-2"), 1);
  }
  SECTION("two inserts of one new id") {
    batch.insert(sample_promise("P-2")).insert(sample_promise("P-2"));
  }
  SECTION("two removals") {
    batch.remove<contact>(w.k1.id, w.k1.version).remove<contact>(w.k1.id, w.k1.version);
  }
  CRMRULES_CHECK_CODE(db.commit(batch), invalid_argument);
  check_nothing_applied(db, before);
}

inline void commit_may_write_records_of_different_kinds_that_share_an_id(storage& db) {
  write_batch batch;
  batch.insert(sample_lead("X")).insert(sample_customer("X")).insert(sample_rep("X"));
  batch.insert(sample_timer("X"));
  auto receipt = db.commit(batch);
  CRMRULES_REQUIRE_OK(receipt);
  CHECK(receipt->versions == std::vector<std::uint64_t>{1, 1, 1, 1});
  CRMRULES_CHECK_SAME(fetch<lead>(db, lead_id("X")), with_version(sample_lead("X"), 1));
  CRMRULES_CHECK_SAME(fetch<customer>(db, customer_id("X")), with_version(sample_customer("X"), 1));
  CRMRULES_CHECK_SAME(fetch<rep>(db, rep_id("X")), with_version(sample_rep("X"), 1));
  CRMRULES_CHECK_SAME(fetch<timer>(db, timer_id("X")), with_version(sample_timer("X"), 1));
  write_batch second;
  second.update(with_version(sample_lead("X"), 1)).remove<customer>(customer_id("X"), 1);
  auto r2 = db.commit(second);
  CRMRULES_REQUIRE_OK(r2);
  CHECK(r2->versions == std::vector<std::uint64_t>{2, 0});
  CRMRULES_CHECK_CODE(db.customers().get(customer_id("X")), not_found);
  CHECK(fetch<rep>(db, rep_id("X")).version == 1U);
}

inline void commit_of_an_empty_batch_succeeds_and_changes_nothing(storage& db) {
  (void)seed_batch_world(db);
  const snapshot before = take_snapshot(db);
  auto receipt = db.commit(write_batch{});
  CRMRULES_REQUIRE_OK(receipt);
  CHECK(receipt->versions.empty());
  CHECK(receipt->decision_seqs.empty());
  CHECK(take_snapshot(db) == before);
  // On an empty storage too.
  write_batch cleared;
  cleared.insert(sample_lead("L-x"))
      .append(make_decision(decision_kind::other, {record_kind::lead, "L-x"}, ""));
  cleared.clear();
  CRMRULES_CHECK_CODE(db.commit(cleared), ok);
  CHECK(take_snapshot(db) == before);
}

inline void commit_of_decisions_only_appends_them_in_order(storage& db) {
  const decision a =
      make_decision(decision_kind::escalation, {record_kind::timer, "T-1"}, "第一级");
  const decision b =
      make_decision(decision_kind::escalation, {record_kind::timer, "T-1"}, "第二级");
  write_batch batch;
  batch.append(a).append(b);
  auto receipt = db.commit(batch);
  CRMRULES_REQUIRE_OK(receipt);
  CHECK(receipt->versions.empty());
  REQUIRE(receipt->decision_seqs.size() == 2);
  CHECK(receipt->decision_seqs[0] == 1U);
  CHECK(receipt->decision_seqs[1] > receipt->decision_seqs[0]);
  decision a2 = a;
  a2.seq = receipt->decision_seqs[0];
  decision b2 = b;
  b2.seq = receipt->decision_seqs[1];
  auto logged = db.decisions().for_subject({record_kind::timer, "T-1"});
  CRMRULES_REQUIRE_OK(logged);
  CRMRULES_CHECK_SAME(*logged, (std::vector<decision>{a2, b2}));
  // Appends after the batch keep increasing.
  auto next = db.decisions().append(a);
  CRMRULES_REQUIRE_OK(next);
  CHECK(*next > b2.seq);
}

// =============================================================================================
// Concurrency (assertions only on the test's own thread: Catch is not thread-safe)

/// Collects the first unexpected outcome seen by worker threads.
class failure_box {
 public:
  void note(const std::string& what) {
    std::lock_guard lock(mu_);
    ++count_;
    if (first_.empty()) first_ = what;
  }
  [[nodiscard]] std::string first() const {
    std::lock_guard lock(mu_);
    return first_;
  }
  [[nodiscard]] int count() const {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::string first_;
  int count_ = 0;
};

inline void concurrent_read_modify_write_loses_no_update(storage& db) {
  constexpr int threads = 8;
  constexpr int per_thread = 25;
  put(db, sample_rep("R-counter"));
  failure_box failures;
  std::atomic<long> conflicts{0};
  std::latch start(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        for (int attempt = 0;; ++attempt) {
          if (attempt > 100'000) {
            failures.note("no progress after 100000 attempts");
            return;
          }
          auto current = db.reps().get(rep_id("R-counter"));
          if (!current) {
            failures.note("get: " + describe(current));
            return;
          }
          rep next = *current;
          next.open_leads += 1;
          std::this_thread::yield();  // widen the read-to-write window so writers interleave
          status s;
          if (t % 2 == 0) {  // half the threads update directly, half through batches
            auto v = db.reps().update(next);
            if (!v) s = v.error();
          } else {
            write_batch batch;
            batch.update(next);
            auto receipt = db.commit(batch);
            if (!receipt) s = receipt.error();
          }
          if (s.ok()) break;
          if (s.is_conflict()) {
            conflicts.fetch_add(1, std::memory_order_relaxed);
            continue;
          }
          failures.note("write: " + s.to_string());
          return;
        }
      }
    });
  }
  for (auto& w : workers)
    w.join();
  INFO("conflicts retried: " << conflicts.load());
  INFO("first failure: " << failures.first());
  CHECK(failures.count() == 0);
  const rep final_rep = fetch<rep>(db, rep_id("R-counter"));
  CHECK(final_rep.open_leads == threads * per_thread);
  CHECK(final_rep.version == static_cast<std::uint64_t>(threads * per_thread + 1));
}

inline void concurrent_batch_commits_of_distinct_records_all_land(storage& db) {
  constexpr int threads = 8;
  constexpr int per_thread = 10;
  failure_box failures;
  failure_box atomicity;
  std::atomic<int> writers_done{0};
  std::latch start(threads + 1);
  std::mutex receipts_mu;
  std::vector<std::uint64_t> seqs;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        const std::string n = std::to_string(t) + "-" + std::to_string(i);
        write_batch batch;
        batch.insert(sample_lead("L-" + n))
            .insert(event_at("E-" + n, i, std::nullopt, "L-" + n))
            .append(make_decision(decision_kind::assignment, {record_kind::lead, "L-" + n}, n));
        auto receipt = db.commit(batch);
        if (!receipt) {
          failures.note("commit " + n + ": " + describe(receipt));
          continue;
        }
        if (receipt->versions != std::vector<std::uint64_t>{1, 1} ||
            receipt->decision_seqs.size() != 1) {
          failures.note("commit " + n + ": unexpected receipt");
          continue;
        }
        std::lock_guard lock(receipts_mu);
        seqs.push_back(receipt->decision_seqs.front());
      }
      writers_done.fetch_add(1);
    });
  }
  // A reader: whatever decision it sees, the records committed with it must be visible too.
  std::thread reader([&] {
    start.arrive_and_wait();
    do {
      auto log = db.decisions().read();
      if (!log) {
        failures.note("read: " + describe(log));
        return;
      }
      for (const decision& d : *log) {
        auto l = db.leads().get(lead_id(d.subject.id));
        if (!l)
          atomicity.note("decision " + d.subject.id + " visible without its lead: " + describe(l));
        const std::string n = d.subject.id.substr(2);
        auto e = db.events().get(event_id("E-" + n));
        if (!e)
          atomicity.note("decision " + d.subject.id + " visible without its event: " + describe(e));
      }
      auto leads = db.leads().list();
      if (!leads) failures.note("list: " + describe(leads));
    } while (writers_done.load() < threads);
  });
  for (auto& w : workers)
    w.join();
  reader.join();

  INFO("first failure: " << failures.first());
  CHECK(failures.count() == 0);
  INFO("first atomicity violation: " << atomicity.first());
  CHECK(atomicity.count() == 0);
  constexpr auto total = static_cast<std::uint64_t>(threads * per_thread);
  CHECK(db.leads().count().value_or(0) == total);
  CHECK(db.events().count().value_or(0) == total);
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      const std::string n = std::to_string(t) + "-" + std::to_string(i);
      CRMRULES_CHECK_CODE(db.leads().get(lead_id("L-" + n)), ok);
      CRMRULES_CHECK_CODE(db.events().get(event_id("E-" + n)), ok);
    }
  }
  auto log = db.decisions().read();
  CRMRULES_REQUIRE_OK(log);
  CHECK(log->size() == total);
  const auto logged = seqs_of(log);
  CHECK(std::is_sorted(logged.begin(), logged.end()));
  CHECK(std::adjacent_find(logged.begin(), logged.end()) == logged.end());  // strictly increasing
  std::sort(seqs.begin(), seqs.end());
  CHECK(seqs == logged);  // every receipt's seq is in the log, and nothing else
}

inline void concurrent_inserts_of_one_id_let_exactly_one_win(storage& db) {
  constexpr int threads = 8;
  std::latch start(threads);
  std::vector<std::string> outcomes(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      lead l = sample_lead("L-race");
      l.company_name = "公司 " + std::to_string(t);
      start.arrive_and_wait();
      outcomes[static_cast<std::size_t>(t)] = code_of(db.leads().insert(l));
    });
  }
  for (auto& w : workers)
    w.join();
  INFO("outcomes: " << Catch::Detail::stringify(outcomes));
  CHECK(std::count(outcomes.begin(), outcomes.end(), "ok") == 1);
  CHECK(std::count(outcomes.begin(), outcomes.end(), "already_exists") == threads - 1);
  const lead stored = fetch<lead>(db, lead_id("L-race"));
  const auto winner = static_cast<std::size_t>(std::find(outcomes.begin(), outcomes.end(), "ok") -
                                               outcomes.begin());
  CHECK(stored.company_name == "公司 " + std::to_string(winner));
  CHECK(stored.version == 1U);
}

}  // namespace crmrules::conformance

// =============================================================================================
// The test cases

#define CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, test, title)                       \
  TEST_CASE(name ": " title, "[conformance][" name "]") {                                 \
    ::crmrules::conformance::run_for_each_kind<Fixture, ::crmrules::conformance::test>(); \
  }

#define CRMRULES_CONFORMANCE_CASE_(Fixture, name, test, title) \
  TEST_CASE(name ": " title, "[conformance][" name "]") {      \
    Fixture fixture;                                           \
    ::crmrules::conformance::test(fixture.storage());          \
  }

/// Defines every conformance test case for storages made by `Fixture`; `name` is a string
/// literal naming the implementation ("memory", "sqlite", ...).
#define CRMRULES_STORAGE_CONFORMANCE_TESTS(Fixture, name)                                          \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, insert_stores_version_one,                        \
                                  "insert stores version 1 and get returns an equal record")       \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, insert_of_an_existing_id_is_already_exists,                                   \
      "insert of an existing id returns already_exists and keeps the stored record")               \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, insert_with_a_nonzero_version_is_invalid_argument,                            \
      "insert with a nonzero version returns invalid_argument and stores nothing")                 \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, update_with_the_stored_version_increments_it,                                 \
      "update with the stored version returns version + 1 and stores the new content")             \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, update_with_a_stale_version_is_conflict_and_changes_nothing,                  \
      "update with a stale version returns conflict and changes nothing")                          \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, update_of_a_missing_id_is_not_found,              \
                                  "update of a missing id returns not_found")                      \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, update_replaces_the_whole_record,                 \
                                  "update replaces the whole record and clears emptied fields")    \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, remove_with_the_stored_version_removes_the_record,                            \
      "remove with the stored version removes the record and frees its id")                        \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, remove_with_a_wrong_version_is_conflict_and_keeps_the_record,                 \
      "remove with a wrong version returns conflict and keeps the record")                         \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, remove_of_a_missing_id_is_not_found,              \
                                  "remove of a missing id returns not_found")                      \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, list_pages_in_id_byte_order,                      \
                                  "list pages in id byte order with the after cursor and limit")   \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, list_with_limit_zero_is_invalid_argument,         \
                                  "list with limit 0 returns invalid_argument")                    \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, count_follows_inserts_and_removals,               \
                                  "count follows inserts and removals but not failed writes")      \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name, invalid_utf8_is_refused_and_nothing_is_stored,    \
                                  "a record with invalid UTF-8 in any text is refused with "       \
                                  "invalid_argument and nothing is stored")                        \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, empty_or_control_character_ids_are_invalid_argument,                          \
      "an empty id or one with control characters returns invalid_argument")                       \
  CRMRULES_CONFORMANCE_EACH_KIND_(                                                                 \
      Fixture, name, round_trip_preserves_every_field,                                             \
      "round trip preserves every field including optional ones nested parts and Chinese text")    \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name,                                                   \
                                  round_trip_preserves_custom_attributes_of_every_value_type,      \
                                  "round trip preserves custom attributes of every value type")    \
  CRMRULES_CONFORMANCE_EACH_KIND_(Fixture, name,                                                   \
                                  round_trip_preserves_times_before_1970_and_microseconds,         \
                                  "round trip preserves times before 1970 and microseconds")       \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, records_with_extreme_values_are_refused_or_read_back_unchanged,               \
      "records with extreme values are refused with invalid_argument or read back unchanged")      \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, leads_list_by_owner_returns_the_owners_leads_in_id_order,                     \
      "leads list_by_owner returns the owner's leads in id order with paging")                     \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, leads_list_unassigned_returns_only_unassigned_and_to_reassign,                \
      "leads list_unassigned returns only unassigned and to_reassign leads in id order")           \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, leads_queries_follow_updates_and_removals,                                    \
      "leads list_by_owner and list_unassigned follow updates and removals")                       \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, customers_find_by_key_matches_uscc_every_phone_and_every_email,               \
      "customers find_by_key matches the uscc and every phone and email exactly in id order")      \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, customers_find_by_key_follows_updates_and_removals,    \
                             "customers find_by_key follows updates and removals")                 \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, contacts_list_by_customer_returns_contacts_in_id_order,                       \
      "contacts list_by_customer returns the customer's contacts in id order")                     \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, opportunities_list_by_customer_returns_them_in_id_order,                      \
      "opportunities list_by_customer returns the customer's opportunities in id order")           \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, opportunities_list_by_stage_pages_in_id_order,                                \
      "opportunities list_by_stage pages in id order and follows stage changes")                   \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, reps_list_by_team_returns_members_in_id_order,         \
                             "reps list_by_team returns the team's members in id order")           \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, events_list_by_customer_returns_from_to_ordered_by_at_then_id,                \
      "events list_by_customer returns events with from <= at < to ordered by at then id")         \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, events_list_by_lead_returns_from_to_ordered_by_at_then_id,                    \
      "events list_by_lead returns events with from <= at < to ordered by at then id")             \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, promises_list_open_due_before_returns_open_ones_by_due_then_id,               \
      "promises list_open_due_before returns open promises due before t ordered by due then id")   \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, timers_list_due_returns_pending_ones_due_at_or_before_t,                      \
      "timers list_due returns pending timers with due_at <= t ordered by due_at then id")         \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, timers_list_active_returns_pending_and_paused_in_id_order,                    \
      "timers list_active returns pending and paused timers in id order with paging")              \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, timers_list_by_subject_returns_the_subjects_timers_in_id_order,               \
      "timers list_by_subject returns the subject's timers in any state in id order")              \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, decision_log_append_assigns_increasing_seqs_from_1,    \
                             "decision log append assigns strictly increasing seqs starting at 1") \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, decision_log_read_pages_by_seq,                        \
                             "decision log read pages by after_seq and limit")                     \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, decision_log_for_subject_filters_by_kind_and_id,                              \
      "decision log for_subject returns the subject's entries in seq order")                       \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, decision_log_last_seq_tracks_appends,                  \
                             "decision log last_seq is 0 when empty and follows appends")          \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, decision_log_round_trip_preserves_every_field,         \
                             "decision log round trip preserves every field")                      \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, decision_log_refuses_invalid_utf8_and_empty_subjects,                         \
      "decision log refuses invalid UTF-8 and empty subject ids and appends nothing")              \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, commit_applies_every_write_across_kinds_with_decisions,                       \
      "commit applies inserts updates removals and decisions across kinds together")               \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, commit_with_one_failing_write_applies_nothing,                                \
      "commit with one failing write returns its error and applies nothing")                       \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, commit_removal_expecting_version_0_fails_and_applies_nothing,                 \
      "commit with a removal expecting version 0 fails and applies nothing")                       \
  CRMRULES_CONFORMANCE_CASE_(                                                                      \
      Fixture, name, commit_writing_one_record_twice_is_invalid_argument,                          \
      "commit writing the same record twice returns invalid_argument and applies nothing")         \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name,                                                        \
                             commit_may_write_records_of_different_kinds_that_share_an_id,         \
                             "commit may write records of different kinds that share an id")       \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, commit_of_an_empty_batch_succeeds_and_changes_nothing, \
                             "commit of an empty batch succeeds and changes nothing")              \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, commit_of_decisions_only_appends_them_in_order,        \
                             "commit of decisions only appends them in order")                     \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, concurrent_read_modify_write_loses_no_update,          \
                             "concurrent read-modify-write increments of one rep lose no update")  \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, concurrent_batch_commits_of_distinct_records_all_land, \
                             "concurrent batch commits of distinct records all land whole")        \
  CRMRULES_CONFORMANCE_CASE_(Fixture, name, concurrent_inserts_of_one_id_let_exactly_one_win,      \
                             "concurrent inserts of one id let exactly one win")
