#include "crmrules_sample/sample.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/json.hpp"
#include "crmrules/model/validate.hpp"

using namespace crmrules;
namespace sample = crmrules::sample;

namespace {

const sample::dataset& default_data() {
  static const sample::dataset data = sample::generate();
  return data;
}

sample::options small_options() {
  sample::options o;
  o.leads = 1500;
  o.reps = 12;
  o.customers = 300;
  o.events_per_customer = 4;
  return o;
}

template <class R>
std::string jsonl(const std::vector<R>& records) {
  std::string out;
  for (const auto& r : records)
    out += to_json(r) + "\n";
  return out;
}

std::string all_json(const sample::dataset& d) {
  std::string out =
      jsonl(d.teams) + jsonl(d.reps) + jsonl(d.customers) + jsonl(d.leads) + jsonl(d.events);
  for (const auto& t : d.duplicates)
    out += sample::to_json(t) + "\n";
  return out;
}

// GB 32100-2015, written independently of the generator.
char uscc_check_character(std::string_view first17) {
  constexpr std::string_view charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  constexpr int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i)
    sum += static_cast<int>(charset.find(first17[i])) * weights[i];
  return charset[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

// GB 11714-1997 check character of the organisation code (USCC positions 9-17).
char org_code_check_character(std::string_view first8) {
  constexpr int weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const char c = first8[i];
    sum += (c <= '9' ? c - '0' : c - 'A' + 10) * weights[i];
  }
  const int check = 11 - sum % 11;
  return check == 10 ? 'X' : check == 11 ? '0' : static_cast<char>('0' + check);
}

std::vector<std::string> code_points(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::filesystem::path temp_dir(std::string_view name) {
  const char* env = std::getenv("CRMRULES_TEST_TMPDIR");
  std::filesystem::path base =
      env != nullptr ? std::filesystem::path(env) : std::filesystem::temp_directory_path();
  return base / name;
}

template <class R>
std::vector<R> read_jsonl(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::vector<R> out;
  std::string line;
  while (std::getline(in, line)) {
    auto r = from_json<R>(line);
    INFO(line);
    REQUIRE(r.ok());
    out.push_back(std::move(*r));
  }
  return out;
}

const std::set<std::string> seven_regions{"华东", "华南", "华北", "华中", "西南", "西北", "东北"};

}  // namespace

// Plain character-class checks (std::regex trips a GCC 12 false positive under the sanitizer
// preset, and is slow besides).
bool all_of_class(std::string_view s, std::string_view allowed) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return allowed.find(c) != std::string_view::npos; });
}
constexpr std::string_view digits = "0123456789";
constexpr std::string_view uscc_chars = "0123456789ABCDEFGHJKLMNPQRTUWXY";

bool is_uscc_shape(const std::string& u) {
  return u.size() == 18 && (u.starts_with("91") || u.starts_with("12") || u.starts_with("52")) &&
         all_of_class(std::string_view(u).substr(2, 6), digits) &&
         all_of_class(std::string_view(u).substr(8), uscc_chars);
}
bool is_e164_mobile(const std::string& p) {  // +861[3-9] then 9 digits
  return p.size() == 14 && p.starts_with("+861") && p[4] >= '3' && p[4] <= '9' &&
         all_of_class(std::string_view(p).substr(5), digits);
}
bool is_e164_landline(
    const std::string& p) {  // +86, area code 1-2 digits after a nonzero, subscriber 7-8 from [2-8]
  if (!p.starts_with("+86") || p.size() < 3 + 2 + 7 || p.size() > 3 + 3 + 8) return false;
  const std::string_view rest = std::string_view(p).substr(3);
  if (rest[0] < '1' || rest[0] > '9' || !all_of_class(rest, digits)) return false;
  for (std::size_t area = 2; area <= 3; ++area) {
    const std::size_t subscriber = rest.size() - area;
    if ((subscriber == 7 || subscriber == 8) && rest[area] >= '2' && rest[area] <= '8') return true;
  }
  return false;
}
bool is_fb_id(const std::string& id) {  // fb_ then 16 digits, the first nonzero
  return id.size() == 19 && id.starts_with("fb_") && id[3] >= '1' && id[3] <= '9' &&
         all_of_class(std::string_view(id).substr(3), digits);
}

