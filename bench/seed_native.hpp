// The seed weight formula as a C++ programmer would write it against the same records: the
// hand-written baseline of crmrules_bench_rules and of crmrules_bench_assign's lead part.
#pragma once

#include <cstdint>

#include "crmrules/model/records.hpp"

namespace crmrules::bench {

inline double seed_native(const lead& l) {
  double score = 0;
  if (l.source == "官网表单") {
    score = 100;
  } else if (l.source == "抖音私信") {
    score = 85;
  } else if (l.source == "展会扫码") {
    score = 60;
  } else {
    score = 40;
  }
  if (l.budget && *l.budget > money::from_major(500000)) score += 50;
  const value* touches = l.custom.find("近30天互动频次");
  const std::int64_t* n = touches != nullptr ? touches->get_if<std::int64_t>() : nullptr;
  if (n != nullptr && *n >= 3) score += 30;
  return score;
}

}  // namespace crmrules::bench
