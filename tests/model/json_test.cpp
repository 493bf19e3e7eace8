#include "crmrules/model/json.hpp"

#include <catch2/catch.hpp>

using namespace crmrules;
using namespace std::chrono;

namespace {
timestamp at(const char* text) {
  return *parse_timestamp(text);
}
}  // namespace

TEST_CASE("a lead with every field set round trips through JSON", "[model][json]") {
  lead l;
  l.id = lead_id{"L000001"};
  l.version = 3;
  l.source = "官网表单";
  l.channel = "2026双十一";
  l.created_at = at("2026-11-20T09:00:00+08:00");
  l.company_name = "上海瑞金医院有限公司";
  l.contact_name = "张伟";
  l.phone = "+86-138 0013 8000";
  l.email = "zhang.wei@ruijin.com";
  l.region = "华东";
  l.industry = "医疗";
  l.budget = money::parse("50万").value();
  l.tags = {"二次访问", "VIP"};
  l.status = lead_status::assigned;
  l.owner = rep_id{"R001"};
  l.assigned_at = at("2026-11-20T10:00:00Z");
  l.customer = customer_id{"C1"};
  l.custom.set("近30天互动频次", 4);
  l.custom.set("score", 0.75);
  l.custom.set("合同额", money::from_major(12));
  l.custom.set("下次回访", at("2026-12-01T00:00:00Z"));
  l.custom.set("响应时限", hours(2));
  l.custom.set("标签组", value::string_list{"a", "b"});
  l.custom.set("blank", value{});
  l.custom.set("flag", true);

  const std::string text = to_json(l);
  CHECK_THAT(text, Catch::Contains(R"("budget":"500000.00")"));
  CHECK_THAT(text, Catch::Contains(R"("created_at":"2026-11-20T01:00:00Z")"));
  CHECK_THAT(text, Catch::Contains(R"("合同额":{"$money":"12.00"})"));
  auto back = from_json<lead>(text);
  REQUIRE(back);
  CHECK(*back == l);
}

TEST_CASE("default-valued fields are left out of the JSON and restored on read", "[model][json]") {
  rep r;
  r.id = rep_id{"R1"};
  const std::string text = to_json(r);
  CHECK(text == R"({"id":"R1"})");
  auto back = from_json<rep>(text);
  REQUIRE(back);
  CHECK(back->active);
  CHECK(back->accepts_leads);
  r.active = false;
  CHECK_THAT(to_json(r), Catch::Contains(R"("active":false)"));
}

TEST_CASE("nested rep leave and opportunity evidence round trip", "[model][json]") {
  rep r;
  r.id = rep_id{"R2"};
  r.leave = {{at("2026-11-18"), at("2026-11-25")}};
  r.avg_response = minutes(45);
  r.daily_cap = 20;
  auto rb = from_json<rep>(to_json(r));
  REQUIRE(rb);
  CHECK(*rb == r);

  opportunity o;
  o.id = opportunity_id{"O1"};
  o.stage = "需求分析";
  o.amount = money::from_major(300000);
  o.evidence = {
      {"ev1",
       evidence_type::meeting_minutes,
       "需求分析",
       "doc://m1",
       {"张伟", "李娜"},
       at("2026-11-19")},
      {"ev2", evidence_type::call_recording, "初步接触", "rec://9", {}, at("2026-11-10")}};
  o.lost_reasons = {{"price", true, "note-1"}, {"timing", false, "act-2"}};
  auto ob = from_json<opportunity>(to_json(o));
  REQUIRE(ob);
  CHECK(*ob == o);
}

TEST_CASE("decoding refuses unknown keys, wrong types and bad values, naming the key",
          "[model][json]") {
  auto unknown = from_json<lead>(R"({"id":"L1","sauce":"x"})");
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().message(), Catch::Contains("unknown field 'sauce'"));

  auto wrong = from_json<lead>(R"({"id":"L1","tags":"a,b"})");
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.error().message(), Catch::Contains("'tags' must be an array of strings"));

  auto bad_time = from_json<lead>(R"({"id":"L1","created_at":"yesterday"})");
  REQUIRE_FALSE(bad_time);
  CHECK_THAT(bad_time.error().message(), Catch::Contains("created_at"));

  auto bad_status = from_json<lead>(R"({"id":"L1","status":"flying"})");
  REQUIRE_FALSE(bad_status);
  CHECK_THAT(bad_status.error().message(), Catch::Contains("unknown value 'flying'"));

  CHECK_FALSE(from_json<lead>("[1,2]"));
  CHECK_FALSE(from_json<lead>(R"({"id":"L1",)"));
  CHECK_FALSE(from_json<lead>("{\"id\":\"\xff\"}"));  // invalid UTF-8
  CHECK_FALSE(from_json<rep>(R"({"id":"R1","leave":[{"from":"2026-11-01"}]})"));
  CHECK_FALSE(from_json<opportunity>(R"({"id":"O1","evidence":[{"id":"e","type":"selfie"}]})"));
}

