#include "actors/observability.hpp"

#include "actors/subscription.hpp"
#include "actors/transport.hpp"
#include "ops/log.hpp"

namespace evstream {

std::string_view name_of(close_cause cause) {
  switch (cause) {
  case close_cause::keepalive:
    return "keepalive";
  case close_cause::slow_consumer:
    return "slow_consumer";
  case close_cause::limits:
    return "limits";
  case close_cause::shutdown:
    return "shutdown";
  case close_cause::internal_error:
    return "internal_error";
  case close_cause::upstream_gap:
    return "upstream_gap";
  case close_cause::client:
    return "client";
  case close_cause::connection_lost:
    return "connection_lost";
  }
  return "unknown";
}

ops::metrics_ptr make_metrics() {
  ops::metric_labels labels;
  for (const auto& served : served_streams())
    labels.streams.emplace_back(served.name);
  for (int cause = 0; cause <= static_cast<int>(last_close_cause); ++cause)
    labels.close_causes.emplace_back(name_of(static_cast<close_cause>(cause)));
  return std::make_shared<ops::metrics>(labels);
}

std::optional<ops::ingest_refusal> ingest_refusal_of(ingest_result::outcome outcome) {
  switch (outcome) {
  case ingest_result::outcome::accepted:
    return std::nullopt;
  case ingest_result::outcome::invalid:
    return ops::ingest_refusal::invalid;
  case ingest_result::outcome::duplicate:
    return ops::ingest_refusal::duplicate;
  case ingest_result::outcome::unavailable:
    return ops::ingest_refusal::unavailable;
  }
  return std::nullopt;
}

void log_refused_block(const ingest_result& refused, boost::json::object where) {
  auto refusal = ingest_refusal_of(refused.result);
  const char* reason = refusal ? ops::label_of(*refusal) : "";
  if (refusal) where.emplace("reason", reason);
  if (!refused.blockid.empty()) where.emplace("blockid", refused.blockid);
  if (!refused.error.message.empty()) {
    where.emplace("error", refused.error.message);
    where.emplace("path", refused.error.path);
  }
  ops::log_repeatable(ops::log_level::warn, "ingest_error", reason, std::move(where));
}

} // namespace evstream
