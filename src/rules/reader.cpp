#include "rules/reader.hpp"

#include <algorithm>

#include "util/suggest.hpp"

namespace crmrules::detail {

void load_context::error(std::string_view pointer, std::string message, std::string suggestion,
                         bool at_key) {
  const std::size_t at = at_key ? doc_.key_offset(pointer) : doc_.value_offset(pointer);
  out_.add(doc_.make_diagnostic(at, diagnostic::severity::error, std::string(pointer),
                                std::move(message), std::move(suggestion)));
}

void load_context::warning(std::string_view pointer, std::string message, std::string suggestion,
                           bool at_key) {
  const std::size_t at = at_key ? doc_.key_offset(pointer) : doc_.value_offset(pointer);
  out_.add(doc_.make_diagnostic(at, diagnostic::severity::warning, std::string(pointer),
                                std::move(message), std::move(suggestion)));
}

void load_context::error_at(std::size_t offset, std::string_view pointer, std::string message,
                            std::string suggestion) {
  out_.add(doc_.make_diagnostic(offset, diagnostic::severity::error, std::string(pointer),
                                std::move(message), std::move(suggestion)));
}

std::vector<std::string_view> record_kind_names() {
  std::vector<std::string_view> out;
  for (std::size_t k = 0; k < record_kind_count; ++k)
    out.push_back(to_string(static_cast<record_kind>(k)));
  return out;
}

std::string describe_json_type(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    default:
      return "a value";
  }
}

object_reader::object_reader(load_context& ctx, const json& node, std::string pointer,
                             std::string_view what)
    : ctx_(ctx), obj_(node.is_object() ? &node : nullptr), pointer_(std::move(pointer)) {
  if (obj_ == nullptr) {
    ctx_.error(pointer_, "expected " + std::string(what) + ", got " + describe_json_type(node));
  }
}

const nlohmann::json* object_reader::get(std::string_view key, bool required) {
  known_.emplace_back(key);
  if (obj_ == nullptr) return nullptr;
  auto it = obj_->find(key);
  if (it == obj_->end()) {
    if (required) ctx_.error(pointer_, "missing required key '" + std::string(key) + "'");
    return nullptr;
  }
  return &*it;
}

void object_reader::wrong_type(std::string_view key, std::string_view want, const json& got) {
  ctx_.error(child(key), "'" + std::string(key) + "' must be " + std::string(want) + ", got " +
                             describe_json_type(got));
}

std::optional<std::string> object_reader::string(std::string_view key, bool required,
                                                 bool allow_empty) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_string()) {
    wrong_type(key, "a string", *j);
    return std::nullopt;
  }
  const auto& s = j->get_ref<const std::string&>();
  if (s.empty() && !allow_empty) {
    ctx_.error(child(key), "'" + std::string(key) + "' must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> object_reader::integer(std::string_view key, bool required,
                                                   std::int64_t min, std::int64_t max) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_number_integer() || (j->is_number_unsigned() && j->get<std::uint64_t>() > INT64_MAX)) {
    wrong_type(key, "an integer", *j);
    return std::nullopt;
  }
  const auto n = j->get<std::int64_t>();
  if (n < min || n > max) {
    ctx_.error(child(key), "'" + std::string(key) + "' must be between " + std::to_string(min) +
                               " and " + std::to_string(max) + ", got " + std::to_string(n));
    return std::nullopt;
  }
  return n;
}

std::optional<double> object_reader::number(std::string_view key, bool required) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_number()) {
    wrong_type(key, "a number", *j);
    return std::nullopt;
  }
  return j->get<double>();
}

std::optional<bool> object_reader::boolean(std::string_view key, bool required) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_boolean()) {
    wrong_type(key, "true or false", *j);
    return std::nullopt;
  }
  return j->get<bool>();
}

std::optional<std::vector<std::string>> object_reader::string_list(std::string_view key,
                                                                   bool required) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_array()) {
    wrong_type(key, "an array of strings", *j);
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < j->size(); ++i) {
    const json& e = (*j)[i];
    if (!e.is_string()) {
      ctx_.error(child(key) + "/" + std::to_string(i),
                 "expected a string, got " + describe_json_type(e));
      ok = false;
      continue;
    }
    out.push_back(e.get<std::string>());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<duration> object_reader::duration_value(std::string_view key, bool required,
                                                      bool allow_negative) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_string()) {
    wrong_type(key, "a duration such as \"2h\" or \"7d\"", *j);
    return std::nullopt;
  }
  auto d = parse_duration(j->get_ref<const std::string&>());
  if (!d) {
    ctx_.error(child(key), d.error().message());
    return std::nullopt;
  }
  if (!allow_negative && d->count() < 0) {
    ctx_.error(child(key), "'" + std::string(key) + "' must not be negative");
    return std::nullopt;
  }
  return *d;
}

std::optional<money> object_reader::money_value(std::string_view key, bool required) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  if (!j->is_string() && !j->is_number()) {
    wrong_type(key, "an amount such as \"500000\" or \"50万\"", *j);
    return std::nullopt;
  }
  // Numbers are read from their own text, as the record codec does: no wrapping, no rounding.
  auto m = money::parse(j->is_string() ? j->get<std::string>() : j->dump());
  if (!m) {
    ctx_.error(child(key), m.error().message());
    return std::nullopt;
  }
  return *m;
}

std::optional<std::string> object_reader::choice(std::string_view key,
                                                 const std::vector<std::string_view>& choices,
                                                 bool required) {
  auto s = string(key, required);
  if (!s) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *s) != choices.end()) return s;
  std::string list;
  for (auto c : choices)
    list += (list.empty() ? "" : ", ") + std::string(c);
  ctx_.error(child(key), "'" + *s + "' is not one of: " + list,
             closest_match(*s, choices).value_or(""));
  return std::nullopt;
}

std::optional<object_reader> object_reader::object(std::string_view key, bool required) {
  const json* j = get(key, required);
  if (j == nullptr) return std::nullopt;
  object_reader r(ctx_, *j, child(key), "an object for '" + std::string(key) + "'");
  if (!r.valid()) return std::nullopt;
  return r;
}

void object_reader::known(std::initializer_list<std::string_view> keys) {
  for (auto k : keys)
    known_.emplace_back(k);
}

std::vector<std::string> object_reader::member_names() const {
  std::vector<std::string> out;
  if (obj_ == nullptr) return out;
  for (const auto& [k, v] : obj_->items())
    out.push_back(k);
  // nlohmann::json orders keys alphabetically; file order reads better in messages.
  std::sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) {
    return ctx_.document().key_offset(child(a)) < ctx_.document().key_offset(child(b));
  });
  return out;
}

void object_reader::finish() {
  if (obj_ == nullptr) return;
  std::vector<std::string_view> candidates(known_.begin(), known_.end());
  for (const auto& name : member_names()) {
    if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;
    ctx_.error(child(name), "unknown key '" + name + "'",
               closest_match(name, candidates).value_or(""),
               /*at_key=*/true);
  }
}

std::optional<std::size_t> expect_array(load_context& ctx, const nlohmann::json& node,
                                        std::string_view pointer) {
  if (!node.is_array()) {
    ctx.error(pointer, "expected an array, got " + describe_json_type(node));
    return std::nullopt;
  }
  return node.size();
}

}  // namespace crmrules::detail
