#include "crmrules/model/value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string>

namespace crmrules {
namespace {
constexpr std::array<std::string_view, 9> type_names{
    "null", "boolean", "integer", "decimal", "money", "string", "time", "duration", "string_list"};
}

std::string_view to_string(value_type type) noexcept {
  return type_names[static_cast<std::size_t>(type)];
}

std::optional<value_type> parse_value_type(std::string_view name) noexcept {
  for (std::size_t i = 0; i < type_names.size(); ++i) {
    if (type_names[i] == name) return static_cast<value_type>(i);
  }
  return std::nullopt;
}

const std::vector<std::string_view>& value_type_names() {
  static const std::vector<std::string_view> names(type_names.begin(), type_names.end());
  return names;
}

std::string value::to_string() const {
  struct visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      std::array<char, 32> buf{};
      auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
      return ec == std::errc{} ? std::string(buf.data(), end) : std::string("nan");
    }
    std::string operator()(money m) const { return m.to_string(); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(timestamp t) const { return format_timestamp(t); }
    std::string operator()(duration d) const { return format_duration(d); }
    std::string operator()(const string_list& l) const {
      std::string out = "[";
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (i > 0) out += ", ";
        out += l[i];
      }
      return out + "]";
    }
  };
  return std::visit(visitor{}, v_);
}

status coerce(value& v, value_type target, std::string_view field) {
  const value_type have = v.type();
  if (have == target || have == value_type::null) return {};
  if (target == value_type::decimal && have == value_type::integer) {
    // Exact only up to 2^53: a larger integer would silently lose its last digits.
    const std::int64_t i = *v.get_if<std::int64_t>();
    constexpr std::int64_t exact = std::int64_t{1} << 53;
    if (i >= -exact && i <= exact) {
      v = static_cast<double>(i);
      return {};
    }
  }
  if (target == value_type::integer && have == value_type::decimal) {
    const double d = *v.get_if<double>();
    if (std::trunc(d) == d && std::fabs(d) < 9.0e18) {
      v = static_cast<std::int64_t>(d);
      return {};
    }
  }
  return status::invalid_argument("field '" + std::string(field) + "' is " +
                                  std::string(to_string(target)) + ", got " +
                                  std::string(to_string(have)) + " " + v.to_string());
}

}  // namespace crmrules
