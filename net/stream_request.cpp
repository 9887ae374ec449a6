#include "net/stream_request.hpp"

#include "schema/block.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace evstream::net {

namespace {

// A base58 (Bitcoin alphabet) Ed25519 public key, as BigchainDB writes them.
bool is_public_key(std::string_view text) {
  constexpr std::string_view base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  if (text.size() < 32 || text.size() > 44) return false;
  return text.find_first_not_of(base58) == std::string_view::npos;
}

// CREATE, TRANSFER, VALIDATOR_ELECTION, …: upper-case words joined by "_".
bool is_operation(std::string_view text) {
  return !text.empty() && text.size() <= 64
         && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == std::string_view::npos;
}

request_refusal bad_request(std::string message) { return {http::status::bad_request, std::move(message)}; }

} // namespace

session_settings session_settings_for(const server_settings& settings, subscription wanted) {
  session_settings session;
  session.keepalive_timeout = settings.keepalive_timeout;
  session.wanted = std::move(wanted);
  // Well under the send budget: a catching-up client is never closed as slow
  // for the backlog the session chose to send.
  session.catch_up_chunk_bytes = std::max<std::size_t>(1, settings.send_budget_bytes / 4);
  session.max_blocks_behind = settings.max_blocks_behind;
  return session;
}

result<stream_request, request_refusal> read_stream_request(stream_kind stream, std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return bad_request("malformed request target: " + url.error().message());
  stream_request request;
  request.wanted.stream = stream;
  auto& filter = request.wanted.filter;
  const bool filterable = stream != stream_kind::blocks;
  for (auto param : url->params()) {
    const std::string& key = param.key;
    const std::string& value = param.value;
    if (!param.has_value || value.empty())
      return bad_request("query parameter \"" + key + "\" needs a value");
    if (key == "since") {
      if (request.since) return bad_request("\"since\" may be given once");
      if (!schema::is_hex_digest(value))
        return bad_request("\"since\" must be a block id (64 lower-case hex digits)");
      request.since = value;
    } else if (filterable && key == "asset_id") {
      if (!schema::is_hex_digest(value))
        return bad_request("\"asset_id\" must be an asset id (64 lower-case hex digits)");
      filter.asset_ids.insert(value);
    } else if (filterable && key == "public_key") {
      if (!is_public_key(value)) return bad_request("\"public_key\" must be a base58 public key");
      filter.public_keys.insert(value);
    } else if (filterable && key == "operation") {
      if (!is_operation(value))
        return bad_request("\"operation\" must be an operation name such as CREATE or TRANSFER");
      filter.operations.insert(value);
    } else {
      return bad_request("unknown query parameter \"" + key + "\"; this stream takes "
                         + (filterable ? "since, asset_id, public_key and operation" : "since only"));
    }
  }
  return request;
}

std::optional<resume_refusal> resume_refusal_of(const cursor_status& status, const std::string& since) {
  boost::json::object details;
  if (!status.oldest_available.empty()) details["oldest_available"] = status.oldest_available;
  switch (status.where) {
  case cursor_status::standing::available:
    return std::nullopt;
  case cursor_status::standing::expired:
    return resume_refusal{
        {http::status::gone, "block " + since + " is older than this node retains; "
                                 + (status.oldest_available.empty()
                                        ? std::string{"no block is retained, connect without since"}
                                        : "the oldest block still available is " + status.oldest_available)},
        std::move(details)};
  case cursor_status::standing::pending:
    return resume_refusal{{http::status::service_unavailable,
                           "this relay is still taking its window from its upstream and may yet stream block "
                               + since + "; retry shortly"},
                          std::move(details)};
  case cursor_status::standing::unknown:
    break;
  }
  return resume_refusal{{http::status::not_found, "this node has not streamed block " + since},
                        std::move(details)};
}

} // namespace evstream::net
