// The dedup evaluation set and population. See crmrules_sample/dedup_eval.hpp for what they
// promise.
//
// Built on the sample generator's internals (orgs.hpp): its tables, rng, organisation names and
// registry. Each part draws from an rng stream of its own, so generate()'s data set is not
// touched. Uniqueness sets (hashed_set) are used for membership tests only, never iterated, and
// hash with a fixed function, so the output is the same on every platform.

#include "crmrules_sample/dedup_eval.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "orgs.hpp"
#include "tables.hpp"

namespace crmrules::sample {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the shared internals

constexpr std::uint64_t stream_positives = 101;
constexpr std::uint64_t stream_negatives = 102;
constexpr std::uint64_t stream_population = 103;

// ---------------------------------------------------------------------------------------------
// Tables

using char_pair = std::pair<std::string_view, std::string_view>;

// Simplified -> traditional, for every simplified character of the name tables (tables.hpp and
// the ones below) whose traditional form differs; Taiwan standard forms (OpenCC s2tw, checked one
// character at a time), with the company-name reading where a character has several (制造 ->
// 製造, 沈阳 -> 瀋陽, 师范 -> 師範). Sorted by the simplified side's UTF-8 bytes.
// clang-format off
constexpr std::array<char_pair, 173> traditional{{
  {"万", "萬"}, {"业", "業"}, {"东", "東"}, {"义", "義"}, {"乌", "烏"}, {"乐", "樂"},
  {"乔", "喬"}, {"习", "習"}, {"云", "雲"}, {"亚", "亞"}, {"产", "產"}, {"众", "眾"},
  {"优", "優"}, {"会", "會"}, {"传", "傳"}, {"储", "儲"}, {"儿", "兒"}, {"兰", "蘭"},
  {"兴", "興"}, {"内", "內"}, {"军", "軍"}, {"凤", "鳳"}, {"凯", "凱"}, {"则", "則"},
  {"创", "創"}, {"制", "製"}, {"办", "辦"}, {"务", "務"}, {"动", "動"}, {"区", "區"},
  {"医", "醫"}, {"华", "華"}, {"厦", "廈"}, {"发", "發"}, {"启", "啟"}, {"咨", "諮"},
  {"团", "團"}, {"园", "園"}, {"国", "國"}, {"图", "圖"}, {"圆", "圓"}, {"壮", "壯"},
  {"声", "聲"}, {"处", "處"}, {"备", "備"}, {"妇", "婦"}, {"学", "學"}, {"宁", "寧"},
  {"实", "實"}, {"将", "將"}, {"尔", "爾"}, {"属", "屬"}, {"岚", "嵐"}, {"岛", "島"},
  {"师", "師"}, {"广", "廣"}, {"庄", "莊"}, {"庆", "慶"}, {"应", "應"}, {"开", "開"},
  {"恒", "恆"}, {"恺", "愷"}, {"悦", "悅"}, {"扬", "揚"}, {"数", "數"}, {"无", "無"},
  {"术", "術"}, {"机", "機"}, {"杨", "楊"}, {"杰", "傑"}, {"极", "極"}, {"树", "樹"},
  {"桥", "橋"}, {"桦", "樺"}, {"气", "氣"}, {"汇", "匯"}, {"汉", "漢"}, {"沈", "瀋"},
  {"泽", "澤"}, {"济", "濟"}, {"润", "潤"}, {"滨", "濱"}, {"点", "點"}, {"电", "電"},
  {"畅", "暢"}, {"疗", "療"}, {"盘", "盤"}, {"筑", "築"}, {"红", "紅"}, {"纪", "紀"},
  {"纳", "納"}, {"线", "線"}, {"经", "經"}, {"结", "結"}, {"络", "絡"}, {"维", "維"},
  {"绿", "綠"}, {"网", "網"}, {"职", "職"}, {"联", "聯"}, {"肃", "肅"}, {"肿", "腫"},
  {"胜", "勝"}, {"腾", "騰"}, {"艺", "藝"}, {"苏", "蘇"}, {"范", "範"}, {"药", "藥"},
  {"营", "營"}, {"蓝", "藍"}, {"装", "裝"}, {"计", "計"}, {"认", "認"}, {"训", "訓"},
  {"记", "記"}, {"设", "設"}, {"诚", "誠"}, {"询", "詢"}, {"语", "語"}, {"财", "財"},
  {"责", "責"}, {"货", "貨"}, {"贵", "貴"}, {"贸", "貿"}, {"赁", "賃"}, {"资", "資"},
  {"赛", "賽"}, {"跃", "躍"}, {"车", "車"}, {"软", "軟"}, {"较", "較"}, {"辉", "輝"},
  {"输", "輸"}, {"辽", "遼"}, {"达", "達"}, {"运", "運"}, {"远", "遠"}, {"连", "連"},
  {"郑", "鄭"}, {"钟", "鍾"}, {"铭", "銘"}, {"银", "銀"}, {"链", "鏈"}, {"销", "銷"},
  {"锐", "銳"}, {"锡", "錫"}, {"锦", "錦"}, {"长", "長"}, {"门", "門"}, {"问", "問"},
  {"闰", "閏"}, {"闻", "聞"}, {"阳", "陽"}, {"阵", "陣"}, {"际", "際"}, {"陕", "陝"},
  {"险", "險"}, {"顶", "頂"}, {"顾", "顧"}, {"领", "領"}, {"飞", "飛"}, {"饭", "飯"},
  {"饮", "飲"}, {"饰", "飾"}, {"骅", "驊"}, {"验", "驗"}, {"鲁", "魯"}, {"鲸", "鯨"},
  {"鸿", "鴻"}, {"鹏", "鵬"}, {"鹰", "鷹"}, {"齐", "齊"}, {"龙", "龍"},
}};
// clang-format on

/// Homophones and look-alikes that make another plausible brand (华信 -> 华新): a different
/// company, not a typo.
struct near_char {
  std::string_view from;
  std::string_view to;
  std::string_view to_pinyin;
};

// clang-format off
constexpr std::array<near_char, 84> near_chars{{
  {"信", "新", "xin"}, {"信", "鑫", "xin"}, {"新", "信", "xin"}, {"新", "鑫", "xin"},
  {"华", "骅", "hua"}, {"华", "桦", "hua"}, {"瑞", "睿", "rui"}, {"瑞", "锐", "rui"},
  {"锐", "瑞", "rui"}, {"睿", "瑞", "rui"}, {"达", "大", "da"}, {"恒", "衡", "heng"},
  {"盛", "晟", "sheng"}, {"盛", "胜", "sheng"}, {"远", "源", "yuan"}, {"源", "远", "yuan"},
  {"元", "源", "yuan"}, {"通", "同", "tong"}, {"同", "通", "tong"}, {"诚", "成", "cheng"},
  {"诚", "城", "cheng"}, {"鸿", "宏", "hong"}, {"宏", "鸿", "hong"}, {"宏", "弘", "hong"},
  {"弘", "宏", "hong"}, {"明", "铭", "ming"}, {"明", "名", "ming"}, {"嘉", "佳", "jia"},
  {"佳", "嘉", "jia"}, {"泰", "太", "tai"}, {"天", "添", "tian"}, {"智", "志", "zhi"},
  {"致", "智", "zhi"}, {"思", "斯", "si"}, {"博", "搏", "bo"}, {"汇", "惠", "hui"},
  {"汇", "慧", "hui"}, {"慧", "惠", "hui"}, {"惠", "慧", "hui"}, {"兴", "星", "xing"},
  {"星", "兴", "xing"}, {"金", "锦", "jin"}, {"锦", "金", "jin"}, {"润", "闰", "run"},
  {"德", "得", "de"}, {"美", "梅", "mei"}, {"云", "芸", "yun"}, {"辰", "晨", "chen"},
  {"辰", "宸", "chen"}, {"宇", "禹", "yu"}, {"龙", "隆", "long"}, {"腾", "滕", "teng"},
  {"凯", "恺", "kai"}, {"安", "鞍", "an"}, {"和", "禾", "he"}, {"合", "和", "he"},
  {"禾", "和", "he"}, {"众", "重", "zhong"}, {"联", "连", "lian"}, {"航", "杭", "hang"},
  {"光", "广", "guang"}, {"青", "清", "qing"}, {"捷", "杰", "jie"}, {"力", "立", "li"},
  {"立", "力", "li"}, {"方", "芳", "fang"}, {"精", "晶", "jing"}, {"维", "唯", "wei"},
  {"鹏", "朋", "peng"}, {"程", "成", "cheng"}, {"蓝", "岚", "lan"}, {"扬", "阳", "yang"},
  {"飞", "菲", "fei"}, {"帆", "凡", "fan"}, {"东", "冬", "dong"}, {"富", "福", "fu"},
  {"百", "佰", "bai"}, {"越", "悦", "yue"}, {"世", "仕", "shi"}, {"中", "众", "zhong"},
  {"川", "传", "chuan"}, {"海", "凯", "kai"}, {"康", "健", "jian"}, {"源", "园", "yuan"},
}};
// clang-format on

/// Made-up brands with Latin letters or digits, for the full-width variants (ｅ路通).
// clang-format off
constexpr std::array<tb::brand, 16> alnum_brands{{
  {"e路通", "e lu tong"}, {"e家园", "e jia yuan"}, {"i云", "i yun"}, {"U优", "u you"},
  {"V客", "v ke"}, {"A加", "a jia"}, {"3D云", "3d yun"}, {"5G智联", "5g zhi lian"},
  {"云图AI", "yun tu ai"}, {"智汇IT", "zhi hui it"}, {"易达365", "yi da 365"},
  {"百川100", "bai chuan 100"}, {"Q房", "q fang"}, {"T3优品", "t3 you pin"},
  {"星辰X", "xing chen x"}, {"博远AI", "bo yuan ai"},
}};

/// The short form of each trade word in company abbreviations (信息技术 -> 信息, 电子商务 -> 电商,
/// 智能制造 -> 智造), its characters in order; empty where the word is not shortened. Indexed
/// like tables::industries[i].words[j].
constexpr std::array<std::array<std::string_view, 4>, 12> trade_abbreviations{{
  {"信息", "", "网络", "数科"},        // 信息技术 软件 网络科技 数字科技
  {"", "互联网", "信息", "网络"},      // 科技 互联网科技 信息科技 网络技术
  {"智造", "精机", "自动化", ""},      // 智能制造 精密机械 自动化设备 电子
  {"医械", "医疗", "健康", ""},        // 医疗器械 医疗科技 健康科技 医药
  {"生物", "生物", "生物", ""},        // 生物医药 生物科技 生物技术 药业
  {"教育", "教育", "教培", "文化"},    // 教育科技 教育咨询 教育培训 文化传播
  {"", "新能源", "光伏", "储能"},      // 新能源 新能源科技 光伏科技 储能技术
  {"", "", "电商", ""},                // 商贸 贸易 电子商务 百货
  {"", "供应链", "货代", ""},          // 物流 供应链管理 国际货运代理 运输
  {"投资", "租赁", "保险", "财务"},    // 投资管理 融资租赁 保险代理 财务咨询
  {"建工", "建设", "装饰", "工程"},    // 建筑工程 建设工程 装饰工程 工程咨询
  {"", "日用", "餐饮", ""},            // 食品 日用品 餐饮管理 服饰
}};
// clang-format on
static_assert(trade_abbreviations.size() == tb::industries.size());

constexpr std::array<std::string_view, 10> company_mailboxes{
    "info", "sales", "contact", "service", "hr", "market", "bd", "admin", "finance", "purchase"};
constexpr std::array<std::string_view, 5> hospital_mailboxes{"office", "yb", "sbk", "xxzx", "info"};
constexpr std::array<std::string_view, 4> school_mailboxes{"office", "xb", "jwc", "xxzx"};

// ---------------------------------------------------------------------------------------------
// Text

const std::unordered_map<std::string_view, std::string_view>& traditional_map() {
  static const std::unordered_map<std::string_view, std::string_view> map(traditional.begin(),
                                                                          traditional.end());
  return map;
}

std::string to_traditional(std::string_view text) {
  const auto& map = traditional_map();
  std::string out;
  out.reserve(text.size());
  for (auto cp : code_points(text)) {
    const auto at = map.find(cp);
    out += at == map.end() ? cp : at->second;
  }
  return out;
}

/// ASCII letters, digits and punctuation as their full-width forms (Ａ, １, （); others kept.
std::string to_fullwidth(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7E) {
      out += ch;
      continue;
    }
    const unsigned cp = 0xFF01u + (c - 0x21u);
    out += static_cast<char>(0xE0u | (cp >> 12));
    out += static_cast<char>(0x80u | ((cp >> 6) & 0x3Fu));
    out += static_cast<char>(0x80u | (cp & 0x3Fu));
  }
  return out;
}

