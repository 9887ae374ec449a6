#include "client/stream_url.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

namespace evstream::client {

namespace urls = boost::urls;

namespace {

result<tail_url, std::string> stream_or_node(urls::url_view url) {
  if (!url.has_authority() || url.encoded_host().empty())
    return "\"" + std::string(url.buffer()) + "\" names no host";
  switch (url.scheme_id()) {
  case urls::scheme::http:
  case urls::scheme::https:
    return tail_url{url_kind::node, urls::url{url}};
  case urls::scheme::ws:
  case urls::scheme::wss:
    return tail_url{url_kind::stream, urls::url{url}};
  default:
    return "\"" + std::string(url.buffer()) + "\" is not an http, https, ws or wss URL";
  }
}

} // namespace

result<tail_url, std::string> read_tail_url(std::string_view text) {
  // HOST:PORT, without a scheme, names a node: "localhost:9984" would
  // otherwise parse as the scheme "localhost".
  std::string with_scheme;
  if (text.find("://") == std::string_view::npos) {
    with_scheme = "http://" + std::string{text};
    text = with_scheme;
  }
  auto parsed = urls::parse_absolute_uri(text);
  if (!parsed) return "\"" + std::string(text) + "\" is not a URL: " + parsed.error().message();
  return stream_or_node(*parsed);
}

endpoint endpoint_of(urls::url_view url) {
  endpoint result;
  result.tls = url.scheme_id() == urls::scheme::https || url.scheme_id() == urls::scheme::wss;
  result.host = url.host_address();
  result.host_is_name = url.host_type() == urls::host_type::name;
  result.port = url.has_port() ? std::string(url.port()) : result.tls ? "443" : "80";
  result.host_header = url.encoded_host_and_port();
  result.target = url.encoded_target();
  if (result.target.empty() || result.target.front() != '/') result.target.insert(0, "/");
  return result;
}

result<tail_url, std::string> valid_tx_stream_of(std::string_view discovery_body) {
  boost::json::error_code ec;
  auto body = boost::json::parse(discovery_body, ec);
  const boost::json::value* root = nullptr;
  if (!ec && body.is_object())
    if (auto* links = body.as_object().if_contains("_links"); links && links->is_object())
      root = links->as_object().if_contains("streams_v1");
  if (!root || !root->is_string()) return "discovery names no _links.streams_v1 string";
  auto stream = std::string(root->as_string()) + "valid_tx";
  auto parsed = urls::parse_absolute_uri(stream);
  if (!parsed || (parsed->scheme_id() != urls::scheme::ws && parsed->scheme_id() != urls::scheme::wss))
    return "discovery's stream \"" + stream + "\" is not a ws or wss URL";
  return stream_or_node(*parsed);
}

} // namespace evstream::client
