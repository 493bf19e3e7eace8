#include "crmrules/dedup/normalise.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <exception>

#include "dedup/phone_key.hpp"
#include "util/utf8.hpp"

namespace crmrules::dedup {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/// Full-width ASCII (U+FF01..U+FF5E) and the ideographic space folded to ASCII; other text kept.
/// nullopt for invalid UTF-8.
std::optional<std::string> fold_width(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const char32_t cp = detail::decode_utf8(s, i);
    if (cp == detail::invalid_code_point) return std::nullopt;
    if (cp >= 0xFF01 && cp <= 0xFF5E) {
      out.push_back(static_cast<char>(cp - 0xFF01 + 0x21));
    } else if (cp == 0x3000) {
      out.push_back(' ');
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

phone_kind kind_of(PhoneNumberUtil::PhoneNumberType t) {
  switch (t) {
    case PhoneNumberUtil::MOBILE:
      return phone_kind::mobile;
    case PhoneNumberUtil::FIXED_LINE:
      return phone_kind::fixed_line;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
      return phone_kind::fixed_line_or_mobile;
    case PhoneNumberUtil::TOLL_FREE:
      return phone_kind::toll_free;
    case PhoneNumberUtil::UNKNOWN:
      return phone_kind::unknown;
    default:
      return phone_kind::other;
  }
}

/// The code's alphabet: digits and capitals without I, O, S, V, Z; a character's index is its
/// value in the check computation.
constexpr std::string_view uscc_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr std::array<int, 17> uscc_weights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                              29, 25, 13, 8,  24, 10, 30, 28};

int uscc_value(char c) {
  const auto p = uscc_alphabet.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

}  // namespace

std::string_view to_string(phone_kind k) noexcept {
  switch (k) {
    case phone_kind::unknown:
      return "unknown";
    case phone_kind::mobile:
      return "mobile";
    case phone_kind::fixed_line:
      return "fixed_line";
    case phone_kind::fixed_line_or_mobile:
      return "fixed_line_or_mobile";
    case phone_kind::toll_free:
      return "toll_free";
    case phone_kind::other:
      return "other";
  }
  return "unknown";
}

namespace {

/// normalise_phone; `classify` false skips the kind and region (regex-heavy in libphonenumber),
/// which matching does not need.
result<phone> parse_phone(std::string_view text, std::string_view default_region, bool classify) {
  try {
    const auto folded = fold_width(text);
    if (!folded) return status::invalid_argument("the phone number is not valid UTF-8");
    std::string_view t = trim(*folded);
    if (t.empty()) return status::invalid_argument("empty phone number");
    // 021-62880000转8001: 转 (transfer to) marks an extension.
    std::string extension;
    if (const std::size_t z = t.find("\u8f6c"); z != std::string_view::npos) {
      const std::string_view ext = trim(t.substr(z + 3));
      if (ext.empty() || ext.size() > 5 ||
          !std::all_of(ext.begin(), ext.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return status::invalid_argument("'" + std::string(t) + "' is not a phone number");
      extension = std::string(ext);
      t = trim(t.substr(0, z));
    }
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    PhoneNumber n;
    const auto err = util.Parse(std::string(t), std::string(default_region), &n);
    if (err != PhoneNumberUtil::NO_PARSING_ERROR)
      return status::invalid_argument("'" + std::string(t) + "' is not a phone number");
    phone out;
    out.valid = util.IsValidNumber(n);
    out.extension = std::move(extension);
    if (!out.valid && out.extension.empty()) {
      // 021-62880000-8001: an extension libphonenumber reads as digits of the number. Without
      // it a landline may be valid; the extension is kept apart (mobiles have none).
      std::size_t cut = t.size();
      while (cut > 0 && t[cut - 1] >= '0' && t[cut - 1] <= '9')
        --cut;
      const std::size_t digits = t.size() - cut;
      std::size_t marker = 0;
      if (cut >= 1 && t[cut - 1] == '-') marker = 1;
      if (digits >= 1 && digits <= 5 && marker != 0 && cut > marker) {
        PhoneNumber base;
        if (util.Parse(std::string(t.substr(0, cut - marker)), std::string(default_region),
                       &base) == PhoneNumberUtil::NO_PARSING_ERROR &&
            util.IsValidNumber(base) &&
            (util.GetNumberType(base) == PhoneNumberUtil::FIXED_LINE ||
             util.GetNumberType(base) == PhoneNumberUtil::FIXED_LINE_OR_MOBILE)) {
          n = base;
          out.valid = true;
          out.extension = std::string(t.substr(cut));
        }
      }
    }
    util.Format(n, PhoneNumberUtil::E164, &out.e164);
    if (classify) {
      out.kind = kind_of(util.GetNumberType(n));
      util.GetRegionCodeForNumber(n, &out.region);
      if (out.region == "ZZ") out.region.clear();
    }
    return out;
  } catch (const std::exception& e) {
    return status::internal(std::string("libphonenumber: ") + e.what());
  }
}

}  // namespace

result<phone> normalise_phone(std::string_view text, std::string_view default_region) {
  return parse_phone(text, default_region, true);
}

namespace internal {
result<phone> phone_key(std::string_view text, std::string_view default_region) {
  return parse_phone(text, default_region, false);
}
}  // namespace internal

result<email> normalise_email(std::string_view text) {
  const auto folded = fold_width(text);
  if (!folded) return status::invalid_argument("the e-mail address is not valid UTF-8");
  const std::string_view t = trim(*folded);
  const auto at = t.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == t.size())
    return status::invalid_argument("'" + std::string(t) + "' is not an e-mail address");
  for (const char c : t) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ';')
      return status::invalid_argument("'" + std::string(t) + "' is not an e-mail address");
  }
  email out;
  out.address = detail::ascii_lower(t);
  out.local = out.address.substr(0, at);
  out.domain = out.address.substr(at + 1);
  if (out.domain.find('.') == std::string::npos || out.domain.front() == '.' ||
      out.domain.back() == '.' || out.local.find('@') != std::string::npos)
    return status::invalid_argument("'" + std::string(t) + "' is not an e-mail address");
  static constexpr std::array<std::string_view, 8> test_locals = {
      "test", "demo", "noreply", "no-reply", "example", "asdf", "aaa", "123"};
  static constexpr std::array<std::string_view, 5> test_domains = {
      "example.com", "example.org", "example.net", "test.com", "test.cn"};
  for (const auto l : test_locals) {
    if (out.local == l ||
        (out.local.starts_with(l) && l.size() >= 4 &&
         out.local.find_first_not_of("0123456789", l.size()) == std::string::npos))
      out.test = true;
  }
  for (const auto d : test_domains) {
    if (out.domain == d) out.test = true;
  }
  return out;
}

char uscc_check_character(std::string_view first17) noexcept {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    const int v = uscc_value(first17[i]);
    if (v < 0) return '\0';
    sum += v * uscc_weights[i];
  }
  const int check = (31 - sum % 31) % 31;
  return uscc_alphabet[static_cast<std::size_t>(check)];
}