bool has_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string lower_ascii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string upper_ascii(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find(' ', at), text.size());
    if (end > at) out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Registries: names (the generator's org_registry) and strong keys

/// Plain brands run out in large sets: compounded ones (瑞华恒信) are tried first once plain ones
/// mostly clash.
class compound_level {
 public:
  [[nodiscard]] int at(int attempt) const {
    return std::min(2, base_ + (attempt >= 6 ? 1 : 0) + (attempt >= 40 ? 1 : 0));
  }
  void record(int compound, bool claimed) {
    if (compound != base_ || base_ >= 2) return;
    ++tries_;
    if (claimed) ++wins_;
    if (tries_ == 1024) {
      if (wins_ * 8 < tries_) ++base_;
      tries_ = 0;
      wins_ = 0;
    }
  }

 private:
  int base_ = 0;
  unsigned tries_ = 0;
  unsigned wins_ = 0;
};

/// Everything taken so far, as hashes (hashed_set): a million companies fit.
struct registry {
  basic_org_registry<hashed_set> orgs;
  compound_level level;
  hashed_set domains;
  hashed_set usccs;
  hashed_set phones;  // E.164
  hashed_set emails;
  hashed_set variants;  // names written another way (瑞华科技, 上海瑞华): each for one party only
};

bool has_place(const org_name& n) {
  return n.prefix != prefix_style::none || n.bracket;
}

bool public_institution(const org_name& n) {
  return n.kind != org_kind::company && n.brand.empty();
}

/// A new organisation that `fit` accepts (it may adjust it first) and that clashes with none in
/// the registry; nullopt when none was found in reasonable time.
template <class Fit>
std::optional<org_name> claim_org(rng& r, registry& reg, org_kind kind, std::size_t city,
                                  bool may_branch, int max_compound, Fit&& fit) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int compound = std::min(max_compound, reg.level.at(attempt));
    org_name n = make_org(r, kind, city, may_branch, compound);
    if (attempt >= 3 && !has_place(n)) n.prefix = prefix_style::full;
    if (!fit(n)) continue;
    const bool claimed = reg.orgs.claim(n);
    reg.level.record(compound, claimed);
    if (claimed) return n;
  }
  return std::nullopt;
}

