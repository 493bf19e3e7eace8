// Internal: the wording of store errors, shared by every shipped storage so that they all say
// the same thing for the same failure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crmrules/model/records.hpp"
#include "crmrules/status.hpp"

namespace crmrules::detail {

/// "lead 'L0001'"
inline std::string describe(record_kind kind, std::string_view id) {
  return std::string(to_string(kind)) + " '" + std::string(id) + "'";
}

inline status missing(record_kind kind, std::string_view id) {
  return status::not_found(describe(kind, id));
}

inline status taken(record_kind kind, std::string_view id) {
  return status::already_exists(describe(kind, id));
}

/// The record is stored at `stored`, the caller expected `given`.
inline status stale(record_kind kind, std::string_view id, std::uint64_t stored,
                    std::uint64_t given) {
  return status::conflict(describe(kind, id) + " is at version " + std::to_string(stored) +
                          ", not " + std::to_string(given));
}

/// Prefixes a batch failure with the op that caused it ("batch op 3: ...").
inline status in_batch_op(std::size_t index, const status& s) {
  return {s.code(), "batch op " + std::to_string(index) + ": " + s.message()};
}

}  // namespace crmrules::detail
