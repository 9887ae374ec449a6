// Which ingest requests a browser's page may have sent, and so are refused:
// judged from the request's header before the body is parsed, as a pure
// function of the header, the server's settings and the address the request
// arrived on, so every rule is testable without sockets. It runs after the
// token and loopback rules of http_session (docs/operations.md, Limits and security):
//
//   Origin, or Sec-Fetch-Site other than same-origin/none   403 cross_site
//       (unless --ingest-allow-origin names that origin)
//   no token, and a Host that does not name this node       403 foreign_host
//   Content-Type other than application/json                415 not_json
#pragma once

#include "net/beast.hpp"
#include "net/server_context.hpp"
#include "ops/metrics.hpp"
#include "schema/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace evstream::net {

struct ingest_refused {
  http::status status;
  ops::ingest_refusal reason;
  std::string message;
};

// Passes if the request may go on to the block source. Without a token
// (`token_required` false, the token checked before this), the Host must name
// this node.
result<void, ingest_refused> check_ingest_request(const http::request_header<>& req,
                                                  const server_settings& settings, bool token_required,
                                                  const asio::ip::address& local);

// An origin as browsers serialize it ("https://host[:port]", lower-case,
// without its scheme's default port), or none if `text` is not an http(s)
// origin. The same function reads --ingest-allow-origin and a request's Origin.
std::optional<std::string> normalized_origin(std::string_view text);

} // namespace evstream::net
