// Internal: the event functions of tier formulas (COUNT_EVENTS, HAS_EVENT, LAST_EVENT_AT,
// DAYS_SINCE_LAST) and how the engine points them at one customer's windows.
#pragma once

#include "crmrules/tier/windows.hpp"

namespace crmrules::tier::detail {

/// What the functions read: set by the engine around each evaluation, on its own thread.
struct window_view {
  const event_windows* windows = nullptr;
  event_windows::slot customer = 0;
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
