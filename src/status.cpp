#include "crmrules/status.hpp"

namespace crmrules {

std::string_view to_string(status_code code) noexcept {
  switch (code) {
    case status_code::ok:
      return "ok";
    case status_code::not_found:
      return "not_found";
    case status_code::already_exists:
      return "already_exists";
    case status_code::conflict:
      return "conflict";
    case status_code::invalid_argument:
      return "invalid_argument";
    case status_code::unavailable:
      return "unavailable";
    case status_code::corrupted:
      return "corrupted";
    case status_code::unsupported:
      return "unsupported";
    case status_code::resource_exhausted:
      return "resource_exhausted";
    case status_code::internal:
      return "internal";
  }
  return "unknown";
}

std::string status::to_string() const {
  if (ok()) return "ok";
  std::string out(crmrules::to_string(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace crmrules
