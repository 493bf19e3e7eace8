// crmrules model: schemas, the names and types of every field a record kind has.
//
// A `schema` lists a record kind's built-in fields (with their default Chinese aliases, such as
// 线索来源 for lead.source) and the custom fields a host declares in the rules file. The rules
// language resolves field names against it; importers use it to map columns onto records.
//
// Thread-safety: a schema is a value. Build it, then share it read-only (the rules engine keeps
// it inside an immutable rule_set); concurrent const use is safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/records.hpp"
#include "crmrules/model/value.hpp"
#include "crmrules/status.hpp"

namespace crmrules {

/// A built-in field of record type R: its name, type, default aliases, and typed access.
template <class R>
struct builtin_field {
  std::string_view name;
  value_type type;
  std::string_view aliases;  ///< default aliases, '|'-separated: "线索来源|来源"
  std::string_view description;
  /// The field's current value; optional members that are empty read as null.
  value (*get)(const R&);
  /// Sets the field from a value of its type (integers are accepted for decimals, strings for
  /// enums by name, null for optional members). A value of the wrong type is invalid_argument
  /// and leaves the record unchanged.
  status (*set)(R&, const value&);
  /// The field's value without copying (see field_view): for formulas bound to records.
  field_view (*view)(const R&) noexcept;
};

/// Per record type: its kind, id type and built-in field table. Specialised for every record.
template <class R>
struct record_traits;

#define CRMRULES_DECLARE_RECORD_TRAITS(R, ID)                   \
  template <>                                                   \
  struct record_traits<R> {                                     \
    using id_type = ID;                                         \
    static constexpr record_kind kind = record_kind::R;         \
    static std::span<const builtin_field<R>> fields() noexcept; \
  }

CRMRULES_DECLARE_RECORD_TRAITS(lead, lead_id);
CRMRULES_DECLARE_RECORD_TRAITS(customer, customer_id);
CRMRULES_DECLARE_RECORD_TRAITS(contact, contact_id);
CRMRULES_DECLARE_RECORD_TRAITS(rep, rep_id);
CRMRULES_DECLARE_RECORD_TRAITS(team, team_id);
CRMRULES_DECLARE_RECORD_TRAITS(opportunity, opportunity_id);
CRMRULES_DECLARE_RECORD_TRAITS(event, event_id);
CRMRULES_DECLARE_RECORD_TRAITS(promise, promise_id);
CRMRULES_DECLARE_RECORD_TRAITS(timer, timer_id);
#undef CRMRULES_DECLARE_RECORD_TRAITS

/// The record type an id type names: record_of_id<lead_tag>::type is lead.
template <class Tag>
struct record_of_id;
template <>
struct record_of_id<lead_tag> {
  using type = lead;
};
template <>
struct record_of_id<customer_tag> {
  using type = customer;
};
template <>
struct record_of_id<contact_tag> {
  using type = contact;
};
template <>
struct record_of_id<rep_tag> {
  using type = rep;
};
template <>
struct record_of_id<team_tag> {
  using type = team;
};
template <>
struct record_of_id<opportunity_tag> {
  using type = opportunity;
};
template <>
struct record_of_id<event_tag> {
  using type = event;
};
template <>
struct record_of_id<promise_tag> {
  using type = promise;
};
template <>
struct record_of_id<timer_tag> {
  using type = timer;
};

/// A record type crmrules stores: one with traits, an id and a version.
template <class R>
concept stored_record = requires(const R& r) {
  typename record_traits<R>::id_type;
  { record_traits<R>::kind } -> std::convertible_to<record_kind>;
  { r.id } -> std::convertible_to<typename record_traits<R>::id_type>;
  { r.version } -> std::convertible_to<std::uint64_t>;
};

/// One field as the schema knows it.
struct field_def {
  std::string name;  ///< the canonical name: "source", "课程偏好"
  value_type type = value_type::null;
  std::vector<std::string> aliases;  ///< other names that resolve to it: "线索来源"
  std::string description;
  bool builtin = false;
  std::uint16_t builtin_index = 0;  ///< index into record_traits<R>::fields() when builtin
};

/// The fields of one record kind.
///
/// **Example**
/// ```
/// crmrules::schema s(crmrules::record_kind::lead);          // built-ins + default aliases
/// s.add_field({.name = "课程偏好", .type = crmrules::value_type::string});
/// const crmrules::field_def* f = s.find("线索来源");           // -> the built-in "source"
/// ```
class schema {
 public:
  /// A schema with the kind's built-in fields and their default aliases.
  explicit schema(record_kind kind);

  [[nodiscard]] record_kind kind() const noexcept { return kind_; }
  [[nodiscard]] std::span<const field_def> fields() const noexcept { return fields_; }

  /// The field whose name or alias is exactly `name`, or nullptr.
  [[nodiscard]] const field_def* find(std::string_view name) const noexcept;

  /// Declares a custom field. invalid_argument for an empty name, a name with control
  /// characters or invalid UTF-8, or type null; already_exists if the name or one of the
  /// aliases is already a field name or alias.
  status add_field(field_def def);

  /// Adds an alias to an existing field (built-in or custom). not_found / already_exists.
  status add_alias(std::string_view field, std::string alias);

  /// Every name and alias, for "did you mean" suggestions.
  [[nodiscard]] std::vector<std::string_view> spellings() const;

 private:
  status check_new_name(std::string_view name) const;

  record_kind kind_;
  std::vector<field_def> fields_;
  std::map<std::string, std::size_t, std::less<>> index_;  // name or alias -> fields_ index
};

/// One schema per record kind.
class schema_set {
 public:
  /// The built-in schemas of every kind.
  schema_set();

  [[nodiscard]] const schema& of(record_kind kind) const noexcept {
    return schemas_[static_cast<std::size_t>(kind)];
  }
  [[nodiscard]] schema& of(record_kind kind) noexcept {
    return schemas_[static_cast<std::size_t>(kind)];
  }

 private:
  std::vector<schema> schemas_;
};

/// Reads a field of a record: built-in through its getter, custom from `custom` (null when the
/// record does not have it). `def` must come from the schema of R's kind.
template <stored_record R>
[[nodiscard]] value read_field(const R& r, const field_def& def) {
  if (def.builtin) return record_traits<R>::fields()[def.builtin_index].get(r);
  const value* v = r.custom.find(def.name);
  return v != nullptr ? *v : value{};
}

/// Views a field without copying: built-in through its view function, custom from `custom`.
template <stored_record R>
[[nodiscard]] field_view view_field(const R& r, const field_def& def) noexcept {
  if (def.builtin) return record_traits<R>::fields()[def.builtin_index].view(r);
  const value* v = r.custom.find(def.name);
  return v != nullptr ? view_of(*v) : field_view{};
}

/// Writes a field: built-in through its setter, custom into `custom` after checking the value's
/// type against the declaration (null is always accepted). invalid_argument on a type mismatch.
template <stored_record R>
status write_field(R& r, const field_def& def, value v) {
  if (def.builtin) return record_traits<R>::fields()[def.builtin_index].set(r, v);
  if (status s = coerce(v, def.type, def.name); !s.ok()) return s;
  r.custom.set(def.name, std::move(v));
  return {};
}

}  // namespace crmrules