TEST_CASE("the rng gives the same sequence for the same seed and stream", "[sample][rng]") {
  sample::rng a(42);
  sample::rng b(42);
  sample::rng other_seed(43);
  sample::rng other_stream(42, 1);
  bool seed_differs = false;
  bool stream_differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    seed_differs = seed_differs || x != other_seed.next();
    stream_differs = stream_differs || x != other_stream.next();
  }
  CHECK(seed_differs);
  CHECK(stream_differs);
}

TEST_CASE("the rng output is pinned, so every platform produces the same data", "[sample][rng]") {
  // splitmix64 seeding + xoshiro256** + our own bounded integers and doubles: nothing here
  // depends on the standard library's distributions. If these change, every data set changes.
  sample::rng r(20261122);
  const std::uint64_t first = r.next();
  const std::uint64_t bounded = r.below(1000);
  const double unit = r.unit();
  sample::rng again(20261122);
  CHECK(again.next() == first);
  CHECK(again.below(1000) == bounded);
  CHECK(again.unit() == unit);
  CHECK(first == 0xc6c1e1fd6b4b91c4ULL);
  CHECK(bounded == 506);
  CHECK(unit == 0.8892139754696841);
}

TEST_CASE("the rng stays within its bounds", "[sample][rng]") {
  sample::rng r(7);
  std::vector<int> seen(10, 0);
  for (int i = 0; i < 10'000; ++i) {
    const auto b = r.below(10);
    REQUIRE(b < 10);
    ++seen[b];
    const auto v = r.between(-3, 3);
    REQUIRE(v >= -3);
    REQUIRE(v <= 3);
    const double u = r.unit();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
  }
  for (int count : seen)
    CHECK(count > 850);  // roughly uniform: 1000 expected each
  CHECK(r.below(0) == 0);
  CHECK(r.between(5, 5) == 5);
  CHECK(r.between(5, 4) == 5);
  CHECK_FALSE(r.chance(0.0));
  CHECK(r.chance(1.0));
}

TEST_CASE("generating twice with the same options gives the same data set, byte for byte",
          "[sample]") {
  const auto a = sample::generate(small_options());
  const auto b = sample::generate(small_options());
  CHECK(a == b);
  CHECK(all_json(a) == all_json(b));
  CHECK(sample::generate() == default_data());
}

TEST_CASE("a different seed gives a different data set", "[sample]") {
  auto o = small_options();
  const auto a = sample::generate(o);
  o.seed += 1;
  const auto b = sample::generate(o);
  CHECK(a.customers != b.customers);
  CHECK(a.leads != b.leads);
  CHECK(a.reps != b.reps);
  CHECK(a.events != b.events);
}

TEST_CASE("asking for more leads leaves the reps and customers unchanged", "[sample]") {
  auto o = small_options();
  const auto a = sample::generate(o);
  o.leads *= 2;
  const auto b = sample::generate(o);
  CHECK(a.reps == b.reps);
  CHECK(a.teams == b.teams);
  CHECK(a.customers == b.customers);
  CHECK(a.events == b.events);
}

