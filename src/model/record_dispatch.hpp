// Internal: calling a generic function with the record type that matches a runtime record_kind.
#pragma once

#include <utility>

#include "crmrules/model/records.hpp"
#include "crmrules/model/schema.hpp"

namespace crmrules::detail {

template <class R>
struct type_tag {
  using type = R;
};

/// Calls `f(type_tag<R>{})` for the record type R of `kind`.
template <class F>
decltype(auto) visit_kind(record_kind kind, F&& f) {
  switch (kind) {
    case record_kind::lead:
      return std::forward<F>(f)(type_tag<lead>{});
    case record_kind::customer:
      return std::forward<F>(f)(type_tag<customer>{});
    case record_kind::contact:
      return std::forward<F>(f)(type_tag<contact>{});
    case record_kind::rep:
      return std::forward<F>(f)(type_tag<rep>{});
    case record_kind::team:
      return std::forward<F>(f)(type_tag<team>{});
    case record_kind::opportunity:
      return std::forward<F>(f)(type_tag<opportunity>{});
    case record_kind::event:
      return std::forward<F>(f)(type_tag<event>{});
    case record_kind::promise:
      return std::forward<F>(f)(type_tag<promise>{});
    case record_kind::timer:
      break;
  }
  return std::forward<F>(f)(type_tag<timer>{});
}

}  // namespace crmrules::detail
