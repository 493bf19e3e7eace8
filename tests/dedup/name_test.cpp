#include "crmrules/dedup/name.hpp"

#include <catch2/catch.hpp>

using namespace crmrules::dedup;

namespace {

struct parts {
  std::string region, affiliation, core, trade, form, branch;
};

parts parts_of(std::string_view name) {
  const company_name n = parse_company_name(name);
  return {n.region_text, n.affiliation, n.core, n.trade, n.form, n.branch};
}

bool operator==(const parts& a, const parts& b) {
  return a.region == b.region && a.affiliation == b.affiliation && a.core == b.core &&
         a.trade == b.trade && a.form == b.form && a.branch == b.branch;
}

std::ostream& operator<<(std::ostream& os, const parts& p) {
  return os << "{" << p.region << " | " << p.affiliation << " | " << p.core << " | " << p.trade
            << " | " << p.form << " | " << p.branch << "}";
}

}  // namespace

TEST_CASE("folding makes full-width, traditional, brackets and spacing equal", "[dedup][name]") {
  CHECK(fold_name("ＡＢＣ科技（上海）有限公司") == "abc科技(上海)有限公司");
  CHECK(fold_name("華為 技術 有限公司") == "华为技术有限公司");
  CHECK(fold_name("【北京】某某·科技") == "(北京)某某科技");
  CHECK(fold_name("Acme  Trading Co., Ltd.") == "acme trading co ltd");
  CHECK(fold_name("Johnson & Johnson") == "johnson and johnson");
  CHECK(fold_name("") == "");
}

TEST_CASE("invalid UTF-8 in a name still parses", "[dedup][name]") {
  const company_name n = parse_company_name("上海\xff瑞华科技有限公司");
  CHECK(n.form == "有限公司");
  CHECK(n.trade == "科技");
  CHECK_FALSE(n.core.empty());
}

TEST_CASE("the seed hospital's three names share core and trade", "[dedup][name]") {
  CHECK(parts_of("瑞金医院") == parts{"", "", "瑞金", "医院", "", ""});
  CHECK(parts_of("上海瑞金医院有限公司") == parts{"上海", "", "瑞金", "医院", "有限公司", ""});
  CHECK(parts_of("上海交通大学医学院附属瑞金医院") ==
        parts{"上海", "交通大学医学院附属", "瑞金", "医院", "", ""});
  CHECK(parse_company_name("上海瑞金医院有限公司").region.code == 310000);
}

TEST_CASE("region short and full forms are the same region", "[dedup][name]") {
  CHECK(parts_of("北京某某科技") == parts{"北京", "", "某某", "科技", "", ""});
  CHECK(parts_of("北京市某某科技股份有限公司") ==
        parts{"北京市", "", "某某", "科技", "股份有限公司", ""});
  CHECK(parse_company_name("北京某某科技").region == parse_company_name("北京市某某科技").region);
  const company_name gd = parse_company_name("广东省深圳市瑞华网络科技有限公司");
  CHECK(gd.region.code == 440300);
  CHECK(gd.region_text == "广东省深圳市");
  CHECK(gd.core == "瑞华");
  CHECK(gd.trade == "网络科技");
  CHECK(parse_company_name("深圳瑞华网络科技有限公司").region.code == 440300);
}

TEST_CASE("a district's short form is a region only after its city", "[dedup][name]") {
  const company_name a = parse_company_name("北京海淀瑞华科技有限公司");
  CHECK(a.region.code == 110108);
  CHECK(a.core == "瑞华");
  // A bare 朝阳 or 东方 is a brand, not a district.
  CHECK(parse_company_name("东方希望科技有限公司").core == "东方希望");
  CHECK(parse_company_name("浦东新区瑞华科技有限公司").region.code == 310115);
}

TEST_CASE("a bracketed region is the region", "[dedup][name]") {
  CHECK(parts_of("企帮宝信息科技(甘肃)有限公司") ==
        parts{"甘肃", "", "企帮宝", "信息科技", "有限公司", ""});
  CHECK(parts_of("瑞华（上海）科技有限公司") == parts{"上海", "", "瑞华", "科技", "有限公司", ""});
  CHECK(parts_of("阿里巴巴(中国)网络技术有限公司") ==
        parts{"", "", "阿里巴巴", "网络技术", "有限公司", ""});
}

TEST_CASE("organisational forms are separated, longest first", "[dedup][name]") {
  CHECK(parse_company_name("瑞华科技集团股份有限公司").form == "集团股份有限公司");
  CHECK(parse_company_name("瑞华科技有限责任公司").form == "有限责任公司");
  CHECK(parse_company_name("瑞华投资合伙企业(有限合伙)").form == "有限合伙");
  CHECK(parse_company_name("瑞华科技").form.empty());
}

TEST_CASE("a branch keeps its branch part apart from the head office", "[dedup][name]") {
  CHECK(parts_of("北京某某科技有限公司杭州分公司") ==
        parts{"北京", "", "某某", "科技", "有限公司", "杭州分公司"});
  CHECK(parts_of("某某科技杭州分公司") == parts{"", "", "某某", "科技", "", "杭州分公司"});
  CHECK(parse_company_name("华信证券股份有限公司上海营业部").branch == "上海营业部");
  CHECK(parse_company_name("某某科技有限公司").branch.empty());
}

TEST_CASE("a place name that is the whole core is kept", "[dedup][name]") {
  CHECK(parts_of("中山大学") == parts{"", "", "中山", "大学", "", ""});
  CHECK(parse_company_name("医院").core == "医院");
  CHECK(parse_company_name("北京市").core == "北京市");
}

TEST_CASE("Latin names drop legal forms and fold case", "[dedup][name]") {
  const company_name a = parse_company_name("Acme Trading Co., Ltd.");
  CHECK(a.latin);
  CHECK(a.core == "acme trading");
  CHECK(a.form == "co ltd");
  CHECK(parse_company_name("ACME TRADING LIMITED").core == "acme trading");
  CHECK(parse_company_name("The Acme Group").core == "acme");
  CHECK(parse_company_name("Müller GmbH").core == "müller");
  CHECK(parse_company_name("Société Générale S.A.").core == "société générale");
}

TEST_CASE("divisions contain their districts", "[dedup][name]") {
  const division sh = find_division("上海市");
  const division pd = find_division("上海市浦东新区张江路 100 号");
  const division hz = find_division("杭州");
  CHECK(sh.code == 310000);
  CHECK(pd.code == 310115);
  CHECK(compatible(sh, pd));
  CHECK_FALSE(compatible(pd, hz));
  CHECK(compatible(hz, division{}));
  CHECK(division_name(310115) == "浦东新区");
  CHECK_FALSE(find_division("华东").known());
}

TEST_CASE("abbreviations keep the full name's characters in order", "[dedup][name]") {
  CHECK(is_abbreviation(U"中国石化", U"中国石油化工"));
  CHECK(is_abbreviation(U"北大", U"北京大学"));
  CHECK_FALSE(is_abbreviation(U"石化", U"中国石油化工"));    // first character differs
  CHECK_FALSE(is_abbreviation(U"中化石", U"中国石油化工"));  // order differs
  CHECK_FALSE(is_abbreviation(U"中", U"中国"));              // too short
  CHECK_FALSE(is_abbreviation(U"中国", U"中国"));            // not shorter
}
