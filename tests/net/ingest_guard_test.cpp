// Ingest refuses what a browser's page may send: cross-site requests, DNS
// rebinding (a Host that is not this node's) and anything but JSON. First the
// rules as a pure function, then the same over real sockets, where a refused
// block is shown not ingested by a feeder's later POST of it getting 202.
#include "net/ingest_guard.hpp"
#include "server_fixture.hpp"

#include <catch2/catch.hpp>

using namespace evstream;
using evstream::testing::header_fields;
using evstream::testing::http_request;
using evstream::testing::json_of;
using evstream::testing::server_fixture;
namespace http = evstream::net::http;
namespace asio = evstream::net::asio;

namespace {

const auto loopback = asio::ip::make_address("127.0.0.1");

// A feeder's POST: no Origin, Host naming the node, JSON.
http::request_header<> feeder_post() {
  http::request_header<> req;
  req.method(http::verb::post);
  req.target("/api/v1/blocks");
  req.set(http::field::host, "127.0.0.1:9984");
  req.set(http::field::content_type, "application/json");
  return req;
}

std::optional<ops::ingest_refusal> refusal(const http::request_header<>& req,
                                           const net::server_settings& settings = {},
                                           const asio::ip::address& local = loopback) {
  auto checked = net::check_ingest_request(req, settings, !settings.ingest_token.empty(), local);
  return checked ? std::nullopt : std::optional{checked.error().reason};
}

} // namespace

TEST_CASE("an origin is normalized as browsers write it, and anything else is not an origin") {
  CHECK(net::normalized_origin("https://Admin.Example.com") == "https://admin.example.com");
  CHECK(net::normalized_origin("HTTP://admin.example.com:80") == "http://admin.example.com");
  CHECK(net::normalized_origin("https://admin.example.com:443") == "https://admin.example.com");
  CHECK(net::normalized_origin("https://admin.example.com:8443") == "https://admin.example.com:8443");
  CHECK(net::normalized_origin("http://127.0.0.1:19593") == "http://127.0.0.1:19593");
  CHECK(net::normalized_origin("http://[::1]:8080") == "http://[::1]:8080");
  for (auto bad :
       {"null", "*", "", "admin.example.com", "https://admin.example.com/", "https://a.example/x",
        "https://user@admin.example.com", "ftp://admin.example.com", "https://a.example?x", "file:///x"})
    CHECK_FALSE(net::normalized_origin(bad));
}

TEST_CASE("a feeder's request passes: no Origin, a Host naming this node, JSON") {
  CHECK_FALSE(refusal(feeder_post()));
  auto named = feeder_post();
  named.set(http::field::host, "LOCALHOST:9984");
  CHECK_FALSE(refusal(named));
  named.set(http::field::content_type, "Application/JSON ; charset=utf-8");
  CHECK_FALSE(refusal(named));
  for (auto site : {"same-origin", "none"}) {
    auto marked = feeder_post();
    marked.set("Sec-Fetch-Site", site);
    CHECK_FALSE(refusal(marked));
  }
}

TEST_CASE("a request a browser marks as cross-site is refused unless its origin is allowed") {
  auto from_page = feeder_post();
  from_page.set(http::field::origin, "http://127.0.0.1:19593");
  CHECK(refusal(from_page) == ops::ingest_refusal::cross_site);
  auto fetch_marked = feeder_post();
  for (auto site : {"cross-site", "same-site"}) {
    fetch_marked.set("Sec-Fetch-Site", site);
    CHECK(refusal(fetch_marked) == ops::ingest_refusal::cross_site);
  }

  net::server_settings allowing;
  allowing.ingest_allowed_origins = {"http://127.0.0.1:19593"};
  CHECK_FALSE(refusal(from_page, allowing));
  from_page.set("Sec-Fetch-Site", "cross-site");
  CHECK_FALSE(refusal(from_page, allowing));
  from_page.set(http::field::origin, "http://127.0.0.1:19594");
  CHECK(refusal(from_page, allowing) == ops::ingest_refusal::cross_site);
  from_page.set(http::field::origin, "null");
  CHECK(refusal(from_page, allowing) == ops::ingest_refusal::cross_site);
  CHECK(refusal(fetch_marked, allowing) == ops::ingest_refusal::cross_site); // no Origin to match
}