uscc check_uscc(std::string_view text) {
  uscc out;
  const auto folded = fold_width(text);
  if (!folded) {
    out.problem = "not valid UTF-8";
    return out;
  }
  for (const char c : *folded) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    out.code.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  if (out.code.size() != 18) {
    out.problem = "a code has 18 characters, not " + std::to_string(out.code.size());
    return out;
  }
  for (std::size_t i = 0; i < 18; ++i) {
    if (uscc_value(out.code[i]) < 0) {
      out.problem = "character " + std::to_string(i + 1) + " ('" + out.code.substr(i, 1) +
                    "') is not in the code's alphabet (digits and capitals without I, O, S, "
                    "V, Z)";
      return out;
    }
  }
  // Characters 3-8 are the administrative division code: digits only.
  for (std::size_t i = 2; i < 8; ++i) {
    if (out.code[i] < '0' || out.code[i] > '9') {
      out.problem = "characters 3 to 8 are the division code, digits only";
      return out;
    }
  }
  out.well_formed = true;
  const char expected = uscc_check_character(std::string_view(out.code).substr(0, 17));
  out.check_ok = expected == out.code[17];
  if (!out.check_ok)
    out.problem = std::string("the check character is '") + out.code[17] +
                  "', the code's first 17 "
                  "characters give '" +
                  expected + "'";
  return out;
}

}  // namespace crmrules::dedup
