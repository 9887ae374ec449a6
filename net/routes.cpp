#include "net/routes.hpp"

#include "net/http_responses.hpp"

namespace evstream::net {

namespace {

enum class methods { reads, post };

struct table_entry {
  std::string_view path;
  endpoint_kind to;
  methods takes;
};

// Exact paths. Streams are the one prefix (streams_root + a name), below.
constexpr table_entry table[] = {
    {"/", endpoint_kind::discovery, methods::reads},
    {"/api/v1", endpoint_kind::discovery, methods::reads},
    {"/api/v1/", endpoint_kind::discovery, methods::reads},
    {streams_root, endpoint_kind::discovery, methods::reads},
    {blocks_path, endpoint_kind::ingest, methods::post},
    {"/healthz", endpoint_kind::health, methods::reads},
    {"/readyz", endpoint_kind::readiness, methods::reads},
    {"/metrics", endpoint_kind::metrics, methods::reads},
    {"/demo", endpoint_kind::demo, methods::reads},
};

bool is_read(http::verb method) { return method == http::verb::get || method == http::verb::head; }

route_refusal method_not_allowed(std::string allowed) {
  return {http::status::method_not_allowed, "method not allowed; use " + allowed, {}, allowed};
}

// "valid_tx, valid_transactions, blocks" and the same as a JSON array.
std::string listed_stream_names() {
  std::string listed;
  for (const auto& served : served_streams())
    listed += (listed.empty() ? "" : ", ") + std::string{served.name};
  return listed;
}

boost::json::array stream_names() {
  boost::json::array names;
  for (const auto& served : served_streams())
    names.emplace_back(served.name);
  return names;
}

result<route, route_refusal> route_stream(http::verb method, std::string_view path, bool upgrade) {
  auto name = path.substr(streams_root.size());
  auto stream = stream_named(name);
  if (!stream)
    return route_refusal{http::status::not_found,
                         "unknown stream \"" + std::string{name} + "\"; this node serves "
                             + listed_stream_names(),
                         {{"streams", stream_names()}},
                         {}};
  if (upgrade) return route{endpoint_kind::stream, path, *stream};
  if (!is_read(method)) return method_not_allowed("GET");
  return route_refusal{
      http::status::upgrade_required, "this is a WebSocket stream; connect with a WebSocket client", {}, {}};
}

} // namespace

std::string_view name_of(endpoint_kind to) {
  switch (to) {
  case endpoint_kind::discovery:
    return "discovery";
  case endpoint_kind::stream:
    return "stream";
  case endpoint_kind::ingest:
    return "ingest";
  case endpoint_kind::health:
    return "health";
  case endpoint_kind::readiness:
    return "readiness";
  case endpoint_kind::metrics:
    return "metrics";
  case endpoint_kind::demo:
    return "demo";
  }
  return "unknown";
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

result<route, route_refusal> route_request(http::verb method, std::string_view target, bool upgrade) {
  auto path = path_of(target);
  for (const auto& entry : table) {
    if (entry.path != path) continue;
    if (entry.takes == methods::post && method != http::verb::post) return method_not_allowed("POST");
    if (entry.takes == methods::reads && !is_read(method)) return method_not_allowed("GET, HEAD");
    return route{entry.to, path};
  }
  if (path.substr(0, streams_root.size()) == streams_root) return route_stream(method, path, upgrade);
  return route_refusal{http::status::not_found, "no such resource: " + std::string{path}, {}, {}};
}

http::response<http::string_body> refusal_response(bool keep_alive, const route_refusal& refused) {
  auto res = error_response(reply_shape{keep_alive}, refused.status, refused.message, refused.extra);
  if (refused.status == http::status::method_not_allowed) res.set(http::field::allow, refused.allow);
  if (refused.status == http::status::upgrade_required) {
    res.set(http::field::upgrade, "websocket");
    res.set(http::field::connection, "Upgrade");
  }
  return res;
}

} // namespace evstream::net
