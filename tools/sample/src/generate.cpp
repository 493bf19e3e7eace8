// The sample-data generator. See crmrules_sample/sample.hpp for what it promises.
//
// Portability of the output: every random choice goes through `rng` (integers, and doubles only
// compared against constants), all times are whole seconds computed with std::chrono integer
// arithmetic, money is integer fen, and every sort has a total order. Hash sets are used for
// membership tests only, never iterated.

#include <algorithm>
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

#include "crmrules/model/value.hpp"
#include "crmrules_sample/sample.hpp"
#include "orgs.hpp"
#include "tables.hpp"

namespace crmrules::sample {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the shared internals

// ---------------------------------------------------------------------------------------------
// Table sanity: an array initialised with too few entries would hold empty strings.

template <class T, std::size_t N, class F>
constexpr bool all_of(const std::array<T, N>& items, F f) {
  for (const auto& item : items) {
    if (!f(item)) return false;
  }
  return true;
}
static_assert(all_of(tb::cities, [](const tb::city& c) {
  return !c.name.empty() && !c.pinyin.empty() && !c.region.empty() && c.area_code.size() >= 3 &&
         all_of(c.districts,
                [](const tb::district& d) { return d.code.size() == 6 && !d.name.empty(); });
}));
static_assert(all_of(tb::brands,
                     [](const tb::brand& b) { return !b.zh.empty() && !b.pinyin.empty(); }));
static_assert(all_of(tb::industries, [](const tb::industry& i) {
  return !i.label.empty() &&
         all_of(i.words, [](const tb::trade_word& w) { return !w.zh.empty() && !w.en.empty(); });
}));
static_assert(all_of(tb::institutions,
                     [](const tb::institution& i) { return !i.tail.empty() && !i.abbr.empty(); }));
static_assert(all_of(tb::confusables,
                     [](const tb::confusable& c) { return !c.from.empty() && !c.to.empty(); }));
static_assert(all_of(tb::surnames,
                     [](const tb::syllable& s) { return !s.zh.empty() && !s.pinyin.empty(); }));
static_assert(all_of(tb::given_chars,
                     [](const tb::syllable& s) { return !s.zh.empty() && !s.pinyin.empty(); }));
static_assert(all_of(tb::mobile_prefixes, [](std::string_view p) { return p.size() == 3; }));
static_assert(all_of(tb::english_names, [](std::string_view s) { return !s.empty(); }));
static_assert(all_of(tb::nicknames, [](std::string_view s) { return !s.empty(); }));

// Streams: each part of the data set draws from its own sequence.
constexpr std::uint64_t stream_reps = 1;
constexpr std::uint64_t stream_customers = 2;
constexpr std::uint64_t stream_leads = 3;
constexpr std::uint64_t stream_events = 4;

// ---------------------------------------------------------------------------------------------
// Name variants (the duplicates a dedup engine must find)

enum variation : unsigned {
  vary_region = 1,
  vary_org_form = 2,
  vary_brackets = 4,
  vary_typo = 8,
  vary_english = 16,
};

std::string describe(unsigned applied) {
  std::string out;
  for (auto [bit, name] : {std::pair{vary_region, "region"}, std::pair{vary_org_form, "org_form"},
                           std::pair{vary_brackets, "brackets"}, std::pair{vary_typo, "typo"},
                           std::pair{vary_english, "english"}}) {
    if ((applied & bit) == 0) continue;
    if (!out.empty()) out += '+';
    out += name;
  }
  return out;
}

struct name_variant {
  std::string name;
  std::string change;
};

/// A different spelling of the same organisation's name.
name_variant make_variant(rng& r, const org_name& original, bool allow_english) {
  const std::string base = render(original);
  const bool company = original.kind == org_kind::company;
  std::array<int, 5> weights{30, company ? 30 : 0, company ? 15 : 0, 25,
                             allow_english && company ? 45 : 0};
  unsigned applied = 0;
  const int rounds = r.chance(0.25) ? 2 : 1;
  for (int round = 0; round < rounds; ++round) {
    if (std::accumulate(weights.begin(), weights.end(), 0) == 0) break;
    const std::size_t op = weighted_index(r, weights);
    applied |= 1u << op;
    weights[op] = 0;
    if (op == 4) break;  // English stands alone
    weights[4] = 0;
  }
  org_name v = original;
  render_style style;
  if ((applied & vary_region) != 0) apply_region(r, v);
  if ((applied & vary_org_form) != 0) apply_org_form(r, v);
  if ((applied & vary_brackets) != 0) apply_brackets(r, v, style);
  std::string name = (applied & vary_english) != 0 ? render_english(v) : render(v, style);
  if ((applied & vary_typo) != 0) {
    if (auto typo = with_typo(r, name)) name = std::move(*typo);
  }
  if (name == base) {  // the change happened to be a no-op: fall back to a typo, then a region
    if (auto typo = with_typo(r, name)) {
      name = std::move(*typo);
      applied |= vary_typo;
    } else {
      v = original;
      apply_region(r, v);
      name = render(v);
      applied = vary_region;
    }
  }
  return {std::move(name), describe(applied)};
}

// ---------------------------------------------------------------------------------------------
// Money

money budget(rng& r) {
  struct bucket {
    std::int64_t lo, hi, step;
    int weight;
  };
  static constexpr std::array<bucket, 8> buckets{{
      {10'000, 30'000, 1'000, 12},
      {30'000, 50'000, 5'000, 14},
      {50'000, 100'000, 5'000, 20},
      {100'000, 200'000, 10'000, 18},
      {200'000, 500'000, 10'000, 16},
      {500'000, 1'000'000, 50'000, 10},
      {1'000'000, 2'000'000, 100'000, 6},
      {2'000'000, 5'000'000, 100'000, 4},
  }};
  const bucket& b = buckets[pick_weighted(r, buckets)];
  if (r.chance(0.1)) return money::from_major(r.between(b.lo, b.hi));  // an exact figure: 128000
  return money::from_major(b.lo + b.step * r.between(0, (b.hi - b.lo) / b.step));
}

// ---------------------------------------------------------------------------------------------
// The generator's shared state

struct customer_memo {
  org_name org;
  std::string domain;
  std::vector<phone_number> phones;
};

struct lead_memo {
  std::optional<org_name> org;
  std::string domain;
  person contact;
  std::optional<phone_number> phone;
};

struct context {
  const options& opts;
  org_registry orgs;
  std::unordered_set<std::string> domains;
  std::unordered_set<std::string> usccs;
  std::vector<customer_memo> customers;
};

std::vector<std::string> all_industry_labels() {
  std::vector<std::string> out;
  for (const auto& i : tb::industries)
    out.emplace_back(i.label);
  return out;
}

std::vector<std::string> pick_industries(rng& r, std::size_t count) {
  std::vector<std::size_t> chosen;
  while (chosen.size() < std::min(count, tb::industries.size())) {
    const std::size_t i = pick_weighted(r, tb::industries);
    if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) chosen.push_back(i);
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<std::string> out;
  for (auto i : chosen)
    out.emplace_back(tb::industries[i].label);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Teams and reps

struct team_plan {
  std::string name;
  std::vector<std::string> regions;
  bool key_account = false;
};

std::vector<team_plan> plan_teams(std::size_t count) {
  std::vector<team_plan> base = {
      {"华东一组", {"华东"}, false},         {"华南一组", {"华南"}, false},
      {"华北一组", {"华北", "东北"}, false}, {"华中一组", {"华中"}, false},
      {"西南一组", {"西南", "西北"}, false}, {"华东大客户组", {"华东"}, true},
      {"华南大客户组", {"华南"}, true},      {"华东二组", {"华东"}, false},
      {"华北大客户组", {"华北"}, true},      {"西北一组", {"西北"}, false},
      {"东北一组", {"东北"}, false},         {"华南二组", {"华南"}, false},
      {"华北二组", {"华北"}, false},
  };
  std::array<int, 7> numbered{2, 2, 2, 1, 1, 1, 1};  // 华东..东北 groups numbered so far in `base`
  std::vector<team_plan> out(
      base.begin(), base.begin() + static_cast<std::ptrdiff_t>(std::min(count, base.size())));
  for (std::size_t k = 0; out.size() < count; ++k) {
    const std::size_t reg = k % tb::regions.size();
    const int n = ++numbered[reg];
    const std::string number =
        n <= 10 ? std::string(tb::numerals[static_cast<std::size_t>(n - 1)].zh) : std::to_string(n);
    out.push_back({cat({tb::regions[reg], number, "组"}), {std::string(tb::regions[reg])}, false});
  }
  return out;
}

enum class rep_state : std::uint8_t { normal, inactive, on_leave, new_hire };

void make_reps(context& ctx, dataset& out) {
  const options& o = ctx.opts;
  const std::size_t n = o.reps;
  if (n == 0) return;
  rng r(o.seed, stream_reps);
  const timestamp now = o.now;
  const std::size_t team_count = n >= 2 ? std::min(n - 1, (n - 1 + 7) / 8) : 0;
  const std::vector<team_plan> plans = plan_teams(team_count);

  std::unordered_set<std::string> names;
  auto new_name = [&]() {
    for (int attempt = 0;; ++attempt) {
      person p = make_person(r);
      if (names.insert(p.name).second || attempt >= 50) return p.name;
    }
  };
  const std::size_t id_width = std::max<std::size_t>(3, std::to_string(n).size());
  const std::size_t team_width = std::max<std::size_t>(2, std::to_string(team_count).size());

  // Who is away: at least one inactive, one on leave and one new hire among the plain reps.
  const std::size_t first_plain = team_count + 1;
  std::vector<rep_state> states(n, rep_state::normal);
  if (n > first_plain) {
    std::vector<std::size_t> plain(n - first_plain);
    std::iota(plain.begin(), plain.end(), first_plain);
    shuffle(r, plain);
    for (std::size_t k = 0; k < plain.size(); ++k) {
      if (k < 3) {
        states[plain[k]] = static_cast<rep_state>(k + 1);
      } else {
        states[plain[k]] = static_cast<rep_state>(weighted_index(r, {86, 3, 5, 6}));
      }
    }
  }
  for (std::size_t i = 1; i < first_plain; ++i) {  // managers are sometimes on leave too
    if (r.chance(0.05)) states[i] = rep_state::on_leave;
  }

  out.reps.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    rep p;
    p.id = rep_id{padded("R", i + 1, id_width)};
    p.name = new_name();
    const rep_state state = states[i];
    const bool director = i == 0;
    const bool manager = !director && i < first_plain;
    const std::size_t team_index = director ? 0 : manager ? i - 1 : (i - first_plain) % team_count;
    const team_plan* plan = director ? nullptr : &plans[team_index];
    if (plan != nullptr) p.team = team_id{padded("T", team_index + 1, team_width)};
    if (director) {
      p.role = "director";
    } else if (manager) {
      p.role = "manager";
    } else if (state == rep_state::new_hire) {
      p.role = "sales";
    } else {
      p.role = r.chance(plan->key_account ? 0.55 : 0.28) ? "senior" : "sales";
    }
    const bool senior = p.role == "senior";

    // Hire date (a local calendar date).
    std::int64_t tenure_days = 0;
    if (director) {
      tenure_days = r.between(5 * 365, 10 * 365);
    } else if (manager) {
      tenure_days = r.between(2 * 365, 8 * 365);
    } else if (state == rep_state::new_hire) {
      tenure_days = r.between(0, 6);
    } else if (senior) {
      tenure_days = r.between(2 * 365, 6 * 365);
    } else {
      tenure_days = r.between(30, 3 * 365);
    }
    p.hired_at = local_date_before(now, tenure_days);
    const bool new_hire = state == rep_state::new_hire;

    // Capacity.
    if (director) {
      p.daily_cap.reset();
      p.open_cap.reset();
    } else {
      p.daily_cap = manager    ? r.between(5, 10)
                    : new_hire ? r.between(3, 8)
                    : senior   ? r.between(20, 35)
                               : r.between(10, 25);
      p.open_cap = manager    ? r.between(40, 80)
                   : new_hire ? r.between(20, 40)
                   : senior   ? r.between(150, 250)
                              : r.between(80, 150);
      if (!manager && r.chance(0.05)) p.daily_cap.reset();
      if (!manager && r.chance(0.05)) p.open_cap.reset();
    }

    // Territory and skills.
    if (director) {
      for (auto reg : tb::regions)
        p.regions.emplace_back(reg);
      p.industries = all_industry_labels();
      p.skills = {"大客户", "解决方案"};
    } else {
      p.regions = plan->regions;
      if (senior && r.chance(0.25)) {
        const std::string extra(pick(r, tb::regions));
        if (std::find(p.regions.begin(), p.regions.end(), extra) == p.regions.end())
          p.regions.push_back(extra);
      }
      p.industries = pick_industries(
          r, static_cast<std::size_t>(plan->key_account ? r.between(3, 5) : r.between(2, 4)));
      if (plan->key_account) p.skills.emplace_back("大客户");
      const auto extra_skills = static_cast<std::size_t>(weighted_index(r, {45, 35, 15, 5}));
      for (std::size_t k = 0; k < extra_skills; ++k) {
        const std::string s(pick(r, tb::skills));
        if (std::find(p.skills.begin(), p.skills.end(), s) == p.skills.end()) p.skills.push_back(s);
      }
    }

    // Availability.
    if (state == rep_state::inactive) {
      p.active = false;
      p.accepts_leads = false;
    } else if (!director && r.chance(0.03)) {
      p.accepts_leads = false;  // paused: still active, takes no new leads
    }
    const timestamp today = local_day_start(now);
    if (state == rep_state::on_leave) {
      p.leave.push_back({today - days{r.between(0, 4)}, today + days{r.between(1, 10)}});
    } else if (state != rep_state::inactive && !new_hire && r.chance(0.12)) {
      if (r.chance(0.5)) {  // leave already taken
        const auto start = r.between(8, 60);
        p.leave.push_back({today - days{start}, today - days{start - r.between(1, 5)}});
      } else {  // leave booked ahead
        const auto start = r.between(2, 20);
        p.leave.push_back({today + days{start}, today + days{start + r.between(1, 7)}});
      }
    }

    // Workload (it is 09:00 local time, so today's counters are small).
    const bool away = state == rep_state::inactive || state == rep_state::on_leave;
    p.today_follow_ups = away ? 0 : r.between(0, director ? 3 : 8);
    p.open_tasks = away && state == rep_state::inactive ? 0 : r.between(0, new_hire ? 5 : 40);
    if (new_hire) {
      p.open_leads = r.between(0, 10);
    } else if (p.open_cap) {
      p.open_leads = r.chance(0.05) ? *p.open_cap : r.between(*p.open_cap / 5, *p.open_cap);
    } else {
      p.open_leads = r.between(director ? 5 : 20, director ? 30 : 200);
    }
    if (!away && !director) {
      const std::int64_t cap = p.daily_cap.value_or(10);
      p.assigned_today = r.chance(0.03) ? cap : std::min<std::int64_t>(cap, r.between(0, 3));
    }
    if (!new_hire && r.chance(0.5)) {
      p.revenue_3d = money::from_major(r.between(50, 8'000) * 100);
    }
    if (!new_hire) p.avg_response = minutes{r.between(5, 8 * 60)};
    if (state == rep_state::inactive) {
      p.last_assigned_at = now - seconds{r.between(10 * 86'400, 90 * 86'400)};
    } else if (!(new_hire && r.chance(0.6))) {
      p.last_assigned_at = now - seconds{r.between(60, (new_hire ? 2 : 3) * 86'400)};
    }
    out.reps.push_back(std::move(p));
  }

  for (std::size_t k = 0; k < team_count; ++k) {
    team t;
    t.id = team_id{padded("T", k + 1, team_width)};
    t.name = plans[k].name;
    t.manager = out.reps[k + 1].id;
    t.custom.set("负责区域", value(value::string_list(plans[k].regions)));
    if (plans[k].key_account) t.custom.set("大客户组", true);
    out.teams.push_back(std::move(t));
  }
}

// ---------------------------------------------------------------------------------------------
// Customers

void make_customers(context& ctx, dataset& out) {
  const options& o = ctx.opts;
  rng r(o.seed, stream_customers);
  const timestamp now = o.now;

  // Owners by region: the director is the fallback assignee, not an account owner.
  std::vector<std::vector<std::size_t>> owners(tb::regions.size());
  for (std::size_t i = 1; i < out.reps.size(); ++i) {
    for (const auto& reg : out.reps[i].regions) {
      const auto at = std::find(tb::regions.begin(), tb::regions.end(), reg);
      if (at != tb::regions.end())
        owners[static_cast<std::size_t>(at - tb::regions.begin())].push_back(i);
    }
  }

  const std::size_t id_width = std::max<std::size_t>(6, std::to_string(o.customers).size());
  out.customers.reserve(o.customers);
  ctx.customers.reserve(o.customers);
  for (std::size_t i = 0; i < o.customers; ++i) {
    const org_kind kind = pick_kind(r);
    org_name org = make_unique_org(r, kind, pick_city(r), true, ctx.orgs);
    const std::size_t home = home_city(org);
    const tb::city& c = tb::cities[home];
    const std::size_t district = r.index(c.districts.size());

    customer cu;
    cu.id = customer_id{padded("C", i + 1, id_width)};
    cu.name = render(org);
    if (r.chance(0.96)) {
      const std::string_view registration = kind == org_kind::company ? "91"
                                            : org.is_public           ? "12"
                                                                      : "52";
      for (;;) {
        std::string code = make_uscc(r, registration, c.districts[district].code);
        if (ctx.usccs.insert(code).second) {
          cu.uscc = std::move(code);
          break;
        }
      }
    }

    customer_memo memo{org, make_domain(r, org, ctx.domains), {}};
    const auto phone_count = 1 + static_cast<std::size_t>(weighted_index(r, {60, 32, 8}));
    bool landline = kind != org_kind::company ? r.chance(0.9) : r.chance(0.4);
    for (std::size_t k = 0; k < phone_count; ++k, landline = !landline) {
      phone_number p = landline ? make_landline(r, c) : make_mobile(r);
      cu.phones.push_back(r.chance(0.9) ? e164(p) : as_entered(r, p));
      memo.phones.push_back(std::move(p));
    }
    cu.emails = customer_emails(r, org, memo.domain);
    if (r.chance(0.92)) cu.address = make_address(r, org, district);
    cu.region = region_of(home);
    cu.industry = std::string(tb::industries[org.industry].label);
    const std::size_t tier = kind == org_kind::company ? weighted_index(r, {8, 22, 40, 30})
                                                       : weighted_index(r, {25, 40, 25, 10});
    cu.tier = std::string(1, static_cast<char>('A' + tier));

    if (!out.reps.empty() && r.chance(0.95)) {
      const auto& candidates = owners[static_cast<std::size_t>(
          std::find(tb::regions.begin(), tb::regions.end(), c.region) - tb::regions.begin())];
      if (!candidates.empty()) {
        cu.owner = out.reps[candidates[r.index(candidates.size())]].id;
      } else {
        cu.owner = out.reps[out.reps.size() > 1 ? 1 + r.index(out.reps.size() - 1) : 0].id;
      }
    }
    cu.created_at = sample_time(r, now - days{730}, now - days{1}, office_hours);
    cu.updated_at = sample_time(r, cu.created_at, now, office_hours);
    if (kind == org_kind::company) {
      const std::size_t size =
          std::min<std::size_t>(4, 3 - std::min<std::size_t>(3, tier) + r.index(2));
      cu.custom.set("员工规模", tb::company_sizes[size]);
    } else {
      cu.custom.set("机构类型", kind == org_kind::hospital
                                    ? (org.is_public ? "公立医院" : "民营医院")
                                    : (org.is_public ? "公办学校" : "民办学校"));
    }
    out.customers.push_back(std::move(cu));
    ctx.customers.push_back(std::move(memo));
  }
}

// ---------------------------------------------------------------------------------------------
// Leads

std::string make_channel(rng& r, std::string_view source) {
  if (source == "官网表单") {
    static constexpr std::array<std::string_view, 5> pages{"pricing", "demo", "contact", "trial",
                                                           "whitepaper"};
    return cat({"web_", pick(r, pages)});
  }
  if (source == "百度推广") {
    static constexpr std::array<std::string_view, 5> plans{"brand", "crm", "industry", "competitor",
                                                           "region"};
    return cat({"baidu_sem_", pick(r, plans)});
  }
  if (source == "抖音私信") {
    static constexpr std::array<std::string_view, 4> kinds{"live", "short_video", "ad", "profile"};
    return cat({"douyin_", pick(r, kinds)});
  }
  if (source == "电话咨询") return r.chance(0.7) ? "hotline_400" : "inbound_direct";
  if (source == "展会扫码") {
    static constexpr std::array<std::string_view, 5> expos{"cmef2026", "ciif2026", "chtf2026",
                                                           "ciie2026", "educhina2026"};
    return cat({"expo_", pick(r, expos)});
  }
  if (source == "转介绍") {
    static constexpr std::array<std::string_view, 3> kinds{"customer", "partner", "employee"};
    return cat({"referral_", pick(r, kinds)});
  }
  static constexpr std::array<std::string_view, 3> campaigns{
      "fb_campaign_238512", "fb_campaign_238977", "fb_campaign_240133"};
  return std::string(pick(r, campaigns));
}

std::string lead_contact_name(rng& r, const person& p, std::string_view source) {
  if (source == "facebook_ads" && r.chance(0.5)) {
    const std::string first = r.chance(0.6) ? std::string(pick(r, tb::english_names))
                                            : capitalized(join_pinyin(p.given_pinyin));
    return first + " " + capitalized(p.surname_pinyin);
  }
  if (source == "抖音私信" && r.chance(0.4)) return std::string(pick(r, tb::nicknames));
  switch (weighted_index(r, {85, 10, 5})) {
    case 0:
      return p.name;
    case 1:
      return p.surname + std::string(pick(r, tb::honorifics));
    default:
      return {};
  }
}

std::vector<std::string> lead_tags(rng& r, std::string_view source) {
  std::vector<std::string> tags;
  if (source == "展会扫码" && r.chance(0.6)) tags.emplace_back("展会线索");
  if (source == "转介绍" && r.chance(0.6)) tags.emplace_back("老客户推荐");
  if (source == "facebook_ads" && r.chance(0.6)) tags.emplace_back("海外");
  if (source == "百度推广" && r.chance(0.3)) tags.emplace_back("SEM");
  const std::size_t count = weighted_index(r, {40, 35, 18, 7});
  for (std::size_t k = 0; k < count; ++k) {
    const std::string tag(pick(r, tb::general_tags));
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  return tags;
}

double phone_missing_rate(std::string_view source) {
  if (source == "抖音私信") return 0.45;
  if (source == "电话咨询") return 0.0;
  if (source == "facebook_ads") return 0.15;
  if (source == "转介绍") return 0.10;
  if (source == "百度推广") return 0.08;
  return 0.05;
}

double email_present_rate(std::string_view source) {
  if (source == "抖音私信") return 0.2;
  if (source == "电话咨询") return 0.3;
  if (source == "facebook_ads") return 0.85;
  return 0.65;
}

double company_missing_rate(std::string_view source) {
  if (source == "抖音私信") return 0.2;
  if (source == "电话咨询") return 0.1;
  return 0.03;
}

std::string mixed_case(rng& r, std::string email) {
  if (r.chance(0.05) && !email.empty() && email[0] >= 'a' && email[0] <= 'z') {
    email[0] = static_cast<char>(email[0] - 'a' + 'A');
  }
  return email;
}

std::int64_t interaction_count(rng& r) {
  return static_cast<std::int64_t>(weighted_index(r, {18, 16, 14, 12, 10, 8, 6, 5, 4, 4, 3}));
}

void make_leads(context& ctx, dataset& out) {
  const options& o = ctx.opts;
  const std::size_t n = o.leads;
  rng r(o.seed, stream_leads);
  const timestamp now = o.now;

  std::vector<timestamp> times(n);
  for (auto& t : times)
    t = sample_time(r, now - days{30}, now, office_hours);
  std::sort(times.begin(), times.end());

  enum class role : std::uint8_t { fresh, customer_variant, repeat };
  std::vector<role> roles(n, role::fresh);
  const std::size_t variants = out.customers.empty() ? 0 : share_of(n, o.duplicate_rate);
  const std::size_t repeats = std::min(n - variants, share_of(n, o.repeat_rate));
  const std::vector<std::size_t> chosen = sample_indices(r, n, variants + repeats);
  for (std::size_t k = 0; k < chosen.size(); ++k)
    roles[chosen[k]] = k < variants ? role::customer_variant : role::repeat;

  std::vector<lead_memo> memos;
  memos.reserve(n);
  out.leads.reserve(n);
  std::unordered_set<std::string> fb_ids;
  std::size_t numbered = 0;
  const std::size_t id_width = std::max<std::size_t>(6, std::to_string(n).size());

  for (std::size_t i = 0; i < n; ++i) {
    lead l;
    lead_memo memo;
    l.created_at = times[i];
    l.source = std::string(tb::lead_sources[pick_weighted(r, tb::lead_sources)].text);
    const bool overseas = l.source == "facebook_ads";
    if (overseas) {
      for (;;) {
        std::string id = "fb_" + std::to_string(r.between(1, 9));
        id += digits(r, 15);
        if (fb_ids.insert(id).second) {
          l.id = lead_id{std::move(id)};
          break;
        }
      }
    } else {
      l.id = lead_id{padded("L", ++numbered, id_width)};
    }
    l.channel = make_channel(r, l.source);

    role kind = roles[i];
    std::size_t original = 0;
    if (kind == role::repeat) {  // an earlier lead with something to recognise it by
      bool found = false;
      for (int attempt = 0; attempt < 12 && i > 0 && !found; ++attempt) {
        original = r.index(i);
        found = memos[original].org.has_value() && !out.leads[original].company_name.empty();
      }
      if (!found) kind = role::fresh;
    }

    std::string region;
    std::string industry;
    if (kind == role::customer_variant) {
      std::size_t ci = r.index(out.customers.size());
      for (int attempt = 0; attempt < 8 && out.customers[ci].created_at > l.created_at; ++attempt) {
        ci = r.index(out.customers.size());
      }
      const customer& cu = out.customers[ci];
      const customer_memo& cm = ctx.customers[ci];
      name_variant v = make_variant(r, cm.org, overseas);
      l.company_name = std::move(v.name);
      out.duplicates.push_back(
          {l.id, record_ref{record_kind::customer, cu.id.str()}, std::move(v.change)});
      memo.org = cm.org;
      memo.domain = cm.domain;
      memo.contact = make_person(r);
      l.contact_name = lead_contact_name(r, memo.contact, l.source);
      if (!cm.phones.empty() && r.chance(0.45)) {
        memo.phone = cm.phones[r.index(cm.phones.size())];
      } else if (r.chance(0.85)) {
        memo.phone = make_mobile(r);
      }
      if (memo.phone) l.phone = as_entered(r, *memo.phone, overseas);
      switch (weighted_index(r, {30, 30, 15, 25})) {
        case 0:
          if (!cu.emails.empty()) l.email = mixed_case(r, cu.emails[r.index(cu.emails.size())]);
          break;
        case 1:
          l.email = mixed_case(r, mail_local(r, memo.contact) + "@" + cm.domain);
          break;
        case 2:
          l.email = personal_email(r, memo.contact, overseas);
          break;
        default:
          break;
      }
      region = r.chance(0.92) ? cu.region : std::string();
      industry = r.chance(0.85) ? cu.industry : std::string();
    } else if (kind == role::repeat) {
      const lead& first = out.leads[original];
      const lead_memo& fm = memos[original];
      memo = fm;
      std::string change = "exact";
      if (r.chance(0.65)) {
        l.company_name = first.company_name;
      } else {
        name_variant v = make_variant(r, *fm.org, overseas);
        l.company_name = std::move(v.name);
        change = std::move(v.change);
      }
      out.duplicates.push_back(
          {l.id, record_ref{record_kind::lead, first.id.str()}, std::move(change)});
      l.contact_name = r.chance(0.8) ? first.contact_name
                                     : memo.contact.surname + std::string(pick(r, tb::honorifics));
      if (memo.phone && r.chance(0.8)) l.phone = as_entered(r, *memo.phone, overseas);
      if (r.chance(0.6)) l.email = first.email;
      region = first.region;
      industry = first.industry;
    } else {
      memo.contact = make_person(r);
      l.contact_name = lead_contact_name(r, memo.contact, l.source);
      std::size_t city = pick_city(r);
      if (!r.chance(company_missing_rate(l.source))) {
        memo.org = make_unique_org(r, pick_kind(r), city, false, ctx.orgs);
        l.company_name = overseas && r.chance(0.4) && memo.org->kind == org_kind::company
                             ? render_english(*memo.org)
                             : render(*memo.org);
        city = home_city(*memo.org);
      }
      if (!r.chance(phone_missing_rate(l.source))) {
        if (r.chance(0.03)) {
          l.phone = std::string(pick(r, tb::junk_phones));
        } else {
          memo.phone =
              memo.org && r.chance(0.12) ? make_landline(r, tb::cities[city]) : make_mobile(r);
          l.phone = as_entered(r, *memo.phone, overseas);
        }
      }
      if (r.chance(email_present_rate(l.source))) {
        if (r.chance(0.03)) {
          l.email = std::string(pick(r, tb::junk_emails));
        } else if (memo.org && r.chance(0.5)) {
          memo.domain = make_domain(r, *memo.org, ctx.domains);
          l.email = mixed_case(r, mail_local(r, memo.contact) + "@" + memo.domain);
        } else {
          l.email = mixed_case(r, personal_email(r, memo.contact, overseas));
        }
      }
      if (memo.org) {
        region = r.chance(0.94) ? region_of(city) : std::string();
        industry =
            r.chance(0.88) ? std::string(tb::industries[memo.org->industry].label) : std::string();
      } else {
        region = r.chance(0.8) ? region_of(city) : std::string();
        industry = r.chance(0.4)
                       ? std::string(tb::industries[pick_weighted(r, tb::industries)].label)
                       : std::string();
      }
    }
    l.region = std::move(region);
    l.industry = std::move(industry);
    if (r.chance(0.6)) l.budget = budget(r);
    l.tags = lead_tags(r, l.source);
    l.status = lead_status::unassigned;
    l.custom.set("近30天互动频次", interaction_count(r));
    out.leads.push_back(std::move(l));
    memos.push_back(std::move(memo));
  }
}

// ---------------------------------------------------------------------------------------------
// Events

struct event_kind {
  std::string_view type;
  int weight;
  std::array<std::string_view, 4> channels;  // empty entries unused
};

constexpr std::array<event_kind, 9> event_kinds{{
    {"site_visit", 30, {"官网", "百度搜索", "微信公众号", "知乎"}},
    {"email_open", 18, {"邮件营销", "", "", ""}},
    {"wechat_message", 14, {"企业微信", "", "", ""}},
    {"call", 10, {"电话", "", "", ""}},
    {"whitepaper_download", 8, {"官网", "微信公众号", "", ""}},
    {"form_submit", 6, {"官网", "抖音", "微信公众号", ""}},
    {"tech_consult", 5, {"400热线", "企业微信", "", ""}},
    {"demo_attended", 5, {"线上会议", "线下拜访", "", ""}},
    {"quote_request", 4, {"官网", "邮件", "", ""}},
}};

constexpr std::array<std::string_view, 3> products{"CRM 标准版", "CRM 专业版", "数据分析平台"};

void event_details(rng& r, event& e) {
  const std::string_view type = e.type;
  if (type == "site_visit") {
    static constexpr std::array<std::string_view, 7> pages{
        "/", "/pricing", "/product/crm", "/cases", "/blog/lead-scoring", "/docs", "/about"};
    e.custom.set("page", pick(r, pages));
    e.custom.set("duration", duration{seconds{r.between(10, 900)}});
  } else if (type == "whitepaper_download") {
    static constexpr std::array<std::string_view, 4> docs{
        "《2026 CRM 选型白皮书》", "《制造业数字化转型白皮书》", "《医疗器械合规营销指南》",
        "《销售线索管理最佳实践》"};
    e.custom.set("document", pick(r, docs));
  } else if (type == "demo_attended") {
    e.custom.set("product", pick(r, products));
    e.custom.set("attendees", r.between(1, 6));
  } else if (type == "tech_consult") {
    static constexpr std::array<std::string_view, 4> topics{"API 对接", "私有化部署", "数据迁移",
                                                            "单点登录"};
    e.custom.set("topic", pick(r, topics));
  } else if (type == "quote_request") {
    e.custom.set("product", pick(r, products));
    e.custom.set("amount", money::from_major(r.between(20, 2'000) * 1'000));
  } else if (type == "call") {
    e.custom.set("direction", r.chance(0.4) ? "inbound" : "outbound");
    e.custom.set("duration", duration{seconds{r.between(30, 40 * 60)}});
  } else if (type == "wechat_message") {
    e.custom.set("messages", r.between(1, 30));
  } else if (type == "email_open") {
    static constexpr std::array<std::string_view, 4> campaigns{"双十一促销", "新品发布会邀请",
                                                               "年度客户回馈", "行业白皮书推送"};
    e.custom.set("campaign", pick(r, campaigns));
  } else if (type == "form_submit") {
    static constexpr std::array<std::string_view, 3> forms{"试用申请", "报价咨询", "活动报名"};
    e.custom.set("form", pick(r, forms));
  }
}

void make_events(context& ctx, dataset& out) {
  const options& o = ctx.opts;
  if (out.customers.empty() || o.events_per_customer == 0) return;
  rng r(o.seed, stream_events);
  const timestamp now = o.now;
  const std::size_t total = out.customers.size() * o.events_per_customer;

  // Better accounts are more active: A 8, B 4, C 2, D 1 (mean events_per_customer overall).
  std::vector<std::uint64_t> cumulative;
  cumulative.reserve(out.customers.size());
  std::uint64_t sum = 0;
  for (const auto& cu : out.customers) {
    const char tier = cu.tier.empty() ? 'D' : cu.tier[0];
    sum += tier == 'A' ? 8 : tier == 'B' ? 4 : tier == 'C' ? 2 : 1;
    cumulative.push_back(sum);
  }

  std::vector<event> events;
  events.reserve(total);
  for (std::size_t k = 0; k < total; ++k) {
    const std::uint64_t roll = r.below(sum);
    const auto ci = static_cast<std::size_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), roll) - cumulative.begin());
    const customer& cu = out.customers[ci];
    event e;
    const event_kind& kind = event_kinds[pick_weighted(r, event_kinds)];
    e.type = std::string(kind.type);
    const timestamp from = std::max(now - days{90}, cu.created_at);
    e.at = sample_time(r, from, now, kind.type == "wechat_message" ? evening_hours : office_hours);
    e.customer = cu.id;
    std::size_t channels = 0;
    while (channels < kind.channels.size() && !kind.channels[channels].empty())
      ++channels;
    e.channel = std::string(kind.channels[r.index(channels)]);
    event_details(r, e);
    events.push_back(std::move(e));
  }
  // Time order (generation order among equal times), then sequential ids.
  std::vector<std::pair<timestamp, std::size_t>> order;
  order.reserve(events.size());
  for (std::size_t k = 0; k < events.size(); ++k)
    order.emplace_back(events[k].at, k);
  std::sort(order.begin(), order.end());
  const std::size_t id_width = std::max<std::size_t>(7, std::to_string(total).size());
  out.events.reserve(total);
  for (std::size_t k = 0; k < order.size(); ++k) {
    event& e = events[order[k].second];
    e.id = event_id{padded("E", k + 1, id_width)};
    out.events.push_back(std::move(e));
  }
}

}  // namespace

dataset generate(const options& opts) {
  dataset out;
  context ctx{opts, {}, {}, {}, {}};
  make_reps(ctx, out);
  make_customers(ctx, out);
  make_leads(ctx, out);
  make_events(ctx, out);
  return out;
}

}  // namespace crmrules::sample
