#include "crmrules/rules/rule_set.hpp"

#include <algorithm>
#include <array>
#include <fstream>

#include "assign/policy_loader.hpp"
#include "crmrules/assign/policy.hpp"
#include "crmrules/sla/calendar.hpp"
#include "crmrules/sla/policy.hpp"
#include "dedup/policy_loader.hpp"
#include "rules/formula/compile.hpp"
#include "rules/json_document.hpp"
#include "rules/reader.hpp"
#include "sla/calendar_loader.hpp"
#include "sla/policy_loader.hpp"
#include "stage/pipeline_loader.hpp"
#include "tier/policy_loader.hpp"
#include "util/suggest.hpp"

namespace crmrules {

namespace {

void load_schema_kind(detail::object_reader& kind_reader, schema& s) {
  detail::load_context& ctx = kind_reader.context();
  if (auto fields = kind_reader.object("fields")) {
    for (const auto& name : fields->member_names()) {
      auto def_reader = fields->object(name);
      if (!def_reader) continue;
      field_def def;
      def.name = name;
      const auto type_names = value_type_names();
      std::vector<std::string_view> choices(type_names.begin() + 1,
                                            type_names.end());  // not "null"
      if (auto type = def_reader->choice("type", choices, /*required=*/true)) {
        def.type = *parse_value_type(*type);
      }
      if (auto aliases = def_reader->string_list("aliases")) def.aliases = std::move(*aliases);
      if (auto description = def_reader->string("description", false, true))
        def.description = *description;
      def_reader->finish();
      if (def.type == value_type::null) continue;  // already reported
      if (status st = s.add_field(std::move(def)); !st.ok()) {
        ctx.error(fields->child(name), st.message(), "", /*at_key=*/true);
      }
    }
  }
  if (auto aliases = kind_reader.object("aliases")) {
    for (const auto& field : aliases->member_names()) {
      auto names = aliases->string_list(field);
      if (!names) continue;
      if (s.find(field) == nullptr) {
        const auto spellings = s.spellings();
        ctx.error(aliases->child(field),
                  "no field '" + field + "' in " + std::string(to_string(s.kind())),
                  detail::closest_match(field, spellings).value_or(""), /*at_key=*/true);
        continue;
      }
      for (std::size_t i = 0; i < names->size(); ++i) {
        if (status st = s.add_alias(field, (*names)[i]); !st.ok()) {
          ctx.error(aliases->child(field) + "/" + std::to_string(i), st.message());
        }
      }
    }
  }
  kind_reader.finish();
}

}  // namespace

namespace {

/// A formula as written in the file: its text (lines of an array joined by newlines), and the
/// file offset of each byte, so errors inside it point into the file.
struct formula_source {
  std::string text;
  std::vector<std::size_t> map;  // text.size() + 1 entries
  std::string pointer;
};

std::optional<formula_source> read_formula_text(detail::load_context& ctx,
                                                const nlohmann::json& node,
                                                const std::string& pointer) {
  const auto& doc = ctx.document();
  formula_source out;
  out.pointer = pointer;
  if (node.is_string()) {
    out.text = node.get<std::string>();
    out.map = doc.string_map(pointer);
    return out;
  }
  if (node.is_array() && !node.empty()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string line_pointer = pointer + "/" + std::to_string(i);
      if (!node[i].is_string()) {
        ctx.error(line_pointer, "each line of a formula must be a string, got " +
                                    detail::describe_json_type(node[i]));
        return std::nullopt;
      }
      auto m = doc.string_map(line_pointer);
      if (i > 0) out.text += '\n';  // mapped to the previous line's closing quote, pushed below
      out.text += node[i].get<std::string>();
      out.map.insert(out.map.end(), m.begin(), m.end() - 1);
      out.map.push_back(m.back());
    }
    return out;
  }
  ctx.error(pointer, "a formula is a string or an array of strings (one per line), got " +
                         detail::describe_json_type(node));
  return std::nullopt;
}

/// Reports `issues` of the formula `src` at their place in the file.
void report_issues(detail::load_context& ctx, const formula_source& src,
                   const std::vector<detail::fx::formula_issue>& issues) {
  for (const auto& issue : issues) {
    const std::size_t at =
        src.map.empty() ? 0 : src.map[std::min<std::size_t>(issue.offset, src.map.size() - 1)];
    ctx.error_at(at, src.pointer, issue.message, issue.suggestion);
  }
}

/// Compiles `src`; its errors are reported at their place in the file.
std::shared_ptr<const formula> compile_source(detail::load_context& ctx, const formula_source& src,
                                              const formula_env& env,
                                              const formula_limits& limits) {
  std::vector<detail::fx::formula_issue> issues;
  auto compiled = detail::fx::compile_formula(src.text, env, limits, issues);
  report_issues(ctx, src, issues);
  return compiled;
}

/// The "formulas" section: named formulas over the kinds each lists in "over".
void load_formulas(detail::object_reader& section, const schema_set& schemas,
                   const rules_options& options,
                   std::map<std::string, std::shared_ptr<const formula>, std::less<>>& out) {
  detail::load_context& ctx = section.context();
  const auto kinds = detail::record_kind_names();
  for (const auto& name : section.member_names()) {
    const nlohmann::json* node = section.get(name);
    const std::string pointer = section.child(name);
    std::vector<std::string> over{"lead"};
    std::optional<formula_source> src;
    if (node->is_object()) {
      detail::object_reader def(ctx, *node, pointer);
      if (const nlohmann::json* text = def.get("formula", /*required=*/true)) {
        src = read_formula_text(ctx, *text, def.child("formula"));
      }
      if (auto list = def.string_list("over")) over = std::move(*list);
      def.string("description", false, true);
      def.finish();
      if (over.empty()) ctx.error(def.child("over"), "'over' names at least one record kind");
    } else {
      src = read_formula_text(ctx, *node, pointer);
    }
    formula_env env(schemas);
    bool scopes_ok = !over.empty();
    for (std::size_t i = 0; i < over.size(); ++i) {
      const auto kind = parse_record_kind(over[i]);
      const std::string at = pointer + "/over/" + std::to_string(i);
      if (!kind) {
        ctx.error(at, "unknown record kind '" + over[i] + "'",
                  detail::closest_match(over[i], kinds).value_or(""));
        scopes_ok = false;
        continue;
      }
      if (auto added = env.add_scope(over[i], *kind, {std::string(chinese_name(*kind))}); !added) {
        ctx.error(at, added.error().message());
        scopes_ok = false;
      }
    }
    for (const auto& f : options.functions) {
      if (status st = env.add_function(f); !st.ok())
        ctx.error(pointer, "host function: " + st.message());
    }
    if (!src || !scopes_ok) continue;
    if (auto compiled = compile_source(ctx, *src, env, options.limits))
      out.emplace(name, std::move(compiled));
  }
}

}  // namespace

