// Durations in scenario files and transcripts.
#pragma once

#include <caf/timestamp.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace evstream::scenario {

// CAF's duration syntax ("180s", "3min", "250ms", "1h"), plus a decimal
// number of a unit ("179.999s", "1.5min"), which CAF does not read.
std::optional<caf::timespan> parse_duration(std::string_view text);

// "179.999s": a point on a scenario's clock, to the millisecond.
std::string describe_time(caf::timespan since_start);

// "1800ms", "1500us": a duration as CAF's option parser reads it back.
std::string to_caf_duration(caf::timespan duration);

} // namespace evstream::scenario
