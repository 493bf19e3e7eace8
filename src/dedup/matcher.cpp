// The dedup matcher: prepared records, blocking keys, pair judgement, scan, clusters, lookup.
#include "crmrules/dedup/matcher.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <map>
#include <numeric>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "crmrules/dedup/name.hpp"
#include "crmrules/dedup/normalise.hpp"
#include "crmrules/dedup/similarity.hpp"
#include "dedup/phone_key.hpp"

namespace crmrules::dedup {

std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::different:
      return "different";
    case verdict::suspected:
      return "suspected";
    case verdict::same:
      return "same";
  }
  return "different";
}

std::string_view to_string(field_outcome o) noexcept {
  switch (o) {
    case field_outcome::equal:
      return "equal";
    case field_outcome::similar:
      return "similar";
    case field_outcome::different:
      return "different";
    case field_outcome::missing:
      return "missing";
  }
  return "missing";
}

customer as_customer(const lead& l) {
  customer c;
  c.id = customer_id{l.id.str()};
  c.name = l.company_name;
  if (!l.phone.empty()) c.phones.push_back(l.phone);
  if (!l.email.empty()) c.emails.push_back(l.email);
  c.region = l.region;
  c.industry = l.industry;
  c.created_at = l.created_at;
  c.updated_at = l.created_at;
  return c;
}

