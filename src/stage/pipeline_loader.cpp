#include "stage/pipeline_loader.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "util/suggest.hpp"

namespace crmrules::detail {

namespace {

formula_env opportunity_env(const schema_set& schemas, const rules_options& options) {
  formula_env env(schemas);
  (void)env.add_scope("opportunity", record_kind::opportunity,
                      {std::string(chinese_name(record_kind::opportunity))});
  for (const auto& f : options.functions)
    (void)env.add_function(f);  // a bad one is reported by the "formulas" section too
  return env;
}

std::vector<std::string_view> evidence_type_names() {
  std::vector<std::string_view> out;
  for (auto t : {evidence_type::note, evidence_type::call_recording, evidence_type::screenshot,
                 evidence_type::pdf, evidence_type::signed_document, evidence_type::email,
                 evidence_type::meeting_minutes, evidence_type::approval})
    out.push_back(to_string(t));
  return out;
}

void load_evidence(object_reader& r, stage::stage_def& s) {
  load_context& ctx = r.context();
  const nlohmann::json* node = r.get("evidence");
  if (node == nullptr) return;
  const std::string pointer = r.child("evidence");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  const auto names = evidence_type_names();
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader e(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!e.valid()) continue;
    stage::evidence_requirement req;
    if (auto type = e.choice("type", names, /*required=*/true))
      req.type = *parse_evidence_type(*type);
    if (auto min = e.integer("min", false, 1, 1000)) req.min = *min;
    e.finish();
    s.evidence.push_back(req);
  }
}

void load_fields(object_reader& r, const schema& opportunities, stage::stage_def& s) {
  auto names = r.string_list("fields");
  if (!names) return;
  const auto spellings = opportunities.spellings();
  for (std::size_t i = 0; i < names->size(); ++i) {
    const std::string& name = (*names)[i];
    const field_def* def = opportunities.find(name);
    if (def == nullptr) {
      r.context().error(r.child("fields") + "/" + std::to_string(i),
                        "the opportunity has no field '" + name + "'",
                        closest_match(name, spellings).value_or(""));
      continue;
    }
    s.required_fields.push_back(*def);
  }
}

void load_guards(object_reader& r, const formula_env& env, const rules_options& options,
                 stage::stage_def& s) {
  load_context& ctx = r.context();
  const nlohmann::json* node = r.get("guards");
  if (node == nullptr) return;
  const std::string pointer = r.child("guards");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader g(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!g.valid()) continue;
    stage::guard guard;
    if (const nlohmann::json* rule = g.get("rule", /*required=*/true)) {
      guard.rule = compile_file_formula(ctx, *rule, g.child("rule"), env, options.limits,
                                        formula_type::boolean, "the guard");
    }
    if (auto message = g.string("message")) guard.message = *message;
    g.finish();
    if (guard.rule) {
      if (guard.message.empty()) guard.message = guard.rule->text();
      s.guards.push_back(std::move(guard));
    }
  }
}

void load_stages(object_reader& section, const schema_set& schemas, const formula_env& env,
                 const rules_options& options, stage::pipeline& p) {
  load_context& ctx = section.context();
  const nlohmann::json* node = section.get("stages", /*required=*/true);
  if (node == nullptr) return;
  const std::string pointer = section.child("stages");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  const schema& opportunities = schemas.of(record_kind::opportunity);
  std::vector<std::string> order_owner;  // for "order used twice" messages
  std::vector<stage::stage_def> open, terminal;
  for (std::size_t i = 0; i < *n; ++i) {
    const std::string at = pointer + "/" + std::to_string(i);
    object_reader r(ctx, (*node)[i], at);
    if (!r.valid()) continue;
    stage::stage_def s;
    if (auto id = r.string("id", /*required=*/true)) s.id = *id;
    for (const auto* list : {&open, &terminal}) {
      for (const auto& other : *list) {
        if (!s.id.empty() && other.id == s.id)
          ctx.error(r.child("id"), "stage '" + s.id + "' is defined twice");
      }
    }
    if (auto name = r.string("name")) s.name = *name;
    if (s.name.empty()) s.name = s.id;
    if (auto terminal_kind = r.choice("terminal", {"won", "lost"}))
      s.kind = *terminal_kind == "won" ? stage::stage_kind::won : stage::stage_kind::lost;
    const bool is_open = s.kind == stage::stage_kind::open;
    if (auto order = r.integer("order", /*required=*/is_open, 0, 1000000)) s.order = *order;
    if (is_open) {
      for (const auto& other : open) {
        if (other.order == s.order)
          ctx.error(r.child("order"), "order " + std::to_string(s.order) + " is used by stage '" +
                                          other.id + "' too");
      }
    }
    s.win_probability = s.kind == stage::stage_kind::won ? 1.0 : 0.0;
    if (auto w = r.number("win_probability")) {
      if (!std::isfinite(*w) || *w < 0 || *w > 1)
        ctx.error(r.child("win_probability"), "'win_probability' must be between 0 and 1");
      else
        s.win_probability = *w;
    }
    if (auto f = r.string("forecast")) s.forecast_category = *f;
    if (s.forecast_category.empty()) {
      s.forecast_category = s.kind == stage::stage_kind::won    ? "closed_won"
                            : s.kind == stage::stage_kind::lost ? "closed_lost"
                                                                : "pipeline";
    }
    load_evidence(r, s);
    load_fields(r, opportunities, s);
    load_guards(r, env, options, s);
    if (auto d = r.duration_value("dwell")) {
      if (*d <= duration::zero())
        ctx.error(r.child("dwell"), "'dwell' must be a positive duration, such as \"7d\"");
      else
        s.dwell_limit = *d;
    }
    if (!is_open &&
        (!s.evidence.empty() || !s.required_fields.empty() || !s.guards.empty() || s.dwell_limit)) {
      ctx.error(at, "terminal stage '" + s.id +
                        "' cannot have evidence, fields, guards or a dwell limit: a closed deal "
                        "does not move on");
    }
    r.finish();
    (is_open ? open : terminal).push_back(std::move(s));
  }
  std::stable_sort(open.begin(), open.end(),
                   [](const auto& a, const auto& b) { return a.order < b.order; });
  for (auto& s : open)
    p.stages.push_back(std::move(s));
  for (auto& s : terminal)
    p.stages.push_back(std::move(s));
}

