// How a host implements a crmrules store: a lead store over the host's own table (here a map
// guarded by a mutex; in real life, the host's database client). docs/STORAGE.md walks through it.
#include <cstdio>
#include <map>
#include <mutex>

#include "crmrules/crmrules.hpp"

namespace host {

using namespace crmrules;

/// Implements only the protected hooks. The public calls (get, insert, update, ...) are
/// crmrules' own: they validate input and turn any exception into status::internal.
class lead_table final : public lead_store {
 protected:
  result<lead> do_get(const lead_id& id) const override {
    std::lock_guard lock(mu_);
    auto it = rows_.find(id.str());
    if (it == rows_.end()) return status::not_found("lead " + id.str());
    return it->second;
  }
  result<std::uint64_t> do_insert(const lead& l) override {
    std::lock_guard lock(mu_);
    lead stored = l;
    stored.version = 1;
    if (!rows_.emplace(l.id.str(), std::move(stored)).second)
      return status::already_exists("lead " + l.id.str());
    return std::uint64_t{1};
  }
  result<std::uint64_t> do_update(const lead& l) override {
    std::lock_guard lock(mu_);
    auto it = rows_.find(l.id.str());
    if (it == rows_.end()) return status::not_found("lead " + l.id.str());
    if (it->second.version != l.version)
      return status::conflict("lead " + l.id.str() + " changed meanwhile");
    it->second = l;
    return ++it->second.version;  // the version check and the write are one step under the lock
  }
  status do_remove(const lead_id& id, std::uint64_t expected) override {
    std::lock_guard lock(mu_);
    auto it = rows_.find(id.str());
    if (it == rows_.end()) return status::not_found("lead " + id.str());
    if (it->second.version != expected)
      return status::conflict("lead " + id.str() + " changed meanwhile");
    rows_.erase(it);
    return {};
  }
  result<std::vector<lead>> do_list(const lead_id& after, std::size_t limit) const override {
    return scan(after, limit, [](const lead&) { return true; });
  }
  result<std::uint64_t> do_count() const override {
    std::lock_guard lock(mu_);
    return static_cast<std::uint64_t>(rows_.size());
  }
  result<std::vector<lead>> do_list_by_owner(const rep_id& owner, const lead_id& after,
                                             std::size_t limit) const override {
    return scan(after, limit, [&](const lead& l) { return l.owner == owner; });
  }
  result<std::vector<lead>> do_list_unassigned(const lead_id& after,
                                               std::size_t limit) const override {
    return scan(after, limit, [](const lead& l) {
      return l.status == lead_status::unassigned || l.status == lead_status::to_reassign;
    });
  }

 private:
  template <class Pred>
  std::vector<lead> scan(const lead_id& after, std::size_t limit, Pred keep) const {
    std::lock_guard lock(mu_);
    std::vector<lead> out;
    for (auto it = rows_.upper_bound(after.str()); it != rows_.end() && out.size() < limit; ++it) {
      if (keep(it->second)) out.push_back(it->second);
    }
    return out;
  }

  mutable std::mutex mu_;
  std::map<std::string, lead> rows_;  // ordered by id: list() pages in id order
};

}  // namespace host

int main() {
  host::lead_table leads;
  crmrules::lead l;
  l.id = crmrules::lead_id{"L1"};
  l.source = "展会扫码";
  auto v = leads.insert(l);  // crmrules validates, then calls do_insert
  l.version = *v;
  l.owner = crmrules::rep_id{"R007"};
  l.status = crmrules::lead_status::assigned;
  auto v2 = leads.update(l);
  auto stale = leads.update(l);  // l.version is 1, the table holds 2: refused
  std::printf("insert -> v%llu, update -> v%llu, stale update -> %s, owned by R007: %zu\n",
              static_cast<unsigned long long>(*v), static_cast<unsigned long long>(*v2),
              stale.error().to_string().c_str(),
              leads.list_by_owner(crmrules::rep_id{"R007"})->size());
  return stale.error().is_conflict() ? 0 : 1;
}