namespace {

std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::uint64_t hash_text(std::uint64_t tag, std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ (tag * 0x9E3779B97F4A7C15ULL);
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix(h);
}

/// The hash judge() compares texts by: 0 for an empty text, never 0 otherwise.
std::uint64_t text_hash(std::string_view s) noexcept {
  return s.empty() ? 0 : hash_text(0, s) | 1;
}

/// What matching needs of a record, computed once when it is added.
struct prepared {
  // Hot: what judge() reads of every candidate, first, so that rejecting a candidate touches
  // one cache line of it. Hashes of texts are 0 for an empty text.
  std::uint64_t uscc_h = 0, branch_h = 0, industry_h = 0, trade_h = 0;
  std::uint64_t phone_h0 = 0, email_h0 = 0;  // of the first phone and e-mail
  division region;           // the name's, else the address's city, else the region field's
  std::uint8_t nphones = 0;  // phones.size(), capped at 255
  std::uint8_t nemails = 0;
  std::uint8_t macro = 0;  // macro-region (1..7) of the region or the region field; 0 none
  // Cold.
  customer_id id;
  company_name name;
  std::u32string core;
  std::u32string key;               // core + trade
  std::string uscc;                 // a valid code, or ""
  std::vector<std::string> phones;  // valid E.164, junk removed
  std::vector<std::string> emails;  // normalised (test addresses removed when configured)
  std::vector<std::uint64_t> phones_h, emails_h;
  std::string industry;
  std::string branch;  // branch_key of the name's branch part ("" for a head office)
  std::shared_ptr<const customer> record;  // kept only when a weak rule has a formula
};

constexpr std::string_view macro_regions[] = {"",     "华北", "东北", "华东",
                                              "华中", "华南", "西南", "西北"};

/// The macro-region (大区) of a province, as CRMs file customers (index into macro_regions).
std::uint8_t macro_of_province(std::uint32_t province) noexcept {
  switch (province / 10000) {
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
      return 1;
    case 21:
    case 22:
    case 23:
      return 2;
    case 31:
    case 32:
    case 33:
    case 34:
    case 35:
    case 36:
    case 37:
      return 3;
    case 41:
    case 42:
    case 43:
      return 4;
    case 44:
    case 45:
    case 46:
      return 5;
    case 50:
    case 51:
    case 52:
    case 53:
    case 54:
      return 6;
    case 61:
    case 62:
    case 63:
    case 64:
    case 65:
      return 7;
    default:
      return 0;
  }
}

std::uint8_t macro_of_text(std::string_view r) noexcept {
  for (std::uint8_t i = 1; i < std::size(macro_regions); ++i)
    if (r == macro_regions[i]) return i;
  return 0;
}

bool needs_records(const policy& p) {
  return std::any_of(p.weak.begin(), p.weak.end(), [](const weak_rule& r) { return r.when; });
}

/// A branch as a place (to the city) and a marker: 上海市分行 and 上海分行 are one branch.
std::string branch_key(const company_name& n) {
  if (n.branch.empty()) return {};
  const division d = n.branch_region;
  return (d.known() ? std::to_string(d.at_level(std::min<std::uint8_t>(d.level, 2))) : n.branch) +
         '|' + n.branch_marker;
}

prepared prepare(const customer& c, const policy& p, std::vector<record_problem>* problems) {
  prepared r;
  r.id = c.id;
  r.name = parse_company_name(c.name);
  r.core = to_code_points(r.name.core);
  r.key = to_code_points(r.name.key());
  r.region = r.name.region;
  // An address says where the office is, not where the company is registered: its city
  // counts, its district does not (one company, offices in two districts).
  const auto city_of = [](division d) { return d.level <= 2 ? d : division{d.at_level(2), 2}; };
  if (!r.region.known() && !c.address.empty()) r.region = city_of(find_division(c.address));
  if (!r.region.known() && !c.region.empty()) r.region = city_of(find_division(c.region));
  auto report = [&](std::string field, const std::string& value, std::string why) {
    if (problems != nullptr)
      problems->push_back(record_problem{c.id, std::move(field), value, std::move(why)});
  };
  if (!c.uscc.empty()) {
    uscc code = check_uscc(c.uscc);
    if (code.valid()) {
      r.uscc = std::move(code.code);
    } else {
      report("uscc", c.uscc, code.problem + "; not used as a key");
    }
  }
  for (const std::string& text : c.phones) {
    auto ph = internal::phone_key(text, p.phone_region);
    if (!ph) {
      report("phone", text, std::string(ph.error().message()));
      continue;
    }
    if (!ph->valid) {
      report("phone", text, "not a valid number; not used as a key");
      continue;
    }
    if (std::find(p.junk_phones.begin(), p.junk_phones.end(), ph->e164) != p.junk_phones.end()) {
      report("phone", text, "a known junk number; not used as a key");
      continue;
    }
    if (std::find(r.phones.begin(), r.phones.end(), ph->e164) == r.phones.end())
      r.phones.push_back(std::move(ph->e164));
  }
  for (const std::string& text : c.emails) {
    auto em = normalise_email(text);
    if (!em) {
      report("email", text, std::string(em.error().message()));
      continue;
    }
    if (em->test && p.skip_test_emails) continue;
    if (std::find(r.emails.begin(), r.emails.end(), em->address) == r.emails.end())
      r.emails.push_back(std::move(em->address));
  }
  r.industry = c.industry;
  r.branch = branch_key(r.name);
  r.uscc_h = text_hash(r.uscc);
  r.branch_h = text_hash(r.branch);
  r.industry_h = text_hash(r.industry);
  r.trade_h = text_hash(r.name.trade);
  for (const auto& ph : r.phones)
    r.phones_h.push_back(text_hash(ph));
  for (const auto& em : r.emails)
    r.emails_h.push_back(text_hash(em));
  r.nphones = static_cast<std::uint8_t>(std::min<std::size_t>(r.phones.size(), 255));
  r.nemails = static_cast<std::uint8_t>(std::min<std::size_t>(r.emails.size(), 255));
  if (!r.phones_h.empty()) r.phone_h0 = r.phones_h[0];
  if (!r.emails_h.empty()) r.email_h0 = r.emails_h[0];
  r.macro = r.region.known() ? macro_of_province(r.region.at_level(1)) : macro_of_text(c.region);
  if (needs_records(p)) r.record = std::make_shared<const customer>(c);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Judging a pair

/// Trade words agree when equal, when one name has none (瑞金医院 and 瑞金 can be one hospital),
/// or when one is the start of the other, as short names cut it (网络 for 网络科技, 餐饮 for
/// 餐饮管理). 科技 and 信息科技 do not: two companies of one brand often differ only there.
bool trades_agree(const company_name& x, const company_name& y) {
  const std::string& a = x.trade;
  const std::string& b = y.trade;
  if (a.empty() || b.empty() || a == b) return true;
  if (a.starts_with(b) || b.starts_with(a)) return true;
  // One is a listed word and the other that word with one typo (信息技术, 信习技术).
  if (x.trade_listed == y.trade_listed) return false;
  const std::u32string u = to_code_points(a), v = to_code_points(b);
  if (u.size() != v.size() || u.size() < 4) return false;
  std::size_t diff = 0;
  for (std::size_t i = 0; i < u.size(); ++i)
    diff += u[i] != v[i];
  return diff == 1;
}

/// Whether two records can be in one place: their divisions do not contradict, and where one
/// record only has a macro-region (区域 华东), the other's province lies in it.
bool regions_agree(const prepared& a, const prepared& b) noexcept {
  if (!compatible(a.region, b.region)) return false;
  return a.macro == 0 || b.macro == 0 || a.macro == b.macro;
}

/// Whether two records share a phone (or an e-mail): hashes first, then the texts.
bool shares_hashed(std::uint8_t na, std::uint64_t a0, const std::vector<std::uint64_t>& ah,
                   const std::vector<std::string>& a, std::uint8_t nb, std::uint64_t b0,
                   const std::vector<std::uint64_t>& bh, const std::vector<std::string>& b) {
  if (na == 0 || nb == 0) return false;
  if (na == 1 && nb == 1) return a0 == b0 && a[0] == b[0];
  for (std::size_t i = 0; i < ah.size(); ++i) {
    for (std::size_t k = 0; k < bh.size(); ++k) {
      if (ah[i] == bh[k] && a[i] == b[k]) return true;
    }
  }
  return false;
}

bool shares(const std::vector<std::string>& a, const std::vector<std::string>& b,
            std::string* which) {
  for (const std::string& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) {
      if (which != nullptr) *which = x;
      return true;
    }
  }
  return false;
}

double name_similarity(const prepared& a, const prepared& b, const weak_rule& rule) {
  if (a.name.latin != b.name.latin) return 0;  // a Latin and a Chinese name: keys decide
  if (a.core.empty() || b.core.empty()) return 0;
  // Cores are compared when both names have a trade word or neither has; when only one has,
  // the other's whole name is compared with its core and trade (扬帆数科 with 扬帆信息技术, not
  // with 扬帆: a shorter name is not a prefix of every company of its brand).
  const bool ta = !a.name.trade.empty(), tb = !b.name.trade.empty();
  const std::u32string_view x = ta == tb || !ta ? std::u32string_view(a.core) : a.key;
  const std::u32string_view y = ta == tb || !tb ? std::u32string_view(b.core) : b.key;
  double s = 0;
  if (a.name.latin) {
    s = token_set_ratio(a.core, b.core);
  } else {
    switch (rule.similarity) {
      case kernel::jaro_winkler:
        s = jaro_winkler(x, y);
        break;
      case kernel::levenshtein:
        s = levenshtein_ratio(x, y);
        break;
      case kernel::bigram_dice:
        s = bigram_dice(x, y);
        break;
      case kernel::token_set:
        s = token_set_ratio(x, y);
        break;
    }
  }
  if (rule.abbreviations && s < rule.abbreviation_score && !a.name.latin) {
    // 中国石化 abbreviates 中国石油化工: a short name without a trade word of its own, of at
    // least three characters, whose characters appear in order in the other's core and trade.
    const auto abbreviates = [](const prepared& s1, const prepared& s2) {
      return s1.name.trade.empty() && s1.core.size() >= 3 && is_abbreviation(s1.core, s2.key);
    };
    if (abbreviates(a, b) || abbreviates(b, a)) s = rule.abbreviation_score;
  }
  return s;
}

struct judgement {
  verdict result = verdict::different;
  double score = 0;
  const char* rule = "";  // static names
  const weak_rule* weak = nullptr;
};

struct activation_cache {
  std::unordered_map<const formula*, std::unique_ptr<activation>> acts;
  activation& of(const formula& f) {
    auto& slot = acts[&f];
    if (!slot) slot = std::make_unique<activation>(f);
    return *slot;
  }
};

bool when_holds(const weak_rule& rule, const prepared& a, const prepared& b, double similarity,
                activation_cache& cache) {
  if (!rule.when) return true;
  if (!a.record || !b.record) return false;
  activation& act = cache.of(*rule.when);
  act.set_now(std::chrono::time_point_cast<timestamp::duration>(std::chrono::system_clock::now()));
  if (!act.bind(0, *a.record).ok() || !act.bind(1, *b.record).ok()) return false;
  if (!act.set_variable(0, formula_value::of_number(similarity)).ok()) return false;
  const formula_value v = rule.when->evaluate(act);
  return !v.is_error() && v.as_bool();
}

/// Judges a pair. `cache` holds the activations of the weak rules' formulas: one per scan thread
/// or lookup call, never kept past the policy that owns the formulas.
judgement judge(const prepared& a, const prepared& b, const policy& p, activation_cache& cache) {
  judgement j;
  // Hard negatives first: they win over every key.
  const bool uscc_equal = a.uscc_h == b.uscc_h && a.uscc == b.uscc;
  if (a.uscc_h != 0 && b.uscc_h != 0 && !uscc_equal) {
    j.rule = "different_uscc";
    return j;
  }
  // An equal valid code is one registered party, whatever the names say.
  if (p.match_uscc && a.uscc_h != 0 && uscc_equal) {
    j = {verdict::same, 1.0, "same_uscc", nullptr};
    return j;
  }
  if (p.branch_is_different && (a.branch_h != b.branch_h || a.branch != b.branch)) {
    j.rule = "branch";
    return j;
  }
  if (p.match_phone && shares_hashed(a.nphones, a.phone_h0, a.phones_h, a.phones, b.nphones,
                                     b.phone_h0, b.phones_h, b.phones)) {
    j = {verdict::same, 1.0, "same_phone", nullptr};
    return j;
  }
  if (p.match_email && shares_hashed(a.nemails, a.email_h0, a.emails_h, a.emails, b.nemails,
                                     b.email_h0, b.emails_h, b.emails)) {
    j = {verdict::same, 1.0, "same_email", nullptr};
    return j;
  }
  for (const weak_rule& rule : p.weak) {
    if (rule.same_region && !regions_agree(a, b)) continue;
    if (rule.same_industry && a.industry_h != 0 && b.industry_h != 0 &&
        (a.industry_h != b.industry_h || a.industry != b.industry))
      continue;
    if (rule.same_trade && !(a.trade_h == b.trade_h && a.name.trade == b.name.trade) &&
        !trades_agree(a.name, b.name))
      continue;
    const double s = name_similarity(a, b, rule);
    j.score = std::max(j.score, s);
    if (s >= rule.threshold && when_holds(rule, a, b, s, cache)) {
      j.result = verdict::suspected;
      j.score = s;
      j.rule = rule.name.c_str();
      j.weak = &rule;
      return j;
    }
  }
  return j;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string region_text(division d) {
  if (!d.known()) return {};
  // An address's city inside a municipality (310100) has no name of its own: its province's.
  for (std::uint8_t lvl = d.level; lvl >= 1; --lvl) {
    if (auto name = division_name(d.at_level(lvl)); !name.empty()) return std::string(name);
  }
  return {};
}

std::vector<field_comparison> explain(const prepared& a, const prepared& b, const policy& p,
                                      const judgement& j) {
  std::vector<field_comparison> out;
  auto add = [&](std::string field, const std::string& x, const std::string& y, field_outcome o,
                 double score) {
    out.push_back(field_comparison{std::move(field), o, score, x, y});
  };
  auto exact = [&](std::string field, const std::string& x, const std::string& y) {
    if (x.empty() || y.empty())
      add(std::move(field), x, y, field_outcome::missing, 0);
    else if (x == y)
      add(std::move(field), x, y, field_outcome::equal, 1);
    else
      add(std::move(field), x, y, field_outcome::different, 0);
  };
  auto lists = [&](std::string field, const std::vector<std::string>& x,
                   const std::vector<std::string>& y) {
    std::string shared;
    if (x.empty() || y.empty())
      add(std::move(field), join(x), join(y), field_outcome::missing, 0);
    else if (shares(x, y, &shared))
      add(std::move(field), shared, shared, field_outcome::equal, 1);
    else
      add(std::move(field), join(x), join(y), field_outcome::different, 0);
  };
  exact("uscc", a.uscc, b.uscc);
  lists("phone", a.phones, b.phones);
  lists("email", a.emails, b.emails);
  // The core name with the first weak rule's kernel (or the one that fired).
  const weak_rule& rule = j.weak != nullptr ? *j.weak : (p.weak.empty() ? weak_rule{} : p.weak[0]);
  if (a.name.core.empty() || b.name.core.empty()) {
    add("core", a.name.core, b.name.core, field_outcome::missing, 0);
  } else {
    const double s = name_similarity(a, b, rule);
    add("core", a.name.core, b.name.core,
        s >= 1.0  ? field_outcome::equal
        : s > 0.0 ? field_outcome::similar
                  : field_outcome::different,
        s);
  }
  if (a.name.trade.empty() || b.name.trade.empty())
    add("trade", a.name.trade, b.name.trade, field_outcome::missing, 0);
  else if (a.name.trade == b.name.trade)
    add("trade", a.name.trade, b.name.trade, field_outcome::equal, 1);
  else
    add("trade", a.name.trade, b.name.trade,
        trades_agree(a.name, b.name) ? field_outcome::similar : field_outcome::different,
        trades_agree(a.name, b.name) ? 0.5 : 0);
  const std::string ra = region_text(a.region), rb = region_text(b.region);
  if (!a.region.known() || !b.region.known())
    add("region", ra, rb, field_outcome::missing, 0);
  else if (a.region == b.region)
    add("region", ra, rb, field_outcome::equal, 1);
  else
    add("region", ra, rb,
        compatible(a.region, b.region) ? field_outcome::similar : field_outcome::different,
        compatible(a.region, b.region) ? 0.5 : 0);
  exact("industry", a.industry, b.industry);
  // The branch part: both empty (two head offices) is equal.
  add("branch", a.name.branch, b.name.branch,
      a.branch == b.branch ? field_outcome::equal : field_outcome::different,
      a.branch == b.branch ? 1 : 0);
  exact("form", a.name.form, b.name.form);
  return out;
}

match make_match(const prepared& a, const prepared& b, const policy& p, const judgement& j) {
  match m;
  m.a = a.id;
  m.b = b.id;
  m.result = j.result;
  m.score = j.score;
  m.rule = j.rule;
  m.fields = explain(a, b, p, j);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Blocking keys

std::uint64_t hash_pair(std::uint64_t tag, char32_t x, char32_t y) noexcept {
  return mix((tag << 56) ^ (static_cast<std::uint64_t>(x) << 28) ^ static_cast<std::uint64_t>(y));
}

void keys_of(const prepared& r, const policy& p, std::vector<std::uint64_t>& out) {
  out.clear();
  if (p.match_uscc && !r.uscc.empty()) out.push_back(hash_text(1, r.uscc));
  // USCCs also find their conflicts: two records of one name with different codes are judged.
  if (p.match_phone)
    for (const auto& ph : r.phones)
      out.push_back(hash_text(2, ph));
  if (p.match_email)
    for (const auto& em : r.emails)
      out.push_back(hash_text(3, em));
  if (p.weak.empty()) return;
  const std::u32string& c = r.core;
  if (r.name.latin) {
    std::string word;
    for (std::size_t i = 0; i <= r.name.core.size(); ++i) {
      if (i == r.name.core.size() || r.name.core[i] == ' ') {
        if (!word.empty()) out.push_back(hash_text(6, word));
        word.clear();
      } else {
        word.push_back(r.name.core[i]);
      }
    }
  } else if (c.size() == 1) {
    out.push_back(hash_pair(4, c[0], 0));
  } else {
    for (std::size_t i = 0; i + 1 < c.size(); ++i)
      out.push_back(hash_pair(4, c[i], c[i + 1]));
    for (std::size_t k = 2; k < c.size() && k <= 3; ++k)
      out.push_back(hash_pair(4, c[0], c[k]));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

// ---------------------------------------------------------------------------------------------
// Union-find with the cluster constraints (one valid USCC, one branch part per cluster).

class clusters_builder {
 public:
  explicit clusters_builder(const std::vector<prepared>& recs, bool branches)
      : parent_(recs.size()), uscc_(recs.size()), branch_(recs.size()), branches_(branches) {
    std::iota(parent_.begin(), parent_.end(), 0U);
    for (std::size_t i = 0; i < recs.size(); ++i) {
      uscc_[i] = recs[i].uscc.empty() ? nullptr : &recs[i].uscc;
      branch_[i] = &recs[i].branch;
    }
  }
  std::uint32_t find(std::uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  /// Joins, unless the two clusters hold different valid USCCs or different branch parts.
  bool join(std::uint32_t a, std::uint32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return true;
    if (uscc_[a] != nullptr && uscc_[b] != nullptr && *uscc_[a] != *uscc_[b]) return false;
    if (branches_ && *branch_[a] != *branch_[b]) return false;
    if (a > b) std::swap(a, b);  // the earlier record is the root: deterministic
    parent_[b] = a;
    if (uscc_[a] == nullptr) uscc_[a] = uscc_[b];
    return true;
  }

 private:
  std::vector<std::uint32_t> parent_;
  std::vector<const std::string*> uscc_;
  std::vector<const std::string*> branch_;
  bool branches_;
};

/// Runs body(k) for k in [0, t): on t - 1 new threads and the calling one. The bodies pull work
/// from a shared counter, so a thread that cannot be started only means fewer helpers. Every
/// thread is joined; the first exception a body threw is rethrown on the calling thread.
template <class F>
void run_parallel(unsigned t, F&& body) {
  std::vector<std::exception_ptr> errors(t);
  auto guarded = [&](unsigned k) noexcept {
    try {
      body(k);
    } catch (...) {
      errors[k] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  try {
    for (unsigned k = 1; k < t; ++k)
      pool.emplace_back(guarded, k);
  } catch (const std::system_error&) {
    // Fewer threads: the calling thread takes what is left.
  }
  guarded(0);
  for (auto& th : pool)
    th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

unsigned thread_count(unsigned asked) {
  if (asked != 0) return asked;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

/// Marks of visited candidates for one scan thread, with a generation so that nothing is
/// cleared per record.
struct visit_marks {
  std::vector<std::uint32_t> mark;
  std::uint32_t gen = 0;
  void start(std::size_t n) {
    if (mark.size() < n) mark.resize(n, 0);
    if (++gen == 0) {
      std::fill(mark.begin(), mark.end(), 0);
      gen = 1;
    }
  }
  bool first_visit(std::uint32_t i) {
    if (mark[i] == gen) return false;
    mark[i] = gen;
    return true;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// matcher

struct matcher::impl {
  std::shared_ptr<const policy> rules;
  std::vector<prepared> records;
  std::unordered_map<std::string, std::uint32_t> by_id;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> blocks;
  std::vector<record_problem> problems;

  status insert(prepared r, std::vector<record_problem>&& probs) {
    if (r.id.empty()) return status::invalid_argument("a customer without an id");
    const auto n = static_cast<std::uint32_t>(records.size());
    if (by_id.contains(r.id.str()))
      return status::already_exists("customer '" + r.id.str() + "' is already indexed");
    std::vector<std::uint64_t> keys;
    keys_of(r, *rules, keys);
    // What can fail (allocation) happens before the record is visible by id; a posting list
    // that got the index of a record never added is harmless (lookups bound it by size).
    if (records.size() == records.capacity())
      records.reserve(std::max<std::size_t>(64, records.capacity() * 2));  // geometric growth
    std::string id = r.id.str();
    for (std::uint64_t k : keys)
      blocks[k].push_back(n);
    records.push_back(std::move(r));
    by_id.emplace(std::move(id), n);
    for (auto& p : probs)
      problems.push_back(std::move(p));
    return status{};
  }

  /// Calls g(j) for every record j < `below` in the blocks of `q`'s usable keys; a record that
  /// shares several keys with `q` comes once per key (callers remove the repeats).
  template <class G>
  void for_postings(const prepared& q, std::uint32_t below, G&& g) const {
    std::vector<std::uint64_t> keys;
    keys_of(q, *rules, keys);
    for (std::uint64_t k : keys) {
      const auto it = blocks.find(k);
      if (it == blocks.end()) continue;
      const std::vector<std::uint32_t>& list = it->second;
      if (list.size() > rules->max_block) continue;  // counted once per key by scan()
      for (std::uint32_t j : list) {
        if (j >= below) break;  // lists are in add order
        g(j);
      }
    }
  }
};

matcher::matcher(std::shared_ptr<const policy> p) : impl_(std::make_unique<impl>()) {
  impl_->rules = p ? std::move(p) : std::make_shared<const policy>();
}
matcher::~matcher() = default;
matcher::matcher(matcher&&) noexcept = default;
matcher& matcher::operator=(matcher&&) noexcept = default;

std::size_t matcher::size() const noexcept {
  return impl_->records.size();
}
const policy& matcher::rules() const noexcept {
  return *impl_->rules;
}
std::vector<record_problem> matcher::problems() const {
  return impl_->problems;
}

status matcher::add(const customer& c) {
  if (c.id.empty()) return status::invalid_argument("a customer without an id");
  std::vector<record_problem> probs;
  prepared r = prepare(c, *impl_->rules, &probs);
  return impl_->insert(std::move(r), std::move(probs));
}

status matcher::add_all(const std::vector<customer>& cs, unsigned threads) {
  const std::size_t n = cs.size();
  std::vector<prepared> prep(n);
  std::vector<std::vector<record_problem>> probs(n);
  const unsigned t = std::min<unsigned>(thread_count(threads),
                                        static_cast<unsigned>(std::max<std::size_t>(n / 1024, 1)));
  std::atomic<std::size_t> next{0};
  run_parallel(t, [&](unsigned) {
    for (std::size_t begin; (begin = next.fetch_add(1024)) < n;) {
      for (std::size_t i = begin; i < std::min(n, begin + 1024); ++i)
        prep[i] = prepare(cs[i], *impl_->rules, &probs[i]);
    }
  });
  impl_->records.reserve(impl_->records.size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    if (status s = impl_->insert(std::move(prep[i]), std::move(probs[i])); !s.ok()) return s;
  }
  return status{};
}

std::vector<match> matcher::lookup(const customer& query, const lookup_options& options) const {
  const policy& p = *impl_->rules;
  const prepared q = prepare(query, p, nullptr);
  // Candidates once each: gathered and sorted (a lookup must not cost O(index size)).
  std::vector<std::uint32_t> candidates;
  impl_->for_postings(q, static_cast<std::uint32_t>(impl_->records.size()),
                      [&](std::uint32_t j) { candidates.push_back(j); });
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  activation_cache cache;
  struct hit {
    std::uint32_t j;
    judgement how;
  };
  std::vector<hit> hits;
  for (std::uint32_t j : candidates) {
    const prepared& r = impl_->records[j];
    if (!options.exclude.empty() && r.id == options.exclude) continue;
    judgement how = judge(r, q, p, cache);
    if (how.result >= options.report) hits.push_back({j, how});
  }
  std::sort(hits.begin(), hits.end(), [](const hit& x, const hit& y) {
    if (x.how.result != y.how.result) return x.how.result > y.how.result;
    if (x.how.score != y.how.score) return x.how.score > y.how.score;
    return x.j < y.j;
  });
  if (hits.size() > options.limit) hits.resize(options.limit);
  std::vector<match> out;
  out.reserve(hits.size());
  for (const hit& h : hits)
    out.push_back(make_match(impl_->records[h.j], q, p, h.how));
  return out;
}

scan_result matcher::scan(const scan_options& options) const {
  const policy& p = *impl_->rules;
  const auto n = static_cast<std::uint32_t>(impl_->records.size());
  const unsigned t =
      std::min<unsigned>(thread_count(options.threads), std::max<std::uint32_t>(n / 4096, 1));
  struct edge {
    std::uint32_t a, b;
    judgement how;
  };
  struct part {
    std::vector<edge> edges;
    std::uint64_t comparisons = 0;
  };
  std::vector<part> parts(t);
  std::atomic<std::uint32_t> next{0};
  constexpr std::uint32_t chunk = 256;
  run_parallel(t, [&](unsigned k) {
    part& out = parts[k];
    visit_marks marks;
    activation_cache cache;
    for (std::uint32_t begin; (begin = next.fetch_add(chunk)) < n;) {
      for (std::uint32_t i = begin; i < std::min(n, begin + chunk); ++i) {
        marks.start(n);
        const prepared& q = impl_->records[i];
        impl_->for_postings(q, i, [&](std::uint32_t j) {
          if (!marks.first_visit(j)) return;
          ++out.comparisons;
          judgement how = judge(impl_->records[j], q, p, cache);
          if (how.result >= options.report) out.edges.push_back({j, i, how});
        });
      }
    }
  });

  scan_result result;
  std::vector<edge> edges;
  for (const auto& [key, list] : impl_->blocks)
    result.skipped_blocks += list.size() > p.max_block ? 1 : 0;
  for (part& pt : parts) {
    result.comparisons += pt.comparisons;
    edges.insert(edges.end(), pt.edges.begin(), pt.edges.end());
  }
  // Strongest links first, so that a conflicting weak link is the one refused.
  std::sort(edges.begin(), edges.end(), [](const edge& x, const edge& y) {
    if (x.how.result != y.how.result) return x.how.result > y.how.result;
    if (x.how.score != y.how.score) return x.how.score > y.how.score;
    return std::pair(x.a, x.b) < std::pair(y.a, y.b);
  });
  clusters_builder uf(impl_->records, p.branch_is_different);
  std::vector<char> review(n, 0);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> suspected_links;
  for (const edge& e : edges) {
    if (e.how.result == verdict::different) continue;
    if (!uf.join(e.a, e.b)) {
      result.refused_links.push_back(
          make_match(impl_->records[e.a], impl_->records[e.b], p, e.how));
    } else if (e.how.result == verdict::suspected) {
      suspected_links.emplace_back(e.a, e.b);
    }
  }
  for (auto [a, b] : suspected_links)
    review[uf.find(a)] = 1;
  std::map<std::uint32_t, std::vector<std::uint32_t>> groups;
  for (std::uint32_t i = 0; i < n; ++i)
    groups[uf.find(i)].push_back(i);
  for (auto& [root, members] : groups) {
    if (members.size() < 2) continue;
    cluster c;
    c.review = review[root] != 0;
    for (std::uint32_t m : members)
      c.members.push_back(impl_->records[m].id);
    result.clusters.push_back(std::move(c));
  }
  std::sort(edges.begin(), edges.end(),
            [](const edge& x, const edge& y) { return std::pair(x.a, x.b) < std::pair(y.a, y.b); });
  result.pairs.reserve(edges.size());
  for (const edge& e : edges)
    result.pairs.push_back(make_match(impl_->records[e.a], impl_->records[e.b], p, e.how));
  return result;
}

match compare(const customer& a, const customer& b, const policy& p) {
  const prepared x = prepare(a, p, nullptr);
  const prepared y = prepare(b, p, nullptr);
  activation_cache cache;
  return make_match(x, y, p, judge(x, y, p, cache));
}

}  // namespace crmrules::dedup
