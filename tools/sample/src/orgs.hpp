// Internal: the organisation names, people, phones, e-mail domains, USCCs, addresses and random
// choices that the sample-data generator (generate.cpp) and the dedup evaluation set
// (dedup_eval.cpp) share. Moved here from generate.cpp unchanged: generate()'s output depends on
// every random draw in these functions, so edit them only with that in mind.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "crmrules_sample/sample.hpp"
#include "tables.hpp"

namespace crmrules::sample::detail {

namespace tb = tables;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// ---------------------------------------------------------------------------------------------
// Random choices

template <class T, std::size_t N>
const T& pick(rng& r, const std::array<T, N>& items) {
  return items[r.index(N)];
}

/// Index chosen with probability proportional to `weights` (non-negative integers).
template <class Range>
std::size_t weighted_index(rng& r, const Range& weights) {
  std::uint64_t total = 0;
  for (auto w : weights)
    total += static_cast<std::uint64_t>(w);
  std::uint64_t roll = r.below(total);
  std::size_t i = 0;
  for (auto w : weights) {
    const auto weight = static_cast<std::uint64_t>(w);
    if (roll < weight) return i;
    roll -= weight;
    ++i;
  }
  return i == 0 ? 0 : i - 1;
}
inline std::size_t weighted_index(rng& r, std::initializer_list<int> weights) {
  return weighted_index<std::initializer_list<int>>(r, weights);
}

/// Index into an array of structs with an `int weight` member.
template <class T, std::size_t N>
std::size_t pick_weighted(rng& r, const std::array<T, N>& items) {
  std::array<int, N> weights{};
  for (std::size_t i = 0; i < N; ++i)
    weights[i] = items[i].weight;
  return weighted_index(r, weights);
}

/// Fisher-Yates shuffle with our own rng.
template <class T>
void shuffle(rng& r, std::vector<T>& items) {
  for (std::size_t i = items.size(); i > 1; --i)
    std::swap(items[i - 1], items[r.index(i)]);
}

/// `count` distinct indices from [0, size), in random order.
inline std::vector<std::size_t> sample_indices(rng& r, std::size_t size, std::size_t count) {
  std::vector<std::size_t> all(size);
  std::iota(all.begin(), all.end(), std::size_t{0});
  count = std::min(count, size);
  for (std::size_t i = 0; i < count; ++i)
    std::swap(all[i], all[i + r.index(size - i)]);
  all.resize(count);
  return all;
}

/// round(n * rate) for rate clamped to [0, 1], without floating-point surprises.
inline std::size_t share_of(std::size_t n, double rate) {
  if (!(rate > 0.0)) return 0;  // also NaN
  if (rate >= 1.0) return n;
  // One correctly rounded product and an exact rounding: nothing a compiler could fuse.
  return std::min(n, static_cast<std::size_t>(std::llround(static_cast<double>(n) * rate)));
}

// ---------------------------------------------------------------------------------------------
// Text

inline std::string digits(rng& r, int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += static_cast<char>('0' + r.below(10));
  return out;
}

inline std::string padded(std::string_view prefix, std::size_t number, std::size_t width) {
  std::string n = std::to_string(number);
  std::string out(prefix);
  if (n.size() < width) out.append(width - n.size(), '0');
  return out + n;
}

inline std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts)
    out += p;
  return out;
}

/// The code points of UTF-8 text, as slices of it.
inline std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    len = std::min(len, s.size() - i);
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

/// "rui hua" -> "ruihua".
inline std::string join_pinyin(std::string_view syllables) {
  std::string out;
  for (char c : syllables) {
    if (c != ' ') out += c;
  }
  return out;
}

/// "rui hua" -> "rh".
inline std::string pinyin_initials(std::string_view syllables) {
  std::string out;
  bool start = true;
  for (char c : syllables) {
    if (c == ' ') {
      start = true;
    } else if (start) {
      out += c;
      start = false;
    }
  }
  return out;
}

