// crmrules model: the JSON form of every record.
//
// One codec shared by the SQLite store (a record's document column), the command line (JSON
// Lines input and output) and hosts that want a wire format. A record is a JSON object whose keys
// are the built-in field names; custom attributes go under "custom". Types map as follows:
//
// clang-format off
// | field type   | JSON                                                               |
// |--------------|--------------------------------------------------------------------|
// | string, ids  | string                                                             |
// | integer      | integer                                                            |
// | decimal      | number                                                             |
// | boolean      | true / false                                                       |
// | money        | string in major units, two decimals: "500000.00"; on input also a  |
// |              | number or "50万", never rounded (finer than a fen is refused)      |
// | time         | RFC 3339 string in UTC: "2026-11-22T09:30:00Z"                     |
// | duration     | string: "2h", "1h30m"                                              |
// | string_list  | array of strings                                                   |
// | blank        | null or absent                                                     |
// clang-format on
//
// Custom attributes keep their type exactly: null, booleans, integers, numbers, strings and
// string lists are plain JSON; money, time and duration are tagged objects
// ({"$money": "12.50"}, {"$time": "..."}, {"$duration": "2h"}).
//
// Decoding is strict: an unknown or duplicate key, a missing id, a value of the wrong type,
// invalid UTF-8 or nesting deeper than a record has is invalid_argument naming the key; nothing
// is dropped silently. Encoding never fails.
#pragma once

#include <string>
#include <string_view>

#include "crmrules/model/records.hpp"
#include "crmrules/model/schema.hpp"
#include "crmrules/status.hpp"

namespace crmrules {

/// The record as one line of compact JSON (keys in schema order, no trailing newline).
template <stored_record R>
[[nodiscard]] std::string to_json(const R& record);

/// Parses one record from JSON text.
///
/// **Example**
/// ```
/// auto r = crmrules::from_json<crmrules::lead>(R"({"id":"L1","source":"官网表单"})");
/// if (!r) std::cerr << r.error().to_string() << "\n";
/// ```
template <stored_record R>
[[nodiscard]] result<R> from_json(std::string_view json);

[[nodiscard]] std::string to_json(const decision& d);
[[nodiscard]] result<decision> decision_from_json(std::string_view json);

/// A value as JSON text (the "custom" encoding above), and back.
[[nodiscard]] std::string value_to_json(const value& v);
[[nodiscard]] result<value> value_from_json(std::string_view json);

}  // namespace crmrules
