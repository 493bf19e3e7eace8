// crmrules model: the typed CRM records every engine and store shares.
//
// Records are plain aggregates: copyable, comparable, no behaviour beyond small helpers. Each
// stored record carries `version` for optimistic concurrency: 0 means "never stored"; a store
// sets 1 on insert and increments on every update, and refuses an update whose version is not
// the stored one (status_code::conflict). Built-in fields are reachable by name (English, or the
// default Chinese alias such as 线索来源) through `schema`; `custom` holds host-defined fields.
//
// Text is UTF-8. Stores refuse records whose text is not valid UTF-8.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/attributes.hpp"
#include "crmrules/model/id.hpp"
#include "crmrules/model/money.hpp"
#include "crmrules/model/time.hpp"

namespace crmrules {

/// Every kind of record crmrules knows. The order is stable (it appears in stored data).
enum class record_kind : std::uint8_t {
  lead,
  customer,
  contact,
  rep,
  team,
  opportunity,
  event,
  promise,
  timer,
};
inline constexpr std::size_t record_kind_count = 9;

/// "lead", "customer", "contact", "rep", "team", "opportunity", "event", "promise", "timer".
[[nodiscard]] std::string_view to_string(record_kind kind) noexcept;
[[nodiscard]] std::optional<record_kind> parse_record_kind(std::string_view name) noexcept;
/// The Chinese name of a kind, used as a second name for it in formulas: 线索, 客户, 联系人, 销售,
/// 团队, 商机, 事件, 承诺, 时限.
[[nodiscard]] std::string_view chinese_name(record_kind kind) noexcept;

/// A reference to a record of any kind, e.g. the subject of a decision or a timer.
struct record_ref {
  record_kind kind = record_kind::lead;
  std::string id;

  friend bool operator==(const record_ref&, const record_ref&) = default;
};

// ---------------------------------------------------------------------------------------------
// Leads

/// Where a lead is in its life. Stored and shown by the names of `to_string`.
enum class lead_status : std::uint8_t {
  unassigned,    ///< new, no owner yet
  assigned,      ///< has an owner, not yet touched
  touched,       ///< the owner made first contact (`first_touch_at` set)
  to_reassign,   ///< released by a reclaim; waiting for a new owner
  converted,     ///< became a customer / opportunity
  disqualified,  ///< closed without conversion
};
[[nodiscard]] std::string_view to_string(lead_status s) noexcept;
[[nodiscard]] std::optional<lead_status> parse_lead_status(std::string_view name) noexcept;

/// A sales lead: a person or company that showed interest, not yet a customer.
struct lead {
  lead_id id;
  std::uint64_t version = 0;
  std::string source;   ///< 线索来源: 官网表单, 抖音私信, 展会扫码, 转介绍, ...
  std::string channel;  ///< 渠道: finer-grained campaign or channel code
  timestamp created_at{};       ///< 创建时间
  std::string company_name;     ///< 公司名称, as entered
  std::string contact_name;     ///< 联系人
  std::string phone;            ///< 电话, as entered (normalised by the dedup engine)
  std::string email;            ///< 邮箱
  std::string region;           ///< 区域: 华东, 华南, ...
  std::string industry;         ///< 行业
  std::optional<money> budget;  ///< 客户预算; nullopt when unknown
  std::vector<std::string> tags;
  lead_status status = lead_status::unassigned;
  std::optional<rep_id> owner;              ///< 负责人
  std::optional<timestamp> assigned_at;     ///< when the current owner got it
  std::optional<timestamp> first_touch_at;  ///< 首次跟进时间
  std::optional<customer_id> customer;      ///< the customer it belongs to, once known
  attributes custom;

  friend bool operator==(const lead&, const lead&) = default;
};

// ---------------------------------------------------------------------------------------------
// Customers and contacts

/// A customer account (a company, hospital, school...).
struct customer {
  customer_id id;
  std::uint64_t version = 0;
  std::string name;  ///< 客户名称
  std::string uscc;  ///< 统一社会信用代码 (GB 32100-2015), empty when unknown
  std::vector<std::string> phones;  ///< as stored; E.164 preferred (indexed for lookups)
  std::vector<std::string> emails;  ///< as stored; lower case preferred (indexed for lookups)
  std::string address;
  std::string region;
  std::string industry;
  std::string tier;  ///< 客户等级: A/B/C/D or the tier names of the rules file
  std::optional<rep_id> owner;
  timestamp created_at{};
  timestamp updated_at{};  ///< 更新时间: the merge planner's default survivor rule uses it
  attributes custom;