TEST_CASE("requested counts are honoured", "[sample]") {
  const auto& d = default_data();
  CHECK(d.leads.size() == 10000);
  CHECK(d.reps.size() == 50);
  CHECK(d.customers.size() == 2000);
  CHECK(d.events.size() == 2000 * 10);
  CHECK(d.teams.size() == 7);

  sample::options o;
  o.leads = 37;
  o.reps = 3;
  o.customers = 11;
  o.events_per_customer = 2;
  const auto s = sample::generate(o);
  CHECK(s.leads.size() == 37);
  CHECK(s.reps.size() == 3);
  CHECK(s.customers.size() == 11);
  CHECK(s.events.size() == 22);
  CHECK(s.teams.size() == 1);

  o.leads = o.reps = o.customers = o.events_per_customer = 0;
  const auto empty = sample::generate(o);
  CHECK(empty.leads.empty());
  CHECK(empty.reps.empty());
  CHECK(empty.teams.empty());
  CHECK(empty.customers.empty());
  CHECK(empty.events.empty());
  CHECK(empty.duplicates.empty());

  o.leads = 50;  // leads without customers: no customer variants to plant
  o.reps = 1;
  const auto no_customers = sample::generate(o);
  CHECK(no_customers.leads.size() == 50);
  CHECK(no_customers.reps.size() == 1);
  CHECK(std::none_of(no_customers.duplicates.begin(), no_customers.duplicates.end(),
                     [](const auto& t) { return t.original.kind == record_kind::customer; }));
}

TEST_CASE("every generated record passes validation", "[sample]") {
  const auto& d = default_data();
  auto check_all = [](const auto& records) {
    for (const auto& r : records) {
      const status s = validate(r);
      INFO(r.id.str() << ": " << s.to_string());
      REQUIRE(s.ok());
    }
  };
  check_all(d.teams);
  check_all(d.reps);
  check_all(d.customers);
  check_all(d.leads);
  check_all(d.events);
}

TEST_CASE("customer USCCs are well formed with correct check characters", "[sample][uscc]") {
  const std::set<std::string> province_codes{"11", "12", "13", "14", "15", "21", "22", "23",
                                             "31", "32", "33", "34", "35", "36", "37", "41",
                                             "42", "43", "44", "45", "46", "50", "51", "52",
                                             "53", "54", "61", "62", "63", "64", "65"};
  std::set<std::string> seen;
  std::size_t with_code = 0;
  for (const auto& c : default_data().customers) {
    if (c.uscc.empty()) continue;
    ++with_code;
    INFO(c.id.str() << " " << c.name << " " << c.uscc);
    REQUIRE(c.uscc.size() == 18);
    CHECK(is_uscc_shape(c.uscc));
    CHECK(province_codes.contains(c.uscc.substr(2, 2)));
    CHECK(c.uscc[17] == uscc_check_character(c.uscc.substr(0, 17)));
    CHECK(c.uscc[16] == org_code_check_character(c.uscc.substr(8, 8)));
    CHECK(seen.insert(c.uscc).second);
    const bool institution = c.name.ends_with("医院") || c.name.ends_with("院") ||
                             c.name.ends_with("学校") || c.name.ends_with("中学") ||
                             c.name.ends_with("小学");
    if (!institution) CHECK(c.uscc.starts_with("91"));
  }
  CHECK(with_code > 1900);  // about 96% have one
}

TEST_CASE("customers look like real accounts", "[sample]") {
  std::size_t e164 = 0;
  std::size_t phones = 0;
  std::set<std::string> names;
  for (const auto& c : default_data().customers) {
    INFO(c.id.str() << " " << c.name);
    CHECK(names.insert(c.name).second);
    CHECK(seven_regions.contains(c.region));
    CHECK_FALSE(c.industry.empty());
    CHECK((c.tier == "A" || c.tier == "B" || c.tier == "C" || c.tier == "D"));
    CHECK_FALSE(c.phones.empty());
    for (const auto& p : c.phones) {
      ++phones;
      if (is_e164_mobile(p) || is_e164_landline(p)) ++e164;
    }
    for (const auto& e : c.emails)
      CHECK(e.find('@') != std::string::npos);
    CHECK(c.created_at <= c.updated_at);
    CHECK(c.updated_at <= sample::options{}.now);
    CHECK(c.created_at >= sample::options{}.now - std::chrono::days{731});
  }
  CHECK(e164 > phones * 85 / 100);
}