TEST_CASE("money accepts numbers and Chinese magnitudes on input", "[model][json]") {
  CHECK(from_json<lead>(R"({"id":"L1","budget":500000})")->budget == money::from_major(500000));
  CHECK(from_json<lead>(R"({"id":"L1","budget":"50万"})")->budget == money::from_major(500000));
  CHECK(from_json<lead>(R"({"id":"L1","budget":1234.56})")->budget == money::from_minor(123456));
  CHECK_FALSE(from_json<lead>(R"({"id":"L1","budget":true})"));
  CHECK_FALSE(from_json<lead>(R"({"id":"L1","budget":1e300})"));
}

TEST_CASE("decisions round trip through JSON", "[model][json]") {
  decision d{7,
             at("2026-11-20T01:00:00Z"),
             decision_kind::fallback,
             {record_kind::lead, "fb_1"},
             "crmrules.assign",
             "no rule covers channel facebook_ads",
             R"({"candidates":0})"};
  auto back = decision_from_json(to_json(d));
  REQUIRE(back);
  CHECK(*back == d);
  CHECK_FALSE(decision_from_json(R"({"kind":"tea"})"));
}

TEST_CASE("custom values keep their type exactly through JSON", "[model][json]") {
  for (const value& v :
       {value{}, value(true), value(-5), value(2.5), value(money::from_minor(-1)), value("文本"),
        value(at("2026-01-01T00:00:00Z")), value(hours(3)), value(value::string_list{"x"})}) {
    INFO(v.to_string());
    auto back = value_from_json(value_to_json(v));
    REQUIRE(back);
    CHECK(*back == v);
  }
  CHECK_FALSE(value_from_json(R"({"$planet":"mars"})"));
  CHECK_FALSE(value_from_json("[1]"));
}

TEST_CASE("decoding refuses deeply nested JSON with an error instead of crashing",
          "[model][json]") {
  std::string deep = R"({"id":"L1","custom":{"x":)";
  deep += std::string(200000, '[') + std::string(200000, ']') + "}}";
  auto r = from_json<lead>(deep);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message(), Catch::Contains("nested more than"));
  CHECK(r.error().message().size() < 200);
}

TEST_CASE("decoding refuses duplicate keys and a missing id", "[model][json]") {
  auto dup = from_json<lead>(R"({"id":"L1","source":"a","source":"b"})");
  REQUIRE_FALSE(dup);
  CHECK_THAT(dup.error().message(), Catch::Contains("duplicate key 'source'"));
  auto no_id = from_json<lead>(R"({"source":"官网表单"})");
  REQUIRE_FALSE(no_id);
  CHECK_THAT(no_id.error().message(), Catch::Contains("missing or empty 'id'"));
  CHECK_FALSE(from_json<lead>("{}"));
}

TEST_CASE("amounts given as JSON numbers are refused rather than wrapped, saturated or rounded",
          "[model][json]") {
  for (const char* bad : {R"({"id":"L1","budget":18446744073709551615})",
                          R"({"id":"L1","budget":100000000000000000})",
                          R"({"id":"L1","budget":12.345})", R"({"id":"L1","budget":1e20})"}) {
    INFO(bad);
    auto r = from_json<lead>(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("budget"));
  }
  CHECK(from_json<lead>(R"({"id":"L1","budget":12.34})")->budget == money::from_minor(1234));
  CHECK(from_json<lead>(R"({"id":"L1","budget":-7})")->budget == money::from_major(-7));
}

TEST_CASE("a wrong-typed array in a record is described without printing it", "[model][json]") {
  std::string big = R"({"id":"L1","phone":[)";
  for (int i = 0; i < 10000; ++i)
    big += (i ? "," : "") + std::to_string(i);
  big += "]}";
  auto r = from_json<lead>(big);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().size() < 120);
  CHECK_THAT(r.error().message(), Catch::Contains("must be a string, got array"));
}
