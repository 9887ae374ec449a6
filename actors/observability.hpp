// How the actors' own terms show in the metrics and the logs: the metrics
// labelled with this layer's streams and close causes, the ingest refusal an
// outcome of the block source counts as, and its "ingest_error" log line.
#pragma once

#include "actors/messages.hpp"
#include "ops/metrics.hpp"

#include <boost/json/object.hpp>

#include <optional>

namespace evstream {

// A metrics registry with a series for every stream and close cause.
ops::metrics_ptr make_metrics();

// The refusal an outcome of the block source stands for; none for accepted.
std::optional<ops::ingest_refusal> ingest_refusal_of(ingest_result::outcome outcome);

// An "ingest_error" line (warn) for a block the block source refused: `where`
// it came from (a remote address, a stdin line), then why.
void log_refused_block(const ingest_result& refused, boost::json::object where);

} // namespace evstream