std::optional<org_name> claim_any_org(rng& r, registry& reg, org_kind kind, std::size_t city,
                                      bool may_branch, int max_compound = 2) {
  return claim_org(r, reg, kind, city, may_branch, max_compound,
                   [](const org_name&) { return true; });
}

// ---------------------------------------------------------------------------------------------
// Companies: one legal party with its strong keys

struct company {
  org_name org;
  std::size_t district = 0;  // in its home city
  std::string uscc;
  std::string domain;
  std::vector<phone_number> phones;
  std::vector<std::string> emails;
  std::string address;
  std::string tier;
};

std::string_view registration_of(const org_name& n) {
  if (n.kind == org_kind::company) return "91";
  return n.is_public ? "12" : "52";
}

std::string new_uscc(rng& r, registry& reg, const org_name& n, std::size_t district) {
  const tb::city& c = tb::cities[home_city(n)];
  for (;;) {
    std::string code = make_uscc(r, registration_of(n), c.districts[district].code);
    if (reg.usccs.insert(code).second) return code;
  }
}

/// A junk number (13800138000), or a local number the numbering plan does not assign (Beijing's
/// and Shanghai's 800 blocks: 010-80012345 is not a valid number).
bool unusable(const phone_number& p) {
  return (!p.mobile() && p.local.starts_with("800")) ||
         std::find(tb::junk_phones.begin(), tb::junk_phones.end(), p.area + p.local) !=
             tb::junk_phones.end();
}

phone_number new_phone(rng& r, registry& reg, const tb::city& c, bool landline) {
  for (;;) {
    phone_number p = landline ? make_landline(r, c) : make_mobile(r);
    if (!unusable(p) && reg.phones.insert(e164(p)).second) return p;
  }
}

/// A mailbox nobody else has: a role or a person at `domain`, or a personal address.
std::string new_email(rng& r, registry& reg, const org_name& n, std::string_view domain,
                      bool personal) {
  for (int attempt = 0;; ++attempt) {
    std::string email;
    if (personal || domain.empty()) {
      email = personal_email(r, make_person(r), false);
    } else if (attempt < 2 && r.chance(0.5)) {
      const std::string_view box = n.kind == org_kind::company    ? pick(r, company_mailboxes)
                                   : n.kind == org_kind::hospital ? pick(r, hospital_mailboxes)
                                                                  : pick(r, school_mailboxes);
      email = cat({box, "@", domain});
    } else {
      email = mail_local(r, make_person(r)) + "@" + std::string(domain);
    }
    if (reg.emails.insert(email).second) return email;
  }
}

std::string new_tier(rng& r, const org_name& n) {
  const std::size_t tier = n.kind == org_kind::company ? weighted_index(r, {8, 22, 40, 30})
                                                       : weighted_index(r, {25, 40, 25, 10});
  return std::string(1, static_cast<char>('A' + tier));
}

company make_company(rng& r, registry& reg, org_name org) {
  company c;
  c.org = std::move(org);
  const tb::city& city = tb::cities[home_city(c.org)];
  c.district = r.index(city.districts.size());
  c.uscc = new_uscc(r, reg, c.org, c.district);
  c.domain = make_domain(r, c.org, reg.domains);
  const std::size_t phone_count = 1 + weighted_index(r, {60, 32, 8});
  bool landline = c.org.kind != org_kind::company ? r.chance(0.9) : r.chance(0.4);
  for (std::size_t k = 0; k < phone_count; ++k, landline = !landline)
    c.phones.push_back(new_phone(r, reg, city, landline));
  const std::size_t email_count = weighted_index(r, {12, 58, 30});
  for (std::size_t k = 0; k < email_count; ++k)
    c.emails.push_back(new_email(r, reg, c.org, c.domain, r.chance(0.08)));
  c.address = make_address(r, c.org, c.district);
  c.tier = new_tier(r, c.org);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Records

void stamp(rng& r, customer& cu, timestamp now) {
  cu.created_at = sample_time(r, now - days{730}, now - days{1}, office_hours);
  cu.updated_at = sample_time(r, cu.created_at, now, office_hours);
}

std::string stored_phone(rng& r, const phone_number& p) {
  return r.chance(0.85) ? e164(p) : as_entered(r, p);
}

/// A company's record as first entered, into `cu`: all its phones and mailboxes, its USCC if
/// `with_uscc`.
void record_of(rng& r, const company& c, std::string name, bool with_uscc, timestamp now,
               customer& cu) {
  cu.name = std::move(name);
  if (with_uscc) cu.uscc = c.uscc;
  for (const auto& p : c.phones)
    cu.phones.push_back(stored_phone(r, p));
  cu.emails = c.emails;
  if (r.chance(0.9)) cu.address = c.address;
  cu.region = region_of(home_city(c.org));
  cu.industry = std::string(tb::industries[c.org.industry].label);
  cu.tier = c.tier;
  stamp(r, cu, now);
}

enum class strong_key : std::uint8_t { none, uscc, phone, email };

strong_key pick_strong_key(rng& r) {
  switch (weighted_index(r, {40, 35, 25})) {
    case 0:
      return strong_key::uscc;
    case 1:
      return strong_key::phone;
    default:
      return strong_key::email;
  }
}

/// The same number as someone else types it, differently from `avoid` where it can be.
std::string retyped(rng& r, const phone_number& p, std::string_view avoid) {
  std::vector<std::string> forms;
  if (p.mobile()) {
    const std::string& m = p.local;
    const std::string spaced = m.substr(0, 3) + " " + m.substr(3, 4) + " " + m.substr(7);
    const std::string dashed = m.substr(0, 3) + "-" + m.substr(3, 4) + "-" + m.substr(7);
    forms = {m,      "+86" + m,       "+86-" + spaced, "0086 " + dashed, spaced,
             dashed, "+86 " + spaced, "(+86)" + m,     "86-" + m,        to_fullwidth(m)};
  } else {
    const std::string area = p.area.substr(1);
    const std::size_t half = p.local.size() / 2;
    const std::string spaced = p.local.substr(0, half) + " " + p.local.substr(half);
    forms = {p.area + "-" + p.local,         p.area + p.local,
             "(" + p.area + ")" + p.local,   "(" + p.area + ") " + spaced,
             "+86 " + area + " " + spaced,   "+86-" + area + "-" + p.local,
             "0086 " + area + " " + p.local, "+86" + area + p.local};
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string form = forms[r.index(forms.size())];
    if (form != avoid) return form;
  }
  return forms.front() != avoid ? forms.front() : forms.back();
}

/// The same mailbox written with other letter case or stray spaces.
std::string respelled(rng& r, const std::string& email) {
  const std::size_t at = email.find('@');
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string out;
    switch (weighted_index(r, {30, 20, 20, 15, 15})) {
      case 0:  // Zhang.Wei@Ruihua.com
        out = capitalized(email.substr(0, at)) + "@" + capitalized(email.substr(at + 1));
        break;
      case 1:
        out = upper_ascii(email);
        break;
      case 2:
        out = " " + email + " ";
        break;
      case 3:
        out = email.substr(0, at + 1) + upper_ascii(email.substr(at + 1));
        break;
      default:
        out = capitalized(email) + "  ";
        break;
    }
    if (out != email) return out;
  }
  return " " + email;
}

