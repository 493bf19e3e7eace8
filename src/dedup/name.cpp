// Company-name folding and parsing (see include/crmrules/dedup/name.hpp).
#include "crmrules/dedup/name.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/utf8.hpp"

namespace crmrules::dedup {
namespace {

// ---------------------------------------------------------------------------------------------
// Tables

struct region_entry {
  std::u8string_view name;
  std::uint32_t code;
  std::uint8_t level;
  std::uint8_t match;  // 0 full name, 1 short form on its own, 2 short form after its parent
};

constexpr region_entry region_table[] = {
#include "dedup/cn_regions.inc"
};

std::string_view as_chars(std::u8string_view s) noexcept {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

/// Entries named exactly `name` (the table is sorted by name bytes).
std::span<const region_entry> regions_named(std::string_view name) noexcept {
  const auto less_name = [](const region_entry& e, std::string_view n) {
    return as_chars(e.name) < n;
  };
  const auto* first =
      std::lower_bound(std::begin(region_table), std::end(region_table), name, less_name);
  const auto* last = first;
  while (last != std::end(region_table) && as_chars(last->name) == name)
    ++last;
  return {first, last};
}

struct fold_pair {
  char32_t traditional;
  char32_t simplified;
};

constexpr fold_pair traditional_table[] = {
#include "dedup/traditional.inc"
};

char32_t simplify(char32_t c) noexcept {
  if (c < 0x4E00) return c;
  const auto* it =
      std::lower_bound(std::begin(traditional_table), std::end(traditional_table), c,
                       [](const fold_pair& p, char32_t v) { return p.traditional < v; });
  return it != std::end(traditional_table) && it->traditional == c ? it->simplified : c;
}

// Organisational forms, longest first so that the longest suffix wins.
constexpr std::u32string_view org_forms[] = {
    U"集团股份有限公司", U"集团有限责任公司", U"股份有限公司", U"有限责任公司", U"集团有限公司",
    U"(有限合伙)",       U"(普通合伙)",       U"有限合伙",     U"普通合伙",     U"集团公司",
    U"股份公司",         U"有限公司",         U"总公司",       U"公司",         U"集团",
};

// Branch markers: a name ending in one names a branch, not its head office.
constexpr std::u32string_view branch_markers[] = {
    U"分公司", U"分行", U"支行", U"营业部", U"办事处", U"代表处", U"分店",
    U"分厂",   U"分部", U"分院", U"分所",   U"分中心", U"门店",
};

// Trade words (行业词), compounds first so that the longest suffix wins.
constexpr std::u32string_view trade_words[] = {
    U"中西医结合医院", U"国际货运代理", U"职业技术学院", U"职业培训学校", U"供应链管理",
    U"妇幼保健院",     U"互联网科技",   U"新能源科技",   U"自动化设备",   U"外国语学校",
    U"人民医院",       U"中医医院",     U"儿童医院",     U"肿瘤医院",     U"中心医院",
    U"口腔医院",       U"眼科医院",     U"骨科医院",     U"牙科医院",     U"儿科医院",
    U"妇产医院",       U"整形医院",     U"美容医院",     U"专科医院",     U"信息技术",
    U"信息科技",       U"网络科技",     U"网络技术",     U"数字科技",     U"智能科技",
    U"电子科技",       U"智能制造",     U"精密机械",     U"医疗器械",     U"医疗科技",
    U"健康科技",       U"生物医药",     U"生物科技",     U"生物技术",     U"教育科技",
    U"教育咨询",       U"教育培训",     U"文化传播",     U"文化传媒",     U"光伏科技",
    U"储能技术",       U"电子商务",     U"投资管理",     U"融资租赁",     U"保险代理",
    U"财务咨询",       U"建筑工程",     U"建设工程",     U"装饰工程",     U"工程咨询",
    U"餐饮管理",       U"企业管理",     U"管理咨询",     U"实验小学",     U"实验学校",
    U"国际学校",       U"师范学院",     U"医科大学",     U"房地产开发",   U"房地产",
    U"新材料",         U"新能源",       U"日用品",       U"卫生院",       U"幼儿园",
    U"进出口",         U"科技",         U"技术",         U"软件",         U"网络",
    U"电子",           U"通信",         U"通讯",         U"医院",         U"医药",
    U"医疗",           U"药业",         U"制药",         U"商贸",         U"贸易",
    U"百货",           U"物流",         U"运输",         U"实业",         U"投资",
    U"咨询",           U"传媒",         U"广告",         U"教育",         U"培训",
    U"食品",           U"服饰",         U"餐饮",         U"建筑",         U"建设",
    U"工程",           U"装饰",         U"置业",         U"物业",         U"汽车",
    U"机械",           U"设备",         U"化工",         U"能源",         U"环保",
    U"材料",           U"制造",         U"工业",         U"中学",         U"小学",
    U"学校",           U"学院",         U"大学",         U"银行",         U"证券",
    U"保险",           U"基金",         U"酒店",         U"旅游",         U"农业",
    U"电器",
};

// Latin legal forms, as folded tokens ("Co., Ltd." folds to "co ltd", "S.A." to "sa").
constexpr std::string_view latin_forms[] = {
    "co",  "company", "ltd",  "limited", "inc", "incorporated", "corp",  "corporation", "llc",
    "llp", "lp",      "gmbh", "ag",      "sa",  "plc",          "pte",   "pty",         "bv",
    "nv",  "srl",     "spa",  "kk",      "oy",  "ab",           "group", "holdings"};

bool ends_with(std::u32string_view s, std::u32string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// The length of `word` when `s` ends with it, allowing one mistyped character in words of four
/// or more (有限公思, 信习技术: the generator of typos and people both do it); 0 otherwise.
std::size_t fuzzy_suffix(std::u32string_view s, std::u32string_view word) noexcept {
  if (s.size() <= word.size()) return 0;
  const std::u32string_view tail = s.substr(s.size() - word.size());
  std::size_t diff = 0;
  for (std::size_t i = 0; i < word.size(); ++i)
    diff += tail[i] != word[i];
  if (diff == 0 || (diff == 1 && word.size() >= 4)) return word.size();
  return 0;
}

bool is_han(char32_t c) noexcept {
  return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x323AF);
}

std::string to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size() * 3);
  for (char32_t c : s)
    detail::append_utf8(out, c);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Folding

/// NFKC + case folding through utf8proc (the input is valid UTF-8 by construction).
std::u32string nfkc_casefold(std::string_view valid) {
  utf8proc_uint8_t* mapped = nullptr;
  const auto options =
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                     UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPCC);
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid.data()),
                   static_cast<utf8proc_ssize_t>(valid.size()), &mapped, options);
  if (n == UTF8PROC_ERROR_NOMEM) throw std::bad_alloc();
  if (n < 0) return detail::to_u32(valid);  // cannot happen for valid input
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
  return detail::to_u32(
      std::string_view(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(n)));
}

