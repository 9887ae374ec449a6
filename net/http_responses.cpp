#include "net/http_responses.hpp"

#include "ops/build_info.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>

namespace evstream::net {

const std::string& server_name() {
  static const std::string name = "evstream/" + std::string{ops::version()};
  return name;
}

namespace {

// Host header values we are willing to echo back in a URL: host names, IPv4,
// bracketed IPv6, an optional port. Anything else falls back to the local address.
bool is_plain_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

} // namespace

string_response json_response(reply_shape req, http::status status, const boost::json::object& body) {
  string_response res{status, 11};
  res.set(http::field::server, server_name());
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive);
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  return res;
}

string_response error_response(reply_shape req, http::status status, std::string_view message,
                               boost::json::object extra) {
  boost::json::object body;
  body["error"] = message;
  for (auto& field : extra)
    body[field.key()] = field.value();
  return json_response(req, status, body);
}

std::string stream_base_url(const http::request_header<>& req, const std::string& advertised_url,
                            const tcp::endpoint& local, bool tls) {
  if (!advertised_url.empty()) {
    auto base = advertised_url;
    while (!base.empty() && base.back() == '/')
      base.pop_back();
    return base;
  }
  std::string scheme = tls ? "wss://" : "ws://";
  auto host = req[http::field::host];
  if (is_plain_host(host)) return scheme + std::string{host};
  return scheme + endpoint_text(local);
}

std::string with_explicit_port(const std::string& base_url) {
  auto parsed = boost::urls::parse_uri(base_url);
  if (!parsed || parsed->has_port()) return base_url;
  boost::urls::url url{*parsed};
  url.set_port_number(url.scheme() == "wss" ? 443 : 80);
  return std::string{url.buffer()};
}

string_response ingest_response(reply_shape req, const ingest_result& result) {
  switch (result.result) {
  case ingest_result::outcome::accepted:
    return json_response(req, http::status::accepted,
                         {{"blockid", result.blockid}, {"transactions", result.transactions}});
  case ingest_result::outcome::duplicate:
    return error_response(req, http::status::conflict,
                          "block " + result.blockid + " was already ingested; nothing was re-emitted",
                          {{"blockid", result.blockid}});
  case ingest_result::outcome::unavailable:
    return error_response(req, http::status::service_unavailable,
                          "block " + result.blockid + " was not accepted: " + result.error.message,
                          {{"blockid", result.blockid}});
  case ingest_result::outcome::invalid:
    break;
  }
  return error_response(req, http::status::bad_request, result.error.message, {{"path", result.error.path}});
}

} // namespace evstream::net
