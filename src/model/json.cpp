#include "crmrules/model/json.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "model/json_strict.hpp"

namespace crmrules {
namespace {

using json = nlohmann::ordered_json;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------------------------
// Values

json builtin_to_json(const value& v) {
  switch (v.type()) {
    case value_type::null:
      return nullptr;
    case value_type::boolean:
      return *v.get_if<bool>();
    case value_type::integer:
      return *v.get_if<std::int64_t>();
    case value_type::decimal:
      return *v.get_if<double>();
    case value_type::money:
      return v.get_if<money>()->to_string();
    case value_type::string:
      return *v.get_if<std::string>();
    case value_type::time:
      return format_timestamp(*v.get_if<timestamp>());
    case value_type::interval:
      return format_duration(*v.get_if<duration>());
    case value_type::string_list:
      return *v.get_if<value::string_list>();
  }
  return nullptr;
}

json custom_to_json(const value& v) {
  switch (v.type()) {
    case value_type::money:
      return json{{"$money", v.get_if<money>()->to_string()}};
    case value_type::time:
      return json{{"$time", format_timestamp(*v.get_if<timestamp>())}};
    case value_type::interval:
      return json{{"$duration", format_duration(*v.get_if<duration>())}};
    default:
      return builtin_to_json(v);
  }
}

/// A short description of a JSON value for messages: its type, and for scalars its text (cut
/// short). Never serialises a whole array or object: those may be huge or deeply nested.
std::string describe(const json& j) {
  std::string out(j.type_name());
  if (j.is_primitive()) {
    std::string text = dump(j);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    out += " " + text;
  }
  return out;
}

status wrong_type(std::string_view key, std::string_view want, const json& j) {
  return status::invalid_argument("'" + std::string(key) + "' must be " + std::string(want) +
                                  ", got " + describe(j));
}

/// Amounts come as strings ("500000.00", "50万") or JSON numbers. A number is read from its own
/// text with money::parse, like a string: out-of-range and finer-than-a-fen amounts are refused,
/// never wrapped, saturated or rounded.
result<money> money_from_json(std::string_view key, const json& j) {
  if (!j.is_string() && !j.is_number())
    return wrong_type(key, "an amount such as \"500000.00\"", j);
  auto m = money::parse(j.is_string() ? j.get_ref<const std::string&>() : dump(j));
  if (!m) return status::invalid_argument("'" + std::string(key) + "': " + m.error().message());
  return *m;
}

result<value> typed_from_json(std::string_view key, const json& j, value_type type) {
  if (j.is_null()) return value{};
  switch (type) {
    case value_type::null:
      return value{};
    case value_type::boolean:
      if (j.is_boolean()) return value(j.get<bool>());
      return wrong_type(key, "true or false", j);
    case value_type::integer:
      if (j.is_number_integer() &&
          !(j.is_number_unsigned() && j.get<std::uint64_t>() > INT64_MAX)) {
        return value(j.get<std::int64_t>());
      }
      return wrong_type(key, "an integer", j);
    case value_type::decimal:
      if (j.is_number()) return value(j.get<double>());
      return wrong_type(key, "a number", j);
    case value_type::money: {
      auto m = money_from_json(key, j);
      if (!m) return m.error();
      return value(*m);
    }
    case value_type::string:
      if (j.is_string()) return value(j.get<std::string>());
      return wrong_type(key, "a string", j);
    case value_type::time: {
      if (!j.is_string()) return wrong_type(key, "an RFC 3339 time string", j);
      auto t = parse_timestamp(j.get_ref<const std::string&>());
      if (!t) return status::invalid_argument("'" + std::string(key) + "': " + t.error().message());
      return value(*t);
    }
    case value_type::interval: {
      if (!j.is_string()) return wrong_type(key, "a duration string such as \"2h\"", j);
      auto d = parse_duration(j.get_ref<const std::string&>());
      if (!d) return status::invalid_argument("'" + std::string(key) + "': " + d.error().message());
      return value(*d);
    }
    case value_type::string_list: {
      if (!j.is_array()) return wrong_type(key, "an array of strings", j);
      value::string_list out;
      for (const auto& e : j) {
        if (!e.is_string()) return wrong_type(key, "an array of strings", j);
        out.push_back(e.get<std::string>());
      }
      return value(std::move(out));
    }
  }
  return value{};
}

result<value> custom_from_json(std::string_view key, const json& j) {
  if (j.is_null()) return value{};
  if (j.is_boolean()) return value(j.get<bool>());
  if (j.is_number_integer()) return typed_from_json(key, j, value_type::integer);
  if (j.is_number_float()) return value(j.get<double>());
  if (j.is_string()) return value(j.get<std::string>());
  if (j.is_array()) return typed_from_json(key, j, value_type::string_list);
  if (j.is_object() && j.size() == 1) {
    const auto it = j.begin();
    const std::string& tag = it.key();
    const json& inner = it.value();
    if (tag == "$money") return typed_from_json(key, inner, value_type::money);
    if (tag == "$time") return typed_from_json(key, inner, value_type::time);
    if (tag == "$duration") return typed_from_json(key, inner, value_type::interval);
  }
  return wrong_type(key,
                    "a value (null, boolean, number, string, array of strings, or "
                    "{\"$money\"|\"$time\"|\"$duration\": ...})",
                    j);
}

// ---------------------------------------------------------------------------------------------
// Nested parts of some records

void nested_to_json(json&, const lead&) {}
void nested_to_json(json&, const customer&) {}
void nested_to_json(json&, const contact&) {}
void nested_to_json(json&, const team&) {}
void nested_to_json(json&, const event&) {}
void nested_to_json(json&, const promise&) {}
void nested_to_json(json&, const timer&) {}
void nested_to_json(json& j, const rep& r) {
  if (r.leave.empty()) return;
  json arr = json::array();
  for (const auto& p : r.leave)
    arr.push_back({{"from", format_timestamp(p.from)}, {"to", format_timestamp(p.to)}});
  j["leave"] = std::move(arr);
}
void nested_to_json(json& j, const opportunity& o) {
  if (!o.evidence.empty()) {
    json arr = json::array();
    for (const auto& e : o.evidence) {
      json item = {{"id", e.id}, {"type", to_string(e.type)}};
      if (!e.stage.empty()) item["stage"] = e.stage;
      if (!e.ref.empty()) item["ref"] = e.ref;
      if (!e.attendees.empty()) item["attendees"] = e.attendees;
      item["added_at"] = format_timestamp(e.added_at);
      arr.push_back(std::move(item));
    }
    j["evidence"] = std::move(arr);
  }
  if (!o.lost_reasons.empty()) {
    json arr = json::array();
    for (const auto& l : o.lost_reasons)
      arr.push_back({{"code", l.code}, {"primary", l.primary}, {"ref", l.ref}});
    j["lost_reasons"] = std::move(arr);
  }
}

/// Reads `obj[key]` as `type`; absent or null gives null.
result<value> member(const json& obj, std::string_view ctx, const char* key, value_type type) {
  auto it = obj.find(key);
  if (it == obj.end()) return value{};
  return typed_from_json(std::string(ctx) + "." + key, *it, type);
}

status check_keys(const json& obj, std::string_view ctx,
                  std::initializer_list<std::string_view> known) {
  if (!obj.is_object()) return wrong_type(ctx, "an object", obj);
  for (const auto& [k, v] : obj.items()) {
    bool ok = false;
    for (auto n : known)
      ok = ok || n == k;
    if (!ok) return status::invalid_argument("unknown key '" + k + "' in " + std::string(ctx));
  }
  return {};
}

// Returns true when `key` is one of R's nested keys (and `s` holds the outcome).
bool nested_from_json(lead&, const std::string&, const json&, status&) {
  return false;
}
bool nested_from_json(customer&, const std::string&, const json&, status&) {
  return false;
}
bool nested_from_json(contact&, const std::string&, const json&, status&) {
  return false;
}
bool nested_from_json(team&, const std::string&, const json&, status&) {
  return false;
}
bool nested_from_json(event&, const std::string&, const json&, status&) {
  return false;
}
bool nested_from_json(promise&, const std::string&, const json&, status&) {
  return false;
}
bool nested_from_json(timer&, const std::string&, const json&, status&) {
  return false;
}

bool nested_from_json(rep& r, const std::string& key, const json& j, status& s) {
  if (key != "leave") return false;
  if (!j.is_array()) {
    s = wrong_type(key, "an array of {from, to}", j);
    return true;
  }
  for (const auto& p : j) {
    if (s = check_keys(p, "leave[]", {"from", "to"}); !s.ok()) return true;
    auto from = member(p, "leave", "from", value_type::time);
    auto to = member(p, "leave", "to", value_type::time);
    if (!from || !to || from->is_null() || to->is_null()) {
      s = !from ? from.error()
          : !to ? to.error()
                : status::invalid_argument("leave needs 'from' and 'to'");
      return true;
    }
    r.leave.push_back({*from->get_if<timestamp>(), *to->get_if<timestamp>()});
  }
  return true;
}

bool nested_from_json(opportunity& o, const std::string& key, const json& j, status& s) {
  if (key == "evidence") {
    if (!j.is_array()) {
      s = wrong_type(key, "an array of evidence objects", j);
      return true;
    }
    for (const auto& e : j) {
      if (s = check_keys(e, "evidence[]", {"id", "type", "stage", "ref", "attendees", "added_at"});
          !s.ok())
        return true;
      evidence_item item;
      auto id = member(e, "evidence", "id", value_type::string);
      auto type = member(e, "evidence", "type", value_type::string);
      auto stage = member(e, "evidence", "stage", value_type::string);
      auto ref = member(e, "evidence", "ref", value_type::string);
      auto attendees = member(e, "evidence", "attendees", value_type::string_list);
      auto added = member(e, "evidence", "added_at", value_type::time);
      for (const auto* r : {&id, &type, &stage, &ref, &attendees, &added}) {
        if (!*r) {
          s = r->error();
          return true;
        }
      }
      if (const auto* v = id->get_if<std::string>()) item.id = *v;
      const auto* t = type->get_if<std::string>();
      auto parsed = t ? parse_evidence_type(*t) : std::nullopt;
      if (!parsed) {
        s = status::invalid_argument(
            "evidence.type must be one of note, call_recording, screenshot, pdf, "
            "signed_document, email, meeting_minutes, approval");
        return true;
      }
      item.type = *parsed;
      if (const auto* v = stage->get_if<std::string>()) item.stage = *v;
      if (const auto* v = ref->get_if<std::string>()) item.ref = *v;
      if (const auto* v = attendees->get_if<value::string_list>()) item.attendees = *v;
      if (const auto* v = added->get_if<timestamp>()) item.added_at = *v;
      o.evidence.push_back(std::move(item));
    }
    return true;
  }
  if (key == "lost_reasons") {
    if (!j.is_array()) {
      s = wrong_type(key, "an array of {code, primary, ref}", j);
      return true;
    }
    for (const auto& e : j) {
      if (s = check_keys(e, "lost_reasons[]", {"code", "primary", "ref"}); !s.ok()) return true;
      auto code = member(e, "lost_reasons", "code", value_type::string);
      auto primary = member(e, "lost_reasons", "primary", value_type::boolean);
      auto ref = member(e, "lost_reasons", "ref", value_type::string);
      for (const auto* r : {&code, &primary, &ref}) {
        if (!*r) {
          s = r->error();
          return true;
        }
      }
      lost_reason l;
      if (const auto* v = code->get_if<std::string>()) l.code = *v;
      if (const auto* v = primary->get_if<bool>()) l.primary = *v;
      if (const auto* v = ref->get_if<std::string>()) l.ref = *v;
      o.lost_reasons.push_back(std::move(l));
    }
    return true;
  }
  return false;
}

/// Records nest at most a few levels (a record, its custom attributes, a tagged value).
constexpr int max_record_depth = 16;

/// Parses a record's JSON: malformed text, nesting deeper than any record has, and duplicate
/// keys (which a plain DOM would silently resolve to the last one) are all errors.
result<json> parse_object(std::string_view text, std::string_view what) {
  struct refusal {
    std::string why;
  };
  std::vector<std::vector<std::string>> keys;  // the keys seen so far, per open object
  auto guard = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > max_record_depth)
      throw refusal{"nested more than " + std::to_string(max_record_depth) + " levels"};
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key: {
        const auto& k = parsed.get_ref<const std::string&>();
        auto& seen = keys.back();
        if (std::find(seen.begin(), seen.end(), k) != seen.end())
          throw refusal{"duplicate key '" + k + "'"};
        seen.push_back(k);
        break;
      }
      default:
        break;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text, guard);
  } catch (const json::parse_error& e) {
    return status::invalid_argument(std::string(what) + ": malformed JSON: " + e.what());
  } catch (const refusal& r) {
    return status::invalid_argument(std::string(what) + ": " + r.why);
  }
  if (!j.is_object()) return status::invalid_argument(std::string(what) + " must be a JSON object");
  return j;
}

}  // namespace

