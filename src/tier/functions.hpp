// Internal: the event functions of tier formulas (COUNT_EVENTS, HAS_EVENT, LAST_EVENT_AT,
// DAYS_SINCE_LAST) and how the engine points them at one customer's windows.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "crmrules/rules/formula.hpp"
#include "crmrules/tier/windows.hpp"

namespace crmrules::tier::detail {

/// A call of an event function (COUNT_EVENTS, HAS_EVENT, LAST_EVENT_AT, DAYS_SINCE_LAST) in a
/// compiled formula whose type name is a constant.
struct event_call {
  /// The type name, viewing the formula's storage: the pointer the function receives.
  std::string_view type;
  /// The window, when the function takes one and it is a constant.
  std::optional<duration> window;
  std::uint32_t offset = 0;  ///< the call's source span in the formula's text
  std::uint32_t length = 0;
};
/// Whether `name` is one of the event functions (which read the windows, not the record).
bool is_event_function(std::string_view name) noexcept;
/// Every such call in `f`.
std::vector<event_call> event_calls(const formula& f);

/// A constant type name of a policy's formulas, interned once by the engine.
struct type_site {
  const char* name = nullptr;  ///< the constant's storage (event_call::type's data)
  std::size_t size = 0;
  event_windows::type_id type = 0;
};

/// What the functions read: set by the engine around each evaluation, on its own thread.
struct window_view {
  const event_windows* windows = nullptr;
  event_windows::slot customer = 0;
  /// The formulas' constant type names, resolved: a call whose name is one of these (the same
  /// storage) needs no lookup by text.
  std::span<const type_site> sites;
};

/// The view the functions of this thread read; null outside an engine's evaluation (the
/// functions then return #N/A).
const window_view*& current_view() noexcept;

/// Sets the view for the life of the object.
class view_scope {
 public:
  explicit view_scope(const window_view& v) noexcept : previous_(current_view()) {
    current_view() = &v;
  }
  ~view_scope() { current_view() = previous_; }
  view_scope(const view_scope&) = delete;
  view_scope& operator=(const view_scope&) = delete;

 private:
  const window_view* previous_;
};

}  // namespace crmrules::tier::detail
