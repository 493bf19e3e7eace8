// Internal: the phone normaliser without classification, for matching (src/dedup/normalise.cpp).
#pragma once

#include <string_view>

#include "crmrules/dedup/normalise.hpp"

namespace crmrules::dedup::internal {

/// normalise_phone without `kind` and `region` (left unknown): the E.164 form and validity are
/// all a blocking key needs, and classifying costs libphonenumber many more regular expressions.
[[nodiscard]] result<phone> phone_key(std::string_view text, std::string_view default_region);

}  // namespace crmrules::dedup::internal