namespace detail {

result<nlohmann::ordered_json> parse_json_object(std::string_view text, std::string_view what) {
  return parse_object(text, what);
}

}  // namespace detail

template <stored_record R>
std::string to_json(const R& record) {
  static const R defaults{};
  json j = json::object();
  for (const auto& f : record_traits<R>::fields()) {
    value v = f.get(record);
    if (f.name != "id" && v == f.get(defaults)) continue;
    j[std::string(f.name)] = builtin_to_json(v);
  }
  if (record.version != 0) j["version"] = record.version;
  nested_to_json(j, record);
  if (!record.custom.empty()) {
    json c = json::object();
    for (const auto& [name, v] : record.custom)
      c[name] = custom_to_json(v);
    j["custom"] = std::move(c);
  }
  return dump(j);
}

template <stored_record R>
result<R> from_json(std::string_view text) {
  const std::string kind(to_string(record_traits<R>::kind));
  auto parsed = parse_object(text, kind);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  R r{};
  const auto fields = record_traits<R>::fields();
  for (const auto& [key, val] : j.items()) {
    if (key == "version") {
      if (!val.is_number_unsigned() &&
          !(val.is_number_integer() && val.template get<std::int64_t>() >= 0)) {
        return wrong_type(key, "a non-negative integer", val);
      }
      r.version = val.template get<std::uint64_t>();
      continue;
    }
    if (key == "custom") {
      if (!val.is_object()) return wrong_type(key, "an object of attributes", val);
      for (const auto& [name, cv] : val.items()) {
        auto v = custom_from_json("custom." + name, cv);
        if (!v) return v.error();
        r.custom.set(name, std::move(*v));
      }
      continue;
    }
    status nested;
    if (nested_from_json(r, key, val, nested)) {
      if (!nested.ok()) return status::invalid_argument(kind + ": " + nested.message());
      continue;
    }
    const builtin_field<R>* field = nullptr;
    for (const auto& f : fields) {
      if (f.name == key) field = &f;
    }
    if (field == nullptr) return status::invalid_argument(kind + ": unknown field '" + key + "'");
    auto v = typed_from_json(key, val, field->type);
    if (!v) return status::invalid_argument(kind + ": " + v.error().message());
    if (status s = field->set(r, *v); !s.ok()) {
      return status::invalid_argument(kind + ": '" + key + "': " + s.message());
    }
  }
  if (r.id.empty()) return status::invalid_argument(kind + ": missing or empty 'id'");
  return r;
}