TEST_CASE("without a token, a Host that does not name this node is refused: DNS rebinding") {
  auto rebound = feeder_post();
  for (auto host : {"evil.example:9984", "127.0.0.2:9984", "[::1]:9984", "127.0.0.1.evil.example", ""}) {
    rebound.set(http::field::host, host);
    CHECK(refusal(rebound) == ops::ingest_refusal::foreign_host);
  }
  rebound.erase(http::field::host);
  CHECK(refusal(rebound) == ops::ingest_refusal::foreign_host);

  SECTION("the IP literal the request arrived on, and the advertised host, name this node") {
    rebound.set(http::field::host, "[::1]:9984");
    CHECK_FALSE(refusal(rebound, {}, asio::ip::make_address("::1")));
    rebound.set(http::field::host, "127.0.0.1");
    CHECK_FALSE(refusal(rebound, {}, asio::ip::make_address("::ffff:127.0.0.1"))); // a dual-stack listener
    net::server_settings advertised;
    advertised.advertised_url = "wss://Node.Example.com";
    rebound.set(http::field::host, "node.example.com:443");
    CHECK_FALSE(refusal(rebound, advertised));
    rebound.set(http::field::host, "evil.example");
    CHECK(refusal(rebound, advertised) == ops::ingest_refusal::foreign_host);
  }
  SECTION("with a token, the token is enough") {
    net::server_settings with_token;
    with_token.ingest_token = "s3cret";
    rebound.set(http::field::host, "evil.example:9984");
    CHECK_FALSE(refusal(rebound, with_token));
  }
}

TEST_CASE("ingest takes application/json only") {
  auto req = feeder_post();
  for (auto type : {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x", "application/jsonx", "application/json-seq", ""}) {
    req.set(http::field::content_type, type);
    auto checked = net::check_ingest_request(req, {}, false, loopback);
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().status == http::status::unsupported_media_type);
    CHECK(checked.error().reason == ops::ingest_refusal::not_json);
  }
}

TEST_CASE_METHOD(server_fixture,
                 "over a socket, a page's ingest is refused and the feeder's later POST is taken",
                 "[hostile][http]") {
  auto block = next_block(1);
  auto page = "http://evil.example:" + std::to_string(port());
  struct attempt {
    const char* what;
    header_fields headers;
    http::status status;
  } attempts[] = {
      {"a rebinding page's JSON POST",
       {{"Host", "evil.example:" + std::to_string(port())}, {"Origin", page}},
       http::status::forbidden},
      {"a rebinding page without Origin",
       {{"Host", "evil.example:" + std::to_string(port())}},
       http::status::forbidden},
      {"a cross-site fetch", {{"Sec-Fetch-Site", "cross-site"}}, http::status::forbidden},
      {"a no-cors text/plain POST",
       {{"Content-Type", "text/plain;charset=UTF-8"}},
       http::status::unsupported_media_type},
      {"a form POST",
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       http::status::unsupported_media_type},
  };
  for (const auto& tried : attempts) {
    INFO(tried.what);
    auto res = http_request(port(), http::verb::post, "/api/v1/blocks", block, {}, tried.headers);
    CHECK(res.result() == tried.status);
    CHECK(json_of(res).at("error").as_string().size() > 0);
  }
  auto& metrics = server->metrics();
  CHECK(metrics.ingest_errors(ops::ingest_refusal::cross_site).value() == 2);
  CHECK(metrics.ingest_errors(ops::ingest_refusal::foreign_host).value() == 1);
  CHECK(metrics.ingest_errors(ops::ingest_refusal::not_json).value() == 2);
  CHECK(metrics.blocks_ingested.value() == 0);
  CHECK(post_block(block).result() == http::status::accepted);
}

TEST_CASE_METHOD(server_fixture, "a CORS preflight of ingest is never granted", "[hostile][http]") {
  auto res = http_request(port(), http::verb::options, "/api/v1/blocks", {}, {},
                          {{"Origin", "http://127.0.0.1:19593"},
                           {"Access-Control-Request-Method", "POST"},
                           {"Access-Control-Request-Headers", "content-type"}});
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::access_control_allow_origin].empty());
  CHECK(res[http::field::access_control_allow_methods].empty());
  CHECK(res[http::field::access_control_allow_headers].empty());
}

TEST_CASE("an allowed origin (--ingest-allow-origin) admits exactly that origin", "[hostile][http]") {
  auto options = server_fixture::ingest_options();
  options.server.ingest_allowed_origins = {"https://admin.example.com"};
  server_fixture fixture{options};
  auto block = fixture.next_block(1);
  auto post_from = [&](const std::string& origin) {
    return http_request(fixture.port(), http::verb::post, "/api/v1/blocks", block, {},
                        {{"Origin", origin}, {"Sec-Fetch-Site", "cross-site"}})
        .result();
  };
  CHECK(post_from("https://admin.example.com.evil.example") == http::status::forbidden);
  CHECK(post_from("http://admin.example.com") == http::status::forbidden);
  CHECK(post_from("https://admin.example.com:8443") == http::status::forbidden);
  CHECK(post_from("https://admin.example.com") == http::status::accepted);
}