/// Another record of company `c`, entered again into `b` as `name` by someone who did not find
/// `a`. It shares exactly the strong key `shared` with `a` (written differently), or none.
void re_entry(rng& r, registry& reg, const company& c, const customer& a, std::string name,
              strong_key shared, timestamp now, customer& b) {
  b.name = std::move(name);
  b.region = a.region;
  b.industry = a.industry;
  b.tier = r.chance(0.8) ? a.tier : new_tier(r, c.org);
  switch (weighted_index(r, {50, 20, 30})) {
    case 0:
      b.address = a.address;
      break;
    case 1:
      break;
    default:  // moved within the city, or another office there
      b.address = make_address(r, c.org, r.index(tb::cities[home_city(c.org)].districts.size()));
      break;
  }
  // One code per party: both records carry it only when it is the shared key.
  if (shared == strong_key::uscc) {
    b.uscc = r.chance(0.1) ? lower_ascii(c.uscc) : c.uscc;
  } else if (a.uscc.empty() && r.chance(0.5)) {
    b.uscc = c.uscc;
  }
  const tb::city& city = tb::cities[home_city(c.org)];
  if (shared == strong_key::phone) {
    const std::size_t k = r.index(c.phones.size());
    b.phones.push_back(retyped(r, c.phones[k], a.phones[k]));
  }
  if (r.chance(shared == strong_key::phone ? 0.3 : 0.55))  // the new contact's mobile
    b.phones.push_back(stored_phone(r, new_phone(r, reg, city, false)));
  if (shared == strong_key::email) {
    b.emails.push_back(respelled(r, a.emails[r.index(a.emails.size())]));
  } else {
    switch (weighted_index(r, {30, 15, 55})) {
      case 0:
        b.emails.push_back(new_email(r, reg, c.org, c.domain, false));
        break;
      case 1:
        b.emails.push_back(new_email(r, reg, c.org, c.domain, true));
        break;
      default:
        break;
    }
  }
  stamp(r, b, now);
}

// ---------------------------------------------------------------------------------------------
// Name variants of one company

enum kind_bit : unsigned {
  k_region_added = 1,
  k_region_dropped = 2,
  k_region_form = 4,
  k_org_form = 8,
  k_brackets = 16,
  k_abbreviation = 32,
  k_typo = 64,
  k_traditional = 128,
};

std::string describe(unsigned bits) {
  static constexpr std::array<std::string_view, 8> names{
      "region_added",       "region_dropped", "region_form", "org_form",
      "brackets_fullwidth", "abbreviation",   "typo",        "traditional"};
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if ((bits & (1u << i)) == 0) continue;
    if (!out.empty()) out += '+';
    out += names[i];
  }
  return out;
}

struct combo {
  unsigned bits;
  int weight;
};

// clang-format off
constexpr std::array<combo, 19> combos{{
  {k_region_added, 11}, {k_region_dropped, 11}, {k_region_form, 10}, {k_org_form, 14},
  {k_brackets, 9}, {k_abbreviation, 9}, {k_typo, 10}, {k_traditional, 7},
  {k_region_added | k_org_form, 3}, {k_region_dropped | k_org_form, 3},
  {k_region_form | k_org_form, 2}, {k_org_form | k_typo, 2}, {k_region_dropped | k_typo, 1},
  {k_org_form | k_traditional, 1}, {k_region_added | k_traditional, 1},
  {k_brackets | k_org_form, 1}, {k_abbreviation | k_traditional, 1}, {k_typo | k_traditional, 1},
  {k_region_dropped | k_org_form | k_typo, 1},
}};
// clang-format on

unsigned pick_combo(rng& r) {
  return combos[pick_weighted(r, combos)].bits;
}

/// Hospitals and schools have no legal form, brackets or abbreviations here.
bool allows_institution(unsigned bits) {
  return (bits & (k_org_form | k_brackets | k_abbreviation)) == 0;
}

std::string_view trade_abbreviation(const org_name& n) {
  return trade_abbreviations[n.industry][n.trade];
}

/// Whether variants `bits` can be made of the registered name `n`.
bool compatible(const org_name& n, unsigned bits) {
  if (n.kind != org_kind::company && !allows_institution(bits)) return false;
  if (n.branch_city && (bits & (k_region_added | k_region_dropped | k_region_form)) != 0)
    return false;
  const bool pub = public_institution(n);
  if ((bits & k_region_added) != 0 && (pub || has_place(n))) return false;
  if ((bits & k_region_dropped) != 0 && (pub || !has_place(n))) return false;
  if ((bits & k_region_form) != 0 && !has_place(n)) return false;
  if ((bits & k_abbreviation) != 0 && trade_abbreviation(n).empty() &&
      n.prefix == prefix_style::none && code_points(n.brand).size() < 4)
    return false;
  return true;
}