TEST_CASE("about 3% of leads come from Facebook ads and carry fb_ ids", "[sample]") {
  const auto& leads = default_data().leads;
  std::size_t fb = 0;
  std::size_t numbered = 0;
  for (const auto& l : leads) {
    INFO(l.id.str());
    if (l.id.str().starts_with("fb_")) {
      ++fb;
      CHECK(is_fb_id(l.id.str()));
      CHECK(l.source == "facebook_ads");
    } else {
      ++numbered;
      CHECK(l.source != "facebook_ads");
      CHECK(l.id.str() ==
            "L" + std::string(6 - std::min<std::size_t>(6, std::to_string(numbered).size()), '0') +
                std::to_string(numbered));
    }
  }
  const double share = static_cast<double>(fb) / static_cast<double>(leads.size());
  CHECK(share > 0.02);
  CHECK(share < 0.04);
}

TEST_CASE("every id is unique", "[sample]") {
  const auto& d = default_data();
  auto unique = [](const auto& records) {
    std::set<std::string> ids;
    for (const auto& r : records)
      ids.insert(r.id.str());
    return ids.size() == records.size();
  };
  CHECK(unique(d.leads));
  CHECK(unique(d.customers));
  CHECK(unique(d.reps));
  CHECK(unique(d.teams));
  CHECK(unique(d.events));
}