inline std::string capitalized(std::string_view word) {
  std::string out(word);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

inline std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

/// One homophone or look-alike swapped in, or nullopt when no character of `text` has one.
inline std::optional<std::string> with_typo(rng& r, std::string_view text) {
  const auto cps = code_points(text);
  std::vector<std::pair<std::size_t, std::size_t>> candidates;  // (code point, confusable)
  for (std::size_t i = 0; i < cps.size(); ++i) {
    for (std::size_t j = 0; j < tb::confusables.size(); ++j) {
      if (tb::confusables[j].from == cps[i]) candidates.emplace_back(i, j);
    }
  }
  if (candidates.empty()) return std::nullopt;
  const auto [at, which] = candidates[r.index(candidates.size())];
  std::string out;
  for (std::size_t i = 0; i < cps.size(); ++i)
    out += i == at ? tb::confusables[which].to : cps[i];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Time (China Standard Time, UTC+8, no daylight saving)

inline constexpr hours china_offset{8};

inline timestamp local_day_start(timestamp t) {
  const auto local_day = std::chrono::floor<days>(t + china_offset);
  return timestamp{local_day - china_offset};
}

inline unsigned local_weekday(timestamp t) {  // 0 = Sunday
  return std::chrono::weekday{std::chrono::floor<days>(t + china_offset)}.c_encoding();
}

// Relative activity per local hour.
inline constexpr std::array<int, 24> office_hours{1, 1,  0,  0,  0,  1,  2, 4, 8, 14, 16, 14,
                                                  8, 10, 15, 16, 14, 11, 7, 6, 7, 7,  5,  3};
inline constexpr std::array<int, 24> evening_hours{3, 2, 1, 0, 0, 0, 1, 2,  4,  6,  7,  7,
                                                   6, 7, 7, 7, 7, 7, 8, 11, 14, 15, 12, 7};

/// A whole-second time in [from, to), shaped by weekday and `hour_weights`.
inline timestamp sample_time(rng& r, timestamp from, timestamp to,
                             const std::array<int, 24>& hour_weights) {
  if (!(from < to)) return from;
  const timestamp first_day = local_day_start(from);
  const auto day_count = std::chrono::floor<days>(to - first_day).count() + 1;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const timestamp day = first_day + days{r.between(0, day_count - 1)};
    const unsigned wd = local_weekday(day);
    const std::uint64_t keep = wd == 0 ? 3 : wd == 6 ? 4 : 10;
    if (r.below(10) >= keep) continue;
    const auto hour = static_cast<std::int64_t>(weighted_index(r, hour_weights));
    const minutes minute{r.between(0, 59)};
    const seconds second{r.between(0, 59)};
    const timestamp at = day + hours{hour} + minute + second;
    if (from <= at && at < to) return at;
  }
  const auto span = std::chrono::floor<seconds>(to - from).count();
  return from + seconds{r.between(0, std::max<std::int64_t>(0, span - 1))};
}

/// A local calendar date (as its midnight) `days_back` days before `now`'s date.
inline timestamp local_date_before(timestamp now, std::int64_t days_back) {
  return local_day_start(now) - days{days_back};
}

// ---------------------------------------------------------------------------------------------
// People

struct person {
  std::string name;
  std::string surname;
  std::string surname_pinyin;
  std::string given_pinyin;  // syllables, space separated
};

inline person make_person(rng& r) {
  const auto& s = tb::surnames[pick_weighted(r, tb::surnames)];
  person p;
  p.surname = std::string(s.zh);
  p.name = p.surname;
  p.surname_pinyin = std::string(s.pinyin);
  const int count = r.chance(0.72) ? 2 : 1;
  for (int i = 0; i < count; ++i) {
    const auto& g = tb::given_chars[pick_weighted(r, tb::given_chars)];
    p.name += g.zh;
    if (!p.given_pinyin.empty()) p.given_pinyin += ' ';
    p.given_pinyin += g.pinyin;
  }
  return p;
}

/// The local part of a personal e-mail address.
inline std::string mail_local(rng& r, const person& p) {
  const std::string given = join_pinyin(p.given_pinyin);
  switch (weighted_index(r, {34, 14, 12, 18, 10, 12})) {
    case 0:
      return p.surname_pinyin + given;
    case 1:
      return p.surname_pinyin + "." + given;
    case 2:
      return given + "." + p.surname_pinyin;
    case 3:
      return p.surname_pinyin + given + std::to_string(r.between(1975, 2003));
    case 4:
      return pinyin_initials(p.surname_pinyin + " " + p.given_pinyin) + digits(r, 3);
    default:
      return p.surname_pinyin + given + digits(r, 2);
  }
}

inline std::string personal_email(rng& r, const person& p, bool overseas) {
  if (overseas && r.chance(0.5)) {
    std::string local = mail_local(r, p);
    return local + (r.chance(0.7) ? "@gmail.com" : "@outlook.com");
  }
  const std::string_view domain =
      tb::personal_mail_domains[pick_weighted(r, tb::personal_mail_domains)].text;
  if (domain == "qq.com" && r.chance(0.7)) {
    std::string qq = std::to_string(r.between(1, 9));
    qq += digits(r, static_cast<int>(r.between(4, 9)));
    return qq + "@qq.com";
  }
  return mail_local(r, p) + "@" + std::string(domain);
}

// ---------------------------------------------------------------------------------------------
// Phones

struct phone_number {
  std::string area;   // trunk code with the leading 0 ("021"); empty for a mobile
  std::string local;  // 11-digit mobile or the local landline number

  [[nodiscard]] bool mobile() const { return area.empty(); }
};

inline phone_number make_mobile(rng& r) {
  std::string number(pick(r, tb::mobile_prefixes));
  number += digits(r, 8);
  return {"", number};
}

inline phone_number make_landline(rng& r, const tb::city& c) {
  static constexpr std::string_view first_digits = "2345678";
  std::string local(1, first_digits[r.index(first_digits.size())]);
  local += digits(r, c.local_digits - 1);
  return {std::string(c.area_code), local};
}

inline std::string e164(const phone_number& p) {
  return p.mobile() ? "+86" + p.local : "+86" + p.area.substr(1) + p.local;
}

/// The number as a person types it into a form.
inline std::string as_entered(rng& r, const phone_number& p, bool overseas = false) {
  if (p.mobile()) {
    const std::string& m = p.local;
    const std::string spaced = m.substr(0, 3) + " " + m.substr(3, 4) + " " + m.substr(7);
    if (overseas) return r.chance(0.6) ? "+86 " + spaced : "+86" + m;
    switch (weighted_index(r, {70, 10, 8, 6, 4, 2})) {
      case 0:
        return m;
      case 1:
        return spaced;
      case 2:
        return m.substr(0, 3) + "-" + m.substr(3, 4) + "-" + m.substr(7);
      case 3:
        return "+86 " + m;
      case 4:
        return "+86" + m;
      default:
        return "86-" + m;
    }
  }
  const std::size_t half = p.local.size() / 2;
  switch (weighted_index(r, {60, 15, 10, 10, 5})) {
    case 0:
      return p.area + "-" + p.local;
    case 1:
      return p.area + p.local;
    case 2:
      return "(" + p.area + ")" + p.local;
    case 3:
      return p.area + "-" + p.local + "-" + std::to_string(r.between(800, 8999));
    default:
      return p.area + " " + p.local.substr(0, half) + " " + p.local.substr(half);
  }
}

// ---------------------------------------------------------------------------------------------
// Organisation names

enum class org_kind : std::uint8_t { company, hospital, school };
enum class prefix_style : std::uint8_t { none, short_name, full, province };

/// A company, hospital or school name in parts, so that variants can be derived from it.
struct org_name {
  org_kind kind = org_kind::company;
  std::size_t city = 0;
  prefix_style prefix = prefix_style::full;
  bool bracket = false;  // 瑞华（上海）科技有限公司
  std::string brand;
  std::string brand_pinyin;  // syllables, space separated
  std::size_t industry = 0;
  std::size_t trade = 0;
  std::optional<std::size_t> form;  // org_forms index; nullopt: none written
  std::optional<std::size_t> branch_city;
  bool is_public = false;  // public hospital or school
  std::string tail;        // 第一人民医院
  std::string tail_abbr;   // dyrmyy
};

struct render_style {
  bool halfwidth = false;            // (上海) instead of （上海）
  bool bracket_after_trade = false;  // 瑞华科技（上海）有限公司
};

/// Where the organisation is registered: the branch's city for a branch.
inline std::size_t home_city(const org_name& n) {
  return n.branch_city.value_or(n.city);
}

inline std::string prefix_text(const org_name& n) {
  const tb::city& c = tb::cities[n.city];
  switch (n.prefix) {
    case prefix_style::none:
      return {};
    case prefix_style::short_name:
      return std::string(c.name);
    case prefix_style::full:
      return cat({c.name, "市"});
    case prefix_style::province:
      return cat({c.province, c.name, "市"});
  }
  return {};
}

inline std::string render(const org_name& n, render_style style = {}) {
  if (n.kind != org_kind::company) return prefix_text(n) + n.brand + n.tail;
  const tb::city& c = tb::cities[n.city];
  const std::string bracket =
      n.bracket ? cat({style.halfwidth ? "(" : "（", c.name, style.halfwidth ? ")" : "）"})
                : std::string();
  const std::string_view trade = tb::industries[n.industry].words[n.trade].zh;
  const std::string_view form = n.form ? tb::org_forms[*n.form].zh : std::string_view();
  std::string out = prefix_text(n) + n.brand;
  out += style.bracket_after_trade ? cat({trade, bracket, form}) : cat({bracket, trade, form});
  if (n.branch_city) out += cat({tb::cities[*n.branch_city].name, "分公司"});
  return out;
}

/// "Shenzhen Ruihua Technology Co., Ltd.", as overseas ad forms get it.
inline std::string render_english(const org_name& n) {
  const tb::city& c = tb::cities[n.city];
  std::string out;
  if (n.prefix != prefix_style::none && !n.bracket) out += capitalized(c.pinyin) + " ";
  out += capitalized(join_pinyin(n.brand_pinyin));
  if (n.bracket) out += " (" + capitalized(c.pinyin) + ")";
  out += " ";
  out += tb::industries[n.industry].words[n.trade].en;
  if (n.form) {
    out += " ";
    out += tb::org_forms[*n.form].en;
  }
  if (n.branch_city) out += " " + capitalized(tb::cities[*n.branch_city].pinyin) + " Branch";
  return out;
}

/// 64-bit FNV-1a: a fixed hash, the same on every platform.
inline std::uint64_t text_hash(std::string_view text) noexcept {
  std::uint64_t h = 0xCBF2'9CE4'8422'2325u;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x0000'0100'0000'01B3u;
  }
  return h;
}

