#include "csv_reader.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crmrules/model/value.hpp"
#include "input.hpp"

using namespace crmrules;
using namespace crmrules::cli;

namespace {

struct read_all {
  std::vector<csv_record> records;
  std::vector<csv_error> errors;
};

read_all read(std::string_view text, char delimiter = ',') {
  csv_reader r(text, delimiter);
  read_all out;
  csv_record rec;
  csv_error err;
  for (;;) {
    const auto o = r.next(rec, err);
    if (o == csv_reader::outcome::end) break;
    if (o == csv_reader::outcome::record) {
      out.records.push_back(rec);
    } else {
      out.errors.push_back(err);
    }
  }
  return out;
}

using fields = std::vector<std::string>;

}  // namespace

TEST_CASE("csv: plain records, LF and CRLF, a last line without a line break", "[cli][csv]") {
  const auto all = read("a,b,c\r\n1,2,3\n4,,6");
  REQUIRE(all.errors.empty());
  REQUIRE(all.records.size() == 3);
  CHECK(all.records[0].fields == fields{"a", "b", "c"});
  CHECK(all.records[1].fields == fields{"1", "2", "3"});
  CHECK(all.records[2].fields == fields{"4", "", "6"});
  CHECK(all.records[2].line == 3);
}

TEST_CASE("csv: quoted fields hold delimiters, line breaks and doubled quotes", "[cli][csv]") {
  const auto all =
      read("id,name\nC1,\"Acme \"\"Global\"\", Ltd.\"\nC2,\"two\r\nlines\"\nC3,\"\"\n");
  REQUIRE(all.errors.empty());
  REQUIRE(all.records.size() == 4);
  CHECK(all.records[1].fields == fields{"C1", "Acme \"Global\", Ltd."});
  CHECK(all.records[2].fields == fields{"C2", "two\r\nlines"});
  CHECK(all.records[2].line == 3);
  CHECK(all.records[2].end_line == 4);
  CHECK(all.records[3].fields == fields{"C3", ""});
  CHECK(all.records[3].line == 5);
}

TEST_CASE("csv: a byte order mark is skipped, empty lines are not records", "[cli][csv]") {
  const auto all = read("\xEF\xBB\xBFid,name\n\n\r\nC1,x\n\n");
  REQUIRE(all.errors.empty());
  REQUIRE(all.records.size() == 2);
  CHECK(all.records[0].fields == fields{"id", "name"});
  CHECK(all.records[1].line == 4);
}

TEST_CASE("csv: trailing delimiters make empty fields", "[cli][csv]") {
  const auto all = read("a,b,\n,,");
  REQUIRE(all.records.size() == 2);
  CHECK(all.records[0].fields == fields{"a", "b", ""});
  CHECK(all.records[1].fields == fields{"", "", ""});
}

TEST_CASE("csv: another delimiter", "[cli][csv]") {
  const auto all = read("a\tb;c\n\"x\ty\"\tz\n", '\t');
  REQUIRE(all.records.size() == 2);
  CHECK(all.records[0].fields == fields{"a", "b;c"});
  CHECK(all.records[1].fields == fields{"x\ty", "z"});
}

TEST_CASE("csv: text after a closing quote is reported and the next line read", "[cli][csv]") {
  const auto all = read("id,name\nC1,\"x\"y,z\nC2,ok\n");
  REQUIRE(all.errors.size() == 1);
  CHECK(all.errors[0].line == 2);
  CHECK(all.errors[0].offset == 14);
  CHECK_THAT(all.errors[0].message,
             Catch::Contains("unexpected 'y' after the closing quote of field 2"));
  REQUIRE(all.records.size() == 2);
  CHECK(all.records[1].fields == fields{"C2", "ok"});
  CHECK(all.records[1].line == 3);
}

TEST_CASE("csv: a quote inside an unquoted field is an error", "[cli][csv]") {
  const auto all = read("a,b\n5\" disk,x\nc,d\n");
  REQUIRE(all.errors.size() == 1);
  CHECK(all.errors[0].line == 2);
  CHECK_THAT(all.errors[0].message, Catch::Contains("quote inside the unquoted field 1"));
  REQUIRE(all.records.size() == 2);
  CHECK(all.records[1].fields == fields{"c", "d"});
}

TEST_CASE("csv: a quote never closed is reported at its row; reading resumes on the next line",
          "[cli][csv]") {
  const auto all = read("id,name\nC1,\"open\nC2,fine\nC3,fine\n");
  REQUIRE(all.errors.size() == 1);
  CHECK(all.errors[0].line == 2);
  CHECK_THAT(all.errors[0].message, Catch::Contains("opened on line 2 is never closed"));
  REQUIRE(all.records.size() == 3);
  CHECK(all.records[1].fields == fields{"C2", "fine"});
  CHECK(all.records[1].line == 3);
  CHECK(all.records[2].line == 4);
}

TEST_CASE("cells convert to their field's type", "[cli][csv]") {
  CHECK(parse_cell("", value_type::integer)->is_null());
  CHECK(*parse_cell(" 42 ", value_type::integer) == value(42));
  CHECK_FALSE(parse_cell("4x", value_type::integer).ok());
  CHECK(*parse_cell("0.5", value_type::decimal) == value(0.5));
  CHECK(*parse_cell("是", value_type::boolean) == value(true));
  CHECK(*parse_cell("No", value_type::boolean) == value(false));
  CHECK(*parse_cell("50万", value_type::money) == value(money::parse("500000").value()));
  CHECK(*parse_cell("2h", value_type::interval) == value(std::chrono::hours(2)));
  CHECK(*parse_cell("a; b ;;c", value_type::string_list) ==
        value(value::string_list{"a", "b", "c"}));
  CHECK(*parse_cell(" keep spaces ", value_type::string) == value(" keep spaces "));
  const auto bad_time = parse_cell("yesterday", value_type::time);
  REQUIRE_FALSE(bad_time.ok());
  CHECK_THAT(bad_time.error().message(), Catch::Contains("'yesterday' is not a time"));
}