namespace detail {

std::shared_ptr<const formula> compile_file_formula(
    load_context& ctx, const nlohmann::json& node, const std::string& pointer,
    const formula_env& env, const formula_limits& limits, std::optional<formula_type> want,
    std::string_view role, const formula_checker& check) {
  auto src = read_formula_text(ctx, node, pointer);
  if (!src) return nullptr;
  auto f = compile_source(ctx, *src, env, limits);
  if (f && want && f->type() != *want && f->type() != formula_type::blank) {
    ctx.error(pointer, std::string(role) + " must be " + fx::describe_type(*want) +
                           ", but this formula gives " + fx::describe_type(f->type()));
    return nullptr;
  }
  if (f && check) {
    const auto issues = check(*f);
    if (!issues.empty()) {
      report_issues(ctx, *src, issues);
      return nullptr;
    }
  }
  return f;
}

}  // namespace detail

struct rule_set_loader {
  static result<std::shared_ptr<const rule_set>, diagnostics> load(std::string text,
                                                                   std::string source,
                                                                   const rules_options& options) {
    diagnostics diags;
    auto doc = detail::json_document::parse(std::move(text), source);
    if (!doc) return std::move(doc).error();
    diags.append(doc->issues());  // duplicate keys: reported, and loading goes on to find the rest
    detail::load_context ctx(*doc, diags);
    auto set = std::shared_ptr<rule_set>(new rule_set());
    set->sla_ = std::make_shared<const sla::policy_set>();
    set->source_ = source;

    detail::object_reader top(ctx, doc->root(), "", "a JSON object at the top of the rules file");
    if (auto version = top.integer("version", false, 1, INT32_MAX)) {
      if (*version > rule_set::format_version) {
        ctx.error("/version", "this rules file is format version " + std::to_string(*version) +
                                  "; this build of crmrules reads up to version " +
                                  std::to_string(rule_set::format_version));
      }
    }
    if (auto name = top.string("name", false, true)) set->name_ = *name;
    top.string("description", false, true);
    if (auto schema_section = top.object("schema")) {
      const auto kinds = detail::record_kind_names();
      for (const auto& kind_name : schema_section->member_names()) {
        auto kind = parse_record_kind(kind_name);
        if (!kind) {
          // Known kinds are asked for below, so finish() would also flag it; report once, here.
          schema_section->known({kind_name});
          ctx.error(schema_section->child(kind_name), "unknown record kind '" + kind_name + "'",
                    detail::closest_match(kind_name, kinds).value_or(""), /*at_key=*/true);
          continue;
        }
        auto kind_reader = schema_section->object(kind_name);
        if (kind_reader) load_schema_kind(*kind_reader, set->schemas_.of(*kind));
      }
      schema_section->finish();
    }
    // Formulas last: they resolve names against the schema the file just declared.
    if (auto formulas = top.object("formulas"))
      load_formulas(*formulas, set->schemas_, options, set->formulas_);
    if (auto section = top.object("assign"))
      set->assign_ = detail::load_assign_policy(*section, set->schemas_, options);
    std::vector<std::string> calendars_declared;
    if (auto section = top.object("calendars")) {
      calendars_declared = section->member_names();
      for (auto& [name, cal] : detail::load_calendars(*section))
        set->calendars_.emplace(name,
                                std::make_shared<const sla::business_calendar>(std::move(cal)));
    }
    if (auto section = top.object("sla")) {
      set->sla_ = std::make_shared<const sla::policy_set>(
          detail::load_sla_policies(*section, set->calendars_, calendars_declared));
    }
    if (auto section = top.object("tiers"))
      set->tiers_ = detail::load_tier_policy(*section, set->schemas_, options, set->sla_.get());
    if (auto section = top.object("dedup"))
      set->dedup_ = detail::load_dedup_policy(*section, set->schemas_, options);
    else
      set->dedup_ = std::make_shared<const dedup::policy>();
    if (auto section = top.object("pipeline"))
      set->pipeline_ = detail::load_pipeline(*section, set->schemas_, options);
    top.finish();

    if (diags.has_errors()) return diags;
    set->warnings_ = std::move(diags);
    return std::shared_ptr<const rule_set>(std::move(set));
  }
};

