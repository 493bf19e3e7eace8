// The built-in field tables: one row per field, typed access generated from member pointers so
// that the list of fields is written once (JSON, validation, schemas and the rules language all
// read these tables).
#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "crmrules/model/schema.hpp"

namespace crmrules {
namespace {

status type_error(value_type want, const value& got) {
  return status::invalid_argument("expected " + std::string(to_string(want)) + ", got " +
                                  std::string(to_string(got.type())) + " " + got.to_string());
}

// conv<T>: how a member of type T maps to a value and back.
template <class T>
struct conv;

field_view text_view(std::string_view s) noexcept {
  return field_view::of_text(s);
}
field_view int_view(value_type t, std::int64_t i) noexcept {
  field_view v;
  v.type = t;
  v.integer = i;
  return v;
}

template <>
struct conv<std::string> {
  static constexpr value_type type = value_type::string;
  static value to(const std::string& s) { return value(s); }
  static field_view view(const std::string& s) noexcept { return text_view(s); }
  static status from(const value& v, std::string& out) {
    if (const auto* s = v.get_if<std::string>()) {
      out = *s;
      return {};
    }
    return type_error(type, v);
  }
};

template <class Tag>
struct conv<basic_id<Tag>> {
  static constexpr value_type type = value_type::string;
  static value to(const basic_id<Tag>& id) { return value(id.str()); }
  static field_view view(const basic_id<Tag>& id) noexcept { return text_view(id.str()); }
  static status from(const value& v, basic_id<Tag>& out) {
    if (const auto* s = v.get_if<std::string>()) {
      out = basic_id<Tag>(*s);
      return {};
    }
    return type_error(type, v);
  }
};

template <>
struct conv<bool> {
  static constexpr value_type type = value_type::boolean;
  static value to(bool b) { return value(b); }
  static field_view view(bool b) noexcept {
    field_view v;
    v.type = value_type::boolean;
    v.boolean = b;
    return v;
  }
  static status from(const value& v, bool& out) {
    if (const auto* b = v.get_if<bool>()) {
      out = *b;
      return {};
    }
    return type_error(type, v);
  }
};

template <>
struct conv<std::int64_t> {
  static constexpr value_type type = value_type::integer;
  static value to(std::int64_t i) { return value(i); }
  static field_view view(std::int64_t i) noexcept { return int_view(type, i); }
  static status from(const value& v, std::int64_t& out) {
    value c = v;
    if (c.is_null() || !coerce(c, type, "").ok()) return type_error(type, v);
    out = *c.get_if<std::int64_t>();
    return {};
  }
};

template <>
struct conv<money> {
  static constexpr value_type type = value_type::money;
  static value to(money m) { return value(m); }
  static field_view view(money m) noexcept { return int_view(type, m.minor()); }
  static status from(const value& v, money& out) {
    if (const auto* m = v.get_if<money>()) {
      out = *m;
      return {};
    }
    return type_error(type, v);
  }
};

template <>
struct conv<timestamp> {
  static constexpr value_type type = value_type::time;
  static value to(timestamp t) { return value(t); }
  static field_view view(timestamp t) noexcept { return int_view(type, to_unix_micros(t)); }
  static status from(const value& v, timestamp& out) {
    if (const auto* t = v.get_if<timestamp>()) {
      out = *t;
      return {};
    }
    return type_error(type, v);
  }
};

template <>
struct conv<duration> {
  static constexpr value_type type = value_type::interval;
  static value to(duration d) { return value(d); }
  static field_view view(duration d) noexcept { return int_view(type, d.count()); }
  static status from(const value& v, duration& out) {
    if (const auto* d = v.get_if<duration>()) {
      out = *d;
      return {};
    }
    return type_error(type, v);
  }
};

template <>
struct conv<std::vector<std::string>> {
  static constexpr value_type type = value_type::string_list;
  static value to(const std::vector<std::string>& l) { return value(l); }
  static field_view view(const std::vector<std::string>& l) noexcept {
    field_view v;
    v.type = value_type::string_list;
    v.list = &l;
    return v;
  }
  static status from(const value& v, std::vector<std::string>& out) {
    if (const auto* l = v.get_if<value::string_list>()) {
      out = *l;
      return {};
    }
    return type_error(type, v);
  }
};

// Enums travel as their names.
template <class E, std::string_view (*Name)(E) noexcept,
          std::optional<E> (*Parse)(std::string_view) noexcept>
struct enum_conv {
  static constexpr value_type type = value_type::string;
  static value to(E e) { return value(Name(e)); }
  static field_view view(E e) noexcept { return text_view(Name(e)); }
  static status from(const value& v, E& out) {
    const auto* s = v.get_if<std::string>();
    if (s == nullptr) return type_error(type, v);
    if (auto e = Parse(*s)) {
      out = *e;
      return {};
    }
    return status::invalid_argument("unknown value '" + *s + "'");
  }
};
std::string_view name_of(lead_status e) noexcept {
  return to_string(e);
}
std::string_view name_of(promise_state e) noexcept {
  return to_string(e);
}
std::string_view name_of(timer_state e) noexcept {
  return to_string(e);
}
template <>
struct conv<lead_status> : enum_conv<lead_status, name_of, parse_lead_status> {};
template <>
struct conv<promise_state> : enum_conv<promise_state, name_of, parse_promise_state> {};
template <>
struct conv<timer_state> : enum_conv<timer_state, name_of, parse_timer_state> {};

// Optional members read as null when empty; null clears them.
template <class T>
struct conv<std::optional<T>> {
  static constexpr value_type type = conv<T>::type;
  static value to(const std::optional<T>& o) { return o ? conv<T>::to(*o) : value{}; }
  static field_view view(const std::optional<T>& o) noexcept {
    return o ? conv<T>::view(*o) : field_view{};
  }
  static status from(const value& v, std::optional<T>& out) {
    if (v.is_null()) {
      out.reset();
      return {};
    }
    T tmp{};
    if (status s = conv<T>::from(v, tmp); !s.ok()) return s;
    out = std::move(tmp);
    return {};
  }
};

template <auto Member>
struct access;
template <class R, class T, T R::*Member>
struct access<Member> {
  static value get(const R& r) { return conv<T>::to(r.*Member); }
  static field_view view(const R& r) noexcept { return conv<T>::view(r.*Member); }
  static status set(R& r, const value& v) {
    T tmp{};
    if (status s = conv<T>::from(v, tmp); !s.ok()) return s;
    r.*Member = std::move(tmp);
    return {};
  }
};

template <auto Member>
struct member_type;
template <class R, class T, T R::*Member>
struct member_type<Member> {
  using record = R;
  using type = T;
};

template <auto Member>
constexpr builtin_field<typename member_type<Member>::record> field(std::string_view name,
                                                                    std::string_view aliases,
                                                                    std::string_view description) {
  return {name,
          conv<typename member_type<Member>::type>::type,
          aliases,
          description,
          &access<Member>::get,
          &access<Member>::set,
          &access<Member>::view};
}

// ------------------------------------------------------------------------------------------------

constexpr builtin_field<lead> lead_fields[] = {
    field<&lead::id>("id", "线索编号|线索ID", "the host's lead id"),
    field<&lead::source>("source", "线索来源|来源",
                         "where the lead came from: 官网表单, 抖音私信, ..."),
    field<&lead::channel>("channel", "渠道", "campaign or channel code"),
    field<&lead::created_at>("created_at", "创建时间", "when the lead was created"),
    field<&lead::company_name>("company_name", "公司名称|公司", "company name as entered"),
    field<&lead::contact_name>("contact_name", "联系人", "contact person"),
    field<&lead::phone>("phone", "电话|手机", "phone as entered"),
    field<&lead::email>("email", "邮箱", "e-mail as entered"),
    field<&lead::region>("region", "区域|地区", "sales region: 华东, 华南, ..."),
    field<&lead::industry>("industry", "行业", "industry"),
    field<&lead::budget>("budget", "客户预算|预算", "stated budget; blank when unknown"),
    field<&lead::tags>("tags", "标签", "free tags"),
    field<&lead::status>("status", "线索状态|状态",
                         "unassigned, assigned, touched, to_reassign, converted, disqualified"),
    field<&lead::owner>("owner", "负责人", "the rep who owns the lead"),
    field<&lead::assigned_at>("assigned_at", "分配时间", "when the current owner got the lead"),
    field<&lead::first_touch_at>("first_touch_at", "首次跟进时间",
                                 "when the owner first made contact"),
    field<&lead::customer>("customer", "客户编号", "the customer the lead belongs to"),
};

constexpr builtin_field<customer> customer_fields[] = {
    field<&customer::id>("id", "客户编号|客户ID", "the host's customer id"),
    field<&customer::name>("name", "客户名称|名称", "registered or common name"),
    field<&customer::uscc>("uscc", "统一社会信用代码|信用代码",
                           "unified social credit code (GB 32100-2015)"),
    field<&customer::phones>("phones", "电话", "phone numbers"),
    field<&customer::emails>("emails", "邮箱", "e-mail addresses"),
    field<&customer::address>("address", "地址", "postal address"),
    field<&customer::region>("region", "区域|地区", "sales region"),
    field<&customer::industry>("industry", "行业", "industry"),
    field<&customer::tier>("tier", "客户等级|等级",
                           "tier (A/B/C/D or as the rules file names them)"),
    field<&customer::owner>("owner", "负责人", "the rep who owns the account"),
    field<&customer::created_at>("created_at", "创建时间", "when the customer was created"),
    field<&customer::updated_at>("updated_at", "更新时间", "when the customer was last updated"),
};

constexpr builtin_field<contact> contact_fields[] = {
    field<&contact::id>("id", "联系人编号", "the host's contact id"),
    field<&contact::customer>("customer", "客户编号", "the customer the contact works for"),
    field<&contact::name>("name", "姓名", "full name"),
    field<&contact::title>("title", "职位", "job title"),
    field<&contact::phones>("phones", "电话", "phone numbers"),
    field<&contact::emails>("emails", "邮箱", "e-mail addresses"),
};

constexpr builtin_field<rep> rep_fields[] = {
    field<&rep::id>("id", "员工编号|销售编号", "the host's user id"),
    field<&rep::name>("name", "姓名", "full name"),
    field<&rep::team>("team", "团队", "team id"),
    field<&rep::role>("role", "角色", "role: sales, senior, manager, director, ..."),
    field<&rep::active>("active", "在职", "false when the rep left or is disabled"),
    field<&rep::accepts_leads>("accepts_leads", "接收线索",
                               "false when the rep takes no new leads"),
    field<&rep::hired_at>("hired_at", "入职日期", "hire date"),
    field<&rep::daily_cap>("daily_cap", "每日上限", "max new leads per day; blank = no cap"),
    field<&rep::open_cap>("open_cap", "持有上限", "max open leads; blank = no cap"),
    field<&rep::regions>("regions", "负责区域", "regions served"),
    field<&rep::industries>("industries", "擅长行业", "industries served"),
    field<&rep::skills>("skills", "技能", "skills"),
    field<&rep::today_follow_ups>("today_follow_ups", "今日跟进数", "follow-ups done today"),
    field<&rep::open_tasks>("open_tasks", "待办任务数", "open tasks"),
    field<&rep::open_leads>("open_leads", "持有线索数", "leads held open"),
    field<&rep::assigned_today>("assigned_today", "今日已分配", "leads received today"),
    field<&rep::revenue_3d>("revenue_3d", "近3天业绩", "revenue closed in the last 3 days"),
    field<&rep::avg_response>("avg_response", "平均响应时长",
                              "historical mean time to first touch"),
    field<&rep::last_assigned_at>("last_assigned_at", "最近分配时间",
                                  "when the rep last received a lead"),
};

constexpr builtin_field<team> team_fields[] = {
    field<&team::id>("id", "团队编号", "the host's team id"),
    field<&team::name>("name", "团队名称", "team name"),
    field<&team::manager>("manager", "经理", "the team's manager (a rep id)"),
};

constexpr builtin_field<opportunity> opportunity_fields[] = {
    field<&opportunity::id>("id", "商机编号", "the host's opportunity id"),
    field<&opportunity::name>("name", "商机名称", "deal name"),
    field<&opportunity::customer>("customer", "客户编号", "the customer"),
    field<&opportunity::owner>("owner", "负责人", "the rep who owns the deal"),
    field<&opportunity::stage>("stage", "销售阶段|阶段", "current pipeline stage id"),
    field<&opportunity::entered_stage_at>("entered_stage_at", "进入阶段时间",
                                          "when the deal entered its stage"),
    field<&opportunity::amount>("amount", "商机金额|金额", "expected amount"),
    field<&opportunity::created_at>("created_at", "创建时间", "when the deal was created"),
    field<&opportunity::closed_at>("closed_at", "关闭时间", "when the deal was won or lost"),
};

constexpr builtin_field<event> event_fields[] = {
    field<&event::id>("id", "事件编号", "the host's event id"),
    field<&event::type>("type", "事件类型|类型",
                        "site_visit, whitepaper_download, demo_attended, ..."),
    field<&event::at>("at", "发生时间|时间", "when it happened"),
    field<&event::customer>("customer", "客户编号", "the customer, if known"),
    field<&event::lead>("lead", "线索编号", "the lead, if known"),
    field<&event::channel>("channel", "渠道", "channel"),
};

constexpr builtin_field<promise> promise_fields[] = {
    field<&promise::id>("id", "承诺编号", "the host's promise id"),
    field<&promise::deliverable>("deliverable", "交付物", "what was promised"),
    field<&promise::due>("due", "截止时间", "when it is due"),
    field<&promise::owner>("owner", "负责人", "the salesperson who promised"),
    field<&promise::delivery_owner>("delivery_owner", "交付负责人", "who delivers"),
    field<&promise::customer>("customer", "客户编号", "the customer"),
    field<&promise::opportunity>("opportunity", "商机编号", "the opportunity"),
    field<&promise::acceptance_criteria>("acceptance_criteria", "验收标准",
                                         "how delivery is accepted"),
    field<&promise::state>("state", "状态", "open, delivered, accepted, broken, cancelled"),
    field<&promise::created_at>("created_at", "创建时间", "when it was promised"),
};

value timer_subject_kind(const timer& t) {
  return value(to_string(t.subject.kind));
}
status set_timer_subject_kind(timer& t, const value& v) {
  const auto* s = v.get_if<std::string>();
  if (s == nullptr) return type_error(value_type::string, v);
  auto k = parse_record_kind(*s);
  if (!k) return status::invalid_argument("unknown record kind '" + *s + "'");
  t.subject.kind = *k;
  return {};
}
value timer_subject_id(const timer& t) {
  return value(t.subject.id);
}
field_view view_timer_subject_kind(const timer& t) noexcept {
  return text_view(to_string(t.subject.kind));
}
field_view view_timer_subject_id(const timer& t) noexcept {
  return text_view(t.subject.id);
}
status set_timer_subject_id(timer& t, const value& v) {
  return conv<std::string>::from(v, t.subject.id);
}

constexpr builtin_field<timer> timer_fields[] = {
    field<&timer::id>("id", "", "the timer id"),
    field<&timer::policy>("policy", "策略", "the SLA policy"),
    {"subject_kind", value_type::string, "", "kind of record the deadline is about",
     &timer_subject_kind, &set_timer_subject_kind, &view_timer_subject_kind},
    {"subject_id", value_type::string, "", "id of the record the deadline is about",
     &timer_subject_id, &set_timer_subject_id, &view_timer_subject_id},
    field<&timer::due_at>("due_at", "到期时间", "when it is due"),
    field<&timer::step>("step", "", "next escalation step"),
    field<&timer::state>("state", "状态", "pending, paused, fired, cancelled"),
    field<&timer::remaining>("remaining", "", "business time left while paused"),
    field<&timer::created_at>("created_at", "创建时间", "when it was scheduled"),
};

}  // namespace

#define CRMRULES_DEFINE_FIELDS(R)                                         \
  std::span<const builtin_field<R>> record_traits<R>::fields() noexcept { \
    return R##_fields;                                                    \
  }
CRMRULES_DEFINE_FIELDS(lead)
CRMRULES_DEFINE_FIELDS(customer)
CRMRULES_DEFINE_FIELDS(contact)
CRMRULES_DEFINE_FIELDS(rep)
CRMRULES_DEFINE_FIELDS(team)
CRMRULES_DEFINE_FIELDS(opportunity)
CRMRULES_DEFINE_FIELDS(event)
CRMRULES_DEFINE_FIELDS(promise)
CRMRULES_DEFINE_FIELDS(timer)
#undef CRMRULES_DEFINE_FIELDS

}  // namespace crmrules