/// Adjusts a new organisation so that variants `bits` can be made of it; false when they can't.
bool fit_org(rng& r, org_name& n, unsigned bits) {
  if (n.kind != org_kind::company && !allows_institution(bits)) return false;
  if ((bits & k_region_added) != 0) {
    n.prefix = prefix_style::none;
    n.bracket = false;
  }
  if ((bits & (k_region_dropped | k_region_form)) != 0 && !has_place(n))
    n.prefix = r.chance(0.5) ? prefix_style::short_name : prefix_style::full;
  if ((bits & k_brackets) != 0) {
    switch (weighted_index(r, {55, 25, 20})) {
      case 0:  // 瑞华（上海）科技有限公司
        n.prefix = prefix_style::none;
        n.bracket = true;
        break;
      case 1: {  // e路通科技有限公司
        const auto& b = pick(r, alnum_brands);
        n.brand = std::string(b.zh);
        n.brand_pinyin = std::string(b.pinyin);
        break;
      }
      default:  // extra spaces only
        break;
    }
  }
  return compatible(n, bits);
}

enum class part_role : std::uint8_t { place, brand, bracket, trade, form, branch, tail };

struct name_part {
  part_role role;
  std::string text;
};

/// render(n, style) in its parts.
std::vector<name_part> parts_of(const org_name& n, render_style style) {
  std::vector<name_part> out;
  out.push_back({part_role::place, prefix_text(n)});
  out.push_back({part_role::brand, n.brand});
  if (n.kind != org_kind::company) {
    out.push_back({part_role::tail, n.tail});
    return out;
  }
  const std::string bracket = n.bracket
                                  ? cat({style.halfwidth ? "(" : "（", tb::cities[n.city].name,
                                         style.halfwidth ? ")" : "）"})
                                  : std::string();
  const std::string trade(tb::industries[n.industry].words[n.trade].zh);
  if (style.bracket_after_trade) {
    out.push_back({part_role::trade, trade});
    out.push_back({part_role::bracket, bracket});
  } else {
    out.push_back({part_role::bracket, bracket});
    out.push_back({part_role::trade, trade});
  }
  out.push_back({part_role::form, n.form ? std::string(tb::org_forms[*n.form].zh) : std::string()});
  if (n.branch_city)
    out.push_back({part_role::branch, cat({tb::cities[*n.branch_city].name, "分公司"})});
  return out;
}

std::string joined(const std::vector<name_part>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += p.text;
  return out;
}

/// The parts joined with stray spaces: one between two parts (an ASCII or an ideographic
/// space), or around the whole name.
std::string joined_with_spaces(rng& r, const std::vector<name_part>& parts) {
  std::vector<const name_part*> present;
  for (const auto& p : parts) {
    if (!p.text.empty()) present.push_back(&p);
  }
  const std::size_t mode = present.size() < 2 ? 2 : weighted_index(r, {60, 20, 20});
  if (mode == 2) return r.chance(0.5) ? " " + joined(parts) : joined(parts) + " ";
  const std::size_t gap = 1 + r.index(present.size() - 1);
  std::string out;
  for (std::size_t i = 0; i < present.size(); ++i) {
    if (i == gap) out += mode == 0 ? " " : "\u3000";
    out += present[i]->text;
  }
  return out;
}

/// Whether `text` holds a table brand that `before` did not: a typo that made another brand.
bool makes_other_brand(std::string_view before, std::string_view text) {
  return std::any_of(tb::brands.begin(), tb::brands.end(), [&](const tb::brand& b) {
    return text.find(b.zh) != std::string_view::npos && before.find(b.zh) == std::string_view::npos;
  });
}

/// One homophone or look-alike swapped into a generic part of the name (trade word, legal form,
/// institution), or into a brand of four or more characters; never into a short brand (华信 ->
/// 华新 is another company) or the place. False when there is nowhere to put it.
bool apply_typo(rng& r, std::vector<name_part>& parts) {
  struct candidate {
    std::size_t part;
    std::size_t cp;
    std::size_t confusable;
    int weight;  // of the part: the trade word is where people slip most
  };
  std::vector<candidate> candidates;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const part_role role = parts[p].role;
    const auto cps = code_points(parts[p].text);
    int weight = 0;
    if (role == part_role::trade || role == part_role::tail) {
      weight = 60;
    } else if (role == part_role::form) {
      weight = 25;
    } else if (role == part_role::brand && cps.size() >= 4) {
      weight = 15;
    }
    if (weight == 0) continue;
    std::size_t first = candidates.size();
    for (std::size_t i = 0; i < cps.size(); ++i) {
      for (std::size_t j = 0; j < tb::confusables.size(); ++j) {
        if (tb::confusables[j].from == cps[i]) candidates.push_back({p, i, j, 0});
      }
    }
    // The part's weight shared among its candidates (at least 1 each).
    for (std::size_t k = first; k < candidates.size(); ++k)
      candidates[k].weight = std::max(1, weight / static_cast<int>(candidates.size() - first));
  }
  while (!candidates.empty()) {
    std::vector<int> weights;
    for (const auto& c : candidates)
      weights.push_back(c.weight);
    const std::size_t pick_at = weighted_index(r, weights);
    const candidate c = candidates[pick_at];
    const auto cps = code_points(parts[c.part].text);
    std::string text;
    for (std::size_t i = 0; i < cps.size(); ++i)
      text += i == c.cp ? tb::confusables[c.confusable].to : cps[i];
    if (parts[c.part].role != part_role::brand || !makes_other_brand(parts[c.part].text, text)) {
      parts[c.part].text = std::move(text);
      return true;
    }
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(pick_at));
  }
  return false;
}

/// A short name made of characters of the full name in order (中国石化 for 中国石油化工股份有限
/// 公司): brand and shortened trade (瑞华信息), place and brand (上海瑞华), both, or a long brand
/// alone.
std::optional<std::string> abbreviate(rng& r, const org_name& n) {
  if (n.kind != org_kind::company) return std::nullopt;
  const std::string_view trade = trade_abbreviation(n);
  const std::string_view city = tb::cities[n.city].name;
  const bool prefixed = n.prefix != prefix_style::none;
  std::vector<std::string> options;
  if (!trade.empty()) options.push_back(n.brand + std::string(trade));
  if (prefixed) options.push_back(std::string(city) + n.brand);
  if (prefixed && !trade.empty())
    options.push_back(std::string(city) + n.brand + std::string(trade));
  if (code_points(n.brand).size() >= 4) options.push_back(n.brand);
  if (options.empty()) return std::nullopt;
  return options[r.index(options.size())];
}

