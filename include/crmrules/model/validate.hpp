// crmrules model: record invariants, checked by every store before a write.
#pragma once

#include <string_view>

#include "crmrules/model/schema.hpp"
#include "crmrules/status.hpp"

namespace crmrules {

/// Checks what any store requires of a record: a non-empty id without control characters,
/// valid UTF-8 in every text (built-in, nested and custom), and kind-specific invariants (a
/// leave period ends after it starts, caps and counters are not negative, a rep's counters
/// (open leads, assigned today, ...) at most 1,000,000,000 so counting on cannot overflow, a timer
/// names its policy and subject). Returns invalid_argument naming the field; ok otherwise.
template <stored_record R>
[[nodiscard]] status validate(const R& record);

/// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace crmrules