/// A set of strings kept as their 64-bit hashes in one open-addressed table, for membership
/// tests in large data sets (a million names), where std::unordered_set<std::string> spends its
/// time on allocations and cache misses. Two different strings with one hash count as one: for a
/// generator that only costs a redraw, and it is deterministic.
class hashed_set {
 public:
  /// Inserts `text`; `.second` is false when it was there already.
  std::pair<std::uint64_t, bool> insert(std::string_view text) {
    const std::uint64_t h = text_hash(text) | 1u;  // 0 marks an empty slot
    if ((size_ + 1) * 2 > slots_.size()) rehash(std::max<std::size_t>(64, slots_.size() * 2));
    std::size_t i = slot_of(h);
    while (slots_[i] != 0) {
      if (slots_[i] == h) return {h, false};
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = h;
    ++size_;
    return {h, true};
  }

  [[nodiscard]] bool contains(std::string_view text) const {
    if (slots_.empty()) return false;
    const std::uint64_t h = text_hash(text) | 1u;
    for (std::size_t i = slot_of(h); slots_[i] != 0; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == h) return true;
    }
    return false;
  }

  /// Room for `count` strings without rehashing.
  void reserve(std::size_t count) {
    std::size_t slots = 64;
    while (slots < count * 2)
      slots *= 2;
    if (slots > slots_.size()) rehash(slots);
  }

