// Internal: JSON text parsed strictly, as the model's readers parse records. Shared by the
// command line's own line formats so that every JSON input refuses the same mistakes.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "crmrules/status.hpp"

namespace crmrules::detail {

/// Parses `text` as one JSON object. invalid_argument, prefixed with `what`, for malformed JSON,
/// a duplicate key at any level (a plain parse keeps the last one silently), nesting deeper than
/// 16 levels, or a value that is not an object.
[[nodiscard]] result<nlohmann::ordered_json> parse_json_object(std::string_view text,
                                                               std::string_view what);

}  // namespace crmrules::detail
