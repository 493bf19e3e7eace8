#include "crmrules/model/validate.hpp"

#include <cmath>
#include <string>

#include "util/utf8.hpp"

namespace crmrules {

bool is_valid_utf8(std::string_view text) noexcept {
  return detail::utf8_valid_prefix(text) == text.size();
}

namespace {

status check_text(std::string_view what, std::string_view text) {
  const std::size_t at = detail::utf8_valid_prefix(text);
  if (at == text.size()) [[likely]]
    return {};
  return status::invalid_argument(std::string(what) + " is not valid UTF-8 (byte " +
                                  std::to_string(at) + ")");
}

status check_time(std::string_view what, timestamp t) {
  if (!in_supported_range(t)) {
    return status::invalid_argument(std::string(what) +
                                    " is outside years 1..9999 (use a blank value for 'never')");
  }
  return {};
}

/// Text must be UTF-8, times storable as RFC 3339, decimals finite: what every store can keep.
status check_value(std::string_view what, const value& v) {
  if (const auto* s = v.get_if<std::string>()) return check_text(what, *s);
  if (const auto* t = v.get_if<timestamp>()) return check_time(what, *t);
  if (const auto* d = v.get_if<double>()) {
    if (!std::isfinite(*d))
      return status::invalid_argument(std::string(what) + " is not a finite number");
  }
  if (const auto* l = v.get_if<value::string_list>()) {
    for (const auto& s : *l) {
      if (status st = check_text(what, s); !st.ok()) return st;
    }
  }
  return {};
}

/// The largest per-rep counter validate() accepts: counting on from it cannot overflow.
constexpr std::int64_t max_rep_count = 1'000'000'000;

status check_nonnegative(std::string_view what, std::int64_t n) {
  if (n < 0)
    return status::invalid_argument(std::string(what) + " must not be negative, got " +
                                    std::to_string(n));
  return {};
}

template <class R>
status check_common(const R& r) {
  const std::string& id = r.id.str();
  if (id.empty())
    return status::invalid_argument(std::string(to_string(record_traits<R>::kind)) +
                                    " id is empty");
  if (status s = check_text("id", id); !s.ok()) return s;
  if (detail::has_control_char(id))
    return status::invalid_argument("id contains a control character");
  // Built-in fields through views: validating a record copies nothing.
  for (const auto& f : record_traits<R>::fields()) {
    if (f.type != value_type::string && f.type != value_type::string_list &&
        f.type != value_type::time)
      continue;
    const field_view v = f.view(r);
    switch (v.type) {
      case value_type::string:
        if (status s = check_text(f.name, v.text()); !s.ok()) return s;
        break;
      case value_type::string_list:
        for (const auto& item : *v.list) {
          if (status s = check_text(f.name, item); !s.ok()) return s;
        }
        break;
      case value_type::time:
        if (status s = check_time(f.name, from_unix_micros(v.integer)); !s.ok()) return s;
        break;
      default:
        break;  // null (an empty optional)
    }
  }
  for (const auto& [name, v] : r.custom) {
    if (status s = check_text("custom attribute name", name); !s.ok()) return s;
    if (name.empty()) return status::invalid_argument("custom attribute with an empty name");
    if (status s = check_value(name, v); !s.ok()) return s;
  }
  return {};
}

status check_specific(const lead&) {
  return {};
}
status check_specific(const customer&) {
  return {};
}
status check_specific(const contact&) {
  return {};
}
status check_specific(const team&) {
  return {};
}
status check_specific(const promise&) {
  return {};
}
status check_specific(const event& e) {
  if (e.type.empty()) return status::invalid_argument("event type is empty");
  return {};
}
status check_specific(const rep& r) {
  if (r.daily_cap) {
    if (status s = check_nonnegative("daily_cap", *r.daily_cap); !s.ok()) return s;
  }
  if (r.open_cap) {
    if (status s = check_nonnegative("open_cap", *r.open_cap); !s.ok()) return s;
  }
  for (auto [what, n] :
       {std::pair{"today_follow_ups", r.today_follow_ups}, std::pair{"open_tasks", r.open_tasks},
        std::pair{"open_leads", r.open_leads}, std::pair{"assigned_today", r.assigned_today}}) {
    if (status s = check_nonnegative(what, n); !s.ok()) return s;
    // Counting on from a count near the integer limit would overflow; no rep has a billion.
    if (n > max_rep_count) {
      return status::invalid_argument(std::string(what) + " " + std::to_string(n) +
                                      " is not a plausible count (at most 1,000,000,000)");
    }
  }
  for (const auto& p : r.leave) {
    if (status s = check_time("leave.from", p.from); !s.ok()) return s;
    if (status s = check_time("leave.to", p.to); !s.ok()) return s;
    if (!(p.from < p.to)) return status::invalid_argument("leave period must end after it starts");
  }
  return {};
}
status check_specific(const opportunity& o) {
  for (const auto& e : o.evidence) {
    for (auto [what, text] : {std::pair{"evidence.id", std::string_view(e.id)},
                              std::pair{"evidence.stage", std::string_view(e.stage)},
                              std::pair{"evidence.ref", std::string_view(e.ref)}}) {
      if (status s = check_text(what, text); !s.ok()) return s;
    }
    if (status s = check_time("evidence.added_at", e.added_at); !s.ok()) return s;
    for (const auto& a : e.attendees) {
      if (status s = check_text("evidence.attendees", a); !s.ok()) return s;
    }
  }
  for (const auto& l : o.lost_reasons) {
    if (l.code.empty()) return status::invalid_argument("lost reason with an empty code");
    if (status s = check_text("lost_reasons.code", l.code); !s.ok()) return s;
    if (status s = check_text("lost_reasons.ref", l.ref); !s.ok()) return s;
  }
  return {};
}
status check_specific(const timer& t) {
  if (t.policy.empty()) return status::invalid_argument("timer policy is empty");
  if (t.subject.id.empty()) return status::invalid_argument("timer subject id is empty");
  return {};
}

}  // namespace

template <stored_record R>
status validate(const R& record) {
  if (status s = check_common(record); !s.ok()) return s;
  return check_specific(record);
}

template status validate(const lead&);
template status validate(const customer&);
template status validate(const contact&);
template status validate(const rep&);
template status validate(const team&);
template status validate(const opportunity&);
template status validate(const event&);
template status validate(const promise&);
template status validate(const timer&);

}  // namespace crmrules