 private:
  [[nodiscard]] std::size_t slot_of(std::uint64_t h) const {
    return static_cast<std::size_t>((h * 0x9E37'79B9'7F4A'7C15u) >> shift_);
  }

  void rehash(std::size_t slots) {  // slots: a power of two
    std::vector<std::uint64_t> old(slots, 0);
    old.swap(slots_);
    shift_ = 64;
    for (std::size_t n = slots; n > 1; n /= 2)
      --shift_;
    for (std::uint64_t h : old) {
      if (h == 0) continue;
      std::size_t i = slot_of(h);
      while (slots_[i] != 0)
        i = (i + 1) & (slots_.size() - 1);
      slots_[i] = h;
    }
  }

  std::vector<std::uint64_t> slots_;
  int shift_ = 64;
  std::size_t size_ = 0;
};

/// Which organisations exist, so that a new one is never an unlabelled duplicate of another.
///
/// The core of a name is its brand and trade (瑞华 + 科技) or brand and institution (第一人民医院).
/// Two organisations may share a core only in different cities and only while both names carry
/// their place: a name without one (瑞华科技有限公司) claims its core nationwide. Rendered names
/// are unique outright. `Set` keeps the names and cores: std::unordered_set<std::string>, or
/// hashed_set for large data sets.
template <class Set = std::unordered_set<std::string>>
class basic_org_registry {
 public:
  /// Registers `n` and returns true, or returns false when it would clash.
  bool claim(const org_name& n) {
    std::string name = render(n);
    if (names_.contains(name)) return false;
    std::string core = core_of(n);
    std::string located = core + "|" + std::to_string(n.city) + "|" +
                          (n.branch_city ? std::to_string(*n.branch_city) : std::string("-"));
    const bool bare = n.prefix == prefix_style::none && !n.bracket;
    if (bare ? any_.contains(core) : bare_.contains(core) || located_.contains(located))
      return false;
    if (bare) bare_.insert(core);
    names_.insert(std::move(name));
    located_.insert(std::move(located));
    any_.insert(std::move(core));
    return true;
  }

  /// Registers a branch office (分公司, 营业部, 办事处) of an organisation claimed before,
  /// written `name`: it shares its head office's core, so only its name has to be new.
  bool claim_branch(std::string name) { return names_.insert(std::move(name)).second; }

  /// Whether some organisation was registered as `name`.
  [[nodiscard]] bool has_name(const std::string& name) const { return names_.contains(name); }

  /// Room for `count` organisations.
  void reserve(std::size_t count) {
    names_.reserve(count);
    located_.reserve(count);
    bare_.reserve(count / 4);
    any_.reserve(count);
  }

 private:
  static std::string core_of(const org_name& n) {
    if (n.kind != org_kind::company) return n.brand + n.tail;
    return n.brand + "|" + std::to_string(n.industry) + "." + std::to_string(n.trade);
  }

  Set names_;
  Set located_;
  Set bare_;
  Set any_;
};

using org_registry = basic_org_registry<>;

inline std::size_t pick_city(rng& r) {
  return pick_weighted(r, tb::cities);
}

inline prefix_style pick_prefix(rng& r, const tb::city& c) {
  switch (weighted_index(r, {18, 30, 40, c.province.empty() ? 0 : 7})) {
    case 0:
      return prefix_style::none;
    case 1:
      return prefix_style::short_name;
    case 2:
      return prefix_style::full;
    default:
      return prefix_style::province;
  }
}

/// A brand: one from the list, or for `compound` > 0 that many more joined to it (瑞华恒信).
inline void pick_brand(rng& r, org_name& n, int compound) {
  const auto& b = pick(r, tb::brands);
  n.brand = std::string(b.zh);
  n.brand_pinyin = std::string(b.pinyin);
  for (int i = 0; i < compound; ++i) {
    const auto& more = pick(r, tb::brands);
    n.brand += more.zh;
    n.brand_pinyin += ' ';
    n.brand_pinyin += more.pinyin;
  }
}

inline org_name make_org(rng& r, org_kind kind, std::size_t city, bool may_branch, int compound) {
  org_name n;
  n.kind = kind;
  n.city = city;
  const tb::city& c = tb::cities[city];
  if (kind == org_kind::company) {
    pick_brand(r, n, compound);
    n.industry = pick_weighted(r, tb::industries);
    n.trade = weighted_index(r, {40, 25, 20, 15});
    n.form = pick_weighted(r, tb::org_forms);
    if (r.chance(0.08)) {
      n.prefix = prefix_style::none;
      n.bracket = true;
    } else {
      n.prefix = pick_prefix(r, c);
    }
    if (may_branch && r.chance(0.05)) {
      std::size_t other = pick_city(r);
      if (other == city) other = (city + 1 + r.index(tb::cities.size() - 1)) % tb::cities.size();
      n.branch_city = other;
      if (n.prefix == prefix_style::none && !n.bracket) n.prefix = prefix_style::full;
    }
    return n;
  }
  const bool hospital = kind == org_kind::hospital;
  std::array<int, tb::institutions.size()> weights{};
  for (std::size_t i = 0; i < weights.size(); ++i) {
    // Public names are few per city (第一人民医院...): when they clash, a private one it is.
    const bool fits =
        tb::institutions[i].hospital == hospital && (compound == 0 || tb::institutions[i].branded);
    weights[i] = fits ? tb::institutions[i].weight : 0;
  }
  const tb::institution& inst = tb::institutions[weighted_index(r, weights)];
  n.industry = hospital ? tb::industry_medical : tb::industry_education;
  n.is_public = !inst.branded;
  n.tail = std::string(inst.tail);
  n.tail_abbr = std::string(inst.abbr);
  if (inst.max_n > 0) {
    const auto& num = tb::numerals[r.index(static_cast<std::size_t>(inst.max_n))];
    n.tail = replace_all(n.tail, "{n}", num.zh);
    n.tail_abbr = replace_all(n.tail_abbr, "{n}", num.initial);
  }
  if (inst.branded) {
    pick_brand(r, n, std::max(0, compound - 1));
    n.prefix = static_cast<prefix_style>(weighted_index(r, {30, 40, 30}));
  } else {
    n.prefix = r.chance(0.75) ? prefix_style::full : prefix_style::short_name;
  }
  return n;
}

/// A new organisation that clashes with none in `registry` (and is then registered there).
/// A name without a place that keeps clashing gets its city written; brands are compounded
/// (瑞华恒信) only when the plain ones keep clashing too (large data sets).
inline org_name make_unique_org(rng& r, org_kind kind, std::size_t city, bool may_branch,
                                org_registry& registry) {
  for (int attempt = 0;; ++attempt) {
    const int compound = attempt < 6 ? 0 : attempt < 40 ? 1 : 2;
    org_name n = make_org(r, kind, city, may_branch, compound);
    if (attempt >= 3 && n.prefix == prefix_style::none && !n.bracket) n.prefix = prefix_style::full;
    if (registry.claim(n) || attempt >= 1000) return n;
  }
}

inline org_kind pick_kind(rng& r) {
  switch (weighted_index(r, {930, 40, 30})) {
    case 1:
      return org_kind::hospital;
    case 2:
      return org_kind::school;
    default:
      return org_kind::company;
  }
}

/// A web/e-mail domain for the organisation, not in `taken` (and then added to it).
template <class Set>
std::string make_domain(rng& r, const org_name& n, Set& taken) {
  const tb::city& c = tb::cities[n.city];
  const std::string stem = join_pinyin(n.brand_pinyin);
  // The candidate stems in order of preference, built only as far as they are needed.
  std::size_t stem_count = 3;
  std::size_t first = 0;
  std::array<std::string_view, 4> tlds{};
  std::size_t tld_count = 3;
  if (n.kind == org_kind::company) {
    stem_count = 7;
    first = weighted_index(r, {36, 24, 10, 15, 5, n.form && *n.form >= 3 ? 8 : 1, 2});
    tlds = {".com", ".com.cn", ".cn", ".net"};
    tld_count = 4;
    std::rotate(tlds.begin(),
                tlds.begin() + static_cast<std::ptrdiff_t>(weighted_index(r, {55, 25, 15, 5})),
                tlds.end());
  } else if (n.kind == org_kind::school) {
    tlds = {".edu.cn", ".cn", ".com"};
  } else if (n.is_public) {
    tlds = {".org.cn", ".cn", ".com"};
  } else {
    tlds = {".com", ".cn", ".com.cn"};
  }
  const auto stem_at = [&](std::size_t k) -> std::string {  // k-th in order of preference
    const std::size_t i = (first + k) % stem_count;
    if (n.kind != org_kind::company) {
      const std::string base = std::string(c.abbr) + stem + n.tail_abbr;
      return i == 0 ? base : i == 1 ? std::string(c.pinyin) + stem + n.tail_abbr : base + "2";
    }
    const std::string_view hint = tb::industries[n.industry].domain_hint;
    const std::string_view suffix = hint.empty() ? std::string_view("cn") : hint;
    switch (i) {
      case 0:
        return stem;
      case 1:
        return cat({stem, suffix});
      case 2:
        return cat({stem, "-", suffix});
      case 3:
        return cat({c.abbr, stem});
      case 4:
        return cat({pinyin_initials(n.brand_pinyin), suffix});
      case 5:
        return stem + "group";
      default:
        return stem + "china";
    }
  };
  for (std::size_t k = 0; k < stem_count; ++k) {
    const std::string s = stem_at(k);
    for (std::size_t t = 0; t < tld_count; ++t) {
      std::string domain = cat({s, tlds[t]});
      if (taken.insert(domain).second) return domain;
    }
  }
  const std::string front = stem_at(0);
  for (int attempt = 0;; ++attempt) {  // ruihua88.com; longer numbers as short ones run out
    std::string domain = front + digits(r, 2 + attempt / 4) + std::string(tlds.front());
    if (taken.insert(domain).second) return domain;
  }
}

inline void apply_region(rng& r, org_name& v) {
  const bool municipal = tb::cities[v.city].province.empty();
  if (v.kind != org_kind::company && v.brand.empty()) {  // a public institution keeps its place
    v.prefix = v.prefix == prefix_style::full ? prefix_style::short_name : prefix_style::full;
    return;
  }
  if (v.bracket) {
    v.bracket = false;
    v.prefix = r.chance(0.5) ? prefix_style::short_name : prefix_style::full;
    return;
  }
  if (v.prefix != prefix_style::none) {
    if (r.chance(0.55) && !v.branch_city) {
      v.prefix = prefix_style::none;
      return;
    }
    std::vector<prefix_style> others;
    for (auto p : {prefix_style::short_name, prefix_style::full, prefix_style::province}) {
      if (p != v.prefix && !(municipal && p == prefix_style::province)) others.push_back(p);
    }
    v.prefix = others[r.index(others.size())];
    return;
  }
  v.prefix = r.chance(0.5) ? prefix_style::short_name : prefix_style::full;
}

inline void apply_org_form(rng& r, org_name& v) {
  if (v.form && r.chance(0.35)) {
    v.form.reset();  // "瑞华科技": people leave the legal form off
    return;
  }
  if (!v.form) {
    v.form = 0;
    return;
  }
  // 有限公司 <-> 有限责任公司 most often; a group or joint-stock company written as a plain one.
  static constexpr std::array<std::array<int, 5>, 5> next{{
      {0, 80, 15, 5, 0},
      {90, 0, 10, 0, 0},
      {85, 10, 0, 5, 0},
      {70, 10, 10, 0, 10},
      {20, 0, 30, 50, 0},
  }};
  v.form = weighted_index(r, next[*v.form]);
}

inline void apply_brackets(rng& r, org_name& v, render_style& style) {
  if (v.bracket) {
    if (r.chance(0.5)) {
      style.halfwidth = true;
    } else {
      style.bracket_after_trade = true;
      style.halfwidth = r.chance(0.3);
    }
    return;
  }
  v.bracket = true;  // 上海瑞华科技有限公司 -> 瑞华（上海）科技有限公司
  v.prefix = prefix_style::none;
  style.halfwidth = r.chance(0.4);
}

// ---------------------------------------------------------------------------------------------
// Unified social credit codes (GB 32100-2015)

inline constexpr std::string_view uscc_charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
inline constexpr std::array<int, 17> uscc_weights{1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                  29, 25, 13, 8,  24, 10, 30, 28};
inline constexpr std::array<int, 8> org_code_weights{3, 7, 9, 10, 5, 8, 4, 2};  // GB 11714-1997

/// The organisation code (9 characters, GB 11714 check digit) inside a USCC.
inline std::string make_org_code(rng& r) {
  std::string body;
  if (r.chance(0.45)) {  // newer registrations: MA + 6
    body = "MA";
    for (int i = 0; i < 6; ++i) {
      body += r.chance(0.6) ? static_cast<char>('0' + r.below(10))
                            : uscc_charset[10 + r.index(uscc_charset.size() - 10)];
    }
  } else {
    body = digits(r, 8);
  }
  int sum = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const char c = body[i];
    const int v = c <= '9' ? c - '0' : c - 'A' + 10;
    sum += v * org_code_weights[i];
  }
  const int check = 11 - sum % 11;
  body += check == 10 ? 'X' : check == 11 ? '0' : static_cast<char>('0' + check);
  return body;
}

/// 18 characters: registration authority and type, area code, organisation code, check.
inline std::string make_uscc(rng& r, std::string_view registration, std::string_view area) {
  std::string code = cat({registration, area}) + make_org_code(r);
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    sum += static_cast<int>(uscc_charset.find(code[i])) * uscc_weights[i];
  }
  code += uscc_charset[static_cast<std::size_t>((31 - sum % 31) % 31)];
  return code;
}

