// What a stream URL asks for, read at the handshake: the stream from the path,
// then the query — `since` (a resume cursor), and on the transaction streams
// the filters `asset_id`, `public_key` and `operation` (each repeatable).
// Anything else, or a malformed value, is refused with 400 before the upgrade.
#pragma once

#include "actors/messages.hpp"
#include "actors/session.hpp"
#include "actors/subscription.hpp"
#include "net/beast.hpp"
#include "net/server_context.hpp"
#include "schema/result.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evstream::net {

struct stream_request {
  // Without the resume height: the dispatcher resolves `since` to it.
  subscription wanted;
  std::optional<std::string> since;
};

struct request_refusal {
  http::status status;
  std::string message;
};

// What a subscriber's session actor is given: the subscription, and the
// server's keep-alive and pacing settings.
session_settings session_settings_for(const server_settings& settings, subscription wanted);

// `target` is the request target ("/api/v1/streams/valid_tx?asset_id=…").
result<stream_request, request_refusal> read_stream_request(stream_kind stream, std::string_view target);

// Why a subscriber cannot resume `since` a block the dispatcher placed as
// `status` (410 when it left the window, 404 when never streamed here), with
// the JSON body's extra fields (oldest_available); none when it can.
struct resume_refusal {
  request_refusal refusal;
  boost::json::object details;
};
std::optional<resume_refusal> resume_refusal_of(const cursor_status& status, const std::string& since);

} // namespace evstream::net
