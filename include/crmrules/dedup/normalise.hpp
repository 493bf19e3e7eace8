// crmrules dedup: normalisers for the strong keys that prove two records are the same party:
// phone numbers (libphonenumber: E.164, default region CN), e-mail addresses, and China's
// unified social credit code (统一社会信用代码, GB 32100-2015) with its check character.
//
// Each function is pure and thread-safe, and never throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crmrules/status.hpp"

namespace crmrules::dedup {

enum class phone_kind : std::uint8_t {
  unknown,
  mobile,                ///< 手机
  fixed_line,            ///< 座机
  fixed_line_or_mobile,  ///< the numbering plan cannot tell (e.g. US numbers)
  toll_free,             ///< 400 / 800 numbers
  other,                 ///< premium rate, VoIP, pager, shared cost, ...
};
[[nodiscard]] std::string_view to_string(phone_kind k) noexcept;

struct phone {
  std::string e164;    ///< "+8613800138000"
  bool valid = false;  ///< a number the plan assigns (a well-formed but unassigned one is not)
  phone_kind kind = phone_kind::unknown;
  std::string region;  ///< "CN", "US", ... ("" when unknown)
  /// An extension written after the number ("021-62880000-8001", "021-62880000转8001" give
  /// "8001"); not part of `e164`.
  std::string extension;
};

/// Parses a phone number as people type it: "+86-138 0013 8000", "13800138000",
/// "0086 138-0013-8000", "(021) 6288 0000", full-width digits included; numbers without a
/// country code are read in `default_region` (ISO 3166 alpha-2). invalid_argument when the text
/// is not a phone number at all (letters, too few digits); a parsed number that the plan does
/// not assign comes back with `valid` false.
[[nodiscard]] result<phone> normalise_phone(std::string_view text,
                                            std::string_view default_region = "CN");

struct email {
  std::string address;  ///< trimmed and lower-cased: "zhang.wei@example.com"
  std::string local;    ///< "zhang.wei"
  std::string domain;   ///< "example.com"
  bool test = false;    ///< a test address: local part test/demo/noreply..., or a test domain
};

/// Trims and lower-cases an address and splits it. invalid_argument for text that is not an
/// address (no '@', an empty part, spaces inside, invalid UTF-8).
[[nodiscard]] result<email> normalise_email(std::string_view text);

/// A unified social credit code, checked.
struct uscc {
  std::string code;          ///< upper-cased, spaces and hyphens removed, full-width folded
  bool well_formed = false;  ///< 18 characters of the code's alphabet in the right places
  bool check_ok = false;     ///< the 18th character is the GB 32100-2015 check character
  std::string problem;       ///< why not, in words ("" when valid)
  [[nodiscard]] bool valid() const noexcept { return well_formed && check_ok; }
};

/// Checks a code. A code that fails its check is never to be used for a hard merge.
[[nodiscard]] uscc check_uscc(std::string_view text);

/// The check character GB 32100-2015 gives the first 17 characters of a code, or '\0' when
/// they are not of the code's alphabet.
[[nodiscard]] char uscc_check_character(std::string_view first17) noexcept;

}  // namespace crmrules::dedup
