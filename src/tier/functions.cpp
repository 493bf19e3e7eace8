#include "tier/functions.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "crmrules/dedup/policy.hpp"
#include "crmrules/rules/formula.hpp"
#include "crmrules/tier/policy.hpp"

namespace crmrules::tier {

namespace detail {

const window_view*& current_view() noexcept {
  thread_local const window_view* view = nullptr;
  return view;
}

}  // namespace detail

namespace {

using detail::current_view;

/// The type id of a call's type argument, for the view `v`: -1 when the type was never seen
/// (count 0). A plain integer rather than an optional: returned in a register.
std::int32_t find(const detail::window_view& v, const formula_value& type_arg) {
  const std::string_view name = type_arg.as_string();
  for (const detail::type_site& site : v.sites) {
    if (site.name == name.data() && site.size == name.size())  // a constant of the policy
      return site.type;
  }
  const auto t = v.windows->type_of(name);
  return t ? std::int32_t{*t} : -1;
}

bool takes_window(std::string_view function) {
  return function == "COUNT_EVENTS" || function == "HAS_EVENT";
}

formula_value count_events(std::span<const formula_value> args, const eval_context& ctx,
                           const void*) {
  if (args[0].is_blank() || args[1].is_blank()) return formula_value::blank(formula_type::number);
  const detail::window_view* v = current_view();
  if (v == nullptr) return formula_value::error(formula_type::number, formula_error::na);
  const duration window = args[1].as_duration();
  if (window <= duration::zero() || window > v->windows->options().horizon)
    return formula_value::error(formula_type::number, formula_error::num);
  const std::int32_t type = find(*v, args[0]);
  if (type < 0) return formula_value::of_number(0);
  return formula_value::of_number(static_cast<double>(v->windows->count(
      v->customer, static_cast<event_windows::type_id>(type), window, ctx.now())));
}

formula_value has_event(std::span<const formula_value> args, const eval_context& ctx,
                        const void* user) {
  const formula_value n = count_events(args, ctx, user);
  if (n.is_error()) return formula_value::error(formula_type::boolean, n.error());
  if (n.is_blank()) return formula_value::blank(formula_type::boolean);
  return formula_value::of_bool(n.as_number() >= 1);
}

formula_value last_event_at(std::span<const formula_value> args, const eval_context& ctx,
                            const void*) {
  if (args[0].is_blank()) return formula_value::blank(formula_type::time);
  const detail::window_view* v = current_view();
  if (v == nullptr) return formula_value::error(formula_type::time, formula_error::na);
  const std::int32_t type = find(*v, args[0]);
  if (type < 0) return formula_value::blank(formula_type::time);
  const auto at =
      v->windows->last(v->customer, static_cast<event_windows::type_id>(type), ctx.now());
  return at ? formula_value::of_time(*at) : formula_value::blank(formula_type::time);
}

formula_value days_since_last(std::span<const formula_value> args, const eval_context& ctx,
                              const void* user) {
  const formula_value at = last_event_at(args, ctx, user);
  if (at.is_error()) return formula_value::error(formula_type::number, at.error());
  if (at.is_blank()) return formula_value::blank(formula_type::number);
  return formula_value::of_number(
      std::chrono::duration<double, std::ratio<86400>>(ctx.now() - at.as_time()).count());
}

function_def make(const char* name, std::vector<formula_type> params, formula_type returns,
                  function_def::impl_fn impl, const char* description) {
  function_def f;
  f.name = name;
  f.params = std::move(params);
  f.returns = returns;
  f.impl = impl;
  f.pure = false;  // reads the customer's events
  f.reads_scopes = 1;
  f.reads_now = true;
  f.description = description;
  return f;
}

}  // namespace

bool detail::is_event_function(std::string_view name) noexcept {
  return takes_window(name) || name == "LAST_EVENT_AT" || name == "DAYS_SINCE_LAST";
}

std::vector<detail::event_call> detail::event_calls(const formula& f) {
  std::vector<event_call> out;
  for (const formula::host_call_site& site : f.host_calls()) {
    if (!is_event_function(site.function) || site.args.empty()) continue;
    const auto& type = site.args[0];
    if (!type || type->is_blank() || type->is_error() || type->type() != formula_type::string)
      continue;
    event_call c;
    c.type = type->as_string();
    c.offset = site.offset;
    c.length = site.length;
    if (takes_window(site.function) && site.args.size() > 1) {
      const auto& w = site.args[1];
      if (w && !w->is_blank() && !w->is_error() && w->type() == formula_type::interval)
        c.window = w->as_duration();
    }
    out.push_back(c);
  }
  return out;
}

std::optional<std::size_t> tier_policy::find(std::string_view name) const {
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i].name == name) return i;
  }
  return std::nullopt;
}

formula_env tier_env(const schema_set& schemas, const std::vector<function_def>& extra) {
  formula_env env(schemas);
  (void)env.add_scope("customer", record_kind::customer,
                      {std::string(chinese_name(record_kind::customer))});
  (void)env.add_function(make("COUNT_EVENTS", {formula_type::string, formula_type::interval},
                              formula_type::number, count_events,
                              "events of a type in the last window: COUNT_EVENTS(\"site_visit\", "
                              "30d)"));
  (void)env.add_function(make("HAS_EVENT", {formula_type::string, formula_type::interval},
                              formula_type::boolean, has_event,
                              "at least one event of a type in the last window"));
  (void)env.add_function(make("LAST_EVENT_AT", {formula_type::string}, formula_type::time,
                              last_event_at, "the time of the last event of a type"));
  (void)env.add_function(make("DAYS_SINCE_LAST", {formula_type::string}, formula_type::number,
                              days_since_last, "days since the last event of a type"));
  (void)env.add_function(dedup::phone_valid_function());
  for (const auto& f : extra)
    (void)env.add_function(f);  // a bad one is reported by the "formulas" section too
  return env;
}

}  // namespace crmrules::tier