  friend bool operator==(const customer&, const customer&) = default;
};

/// A person at a customer.
struct contact {
  contact_id id;
  std::uint64_t version = 0;
  std::optional<customer_id> customer;
  std::string name;
  std::string title;
  std::vector<std::string> phones;
  std::vector<std::string> emails;
  attributes custom;

  friend bool operator==(const contact&, const contact&) = default;
};

// ---------------------------------------------------------------------------------------------
// Reps and teams

/// A sales user who can own leads and opportunities.
struct rep {
  rep_id id;
  std::uint64_t version = 0;
  std::string name;
  std::optional<team_id> team;
  std::string role;    ///< e.g. sales, senior, manager, director (policy coefficients key on it)
  bool active = true;  ///< false for people who left or are disabled
  bool accepts_leads = true;          ///< a rep may stop taking new leads without being inactive
  std::optional<timestamp> hired_at;  ///< 入职日期, for cold-start protection
  std::optional<std::int64_t> daily_cap;  ///< max new leads per day; nullopt = no cap
  std::optional<std::int64_t> open_cap;   ///< max leads held open at once; nullopt = no cap
  std::vector<std::string> regions;       ///< regions served
  std::vector<std::string> industries;    ///< industries served
  std::vector<std::string> skills;
  std::vector<period> leave;                  ///< leave periods, [from, to)
  std::int64_t today_follow_ups = 0;          ///< 今日跟进数
  std::int64_t open_tasks = 0;                ///< 待办任务数
  std::int64_t open_leads = 0;                ///< leads held and not closed
  std::int64_t assigned_today = 0;            ///< leads received today (for the daily cap)
  money revenue_3d;                           ///< revenue closed in the last 3 days
  std::optional<duration> avg_response;       ///< historical mean time to first touch
  std::optional<timestamp> last_assigned_at;  ///< tie-break: least recently assigned first
  attributes custom;

  /// Whether `t` falls inside one of the leave periods.
  [[nodiscard]] bool on_leave(timestamp t) const noexcept {
    for (const auto& p : leave) {
      if (p.contains(t)) return true;
    }
    return false;
  }

  friend bool operator==(const rep&, const rep&) = default;
};

/// A sales team (and, for the assignment engine, a pool of reps).
struct team {
  team_id id;
  std::uint64_t version = 0;
  std::string name;
  std::optional<rep_id> manager;
  attributes custom;

  friend bool operator==(const team&, const team&) = default;
};

// ---------------------------------------------------------------------------------------------
// Opportunities

/// Kinds of proof a stage gate can ask for.
enum class evidence_type : std::uint8_t {
  note,  ///< a text note
  call_recording,
  screenshot,
  pdf,
  signed_document,
  email,
  meeting_minutes,  ///< with attendees
  approval,
};
[[nodiscard]] std::string_view to_string(evidence_type t) noexcept;
[[nodiscard]] std::optional<evidence_type> parse_evidence_type(std::string_view name) noexcept;

/// One piece of proof attached to an opportunity.
struct evidence_item {
  std::string id;
  evidence_type type = evidence_type::note;
  std::string stage;                   ///< the stage it was collected for
  std::string ref;                     ///< a URI, document id or the note's text
  std::vector<std::string> attendees;  ///< for meeting minutes
  timestamp added_at{};

  friend bool operator==(const evidence_item&, const evidence_item&) = default;
};

/// A coded reason a deal was lost, linked to the note or activity that documents it.
struct lost_reason {
  std::string code;
  bool primary = false;
  std::string ref;  ///< note or activity id

  friend bool operator==(const lost_reason&, const lost_reason&) = default;
};

/// A sales opportunity (deal) moving through the stage pipeline.
struct opportunity {
  opportunity_id id;
  std::uint64_t version = 0;
  std::string name;
  std::optional<customer_id> customer;
  std::optional<rep_id> owner;
  std::string stage;             ///< the pipeline stage id
  timestamp entered_stage_at{};  ///< for dwell limits
  money amount;
  timestamp created_at{};
  std::optional<timestamp> closed_at;
  std::vector<evidence_item> evidence;
  std::vector<lost_reason> lost_reasons;
  attributes custom;