result<std::shared_ptr<const rule_set>, diagnostics> rule_set::load_string(
    std::string_view text, std::string_view source_name, const rules_options& options) {
  if (text.size() > max_file_bytes) {
    diagnostics d;
    diagnostic x;
    x.file = std::string(source_name);
    x.message = "the rules are " + std::to_string(text.size()) + " bytes; the limit is " +
                std::to_string(max_file_bytes);
    d.add(std::move(x));
    return d;
  }
  return rule_set_loader::load(std::string(text), std::string(source_name), options);
}

result<std::shared_ptr<const rule_set>, diagnostics> rule_set::load_file(
    const std::filesystem::path& path, const rules_options& options) {
  auto fail = [&](std::string message) {
    diagnostics d;
    diagnostic x;
    x.file = path.string();
    x.message = std::move(message);
    d.add(std::move(x));
    return d;
  };
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail("cannot read the rules file: " + ec.message());
  if (size > max_file_bytes) {
    return fail("the rules file is " + std::to_string(size) + " bytes; the limit is " +
                std::to_string(max_file_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot open the rules file");
  // Read to the end, whatever the size measured above (the file may have changed since), but
  // never more than one chunk past the limit.
  std::string text;
  text.reserve(static_cast<std::size_t>(std::min<std::uintmax_t>(size, max_file_bytes)));
  std::array<char, 64 * 1024> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_file_bytes) {
      return fail("the rules file is larger than the limit of " + std::to_string(max_file_bytes) +
                  " bytes");
    }
  }
  if (in.bad()) return fail("error while reading the rules file");
  return rule_set_loader::load(std::move(text), path.string(), options);
}

rules_holder::rules_holder(std::shared_ptr<const rule_set> initial)
    : current_(initial ? std::move(initial) : std::move(*rule_set::load_string("{}"))) {}

template <class Load>
diagnostics rules_holder::reload(Load load) {
  std::lock_guard lock(reload_mu_);
  auto loaded = load();
  if (!loaded) return std::move(loaded).error();
  diagnostics warnings = (*loaded)->warnings();
  publish(std::move(*loaded));
  return warnings;
}

diagnostics rules_holder::reload_file(const std::filesystem::path& path,
                                      const rules_options& options) {
  return reload([&] { return rule_set::load_file(path, options); });
}

diagnostics rules_holder::reload_string(std::string_view text, std::string_view source_name,
                                        const rules_options& options) {
  return reload([&] { return rule_set::load_string(text, source_name, options); });
}

std::shared_ptr<const formula> rule_set::find_formula(std::string_view name) const {
  auto it = formulas_.find(name);
  return it == formulas_.end() ? nullptr : it->second;
}

std::vector<std::string> rule_set::formula_names() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : formulas_)
    out.push_back(name);
  return out;
}

std::shared_ptr<const sla::business_calendar> rule_set::calendar(std::string_view name) const {
  const auto it = calendars_.find(name);
  return it == calendars_.end() ? nullptr : it->second;
}

std::vector<std::string> rule_set::calendar_names() const {
  std::vector<std::string> out;
  for (const auto& [name, cal] : calendars_)
    out.push_back(name);
  return out;
}

}  // namespace crmrules
