// The pipeline's graph, checked with Boost.Graph. Nothing of Boost leaves this file.
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>
#include <iterator>
#include <string>
#include <unordered_map>
#include <vector>

#include "stage/pipeline_loader.hpp"

namespace crmrules::detail {

namespace {

using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

/// Every vertex reachable from `from` (breadth first).
std::vector<bool> reachable_from(const graph& g, std::size_t from) {
  std::vector<boost::default_color_type> color(boost::num_vertices(g));
  boost::breadth_first_search(g, boost::vertex(from, g),
                              boost::color_map(boost::make_iterator_property_map(
                                  color.begin(), boost::get(boost::vertex_index, g))));
  std::vector<bool> out(color.size());
  for (std::size_t v = 0; v < color.size(); ++v)
    out[v] = color[v] != boost::white_color;
  return out;
}

}  // namespace

std::vector<std::string> check_pipeline_graph(const stage::pipeline& p) {
  std::vector<std::string> problems;
  const std::size_t n = p.stages.size();
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::size_t> open, won, lost;
  for (std::size_t i = 0; i < n; ++i) {
    index.emplace(p.stages[i].id, i);
    switch (p.stages[i].kind) {
      case stage::stage_kind::open:
        open.push_back(i);
        break;
      case stage::stage_kind::won:
        won.push_back(i);
        break;
      case stage::stage_kind::lost:
        lost.push_back(i);
        break;
    }
  }
  if (open.empty()) problems.emplace_back("the pipeline has no open stage to start in");
  if (won.empty())
    problems.emplace_back("the pipeline has no won terminal (\"terminal\": \"won\")");
  if (lost.empty())
    problems.emplace_back("the pipeline has no lost terminal (\"terminal\": \"lost\")");
  if (!problems.empty()) return problems;

  // Forward moves: each open stage to the next (the stages are sorted by order), the last one
  // to every won terminal, every open stage to every lost terminal, and the shortcuts.
  graph forward(n);
  for (std::size_t k = 0; k + 1 < open.size(); ++k)
    boost::add_edge(open[k], open[k + 1], forward);
  for (const std::size_t w : won)
    boost::add_edge(open.back(), w, forward);
  for (const std::size_t o : open) {
    for (const std::size_t l : lost)
      boost::add_edge(o, l, forward);
  }
  for (const auto& t : p.shortcuts)
    boost::add_edge(index.at(t.from), index.at(t.to), forward);

  // No cycle among forward moves (a deal could otherwise go round for ever without going back).
  try {
    std::vector<std::size_t> order;
    boost::topological_sort(forward, std::back_inserter(order));
  } catch (const boost::not_a_dag&) {
    problems.emplace_back("forward moves (next stages and shortcuts) form a cycle");
  }

  // Every move, backward ones included, for reachability.
  graph all = forward;
  for (const auto& t : p.backward)
    boost::add_edge(index.at(t.from), index.at(t.to), all);
  const std::size_t start = open.front();
  const std::vector<bool> from_start = reachable_from(all, start);
  for (std::size_t v = 0; v < n; ++v) {
    if (!from_start[v])
      problems.push_back("stage '" + p.stages[v].id + "' cannot be reached from the start ('" +
                         p.stages[start].id + "')");
  }
  for (const std::size_t o : open) {
    const std::vector<bool> seen = reachable_from(all, o);
    bool can_win = false, can_lose = false;
    for (const std::size_t w : won)
      can_win = can_win || seen[w];
    for (const std::size_t l : lost)
      can_lose = can_lose || seen[l];
    if (!can_win)
      problems.push_back("no won terminal can be reached from stage '" + p.stages[o].id + "'");
    if (!can_lose)
      problems.push_back("no lost terminal can be reached from stage '" + p.stages[o].id + "'");
  }
  return problems;
}

}  // namespace crmrules::detail
