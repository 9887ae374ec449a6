#include "net/demo_page.hpp"

// Generated at build time from net/demo_page.html (cmake/embed_file.cmake).
// Embedded rather than read from disk when served: the binary is the whole
// installation (a systemd unit, an embedding host), so the page cannot go
// missing or disagree with the server that serves it; kept as an .html file
// in the tree so that it stays a page to edit and open, not a C++ string.
#include "demo_page_html.hpp"

#include <boost/url/parse.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace evstream::net {

namespace {

using embedded::demo_page_html;

constexpr std::string_view keepalive_placeholder = "@KEEPALIVE_TIMEOUT_MS@";

bool occurs_once(std::string_view text) {
  auto at = demo_page_html.find(text);
  return at != std::string_view::npos && demo_page_html.find(text, at + 1) == std::string_view::npos;
}

// The text of the page's one `open`…`close` element, as the browser hashes it.
std::string_view element_text(std::string_view open, std::string_view close) {
  auto begin = demo_page_html.find(open) + open.size();
  return demo_page_html.substr(begin, demo_page_html.find(close) - begin);
}

// A CSP hash source: 'sha256-<base64 of the digest>'.
std::string sha256_source(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string base64(4 * ((length + 2) / 3) + 1, '\0'); // EVP_EncodeBlock adds a NUL
  auto written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()), digest, static_cast<int>(length));
  base64.resize(static_cast<std::size_t>(written));
  return "'sha256-" + base64 + "'";
}

// "wss://node.example.com:8443" of an advertised URL; empty when there is none
// or it holds anything that could end a CSP source (a reg-name may hold ';').
std::string origin_of(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->encoded_host().empty()) return {};
  auto authority = std::string{parsed->encoded_host_and_port()};
  bool plain = std::all_of(authority.begin(), authority.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
  if (!plain) return {};
  return std::string{parsed->scheme()} + "://" + authority;
}

} // namespace

std::string demo_page_defect() {
  // The policy allows one inline script and one inline style by hash: anything
  // more in the page would be blocked in the browser. (Not a static_assert:
  // GCC's -fsanitize=null makes string_view::find non-constant.)
  if (!(occurs_once("<script>") && occurs_once("</script>") && occurs_once("<style>")
        && occurs_once("</style>")))
    return "net/demo_page.html must have exactly one <script> and one <style> element, without attributes";
  if (!occurs_once(keepalive_placeholder)) return "net/demo_page.html must name the keep-alive timeout once";
  return {};
}

std::string demo_page_policy(const std::string& advertised_url) {
  // Hashed once: the page is part of the binary.
  static const std::string page_sources = "script-src " + sha256_source(element_text("<script>", "</script>"))
                                          + "; style-src "
                                          + sha256_source(element_text("<style>", "</style>"));
  auto connect = std::string{"'self'"};
  if (auto origin = origin_of(advertised_url); !origin.empty()) connect += " " + origin;
  return "default-src 'none'; " + page_sources + "; connect-src " + connect
         + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

string_response demo_page_response(const http::request<http::string_body>& req,
                                   const server_settings& settings) {
  std::string page{demo_page_html};
  auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(settings.keepalive_timeout).count();
  page.replace(page.find(keepalive_placeholder), keepalive_placeholder.size(), std::to_string(timeout_ms));

  string_response res{http::status::ok, 11};
  res.set(http::field::server, server_name());
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set("Content-Security-Policy", demo_page_policy(settings.advertised_url));
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(http::field::cache_control, "no-cache"); // a new binary may serve a new page
  res.keep_alive(req.keep_alive());
  res.body() = std::move(page);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear(); // Content-Length stays that of the GET answer
  return res;
}

} // namespace evstream::net
