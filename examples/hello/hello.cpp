#include <crmrules/crmrules.hpp>
#include <iostream>

int main() {
  auto rules = crmrules::rule_set::load_string(R"js({
    "schema": {"lead": {"fields": {"近30天互动频次": {"type": "integer"}}}},
    "formulas": {"weight": "IF(线索来源=\"官网表单\", 100, 40) + IF(客户预算>50万, 50, 0) + IF(近30天互动频次>=3, 30, 0)"}
  })js");
  if (!rules) return std::cerr << rules.error().to_string() << "\n", 1;
  crmrules::lead lead;
  lead.id = crmrules::lead_id{"L0001"};
  lead.source = "官网表单";
  lead.budget = crmrules::money::parse("60万").value();
  lead.custom.set("近30天互动频次", 4);
  const auto weight = (*rules)->find_formula("weight");
  crmrules::activation act(*weight);  // one per thread, reused for every lead
  (void)act.bind(0, lead);
  crmrules::explanation why;
  std::cout << "weight " << weight->evaluate(act).as_number() << ": ";
  (void)weight->evaluate(act, why);
  std::cout << why.summary() << "\n";
}