/// The registered name `reg` written another way, as variants `bits` say; nullopt when that
/// gives nothing new.
std::optional<std::string> variant_name(rng& r, const org_name& reg, unsigned bits) {
  const std::string original = render(reg);
  std::string text;
  if ((bits & k_abbreviation) != 0) {
    auto abbr = abbreviate(r, reg);
    if (!abbr) return std::nullopt;
    text = std::move(*abbr);
  } else {
    org_name v = reg;
    render_style style;
    const bool company = v.kind == org_kind::company;
    const bool municipal = tb::cities[v.city].province.empty();
    if ((bits & k_region_added) != 0) {
      if (company && r.chance(0.2)) {
        v.bracket = true;
      } else {
        v.prefix = static_cast<prefix_style>(1 + weighted_index(r, {40, 45, municipal ? 0 : 15}));
      }
    }
    if ((bits & k_region_dropped) != 0) {
      v.prefix = prefix_style::none;
      v.bracket = false;
    }
    if ((bits & k_region_form) != 0) {
      // 4 stands for the bracketed form.
      const std::size_t current = v.bracket ? 4 : static_cast<std::size_t>(v.prefix);
      std::vector<std::size_t> others;
      for (std::size_t form : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4}}) {
        if (form == current || (form == 3 && (municipal || !company)) || (form == 4 && !company))
          continue;
        others.push_back(form);
      }
      const std::size_t form = others[r.index(others.size())];
      v.bracket = form == 4;
      v.prefix = form == 4 ? prefix_style::none : static_cast<prefix_style>(form);
    }
    if ((bits & k_org_form) != 0) apply_org_form(r, v);
    bool fullwidth = false;
    bool spaces = false;
    if ((bits & k_brackets) != 0) {
      if (v.bracket) {
        if (r.chance(0.3)) {
          style.bracket_after_trade = true;
          style.halfwidth = r.chance(0.5);
        } else {
          style.halfwidth = true;
        }
      }
      fullwidth = has_ascii(v.brand);
      spaces = (!v.bracket && !fullwidth) || r.chance(0.25);
    }
    std::vector<name_part> parts = parts_of(v, style);
    assert(joined(parts) == render(v, style));
    if (fullwidth) {
      for (auto& p : parts) {
        if (p.role == part_role::brand) p.text = to_fullwidth(p.text);
      }
    }
    if ((bits & k_typo) != 0 && !apply_typo(r, parts)) return std::nullopt;
    text = spaces ? joined_with_spaces(r, parts) : joined(parts);
  }
  if ((bits & k_traditional) != 0) {
    std::string t = to_traditional(text);
    if (t == text) return std::nullopt;
    text = std::move(t);
  }
  if (text == original) return std::nullopt;
  return text;
}

/// variant_name(), when the name is new: two parties never get the same variant (杭州瑞华科技有限
/// 公司 and 上海瑞华科技有限公司 both written 瑞华科技有限公司), nor another party's registered
/// name.
std::optional<std::string> fresh_variant(rng& r, registry& reg, const org_name& org,
                                         unsigned bits) {
  auto name = variant_name(r, org, bits);
  if (!name || reg.orgs.has_name(*name) || !reg.variants.insert(*name).second) return std::nullopt;
  return name;
}

// ---------------------------------------------------------------------------------------------
// The labelled set

labelled_pair positive_pair(rng& r, registry& reg, company& c, std::string a_name,
                            std::string b_name, std::string kind, bool strong, timestamp now) {
  strong_key key = strong ? pick_strong_key(r) : strong_key::none;
  if (key == strong_key::email && c.emails.empty())
    c.emails.push_back(new_email(r, reg, c.org, c.domain, false));
  labelled_pair out;
  record_of(r, c, std::move(a_name), key == strong_key::uscc || r.chance(0.75), now, out.a);
  re_entry(r, reg, c, out.a, std::move(b_name), key, now, out.b);
  out.duplicate = true;
  out.kind = std::move(kind);
  out.shares_strong_key = strong;
  return out;
}

labelled_pair make_positive(rng& r, registry& reg, bool strong, timestamp now) {
  for (;;) {
    const unsigned bits = pick_combo(r);
    const org_kind kind = allows_institution(bits) ? pick_kind(r) : org_kind::company;
    auto org = claim_org(r, reg, kind, pick_city(r), false, 2,
                         [&](org_name& n) { return fit_org(r, n, bits); });
    if (!org) continue;
    auto name = fresh_variant(r, reg, *org, bits);
    if (!name) continue;
    company c = make_company(r, reg, *org);
    return positive_pair(r, reg, c, render(*org), std::move(*name), describe(bits), strong, now);
  }
}

constexpr std::size_t city_beijing = 0;
constexpr std::size_t city_shanghai = 1;
constexpr std::size_t city_shenzhen = 17;
static_assert(tb::cities[city_beijing].name == "北京");
static_assert(tb::cities[city_shanghai].name == "上海");
static_assert(tb::cities[city_shenzhen].name == "深圳");

/// The hand-written seeds: 瑞金医院 / 上海瑞金医院有限公司 / 上海交通大学医学院附属瑞金医院 (one
/// hospital), 北京瑞华科技 / 北京市瑞华科技股份有限公司 and 深圳 / 广东省深圳市 style pairs.
void seed_pairs(rng& r, registry& reg, const std::vector<bool>& strong, std::size_t count,
                timestamp now, std::vector<labelled_pair>& out) {
  org_name ruijin;
  ruijin.kind = org_kind::hospital;
  ruijin.city = city_shanghai;
  ruijin.prefix = prefix_style::none;
  ruijin.brand = "瑞金";
  ruijin.brand_pinyin = "rui jin";
  ruijin.tail = "医院";
  ruijin.tail_abbr = "yy";
  ruijin.industry = tb::industry_medical;
  ruijin.is_public = true;
  reg.orgs.claim(ruijin);
  reg.orgs.claim_branch("上海瑞金医院有限公司");
  reg.orgs.claim_branch("上海交通大学医学院附属瑞金医院");
  company hospital = make_company(r, reg, ruijin);

  auto generated = [&](std::size_t city, prefix_style a_prefix, std::optional<std::size_t> a_form,
                       prefix_style b_prefix, std::optional<std::size_t> b_form, std::string kind,
                       bool key) {
    for (;;) {
      auto org = claim_org(r, reg, org_kind::company, city, false, 2, [&](org_name& n) {
        n.industry = 1;  // 互联网: 科技
        n.trade = 0;
        n.prefix = a_prefix;
        n.bracket = false;
        n.form = a_form;
        return true;
      });
      if (!org) continue;
      org_name b = *org;
      b.prefix = b_prefix;
      b.form = b_form;
      reg.variants.insert(render(b));
      company c = make_company(r, reg, *org);
      return positive_pair(r, reg, c, render(*org), render(b), std::move(kind), key, now);
    }
  };
  for (std::size_t i = 0; i < count; ++i) {
    switch (i) {
      case 0:
        out.push_back(positive_pair(r, reg, hospital, "瑞金医院", "上海瑞金医院有限公司",
                                    "region_added+org_form", strong[i], now));
        break;
      case 1:
        out.push_back(positive_pair(r, reg, hospital, "上海交通大学医学院附属瑞金医院", "瑞金医院",
                                    "abbreviation", strong[i], now));
        break;
      case 2:  // 北京瑞华科技 / 北京市瑞华科技股份有限公司
        out.push_back(generated(city_beijing, prefix_style::short_name, std::nullopt,
                                prefix_style::full, 2, "region_form+org_form", strong[i]));
        break;
      default:  // 深圳瑞华科技有限公司 / 广东省深圳市瑞华科技有限公司
        out.push_back(generated(city_shenzhen, prefix_style::short_name, 0, prefix_style::province,
                                0, "region_form", strong[i]));
        break;
    }
  }
}

