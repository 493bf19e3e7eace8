#include "crmrules/store/storage.hpp"

#include <set>
#include <string>
#include <utility>

#include "crmrules/store/notifier.hpp"

namespace crmrules {

record_ref ref_of(const any_record& r) {
  return std::visit(
      [](const auto& rec) {
        using R = std::decay_t<decltype(rec)>;
        return record_ref{record_traits<R>::kind, rec.id.str()};
      },
      r);
}

status decision_log::check(const decision& d) {
  if (d.subject.id.empty()) return status::invalid_argument("decision without a subject id");
  if (!in_supported_range(d.at))
    return status::invalid_argument("decision time is outside years 1..9999");
  for (auto [what, text] : {std::pair{"subject id", std::string_view(d.subject.id)},
                            std::pair{"actor", std::string_view(d.actor)},
                            std::pair{"reason", std::string_view(d.reason)},
                            std::pair{"detail", std::string_view(d.detail)}}) {
    if (!is_valid_utf8(text))
      return status::invalid_argument(std::string("decision ") + what + " is not valid UTF-8");
  }
  return {};
}

result<commit_receipt> storage::commit(const write_batch& batch) noexcept {
  return detail::guarded("commit", [&]() -> result<commit_receipt> {
    if (batch.empty()) return commit_receipt{};
    std::set<std::pair<record_kind, std::string>> seen;
    std::size_t index = 0;
    for (const auto& op : batch.ops()) {
      const std::string where = "batch op " + std::to_string(index++);
      record_ref ref;
      if (op.kind == write_batch::op_kind::remove) {
        ref = op.target;
        if (ref.id.empty()) return status::invalid_argument(where + ": remove without an id");
        if (op.expected_version == 0)
          return status::invalid_argument(where + ": remove needs the stored version");
      } else {
        ref = ref_of(op.record);
        const std::uint64_t version =
            std::visit([](const auto& r) { return r.version; }, op.record);
        if (op.kind == write_batch::op_kind::insert && version != 0) {
          return status::invalid_argument(where + ": insert needs version 0");
        }
        if (op.kind == write_batch::op_kind::update && version == 0) {
          return status::invalid_argument(where + ": update needs the stored version");
        }
        status s = std::visit([](const auto& r) { return validate(r); }, op.record);
        if (!s.ok()) return status::invalid_argument(where + ": " + s.message());
      }
      if (!seen.emplace(ref.kind, ref.id).second) {
        return status::invalid_argument(where + ": " + std::string(to_string(ref.kind)) + " '" +
                                        ref.id + "' is written twice in one batch");
      }
    }
    for (const auto& d : batch.decisions()) {
      if (status s = decision_log::check(d); !s.ok()) return s;
    }
    return do_commit(batch);
  });
}

std::string_view to_string(notification_level level) noexcept {
  switch (level) {
    case notification_level::info:
      return "info";
    case notification_level::reminder:
      return "reminder";
    case notification_level::warning:
      return "warning";
    case notification_level::escalation:
      return "escalation";
    case notification_level::alert:
      return "alert";
  }
  return "unknown";
}

status notifier::notify(const notification& n) noexcept {
  status s = n.topic.empty() ? status::invalid_argument("notification without a topic")
                             : detail::guarded("notify", [&] { return do_notify(n); });
  (s.ok() ? delivered_ : failed_).fetch_add(1, std::memory_order_relaxed);
  return s;
}

}  // namespace crmrules
