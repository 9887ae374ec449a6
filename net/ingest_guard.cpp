#include "net/ingest_guard.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>

namespace evstream::net {

namespace {

std::string_view view_of(beast::string_view text) { return {text.data(), text.size()}; }

std::string_view trimmed(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed) {
  auto normalized = normalized_origin(origin);
  return normalized && std::find(allowed.begin(), allowed.end(), *normalized) != allowed.end();
}

// What a browser says of where the request comes from; empty if it says nothing.
std::optional<std::string> cross_site_mark(const http::request_header<>& req) {
  if (auto origin = req[http::field::origin]; !origin.empty()) return "Origin " + std::string{origin};
  auto site = req["Sec-Fetch-Site"];
  if (!site.empty() && !beast::iequals(site, "same-origin") && !beast::iequals(site, "none"))
    return "Sec-Fetch-Site " + std::string{site};
  return std::nullopt;
}

// A v4-mapped IPv6 address (a dual-stack listener) compares as its IPv4 self.
asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

// Does the Host header name this node? A DNS-rebinding page reaches a
// loopback port under its own name, and that name is what its Host carries.
bool names_this_node(std::string_view host, const std::string& advertised_url,
                     const asio::ip::address& local) {
  auto authority = boost::urls::parse_authority(host);
  if (!authority || authority->has_userinfo()) return false;
  auto name = authority->host_address();
  switch (authority->host_type()) {
  case boost::urls::host_type::ipv4:
  case boost::urls::host_type::ipv6: {
    error_code ec;
    auto address = asio::ip::make_address(std::string{name}, ec);
    return !ec && unmapped(address) == unmapped(local);
  }
  case boost::urls::host_type::name: {
    if (beast::iequals(name, "localhost")) return true;
    auto advertised = boost::urls::parse_uri(advertised_url);
    return advertised && !advertised->host_address().empty()
           && beast::iequals(name, advertised->host_address());
  }
  default:
    return false;
  }
}

} // namespace

std::optional<std::string> normalized_origin(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return std::nullopt;
  auto scheme = parsed->scheme_id();
  if ((scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
      || !parsed->has_authority() || parsed->has_userinfo() || parsed->host_address().empty()
      || !parsed->path().empty() || parsed->has_query() || parsed->has_fragment())
    return std::nullopt;
  boost::urls::url origin{*parsed};
  origin.normalize();
  auto default_port = scheme == boost::urls::scheme::http ? 80 : 443;
  if (origin.has_port() && (origin.port().empty() || origin.port_number() == default_port))
    origin.remove_port();
  return std::string{origin.buffer()};
}

result<void, ingest_refused> check_ingest_request(const http::request_header<>& req,
                                                  const server_settings& settings, bool token_required,
                                                  const asio::ip::address& local) {
  if (auto mark = cross_site_mark(req);
      mark && !origin_allowed(view_of(req[http::field::origin]), settings.ingest_allowed_origins))
    return ingest_refused{http::status::forbidden, ops::ingest_refusal::cross_site,
                          "ingest refuses requests from web pages (" + *mark
                              + "); --ingest-allow-origin admits an origin"};
  if (!token_required) {
    auto host = view_of(req[http::field::host]);
    if (!names_this_node(host, settings.advertised_url, local))
      return ingest_refused{http::status::forbidden, ops::ingest_refusal::foreign_host,
                            "ingest without a token needs a Host naming this node (an address it listens "
                            "on, localhost or the --advertised-url host), not \""
                                + std::string{host} + "\""};
  }
  auto content_type = view_of(req[http::field::content_type]);
  if (!beast::iequals(trimmed(content_type.substr(0, content_type.find(';'))), "application/json"))
    return ingest_refused{http::status::unsupported_media_type, ops::ingest_refusal::not_json,
                          "ingest takes Content-Type: application/json, not \"" + std::string{content_type}
                              + "\""};
  return {};
}

} // namespace evstream::net
