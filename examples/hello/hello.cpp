#include <crmrules/crmrules.hpp>
#include <iostream>

int main() {
  auto rules = crmrules::rule_set::load_string(
      R"({"schema": {"lead": {"fields": {"近30天互动频次": {"type": "integer"}}}}})");
  if (!rules) return std::cerr << rules.error().to_string() << "\n", 1;
  crmrules::memory_storage store;
  crmrules::lead lead;
  lead.id = crmrules::lead_id{"L0001"};
  lead.source = "官网表单";
  lead.custom.set("近30天互动频次", 4);
  auto version = store.leads().insert(lead);
  if (!version) return std::cerr << version.error().to_string() << "\n", 1;
  std::cout << "stored v" << *version << "; 线索来源 = lead."
            << (*rules)->schemas().of(crmrules::record_kind::lead).find("线索来源")->name << "\n";
}
