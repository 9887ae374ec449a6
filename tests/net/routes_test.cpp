// The routing table as a pure function: which endpoint serves a request, and
// how a request no endpoint takes is refused.
#include "net/routes.hpp"

#include <catch2/catch.hpp>

using namespace evstream;
using namespace evstream::net;

namespace {

route routed(http::verb method, std::string_view target, bool upgrade = false) {
  auto result = route_request(method, target, upgrade);
  if (!result) FAIL(result.error().message);
  return *result;
}

route_refusal refused(http::verb method, std::string_view target, bool upgrade = false) {
  auto result = route_request(method, target, upgrade);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

} // namespace

TEST_CASE("each path goes to its endpoint, the query aside") {
  for (auto path : {"/", "/api/v1", "/api/v1/", "/api/v1/streams/"}) {
    CHECK(routed(http::verb::get, path).to == endpoint_kind::discovery);
    CHECK(routed(http::verb::get, path).path == path);
  }
  CHECK(routed(http::verb::head, "/?x=1").path == "/");
  CHECK(routed(http::verb::post, "/api/v1/blocks").to == endpoint_kind::ingest);
  CHECK(routed(http::verb::get, "/healthz").to == endpoint_kind::health);
  CHECK(routed(http::verb::get, "/readyz").to == endpoint_kind::readiness);
  CHECK(routed(http::verb::get, "/metrics").to == endpoint_kind::metrics);
  CHECK(routed(http::verb::get, "/demo").to == endpoint_kind::demo);
  auto stream = routed(http::verb::get, "/api/v1/streams/blocks?since=x", true);
  CHECK(stream.to == endpoint_kind::stream);
  CHECK(stream.stream == stream_kind::blocks);
}

TEST_CASE("a method the endpoint does not take is 405 with Allow") {
  auto post_to_discovery = refused(http::verb::post, "/");
  CHECK(post_to_discovery.status == http::status::method_not_allowed);
  CHECK(post_to_discovery.allow == "GET, HEAD");
  CHECK(refused(http::verb::get, "/api/v1/blocks").allow == "POST");
  CHECK(refused(http::verb::delete_, "/metrics").allow == "GET, HEAD");
  auto post_to_stream = refused(http::verb::post, "/api/v1/streams/valid_tx");
  CHECK(post_to_stream.allow == "GET");
  auto res = refusal_response(true, post_to_stream);
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::allow] == "GET");
}

TEST_CASE("a stream fetched without an upgrade is 426, with the upgrade to ask for") {
  auto plain = refused(http::verb::get, "/api/v1/streams/valid_tx");
  CHECK(plain.status == http::status::upgrade_required);
  auto res = refusal_response(true, plain);
  CHECK(res[http::field::upgrade] == "websocket");
  CHECK(res[http::field::connection] == "Upgrade");
}

TEST_CASE("unknown paths and streams are 404, an unknown stream with the streams served") {
  auto unknown = refused(http::verb::get, "/api/v2/");
  CHECK(unknown.status == http::status::not_found);
  CHECK(unknown.message == "no such resource: /api/v2/");
  auto no_stream = refused(http::verb::get, "/api/v1/streams/valid_txs", true);
  CHECK(no_stream.status == http::status::not_found);
  CHECK(no_stream.message
        == "unknown stream \"valid_txs\"; this node serves valid_tx, valid_transactions, blocks");
  CHECK(no_stream.extra.at("streams").as_array().size() == 3);
}