bool is_open_bracket(char32_t c) noexcept {
  return c == U'(' || c == U'[' || c == U'【' || c == U'〔' || c == U'〖' || c == U'{';
}
bool is_close_bracket(char32_t c) noexcept {
  return c == U')' || c == U']' || c == U'】' || c == U'〕' || c == U'〗' || c == U'}';
}

bool is_word_char(char32_t c) noexcept {
  if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9');
  const utf8proc_category_t cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  switch (cat) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

/// The folded code points of a name (see fold_name).
std::u32string fold(std::string_view text) {
  // Names longer than this are cut: no real name is, and parsing stays linear in what is left.
  constexpr std::size_t max_bytes = 1024;
  if (text.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;
    text = text.substr(0, cut);
  }
  // Invalid bytes become U+FFFD so that utf8proc always gets valid input.
  std::u32string cps;
  if (detail::first_invalid_utf8(text)) {
    std::string valid;
    for (char32_t c : detail::to_u32(text))
      detail::append_utf8(valid, c);
    cps = nfkc_casefold(valid);
  } else {
    cps = nfkc_casefold(text);
  }
  const bool han = std::any_of(cps.begin(), cps.end(), is_han);
  std::u32string out;
  out.reserve(cps.size());
  bool space = false;
  for (char32_t raw : cps) {
    const char32_t c = simplify(raw);
    if (!han && (is_open_bracket(c) || is_close_bracket(c))) {
      space = true;  // Latin: "Acme (China) Ltd" is the words acme, china, ltd
    } else if (is_open_bracket(c)) {
      out.push_back(U'(');
      space = false;
    } else if (is_close_bracket(c)) {
      out.push_back(U')');
      space = false;
    } else if (is_word_char(c)) {
      if (space && !out.empty() && out.back() != U'(') out.push_back(U' ');
      out.push_back(c);
      space = false;
    } else if (!han && c == U'&') {
      if (!out.empty()) out.push_back(U' ');
      out += U"and";
      space = true;
    } else if (!han && (c == U'.' || c == U'\'' || c == U'’')) {
      // "Co., Ltd." -> "co ltd", "S.A." -> "sa", "O'Brien" -> "obrien"
    } else {
      space = !han;  // other punctuation and whitespace separate Latin words
    }
  }
  // Empty brackets (left by punctuation-only contents) are dropped.
  for (std::size_t p; (p = out.find(U"()")) != std::u32string::npos;)
    out.erase(p, 2);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Region matching

struct region_match {
  std::size_t length = 0;  // code points consumed
  division where;
};

/// The longest division name at the start of `s` acceptable after `parent` (none: the start of
/// the name). A short form of kind 2 needs a parent containing it.
region_match match_region(std::u32string_view s, division parent) {
  region_match best;
  const std::size_t max_len = std::min<std::size_t>(s.size(), 16);
  std::string probe;
  for (std::size_t len = max_len; len >= 2; --len) {
    probe = to_utf8(s.substr(0, len));
    for (const region_entry& e : regions_named(probe)) {
      const division d{e.code, e.level};
      if (parent.known()) {
        // After a region, only a division inside it continues the region (北京海淀).
        if (e.level <= parent.level || d.at_level(parent.level) != parent.code) continue;
      } else if (e.match == 2) {
        continue;
      }
      // Several divisions share a name (朝阳区 in 北京 and 长春): the highest level wins, then
      // the lowest code, so the choice is deterministic.
      if (best.length == 0 || e.level < best.where.level ||
          (e.level == best.where.level && e.code < best.where.code)) {
        best = {len, d};
      }
    }
    if (best.length != 0) return best;
  }
  return best;
}

/// The regions `s` starts with, most specific last: a province, then a city in it, then a
/// district in that (广东省深圳市南山区...). Returns the code points they take and the last one.
region_match leading_region(std::u32string_view s) {
  region_match out;
  while (out.length < s.size()) {
    const region_match m = match_region(s.substr(out.length), out.where);
    if (m.length == 0) break;
    out.length += m.length;
    out.where = m.where;
    if (out.where.level == 3) break;
  }
  return out;
}

/// Matches the whole of `s` as one region name (for bracketed regions).
std::optional<division> whole_region(std::u32string_view s) {
  if (s.size() < 2) return std::nullopt;
  const region_match m = match_region(s, {});
  if (m.length == s.size()) return m.where;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// The trade word `s` ends with: the longest listed word written exactly (leaving some core), or,
/// when longer, a listed word of four or more characters written with one typo (信习技术 for
/// 信息技术), leaving at least two characters of core. Returns its length and whether it is
/// written as listed; a typo'd word is kept as written, so that two listed words one character
/// apart (中医医院, 中心医院) stay different.
std::pair<std::size_t, bool> trade_at_end(std::u32string_view s) noexcept {
  std::size_t exact = 0;
  for (std::u32string_view w : trade_words) {
    if (w.size() > exact && s.size() > w.size() && ends_with(s, w)) exact = w.size();
  }
  for (std::u32string_view w : trade_words) {
    if (w.size() <= exact || s.size() < w.size() + 2) continue;
    if (fuzzy_suffix(s, w) != 0) return {w.size(), false};
  }
  return {exact, exact != 0};
}

void parse_latin(std::u32string_view folded, company_name& out) {
  std::vector<std::u32string_view> words;
  for (std::size_t i = 0; i < folded.size();) {
    const std::size_t j = std::min(folded.find(U' ', i), folded.size());
    if (j > i) words.push_back(folded.substr(i, j - i));
    i = j + 1;
  }
  // Bracketed words were kept as words; brackets themselves are dropped.
  std::vector<std::string> ws;
  for (auto w : words) {
    std::u32string clean;
    for (char32_t c : w) {
      if (c != U'(' && c != U')') clean.push_back(c);
    }
    if (!clean.empty()) ws.push_back(to_utf8(clean));
  }
  if (!ws.empty() && ws.front() == "the") ws.erase(ws.begin());
  std::vector<std::string> form;
  while (ws.size() > 1 && std::find(std::begin(latin_forms), std::end(latin_forms), ws.back()) !=
                              std::end(latin_forms)) {
    form.insert(form.begin(), ws.back());
    ws.pop_back();
  }
  for (std::size_t i = 0; i < ws.size(); ++i)
    out.core += (i ? " " : "") + ws[i];
  for (std::size_t i = 0; i < form.size(); ++i)
    out.form += (i ? " " : "") + form[i];
}

void parse_chinese(std::u32string s, company_name& out) {
  // 1. Bracketed parts: a region (企帮宝信息科技(甘肃)有限公司), a form ((有限合伙)), the
  //    national marker (中国), or text kept without its brackets.
  std::u32string region_written;
  for (std::size_t open = s.find(U'('); open != std::u32string::npos; open = s.find(U'(', open)) {
    const std::size_t close = s.find(U')', open);
    if (close == std::u32string::npos) {
      s.erase(open, 1);
      continue;
    }
    const std::u32string inner = s.substr(open + 1, close - open - 1);
    if (inner == U"有限合伙" || inner == U"普通合伙") {
      out.form = to_utf8(inner);
      s.erase(open, close - open + 1);
    } else if (inner == U"中国") {
      s.erase(open, close - open + 1);
    } else if (auto d = whole_region(inner); d && !out.region.known()) {
      out.region = *d;
      region_written = inner;
      s.erase(open, close - open + 1);
    } else {
      s.erase(close, 1);
      s.erase(open, 1);
    }
  }
  s.erase(std::remove(s.begin(), s.end(), U')'), s.end());

  // 2. Branch: the text after the head office's form, or a marker with the place before it.
  for (std::u32string_view marker : branch_markers) {
    if (!ends_with(s, marker) || s.size() == marker.size()) continue;
    const std::size_t marker_at = s.size() - marker.size();
    std::size_t cut = std::u32string::npos;
    for (std::u32string_view form : org_forms) {
      const std::size_t at = s.rfind(form, marker_at);
      if (at != std::u32string::npos && at + form.size() <= marker_at &&
          (cut == std::u32string::npos || at + form.size() > cut)) {
        cut = at + form.size();
      }
    }
    if (cut == std::u32string::npos || cut == 0) {
      // No form before the marker: the branch is the marker and the place just before it.
      cut = marker_at;
      for (std::size_t len = std::min<std::size_t>(marker_at, 12); len >= 2; --len) {
        if (whole_region(std::u32string_view(s).substr(marker_at - len, len))) {
          cut = marker_at - len;
          break;
        }
      }
      if (cut == 0) cut = marker_at;
    }
    out.branch = to_utf8(std::u32string_view(s).substr(cut));
    out.branch_marker = to_utf8(marker);
    out.branch_region = leading_region(std::u32string_view(s).substr(cut, marker_at - cut)).where;
    s.erase(cut);
    break;
  }

  // 3. Organisational form, the longest suffix (a typo in a form of four or more characters is
  //    read as the form: 有限公思 is 有限公司).
  {
    std::u32string_view found;
    for (std::u32string_view form : org_forms) {
      if (form.size() > found.size() && s.size() > form.size() && ends_with(s, form)) found = form;
    }
    // A typo in a limited company's form (有限公思, 有线公司, 有限责认公司), when longer than what
    // matched exactly; never 集团 or 股份 read into a core (歌剧团有限公司 keeps 歌剧团).
    for (std::u32string_view form :
         {std::u32string_view(U"有限责任公司"), std::u32string_view(U"有限公司")}) {
      if (form.size() > found.size() && s.size() > form.size() + 1 && fuzzy_suffix(s, form) != 0) {
        found = form;
        break;
      }
    }
    if (!found.empty()) {
      if (out.form.empty()) out.form = to_utf8(found);
      s.erase(s.size() - found.size());
    }
  }

  // 4. Leading region: a province, then a city in it, then a district in that.
  if (!out.region.known()) {
    const auto [region_len, at] = leading_region(s);
    // A region is stripped only if a core remains (中山大学 keeps 中山 as its core).
    if (region_len > 0 && region_len < s.size()) {
      const std::u32string_view rest = std::u32string_view(s).substr(region_len);
      bool rest_is_trade = false;
      for (std::u32string_view w : trade_words)
        rest_is_trade |= rest == w;
      if (!rest_is_trade) {
        out.region = at;
        region_written = s.substr(0, region_len);
        s.erase(0, region_len);
      }
    }
  }
  out.region_text = to_utf8(region_written);

  // 5. Affiliation: 交通大学医学院附属 | 瑞金医院.
  if (const std::size_t at = s.rfind(U"附属"); at != std::u32string::npos && at + 2 < s.size()) {
    out.affiliation = to_utf8(std::u32string_view(s).substr(0, at + 2));
    s.erase(0, at + 2);
  }

  // 6. Trade word (as listed, so a mistyped one reads as itself) and core.
  const auto [trade, listed] = trade_at_end(s);
  out.trade = to_utf8(std::u32string_view(s).substr(s.size() - trade));
  out.trade_listed = listed;
  out.core = to_utf8(std::u32string_view(s).substr(0, s.size() - trade));
}

}  // namespace

std::uint32_t division::at_level(std::uint8_t lvl) const noexcept {
  if (code == 0 || lvl == 0 || lvl > level) return 0;
  switch (lvl) {
    case 1:
      return code / 10000 * 10000;
    case 2:
      return code / 100 * 100;
    default:
      return code;
  }
}

bool compatible(division a, division b) noexcept {
  if (!a.known() || !b.known()) return true;
  const std::uint8_t lvl = std::min(a.level, b.level);
  return a.at_level(lvl) == b.at_level(lvl);
}

std::string_view division_name(std::uint32_t code) noexcept {
  for (const region_entry& e : region_table) {
    if (e.code == code && e.match == 0) return as_chars(e.name);
  }
  return {};
}

division find_division(std::string_view text) {
  return leading_region(fold(text)).where;
}

std::string fold_name(std::string_view text) {
  return to_utf8(fold(text));
}

company_name parse_company_name(std::string_view text) {
  company_name out;
  std::u32string s = fold(text);
  out.folded = to_utf8(s);
  out.latin = !s.empty() && std::none_of(s.begin(), s.end(), is_han);
  if (out.latin) {
    parse_latin(s, out);
    return out;
  }
  parse_chinese(std::move(s), out);
  if (out.core.empty()) {
    // Only a trade word (医院) or only a form: keep it as the core so that names still compare.
    out.core = std::move(out.trade);
    out.trade.clear();
    out.trade_listed = false;
  }
  return out;
}

bool is_abbreviation(std::u32string_view short_name, std::u32string_view full) noexcept {
  if (short_name.size() < 2 || short_name.size() >= full.size()) return false;
  if (short_name.front() != full.front()) return false;
  std::size_t j = 0;
  for (char32_t c : short_name) {
    while (j < full.size() && full[j] != c)
      ++j;
    if (j == full.size()) return false;
    ++j;
  }
  return true;
}

}  // namespace crmrules::dedup
