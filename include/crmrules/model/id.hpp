// crmrules model: strong id types.
//
// Every record kind has its own id type, so a lead id cannot be passed where a rep id is
// expected. Ids are the host's own strings ("L000123", "fb_88231", a UUID): crmrules never
// invents them and never parses them, except where a rules file says so (e.g. an id prefix).
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace crmrules {

/// A string id tagged with the record kind it names. Comparison is byte-wise.
template <class Tag>
class basic_id {
 public:
  using tag_type = Tag;

  basic_id() = default;
  explicit basic_id(std::string value) : value_(std::move(value)) {}
  explicit basic_id(std::string_view value) : value_(value) {}
  explicit basic_id(const char* value) : value_(value) {}

  [[nodiscard]] const std::string& str() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const basic_id&, const basic_id&) = default;
  friend std::strong_ordering operator<=>(const basic_id& a, const basic_id& b) noexcept {
    return a.value_.compare(b.value_) <=> 0;
  }

 private:
  std::string value_;
};

struct lead_tag {};
struct customer_tag {};
struct contact_tag {};
struct rep_tag {};
struct team_tag {};
struct opportunity_tag {};
struct event_tag {};
struct promise_tag {};
struct timer_tag {};

using lead_id = basic_id<lead_tag>;
using customer_id = basic_id<customer_tag>;
using contact_id = basic_id<contact_tag>;
using rep_id = basic_id<rep_tag>;  ///< a sales user
using team_id = basic_id<team_tag>;
using opportunity_id = basic_id<opportunity_tag>;
using event_id = basic_id<event_tag>;  ///< a touchpoint (behaviour) event
using promise_id = basic_id<promise_tag>;
using timer_id = basic_id<timer_tag>;  ///< a persisted deadline

}  // namespace crmrules

template <class Tag>
struct std::hash<crmrules::basic_id<Tag>> {
  std::size_t operator()(const crmrules::basic_id<Tag>& id) const noexcept {
    return std::hash<std::string_view>{}(id.str());
  }
};
