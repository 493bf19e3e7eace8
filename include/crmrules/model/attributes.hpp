// crmrules model: the bag of custom attributes a host adds to any record.
//
// Hosts add fields of their own (`课程偏好`, `partner_level`) to any record kind; declare them in
// the rules file's "schema" section so formulas can use them with their types. The bag is a
// small flat map kept sorted by name: compact, cache-friendly, deterministic to iterate and
// serialise. Names are exact (case- and width-sensitive) UTF-8 strings.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmrules/detail/bytes.hpp"
#include "crmrules/model/value.hpp"

namespace crmrules {

class attributes {
 public:
  using entry = std::pair<std::string, value>;
  using const_iterator = std::vector<entry>::const_iterator;

  attributes() = default;
  attributes(std::initializer_list<entry> init) {
    for (const auto& e : init)
      set(e.first, e.second);
  }

  /// The value stored under `name`, or nullptr.
  [[nodiscard]] const value* find(std::string_view name) const noexcept {
    // Most records carry a handful of attributes: a scan that compares lengths first beats a
    // binary search of string comparisons there.
    if (items_.size() <= 8) {
      for (const auto& e : items_) {
        if (detail::bytes_equal(e.first, name)) return &e.second;
      }
      return nullptr;
    }
    auto it = lower(name);
    return it != items_.end() && it->first == name ? &it->second : nullptr;
  }
  [[nodiscard]] bool contains(std::string_view name) const noexcept {
    return find(name) != nullptr;
  }

  /// Sets or replaces `name`. A null value is stored as null (it is not an erase).
  void set(std::string_view name, value v) {
    auto it = lower(name);
    if (it != items_.end() && it->first == name) {
      it->second = std::move(v);
    } else {
      items_.emplace(it, std::string(name), std::move(v));
    }
  }
  /// Removes `name`; returns whether it was present.
  bool erase(std::string_view name) {
    auto it = lower(name);
    if (it == items_.end() || it->first != name) return false;
    items_.erase(it);
    return true;
  }

  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] const_iterator begin() const noexcept { return items_.begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return items_.end(); }

  friend bool operator==(const attributes&, const attributes&) = default;

 private:
  [[nodiscard]] std::vector<entry>::const_iterator lower(std::string_view name) const noexcept {
    return std::lower_bound(items_.begin(), items_.end(), name,
                            [](const entry& e, std::string_view n) { return e.first < n; });
  }
  [[nodiscard]] std::vector<entry>::iterator lower(std::string_view name) noexcept {
    return std::lower_bound(items_.begin(), items_.end(), name,
                            [](const entry& e, std::string_view n) { return e.first < n; });
  }

  std::vector<entry> items_;
};

}  // namespace crmrules
