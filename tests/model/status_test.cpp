#include "crmrules/status.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

using crmrules::result;
using crmrules::status;

namespace {

/// Counts how a value reached its place.
struct traced {
  static inline int moves = 0;
  std::vector<int> items;
  std::string label;
  traced() = default;
  traced(std::vector<int> i, std::string l) : items(std::move(i)), label(std::move(l)) {}
  traced(const traced&) = default;
  traced(traced&& o) noexcept : items(std::move(o.items)), label(std::move(o.label)) { ++moves; }
  traced& operator=(const traced&) = default;
  traced& operator=(traced&&) = default;
};

}  // namespace

TEST_CASE("a result built in place holds its value without moving it", "[status]") {
  traced::moves = 0;
  result<traced> empty(std::in_place);
  REQUIRE(empty.ok());
  CHECK(empty->items.empty());
  CHECK(empty->label.empty());
  result<traced> full(std::in_place, std::vector<int>{1, 2, 3}, "three");
  REQUIRE(full.ok());
  CHECK(full->items == std::vector<int>{1, 2, 3});
  CHECK(full->label == "three");
  CHECK(traced::moves == 0);
  full->label = "changed in place";
  CHECK(full.value().label == "changed in place");
}

TEST_CASE("a result built in place can be replaced by an error", "[status]") {
  result<traced> r(std::in_place, std::vector<int>{7}, "x");
  r = status::not_found("no such customer");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == crmrules::status_code::not_found);
  CHECK_THROWS_AS(r.value(), crmrules::bad_result_access);
}
