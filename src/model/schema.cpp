#include "crmrules/model/schema.hpp"

#include "crmrules/model/validate.hpp"
#include "model/record_dispatch.hpp"
#include "util/utf8.hpp"

namespace crmrules {
namespace {

std::vector<std::string> split_aliases(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto bar = s.find('|');
    out.emplace_back(s.substr(0, bar));
    if (bar == std::string_view::npos) break;
    s.remove_prefix(bar + 1);
  }
  return out;
}

}  // namespace

schema::schema(record_kind kind) : kind_(kind) {
  detail::visit_kind(kind, [&]<class R>(detail::type_tag<R>) {
    const auto table = record_traits<R>::fields();
    for (std::size_t i = 0; i < table.size(); ++i) {
      field_def def;
      def.name = std::string(table[i].name);
      def.type = table[i].type;
      def.aliases = split_aliases(table[i].aliases);
      def.description = std::string(table[i].description);
      def.builtin = true;
      def.builtin_index = static_cast<std::uint16_t>(i);
      index_.emplace(def.name, fields_.size());
      for (const auto& a : def.aliases)
        index_.emplace(a, fields_.size());
      fields_.push_back(std::move(def));
    }
  });
}

const field_def* schema::find(std::string_view name) const noexcept {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &fields_[it->second];
}

status schema::check_new_name(std::string_view name) const {
  if (name.empty()) return status::invalid_argument("empty field name");
  if (!is_valid_utf8(name)) return status::invalid_argument("field name is not valid UTF-8");
  if (detail::has_control_char(name)) {
    return status::invalid_argument("field name '" + std::string(name) +
                                    "' contains a control character");
  }
  if (const field_def* f = find(name)) {
    return status::already_exists(
        "'" + std::string(name) + "' is already " +
        (f->name == name ? "a field" : "an alias of field '" + f->name + "'") + " of " +
        std::string(to_string(kind_)));
  }
  return {};
}

status schema::add_field(field_def def) {
  if (def.type == value_type::null)
    return status::invalid_argument("field '" + def.name + "' needs a type");
  if (status s = check_new_name(def.name); !s.ok()) return s;
  for (std::size_t i = 0; i < def.aliases.size(); ++i) {
    const std::string& a = def.aliases[i];
    if (a == def.name) return status::already_exists("alias '" + a + "' repeats the field name");
    for (std::size_t j = 0; j < i; ++j) {
      if (def.aliases[j] == a) return status::already_exists("alias '" + a + "' given twice");
    }
    if (status s = check_new_name(a); !s.ok()) return s;
  }
  def.builtin = false;
  def.builtin_index = 0;
  const std::size_t at = fields_.size();
  index_.emplace(def.name, at);
  for (const auto& a : def.aliases)
    index_.emplace(a, at);
  fields_.push_back(std::move(def));
  return {};
}

status schema::add_alias(std::string_view field, std::string alias) {
  auto it = index_.find(field);
  if (it == index_.end()) {
    return status::not_found("no field '" + std::string(field) + "' in " +
                             std::string(to_string(kind_)));
  }
  if (status s = check_new_name(alias); !s.ok()) return s;
  const std::size_t at = it->second;
  fields_[at].aliases.push_back(alias);
  index_.emplace(std::move(alias), at);
  return {};
}

std::vector<std::string_view> schema::spellings() const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    out.emplace_back(f.name);
    for (const auto& a : f.aliases)
      out.emplace_back(a);
  }
  return out;
}

schema_set::schema_set() {
  schemas_.reserve(record_kind_count);
  for (std::size_t k = 0; k < record_kind_count; ++k)
    schemas_.emplace_back(static_cast<record_kind>(k));
}

}  // namespace crmrules
