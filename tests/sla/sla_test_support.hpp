// Helpers shared by the SLA tests: times written out by hand, rules loaded from text, and what
// the notifier received, compactly.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/time.hpp"
#include "crmrules/rules/rule_set.hpp"
#include "crmrules/store/notifier.hpp"

namespace sla_test {

/// A time written as in the tests: "2026-11-20T17:30:00+08:00".
inline crmrules::timestamp at(const char* text) {
  auto t = crmrules::parse_timestamp(text);
  REQUIRE(t);
  return *t;
}

/// Rules from text; the test fails with every diagnostic when they do not load.
inline std::shared_ptr<const crmrules::rule_set> load_rules_text(const char* text,
                                                                 const char* name) {
  auto r = crmrules::rule_set::load_string(text, name);
  if (!r) FAIL(r.error().to_string());
  return *r;
}

inline crmrules::record_ref lead_ref(std::string_view id) {
  return {crmrules::record_kind::lead, std::string(id)};
}

/// "<subject>:<step>" for every notification, in arrival order.
inline std::vector<std::string> steps_of(const crmrules::memory_notifier& n) {
  std::vector<std::string> out;
  for (const auto& x : n.snapshot()) {
    const crmrules::value* step = x.data.find("step");
    out.push_back(x.subject.id + ":" + (step ? step->to_string() : "?"));
  }
  return out;
}

}  // namespace sla_test
