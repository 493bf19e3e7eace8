#include "crmrules/dedup/merge.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

#include "crmrules/dedup/normalise.hpp"
#include "crmrules/model/json.hpp"
#include "crmrules/model/schema.hpp"
#include "util/utf8.hpp"

namespace crmrules::dedup {

namespace {

// Ordered: the undo record reads in the order it is written (survivor, absorbed, fields, undo).
using json = nlohmann::ordered_json;

/// Runs `f`, turning anything it throws into a status: the public functions are noexcept.
template <class F>
auto guard(const char* what, F&& f) noexcept -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return status(status_code::resource_exhausted, "out of memory");
  } catch (const std::exception& e) {
    try {
      return status::internal(std::string(what) + ": " + e.what());
    } catch (...) {
      return status(status_code::internal, "exception");
    }
  } catch (...) {
    return status(status_code::internal, "exception");
  }
}

// ---------------------------------------------------------------------------------------------
// Values: what "empty" means, and a value as text.

bool blank(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

bool empty_value(const value& v) noexcept {
  if (v.is_null()) return true;
  if (const auto* s = v.get_if<std::string>()) return blank(*s);
  if (const auto* l = v.get_if<value::string_list>()) return l->empty();
  return false;
}

std::string text_of(const value& v) {
  if (v.is_null()) return {};
  if (const auto* s = v.get_if<std::string>()) return *s;
  return v.to_string();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The scalar built-in fields a merge resolves, in schema order. phones and emails are lists
// (always the union); id, created_at and updated_at are not resolved field by field.

struct scalar_field {
  std::string_view name;
  value (*get)(const customer&);
  void (*set)(customer&, const value&);
};

template <std::string customer::*M>
scalar_field text_field(std::string_view name) {
  return {name, [](const customer& c) { return value(c.*M); },
          [](customer& c, const value& v) { c.*M = text_of(v); }};
}

const std::vector<scalar_field>& scalar_fields() {
  static const std::vector<scalar_field> fields = {
      text_field<&customer::name>("name"),
      text_field<&customer::uscc>("uscc"),
      text_field<&customer::address>("address"),
      text_field<&customer::region>("region"),
      text_field<&customer::industry>("industry"),
      text_field<&customer::tier>("tier"),
      {"owner", [](const customer& c) { return c.owner ? value(c.owner->str()) : value(); },
       [](customer& c, const value& v) {
         if (empty_value(v)) {
           c.owner.reset();
         } else {
           c.owner = rep_id{text_of(v)};
         }
       }},
  };
  return fields;
}

bool is_list_field(std::string_view name) noexcept {
  return name == "phones" || name == "emails";
}

/// The per-field rules by canonical name (built-in names and Chinese aliases resolved).
result<std::map<std::string, field_rule, std::less<>>> field_rules(const merge_policy& policy) {
  static const schema customer_schema(record_kind::customer);
  if (policy.default_rule == field_rule::union_all) {
    return status::invalid_argument(
        "merge policy: the default rule cannot be 'union' (it is for phones and emails only)");
  }
  std::map<std::string, field_rule, std::less<>> out;
  for (const auto& [name, rule] : policy.per_field) {
    if (name.empty())
      return status::invalid_argument("merge policy: a per-field rule without a name");
    std::string canonical = name;
    if (const field_def* f = customer_schema.find(name); f != nullptr && f->builtin)
      canonical = f->name;
    if (canonical == "id" || canonical == "version" || canonical == "created_at" ||
        canonical == "updated_at") {
      return status::invalid_argument("merge policy: '" + name +
                                      "' is not merged field by field (the survivor's id is "
                                      "kept, created_at is the earliest, updated_at the merge's)");
    }
    const bool list = is_list_field(canonical);
    if (list && rule != field_rule::union_all) {
      return status::invalid_argument("merge policy: '" + name +
                                      "' is always the union of every record's entries; its rule "
                                      "can only be 'union', not '" +
                                      std::string(to_string(rule)) + "'");
    }
    if (!list && rule == field_rule::union_all) {
      return status::invalid_argument("merge policy: '" + name +
                                      "' is not a list: 'union' is for phones and emails only");
    }
    if (!out.emplace(canonical, rule).second)
      return status::invalid_argument("merge policy: a rule for '" + name + "' is given twice");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The survivor.

int completeness(const customer& c) noexcept {
  int n = 0;
  for (const auto& f : scalar_fields()) {
    if (!empty_value(f.get(c))) ++n;
  }
  if (!c.phones.empty()) ++n;
  if (!c.emails.empty()) ++n;
  for (const auto& [key, v] : c.custom) {
    if (!empty_value(v)) ++n;
  }
  return n;
}

/// Whether `a` should survive rather than `b` under `rule`: a strict total order, so the choice
/// does not depend on the order of the cluster.
bool survives_over(const customer& a, const customer& b, survivor_rule rule) noexcept {
  switch (rule) {
    case survivor_rule::most_recently_updated:
      break;
    case survivor_rule::oldest:
      if (a.created_at != b.created_at) return a.created_at < b.created_at;
      return a.id < b.id;
    case survivor_rule::most_complete:
      if (const int ca = completeness(a), cb = completeness(b); ca != cb) return ca > cb;
      break;
  }
  if (a.updated_at != b.updated_at) return a.updated_at > b.updated_at;
  return a.id < b.id;
}

// ---------------------------------------------------------------------------------------------
// Resolution of one field across the records, which are in survivor order (survivor first).

struct pick {
  std::size_t index = 0;
  bool conflict = false;
};

pick resolve(const std::vector<value>& vals, field_rule rule,
             const std::vector<std::size_t>& newest_order) {
  pick p;
  const std::size_t n = vals.size();
  switch (rule) {
    case field_rule::survivor:
    case field_rule::union_all:  // not used for scalars (refused by field_rules)
      p.index = 0;
      break;
    case field_rule::non_empty:
      for (std::size_t i = 0; i < n; ++i) {
        if (!empty_value(vals[i])) {
          p.index = i;
          break;
        }
      }
      break;
    case field_rule::newest:
      for (std::size_t i : newest_order) {
        if (!empty_value(vals[i])) {
          p.index = i;
          break;
        }
      }
      break;
    case field_rule::longest: {
      std::size_t best = 0;
      bool found = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (empty_value(vals[i])) continue;
        const std::size_t len = detail::count_code_points(text_of(vals[i]));
        if (!found || len > best) {
          best = len;
          p.index = i;
          found = true;
        }
      }
      break;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!empty_value(vals[i]) && vals[i] != vals[p.index]) p.conflict = true;
  }
  return p;
}

/// The union of the lists `of` picks, survivor's first, without duplicates by `key`.
template <class Of, class Key>
std::vector<std::string> list_union(const std::vector<customer>& recs, Of of, Key key) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& c : recs) {
    for (const auto& entry : of(c)) {
      if (blank(entry)) continue;
      if (seen.insert(key(entry)).second) out.push_back(entry);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Linked records: reading, re-pointing.

template <class R>
auto& store_for(storage& s) noexcept {
  if constexpr (std::is_same_v<R, lead>) {
    return s.leads();
  } else if constexpr (std::is_same_v<R, contact>) {
    return s.contacts();
  } else if constexpr (std::is_same_v<R, opportunity>) {
    return s.opportunities();
  } else if constexpr (std::is_same_v<R, event>) {
    return s.events();
  } else {
    static_assert(std::is_same_v<R, promise>);
    return s.promises();
  }
}

std::string describe(const record_ref& r) {
  return std::string(to_string(r.kind)) + " " + r.id;
}

/// Reads the linked record `ref`, checks it is still at `version` and belongs to `from`, and
/// stages its update to belong to `to`. Anything changed is a conflict.
template <class R>
status repoint_as(storage& s, write_batch& batch, const record_ref& ref, std::uint64_t version,
                  const customer_id& from, const customer_id& to, std::string_view since) {
  using id_type = typename record_traits<R>::id_type;
  auto r = store_for<R>(s).get(id_type{ref.id});
  if (!r) {
    if (r.error().is_not_found())
      return status::conflict(describe(ref) + " was removed since " + std::string(since));
    return r.error();
  }
  if (r->version != version || r->customer != from) {
    return status::conflict(describe(ref) + " changed since " + std::string(since) + " (version " +
                            std::to_string(version) + ", now " + std::to_string(r->version) + ")");
  }
  r->customer = to;
  batch.update(std::move(*r));
  return {};
}

status repoint(storage& s, write_batch& batch, const record_ref& ref, std::uint64_t version,
               const customer_id& from, const customer_id& to, std::string_view since) {
  switch (ref.kind) {
    case record_kind::lead:
      return repoint_as<lead>(s, batch, ref, version, from, to, since);
    case record_kind::contact:
      return repoint_as<contact>(s, batch, ref, version, from, to, since);
    case record_kind::opportunity:
      return repoint_as<opportunity>(s, batch, ref, version, from, to, since);
    case record_kind::event:
      return repoint_as<event>(s, batch, ref, version, from, to, since);
    case record_kind::promise:
      return repoint_as<promise>(s, batch, ref, version, from, to, since);
    default:
      return status::invalid_argument(
          "a merge moves leads, contacts, opportunities, events and promises, not " +
          describe(ref));
  }
}

/// Whether every contact, opportunity and event of an absorbed customer is in `moves`: one
/// linked since collect_links ran (or a plan never given to collect_links) would be left
/// pointing at a removed customer. Inserts are not version-checked by a commit, so this is
/// checked here, just before the commit.
status check_links_collected(storage& s, const std::set<customer_id>& absorbed,
                             const std::vector<link_move>& moves) {
  std::set<std::pair<record_kind, std::string_view>> planned;
  for (const auto& m : moves)
    planned.emplace(m.record.kind, m.record.id);
  auto check = [&](const auto& records) -> status {
    for (const auto& r : records) {
      const record_ref ref{record_traits<std::decay_t<decltype(r)>>::kind, r.id.str()};
      if (!planned.contains({ref.kind, ref.id})) {
        return status::conflict(describe(ref) + " of customer " + r.customer->str() +
                                " is not in the plan's moves (linked since collect_links ran?): "
                                "collect the links again");
      }
    }
    return {};
  };
  for (const auto& id : absorbed) {
    auto contacts = s.contacts().list_by_customer(id);
    if (!contacts) return contacts.error();
    if (status st = check(*contacts); !st.ok()) return st;
    auto deals = s.opportunities().list_by_customer(id);
    if (!deals) return deals.error();
    if (status st = check(*deals); !st.ok()) return st;
    auto events = s.events().list_by_customer(id, timestamp::min(), timestamp::max());
    if (!events) return events.error();
    if (status st = check(*events); !st.ok()) return st;
  }
  return {};
}

/// A failed commit, as the caller sees it: a record that vanished or an id taken meanwhile is
/// a change since planning too, so a conflict.
status commit_failure(const status& s, std::string_view what) {
  const std::string message = std::string(what) + ": " + s.message();
  if (s.is_not_found() || s.is_already_exists() || s.is_conflict())
    return status::conflict(message);
  return {s.code(), message};
}

template <class R>
link_move move_of(const R& r) {
  return link_move{record_ref{record_traits<R>::kind, r.id.str()}, *r.customer, r.version};
}

/// The records the host named (kinds without a by-customer query) that belong to `absorbed`.
template <class R>
status collect_named(storage& s, std::span<const typename record_traits<R>::id_type> ids,
                     const std::set<customer_id>& absorbed, std::vector<link_move>& out) {
  const std::set<typename record_traits<R>::id_type> unique(ids.begin(), ids.end());
  for (const auto& id : unique) {
    auto r = store_for<R>(s).get(id);
    if (!r) return r.error();
    if (r->customer && absorbed.contains(*r->customer)) out.push_back(move_of(*r));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The undo record.

json customer_json(const customer& c) {
  return json::parse(to_json(c));
}

struct undo_record {
  customer survivor_before;
  std::uint64_t survivor_version = 0;  ///< the survivor's version right after the merge
  std::vector<customer> absorbed;
  std::vector<link_move> moves;  ///< `from`: the previous customer; `version`: after the merge
};

std::string merge_detail(const merge_plan& plan) {
  json j = json::object();
  j["survivor"] = plan.survivor.id.str();
  json ids = json::array();
  for (const auto& a : plan.absorbed)
    ids.push_back(a.id.str());
  j["absorbed"] = std::move(ids);
  json fields = json::array();
  for (const auto& f : plan.fields) {
    fields.push_back({{"field", f.field},
                      {"value", f.value},
                      {"from", f.from.str()},
                      {"rule", std::string(to_string(f.rule))},
                      {"conflict", f.conflict}});
  }
  j["fields"] = std::move(fields);
  json undo = json::object();
  undo["survivor_before"] = customer_json(plan.survivor);
  undo["survivor_version"] = plan.survivor.version + 1;  // an update stores version + 1
  json absorbed = json::array();
  for (const auto& a : plan.absorbed)
    absorbed.push_back(customer_json(a));
  undo["absorbed"] = std::move(absorbed);
  json moves = json::array();
  for (const auto& m : plan.moves) {
    moves.push_back({{"kind", std::string(to_string(m.record.kind))},
                     {"id", m.record.id},
                     {"from", m.from.str()},
                     {"version", m.version + 1}});
  }
  undo["moves"] = std::move(moves);
  j["undo"] = std::move(undo);
  return j.dump();
}

result<customer> customer_from(const json& j, std::string_view what) {
  if (!j.is_object()) return status::corrupted(std::string(what) + " is not a customer object");
  auto c = from_json<customer>(j.dump());
  if (!c) return status::corrupted(std::string(what) + ": " + c.error().message());
  return c;
}

result<undo_record> parse_undo(const std::string& detail, std::uint64_t seq) {
  const std::string where = "merge decision " + std::to_string(seq) + ": undo record";
  const json j = json::parse(detail, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return status::corrupted(where + " is not JSON");
  const auto undo = j.find("undo");
  if (undo == j.end() || !undo->is_object()) return status::corrupted(where + " is missing");
  undo_record out;
  const auto before = undo->find("survivor_before");
  if (before == undo->end()) return status::corrupted(where + ": no survivor_before");
  auto survivor = customer_from(*before, where + ": survivor_before");
  if (!survivor) return survivor.error();
  out.survivor_before = std::move(*survivor);
  const auto version = undo->find("survivor_version");
  if (version == undo->end() || !version->is_number_unsigned())
    return status::corrupted(where + ": no survivor_version");
  out.survivor_version = version->get<std::uint64_t>();
  const auto absorbed = undo->find("absorbed");
  if (absorbed == undo->end() || !absorbed->is_array() || absorbed->empty())
    return status::corrupted(where + ": no absorbed customers");
  for (const auto& a : *absorbed) {
    auto c = customer_from(a, where + ": absorbed");
    if (!c) return c.error();
    out.absorbed.push_back(std::move(*c));
  }
  const auto moves = undo->find("moves");
  if (moves == undo->end() || !moves->is_array()) return status::corrupted(where + ": no moves");
  for (const auto& m : *moves) {
    const auto kind = m.is_object() ? m.find("kind") : m.end();
    const auto id = m.is_object() ? m.find("id") : m.end();
    const auto from = m.is_object() ? m.find("from") : m.end();
    const auto ver = m.is_object() ? m.find("version") : m.end();
    if (kind == m.end() || id == m.end() || from == m.end() || ver == m.end() ||
        !kind->is_string() || !id->is_string() || !from->is_string() ||
        !ver->is_number_unsigned()) {
      return status::corrupted(where + ": a malformed move");
    }
    const auto k = parse_record_kind(kind->get<std::string>());
    if (!k) return status::corrupted(where + ": a move of unknown kind");
    out.moves.push_back(link_move{record_ref{*k, id->get<std::string>()},
                                  customer_id{from->get<std::string>()},
                                  ver->get<std::uint64_t>()});
  }
  return out;
}

/// Whether decision `d` is the undo of merge `seq`.
bool undoes(const decision& d, std::uint64_t seq) {
  if (d.kind != decision_kind::merge_undo) return false;
  const json j = json::parse(d.detail, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  const auto it = j.find("undoes");
  return it != j.end() && it->is_number_unsigned() && it->get<std::uint64_t>() == seq;
}

std::string id_list(const std::vector<customer>& cs) {
  std::vector<std::string> ids;
  ids.reserve(cs.size());
  for (const auto& c : cs)
    ids.push_back(c.id.str());
  return joined(ids);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names.

std::string_view to_string(survivor_rule r) noexcept {
  switch (r) {
    case survivor_rule::most_recently_updated:
      return "most_recently_updated";
    case survivor_rule::oldest:
      return "oldest";
    case survivor_rule::most_complete:
      return "most_complete";
  }
  return "unknown";
}

std::optional<survivor_rule> parse_survivor_rule(std::string_view name) noexcept {
  for (auto r : {survivor_rule::most_recently_updated, survivor_rule::oldest,
                 survivor_rule::most_complete}) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view to_string(field_rule r) noexcept {
  switch (r) {
    case field_rule::non_empty:
      return "non_empty";
    case field_rule::newest:
      return "newest";
    case field_rule::survivor:
      return "survivor";
    case field_rule::longest:
      return "longest";
    case field_rule::union_all:
      return "union";
  }
  return "unknown";
}

std::optional<field_rule> parse_field_rule(std::string_view name) noexcept {
  for (auto r : {field_rule::non_empty, field_rule::newest, field_rule::survivor,
                 field_rule::longest, field_rule::union_all}) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Planning.

result<merge_plan> plan_merge(std::span<const customer> cluster,
                              const merge_policy& policy) noexcept {
  return guard("plan_merge", [&]() -> result<merge_plan> {
    if (cluster.size() < 2) {
      return status::invalid_argument("plan_merge: a cluster needs at least 2 customers, got " +
                                      std::to_string(cluster.size()));
    }
    auto rules = field_rules(policy);
    if (!rules) return rules.error();

    // Survivor order: the survivor, then the others newest first, then by id.
    std::vector<customer> recs(cluster.begin(), cluster.end());
    std::set<std::string_view> ids;
    for (const auto& c : recs) {
      if (c.id.empty()) return status::invalid_argument("plan_merge: a customer without an id");
      if (!ids.insert(c.id.str()).second)
        return status::invalid_argument("plan_merge: customer " + c.id.str() + " appears twice");
    }
    const auto survivor_it = std::min_element(
        recs.begin(), recs.end(),
        [&](const customer& a, const customer& b) { return survives_over(a, b, policy.survivor); });
    std::iter_swap(recs.begin(), survivor_it);
    std::sort(recs.begin() + 1, recs.end(), [](const customer& a, const customer& b) {
      return survives_over(a, b, survivor_rule::most_recently_updated);
    });
    std::vector<std::size_t> newest(recs.size());
    for (std::size_t i = 0; i < newest.size(); ++i)
      newest[i] = i;
    std::stable_sort(newest.begin(), newest.end(), [&](std::size_t a, std::size_t b) {
      return recs[a].updated_at > recs[b].updated_at;
    });

    merge_plan plan;
    plan.survivor = recs.front();
    plan.absorbed.assign(recs.begin() + 1, recs.end());
    std::sort(plan.absorbed.begin(), plan.absorbed.end(),
              [](const customer& a, const customer& b) { return a.id < b.id; });
    plan.merged = plan.survivor;
    for (const auto& c : recs)
      plan.merged.created_at = std::min(plan.merged.created_at, c.created_at);

    auto rule_of = [&](std::string_view field) {
      const auto it = rules->find(field);
      return it != rules->end() ? it->second : policy.default_rule;
    };
    auto resolve_into = [&](std::string_view field, const std::vector<value>& vals, auto&& apply) {
      const field_rule rule = rule_of(field);
      const pick p = resolve(vals, rule, newest);
      if (!empty_value(vals[p.index])) apply(vals[p.index]);
      plan.fields.push_back(field_resolution{std::string(field), text_of(vals[p.index]),
                                             recs[p.index].id, rule, p.conflict});
    };
    auto list_resolution = [&](std::string_view field, const std::vector<std::string>& merged) {
      plan.fields.push_back(field_resolution{std::string(field), joined(merged), plan.survivor.id,
                                             field_rule::union_all, false});
    };

    std::vector<value> vals(recs.size());
    for (const auto& f : scalar_fields()) {
      for (std::size_t i = 0; i < recs.size(); ++i)
        vals[i] = f.get(recs[i]);
      resolve_into(f.name, vals, [&](const value& v) { f.set(plan.merged, v); });
      if (f.name == "uscc") {  // schema order: name, uscc, phones, emails, address, ...
        plan.merged.phones = list_union(
            recs, [](const customer& c) -> const auto& { return c.phones; },
            [&](const std::string& p) {
              auto n = normalise_phone(p, policy.phone_region);
              return n ? n->e164 : p;
            });
        list_resolution("phones", plan.merged.phones);
        plan.merged.emails = list_union(
            recs, [](const customer& c) -> const auto& { return c.emails; },
            [](const std::string& e) {
              auto n = normalise_email(e);
              return n ? n->address : e;
            });
        list_resolution("emails", plan.merged.emails);
      }
    }

    std::set<std::string> keys;
    for (const auto& c : recs) {
      for (const auto& [key, v] : c.custom)
        keys.insert(key);
    }
    for (const auto& key : keys) {
      for (std::size_t i = 0; i < recs.size(); ++i) {
        const value* v = recs[i].custom.find(key);
        vals[i] = v != nullptr ? *v : value();
      }
      resolve_into(key, vals, [&](const value& v) { plan.merged.custom.set(key, v); });
    }
    return plan;
  });
}

// ---------------------------------------------------------------------------------------------
// Links.

status collect_links(storage& s, merge_plan& plan, std::span<const lead_id> known_leads,
                     std::span<const promise_id> known_promises) noexcept {
  return guard("collect_links", [&]() -> status {
    if (plan.absorbed.empty())
      return status::invalid_argument("collect_links: the plan absorbs no customer");
    std::set<customer_id> absorbed;
    for (const auto& a : plan.absorbed)
      absorbed.insert(a.id);
    std::vector<link_move> moves;
    for (const auto& id : absorbed) {
      auto contacts = s.contacts().list_by_customer(id);
      if (!contacts) return contacts.error();
      for (const auto& c : *contacts)
        moves.push_back(move_of(c));
      auto deals = s.opportunities().list_by_customer(id);
      if (!deals) return deals.error();
      for (const auto& o : *deals)
        moves.push_back(move_of(o));
      // Every event: no time window (the whole range of timestamps).
      auto events = s.events().list_by_customer(id, timestamp::min(), timestamp::max());
      if (!events) return events.error();
      for (const auto& e : *events)
        moves.push_back(move_of(e));
    }
    if (status st = collect_named<lead>(s, known_leads, absorbed, moves); !st.ok()) return st;
    if (status st = collect_named<promise>(s, known_promises, absorbed, moves); !st.ok()) return st;
    std::sort(moves.begin(), moves.end(), [](const link_move& a, const link_move& b) {
      if (a.record.kind != b.record.kind) return a.record.kind < b.record.kind;
      return a.record.id < b.record.id;
    });
    plan.moves = std::move(moves);
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// Execution.

result<std::uint64_t> execute_merge(storage& s, const merge_plan& plan, timestamp now,
                                    std::string_view actor) noexcept {
  return guard("execute_merge", [&]() -> result<std::uint64_t> {
    if (actor.empty()) return status::invalid_argument("execute_merge: the actor is empty");
    const customer_id& survivor = plan.survivor.id;
    if (survivor.empty() || plan.absorbed.empty())
      return status::invalid_argument("execute_merge: the plan has no survivor or absorbs nobody");
    if (plan.merged.id != survivor || plan.merged.version != plan.survivor.version)
      return status::invalid_argument("execute_merge: the merged record is not the survivor's");
    std::set<customer_id> absorbed;
    for (const auto& a : plan.absorbed) {
      if (a.version == 0 || a.id == survivor || !absorbed.insert(a.id).second)
        return status::invalid_argument("execute_merge: absorbed customer '" + a.id.str() +
                                        "' is unstored, the survivor or repeated");
    }
    if (plan.survivor.version == 0)
      return status::invalid_argument("execute_merge: the survivor was never stored");

    if (status st = check_links_collected(s, absorbed, plan.moves); !st.ok()) return st;

    write_batch batch;
    customer merged = plan.merged;
    merged.updated_at = now;
    batch.update(std::move(merged));
    for (const auto& m : plan.moves) {
      if (!absorbed.contains(m.from)) {
        return status::invalid_argument("execute_merge: " + describe(m.record) + " moves from '" +
                                        m.from.str() + "', which the plan does not absorb");
      }
      if (status st = repoint(s, batch, m.record, m.version, m.from, survivor, "planning");
          !st.ok())
        return st;
    }
    for (const auto& a : plan.absorbed)
      batch.remove(a.id, a.version);

    decision d;
    d.at = now;
    d.kind = decision_kind::merge;
    d.subject = record_ref{record_kind::customer, survivor.str()};
    d.actor = std::string(actor);
    d.reason = "merged " + id_list(plan.absorbed) + " into " + survivor.str() + " (" +
               std::to_string(plan.moves.size()) + " linked records moved)";
    d.detail = merge_detail(plan);
    batch.append(std::move(d));

    auto receipt = s.commit(batch);
    if (!receipt) return commit_failure(receipt.error(), "execute_merge");
    return receipt->decision_seqs.front();
  });
}

result<std::uint64_t> undo_merge(storage& s, std::uint64_t merge_seq, timestamp now,
                                 std::string_view actor) noexcept {
  return guard("undo_merge", [&]() -> result<std::uint64_t> {
    if (actor.empty()) return status::invalid_argument("undo_merge: the actor is empty");
    if (merge_seq == 0) return status::not_found("undo_merge: there is no decision 0");
    auto page = s.decisions().read(merge_seq - 1, 1);
    if (!page) return page.error();
    if (page->empty() || page->front().seq != merge_seq)
      return status::not_found("undo_merge: no decision " + std::to_string(merge_seq));
    const decision& merge = page->front();
    if (merge.kind != decision_kind::merge) {
      return status::invalid_argument("undo_merge: decision " + std::to_string(merge_seq) +
                                      " is a " + std::string(to_string(merge.kind)) +
                                      ", not a merge");
    }
    auto undo = parse_undo(merge.detail, merge_seq);
    if (!undo) return undo.error();
    const customer_id survivor = undo->survivor_before.id;

    auto later = s.decisions().for_subject(merge.subject);
    if (!later) return later.error();
    for (const auto& d : *later) {
      if (undoes(d, merge_seq)) {
        return status::conflict("undo_merge: merge " + std::to_string(merge_seq) +
                                " was already undone by decision " + std::to_string(d.seq));
      }
    }

    write_batch batch;
    auto current = s.customers().get(survivor);
    if (!current) {
      if (current.error().is_not_found())
        return status::conflict("undo_merge: customer " + survivor.str() +
                                " was removed since the merge");
      return current.error();
    }
    if (current->version != undo->survivor_version) {
      return status::conflict("undo_merge: customer " + survivor.str() +
                              " changed since the merge (version " +
                              std::to_string(undo->survivor_version) + ", now " +
                              std::to_string(current->version) + ")");
    }
    customer restored = undo->survivor_before;
    restored.version = current->version;
    batch.update(std::move(restored));
    for (const auto& m : undo->moves) {
      if (status st = repoint(s, batch, m.record, m.version, survivor, m.from, "the merge");
          !st.ok())
        return st;
    }
    for (auto a : undo->absorbed) {
      a.version = 0;  // a removed record comes back as a new one
      batch.insert(std::move(a));
    }

    decision d;
    d.at = now;
    d.kind = decision_kind::merge_undo;
    d.subject = merge.subject;
    d.actor = std::string(actor);
    d.reason = "undid merge " + std::to_string(merge_seq) + ": restored " +
               id_list(undo->absorbed) + " beside " + survivor.str();
    json detail = json::object();
    detail["undoes"] = merge_seq;
    json ids = json::array();
    for (const auto& a : undo->absorbed)
      ids.push_back(a.id.str());
    detail["restored"] = std::move(ids);
    detail["moved_back"] = undo->moves.size();
    d.detail = detail.dump();
    batch.append(std::move(d));

    auto receipt = s.commit(batch);
    if (!receipt) return commit_failure(receipt.error(), "undo_merge");
    return receipt->decision_seqs.front();
  });
}

}  // namespace crmrules::dedup
