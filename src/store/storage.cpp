#include "crmrules/store/storage.hpp"

#include <set>
#include <string>
#include <utility>

#include "crmrules/store/notifier.hpp"
#include "store/messages.hpp"

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

namespace {

/// What storage::commit checks of one op before any implementation sees it.
status check_op(const write_batch::op& op, std::set<std::pair<record_kind, std::string>>& seen) {
  record_ref ref;
  if (op.kind == write_batch::op_kind::remove) {
    ref = op.target;
    if (ref.id.empty()) return status::invalid_argument("remove without an id");
    if (op.expected_version == 0)
      return status::invalid_argument("remove needs the stored version");
  } else {
    ref = ref_of(op.record);
    const std::uint64_t version = std::visit([](const auto& r) { return r.version; }, op.record);
    if (op.kind == write_batch::op_kind::insert && version != 0)
      return status::invalid_argument("insert needs version 0");
    if (op.kind == write_batch::op_kind::update && version == 0) {
      return status::invalid_argument("update needs the stored version");
    }
    if (status s = std::visit([](const auto& r) { return validate(r); }, op.record); !s.ok())
      return s;
  }
  if (!seen.emplace(ref.kind, ref.id).second) {
    return status::invalid_argument(detail::describe(ref.kind, ref.id) +
                                    " is written twice in one batch");
  }
  return {};
}

}  // namespace

result<commit_receipt> storage::commit(const write_batch& batch) noexcept {
  return detail::guarded("commit", [&]() -> result<commit_receipt> {
    if (batch.empty()) return commit_receipt{};
    std::set<std::pair<record_kind, std::string>> seen;
    std::size_t index = 0;
    for (const auto& op : batch.ops()) {
      if (status s = check_op(op, seen); !s.ok()) return detail::in_batch_op(index, s);
      ++index;
    }
    for (const auto& d : batch.decisions()) {
      if (status s = decision_log::check(d); !s.ok()) return s;
    }
    return do_commit(batch);
  });
}

std::string_view to_string(customer_key k) noexcept {
  switch (k) {
    case customer_key::uscc:
      return "uscc";
    case customer_key::phone:
      return "phone";
    case customer_key::email:
      return "email";
  }
  return "unknown";
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
  status s = detail::guarded("notify", [&]() -> status {
    if (n.topic.empty()) return status::invalid_argument("notification without a topic");
    return do_notify(n);
  });
  (s.ok() ? delivered_ : failed_).fetch_add(1, std::memory_order_relaxed);
  return s;
}

}  // namespace crmrules
