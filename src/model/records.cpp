#include "crmrules/model/records.hpp"

#include <array>

namespace crmrules {
namespace {

template <class E, std::size_t N>
std::optional<E> parse_enum(const std::array<std::string_view, N>& names,
                            std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view enum_name(const std::array<std::string_view, N>& names, E e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : std::string_view("unknown");
}

constexpr std::array<std::string_view, record_kind_count> kind_names{
    "lead", "customer", "contact", "rep", "team", "opportunity", "event", "promise", "timer"};
constexpr std::array<std::string_view, 6> lead_status_names{
    "unassigned", "assigned", "touched", "to_reassign", "converted", "disqualified"};
constexpr std::array<std::string_view, 8> evidence_type_names{
    "note",  "call_recording",  "screenshot", "pdf", "signed_document",
    "email", "meeting_minutes", "approval"};
constexpr std::array<std::string_view, 5> promise_state_names{"open", "delivered", "accepted",
                                                              "broken", "cancelled"};
constexpr std::array<std::string_view, 4> timer_state_names{"pending", "paused", "fired",
                                                            "cancelled"};
constexpr std::array<std::string_view, 12> decision_kind_names{
    "assignment", "fallback", "reassignment", "reclaim",     "stage_move", "gate_refusal",
    "override",   "merge",    "merge_undo",   "tier_change", "escalation", "other"};

}  // namespace

std::string_view chinese_name(record_kind k) noexcept {
  static constexpr std::array<std::string_view, record_kind_count> names{
      "线索", "客户", "联系人", "销售", "团队", "商机", "事件", "承诺", "时限"};
  return enum_name(names, k);
}

std::string_view to_string(record_kind k) noexcept {
  return enum_name(kind_names, k);
}
std::optional<record_kind> parse_record_kind(std::string_view n) noexcept {
  return parse_enum<record_kind>(kind_names, n);
}
std::string_view to_string(lead_status s) noexcept {
  return enum_name(lead_status_names, s);
}
std::optional<lead_status> parse_lead_status(std::string_view n) noexcept {
  return parse_enum<lead_status>(lead_status_names, n);
}
std::string_view to_string(evidence_type t) noexcept {
  return enum_name(evidence_type_names, t);
}
std::optional<evidence_type> parse_evidence_type(std::string_view n) noexcept {
  return parse_enum<evidence_type>(evidence_type_names, n);
}
std::string_view to_string(promise_state s) noexcept {
  return enum_name(promise_state_names, s);
}
std::optional<promise_state> parse_promise_state(std::string_view n) noexcept {
  return parse_enum<promise_state>(promise_state_names, n);
}
std::string_view to_string(timer_state s) noexcept {
  return enum_name(timer_state_names, s);
}
std::optional<timer_state> parse_timer_state(std::string_view n) noexcept {
  return parse_enum<timer_state>(timer_state_names, n);
}
std::string_view to_string(decision_kind k) noexcept {
  return enum_name(decision_kind_names, k);
}
std::optional<decision_kind> parse_decision_kind(std::string_view n) noexcept {
  return parse_enum<decision_kind>(decision_kind_names, n);
}

}  // namespace crmrules