#define CRMRULES_INSTANTIATE(R)                  \
  template std::string to_json(const R& record); \
  template result<R> from_json(std::string_view text);
CRMRULES_INSTANTIATE(lead)
CRMRULES_INSTANTIATE(customer)
CRMRULES_INSTANTIATE(contact)
CRMRULES_INSTANTIATE(rep)
CRMRULES_INSTANTIATE(team)
CRMRULES_INSTANTIATE(opportunity)
CRMRULES_INSTANTIATE(event)
CRMRULES_INSTANTIATE(promise)
CRMRULES_INSTANTIATE(timer)
#undef CRMRULES_INSTANTIATE

std::string to_json(const decision& d) {
  json j = json::object();
  j["seq"] = d.seq;
  j["at"] = format_timestamp(d.at);
  j["kind"] = to_string(d.kind);
  j["subject"] = {{"kind", to_string(d.subject.kind)}, {"id", d.subject.id}};
  j["actor"] = d.actor;
  j["reason"] = d.reason;
  j["detail"] = d.detail;
  return dump(j);
}

result<decision> decision_from_json(std::string_view text) {
  auto parsed = parse_object(text, "decision");
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  if (status s =
          check_keys(j, "decision", {"seq", "at", "kind", "subject", "actor", "reason", "detail"});
      !s.ok()) {
    return s;
  }
  decision d;
  if (auto it = j.find("seq"); it != j.end()) {
    if (!it->is_number_unsigned()) return wrong_type("seq", "a non-negative integer", *it);
    d.seq = it->get<std::uint64_t>();
  }
  auto at = member(j, "decision", "at", value_type::time);
  auto kind = member(j, "decision", "kind", value_type::string);
  auto actor = member(j, "decision", "actor", value_type::string);
  auto reason = member(j, "decision", "reason", value_type::string);
  auto detail = member(j, "decision", "detail", value_type::string);
  for (const auto* r : {&at, &kind, &actor, &reason, &detail}) {
    if (!*r) return r->error();
  }
  if (const auto* t = at->get_if<timestamp>()) d.at = *t;
  const auto* k = kind->get_if<std::string>();
  auto pk = k ? parse_decision_kind(*k) : std::nullopt;
  if (!pk) return status::invalid_argument("decision.kind missing or unknown");
  d.kind = *pk;
  if (const auto* v = actor->get_if<std::string>()) d.actor = *v;
  if (const auto* v = reason->get_if<std::string>()) d.reason = *v;
  if (const auto* v = detail->get_if<std::string>()) d.detail = *v;
  if (auto it = j.find("subject"); it != j.end()) {
    if (status s = check_keys(*it, "decision.subject", {"kind", "id"}); !s.ok()) return s;
    auto sk = member(*it, "subject", "kind", value_type::string);
    auto sid = member(*it, "subject", "id", value_type::string);
    if (!sk) return sk.error();
    if (!sid) return sid.error();
    const auto* sks = sk->get_if<std::string>();
    auto pks = sks ? parse_record_kind(*sks) : std::nullopt;
    if (!pks) return status::invalid_argument("decision.subject.kind missing or unknown");
    d.subject.kind = *pks;
    if (const auto* v = sid->get_if<std::string>()) d.subject.id = *v;
  }
  return d;
}

std::string value_to_json(const value& v) {
  return dump(custom_to_json(v));
}

result<value> value_from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text, [](int depth, json::parse_event_t, json&) {
      if (depth > max_record_depth) throw std::length_error("nested too deeply");
      return true;
    });
  } catch (const json::parse_error& e) {
    return status::invalid_argument(std::string("malformed JSON value: ") + e.what());
  } catch (const std::length_error&) {
    return status::invalid_argument("JSON value nested too deeply");
  }
  return custom_from_json("value", j);
}

}  // namespace crmrules
