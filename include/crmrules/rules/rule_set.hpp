// crmrules rules: the rules file, loaded, checked and held.
//
// A rules file is JSON (comments allowed) that sales operations edits without a recompile:
//
// ```json
// {
//   "version": 1,
//   "name": "华东销售规则 2026Q4",
//   "schema": {
//     "lead": {
//       "fields": { "近30天互动频次": { "type": "integer", "aliases": ["interactions_30d"] } },
//       "aliases": { "source": ["来源渠道"] }
//     }
//   }
// }
// ```
//
// Loading checks everything before anything is used: malformed JSON, unknown keys (with "did you
// mean"), wrong types, bad values. All errors come back at once with file, line, column and JSON
// path (diagnostic.hpp). A `rule_set` that loaded is immutable; share it freely across threads
// through `std::shared_ptr<const rule_set>`. `rules_holder` swaps a new one in atomically and keeps
// the one in force when a reload fails. See docs/RULES_FILES.md.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "crmrules/model/schema.hpp"
#include "crmrules/rules/diagnostic.hpp"
#include "crmrules/rules/formula.hpp"
#include "crmrules/status.hpp"

namespace crmrules {

namespace assign {
struct policy;
}
namespace stage {
struct pipeline;
}
namespace sla {
class business_calendar;
class policy_set;
}  // namespace sla
namespace tier {
struct tier_policy;
}  // namespace tier
namespace dedup {
struct policy;
}  // namespace dedup

/// What a rules file may use beyond the built-ins.
struct rules_options {
  /// Host functions that formulas in the file may call (formula.hpp, function_def).
  std::vector<function_def> functions;
  /// Limits for every formula in the file.
  formula_limits limits;
};

class rule_set {
 public:
  /// The rules-file format version this build reads.
  static constexpr int format_version = 1;
  /// Files (and texts) larger than this are refused before parsing.
  static constexpr std::size_t max_file_bytes = 16 * 1024 * 1024;

  /// Loads and checks a rules file. On failure, every error found.
  ///
  /// **Example**
  /// ```
  /// auto rules = crmrules::rule_set::load_file("rules.json");
  /// if (!rules) { std::cerr << rules.error().to_string(); return 1; }
  /// const crmrules::schema& leads = (*rules)->schemas().of(crmrules::record_kind::lead);
  /// ```
  [[nodiscard]] static result<std::shared_ptr<const rule_set>, diagnostics> load_file(
      const std::filesystem::path& path, const rules_options& options = {});
  /// The same from text; `source_name` is used in diagnostics in place of a file name.
  [[nodiscard]] static result<std::shared_ptr<const rule_set>, diagnostics> load_string(
      std::string_view text, std::string_view source_name = "<string>",
      const rules_options& options = {});

  /// The built-in schemas extended by the file's "schema" section.
  [[nodiscard]] const schema_set& schemas() const noexcept { return schemas_; }
  /// The file's "name", or empty.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Where it was loaded from (file path or source name).
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// Warnings found while loading (a load with errors returns no rule_set at all).
  [[nodiscard]] const diagnostics& warnings() const noexcept { return warnings_; }

  /// The compiled formula named `name` in the "formulas" section, or nullptr. Its scopes are the
  /// kinds listed in "over", in that order (scope 0 is the first).
  [[nodiscard]] std::shared_ptr<const formula> find_formula(std::string_view name) const;
  /// The names in the "formulas" section, sorted.
  [[nodiscard]] std::vector<std::string> formula_names() const;

  /// The assignment policy of the "assign" section (crmrules/assign/policy.hpp), or nullptr
  /// when the file has none.
  [[nodiscard]] std::shared_ptr<const assign::policy> assign_policy() const noexcept {
    return assign_;
  }
  /// The sales pipeline of the "pipeline" section (crmrules/stage/pipeline.hpp), or nullptr
  /// when the file has none.
  [[nodiscard]] std::shared_ptr<const stage::pipeline> stage_pipeline() const noexcept {
    return pipeline_;
  }
  /// The business calendar named `name` in the "calendars" section (crmrules/sla/calendar.hpp),
  /// or nullptr.
  [[nodiscard]] std::shared_ptr<const sla::business_calendar> calendar(std::string_view name) const;
  /// The names in the "calendars" section, sorted.
  [[nodiscard]] std::vector<std::string> calendar_names() const;
  /// The SLA policies of the "sla" section (crmrules/sla/policy.hpp); never null, empty when
  /// the file has none.
  [[nodiscard]] std::shared_ptr<const sla::policy_set> sla_policies() const noexcept {
    return sla_;
  }
  /// The customer tiers of the "tiers" section (crmrules/tier/policy.hpp), or nullptr when the
  /// file has none.
  [[nodiscard]] std::shared_ptr<const tier::tier_policy> tier_policy() const noexcept {
    return tiers_;
  }
  /// The dedup match rules of the "dedup" section (crmrules/dedup/policy.hpp); never null: the
  /// defaults (USCC, phone and e-mail keys; similar names in one region) when the file has none.
  [[nodiscard]] std::shared_ptr<const dedup::policy> dedup_policy() const noexcept {
    return dedup_;
  }

 private:
  friend struct rule_set_loader;
  rule_set() = default;

  std::string source_;
  std::string name_;
  schema_set schemas_;
  diagnostics warnings_;
  std::map<std::string, std::shared_ptr<const formula>, std::less<>> formulas_;
  std::shared_ptr<const assign::policy> assign_;
  std::shared_ptr<const stage::pipeline> pipeline_;
  std::map<std::string, std::shared_ptr<const sla::business_calendar>, std::less<>> calendars_;
  std::shared_ptr<const sla::policy_set> sla_;
  std::shared_ptr<const tier::tier_policy> tiers_;
  std::shared_ptr<const dedup::policy> dedup_;
};

/// Holds the rules in force and replaces them atomically.
///
/// Readers call `current()` and keep the returned pointer for as long as one decision takes, so
/// a decision in flight finishes on the rules it started with. Thread-safety: every member is
/// safe to call concurrently from several threads.
///
/// **Example**
/// ```
/// crmrules::rules_holder rules(std::move(*crmrules::rule_set::load_file("rules.json")));
/// crmrules::diagnostics d = rules.reload_file("rules.json");   // after an edit
/// if (d.has_errors()) log(d.to_string());                      // old rules still in force
/// ```
class rules_holder {
 public:
  /// Holds `initial`; a null pointer holds an empty rule set (built-in schemas only), so
  /// current() never returns null.
  explicit rules_holder(std::shared_ptr<const rule_set> initial);
  rules_holder(const rules_holder&) = delete;
  rules_holder& operator=(const rules_holder&) = delete;

  [[nodiscard]] std::shared_ptr<const rule_set> current() const noexcept { return current_.load(); }

  /// Loads `path`; on success swaps it in and returns its warnings, on failure returns the errors
  /// and leaves the rules in force untouched. Concurrent reloads run one after another, so the
  /// last call to finish is the one in force.
  [[nodiscard]] diagnostics reload_file(const std::filesystem::path& path,
                                        const rules_options& options = {});
  [[nodiscard]] diagnostics reload_string(std::string_view text,
                                          std::string_view source_name = "<string>",
                                          const rules_options& options = {});

  /// Swaps in an already loaded rule set; a null pointer is ignored (current() never returns
  /// null).
  void publish(std::shared_ptr<const rule_set> next) noexcept {
    if (next) current_.store(std::move(next));
  }

 private:
  template <class Load>
  diagnostics reload(Load load);

  std::atomic<std::shared_ptr<const rule_set>> current_;
  std::mutex reload_mu_;
};

}  // namespace crmrules
