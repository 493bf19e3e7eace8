// Internal: the conventions every rules-file section loader follows.
//
// A loader walks its section with an `object_reader`: each typed getter reads one key, reports a
// missing required key or a wrong type as a diagnostic at the right line and column, and
// remembers the key as known. `finish()` then reports every key nobody asked for, with "did you
// mean" among the known ones. Loaders never stop at the first error: they return what they could
// build and let the caller decide from `context::failed()`.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/money.hpp"
#include "crmrules/model/time.hpp"
#include "crmrules/rules/diagnostic.hpp"
#include "crmrules/rules/formula.hpp"
#include "rules/formula/compile.hpp"
#include "rules/json_document.hpp"

namespace crmrules::detail {

class load_context {
 public:
  load_context(const json_document& doc, diagnostics& out) : doc_(doc), out_(out) {}

  /// An error at the value of `pointer` (or at its key when `at_key`).
  void error(std::string_view pointer, std::string message, std::string suggestion = {},
             bool at_key = false);
  void warning(std::string_view pointer, std::string message, std::string suggestion = {},
               bool at_key = false);
  /// An error at a byte offset inside the value of `pointer` (e.g. a formula error column).
  void error_at(std::size_t offset, std::string_view pointer, std::string message,
                std::string suggestion = {});

  [[nodiscard]] bool failed() const noexcept { return out_.has_errors(); }
  [[nodiscard]] const json_document& document() const noexcept { return doc_; }

 private:
  const json_document& doc_;
  diagnostics& out_;
};

class object_reader {
 public:
  using json = nlohmann::json;

  /// Reads `node` at `pointer` as an object; reports (and reads nothing) if it is not one.
  object_reader(load_context& ctx, const json& node, std::string pointer,
                std::string_view what = "an object");

  [[nodiscard]] bool valid() const noexcept { return obj_ != nullptr; }
  [[nodiscard]] const std::string& pointer() const noexcept { return pointer_; }
  [[nodiscard]] std::string child(std::string_view key) const {
    return pointer_ + "/" + pointer_token(key);
  }
  [[nodiscard]] load_context& context() const noexcept { return ctx_; }

  /// The raw member, or nullptr; marks the key known. `required` reports a missing key.
  const json* get(std::string_view key, bool required = false);

  std::optional<std::string> string(std::string_view key, bool required = false,
                                    bool allow_empty = false);
  std::optional<std::int64_t> integer(std::string_view key, bool required = false,
                                      std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
  std::optional<double> number(std::string_view key, bool required = false);
  std::optional<bool> boolean(std::string_view key, bool required = false);
  std::optional<std::vector<std::string>> string_list(std::string_view key, bool required = false);
  /// A duration such as "2h", "7d", "1h30m"; `allow_negative` otherwise refuses "-2h".
  std::optional<duration> duration_value(std::string_view key, bool required = false,
                                         bool allow_negative = false);
  std::optional<money> money_value(std::string_view key, bool required = false);
  /// One of `choices`, with a suggestion when the value is close to one of them.
  std::optional<std::string> choice(std::string_view key,
                                    const std::vector<std::string_view>& choices,
                                    bool required = false);
  /// A nested object.
  std::optional<object_reader> object(std::string_view key, bool required = false);

  /// Marks keys as known without reading them (they are handled elsewhere).
  void known(std::initializer_list<std::string_view> keys);

  /// Every member name, in file order (for sections whose keys are user-chosen names).
  [[nodiscard]] std::vector<std::string> member_names() const;

  /// Reports every key that was never asked for. Call once, after all getters.
  void finish();

 private:
  void wrong_type(std::string_view key, std::string_view want, const json& got);

  load_context& ctx_;
  const json* obj_;
  std::string pointer_;
  std::vector<std::string> known_;
};

/// Reads `node` as an array, reporting when it is not one; returns its size or nullopt.
std::optional<std::size_t> expect_array(load_context& ctx, const nlohmann::json& node,
                                        std::string_view pointer);

/// Every record kind's name ("lead", "customer", ...), in enum order: the choices of a key that
/// names a kind, and the candidates of "did you mean".
std::vector<std::string_view> record_kind_names();

/// "an object", "a string", ... for messages.
std::string describe_json_type(const nlohmann::json& j);

/// A section's own checks of a compiled formula (a constant argument out of its range): the
/// problems, as offsets into the formula's text.
using formula_checker = std::function<std::vector<fx::formula_issue>(const formula&)>;

/// Compiles the formula at `pointer` (a string, or an array of lines) against `env`. Errors,
/// including a result type other than `want` (when given; `role` names the formula in the
/// message: "the score") and the issues `check` finds, are reported at their place in the
/// file; null then.
std::shared_ptr<const formula> compile_file_formula(
    load_context& ctx, const nlohmann::json& node, const std::string& pointer,
    const formula_env& env, const formula_limits& limits, std::optional<formula_type> want = {},
    std::string_view role = "the formula", const formula_checker& check = {});

}  // namespace crmrules::detail
