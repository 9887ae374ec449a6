// Which endpoint a request is for: the routing table, apart from the
// connection's I/O, as a pure function of the method, the target and whether
// the request asks for a WebSocket upgrade. A path the table lacks is 404, a
// method the endpoint does not take is 405 with Allow, and a plain GET of a
// stream is 426; so the session only ever dispatches a request it serves.
#pragma once

#include "actors/subscription.hpp"
#include "net/beast.hpp"
#include "schema/result.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace evstream::net {

enum class endpoint_kind { discovery, stream, ingest, health, readiness, metrics, demo };

struct route {
  endpoint_kind to;
  // The path without the query ("/", "/api/v1/", "/api/v1/streams/"): the
  // discovery documents differ by it.
  std::string_view path;
  stream_kind stream = stream_kind::valid_tx; // for endpoint_kind::stream
};

// A request the table refuses, as its response says it.
struct route_refusal {
  http::status status;
  std::string message;
  boost::json::object extra; // more JSON fields ("streams": what this node serves)
  std::string allow;         // for 405: the methods the endpoint takes
};

// "discovery", "stream", "ingest", …: the endpoint's label in the metrics.
std::string_view name_of(endpoint_kind to);

result<route, route_refusal> route_request(http::verb method, std::string_view target, bool upgrade);

// The response a refusal stands for: its JSON error body, Allow on 405, and
// Upgrade: websocket on 426.
http::response<http::string_body> refusal_response(bool keep_alive, const route_refusal& refused);

// "/api/v1/streams/": every stream's URL is this plus its name.
inline constexpr std::string_view streams_root = "/api/v1/streams/";
inline constexpr std::string_view blocks_path = "/api/v1/blocks";

// The path of a request target: everything before the query.
std::string_view path_of(std::string_view target);

} // namespace evstream::net
