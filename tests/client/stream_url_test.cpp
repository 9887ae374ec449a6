// What `evstream tail` makes of the URL it is given and of a discovery body.
#include "client/stream_url.hpp"

#include <catch2/catch.hpp>

using namespace evstream::client;

TEST_CASE("a node's base URL is dialled for discovery at /") {
  auto url = read_tail_url("http://127.0.0.1:9984");
  REQUIRE(url.has_value());
  CHECK(url->kind == url_kind::node);
  auto to = endpoint_of(url->url);
  CHECK_FALSE(to.tls);
  CHECK(to.host == "127.0.0.1");
  CHECK_FALSE(to.host_is_name);
  CHECK(to.port == "9984");
  CHECK(to.host_header == "127.0.0.1:9984");
  CHECK(to.target == "/");
}

TEST_CASE("a stream URL is dialled as it is, with the scheme's default port") {
  auto url = read_tail_url("wss://node.example.com/api/v1/streams/valid_tx");
  REQUIRE(url.has_value());
  CHECK(url->kind == url_kind::stream);
  auto to = endpoint_of(url->url);
  CHECK(to.tls);
  CHECK(to.host == "node.example.com");
  CHECK(to.host_is_name);
  CHECK(to.port == "443");
  CHECK(to.host_header == "node.example.com");
  CHECK(to.target == "/api/v1/streams/valid_tx");
}

TEST_CASE("HOST:PORT alone names a node, dialled for discovery") {
  for (auto text : {"127.0.0.1:9984", "localhost:9984", "[::1]:9984"}) {
    auto url = read_tail_url(text);
    REQUIRE(url.has_value());
    CHECK(url->kind == url_kind::node);
    CHECK(url->url.buffer() == "http://" + std::string{text});
    CHECK(endpoint_of(url->url).port == "9984");
  }
  CHECK_FALSE(read_tail_url("localhost:9984/x y").has_value());
}

TEST_CASE("an IPv6 host is resolved without its brackets but sent with them") {
  auto to = endpoint_of(read_tail_url("ws://[::1]:9984/api/v1/streams/valid_tx")->url);
  CHECK(to.host == "::1");
  CHECK(to.host_header == "[::1]:9984");
}

TEST_CASE("URLs tail cannot dial are refused with the reason") {
  CHECK(read_tail_url("ftp://127.0.0.1/").error()
        == "\"ftp://127.0.0.1/\" is not an http, https, ws or wss URL");
  CHECK(read_tail_url("http://").error() == "\"http://\" names no host");
}

TEST_CASE("discovery's streams_v1 plus valid_tx is the stream") {
  auto stream = valid_tx_stream_of(R"({"_links": {"streams_v1": "wss://node.example.com/api/v1/streams/"}})");
  REQUIRE(stream.has_value());
  CHECK(stream->kind == url_kind::stream);
  CHECK(stream->url.buffer() == "wss://node.example.com/api/v1/streams/valid_tx");
}

TEST_CASE("a discovery body without a ws stream root is refused") {
  CHECK(valid_tx_stream_of("not json").error() == "discovery names no _links.streams_v1 string");
  CHECK_FALSE(valid_tx_stream_of(R"({"_links": {"streams_v1": 1}})").has_value());
  CHECK(valid_tx_stream_of(R"({"_links": {"streams_v1": "http://node/api/v1/streams/"}})").error()
        == "discovery's stream \"http://node/api/v1/streams/valid_tx\" is not a ws or wss URL");
}