inline std::string region_of(std::size_t city) {
  return std::string(tb::cities[city].region);
}

inline std::string make_address(rng& r, const org_name& n, std::size_t district) {
  const tb::city& c = tb::cities[home_city(n)];
  std::string out = c.province.empty() ? std::string() : std::string(c.province);
  out += cat({c.name, "市", c.districts[district].name, pick(r, tb::roads)});
  out += std::to_string(r.between(1, 999)) + "号";
  switch (weighted_index(r, {40, 35, 25})) {
    case 0:
      break;
    case 1:
      out += static_cast<char>('A' + r.below(4));
      out += "座" + std::to_string(r.between(2, 28));
      out += padded("", static_cast<std::size_t>(r.between(1, 20)), 2) + "室";
      break;
    default:
      out += std::to_string(r.between(1, 12)) + "栋";
      out += std::to_string(r.between(1, 9)) + "楼";
      break;
  }
  return out;
}

inline std::vector<std::string> customer_emails(rng& r, const org_name& n,
                                                const std::string& domain) {
  std::vector<std::string> out;
  const auto count = static_cast<std::size_t>(weighted_index(r, {12, 58, 30}));
  for (std::size_t k = 0; k < count; ++k) {
    std::string email;
    if (n.kind == org_kind::company) {
      if (r.chance(0.08)) {
        email = personal_email(r, make_person(r), false);
      } else if (r.chance(0.5)) {
        static constexpr std::array<std::string_view, 7> roles{
            "info", "sales", "contact", "service", "hr", "market", "bd"};
        email = cat({pick(r, roles), "@", domain});
      } else {
        email = mail_local(r, make_person(r)) + "@" + domain;
      }
    } else {
      static constexpr std::array<std::string_view, 5> hospital{"office", "yb", "sbk", "xxzx",
                                                                "info"};
      static constexpr std::array<std::string_view, 4> school{"office", "xb", "jwc", "xxzx"};
      email =
          cat({n.kind == org_kind::hospital ? pick(r, hospital) : pick(r, school), "@", domain});
    }
    if (std::find(out.begin(), out.end(), email) == out.end()) out.push_back(std::move(email));
  }
  return out;
}

}  // namespace crmrules::sample::detail
