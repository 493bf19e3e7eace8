// A tiny host program: proves a consumer can build and link against crmrules as packaged.
#include <crmrules/crmrules.hpp>
#include <cstdio>
#include <filesystem>

#ifdef CONSUMER_WITH_SQLITE
#include <crmrules/store/sqlite_storage.hpp>
#endif

int main() {
  crmrules::lead l;
  l.id = crmrules::lead_id{"L1"};
  l.source = "官网表单";
  crmrules::memory_storage memory;
  if (!memory.leads().insert(l)) return 1;
  auto rules = crmrules::rule_set::load_string(
      R"({"schema": {"lead": {"fields": {"课程偏好": {"type": "string"}}}}})");
  if (!rules) return 2;
#ifdef CONSUMER_WITH_SQLITE
  const auto path = std::filesystem::temp_directory_path() / "crmrules_package_consumer.db";
  std::filesystem::remove(path);
  auto db = crmrules::sqlite_storage::open(path);
  if (!db) return 3;
  if (!(*db)->leads().insert(l)) return 4;
  if ((*db)->leads().get(l.id)->source != "官网表单") return 5;
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path.string() + suffix);
#endif
  std::printf("consumer ok: crmrules %s\n", crmrules::version_string);
  return 0;
}
