// The actors' terms in the metrics: a series for every stream and close cause
// from the start, under the names the URLs and the logs use.
#include "actors/observability.hpp"
#include "actors/subscription.hpp"
#include "actors/transport.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace evstream;

namespace {

bool has_zero_sample(const std::string& text, const std::string& series) {
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    if (line == series + " 0") return true;
  return false;
}

} // namespace

TEST_CASE("the metrics have a series for every stream and every close cause from the start") {
  auto text = make_metrics()->text();
  for (auto stream : {"valid_tx", "valid_transactions", "blocks"})
    CHECK(has_zero_sample(text, std::string{"evstream_subscribers{stream=\""} + stream + "\"}"));
  for (auto reason : {"keepalive", "slow_consumer", "limits", "shutdown", "internal_error", "upstream_gap",
                      "client", "connection_lost"})
    CHECK(has_zero_sample(text, std::string{"evstream_websocket_closes_total{reason=\""} + reason + "\"}"));
}

TEST_CASE("a stream's name is the one its URL uses, both ways") {
  CHECK(stream_named("valid_tx") == stream_kind::valid_tx);
  CHECK(stream_named("valid_transactions") == stream_kind::valid_transactions);
  CHECK(stream_named("blocks") == stream_kind::blocks);
  for (const auto& served : served_streams()) {
    CHECK(name_of(served.stream) == served.name);
    CHECK(stream_named(served.name) == served.stream);
  }
  CHECK_FALSE(stream_named("valid_txs"));
  CHECK_FALSE(stream_named(""));
}

TEST_CASE("each refused outcome of the block source counts as its ingest refusal") {
  CHECK_FALSE(ingest_refusal_of(ingest_result::outcome::accepted));
  CHECK(ingest_refusal_of(ingest_result::outcome::invalid) == ops::ingest_refusal::invalid);
  CHECK(ingest_refusal_of(ingest_result::outcome::duplicate) == ops::ingest_refusal::duplicate);
  CHECK(ingest_refusal_of(ingest_result::outcome::unavailable) == ops::ingest_refusal::unavailable);
}
