#include "crmrules/assign/dry_run.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace crmrules::assign {

namespace {

simulation simulate(std::shared_ptr<const policy> p, std::span<const lead> leads,
                    std::span<const rep> snapshot, timestamp now) {
  simulation out;
  assigner a(std::move(p));
  std::vector<rep> reps(snapshot.begin(), snapshot.end());
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < reps.size(); ++i)
    index.emplace(reps[i].id.str(), i);
  out.owners.reserve(leads.size());
  a.load(reps);  // the snapshot, read once; a rep that takes a lead is refreshed below
  for (const lead& l : leads) {
    const assignment pick = a.choose(l, now);
    const std::string owner = pick.rep ? pick.rep->str() : std::string();
    out.owners.push_back(owner);
    switch (pick.kind) {
      case outcome::assigned:
        ++out.assigned;
        break;
      case outcome::fallback:
        ++out.fallback;
        break;
      case outcome::unassigned:
        ++out.unassigned;
        break;
    }
    if (pick.kind != outcome::assigned) {
      ++out.reasons[std::string(to_string(pick.reason))];
      out.fallen.emplace_back(l.id.str(), pick.reason_text);
    }
    if (!owner.empty()) {
      ++out.leads_per_rep[owner];
      if (auto it = index.find(owner); it != index.end()) {
        rep& r = reps[it->second];
        ++r.assigned_today;
        ++r.open_leads;
        r.last_assigned_at = now;
        (void)a.refresh(it->second);
      }
    }
  }
  for (const rep& r : reps)
    out.load_after[r.id.str()] = a.load_of(r, now);
  return out;
}

std::string fmt_double(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", d);
  return buf;
}

}  // namespace

dry_run_report dry_run(std::shared_ptr<const policy> candidate,
                       std::shared_ptr<const policy> in_force, std::span<const lead> leads,
                       std::span<const rep> reps, timestamp now) {
  dry_run_report report;
  report.leads = leads.size();
  report.candidate = simulate(std::move(candidate), leads, reps, now);
  if (in_force) {
    report.in_force = simulate(std::move(in_force), leads, reps, now);
    for (std::size_t i = 0; i < leads.size(); ++i) {
      const std::string& before = report.in_force->owners[i];
      const std::string& after = report.candidate.owners[i];
      if (before == after) continue;
      ++report.changed_owner;
      ++report.moves[{before, after}];
    }
  }
  return report;
}

std::string dry_run_report::summary() const {
  std::string out = "dry run over " + std::to_string(leads) + " leads\n";
  auto describe = [&](const char* title, const simulation& s) {
    out += std::string(title) + ": " + std::to_string(s.assigned) + " assigned, " +
           std::to_string(s.fallback) + " to the fallback, " + std::to_string(s.unassigned) +
           " unassigned\n";
    for (const auto& [reason, n] : s.reasons)
      out += "  fallback reason " + reason + ": " + std::to_string(n) + "\n";
    out += "  rep            leads   load after\n";
    std::vector<std::string> ids;
    for (const auto& [id, load] : s.load_after)
      ids.push_back(id);
    for (const auto& [id, n] : s.leads_per_rep) {
      if (!s.load_after.contains(id)) ids.push_back(id);  // e.g. a fallback rep not in the snapshot
    }
    for (const auto& id : ids) {
      const auto n = s.leads_per_rep.contains(id) ? s.leads_per_rep.at(id) : 0;
      const auto load = s.load_after.contains(id) ? fmt_double(s.load_after.at(id)) : "-";
      char line[160];
      std::snprintf(line, sizeof line, "  %-14s %5zu   %s\n", id.c_str(), n, load.c_str());
      out += line;
    }
  };
  describe("candidate", candidate);
  if (in_force) {
    describe("in force", *in_force);
    out += std::to_string(changed_owner) + " leads change owner\n";
    std::vector<std::pair<std::pair<std::string, std::string>, std::size_t>> sorted(moves.begin(),
                                                                                    moves.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [move, n] : sorted) {
      out += "  " + (move.first.empty() ? std::string("(nobody)") : move.first) + " -> " +
             (move.second.empty() ? std::string("(nobody)") : move.second) + ": " +
             std::to_string(n) + "\n";
    }
  }
  return out;
}

}  // namespace crmrules::assign
