#include "assign/policy_loader.hpp"

#include <cmath>

namespace crmrules::detail {

formula_env assign_env(const schema_set& schemas, const rules_options& options, bool with_rep) {
  formula_env env(schemas);
  (void)env.add_scope("lead", record_kind::lead, {std::string(chinese_name(record_kind::lead))});
  if (with_rep) {
    (void)env.add_scope("rep", record_kind::rep, {std::string(chinese_name(record_kind::rep))});
    (void)env.add_variable("rep.load", formula_type::number, assign::policy::rep_scope);
  }
  for (const auto& f : options.functions)
    (void)env.add_function(f);  // a bad one is reported by the "formulas" section too
  return env;
}

namespace {

std::optional<double> non_negative(object_reader& r, std::string_view key) {
  auto v = r.number(key);
  if (v && (!std::isfinite(*v) || *v < 0)) {
    r.context().error(r.child(key), "'" + std::string(key) + "' must be a number >= 0");
    return std::nullopt;
  }
  return v;
}

void load_pools(object_reader& section, const formula_env& lead_env, const rules_options& options,
                assign::policy& p) {
  load_context& ctx = section.context();
  const nlohmann::json* node = section.get("pools");
  if (node == nullptr) return;
  const std::string pointer = section.child("pools");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader r(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!r.valid()) continue;
    assign::pool pool;
    if (auto name = r.string("name", /*required=*/true)) pool.name = *name;
    for (const auto& other : p.pools) {
      if (other.name == pool.name && !pool.name.empty())
        ctx.error(r.child("name"), "pool '" + pool.name + "' is defined twice");
    }
    if (auto team = r.string("team")) pool.team = team_id{*team};
    if (auto members = r.string_list("members")) {
      for (auto& m : *members)
        pool.members.push_back(rep_id{std::move(m)});
    }
    if (const nlohmann::json* takes = r.get("takes")) {
      pool.takes = compile_file_formula(ctx, *takes, r.child("takes"), lead_env, options.limits,
                                        formula_type::boolean, "'takes'");
    }
    if (auto mode = r.choice("mode", {"score", "round_robin"})) {
      pool.mode =
          *mode == "round_robin" ? assign::pool_mode::round_robin : assign::pool_mode::score;
    }
    if (auto weights = r.object("rotation_weights")) {
      for (const auto& role : weights->member_names()) {
        if (auto w = non_negative(*weights, role)) pool.rotation_weights.emplace(role, *w);
      }
      weights->finish();
    }
    r.finish();
    p.pools.push_back(std::move(pool));
  }
}

}  // namespace

std::shared_ptr<const assign::policy> load_assign_policy(object_reader& section,
                                                         const schema_set& schemas,
                                                         const rules_options& options) {
  load_context& ctx = section.context();
  auto p = std::make_shared<assign::policy>();
  const formula_env env = assign_env(schemas, options, true);
  const formula_env lead_env = assign_env(schemas, options, false);

  load_pools(section, lead_env, options, *p);
  if (const nlohmann::json* covers = section.get("covers")) {
    p->covers = compile_file_formula(ctx, *covers, section.child("covers"), lead_env,
                                     options.limits, formula_type::boolean, "'covers'");
  }
  if (const nlohmann::json* eligible = section.get("eligible")) {
    p->eligible = compile_file_formula(ctx, *eligible, section.child("eligible"), env,
                                       options.limits, formula_type::boolean, "'eligible'");
  }
  if (const nlohmann::json* score = section.get("score", /*required=*/true)) {
    p->score = compile_file_formula(ctx, *score, section.child("score"), env, options.limits,
                                    formula_type::number, "the score");
  }
  if (auto load = section.object("load")) {
    if (auto v = non_negative(*load, "follow_ups")) p->load.follow_ups = *v;
    if (auto v = non_negative(*load, "open_tasks")) p->load.open_tasks = *v;
    if (auto v = non_negative(*load, "open_leads")) p->load.open_leads = *v;
    if (auto v = non_negative(*load, "revenue_3d_per_10k")) p->load.revenue_3d_per_10k = *v;
    load->finish();
  }
  if (auto roles = section.object("role_coefficients")) {
    for (const auto& role : roles->member_names()) {
      if (auto c = non_negative(*roles, role)) p->role_coefficients.emplace(role, *c);
    }
    roles->finish();
  }
  if (auto cold = section.object("cold_start")) {
    if (auto d = cold->integer("days", false, 0, 3650))
      p->cold_start_period = std::chrono::days(*d);
    if (const nlohmann::json* leads = cold->get("leads", /*required=*/true)) {
      p->cold_start_leads =
          compile_file_formula(ctx, *leads, cold->child("leads"), lead_env, options.limits,
                               formula_type::boolean, "the cold-start rule");
    }
    cold->finish();
  }
  if (auto reclaim = section.object("reclaim")) {
    if (auto d = reclaim->duration_value("remind_owner")) p->reclaim.remind_owner = *d;
    if (auto d = reclaim->duration_value("notify_manager")) p->reclaim.notify_manager = *d;
    if (auto d = reclaim->duration_value("reassign")) p->reclaim.reassign = *d;
    const auto& r = p->reclaim;
    if (r.reassign <= duration::zero())
      ctx.error(reclaim->child("reassign"), "'reassign' must be a positive duration");
    if (r.notify_manager && *r.notify_manager >= r.reassign)
      ctx.error(reclaim->child("notify_manager"), "'notify_manager' must come before 'reassign'");
    if (r.remind_owner && *r.remind_owner >= (r.notify_manager ? *r.notify_manager : r.reassign))
      ctx.error(reclaim->child("remind_owner"), "'remind_owner' must come before the next step");
    reclaim->finish();
  }
  if (auto fallback = section.object("fallback")) {
    if (auto r = fallback->string("rep", /*required=*/true)) p->fallback = rep_id{*r};
    if (auto alert = fallback->string_list("alert")) p->alert_recipients = std::move(*alert);
    fallback->finish();
  }
  section.finish();
  return p;
}

}  // namespace crmrules::detail
