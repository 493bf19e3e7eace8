#include <fstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "crmrules/model/json.hpp"
#include "crmrules_sample/sample.hpp"

namespace crmrules::sample {
namespace {

/// A JSON string literal, escaped by the library's own codec.
std::string json_string(std::string_view text) {
  return crmrules::value_to_json(crmrules::value(text));
}

template <class T>
status write_lines(const std::filesystem::path& path, const std::vector<T>& items) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return status::unavailable("cannot open " + path.string() + " for writing");
  std::string buffer;
  for (const auto& item : items) {
    if constexpr (std::is_same_v<T, duplicate_truth>) {
      buffer += sample::to_json(item);
    } else {
      buffer += crmrules::to_json(item);
    }
    buffer += '\n';
    if (buffer.size() >= (std::size_t{1} << 20)) {
      file.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  }
  file.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  file.close();
  if (!file) return status::resource_exhausted("writing " + path.string() + " failed");
  return {};
}

}  // namespace

std::string to_json(const duplicate_truth& truth) {
  return "{\"lead\":" + json_string(truth.lead.str()) +
         ",\"original_kind\":" + json_string(crmrules::to_string(truth.original.kind)) +
         ",\"original\":" + json_string(truth.original.id) +
         ",\"change\":" + json_string(truth.change) + "}";
}

status write_jsonl(const dataset& data, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return status::invalid_argument("cannot create directory " + dir.string() + ": " +
                                    ec.message());
  if (!std::filesystem::is_directory(dir, ec)) {
    return status::invalid_argument(dir.string() + " is not a directory");
  }
  if (status s = write_lines(dir / "teams.jsonl", data.teams); !s.ok()) return s;
  if (status s = write_lines(dir / "reps.jsonl", data.reps); !s.ok()) return s;
  if (status s = write_lines(dir / "customers.jsonl", data.customers); !s.ok()) return s;
  if (status s = write_lines(dir / "leads.jsonl", data.leads); !s.ok()) return s;
  if (status s = write_lines(dir / "events.jsonl", data.events); !s.ok()) return s;
  return write_lines(dir / "duplicates.jsonl", data.duplicates);
}

}  // namespace crmrules::sample
