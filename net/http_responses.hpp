// The JSON answers of evstream's HTTP side, as pure functions of the request,
// so routing stays readable and the bodies are testable without sockets.
#pragma once

#include "actors/messages.hpp"
#include "net/beast.hpp"

#include <boost/json.hpp>

#include <string>

namespace evstream::net {

using string_response = http::response<http::string_body>;

// What an answer copies from its request. Not the HTTP version: RFC 9110
// section 6.2 has a server answer with its own (1.1) even to a 1.0 request.
struct reply_shape {
  bool keep_alive = false;
};

template <class Body>
reply_shape shape_of(const http::request<Body>& req) {
  return {req.keep_alive()};
}

// "evstream/0.1.0": the Server header of every answer and the handshake.
const std::string& server_name();

// `status` with a JSON body, as HTTP/1.1, keeping the connection open if the request asked to.
string_response json_response(reply_shape req, http::status status, const boost::json::object& body);

// {"error": message} plus any extra fields.
string_response error_response(reply_shape req, http::status status, std::string_view message,
                               boost::json::object extra = {});

// The base URL ("ws://host:port", "wss://…" under TLS) clients should dial:
// the configured one, or derived from the Host header, or the address the
// request arrived on.
std::string stream_base_url(const http::request_header<>& req, const std::string& advertised_url,
                            const tcp::endpoint& local, bool tls);

// The base URL with its port written even when it is the scheme's default,
// as BigchainDB's info.py writes it ("ws://host:80").
std::string with_explicit_port(const std::string& base_url);

// 202, 400 or 409 for the outcome of a POST /api/v1/blocks.
string_response ingest_response(reply_shape req, const ingest_result& result);

} // namespace evstream::net
