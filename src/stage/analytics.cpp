#include "crmrules/stage/analytics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace crmrules::stage {

namespace {

/// The value at quantile q (0..1) of sorted `v`, nearest rank.
duration quantile(const std::vector<duration>& v, double q) {
  if (v.empty()) return duration::zero();
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string days(duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fd",
                std::chrono::duration<double, std::ratio<86400>>(d).count());
  return buf;
}

/// A DOT double-quoted string.
std::string dot_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

pipeline_report analyse(const pipeline& p, std::span<const decision> log) {
  pipeline_report out;
  std::unordered_map<std::string, std::size_t> at;  // stage id -> index in out.stages
  for (const auto& s : p.stages) {
    at.emplace(s.id, out.stages.size());
    out.stages.push_back({});
    out.stages.back().stage = s.id;
  }
  std::vector<std::vector<duration>> stays(p.stages.size());
  std::map<std::pair<std::string, std::string>, std::size_t> flows;
  // Per deal: the stage it entered last and when (from the log alone).
  std::unordered_map<std::string, std::pair<std::string, timestamp>> entered;

  std::vector<const decision*> ordered;
  for (const decision& d : log) {
    if (d.kind == decision_kind::stage_move || d.kind == decision_kind::gate_refusal ||
        d.kind == decision_kind::override)
      ordered.push_back(&d);
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const decision* a, const decision* b) { return a->seq < b->seq; });
  for (const decision* d : ordered) {
    ++out.decisions_read;
    nlohmann::json j = nlohmann::json::parse(d->detail, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("from") || !j.contains("to") || !j["from"].is_string() ||
        !j["to"].is_string()) {
      ++out.unreadable;
      continue;
    }
    const std::string from = j["from"].get<std::string>();
    const std::string to = j["to"].get<std::string>();
    const auto fi = at.find(from);
    if (d->kind == decision_kind::gate_refusal) {
      if (fi != at.end()) ++out.stages[fi->second].refused;
      continue;
    }
    ++flows[{from, to}];
    const auto ti = at.find(to);
    if (fi != at.end()) {
      stage_stats& s = out.stages[fi->second];
      if (d->kind == decision_kind::override) ++s.overridden;
      const stage_def* to_def = ti != at.end() ? &p.stages[ti->second] : nullptr;
      const stage_def& from_def = p.stages[fi->second];
      if (to_def != nullptr && to_def->kind == stage_kind::lost) {
        ++s.lost;
      } else if (to_def != nullptr && to_def->kind == stage_kind::open &&
                 to_def->order < from_def.order) {
        ++s.back;
      } else {
        ++s.advanced;
      }
      const auto e = entered.find(d->subject.id);
      if (e != entered.end() && e->second.first == from)
        stays[fi->second].push_back(d->at - e->second.second);
    }
    if (ti != at.end()) ++out.stages[ti->second].entered;
    entered[d->subject.id] = {to, d->at};
  }
  for (std::size_t i = 0; i < out.stages.size(); ++i) {
    auto& v = stays[i];
    std::sort(v.begin(), v.end());
    stage_stats& s = out.stages[i];
    s.stays = v.size();
    s.median_stay = quantile(v, 0.5);
    s.p90_stay = quantile(v, 0.9);
    s.conversion = s.advanced + s.lost == 0
                       ? 0.0
                       : static_cast<double>(s.advanced) / static_cast<double>(s.advanced + s.lost);
  }
  for (const auto& [pair, n] : flows)
    out.flows.push_back({pair.first, pair.second, n});
  std::stable_sort(out.flows.begin(), out.flows.end(),
                   [](const stage_flow& a, const stage_flow& b) { return a.moves > b.moves; });
  return out;
}

std::string to_dot(const pipeline& p, const pipeline_report* report) {
  std::string out = "digraph pipeline {\n  rankdir=LR;\n";
  out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f2f2f2\"];\n";
  for (std::size_t i = 0; i < p.stages.size(); ++i) {
    const stage_def& s = p.stages[i];
    std::string label = s.name;
    std::string color = s.kind == stage_kind::won    ? "#c8e6c9"
                        : s.kind == stage_kind::lost ? "#ffcdd2"
                                                     : "#f2f2f2";
    if (report != nullptr && i < report->stages.size() && s.kind == stage_kind::open) {
      const stage_stats& st = report->stages[i];
      label += "\n" + std::to_string(st.entered) + " entered";
      if (st.stays > 0)
        label += "\nstay median " + days(st.median_stay) + ", p90 " + days(st.p90_stay);
      if (st.refused > 0) label += "\n" + std::to_string(st.refused) + " refused";
      if (s.dwell_limit && st.stays > 0) {
        const double ratio = std::chrono::duration<double>(st.median_stay).count() /
                             std::chrono::duration<double>(*s.dwell_limit).count();
        color = ratio < 0.5 ? "#c8e6c9" : ratio < 1.0 ? "#ffe0b2" : "#ef9a9a";
      }
    } else if (s.dwell_limit) {
      label += "\nlimit " + days(*s.dwell_limit);
    }
    out += "  " + dot_string(s.id) + " [label=" + dot_string(label) +
           ", fillcolor=" + dot_string(color);
    if (s.kind != stage_kind::open) out += ", shape=doubleoctagon";
    out += "];\n";
  }
  if (report != nullptr) {
    for (const stage_flow& f : report->flows) {
      out += "  " + dot_string(f.from) + " -> " + dot_string(f.to) +
             " [label=" + dot_string(std::to_string(f.moves)) + "];\n";
    }
  } else {
    // The allowed moves: next stages, shortcuts (dashed), backward (dotted).
    std::vector<const stage_def*> open;
    for (const auto& s : p.stages) {
      if (s.kind == stage_kind::open) open.push_back(&s);
    }
    for (std::size_t k = 0; k + 1 < open.size(); ++k)
      out += "  " + dot_string(open[k]->id) + " -> " + dot_string(open[k + 1]->id) + ";\n";
    for (const auto& s : p.stages) {
      if (s.kind == stage_kind::won && !open.empty())
        out += "  " + dot_string(open.back()->id) + " -> " + dot_string(s.id) + ";\n";
    }
    for (const auto& t : p.shortcuts)
      out += "  " + dot_string(t.from) + " -> " + dot_string(t.to) + " [style=dashed];\n";
    for (const auto& t : p.backward)
      out += "  " + dot_string(t.from) + " -> " + dot_string(t.to) + " [style=dotted];\n";
  }
  return out + "}\n";
}

}  // namespace crmrules::stage