TEST_CASE("leads look like what forms, ads and calls deliver", "[sample]") {
  const auto& d = default_data();
  const auto now = sample::options{}.now;
  std::set<std::string> sources;
  std::size_t no_phone = 0;
  std::size_t junk = 0;
  std::size_t with_budget = 0;
  for (std::size_t i = 0; i < d.leads.size(); ++i) {
    const auto& l = d.leads[i];
    INFO(l.id.str());
    sources.insert(l.source);
    CHECK(l.status == lead_status::unassigned);
    CHECK_FALSE(l.owner.has_value());
    CHECK(l.created_at < now);
    CHECK(l.created_at >= now - std::chrono::days{30});
    if (i > 0) CHECK(d.leads[i - 1].created_at <= l.created_at);
    if (l.phone.empty()) ++no_phone;
    if (l.phone == "13800138000" || l.email == "test@example.com") ++junk;
    if (l.budget) {
      ++with_budget;
      CHECK(*l.budget >= money::from_major(10'000));
      CHECK(*l.budget <= money::from_major(5'000'000));
    }
    CHECK((l.region.empty() || seven_regions.contains(l.region)));
    const value* freq = l.custom.find("近30天互动频次");
    REQUIRE(freq != nullptr);
    REQUIRE(freq->get_if<std::int64_t>() != nullptr);
    CHECK(*freq->get_if<std::int64_t>() >= 0);
    CHECK(*freq->get_if<std::int64_t>() <= 10);
  }
  CHECK(sources == std::set<std::string>{"官网表单", "抖音私信", "展会扫码", "转介绍", "百度推广",
                                         "电话咨询", "facebook_ads"});
  CHECK(no_phone > 500);
  CHECK(no_phone < 2500);
  CHECK(junk > 0);
  CHECK(with_budget > 5000);
  CHECK(with_budget < 7000);
}

TEST_CASE("duplicate variants of customers are planted at about the requested rate",
          "[sample][dedup]") {
  auto check_rate = [](const sample::dataset& d, double rate) {
    std::map<std::string, const customer*> customers;
    for (const auto& c : d.customers)
      customers[c.id.str()] = &c;
    std::map<std::string, std::size_t> lead_index;
    for (std::size_t i = 0; i < d.leads.size(); ++i)
      lead_index[d.leads[i].id.str()] = i;

    std::size_t variants = 0;
    std::size_t repeats = 0;
    for (const auto& t : d.duplicates) {
      INFO(t.lead.str() << " ~ " << t.original.id << " (" << t.change << ")");
      REQUIRE(lead_index.contains(t.lead.str()));
      const lead& l = d.leads[lead_index[t.lead.str()]];
      CHECK_FALSE(t.change.empty());
      if (t.original.kind == record_kind::customer) {
        ++variants;
        REQUIRE(customers.contains(t.original.id));
        const std::string& original = customers[t.original.id]->name;
        CHECK(l.company_name != original);  // a variant, not a copy
        if (!is_ascii(l.company_name)) {
          // Recognisably the same name: at least half its characters come from the original.
          const auto mine = code_points(l.company_name);
          const auto theirs = code_points(original);
          const auto shared = std::count_if(mine.begin(), mine.end(), [&](const std::string& cp) {
            return std::find(theirs.begin(), theirs.end(), cp) != theirs.end();
          });
          CHECK(static_cast<std::size_t>(shared) * 2 >= mine.size());
        }
      } else {
        ++repeats;
        REQUIRE(t.original.kind == record_kind::lead);
        REQUIRE(lead_index.contains(t.original.id));
        CHECK(lead_index[t.original.id] < lead_index[t.lead.str()]);  // repeats come later
      }
    }
    const auto expected =
        static_cast<std::size_t>(std::llround(static_cast<double>(d.leads.size()) * rate));
    CHECK(variants == expected);
    CHECK(repeats > 0);
    CHECK(repeats <= d.leads.size() * 3 / 100);
  };
  check_rate(default_data(), 0.10);

  auto o = small_options();
  o.duplicate_rate = 0.25;
  check_rate(sample::generate(o), 0.25);
}

TEST_CASE("every kind of name change appears among the planted duplicates", "[sample][dedup]") {
  std::set<std::string> kinds;
  for (const auto& t : default_data().duplicates) {
    std::size_t start = 0;
    for (;;) {
      const auto plus = t.change.find('+', start);
      kinds.insert(t.change.substr(start, plus - start));
      if (plus == std::string::npos) break;
      start = plus + 1;
    }
  }
  CHECK(kinds ==
        std::set<std::string>{"region", "org_form", "brackets", "typo", "english", "exact"});
}

TEST_CASE("reps include someone on leave, someone inactive and a new hire", "[sample][reps]") {
  const auto now = sample::options{}.now;
  std::size_t on_leave = 0;
  std::size_t inactive = 0;
  std::size_t new_hires = 0;
  for (const auto& r : default_data().reps) {
    if (r.on_leave(now)) ++on_leave;
    if (!r.active) ++inactive;
    if (r.hired_at && *r.hired_at > now - std::chrono::days{7}) ++new_hires;
    if (!r.active) CHECK_FALSE(r.accepts_leads);
    for (const auto& region : r.regions)
      CHECK(seven_regions.contains(region));
  }
  CHECK(on_leave >= 1);
  CHECK(inactive >= 1);
  CHECK(new_hires >= 1);
  CHECK(on_leave + inactive + new_hires < 20);  // a few, not most

  // Also with very few reps: one director, one manager, three plain reps.
  sample::options o;
  o.reps = 5;
  const auto few = sample::generate(o);
  CHECK(std::count_if(few.reps.begin(), few.reps.end(),
                      [&](const rep& r) { return r.on_leave(now); }) >= 1);
  CHECK(std::count_if(few.reps.begin(), few.reps.end(), [](const rep& r) { return !r.active; }) >=
        1);
}

TEST_CASE("there is exactly one director, available as the fallback assignee", "[sample][reps]") {
  const auto& reps = default_data().reps;
  const auto directors =
      std::count_if(reps.begin(), reps.end(), [](const rep& r) { return r.role == "director"; });
  REQUIRE(directors == 1);
  const auto& d =
      *std::find_if(reps.begin(), reps.end(), [](const rep& r) { return r.role == "director"; });
  CHECK(d.active);
  CHECK(d.accepts_leads);
  CHECK_FALSE(d.on_leave(sample::options{}.now));
  CHECK(d.regions.size() == 7);
  for (const auto& r : reps) {
    CHECK((r.role == "director" || r.role == "manager" || r.role == "senior" || r.role == "sales"));
  }
}

TEST_CASE("each team has a manager who belongs to it", "[sample][reps]") {
  const auto& d = default_data();
  for (const auto& t : d.teams) {
    INFO(t.id.str() << " " << t.name);
    REQUIRE(t.manager.has_value());
    const auto m = std::find_if(d.reps.begin(), d.reps.end(),
                                [&](const rep& r) { return r.id == *t.manager; });
    REQUIRE(m != d.reps.end());
    CHECK(m->role == "manager");
    CHECK(m->team == t.id);
    const auto members =
        std::count_if(d.reps.begin(), d.reps.end(), [&](const rep& r) { return r.team == t.id; });
    CHECK(members >= 5);
  }
}

TEST_CASE("events are customer touchpoints in the last 90 days, in time order",
          "[sample][events]") {
  const auto& d = default_data();
  const auto now = sample::options{}.now;
  const std::set<std::string> types{"site_visit",     "whitepaper_download", "demo_attended",
                                    "tech_consult",   "quote_request",       "call",
                                    "wechat_message", "email_open",          "form_submit"};
  std::map<std::string, timestamp> created;
  for (const auto& c : d.customers)
    created[c.id.str()] = c.created_at;
  std::set<std::string> seen_types;
  for (std::size_t i = 0; i < d.events.size(); ++i) {
    const auto& e = d.events[i];
    INFO(e.id.str());
    CHECK(e.id.str() ==
          "E" + std::string(7 - std::to_string(i + 1).size(), '0') + std::to_string(i + 1));
    CHECK(types.contains(e.type));
    seen_types.insert(e.type);
    REQUIRE(e.customer.has_value());
    REQUIRE(created.contains(e.customer->str()));
    CHECK(e.at >= created[e.customer->str()]);
    CHECK(e.at >= now - std::chrono::days{90});
    CHECK(e.at < now);
    if (i > 0) CHECK(d.events[i - 1].at <= e.at);
  }
  CHECK(seen_types == types);
}

TEST_CASE("write_jsonl output parses back into the same data set", "[sample][io]") {
  const auto d = sample::generate(small_options());
  const auto dir = temp_dir("crmrules_sample_roundtrip");
  std::filesystem::remove_all(dir);
  REQUIRE(sample::write_jsonl(d, dir).ok());

  CHECK(read_jsonl<team>(dir / "teams.jsonl") == d.teams);
  CHECK(read_jsonl<rep>(dir / "reps.jsonl") == d.reps);
  CHECK(read_jsonl<customer>(dir / "customers.jsonl") == d.customers);
  CHECK(read_jsonl<lead>(dir / "leads.jsonl") == d.leads);
  CHECK(read_jsonl<event>(dir / "events.jsonl") == d.events);

  std::ifstream truth(dir / "duplicates.jsonl", std::ios::binary);
  std::string line;
  std::size_t k = 0;
  while (std::getline(truth, line)) {
    REQUIRE(k < d.duplicates.size());
    CHECK(line == sample::to_json(d.duplicates[k]));
    ++k;
  }
  CHECK(k == d.duplicates.size());

  // Writing again gives the same bytes.
  std::ifstream first(dir / "leads.jsonl", std::ios::binary);
  const std::string before((std::istreambuf_iterator<char>(first)),
                           std::istreambuf_iterator<char>());
  REQUIRE(sample::write_jsonl(d, dir).ok());
  std::ifstream second(dir / "leads.jsonl", std::ios::binary);
  const std::string after((std::istreambuf_iterator<char>(second)),
                          std::istreambuf_iterator<char>());
  CHECK(before == after);
  CHECK(before == jsonl(d.leads));
  std::filesystem::remove_all(dir);
}

TEST_CASE("write_jsonl reports a directory it cannot create", "[sample][io]") {
  const auto file = temp_dir("crmrules_sample_not_a_dir");
  std::filesystem::remove_all(file);
  std::ofstream(file) << "x";
  const status s = sample::write_jsonl(sample::dataset{}, file / "sub");
  CHECK_FALSE(s.ok());
  std::filesystem::remove_all(file);
}
