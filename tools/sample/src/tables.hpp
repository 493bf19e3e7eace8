// Internal: the small reference lists the generator draws from, embedded as constants.
//
// City and district codes are the National Bureau of Statistics statistical division codes
// (2023) as listed in modood/Administrative-divisions-of-China (MIT License, Copyright (c) 2017
// mwn); only the few dozen used here are copied. Brands, trade words and people's names are
// made up from common characters; any resemblance to a real company is coincidental.
#pragma once

#include <array>
#include <string_view>

namespace crmrules::sample::tables {

struct district {
  std::string_view code;  ///< 6-digit division code (positions 3-8 of a USCC)
  std::string_view name;
};

struct city {
  std::string_view name;       ///< short form: 上海, 深圳
  std::string_view province;   ///< empty for the four municipalities
  std::string_view pinyin;     ///< shanghai
  std::string_view abbr;       ///< sh
  std::string_view region;     ///< 华东, 华南, 华北, 华中, 西南, 西北, 东北
  std::string_view area_code;  ///< landline trunk code, with the leading 0
  int local_digits;            ///< digits of a local landline number
  int weight;                  ///< how much business comes from there
  std::array<district, 4> districts;
};

// clang-format off
inline constexpr std::array<city, 37> cities{{
  {"北京", "", "beijing", "bj", "华北", "010", 8, 14, {{{"110108", "海淀区"}, {"110105", "朝阳区"}, {"110102", "西城区"}, {"110114", "昌平区"}}}},
  {"上海", "", "shanghai", "sh", "华东", "021", 8, 14, {{{"310115", "浦东新区"}, {"310104", "徐汇区"}, {"310112", "闵行区"}, {"310106", "静安区"}}}},
  {"天津", "", "tianjin", "tj", "华北", "022", 8, 4, {{{"120116", "滨海新区"}, {"120104", "南开区"}, {"120103", "河西区"}, {"120111", "西青区"}}}},
  {"重庆", "", "chongqing", "cq", "西南", "023", 8, 4, {{{"500112", "渝北区"}, {"500103", "渝中区"}, {"500107", "九龙坡区"}, {"500105", "江北区"}}}},
  {"石家庄", "河北省", "shijiazhuang", "sjz", "华北", "0311", 8, 2, {{{"130102", "长安区"}, {"130104", "桥西区"}, {"130108", "裕华区"}, {"130105", "新华区"}}}},
  {"太原", "山西省", "taiyuan", "ty", "华北", "0351", 7, 1, {{{"140105", "小店区"}, {"140106", "迎泽区"}, {"140109", "万柏林区"}, {"140107", "杏花岭区"}}}},
  {"呼和浩特", "内蒙古自治区", "huhehaote", "hhht", "华北", "0471", 7, 1, {{{"150105", "赛罕区"}, {"150102", "新城区"}, {"150104", "玉泉区"}, {"150103", "回民区"}}}},
  {"杭州", "浙江省", "hangzhou", "hz", "华东", "0571", 8, 8, {{{"330106", "西湖区"}, {"330108", "滨江区"}, {"330110", "余杭区"}, {"330109", "萧山区"}}}},
  {"南京", "江苏省", "nanjing", "nj", "华东", "025", 8, 6, {{{"320115", "江宁区"}, {"320106", "鼓楼区"}, {"320105", "建邺区"}, {"320102", "玄武区"}}}},
  {"苏州", "江苏省", "suzhou", "sz", "华东", "0512", 8, 6, {{{"320576", "苏州工业园区"}, {"320505", "虎丘区"}, {"320506", "吴中区"}, {"320583", "昆山市"}}}},
  {"宁波", "浙江省", "ningbo", "nb", "华东", "0574", 8, 3, {{{"330212", "鄞州区"}, {"330203", "海曙区"}, {"330206", "北仑区"}, {"330211", "镇海区"}}}},
  {"无锡", "江苏省", "wuxi", "wx", "华东", "0510", 8, 3, {{{"320214", "新吴区"}, {"320211", "滨湖区"}, {"320213", "梁溪区"}, {"320281", "江阴市"}}}},
  {"合肥", "安徽省", "hefei", "hf", "华东", "0551", 8, 3, {{{"340104", "蜀山区"}, {"340111", "包河区"}, {"340103", "庐阳区"}, {"340102", "瑶海区"}}}},
  {"济南", "山东省", "jinan", "jn", "华东", "0531", 8, 3, {{{"370102", "历下区"}, {"370112", "历城区"}, {"370103", "市中区"}, {"370104", "槐荫区"}}}},
  {"青岛", "山东省", "qingdao", "qd", "华东", "0532", 8, 3, {{{"370202", "市南区"}, {"370212", "崂山区"}, {"370211", "黄岛区"}, {"370214", "城阳区"}}}},
  {"福州", "福建省", "fuzhou", "fz", "华东", "0591", 8, 2, {{{"350102", "鼓楼区"}, {"350104", "仓山区"}, {"350111", "晋安区"}, {"350103", "台江区"}}}},
  {"厦门", "福建省", "xiamen", "xm", "华东", "0592", 7, 3, {{{"350203", "思明区"}, {"350206", "湖里区"}, {"350211", "集美区"}, {"350205", "海沧区"}}}},
  {"深圳", "广东省", "shenzhen", "sz", "华南", "0755", 8, 12, {{{"440305", "南山区"}, {"440304", "福田区"}, {"440306", "宝安区"}, {"440307", "龙岗区"}}}},
  {"广州", "广东省", "guangzhou", "gz", "华南", "020", 8, 9, {{{"440106", "天河区"}, {"440105", "海珠区"}, {"440104", "越秀区"}, {"440113", "番禺区"}}}},
  {"东莞", "广东省", "dongguan", "dg", "华南", "0769", 8, 3, {{{"441900", "南城街道"}, {"441900", "东城街道"}, {"441900", "松山湖"}, {"441900", "长安镇"}}}},
  {"佛山", "广东省", "foshan", "fs", "华南", "0757", 8, 3, {{{"440606", "顺德区"}, {"440605", "南海区"}, {"440604", "禅城区"}, {"440607", "三水区"}}}},
  {"南宁", "广西壮族自治区", "nanning", "nn", "华南", "0771", 7, 1, {{{"450103", "青秀区"}, {"450107", "西乡塘区"}, {"450105", "江南区"}, {"450102", "兴宁区"}}}},
  {"海口", "海南省", "haikou", "hk", "华南", "0898", 8, 1, {{{"460106", "龙华区"}, {"460108", "美兰区"}, {"460105", "秀英区"}, {"460107", "琼山区"}}}},
  {"武汉", "湖北省", "wuhan", "wh", "华中", "027", 8, 5, {{{"420111", "洪山区"}, {"420106", "武昌区"}, {"420103", "江汉区"}, {"420102", "江岸区"}}}},
  {"长沙", "湖南省", "changsha", "cs", "华中", "0731", 8, 4, {{{"430104", "岳麓区"}, {"430105", "开福区"}, {"430103", "天心区"}, {"430102", "芙蓉区"}}}},
  {"郑州", "河南省", "zhengzhou", "zz", "华中", "0371", 8, 4, {{{"410105", "金水区"}, {"410102", "中原区"}, {"410103", "二七区"}, {"410104", "管城回族区"}}}},
  {"成都", "四川省", "chengdu", "cd", "西南", "028", 8, 6, {{{"510107", "武侯区"}, {"510104", "锦江区"}, {"510105", "青羊区"}, {"510116", "双流区"}}}},
  {"昆明", "云南省", "kunming", "km", "西南", "0871", 8, 2, {{{"530102", "五华区"}, {"530111", "官渡区"}, {"530103", "盘龙区"}, {"530112", "西山区"}}}},
  {"贵阳", "贵州省", "guiyang", "gy", "西南", "0851", 8, 1, {{{"520115", "观山湖区"}, {"520102", "南明区"}, {"520103", "云岩区"}, {"520111", "花溪区"}}}},
  {"西安", "陕西省", "xian", "xa", "西北", "029", 8, 4, {{{"610113", "雁塔区"}, {"610103", "碑林区"}, {"610112", "未央区"}, {"610104", "莲湖区"}}}},
  {"兰州", "甘肃省", "lanzhou", "lz", "西北", "0931", 7, 1, {{{"620102", "城关区"}, {"620103", "七里河区"}, {"620105", "安宁区"}, {"620104", "西固区"}}}},
  {"乌鲁木齐", "新疆维吾尔自治区", "wulumuqi", "wlmq", "西北", "0991", 7, 1, {{{"650102", "天山区"}, {"650103", "沙依巴克区"}, {"650104", "新市区"}, {"650105", "水磨沟区"}}}},
  {"银川", "宁夏回族自治区", "yinchuan", "yc", "西北", "0951", 7, 1, {{{"640104", "兴庆区"}, {"640106", "金凤区"}, {"640105", "西夏区"}, {"640121", "永宁县"}}}},
  {"沈阳", "辽宁省", "shenyang", "sy", "东北", "024", 8, 2, {{{"210103", "沈河区"}, {"210102", "和平区"}, {"210112", "浑南区"}, {"210106", "铁西区"}}}},
  {"大连", "辽宁省", "dalian", "dl", "东北", "0411", 8, 2, {{{"210202", "中山区"}, {"210204", "沙河口区"}, {"210211", "甘井子区"}, {"210213", "金州区"}}}},
  {"哈尔滨", "黑龙江省", "haerbin", "heb", "东北", "0451", 8, 2, {{{"230103", "南岗区"}, {"230102", "道里区"}, {"230109", "松北区"}, {"230110", "香坊区"}}}},
  {"长春", "吉林省", "changchun", "cc", "东北", "0431", 8, 2, {{{"220104", "朝阳区"}, {"220102", "南关区"}, {"220105", "二道区"}, {"220106", "绿园区"}}}},
}};
// clang-format on

inline constexpr std::array<std::string_view, 7> regions{"华东", "华南", "华北", "华中",
                                                         "西南", "西北", "东北"};

/// 字号: the distinctive part of a company name, with its pinyin syllables (space separated).
struct brand {
  std::string_view zh;
  std::string_view pinyin;
};

// clang-format off
inline constexpr std::array<brand, 160> brands{{
  {"瑞华", "rui hua"}, {"恒信", "heng xin"}, {"华信", "hua xin"}, {"鼎盛", "ding sheng"},
  {"博远", "bo yuan"}, {"天合", "tian he"}, {"远景", "yuan jing"}, {"新元", "xin yuan"},
  {"汇通", "hui tong"}, {"联创", "lian chuang"}, {"嘉禾", "jia he"}, {"金桥", "jin qiao"},
  {"卓越", "zhuo yue"}, {"蓝海", "lan hai"}, {"星辰", "xing chen"}, {"云帆", "yun fan"},
  {"宏图", "hong tu"}, {"启明", "qi ming"}, {"睿智", "rui zhi"}, {"致远", "zhi yuan"},
  {"精诚", "jing cheng"}, {"永兴", "yong xing"}, {"长青", "chang qing"}, {"华瑞", "hua rui"},
  {"德润", "de run"}, {"诚达", "cheng da"}, {"鸿运", "hong yun"}, {"东方", "dong fang"},
  {"安泰", "an tai"}, {"明德", "ming de"}, {"凯瑞", "kai rui"}, {"同创", "tong chuang"},
  {"海纳", "hai na"}, {"信达", "xin da"}, {"百川", "bai chuan"}, {"万通", "wan tong"},
  {"华盛", "hua sheng"}, {"盛世", "sheng shi"}, {"九州", "jiu zhou"}, {"天宇", "tian yu"},
  {"龙腾", "long teng"}, {"凤凰", "feng huang"}, {"麒麟", "qi lin"}, {"华夏", "hua xia"},
  {"中联", "zhong lian"}, {"国泰", "guo tai"}, {"恒通", "heng tong"}, {"力拓", "li tuo"},
  {"锐思", "rui si"}, {"迅捷", "xun jie"}, {"智汇", "zhi hui"}, {"数联", "shu lian"},
  {"云启", "yun qi"}, {"领航", "ling hang"}, {"聚力", "ju li"}, {"合众", "he zhong"},
  {"新锐", "xin rui"}, {"中恒", "zhong heng"}, {"华辰", "hua chen"}, {"金鼎", "jin ding"},
  {"银河", "yin he"}, {"极光", "ji guang"}, {"光合", "guang he"}, {"青禾", "qing he"},
  {"绿源", "lv yuan"}, {"碧水", "bi shui"}, {"山海", "shan hai"}, {"明远", "ming yuan"},
  {"思源", "si yuan"}, {"博雅", "bo ya"}, {"文华", "wen hua"}, {"弘毅", "hong yi"},
  {"厚德", "hou de"}, {"立信", "li xin"}, {"众诚", "zhong cheng"}, {"佳和", "jia he"},
  {"美达", "mei da"}, {"康泰", "kang tai"}, {"仁和", "ren he"}, {"益康", "yi kang"},
  {"惠民", "hui min"}, {"安康", "an kang"}, {"健宁", "jian ning"}, {"优品", "you pin"},
  {"易达", "yi da"}, {"通达", "tong da"}, {"畅联", "chang lian"}, {"捷运", "jie yun"},
  {"远航", "yuan hang"}, {"海川", "hai chuan"}, {"天诚", "tian cheng"}, {"恒远", "heng yuan"},
  {"中天", "zhong tian"}, {"华宇", "hua yu"}, {"开元", "kai yuan"}, {"泰和", "tai he"},
  {"瀚海", "han hai"}, {"浩然", "hao ran"}, {"锦程", "jin cheng"}, {"宏达", "hong da"},
  {"兴业", "xing ye"}, {"富源", "fu yuan"}, {"金石", "jin shi"}, {"磐石", "pan shi"},
  {"基石", "ji shi"}, {"方圆", "fang yuan"}, {"天工", "tian gong"}, {"巧匠", "qiao jiang"},
  {"精工", "jing gong"}, {"匠心", "jiang xin"}, {"维新", "wei xin"}, {"格物", "ge wu"},
  {"致知", "zhi zhi"}, {"知行", "zhi xing"}, {"求是", "qiu shi"}, {"赛博", "sai bo"},
  {"量子", "liang zi"}, {"矩阵", "ju zhen"}, {"元点", "yuan dian"}, {"奇点", "qi dian"},
  {"零一", "ling yi"}, {"数智", "shu zhi"}, {"星河", "xing he"}, {"银杉", "yin shan"},
  {"云杉", "yun shan"}, {"青松", "qing song"}, {"翠柏", "cui bai"}, {"金帆", "jin fan"},
  {"扬帆", "yang fan"}, {"飞鸿", "fei hong"}, {"鹏程", "peng cheng"}, {"万里", "wan li"},
  {"千禧", "qian xi"}, {"百合", "bai he"}, {"君安", "jun an"}, {"华安", "hua an"},
  {"安信", "an xin"}, {"信和", "xin he"}, {"汇智", "hui zhi"}, {"博思", "bo si"},
  {"思创", "si chuang"}, {"创智", "chuang zhi"}, {"慧通", "hui tong"}, {"深蓝", "shen lan"},
  {"蔚蓝", "wei lan"}, {"天际", "tian ji"}, {"云端", "yun duan"}, {"雄鹰", "xiong ying"},
  {"新思维", "xin si wei"}, {"金太阳", "jin tai yang"}, {"新纪元", "xin ji yuan"}, {"中天信", "zhong tian xin"},
  {"小蜜蜂", "xiao mi feng"}, {"大白鲸", "da bai jing"}, {"绿洲源", "lv zhou yuan"}, {"金葵花", "jin kui hua"},
  {"红日升", "hong ri sheng"}, {"东升辉", "dong sheng hui"}, {"三和盛", "san he sheng"}, {"百利达", "bai li da"},
}};
// clang-format on

/// 行业词: the trade part of a company name, with an English rendering.
struct trade_word {
  std::string_view zh;
  std::string_view en;
};

struct industry {
  std::string_view label;        ///< the `industry` field value
  std::string_view domain_hint;  ///< optional e-mail domain suffix ("tech", "med"...)
  int weight;
  std::array<trade_word, 4> words;
};

// clang-format off
inline constexpr std::array<industry, 12> industries{{
  {"软件", "soft", 14, {{{"信息技术", "Information Technology"}, {"软件", "Software"}, {"网络科技", "Network Technology"}, {"数字科技", "Digital Technology"}}}},
  {"互联网", "tech", 10, {{{"科技", "Technology"}, {"互联网科技", "Internet Technology"}, {"信息科技", "Information Technology"}, {"网络技术", "Network Technology"}}}},
  {"制造", "tech", 14, {{{"智能制造", "Intelligent Manufacturing"}, {"精密机械", "Precision Machinery"}, {"自动化设备", "Automation Equipment"}, {"电子", "Electronics"}}}},
  {"医疗", "med", 9, {{{"医疗器械", "Medical Devices"}, {"医疗科技", "Medical Technology"}, {"健康科技", "Health Technology"}, {"医药", "Pharmaceutical"}}}},
  {"生物医药", "bio", 5, {{{"生物医药", "Biomedical"}, {"生物科技", "Biotechnology"}, {"生物技术", "Biotech"}, {"药业", "Pharmaceutical"}}}},
  {"教育", "edu", 7, {{{"教育科技", "Education Technology"}, {"教育咨询", "Education Consulting"}, {"教育培训", "Education and Training"}, {"文化传播", "Culture Communication"}}}},
  {"新能源", "energy", 6, {{{"新能源", "New Energy"}, {"新能源科技", "New Energy Technology"}, {"光伏科技", "Photovoltaic Technology"}, {"储能技术", "Energy Storage Technology"}}}},
  {"零售", "trade", 9, {{{"商贸", "Trading"}, {"贸易", "Trade"}, {"电子商务", "E-commerce"}, {"百货", "Department Store"}}}},
  {"物流", "logistics", 7, {{{"物流", "Logistics"}, {"供应链管理", "Supply Chain Management"}, {"国际货运代理", "International Freight Forwarding"}, {"运输", "Transportation"}}}},
  {"金融", "capital", 4, {{{"投资管理", "Investment Management"}, {"融资租赁", "Financial Leasing"}, {"保险代理", "Insurance Agency"}, {"财务咨询", "Financial Consulting"}}}},
  {"建筑", "build", 5, {{{"建筑工程", "Construction Engineering"}, {"建设工程", "Construction"}, {"装饰工程", "Decoration Engineering"}, {"工程咨询", "Engineering Consulting"}}}},
  {"消费品", "", 6, {{{"食品", "Food"}, {"日用品", "Daily Necessities"}, {"餐饮管理", "Catering Management"}, {"服饰", "Apparel"}}}},
}};
// clang-format on

inline constexpr std::size_t industry_medical = 3;
inline constexpr std::size_t industry_education = 5;

/// 组织形式.
struct org_form {
  std::string_view zh;
  std::string_view en;
  int weight;
};

inline constexpr std::array<org_form, 5> org_forms{{
    {"有限公司", "Co., Ltd.", 55},
    {"有限责任公司", "Co., Ltd.", 15},
    {"股份有限公司", "Co., Ltd.", 14},
    {"集团有限公司", "Group Co., Ltd.", 6},
    {"集团股份有限公司", "Group Corporation", 2},
}};

/// A hospital or school name after its place prefix; `{n}` takes a Chinese ordinal numeral.
struct institution {
  std::string_view tail;  ///< 第{n}人民医院
  std::string_view abbr;  ///< pinyin initials for the e-mail domain; {n} as in `tail`
  bool hospital;
  bool branded;  ///< private: the tail follows a brand (瑞华口腔医院)
  int max_n;     ///< highest ordinal for {n}; 0 when the tail has none
  int weight;
};

// clang-format off
inline constexpr std::array<institution, 20> institutions{{
  {"第{n}人民医院", "d{n}rmyy", true, false, 6, 10},
  {"人民医院", "rmyy", true, false, 0, 4},
  {"中医医院", "zyyy", true, false, 0, 4},
  {"中西医结合医院", "zxyjhyy", true, false, 0, 2},
  {"妇幼保健院", "fybjy", true, false, 0, 3},
  {"儿童医院", "etyy", true, false, 0, 2},
  {"肿瘤医院", "zlyy", true, false, 0, 2},
  {"中心医院", "zxyy", true, false, 0, 3},
  {"医科大学附属第{n}医院", "ykdxfsd{n}yy", true, false, 3, 4},
  {"医院", "yy", true, true, 0, 3},
  {"口腔医院", "kqyy", true, true, 0, 3},
  {"眼科医院", "ykyy", true, true, 0, 2},
  {"第{n}中学", "d{n}zx", false, false, 10, 8},
  {"外国语学校", "wgyxx", false, false, 0, 3},
  {"实验小学", "syxx", false, false, 0, 3},
  {"职业技术学院", "zyjsxy", false, false, 0, 3},
  {"师范学院", "sfxy", false, false, 0, 2},
  {"实验学校", "syxx", false, true, 0, 3},
  {"国际学校", "gjxx", false, true, 0, 2},
  {"职业培训学校", "zypxxx", false, true, 0, 2},
}};
// clang-format on

struct numeral {
  std::string_view zh;
  std::string_view initial;
};
inline constexpr std::array<numeral, 10> numerals{{{"一", "y"},
                                                   {"二", "e"},
                                                   {"三", "s"},
                                                   {"四", "s"},
                                                   {"五", "w"},
                                                   {"六", "l"},
                                                   {"七", "q"},
                                                   {"八", "b"},
                                                   {"九", "j"},
                                                   {"十", "s"}}};

/// Homophones and look-alikes a pinyin IME or a hurried typist swaps in.
struct confusable {
  std::string_view from;
  std::string_view to;
};

// clang-format off
inline constexpr std::array<confusable, 124> confusables{{
  {"限", "线"}, {"公", "工"}, {"司", "思"}, {"科", "可"}, {"技", "计"}, {"息", "习"},
  {"术", "数"}, {"份", "分"}, {"责", "则"}, {"任", "认"}, {"集", "基"}, {"医", "依"},
  {"药", "要"}, {"疗", "了"}, {"器", "气"}, {"械", "戒"}, {"育", "玉"}, {"教", "较"},
  {"物", "务"}, {"流", "留"}, {"贸", "茂"}, {"商", "尚"}, {"源", "元"}, {"智", "志"},
  {"制", "治"}, {"造", "早"}, {"软", "阮"}, {"电", "店"}, {"网", "往"}, {"络", "落"},
  {"数", "树"}, {"字", "自"}, {"生", "声"}, {"健", "建"}, {"康", "抗"}, {"院", "苑"},
  {"学", "雪"}, {"校", "效"}, {"中", "钟"}, {"民", "明"}, {"第", "弟"}, {"附", "付"},
  {"华", "化"}, {"瑞", "睿"}, {"恒", "衡"}, {"鼎", "顶"}, {"博", "搏"}, {"远", "源"},
  {"天", "添"}, {"新", "欣"}, {"通", "同"}, {"创", "窗"}, {"嘉", "佳"}, {"金", "今"},
  {"桥", "乔"}, {"越", "跃"}, {"星", "兴"}, {"云", "芸"}, {"宏", "红"}, {"明", "名"},
  {"德", "得"}, {"达", "大"}, {"运", "云"}, {"安", "按"}, {"泰", "太"}, {"凯", "楷"},
  {"信", "心"}, {"盛", "胜"}, {"世", "市"}, {"州", "洲"}, {"宇", "羽"}, {"龙", "隆"},
  {"国", "果"}, {"联", "连"}, {"力", "立"}, {"锐", "瑞"}, {"捷", "杰"}, {"汇", "会"},
  {"航", "杭"}, {"聚", "巨"}, {"众", "重"}, {"合", "和"}, {"和", "合"}, {"辰", "晨"},
  {"光", "广"}, {"青", "清"}, {"禾", "和"}, {"思", "斯"}, {"雅", "亚"}, {"文", "闻"},
  {"毅", "艺"}, {"诚", "成"}, {"佳", "嘉"}, {"仁", "任"}, {"惠", "慧"}, {"畅", "唱"},
  {"川", "穿"}, {"纪", "记"}, {"瀚", "翰"}, {"锦", "金"}, {"兴", "星"}, {"富", "福"},
  {"磐", "盘"}, {"基", "机"}, {"方", "芳"}, {"匠", "将"}, {"精", "经"}, {"维", "唯"},
  {"格", "革"}, {"帆", "凡"}, {"扬", "杨"}, {"鸿", "洪"}, {"鹏", "朋"}, {"程", "成"},
  {"禧", "喜"}, {"君", "军"}, {"慧", "惠"}, {"蓝", "兰"}, {"蔚", "尉"}, {"端", "瑞"},
  {"贸", "冒"}, {"责", "泽"}, {"务", "物"}, {"程", "城"},
}};
// clang-format on

struct syllable {
  std::string_view zh;
  std::string_view pinyin;
  int weight;
};

// clang-format off
inline constexpr std::array<syllable, 90> surnames{{
  {"王", "wang", 70}, {"李", "li", 70}, {"张", "zhang", 66}, {"刘", "liu", 52}, {"陈", "chen", 46},
  {"杨", "yang", 32}, {"黄", "huang", 24}, {"赵", "zhao", 22}, {"吴", "wu", 20}, {"周", "zhou", 20},
  {"徐", "xu", 14}, {"孙", "sun", 14}, {"马", "ma", 13}, {"朱", "zhu", 12}, {"胡", "hu", 12},
  {"郭", "guo", 11}, {"何", "he", 10}, {"林", "lin", 10}, {"高", "gao", 10}, {"罗", "luo", 9},
  {"郑", "zheng", 9}, {"梁", "liang", 8}, {"谢", "xie", 7}, {"宋", "song", 7}, {"唐", "tang", 7},
  {"许", "xu", 6}, {"韩", "han", 6}, {"冯", "feng", 6}, {"邓", "deng", 6}, {"曹", "cao", 6},
  {"彭", "peng", 5}, {"曾", "zeng", 5}, {"肖", "xiao", 5}, {"田", "tian", 5}, {"董", "dong", 5},
  {"潘", "pan", 4}, {"袁", "yuan", 4}, {"蔡", "cai", 4}, {"蒋", "jiang", 4}, {"余", "yu", 4},
  {"于", "yu", 4}, {"杜", "du", 4}, {"叶", "ye", 4}, {"程", "cheng", 4}, {"魏", "wei", 4},
  {"苏", "su", 4}, {"吕", "lv", 3}, {"丁", "ding", 3}, {"任", "ren", 3}, {"卢", "lu", 3},
  {"姚", "yao", 3}, {"沈", "shen", 3}, {"钟", "zhong", 3}, {"姜", "jiang", 3}, {"崔", "cui", 3},
  {"谭", "tan", 3}, {"陆", "lu", 3}, {"范", "fan", 3}, {"汪", "wang", 3}, {"廖", "liao", 3},
  {"石", "shi", 3}, {"金", "jin", 3}, {"韦", "wei", 2}, {"贾", "jia", 2}, {"夏", "xia", 2},
  {"付", "fu", 2}, {"方", "fang", 2}, {"邹", "zou", 2}, {"熊", "xiong", 2}, {"白", "bai", 2},
  {"孟", "meng", 2}, {"秦", "qin", 2}, {"邱", "qiu", 2}, {"侯", "hou", 2}, {"江", "jiang", 2},
  {"尹", "yin", 2}, {"薛", "xue", 2}, {"闫", "yan", 2}, {"段", "duan", 2}, {"雷", "lei", 2},
  {"龙", "long", 1}, {"黎", "li", 1}, {"史", "shi", 1}, {"陶", "tao", 1}, {"贺", "he", 1},
  {"毛", "mao", 1}, {"郝", "hao", 1}, {"顾", "gu", 1}, {"欧阳", "ouyang", 1}, {"上官", "shangguan", 1},
}};

inline constexpr std::array<syllable, 84> given_chars{{
  {"伟", "wei", 3}, {"芳", "fang", 3}, {"娜", "na", 2}, {"敏", "min", 3}, {"静", "jing", 3},
  {"丽", "li", 2}, {"强", "qiang", 3}, {"磊", "lei", 3}, {"军", "jun", 3}, {"洋", "yang", 2},
  {"勇", "yong", 2}, {"艳", "yan", 2}, {"杰", "jie", 3}, {"娟", "juan", 2}, {"涛", "tao", 2},
  {"明", "ming", 3}, {"超", "chao", 2}, {"秀", "xiu", 2}, {"霞", "xia", 2}, {"平", "ping", 2},
  {"刚", "gang", 2}, {"桂", "gui", 1}, {"英", "ying", 2}, {"华", "hua", 3}, {"建", "jian", 3},
  {"国", "guo", 2}, {"文", "wen", 3}, {"辉", "hui", 2}, {"鹏", "peng", 2}, {"宇", "yu", 3},
  {"浩", "hao", 3}, {"晨", "chen", 2}, {"欣", "xin", 2}, {"怡", "yi", 2}, {"婷", "ting", 2},
  {"雪", "xue", 2}, {"琳", "lin", 2}, {"晓", "xiao", 3}, {"海", "hai", 2}, {"峰", "feng", 2},
  {"波", "bo", 2}, {"斌", "bin", 2}, {"鑫", "xin", 2}, {"佳", "jia", 3}, {"思", "si", 2},
  {"雨", "yu", 2}, {"子", "zi", 2}, {"涵", "han", 2}, {"梓", "zi", 1}, {"轩", "xuan", 2},
  {"博", "bo", 2}, {"睿", "rui", 2}, {"嘉", "jia", 2}, {"俊", "jun", 2}, {"志", "zhi", 3},
  {"宏", "hong", 2}, {"永", "yong", 2}, {"春", "chun", 2}, {"红", "hong", 2}, {"玉", "yu", 2},
  {"兰", "lan", 2}, {"凤", "feng", 1}, {"云", "yun", 2}, {"飞", "fei", 2}, {"龙", "long", 2},
  {"亮", "liang", 2}, {"成", "cheng", 2}, {"天", "tian", 2}, {"一", "yi", 2}, {"诗", "shi", 2},
  {"梦", "meng", 2}, {"琪", "qi", 2}, {"彤", "tong", 2}, {"悦", "yue", 2}, {"昊", "hao", 2},
  {"然", "ran", 2}, {"泽", "ze", 2}, {"昕", "xin", 1}, {"颖", "ying", 2}, {"倩", "qian", 2},
  {"璐", "lu", 1}, {"丹", "dan", 2}, {"立", "li", 2}, {"慧", "hui", 2},
}};
// clang-format on

inline constexpr std::array<std::string_view, 20> english_names{
    "Kevin", "Jason", "Tony",  "Eric",  "Jack",  "Leo",   "Frank", "Steven", "Peter", "Vincent",
    "Lily",  "Amy",   "Linda", "Helen", "Grace", "Cindy", "Emma",  "Sunny",  "Coco",  "Alice"};

inline constexpr std::array<std::string_view, 14> nicknames{
    "小王", "阿杰",   "晴天", "追梦人",     "奔跑的蜗牛", "静待花开", "一叶知秋",
    "老张", "木子李", "Lily", "快乐每一天", "简单点",     "小陈同学", "阳光明媚"};

inline constexpr std::array<std::string_view, 5> honorifics{"先生", "女士", "总", "经理", "老师"};

/// Valid Chinese mobile number prefixes (first three digits).
inline constexpr std::array<std::string_view, 38> mobile_prefixes{
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150",
    "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177",
    "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "199"};

inline constexpr std::array<std::string_view, 7> junk_phones{
    "13800138000", "13888888888", "12345678910", "11111111111",
    "00000000",    "123456",      "13900000000"};

inline constexpr std::array<std::string_view, 8> junk_emails{
    "test@example.com", "123@qq.com",   "a@a.com",    "test@test.com", "无",
    "none@none.com",    "asdf@163.com", "xxx@xxx.com"};

struct weighted_text {
  std::string_view text;
  int weight;
};

inline constexpr std::array<weighted_text, 11> personal_mail_domains{{{"qq.com", 30},
                                                                      {"163.com", 25},
                                                                      {"126.com", 10},
                                                                      {"sina.com", 5},
                                                                      {"foxmail.com", 5},
                                                                      {"139.com", 3},
                                                                      {"hotmail.com", 3},
                                                                      {"gmail.com", 3},
                                                                      {"outlook.com", 2},
                                                                      {"yeah.net", 2},
                                                                      {"aliyun.com", 2}}};

inline constexpr std::array<weighted_text, 7> lead_sources{{{"官网表单", 28},
                                                            {"百度推广", 20},
                                                            {"抖音私信", 16},
                                                            {"电话咨询", 11},
                                                            {"展会扫码", 11},
                                                            {"转介绍", 11},
                                                            {"facebook_ads", 3}}};

inline constexpr std::array<std::string_view, 10> general_tags{
    "高意向",   "预算明确", "决策人",   "比价中",   "需回访",
    "已加微信", "试用中",   "关注价格", "竞品客户", "紧急"};

inline constexpr std::array<std::string_view, 20> roads{
    "人民路", "中山路", "建设路", "解放路",   "科技路",   "创新大道", "高新大道",
    "文化路", "长江路", "黄河路", "滨江大道", "学院路",   "工业园路", "商务大道",
    "和平路", "新华路", "东风路", "光明路",   "软件园路", "金融街"};

inline constexpr std::array<std::string_view, 9> skills{"大客户",   "英语",     "招投标",
                                                        "医疗行业", "教育行业", "制造业",
                                                        "海外客户", "电话销售", "解决方案"};

inline constexpr std::array<std::string_view, 5> company_sizes{"1-49人", "50-99人", "100-499人",
                                                               "500-999人", "1000人以上"};

}  // namespace crmrules::sample::tables