  friend bool operator==(const opportunity&, const opportunity&) = default;
};

// ---------------------------------------------------------------------------------------------
// Behaviour events

/// A touchpoint: something a customer or lead did (site visit, whitepaper download, demo
/// attended, call, WeChat message...). Append-only once stored.
struct event {
  event_id id;
  std::uint64_t version = 0;
  std::string type;  ///< site_visit, whitepaper_download, demo_attended, ... or the host's own
  timestamp at{};
  std::optional<customer_id> customer;
  std::optional<lead_id> lead;
  std::string channel;
  attributes custom;  ///< event attributes (page, campaign, duration...)

  friend bool operator==(const event&, const event&) = default;
};

// ---------------------------------------------------------------------------------------------
// Promises

enum class promise_state : std::uint8_t { open, delivered, accepted, broken, cancelled };
[[nodiscard]] std::string_view to_string(promise_state s) noexcept;
[[nodiscard]] std::optional<promise_state> parse_promise_state(std::string_view name) noexcept;

/// Something promised to a customer by a date ("proposal by Wednesday").
struct promise {
  promise_id id;
  std::uint64_t version = 0;
  std::string deliverable;
  timestamp due{};
  std::optional<rep_id> owner;  ///< the salesperson who promised
  std::string delivery_owner;   ///< who delivers (may be outside sales)
  std::optional<customer_id> customer;
  std::optional<opportunity_id> opportunity;
  std::string acceptance_criteria;
  promise_state state = promise_state::open;
  timestamp created_at{};
  attributes custom;

  friend bool operator==(const promise&, const promise&) = default;
};

// ---------------------------------------------------------------------------------------------
// Timers (persisted deadlines, owned by the SLA engine)

enum class timer_state : std::uint8_t { pending, paused, fired, cancelled };
[[nodiscard]] std::string_view to_string(timer_state s) noexcept;
[[nodiscard]] std::optional<timer_state> parse_timer_state(std::string_view name) noexcept;

/// A deadline as stored: what it is about, when it is due, and how far its ladder has gone.
struct timer {
  timer_id id;
  std::uint64_t version = 0;
  std::string policy;  ///< the SLA policy (kind of deadline): first_touch, golden_72h, ...
  record_ref subject;  ///< the record the deadline is about
  timestamp due_at{};
  std::int64_t step = 0;  ///< the next escalation step to fire
  timer_state state = timer_state::pending;
  std::optional<duration> remaining;  ///< while paused: business time left
  timestamp created_at{};
  attributes custom;  ///< policy payload

  friend bool operator==(const timer&, const timer&) = default;
};

// ---------------------------------------------------------------------------------------------
// The decision log

/// What an engine decided. Stored in the append-only decision log.
enum class decision_kind : std::uint8_t {
  assignment,    ///< a lead got an owner
  fallback,      ///< a lead went to the fallback assignee (reason says why)
  reassignment,  ///< a lead changed owner
  reclaim,       ///< a lead was taken back for no touch
  stage_move,    ///< an opportunity moved stage
  gate_refusal,  ///< a move was refused by a stage gate
  override,      ///< an authorised person overrode a refusal
  merge,         ///< duplicate records merged
  merge_undo,
  tier_change,
  escalation,  ///< an SLA step fired
  other,
};
[[nodiscard]] std::string_view to_string(decision_kind k) noexcept;
[[nodiscard]] std::optional<decision_kind> parse_decision_kind(std::string_view name) noexcept;

struct decision {
  std::uint64_t seq = 0;  ///< assigned by the log on append: strictly increasing
  timestamp at{};
  decision_kind kind = decision_kind::other;
  record_ref subject;
  std::string actor;   ///< who or what decided: a user id, "system", "crmrules.assign"
  std::string reason;  ///< why, in words
  std::string detail;  ///< structured explanation as JSON text (may be empty)

  friend bool operator==(const decision&, const decision&) = default;
};

}  // namespace crmrules