std::size_t other_city(rng& r, std::size_t city, bool same_region) {
  if (same_region) {
    std::vector<std::size_t> near;
    for (std::size_t c = 0; c < tb::cities.size(); ++c) {
      if (c != city && tb::cities[c].region == tb::cities[city].region) near.push_back(c);
    }
    if (!near.empty()) return near[r.index(near.size())];
  }
  std::size_t other = pick_city(r);
  if (other == city) other = (city + 1 + r.index(tb::cities.size() - 1)) % tb::cities.size();
  return other;
}

labelled_pair negative_pair(rng& r, const company& x, std::string x_name, const company& y,
                            std::string y_name, std::string kind, bool both_uscc, timestamp now) {
  labelled_pair out;
  record_of(r, x, std::move(x_name), both_uscc || r.chance(0.75), now, out.a);
  record_of(r, y, std::move(y_name), both_uscc || r.chance(0.75), now, out.b);
  out.duplicate = false;
  out.kind = std::move(kind);
  out.shares_strong_key = false;
  return out;
}

/// 上海瑞华科技有限公司 vs 杭州瑞华科技有限公司: the same brand and trade in another city, both
/// names carrying their city.
std::optional<labelled_pair> other_city_pair(rng& r, registry& reg, timestamp now) {
  auto x = claim_org(r, reg, pick_kind(r), pick_city(r), false, 2, [&](org_name& n) {
    if (!has_place(n)) n.prefix = r.chance(0.5) ? prefix_style::short_name : prefix_style::full;
    return true;
  });
  if (!x) return std::nullopt;
  for (int attempt = 0; attempt < 20; ++attempt) {
    org_name y = *x;
    y.city = other_city(r, x->city, r.chance(0.5));
    const bool municipal = tb::cities[y.city].province.empty();
    if (r.chance(0.3)) {  // written in another style
      if (y.kind == org_kind::company && r.chance(0.25)) {
        y.prefix = prefix_style::none;
        y.bracket = true;
      } else {
        y.bracket = false;
        y.prefix = r.chance(0.5) ? prefix_style::short_name : prefix_style::full;
      }
    }
    if (y.prefix == prefix_style::province && municipal) y.prefix = prefix_style::full;
    if (y.kind == org_kind::company && r.chance(0.2)) apply_org_form(r, y);
    if (!reg.orgs.claim(y)) continue;
    const company cx = make_company(r, reg, *x);
    const company cy = make_company(r, reg, y);
    return negative_pair(r, cx, render(*x), cy, render(y), "other_city", false, now);
  }
  return std::nullopt;
}

/// "浦东新区" -> "浦东", "松山湖" -> "松山湖": a district as a branch name takes it.
std::string district_short(std::string_view name) {
  for (std::string_view suffix : {"新区", "街道", "区", "镇", "市", "县"}) {
    if (name.size() > suffix.size() + 3 && name.ends_with(suffix))
      return std::string(name.substr(0, name.size() - suffix.size()));
  }
  return std::string(name);
}

/// 瑞华科技有限公司 vs 瑞华科技有限公司杭州分公司 (or 营业部, 办事处, a district branch).
std::optional<labelled_pair> branch_pair(rng& r, registry& reg, timestamp now) {
  auto h = claim_any_org(r, reg, org_kind::company, pick_city(r), false);
  if (!h) return std::nullopt;
  const company head = make_company(r, reg, *h);
  const std::string head_name = render(*h);
  for (int attempt = 0; attempt < 20; ++attempt) {
    org_name b = *h;
    std::string name = head_name;
    const std::size_t style = weighted_index(r, {70, 15, 15});
    std::size_t district = 0;
    if (style < 2) {
      b.branch_city = other_city(r, h->city, r.chance(0.4));
      district = r.index(tb::cities[*b.branch_city].districts.size());
      name += tb::cities[*b.branch_city].name;
      name += style == 0 ? "分公司" : r.chance(0.5) ? "营业部" : "办事处";
    } else {
      district = r.index(tb::cities[h->city].districts.size());
      name += district_short(tb::cities[h->city].districts[district].name) + "分公司";
    }
    if (!reg.orgs.claim_branch(name)) continue;
    company br;
    br.org = b;
    br.district = district;
    br.uscc = new_uscc(r, reg, b, district);  // a branch has a code of its own
    br.domain = r.chance(0.7) ? head.domain : make_domain(r, b, reg.domains);
    const tb::city& city = tb::cities[home_city(b)];
    const std::size_t phones = 1 + weighted_index(r, {70, 30});
    for (std::size_t k = 0; k < phones; ++k)
      br.phones.push_back(new_phone(r, reg, city, k == 0 ? r.chance(0.6) : false));
    const std::size_t emails = weighted_index(r, {20, 60, 20});
    for (std::size_t k = 0; k < emails; ++k)
      br.emails.push_back(new_email(r, reg, b, br.domain, r.chance(0.08)));
    br.address = make_address(r, b, district);
    br.tier = new_tier(r, b);
    return negative_pair(r, head, head_name, br, std::move(name), "branch", false, now);
  }
  return std::nullopt;
}

/// 上海华信科技有限公司 vs 上海华新科技有限公司 (one character of a short brand), or 瑞华科技 vs
/// 瑞华医药 (the same brand in another industry).
std::optional<labelled_pair> near_name_pair(rng& r, registry& reg, timestamp now) {
  auto x = claim_any_org(r, reg, org_kind::company, pick_city(r), false, 0);
  if (!x) return std::nullopt;
  for (int attempt = 0; attempt < 20; ++attempt) {
    org_name y = *x;
    if (r.chance(0.6)) {
      const auto cps = code_points(x->brand);
      const auto syllables = split_spaces(x->brand_pinyin);
      if (cps.size() < 2 || cps.size() > 3 || syllables.size() != cps.size()) return std::nullopt;
      std::vector<std::pair<std::size_t, const near_char*>> near;
      for (std::size_t i = 0; i < cps.size(); ++i) {
        for (const auto& n : near_chars) {
          if (n.from == cps[i]) near.emplace_back(i, &n);
        }
      }
      std::size_t at = 0;
      std::string_view to;
      std::string_view to_pinyin;
      if (!near.empty() && r.chance(0.8)) {
        const auto& [i, n] = near[r.index(near.size())];
        at = i;
        to = n->to;
        to_pinyin = n->to_pinyin;
      } else {  // the same place of another brand: 华信 -> 华盛
        at = r.index(cps.size());
        const tb::brand& other = pick(r, tb::brands);
        const auto other_cps = code_points(other.zh);
        const auto other_syllables = split_spaces(other.pinyin);
        if (other_cps.size() <= at || other_syllables.size() != other_cps.size()) continue;
        to = other_cps[at];
        to_pinyin = other_syllables[at];
      }
      if (to == cps[at]) continue;
      y.brand.clear();
      y.brand_pinyin.clear();
      for (std::size_t i = 0; i < cps.size(); ++i) {
        y.brand += i == at ? to : cps[i];
        if (i > 0) y.brand_pinyin += ' ';
        y.brand_pinyin += i == at ? to_pinyin : syllables[i];
      }
    } else {
      y.industry = (x->industry + 1 + r.index(tb::industries.size() - 1)) % tb::industries.size();
      y.trade = weighted_index(r, {40, 25, 20, 15});
    }
    if (!reg.orgs.claim(y)) continue;
    const company cx = make_company(r, reg, *x);
    const company cy = make_company(r, reg, y);
    return negative_pair(r, cx, render(*x), cy, render(y), "near_name", false, now);
  }
  return std::nullopt;
}

