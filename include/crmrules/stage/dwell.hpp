// crmrules stage: dwell limits, frozen deals and the forecast.
//
// A deal that stays in a stage longer than the stage's dwell limit is frozen: it is listed with
// how long it has been there and by how much it is over, its owner is reminded, and the
// forecast leaves it out until it moves (a stale deal is not a forecast). Time counts in
// calendar days; business calendars come with the SLA engine (issue #7).
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "crmrules/stage/pipeline.hpp"
#include "crmrules/store/notifier.hpp"

namespace crmrules::stage {

struct frozen_deal {
  opportunity_id id;
  std::string stage;
  duration in_stage{};  ///< now - entered_stage_at
  duration over_by{};   ///< in_stage - the stage's dwell limit (> 0)
};

/// Whether `o` is past its stage's dwell limit at `now` (open stages with a limit only).
[[nodiscard]] bool is_frozen(const pipeline& p, const opportunity& o, timestamp now) noexcept;

/// Every frozen deal among `deals`, the most overdue first (then by id).
[[nodiscard]] std::vector<frozen_deal> frozen_deals(const pipeline& p,
                                                    std::span<const opportunity> deals,
                                                    timestamp now);

/// Sends one reminder per frozen deal (topic "stage.dwell_exceeded", to the deal's owner, or
/// to the pipeline's override roles when it has none). Returns how many were delivered.
std::size_t remind_frozen(notifier& n, const pipeline& p, std::span<const opportunity> deals,
                          timestamp now);

struct forecast {
  money weighted;           ///< sum of amount x the stage's win probability
  money unweighted;         ///< sum of amounts of open deals counted
  std::size_t counted = 0;  ///< open deals in the forecast
  std::size_t frozen = 0;   ///< open deals left out as frozen
  /// Weighted amount per forecast category ("pipeline", "commit", ...).
  std::map<std::string, money, std::less<>> by_category;
};

/// The forecast of the open deals among `deals` at `now`, frozen ones left out. Deals in a
/// stage the pipeline does not know are ignored. Amounts are rounded to the fen.
[[nodiscard]] forecast forecast_of(const pipeline& p, std::span<const opportunity> deals,
                                   timestamp now);

}  // namespace crmrules::stage
