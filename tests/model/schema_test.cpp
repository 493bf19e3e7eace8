#include "crmrules/model/schema.hpp"

#include <catch2/catch.hpp>

using namespace crmrules;

namespace {
field_def custom(std::string name, value_type type, std::vector<std::string> aliases = {}) {
  field_def f;
  f.name = std::move(name);
  f.type = type;
  f.aliases = std::move(aliases);
  return f;
}
}  // namespace

TEST_CASE("the built-in lead schema resolves English names and default Chinese aliases",
          "[model][schema]") {
  schema s(record_kind::lead);
  const field_def* source = s.find("线索来源");
  REQUIRE(source != nullptr);
  CHECK(source->name == "source");
  CHECK(source->builtin);
  CHECK(s.find("source") == source);
  CHECK(s.find("客户预算")->name == "budget");
  CHECK(s.find("客户预算")->type == value_type::money);
  CHECK(s.find("nonexistent") == nullptr);
  CHECK(s.find("Source") == nullptr);  // field names are exact
}

TEST_CASE("every record kind has a schema with an id field and unique spellings",
          "[model][schema]") {
  schema_set all;
  for (std::size_t k = 0; k < record_kind_count; ++k) {
    const schema& s = all.of(static_cast<record_kind>(k));
    INFO(to_string(s.kind()));
    REQUIRE(s.find("id") != nullptr);
    auto spellings = s.spellings();
    std::sort(spellings.begin(), spellings.end());
    CHECK(std::adjacent_find(spellings.begin(), spellings.end()) == spellings.end());
  }
}

TEST_CASE("custom fields are added with aliases and refused when they clash", "[model][schema]") {
  schema s(record_kind::lead);
  REQUIRE(s.add_field(custom("近30天互动频次", value_type::integer, {"interactions_30d"})).ok());
  CHECK(s.find("interactions_30d")->name == "近30天互动频次");
  CHECK_FALSE(s.find("interactions_30d")->builtin);

  auto clash = s.add_field(custom("线索来源", value_type::string));
  CHECK(clash.is_already_exists());
  CHECK_THAT(clash.message(), Catch::Contains("alias of field 'source'"));
  CHECK(s.add_field(custom("x", value_type::null)).is_invalid_argument());
  CHECK(s.add_field(custom("", value_type::string)).is_invalid_argument());
  CHECK(s.add_field(custom("a\nb", value_type::string)).is_invalid_argument());
  CHECK(s.add_field(custom("y", value_type::string, {"z", "z"})).is_already_exists());
  CHECK(s.find("y") == nullptr);  // a refused field leaves nothing behind
  CHECK(s.find("z") == nullptr);
}

TEST_CASE("aliases can be added to built-in fields", "[model][schema]") {
  schema s(record_kind::lead);
  REQUIRE(s.add_alias("source", "来源渠道").ok());
  CHECK(s.find("来源渠道")->name == "source");
  CHECK(s.add_alias("nope", "x").is_not_found());
  CHECK(s.add_alias("source", "负责人").is_already_exists());
}

TEST_CASE("read_field and write_field reach built-in and custom fields by schema",
          "[model][schema]") {
  schema s(record_kind::lead);
  REQUIRE(s.add_field(custom("课程偏好", value_type::string)).ok());
  REQUIRE(s.add_field(custom("score", value_type::decimal)).ok());
  lead l;
  REQUIRE(write_field(l, *s.find("线索来源"), value("官网表单")).ok());
  REQUIRE(write_field(l, *s.find("budget"), value(money::from_major(500000))).ok());
  REQUIRE(write_field(l, *s.find("owner"), value("R001")).ok());
  REQUIRE(write_field(l, *s.find("status"), value("assigned")).ok());
  REQUIRE(write_field(l, *s.find("课程偏好"), value("Python")).ok());
  REQUIRE(write_field(l, *s.find("score"), value(3)).ok());  // integer widened to decimal
  CHECK(l.source == "官网表单");
  CHECK(l.budget == money::from_major(500000));
  CHECK(l.owner == rep_id{"R001"});
  CHECK(l.status == lead_status::assigned);
  CHECK(read_field(l, *s.find("课程偏好")) == value("Python"));
  CHECK(read_field(l, *s.find("score")) == value(3.0));
  CHECK(read_field(l, *s.find("first_touch_at")).is_null());

  CHECK(write_field(l, *s.find("budget"), value("lots")).is_invalid_argument());
  CHECK(l.budget == money::from_major(500000));  // unchanged on error
  CHECK(write_field(l, *s.find("status"), value("flying")).is_invalid_argument());
  CHECK(write_field(l, *s.find("课程偏好"), value(1)).is_invalid_argument());
  REQUIRE(write_field(l, *s.find("owner"), value{}).ok());
  CHECK_FALSE(l.owner.has_value());
}

TEST_CASE("timer subjects are reachable as two string fields", "[model][schema]") {
  schema s(record_kind::timer);
  timer t;
  REQUIRE(write_field(t, *s.find("subject_kind"), value("opportunity")).ok());
  REQUIRE(write_field(t, *s.find("subject_id"), value("O1")).ok());
  CHECK(t.subject == record_ref{record_kind::opportunity, "O1"});
  CHECK(write_field(t, *s.find("subject_kind"), value("planet")).is_invalid_argument());
}
