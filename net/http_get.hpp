// One HTTP GET over plain TCP, asynchronously on an io_context: what the
// BigchainDB follower asks its node and Tendermint with. A connection per
// request keeps it simple; the follower asks at most a few times a second
// once it has caught up.
#pragma once

#include "net/beast.hpp"
#include "schema/result.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace evstream::net {

// Where to GET: http://host[:port] plus a target ("/api/v1/blocks/7").
struct http_target {
  std::string host;
  std::string port;
  std::string target;
};

// An http:// URL ("http://node:9984") as host and port (80 when none);
// the reason when it is not one. Its path, if any, is ignored.
result<http_target, std::string> http_target_of(std::string_view url);

struct http_answer {
  // Set when no answer came (refused, unreachable, timed out, cut short).
  std::string failure;
  unsigned status = 0;
  std::string body;
};

// Answers bigger than this are cut off as failures: a BigchainDB block of a
// thousand transactions is a few MB.
inline constexpr std::uint64_t max_answer_bytes = 64u << 20;

// GETs `where`; `done` runs once, on one of io's threads, within `timeout`.
void http_get(asio::io_context& io, http_target where, std::chrono::milliseconds timeout,
              std::function<void(http_answer)> done);

} // namespace evstream::net
