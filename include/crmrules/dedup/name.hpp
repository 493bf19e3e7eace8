// crmrules dedup: company names, parsed into the parts people vary when they type them.
//
// 上海交通大学医学院附属瑞金医院, 瑞金医院 and 上海瑞金医院有限公司 are one hospital: the same core
// name (字号 瑞金) and trade (行业词 医院), with a region (上海), an affiliation
// (交通大学医学院附属) and an organisational form (有限公司) added or dropped. `parse_company_name`
// separates those parts so that the matcher compares what identifies a party and checks the rest
// for contradictions (两个城市的同名品牌, a branch against its head office).
//
// Regions come from China's statistical division codes (data/cn-admin-divisions, MIT licence,
// Copyright (c) 2017 mwn), compiled into the library: provinces, prefecture-level cities and
// districts or counties, by full name (广东省, 深圳市, 浦东新区) and short form (广东, 深圳; a
// district's short form only right after its city: 北京海淀).
//
// Every function here is pure, thread-safe and never throws except std::bad_alloc. Invalid UTF-8
// is not an error: each ill-formed byte is read as U+FFFD, so a broken name still gets a parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace crmrules::dedup {

/// An administrative division: a province, prefecture-level city, or district or county.
struct division {
  std::uint32_t code =
      0;  ///< six-digit code: 310000 上海市, 440300 深圳市, 310115 浦东新区; 0: none
  std::uint8_t level = 0;  ///< 1 province, 2 city, 3 district or county; 0 none

  [[nodiscard]] bool known() const noexcept { return code != 0; }
  /// The code of the division at `lvl` (1..3) that contains this one: the province of a district
  /// is `at_level(1)`. 0 when this division is above `lvl` or unknown.
  [[nodiscard]] std::uint32_t at_level(std::uint8_t lvl) const noexcept;

  friend bool operator==(const division&, const division&) = default;
};

/// Whether two divisions can be the same place: either is unknown, or one contains the other
/// (上海 and 浦东新区 can; 上海 and 杭州 cannot).
[[nodiscard]] bool compatible(division a, division b) noexcept;

/// The official name of a division ("浦东新区"), or "" for an unknown code.
[[nodiscard]] std::string_view division_name(std::uint32_t code) noexcept;

/// The division a text starts with, most specific first: "上海市浦东新区张江路 100 号" gives
/// 310115, "广东深圳" 440300, "华东" none. Also accepts the whole text being a division's name.
[[nodiscard]] division find_division(std::string_view text);

/// The form every name comparison starts from: Unicode NFKC with case folding (full-width
/// letters, digits and brackets become ASCII), traditional characters folded to simplified
/// (國際 -> 国际), 【】〔〕[] unified to (), and whitespace and punctuation removed, except that a
/// name without Chinese characters keeps single spaces between its words (brackets separate words
/// too) and reads `&` as "and". Only the first 1,024 bytes are read.
[[nodiscard]] std::string fold_name(std::string_view text);

/// A company, hospital or school name in its parts. Every part is folded (`fold_name`).
struct company_name {
  std::string folded;       ///< the whole name, folded
  division region;          ///< a leading or bracketed region; none when the name has none
  std::string region_text;  ///< the region as written: "上海", "广东省深圳市", "甘肃"
  std::string affiliation;  ///< "交通大学医学院附属" (after the region) for 附属 institutions
  std::string core;         ///< 字号: "瑞金", "企帮宝"; for a Latin name, its words
  std::string trade;        ///< 行业词: "医院", "信息科技"; empty when none is recognised
  bool trade_listed = false;  ///< `trade` is a listed word as written (false: one with a typo)
  std::string form;  ///< 组织形式: "有限公司", "股份有限公司"; for Latin names "co ltd"
  std::string branch;         ///< "杭州分公司", "营业部": not empty for a branch
  std::string branch_marker;  ///< the branch's marker: "分公司", "分行", "营业部", ...
  division branch_region;     ///< the place the branch part names (杭州); none when it names none
  bool latin = false;         ///< the name has no Chinese characters

  /// What similarity rules compare: core and trade ("瑞金医院"; for Latin names the core).
  [[nodiscard]] std::string key() const { return core + trade; }
  [[nodiscard]] bool is_branch() const noexcept { return !branch.empty(); }
};

/// Parses a name. Never fails: a name of only a region keeps it as its core ("北京市" alone has
/// the core "北京市"), and an empty text gives empty parts. Only the first 1,024 bytes are read.
///
/// **Examples** (region / affiliation / core / trade / form / branch):
/// - 上海交通大学医学院附属瑞金医院: 上海 / 交通大学医学院附属 / 瑞金 / 医院 / - / -
/// - 企帮宝信息科技(甘肃)有限公司: 甘肃 / - / 企帮宝 / 信息科技 / 有限公司 / -
/// - 北京某某科技有限公司杭州分公司: 北京 / - / 某某 / 科技 / 有限公司 / 杭州分公司
/// - Acme Trading Co., Ltd.: - / - / "acme trading" / - / "co ltd" / -
[[nodiscard]] company_name parse_company_name(std::string_view text);

/// Whether `short_name` abbreviates `full` the way Chinese names are shortened (中国石化 for
/// 中国石油化工): at least two code points, shorter than `full`, the same first character, and
/// every character of `short_name` found in `full` in order.
[[nodiscard]] bool is_abbreviation(std::u32string_view short_name,
                                   std::u32string_view full) noexcept;

}  // namespace crmrules::dedup