/// The same name under two different valid USCCs: a name without a place registered in two
/// cities, or one company deregistered and another registered under its name.
std::optional<labelled_pair> other_uscc_pair(rng& r, registry& reg, timestamp now) {
  auto x = claim_org(r, reg, org_kind::company, pick_city(r), false, 2, [&](org_name& n) {
    if (r.chance(0.5)) {
      n.prefix = prefix_style::none;
      n.bracket = false;
    }
    return true;
  });
  if (!x) return std::nullopt;
  org_name y = *x;
  if (!has_place(y) && r.chance(0.6)) y.city = other_city(r, x->city, false);
  const company cx = make_company(r, reg, *x);
  const company cy = make_company(r, reg, y);
  return negative_pair(r, cx, render(*x), cy, render(y), "other_uscc", true, now);
}

labelled_pair make_negative(rng& r, registry& reg, timestamp now) {
  for (;;) {
    std::optional<labelled_pair> pair;
    switch (weighted_index(r, {25, 25, 25, 25})) {
      case 0:
        pair = other_city_pair(r, reg, now);
        break;
      case 1:
        pair = branch_pair(r, reg, now);
        break;
      case 2:
        pair = near_name_pair(r, reg, now);
        break;
      default:
        pair = other_uscc_pair(r, reg, now);
        break;
    }
    if (pair) return std::move(*pair);
  }
}

}  // namespace

std::vector<labelled_pair> make_dedup_eval(const eval_options& opts) {
  std::vector<labelled_pair> out;
  out.reserve(opts.positives + opts.negatives);
  registry reg;
  {
    rng r(opts.seed, stream_positives);
    std::vector<bool> strong(opts.positives, false);
    for (auto i :
         sample_indices(r, opts.positives, share_of(opts.positives, opts.strong_key_share)))
      strong[i] = true;
    const std::size_t seeds = std::min<std::size_t>(opts.positives, 4);
    seed_pairs(r, reg, strong, seeds, opts.now, out);
    for (std::size_t i = seeds; i < opts.positives; ++i)
      out.push_back(make_positive(r, reg, strong[i], opts.now));
  }
  {
    rng r(opts.seed, stream_negatives);
    for (std::size_t i = 0; i < opts.negatives; ++i)
      out.push_back(make_negative(r, reg, opts.now));
  }
  const std::size_t width = std::max<std::size_t>(7, std::to_string(2 * out.size()).size());
  for (std::size_t k = 0; k < out.size(); ++k) {
    out[k].a.id = customer_id{padded("C", 2 * k + 1, width)};
    out[k].b.id = customer_id{padded("C", 2 * k + 2, width)};
  }
  return out;
}

population make_dedup_population(const population_options& opts) {
  population out;
  const std::size_t total = opts.customers;
  if (total == 0) return out;
  const std::size_t reentries = std::min(share_of(total, opts.duplicate_rate), total - 1);
  const std::size_t distinct = total - reentries;
  rng r(opts.seed, stream_population);
  registry reg;
  reg.orgs.reserve(distinct);
  reg.domains.reserve(distinct);
  reg.usccs.reserve(total);
  reg.phones.reserve(2 * total);
  reg.emails.reserve(2 * total);

  std::vector<std::uint32_t> again(distinct, 0);
  for (std::size_t k = 0; k < reentries; ++k)
    ++again[r.index(distinct)];

  // Each record goes straight to its place in the shuffled order.
  std::vector<std::size_t> slots(total);
  for (std::size_t i = 0; i < total; ++i)
    slots[i] = i;
  shuffle(r, slots);
  out.customers.resize(total);
  out.entity.resize(total);
  out.kind.resize(total);
  const std::size_t width = std::max<std::size_t>(7, std::to_string(total).size());
  std::size_t placed = 0;
  auto place = [&](std::size_t e, std::string kind) -> customer& {
    const std::size_t at = slots[placed++];
    out.entity[at] = e;
    out.kind[at] = std::move(kind);
    customer& cu = out.customers[at];
    cu.id = customer_id{padded("C", at + 1, width)};
    return cu;
  };

  for (std::size_t e = 0; e < distinct; ++e) {
    unsigned bits = 0;
    std::optional<org_name> org;
    while (!org) {
      if (again[e] == 0) {
        org = claim_any_org(r, reg, pick_kind(r), pick_city(r), true);
      } else {
        bits = pick_combo(r);
        const org_kind k = allows_institution(bits) ? pick_kind(r) : org_kind::company;
        org = claim_org(r, reg, k, pick_city(r), false, 2,
                        [&](org_name& n) { return fit_org(r, n, bits); });
      }
    }
    const company c = make_company(r, reg, *org);
    customer& first = place(e, {});
    record_of(r, c, render(*org), r.chance(0.9), opts.now, first);
    for (std::uint32_t j = 0; j < again[e]; ++j) {
      std::optional<std::string> name;
      for (int attempt = 0; attempt < 32 && !name; ++attempt) {
        if (j > 0 || attempt > 0) bits = pick_combo(r);
        if (compatible(*org, bits)) name = fresh_variant(r, reg, *org, bits);
      }
      if (!name) {  // never seen; an exact re-entry keeps the count
        bits = 0;
        name = first.name;
      }
      strong_key key = r.chance(opts.strong_key_share) ? pick_strong_key(r) : strong_key::none;
      if (key == strong_key::uscc && first.uscc.empty()) key = strong_key::phone;
      if (key == strong_key::email && first.emails.empty()) key = strong_key::phone;
      customer& again_entered = place(e, bits == 0 ? std::string("exact") : describe(bits));
      re_entry(r, reg, c, first, std::move(*name), key, opts.now, again_entered);
    }
  }
  return out;
}

std::span<const std::pair<std::string_view, std::string_view>> traditional_pairs() noexcept {
  return traditional;
}

}  // namespace crmrules::sample
