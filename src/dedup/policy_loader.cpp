// The "dedup" section of a rules file (docs/DEDUP.md).
#include "dedup/policy_loader.hpp"

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "crmrules/dedup/normalise.hpp"
#include "util/suggest.hpp"

namespace crmrules::detail {
namespace {

constexpr std::string_view agree_fields[] = {"region", "industry", "trade"};
constexpr std::string_view keys_known[] = {"uscc", "phone", "email"};

void load_weak(object_reader& section, const schema_set& schemas, const rules_options& options,
               dedup::policy& p) {
  load_context& ctx = section.context();
  const nlohmann::json* node = section.get("weak");
  if (node == nullptr) return;
  const std::string pointer = section.child("weak");
  const auto n = expect_array(ctx, *node, pointer);
  if (!n) return;
  p.weak.clear();
  formula_env env = dedup::pair_env(schemas);
  for (const auto& f : options.functions)
    (void)env.add_function(f);
  std::set<std::string> names;
  for (std::size_t i = 0; i < *n; ++i) {
    object_reader r(ctx, (*node)[i], pointer + "/" + std::to_string(i));
    if (!r.valid()) continue;
    dedup::weak_rule w;
    if (auto name = r.string("name", true)) {
      w.name = *name;
      if (!names.insert(w.name).second)
        ctx.error(r.child("name"), "a second weak rule named '" + w.name + "'");
      if (w.name.starts_with("same_") || w.name == "different_uscc" || w.name == "branch")
        ctx.error(r.child("name"), "'" + w.name +
                                       "' is a built-in rule's name (same_*, different_uscc, "
                                       "branch); choose another");
    }
    if (auto k =
            r.choice("similarity", {"jaro_winkler", "levenshtein", "bigram_dice", "token_set"}))
      w.similarity = *dedup::parse_kernel(*k);
    if (auto t = r.number("threshold")) {
      if (*t <= 0 || *t > 1)
        ctx.error(r.child("threshold"), "a similarity threshold is in (0, 1]");
      else
        w.threshold = *t;
    }
    if (auto a = r.boolean("abbreviations")) w.abbreviations = *a;
    if (auto s = r.number("abbreviation_score")) {
      if (*s < 0 || *s > 1)
        ctx.error(r.child("abbreviation_score"), "a score is in [0, 1]");
      else
        w.abbreviation_score = *s;
    }
    if (const nlohmann::json* same = r.get("same")) {
      w.same_region = w.same_industry = w.same_trade = false;
      const std::string sp = r.child("same");
      if (auto m = expect_array(ctx, *same, sp)) {
        for (std::size_t k = 0; k < *m; ++k) {
          const auto& v = (*same)[k];
          const std::string vp = sp + "/" + std::to_string(k);
          if (!v.is_string()) {
            ctx.error(vp, "expected a field name, got " + describe_json_type(v));
            continue;
          }
          const std::string f = v.get<std::string>();
          if (f == "region")
            w.same_region = true;
          else if (f == "industry")
            w.same_industry = true;
          else if (f == "trade")
            w.same_trade = true;
          else
            ctx.error(vp, "unknown field '" + f + "' to agree on (region, industry or trade)",
                      detail::closest_match(f, agree_fields).value_or(""));
        }
      }
    }
    if (const nlohmann::json* when = r.get("when")) {
      w.when = compile_file_formula(ctx, *when, r.child("when"), env, options.limits,
                                    formula_type::boolean, "the condition");
    }
    r.string("description", false, true);
    r.finish();
    p.weak.push_back(std::move(w));
  }
}

void load_merge(object_reader& section, dedup::policy& p) {
  load_context& ctx = section.context();
  auto m = section.object("merge");
  if (!m) return;
  if (auto s = m->choice("survivor", {"most_recently_updated", "oldest", "most_complete"}))
    p.merge.survivor = *dedup::parse_survivor_rule(*s);
  const std::vector<std::string_view> rules{"non_empty", "newest", "survivor", "longest", "union"};
  if (auto d = m->choice("default", rules)) {
    p.merge.default_rule = *dedup::parse_field_rule(*d);
    if (p.merge.default_rule == dedup::field_rule::union_all)
      ctx.error(m->child("default"), "'union' is only for phones and emails");
  }
  if (auto fields = m->object("fields")) {
    for (const std::string& name : fields->member_names()) {
      if (auto r = fields->choice(name, rules))
        p.merge.per_field.emplace_back(name, *dedup::parse_field_rule(*r));
    }
    fields->finish();
  }
  m->finish();
  p.merge.phone_region = p.phone_region;
  // The planner checks the combination (a list with a scalar rule, an unknown built-in name).
  std::vector<customer> probe(2);
  probe[0].id = customer_id{"a"};
  probe[1].id = customer_id{"b"};
  if (auto plan = dedup::plan_merge(probe, p.merge); !plan)
    ctx.error(section.child("merge"), std::string(plan.error().message()));
}

}  // namespace

std::shared_ptr<const dedup::policy> load_dedup_policy(object_reader& section,
                                                       const schema_set& schemas,
                                                       const rules_options& options) {
  auto p = std::make_shared<dedup::policy>();
  load_context& ctx = section.context();
  if (auto keys = section.string_list("strong_keys")) {
    p->match_uscc = p->match_phone = p->match_email = false;
    for (std::size_t i = 0; i < keys->size(); ++i) {
      const std::string& k = (*keys)[i];
      if (k == "uscc")
        p->match_uscc = true;
      else if (k == "phone")
        p->match_phone = true;
      else if (k == "email")
        p->match_email = true;
      else
        ctx.error(section.child("strong_keys") + "/" + std::to_string(i),
                  "unknown strong key '" + k + "' (uscc, phone or email)",
                  detail::closest_match(k, keys_known).value_or(""));
    }
  }
  if (auto region = section.string("phone_region")) {
    if (region->size() != 2 || !std::isupper(static_cast<unsigned char>((*region)[0])) ||
        !std::isupper(static_cast<unsigned char>((*region)[1])))
      ctx.error(section.child("phone_region"), "expected a two-letter region such as \"CN\"");
    else
      p->phone_region = *region;
  }
  if (auto junk = section.string_list("junk_phones")) {
    for (std::size_t i = 0; i < junk->size(); ++i) {
      auto ph = dedup::normalise_phone((*junk)[i], p->phone_region);
      if (!ph)
        ctx.error(section.child("junk_phones") + "/" + std::to_string(i),
                  "'" + (*junk)[i] + "' is not a phone number");
      else
        p->junk_phones.push_back(ph->e164);
    }
  }
  if (auto b = section.boolean("skip_test_emails")) p->skip_test_emails = *b;
  if (auto b = section.boolean("branch_is_different")) p->branch_is_different = *b;
  if (auto mb = section.integer("max_block", false, 2, 10'000'000))
    p->max_block = static_cast<std::size_t>(*mb);
  load_weak(section, schemas, options, *p);
  load_merge(section, *p);
  section.string("description", false, true);
  section.finish();
  return p;
}

}  // namespace crmrules::detail
