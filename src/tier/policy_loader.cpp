#include "tier/policy_loader.hpp"

#include <set>
#include <string_view>
#include <vector>

#include "tier/functions.hpp"
#include "util/suggest.hpp"

namespace crmrules::detail {

namespace {

void load_params(object_reader& a, tier::action_def& out) {
  const nlohmann::json* node = a.get("params");
  if (node == nullptr) return;
  object_reader p(a.context(), *node, a.child("params"));
  if (!p.valid()) return;
  for (const auto& key : p.member_names()) {
    const nlohmann::json* v = p.get(key);
    if (v->is_string()) {
      out.params.set(key, v->get<std::string>());
    } else if (v->is_boolean()) {
      out.params.set(key, v->get<bool>());
    } else if (v->is_number_integer()) {
      out.params.set(key, v->get<std::int64_t>());
    } else if (v->is_number()) {
      out.params.set(key, v->get<double>());
    } else {
      a.context().error(p.child(key), "an action parameter is a string, a number or a boolean");
    }
  }
  p.finish();
}

std::vector<tier::action_def> load_actions(object_reader& r, const sla::policy_set* sla) {
  std::vector<tier::action_def> out;
  load_context& ctx = r.context();
  const nlohmann::json* node = r.get("actions");
  if (node == nullptr) return out;
  const std::string pointer = r.child("actions");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return out;
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader a(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!a.valid()) continue;
    tier::action_def act;
    if (auto name = a.string("action", /*required=*/true)) act.action = *name;
    if (auto to = a.string_list("to")) act.to = std::move(*to);
    if (auto policy = a.string("sla")) {
      const sla::policy* p = sla != nullptr ? sla->find(*policy) : nullptr;
      if (p == nullptr) {
        std::vector<std::string> names = sla != nullptr ? sla->names() : std::vector<std::string>{};
        std::vector<std::string_view> views(names.begin(), names.end());
        ctx.error(a.child("sla"), "no SLA policy named '" + *policy + "' in the \"sla\" section",
                  closest_match(*policy, views).value_or(""));
      } else if (p->about != record_kind::customer) {
        ctx.error(a.child("sla"), "SLA policy '" + *policy + "' is about a " +
                                      std::string(to_string(p->about)) +
                                      "; a tier action starts deadlines about customers");
      } else {
        for (const auto& party : p->parties()) {
          if (party != "owner") {
            ctx.error(a.child("sla"), "SLA policy '" + *policy + "' needs the party '" + party +
                                          "'; a tier action fills in only \"owner\"");
          }
        }
        act.sla = *policy;
      }
    }
    load_params(a, act);
    a.finish();
    out.push_back(std::move(act));
  }
  return out;
}

std::vector<tier::daily_requirement> load_daily(object_reader& r) {
  std::vector<tier::daily_requirement> out;
  load_context& ctx = r.context();
  const nlohmann::json* node = r.get("daily");
  if (node == nullptr) return out;
  const std::string pointer = r.child("daily");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return out;
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader d(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!d.valid()) continue;
    tier::daily_requirement req;
    if (auto e = d.string("event", /*required=*/true)) req.event = *e;
    if (auto m = d.integer("min", false, 1, 1000)) req.min = *m;
    d.finish();
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace

std::shared_ptr<const tier::tier_policy> load_tier_policy(object_reader& section,
                                                          const schema_set& schemas,
                                                          const rules_options& options,
                                                          const sla::policy_set* sla) {
  auto p = std::make_shared<tier::tier_policy>();
  load_context& ctx = section.context();
  if (auto h = section.duration_value("horizon")) {
    if (*h < std::chrono::days(1) || *h > std::chrono::days(3650)) {
      ctx.error(section.child("horizon"), "the horizon is between 1d and 3650d");
    } else {
      p->horizon = *h;
    }
  }
  if (auto cap = section.integer("cap_per_type", false, 1, 1'000'000))
    p->cap_per_type = static_cast<std::uint32_t>(*cap);
  const formula_env env = tier::tier_env(schemas, options.functions);
  // A constant window the windows cannot answer would make every evaluation #NUM!: refused here.
  const formula_checker check_windows = [&p](const formula& f) {
    std::vector<fx::formula_issue> issues;
    for (const tier::detail::event_call& c : tier::detail::event_calls(f)) {
      if (!c.window) continue;
      if (*c.window <= duration::zero()) {
        issues.push_back({c.offset, c.length, "the window must be longer than zero", ""});
      } else if (*c.window > p->horizon) {
        issues.push_back({c.offset, c.length,
                          "the window " + format_duration(*c.window) +
                              " is longer than the horizon (" + format_duration(p->horizon) +
                              "): events older than it are not kept; raise the section's "
                              "\"horizon\" or ask for a shorter window",
                          ""});
      }
    }
    return issues;
  };

  std::set<std::string> names;
  auto read_list = [&](std::string_view key, bool required, auto&& each) {
    const nlohmann::json* node = section.get(key, required);
    if (node == nullptr) return;
    const std::string pointer = section.child(key);
    const auto n = expect_array(ctx, *node, pointer);
    if (!n) return;
    if (*n == 0 && required) ctx.error(pointer, "at least one tier");
    for (std::size_t i = 0; i < *n; ++i) {
      object_reader r(ctx, (*node)[i], pointer + "/" + std::to_string(i));
      if (!r.valid()) continue;
      std::string name;
      if (auto v = r.string("name", /*required=*/true)) {
        name = *v;
        if (!names.insert(name).second)
          ctx.error(r.child("name"), "a second tier or upgrade named '" + name + "'");
      }
      std::shared_ptr<const formula> when;
      if (const nlohmann::json* w = r.get("when", /*required=*/true)) {
        when = compile_file_formula(ctx, *w, r.child("when"), env, options.limits,
                                    formula_type::boolean, "the condition", check_windows);
      }
      r.string("description", false, true);
      each(r, std::move(name), std::move(when));
      r.finish();
    }
  };
  read_list("levels", true,
            [&](object_reader& r, std::string name, std::shared_ptr<const formula> when) {
              tier::tier_def t;
              t.name = std::move(name);
              t.when = std::move(when);
              t.actions = load_actions(r, sla);
              t.daily = load_daily(r);
              p->tiers.push_back(std::move(t));
            });
  read_list("upgrades", false,
            [&](object_reader& r, std::string name, std::shared_ptr<const formula> when) {
              tier::upgrade_def u;
              u.name = std::move(name);
              u.when = std::move(when);
              u.actions = load_actions(r, sla);
              if (r.get("daily") != nullptr)
                ctx.error(r.child("daily"), "daily must-do touches belong to tiers, not upgrades");
              if (p->upgrades.size() == 64) {
                ctx.error(r.pointer(), "at most 64 upgrades");
                return;
              }
              p->upgrades.push_back(std::move(u));
            });
  section.string("description", false, true);
  section.finish();
  return p;
}

}  // namespace crmrules::detail
