#include "crmrules/sla/policy.hpp"

#include <algorithm>
#include <set>

namespace crmrules::sla {

std::string_view to_string(recovery_mode m) noexcept {
  switch (m) {
    case recovery_mode::fire:
      return "fire";
    case recovery_mode::skip:
      return "skip";
  }
  return "?";
}

std::vector<std::string> policy::parties() const {
  std::set<std::string> out;
  for (const auto& s : steps) {
    for (const auto& r : s.to) {
      if (r.size() > 1 && r.front() == '$') out.insert(r.substr(1));
    }
  }
  return {out.begin(), out.end()};
}

result<timestamp> policy::deadline_from(timestamp from, duration allowed) const {
  if (allowed < duration::zero()) return status::invalid_argument("negative time allowed");
  if (!calendar) return from + allowed;
  return calendar->add(from, allowed);
}

result<timestamp> policy::step_time(std::size_t i, timestamp deadline) const {
  if (i >= steps.size()) return status::invalid_argument("no step " + std::to_string(i));
  const duration off = steps[i].offset;
  // Before the deadline the offset is wall-clock time; after it, business time on a calendar.
  if (off <= duration::zero() || !calendar) return deadline + off;
  return calendar->add(deadline, off);
}

status policy::check() const {
  if (name.empty()) return status::invalid_argument("a policy needs a name");
  const std::string where = "policy '" + name + "': ";
  if (name.find('/') != std::string::npos)
    return status::invalid_argument(where + "a policy name cannot contain '/'");
  if (due && (*due < duration::zero() || *due > max_offset))
    return status::invalid_argument(where + "due is negative or longer than ten years");
  if (steps.empty()) return status::invalid_argument(where + "no steps");
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const step& s = steps[i];
    if (s.name.empty())
      return status::invalid_argument(where + "step " + std::to_string(i) + " has no name");
    if (!names.insert(s.name).second)
      return status::invalid_argument(where + "two steps named '" + s.name + "'");
    if (s.offset > max_offset || s.offset < -max_offset)
      return status::invalid_argument(where + "step '" + s.name + "' is more than ten years away");
    if (s.action.empty())
      return status::invalid_argument(where + "step '" + s.name + "' has no action");
    if (i > 0 && s.offset < steps[i - 1].offset)
      return status::invalid_argument(where + "step '" + s.name + "' comes before step '" +
                                      steps[i - 1].name + "'; order steps by offset");
    for (const auto& r : s.to) {
      if (r.empty() || r == "$")
        return status::invalid_argument(where + "step '" + s.name + "' has an empty recipient");
    }
  }
  return {};
}

status policy_set::add(policy p) {
  if (status s = p.check(); !s.ok()) return s;
  if (by_name_.contains(p.name))
    return status::already_exists("a policy named '" + p.name + "' exists");
  std::string key = p.name;
  by_name_.emplace(std::move(key), std::move(p));
  return {};
}

const policy* policy_set::find(std::string_view name) const noexcept {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

std::vector<std::string> policy_set::names() const {
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& [name, p] : by_name_)
    out.push_back(name);
  return out;
}

}  // namespace crmrules::sla
