// Where `evstream tail` connects: the URL it was given, read with Boost.URL,
// what dialling a URL takes, and the stream URL a node's discovery names.
// Pure functions; the connection loop (client/tail) does the I/O.
#pragma once

#include "schema/result.hpp"

#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace evstream::client {

// The URL given on the command line: a node's base URL (http, https), whose
// discovery document names the stream, or the stream's own URL (ws, wss).
enum class url_kind { node, stream };
struct tail_url {
  url_kind kind = url_kind::stream;
  boost::urls::url url;
};

// The URL as `evstream tail` takes it, or a message saying what is wrong.
// HOST:PORT, without a scheme, is the node http://HOST:PORT.
result<tail_url, std::string> read_tail_url(std::string_view text);

// One server to dial, as the resolver, TLS and the HTTP request need it.
struct endpoint {
  bool tls = false;
  std::string host;          // for the resolver: a name or an address, IPv6 without brackets
  bool host_is_name = false; // SNI is sent for names only (RFC 6066)
  std::string port;          // the URL's port, else the scheme's default
  std::string host_header;   // host[:port] as the URL spells it
  std::string target;        // path and query; "/" when the URL has none
};

// `url` has one of the schemes http, https, ws, wss.
endpoint endpoint_of(boost::urls::url_view url);

// The valid_tx stream from a discovery body: `_links.streams_v1` + "valid_tx",
// as the spec builds it; or a message saying what the body lacks.
result<tail_url, std::string> valid_tx_stream_of(std::string_view discovery_body);

} // namespace evstream::client
