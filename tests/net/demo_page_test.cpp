// GET /demo over a real socket, and the page's Content-Security-Policy. What
// the page does in a browser is tests/e2e/demo_page_test.py.
#include "net/demo_page.hpp"

#include "server_fixture.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace evstream;
using evstream::testing::http_request;
using evstream::testing::server_fixture;
namespace http = evstream::net::http;

namespace {

std::string policy_of(const evstream::testing::http_response& res) {
  return std::string{res["Content-Security-Policy"]};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("the page has the one script and style the policy allows, and names the keep-alive timeout once") {
  CHECK(evstream::net::demo_page_defect() == "");
}

TEST_CASE("GET /demo is the live page, as HTML under a restrictive policy") {
  auto options = server_fixture::ingest_options();
  options.server.keepalive_timeout = 2s;
  server_fixture fixture{options};

  auto page = http_request(fixture.port(), http::verb::get, "/demo");
  CHECK(page.result() == http::status::ok);
  CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
  CHECK(page["X-Content-Type-Options"] == "nosniff");
  CHECK(contains(page.body(), "<title>evstream live</title>"));
  // The page pings well within the node's own keep-alive timeout.
  CHECK(contains(page.body(), "data-keepalive-timeout-ms=\"2000\""));

  auto policy = policy_of(page);
  CHECK(contains(policy, "default-src 'none'"));
  CHECK(contains(policy, "script-src 'sha256-"));
  CHECK(contains(policy, "style-src 'sha256-"));
  CHECK(contains(policy, "connect-src 'self';"));
  CHECK_FALSE(contains(policy, "unsafe-inline"));

  auto head = http_request(fixture.port(), http::verb::head, "/demo");
  CHECK(head.result() == http::status::ok);
  CHECK(head.body().empty());
  CHECK(head[http::field::content_length] == std::to_string(page.body().size()));
  CHECK(policy_of(head) == policy);

  auto post = http_request(fixture.port(), http::verb::post, "/demo");
  CHECK(post.result() == http::status::method_not_allowed);
  CHECK(post[http::field::allow] == "GET, HEAD");
}

TEST_CASE("the demo page may connect to the advertised URL's origin too") {
  CHECK(contains(net::demo_page_policy("wss://node.example.com/"),
                 "connect-src 'self' wss://node.example.com;"));
  CHECK(contains(net::demo_page_policy("ws://10.0.0.5:8080/evstream"),
                 "connect-src 'self' ws://10.0.0.5:8080;"));
  CHECK(contains(net::demo_page_policy("wss://[::1]:9984"), "connect-src 'self' wss://[::1]:9984;"));
  // Nothing that could end the source list or add a directive.
  CHECK(contains(net::demo_page_policy("wss://a;script-src*"), "connect-src 'self';"));
  CHECK(contains(net::demo_page_policy("not a url"), "connect-src 'self';"));
  CHECK(contains(net::demo_page_policy(""), "connect-src 'self';"));
}
