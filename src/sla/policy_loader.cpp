#include "sla/policy_loader.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "util/suggest.hpp"

namespace crmrules::detail {

namespace {

/// The notification levels by name, in enum order (info ... alert).
std::vector<std::string_view> level_names() {
  std::vector<std::string_view> out;
  for (auto l = static_cast<int>(notification_level::info);
       l <= static_cast<int>(notification_level::alert); ++l)
    out.push_back(to_string(static_cast<notification_level>(l)));
  return out;
}

void load_steps(object_reader& r, sla::policy& p) {
  load_context& ctx = r.context();
  const nlohmann::json* node = r.get("steps", /*required=*/true);
  if (node == nullptr) return;
  const std::string pointer = r.child("steps");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  if (*n == 0) ctx.error(pointer, "a policy needs at least one step");
  for (std::size_t i = 0; i < *n; ++i) {
    const std::string at = pointer + "/" + std::to_string(i);
    object_reader s(ctx, (*node)[i], at);
    if (!s.valid()) continue;
    sla::step st;
    if (auto off = s.duration_value("at", /*required=*/true, /*allow_negative=*/true))
      st.offset = *off;
    if (auto action = s.string("action", /*required=*/true)) st.action = *action;
    st.name = st.action;
    if (auto name = s.string("name")) st.name = *name;
    if (auto to = s.string_list("to")) {
      for (std::size_t k = 0; k < to->size(); ++k) {
        const std::string& who = (*to)[k];
        if (who.empty() || who == "$") {
          ctx.error(s.child("to") + "/" + std::to_string(k),
                    "a recipient is a rep id, a role, or \"$party\"");
        }
      }
      st.to = std::move(*to);
    }
    st.level =
        st.offset < duration::zero() ? notification_level::warning : notification_level::escalation;
    const auto levels = level_names();
    if (auto level = s.choice("level", levels)) {
      for (std::size_t k = 0; k < levels.size(); ++k) {
        if (levels[k] == *level) st.level = static_cast<notification_level>(k);
      }
    }
    s.finish();
    if (!p.steps.empty() && st.offset < p.steps.back().offset) {
      ctx.error(at + "/at", "step '" + st.name + "' comes before step '" + p.steps.back().name +
                                "'; list steps in the order of their \"at\"");
    }
    for (const auto& other : p.steps) {
      if (other.name == st.name) {
        ctx.error(at, "a second step named '" + st.name + "'", "give each step its own \"name\"");
      }
    }
    p.steps.push_back(std::move(st));
  }
}

}  // namespace

sla::policy_set load_sla_policies(
    object_reader& section,
    const std::map<std::string, std::shared_ptr<const sla::business_calendar>, std::less<>>&
        calendars,
    const std::vector<std::string>& declared) {
  sla::policy_set out;
  load_context& ctx = section.context();
  for (const auto& name : section.member_names()) {
    auto r = section.object(name);
    if (!r) continue;
    sla::policy p;
    p.name = name;
    if (auto about = r->choice("about", record_kind_names(), /*required=*/true)) {
      if (auto k = parse_record_kind(*about)) p.about = *k;
    }
    if (auto due = r->duration_value("due")) p.due = *due;
    if (auto cal = r->string("calendar")) {
      const auto it = calendars.find(*cal);
      const bool has_errors = std::find(declared.begin(), declared.end(), *cal) != declared.end();
      if (it == calendars.end() && has_errors) {
        // The calendar is there but did not load: its own errors say why.
      } else if (it == calendars.end()) {
        std::vector<std::string_view> known;
        for (const auto& [k, v] : calendars)
          known.push_back(k);
        ctx.error(r->child("calendar"),
                  "no calendar named '" + *cal + "' in the \"calendars\" section",
                  closest_match(*cal, known).value_or(""));
      } else {
        p.calendar = it->second;
        p.calendar_name = *cal;
      }
    }
    if (auto mode = r->choice("on_recovery", {"fire", "skip"}))
      p.on_recovery = *mode == "skip" ? sla::recovery_mode::skip : sla::recovery_mode::fire;
    r->string("description", false, true);
    load_steps(*r, p);
    r->finish();
    if (ctx.failed()) continue;
    const std::string pointer = section.child(name);
    if (status s = out.add(std::move(p)); !s.ok()) ctx.error(pointer, s.message());
  }
  section.finish();
  return out;
}

}  // namespace crmrules::detail
