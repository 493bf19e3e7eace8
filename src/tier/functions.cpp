#include "tier/functions.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
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

/// The view and the type id for a call; nullopt type when the type was never seen (count 0).
struct lookup {
  const detail::window_view* view = nullptr;
  std::optional<event_windows::type_id> type;
};

/// The type ids of the type names formulas pass, remembered per thread in a small direct-mapped
/// cache keyed by the name's address (a formula's constant keeps its address) and checked
/// against a copy of the name and the windows' instance number, so a reused address can never
/// give a wrong answer. Only hits are kept: a type not seen yet may be interned later.
struct type_cache {
  static constexpr std::size_t max_name = 30;
  struct slot {
    std::uint64_t windows = 0;  // instance number; 0: empty
    event_windows::type_id type = 0;
    std::uint8_t size = 0;
    std::array<char, max_name> name{};
  };
  std::array<slot, 64> slots{};

  std::optional<event_windows::type_id> find(const event_windows& w, std::string_view name) {
    if (name.size() > max_name) return w.type_of(name);
    const auto h = (reinterpret_cast<std::uintptr_t>(name.data()) >> 3) ^ name.size();
    slot& s = slots[h % slots.size()];
    if (s.windows == w.instance() && s.size == name.size() &&
        std::memcmp(s.name.data(), name.data(), name.size()) == 0)
      return s.type;
    const auto t = w.type_of(name);
    if (t) {
      s.windows = w.instance();
      s.type = *t;
      s.size = static_cast<std::uint8_t>(name.size());
      std::memcpy(s.name.data(), name.data(), name.size());
    }
    return t;
  }
};

lookup find(const formula_value& type_arg) {
  thread_local type_cache cache;
  lookup l;
  l.view = current_view();
  if (l.view != nullptr) l.type = cache.find(*l.view->windows, type_arg.as_string());
  return l;
}

formula_value count_events(std::span<const formula_value> args, const eval_context& ctx,
                           const void*) {
  if (args[0].is_blank() || args[1].is_blank()) return formula_value::blank(formula_type::number);
  const lookup l = find(args[0]);
  if (l.view == nullptr) return formula_value::error(formula_type::number, formula_error::na);
  const duration window = args[1].as_duration();
  if (window <= duration::zero() || window > l.view->windows->options().horizon)
    return formula_value::error(formula_type::number, formula_error::num);
  if (!l.type) return formula_value::of_number(0);
  return formula_value::of_number(
      static_cast<double>(l.view->windows->count(l.view->customer, *l.type, window, ctx.now())));
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
  const lookup l = find(args[0]);
  if (l.view == nullptr) return formula_value::error(formula_type::time, formula_error::na);
  if (!l.type) return formula_value::blank(formula_type::time);
  const auto at = l.view->windows->last(l.view->customer, *l.type, ctx.now());
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