/// Shortcuts and backward transitions; only those whose endpoints exist and go the right way
/// are kept (the others are reported).
void load_transitions(object_reader& section, std::string_view key, bool forward,
                      const formula_env& env, const rules_options& options, stage::pipeline& p) {
  load_context& ctx = section.context();
  const nlohmann::json* node = section.get(key);
  if (node == nullptr) return;
  const std::string pointer = section.child(key);
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  std::vector<std::string_view> ids;
  for (const auto& s : p.stages)
    ids.push_back(s.id);
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader r(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!r.valid()) continue;
    stage::transition t;
    bool ok = true;
    for (auto [end, field] : {std::pair{&t.from, "from"}, std::pair{&t.to, "to"}}) {
      if (auto id = r.string(field, /*required=*/true)) {
        *end = *id;
        if (p.find(*id) == nullptr) {
          ctx.error(r.child(field), "no stage '" + *id + "'", closest_match(*id, ids).value_or(""));
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (const nlohmann::json* when = r.get("when")) {
      t.when = compile_file_formula(ctx, *when, r.child("when"), env, options.limits,
                                    formula_type::boolean, "the condition");
      ok = ok && t.when != nullptr;
    }
    r.finish();
    if (!ok) continue;
    const stage::stage_def* from = p.find(t.from);
    const stage::stage_def* to = p.find(t.to);
    if (from->kind != stage::stage_kind::open) {
      ctx.error(r.child("from"), "'" + t.from + "' is a terminal stage: nothing leaves it");
      continue;
    }
    if (forward) {
      const bool later = to->kind == stage::stage_kind::won ||
                         (to->kind == stage::stage_kind::open && to->order > from->order);
      if (!later || to == from) {
        ctx.error(r.child("to"),
                  "a shortcut goes forward, to a later open stage or a won "
                  "terminal; '" +
                      t.to + "' is not after '" + t.from + "'");
        continue;
      }
      p.shortcuts.push_back(std::move(t));
    } else {
      if (to->kind != stage::stage_kind::open || to->order >= from->order) {
        ctx.error(r.child("to"), "a backward move goes to an earlier open stage; '" + t.to +
                                     "' is not before '" + t.from + "'");
        continue;
      }
      p.backward.push_back(std::move(t));
    }
  }
}

}  // namespace

std::shared_ptr<const stage::pipeline> load_pipeline(object_reader& section,
                                                     const schema_set& schemas,
                                                     const rules_options& options) {
  load_context& ctx = section.context();
  auto p = std::make_shared<stage::pipeline>();
  const formula_env env = opportunity_env(schemas, options);
  load_stages(section, schemas, env, options, *p);
  load_transitions(section, "shortcuts", /*forward=*/true, env, options, *p);
  load_transitions(section, "backward", /*forward=*/false, env, options, *p);
  if (auto lost = section.object("lost_reasons", /*required=*/true)) {
    if (auto codes = lost->string_list("codes", /*required=*/true)) {
      for (std::size_t i = 0; i < codes->size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if ((*codes)[i] == (*codes)[j])
            ctx.error(lost->child("codes") + "/" + std::to_string(i),
                      "reason code '" + (*codes)[i] + "' is listed twice");
        }
      }
      p->lost.codes = std::move(*codes);
    }
    if (auto v = lost->integer("primary", false, 0, 10)) p->lost.primary = *v;
    if (auto v = lost->integer("secondary", false, 0, 10)) p->lost.secondary = *v;
    lost->finish();
  }
  if (auto roles = section.string_list("override_roles")) p->override_roles = std::move(*roles);
  section.finish();
  if (p->stages.empty() && !ctx.failed())
    ctx.error(section.child("stages"), "the pipeline has no stages");
  if (!ctx.failed()) {
    for (const std::string& problem : check_pipeline_graph(*p))
      ctx.error(section.child("stages"), problem);
  }
  return p;
}

}  // namespace crmrules::detail
