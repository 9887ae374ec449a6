// Hostile and broken clients over real sockets on 127.0.0.1: bad blocks on
// ingest, protocol violations on the stream, requests that are not HTTP, slow
// and vanishing clients, floods and limits. Each case ends by showing that an
// ordinary subscriber is still served (expect_normal_client_served).
#include "server_fixture.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace evstream;
using namespace evstream::testing;
namespace http = evstream::net::http;
namespace json = boost::json;
using Catch::Matchers::StartsWith;

namespace {

using clock_type = std::chrono::steady_clock;

service_options with_timeouts(std::chrono::milliseconds request_timeout) {
  auto options = server_fixture::ingest_options();
  options.server.request_timeout = request_timeout;
  options.server.handshake_timeout = request_timeout;
  return options;
}

// A fresh valid block of the fixture's chain, changed by `edit`.
template <class Edit>
std::string block_with(server_fixture& fixture, Edit edit) {
  json::value doc = json::parse(fixture.next_block(2));
  edit(doc.as_object());
  return json::serialize(doc);
}

// Posting `body` gets 400 with a JSON error naming `path`.
void expect_refused_at(server_fixture& fixture, const std::string& body, const std::string& path,
                       const std::string& error_start = {}) {
  auto res = fixture.post_block(body);
  CHECK(res.result() == http::status::bad_request);
  CHECK(res[http::field::content_type] == "application/json");
  auto answer = json_of(res);
  CHECK(answer.at("path").as_string() == path);
  CHECK_THAT(std::string{answer.at("error").as_string()}, StartsWith(error_start));
}

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Upgrades a raw connection by hand; afterwards its received bytes are the
// server's frames only.
void handshake(raw_client& client) {
  client.send(upgrade_request());
  auto res = client.read_response();
  REQUIRE(res.result() == http::status::switching_protocols);
}

// A raw, upgraded connection whose session is subscribed (it got its pong).
void subscribe_by_hand(raw_client& client) {
  handshake(client);
  client.send(client_frame(opcode::text, "ping"));
  auto& bytes = client.read_until([](const std::string& b) { return !parse_server_frames(b).empty(); });
  auto frames = parse_server_frames(bytes);
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].payload == "pong");
  client.consume(bytes.size());
}

// Reads until the server ends the connection; the code of its close frame,
// or 0 when it closed TCP without one.
int close_code_from_server(raw_client& client) {
  auto& bytes = client.read_until_closed(5s);
  CHECK(client.how_it_ended() != raw_client::end::open);
  for (const auto& frame : parse_server_frames(bytes))
    if (frame.opcode == opcode::close) return frame.close_code();
  return 0;
}

// Sends `frames` on a fresh upgraded connection and expects the server to
// fail the connection with `expected` (RFC 6455 section 7.1.7).
void expect_connection_failed(server_fixture& fixture, const std::string& frames, int expected) {
  raw_client client{fixture.port()};
  subscribe_by_hand(client);
  client.send(frames);
  CHECK(close_code_from_server(client) == expected);
}

// Cuts the connection with a TCP RST instead of a FIN.
void reset(net::tcp::socket& socket) {
  socket.set_option(net::asio::socket_base::linger(true, 0));
  net::error_code ignored;
  socket.close(ignored);
}

// A raw request that is answered (one status) or just closed by the server.
void expect_bad_request_or_closed(server_fixture& fixture, const std::string& bytes) {
  raw_client client{fixture.port()};
  client.send(bytes);
  auto& reply = client.read_until_closed(5s);
  CHECK(client.how_it_ended() != raw_client::end::open);
  if (!reply.empty()) {
    auto res = parse_http_response(reply);
    CHECK(res.result() == http::status::bad_request);
    CHECK_THAT(std::string{json_of(res).at("error").as_string()}, StartsWith("malformed HTTP request"));
  }
}

} // namespace

// ---------------------------------------------------------------- ingest: not a block

TEST_CASE_METHOD(server_fixture, "ingest: malformed JSON gets 400 at $", "[hostile][ingest]") {
  expect_refused_at(*this, R"({"id": )", "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a block cut in half gets 400 at $", "[hostile][ingest]") {
  auto block = next_block(2);
  expect_refused_at(*this, block.substr(0, block.size() / 2), "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: text after the document gets 400 at $", "[hostile][ingest]") {
  expect_refused_at(*this, next_block(1) + " {}", "$", "malformed JSON: unexpected text after the document");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: arrays nested 100 deep inside a block get 400 at $",
                 "[hostile][ingest]") {
  auto body = block_with(*this, [](json::object& doc) { doc["block"].as_object()["deep"] = "DEEP"; });
  body.replace(body.find("\"DEEP\""), 6, nested_arrays(100));
  expect_refused_at(*this, body, "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a document of 100 nested objects gets 400 at $",
                 "[hostile][ingest]") {
  std::string body;
  for (int i = 0; i < 100; ++i)
    body += R"({"a":)";
  body += "1" + std::string(100, '}');
  expect_refused_at(*this, body, "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a body over max_body_bytes gets 413 with a JSON error",
                 "[hostile][ingest]") {
  std::string huge = "[" + std::string((5u << 20), '1') + "]";
  auto res = post_block(huge);
  CHECK(res.result() == http::status::payload_too_large);
  CHECK(json_of(res).at("error").as_string() == "request body over 4194304 bytes");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a Content-Length over the limit gets 413 before any body is sent",
                 "[hostile][ingest]") {
  raw_client client{port()};
  client.send("POST /api/v1/blocks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n");
  auto res = client.read_response();
  CHECK(res.result() == http::status::payload_too_large);
  CHECK(json_of(res).at("error").as_string() == "request body over 4194304 bytes");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a chunked body over the limit gets 413", "[hostile][ingest]") {
  raw_client client{port()};
  client.send("POST /api/v1/blocks HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "100000\r\n" + std::string(0x100000, ' ') + "\r\n"; // 1 MiB each
  for (int i = 0; i < 5 && client.send(chunk); ++i) {
  }
  auto res = client.read_response();
  CHECK(res.result() == http::status::payload_too_large);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a 3 MiB block under the limit is accepted", "[hostile][ingest]") {
  auto body = block_with(*this, [](json::object& doc) {
    doc["block"].as_object()["transactions"].as_array()[0].as_object()["metadata"] =
        std::string(3u << 20, 'm');
  });
  auto res = post_block(body);
  CHECK(res.result() == http::status::accepted);
  CHECK(json_of(res).at("transactions").as_int64() == 2);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: an empty body gets 400 at $", "[hostile][ingest]") {
  expect_refused_at(*this, "", "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: plain text gets 400 at $", "[hostile][ingest]") {
  expect_refused_at(*this, "this is not a block, it is a sentence", "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: binary bytes with NULs get 400 at $", "[hostile][ingest]") {
  expect_refused_at(*this, std::string("\x00\x01\xff\xfe{\x00}", 7), "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: invalid UTF-8 inside a JSON string gets 400 at $",
                 "[hostile][ingest]") {
  auto body = block_with(*this, [](json::object& doc) { doc["signature"] = "MARK"; });
  body.replace(body.find("MARK"), 4, "\xc3\x28\xff");
  expect_refused_at(*this, body, "$", "malformed JSON");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a JSON array as the document gets 400 at $", "[hostile][ingest]") {
  expect_refused_at(*this, "[" + next_block(1) + "]", "$", "the block document must be a JSON object");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a bare JSON number gets 400 at $", "[hostile][ingest]") {
  expect_refused_at(*this, "42", "$", "the block document must be a JSON object");
  expect_normal_client_served(*this);
}

// ---------------------------------------------------------------- ingest: wrong fields

TEST_CASE_METHOD(server_fixture, "ingest: a missing id gets 400 at $.id", "[hostile][ingest]") {
  expect_refused_at(*this, block_with(*this, [](json::object& doc) { doc.erase("id"); }), "$.id",
                    R"(missing required field "id")");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a numeric id gets 400 at $.id", "[hostile][ingest]") {
  expect_refused_at(*this, block_with(*this, [](json::object& doc) { doc["id"] = 12345; }), "$.id",
                    R"("id" must be a SHA3-256 digest: 64 lower-case hex digits)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a 63-character id gets 400 at $.id", "[hostile][ingest]") {
  expect_refused_at(*this, block_with(*this, [](json::object& doc) { doc["id"] = std::string(63, 'a'); }),
                    "$.id", R"("id" must be a SHA3-256 digest: 64 lower-case hex digits)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a missing block gets 400 at $.block", "[hostile][ingest]") {
  expect_refused_at(*this, block_with(*this, [](json::object& doc) { doc.erase("block"); }), "$.block",
                    R"(missing required field "block")");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a block that is a string gets 400 at $.block",
                 "[hostile][ingest]") {
  expect_refused_at(*this, block_with(*this, [](json::object& doc) { doc["block"] = "{}"; }), "$.block",
                    R"("block" must be an object)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a missing timestamp gets 400 at $.block.timestamp",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this, [](json::object& doc) { doc["block"].as_object().erase("timestamp"); }),
                    "$.block.timestamp", R"(missing required field "timestamp")");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a numeric timestamp gets 400 at $.block.timestamp",
                 "[hostile][ingest]") {
  expect_refused_at(
      *this, block_with(*this, [](json::object& doc) { doc["block"].as_object()["timestamp"] = 1493291935; }),
      "$.block.timestamp", R"("timestamp" must be a string)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: missing transactions get 400 at $.block.transactions",
                 "[hostile][ingest]") {
  expect_refused_at(
      *this, block_with(*this, [](json::object& doc) { doc["block"].as_object().erase("transactions"); }),
      "$.block.transactions", R"(missing required field "transactions")");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: transactions as an object get 400 at $.block.transactions",
                 "[hostile][ingest]") {
  expect_refused_at(
      *this,
      block_with(*this, [](json::object& doc) { doc["block"].as_object()["transactions"] = json::object{}; }),
      "$.block.transactions", R"("transactions" must be an array)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a transaction that is a string gets 400 at its index",
                 "[hostile][ingest]") {
  expect_refused_at(
      *this,
      block_with(*this,
                 [](json::object& doc) { doc["block"].as_object()["transactions"].as_array()[1] = "tx"; }),
      "$.block.transactions[1]", "each transaction must be an object");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a transaction without id gets 400 at its .id",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this,
                               [](json::object& doc) {
                                 doc["block"].as_object()["transactions"].as_array()[0].as_object().erase(
                                     "id");
                               }),
                    "$.block.transactions[0].id", R"(missing required field "id")");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a transaction id with a non-hex character gets 400 at its .id",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this,
                               [](json::object& doc) {
                                 doc["block"].as_object()["transactions"].as_array()[1].as_object()["id"] =
                                     std::string(63, 'a') + "g";
                               }),
                    "$.block.transactions[1].id",
                    R"("id" must be a SHA3-256 digest: 64 lower-case hex digits)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: an asset that is a string gets 400 at its .asset",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this,
                               [](json::object& doc) {
                                 doc["block"].as_object()["transactions"].as_array()[0].as_object()["asset"] =
                                     "bike";
                               }),
                    "$.block.transactions[0].asset", R"("asset" must be an object or null)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a numeric asset.id gets 400 at its .asset.id",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this,
                               [](json::object& doc) {
                                 doc["block"].as_object()["transactions"].as_array()[0].as_object()["asset"] =
                                     json::object{{"id", 7}};
                               }),
                    "$.block.transactions[0].asset.id",
                    R"("asset.id" must be a SHA3-256 digest: 64 lower-case hex digits)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a numeric node_pubkey gets 400 at $.block.node_pubkey",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this, [](json::object& doc) { doc["block"].as_object()["node_pubkey"] = 1; }),
                    "$.block.node_pubkey", R"("node_pubkey" must be a string)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a voter that is not a string gets 400 at its index",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this,
                               [](json::object& doc) {
                                 doc["block"].as_object()["voters"] = json::array{"a", true};
                               }),
                    "$.block.voters[1]", "each voter must be a string");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a signature that is an object gets 400 at $.signature",
                 "[hostile][ingest]") {
  expect_refused_at(*this, block_with(*this, [](json::object& doc) { doc["signature"] = json::object{}; }),
                    "$.signature", R"("signature" must be a string or null)");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: 1001 transactions get 400 at $.block.transactions",
                 "[hostile][ingest]") {
  json::value doc = json::parse(next_block(1000));
  auto& transactions = doc.at("block").at("transactions").as_array();
  transactions.push_back(transactions.front());
  expect_refused_at(*this, json::serialize(doc), "$.block.transactions",
                    "block has 1001 transactions; at most 1000 are allowed");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a transaction id twice in a block gets 400 at the second",
                 "[hostile][ingest]") {
  expect_refused_at(*this,
                    block_with(*this,
                               [](json::object& doc) {
                                 auto& transactions = doc["block"].as_object()["transactions"].as_array();
                                 transactions[1] = transactions[0];
                               }),
                    "$.block.transactions[1].id", "transaction id appears earlier in this block");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "ingest: a block posted twice gets 409 and is streamed once",
                 "[hostile][ingest]") {
  ws_client subscriber{port()};
  subscriber.ping_and_wait_for_pong();
  auto first = next_block(2);
  REQUIRE(post_block(first).result() == http::status::accepted);

  auto again = post_block(first);
  CHECK(again.result() == http::status::conflict);
  auto blockid = std::string{json::parse(first).at("id").as_string()};
  CHECK(json_of(again).at("blockid").as_string() == blockid);

  auto second = next_block(1);
  REQUIRE(post_block(second).result() == http::status::accepted);
  auto expected = events_of(first);
  for (auto& event : events_of(second))
    expected.push_back(event);
  for (auto& event : expected)
    CHECK(subscriber.receive() == event); // the repeat sent nothing in between
  expect_normal_client_served(*this);
}

// ---------------------------------------------------------------- WebSocket: odd but legal

TEST_CASE_METHOD(server_fixture, "stream: binary messages are ignored and the connection stays",
                 "[hostile][websocket]") {
  ws_client client{port()};
  client.stream().binary(true);
  client.send("ping"); // binary "ping" is not a keep-alive text ping
  client.send(std::string("\x00\x01\x02", 3));
  client.stream().binary(false);
  client.ping_and_wait_for_pong();

  auto block = next_block(1);
  REQUIRE(post_block(block).result() == http::status::accepted);
  CHECK(client.receive() == events_of(block).front()); // no second pong came first
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a text ping in two fragments counts as a ping",
                 "[hostile][websocket]") {
  ws_client client{port()};
  client.stream().write_some(false, net::asio::buffer(std::string{"pi"}));
  client.stream().write_some(true, net::asio::buffer(std::string{"ng"}));
  CHECK(client.receive() == "pong");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a text ping in four one-byte frames counts as a ping",
                 "[hostile][websocket]") {
  raw_client client{port()};
  handshake(client);
  client.send(
      client_frame(opcode::text, "p", not_final()) + client_frame(opcode::continuation, "i", not_final())
      + client_frame(opcode::continuation, "n", not_final()) + client_frame(opcode::continuation, "g"));
  auto& bytes = client.read_until([](const std::string& b) { return !parse_server_frames(b).empty(); });
  auto frames = parse_server_frames(bytes);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].opcode == opcode::text);
  CHECK(frames[0].payload == "pong");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: messages that only start with ping are not pings",
                 "[hostile][websocket]") {
  ws_client client{port()};
  client.send("pingping");
  client.send("ping ");
  client.send("PING");
  client.ping_and_wait_for_pong();
  auto block = next_block(1);
  REQUIRE(post_block(block).result() == http::status::accepted);
  CHECK(client.receive() == events_of(block).front()); // exactly one pong was sent
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a message of exactly the limit is ignored, not refused",
                 "[hostile][websocket]") {
  ws_client client{port()};
  client.send(std::string(4096, 'x'));
  client.ping_and_wait_for_pong();
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: RFC 6455 pings get pongs with the same payload",
                 "[hostile][websocket]") {
  ws_client client{port()};
  std::vector<std::string> pongs;
  client.stream().control_callback(
      [&pongs](net::websocket::frame_type kind, net::beast::string_view payload) {
        if (kind == net::websocket::frame_type::pong) pongs.emplace_back(payload.data(), payload.size());
      });
  net::websocket::ping_data longest;
  longest.assign(125, 'z');
  client.stream().ping(net::websocket::ping_data{"hello"});
  client.stream().ping(longest);
  client.ping_and_wait_for_pong(); // the pong frames arrive before it, in order
  REQUIRE(pongs.size() == 2);
  CHECK(pongs[0] == "hello");
  CHECK(pongs[1] == std::string(125, 'z'));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: 1000 text pings in one write get 1000 pongs",
                 "[hostile][websocket]") {
  raw_client client{port()};
  handshake(client);
  std::string burst;
  for (int i = 0; i < 1000; ++i)
    burst += client_frame(opcode::text, "ping");
  client.send(burst);
  auto& bytes = client.read_until([](const std::string& b) { return parse_server_frames(b).size() >= 1000; });
  auto frames = parse_server_frames(bytes);
  REQUIRE(frames.size() == 1000);
  CHECK(std::all_of(frames.begin(), frames.end(), [](const server_frame& f) { return f.payload == "pong"; }));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a close frame from the client is answered and the session ends",
                 "[hostile][websocket]") {
  raw_client client{port()};
  subscribe_by_hand(client);
  REQUIRE(subscribers() == 1);
  client.send(client_frame(opcode::close, close_payload(1000, "bye")));
  CHECK(close_code_from_server(client) == 1000);
  client.socket().close(); // the server closed first; now the client does (RFC 6455 section 7.1.1)
  CHECK(wait_for_subscribers(0, 5s));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture,
                 "stream: a client that sends close but keeps its socket open is forgotten at once",
                 "[hostile][websocket]") {
  raw_client client{port()};
  subscribe_by_hand(client);
  client.send(client_frame(opcode::close, close_payload(1000)));
  CHECK(close_code_from_server(client) == 1000);
  // Well before the 5 s closing deadline that finally cuts its socket.
  CHECK(wait_for_subscribers(0, 2s));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a client that half-closes after subscribing is forgotten",
                 "[hostile][websocket]") {
  raw_client client{port()};
  subscribe_by_hand(client);
  REQUIRE(subscribers() == 1);
  client.socket().shutdown(net::tcp::socket::shutdown_send);
  CHECK(wait_for_subscribers(0, 5s));
  expect_normal_client_served(*this);
}

// ---------------------------------------------------------------- WebSocket: too big

TEST_CASE_METHOD(server_fixture, "stream: a message over 4 KiB closes with 1009", "[hostile][websocket]") {
  ws_client client{port()};
  client.send(std::string(5000, 'x'));
  CHECK(client.wait_for_close() == 1009);
  CHECK(client.close_reason() == "message too big: over 4 KiB");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a message over 4 KiB in 500-byte fragments closes with 1009",
                 "[hostile][websocket]") {
  ws_client client{port()};
  const std::string fragment(500, 'f');
  for (int i = 0; i < 9; ++i)
    client.stream().write_some(false, net::asio::buffer(fragment));
  client.stream().write_some(true, net::asio::buffer(fragment));
  CHECK(client.wait_for_close() == 1009);
  CHECK(client.close_reason() == "message too big: over 4 KiB");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a binary message over 4 KiB closes with 1009",
                 "[hostile][websocket]") {
  ws_client client{port()};
  client.stream().binary(true);
  client.send(std::string(8192, '\0'));
  CHECK(client.wait_for_close() == 1009);
  expect_normal_client_served(*this);
}

TEST_CASE("stream: a frame claiming 2^62 bytes gets 1009 once over the limit, then is cut",
          "[hostile][websocket]") {
  server_fixture fixture{with_timeouts(1s)};
  raw_client client{fixture.port()};
  handshake(client);
  client.send(client_frame(opcode::binary, std::string(8192, 'b'), claiming(std::uint64_t{1} << 62)));
  // The client can never answer the close inside its endless frame; the
  // closing handshake's timeout ends the connection.
  auto& bytes = client.read_until([](const std::string& b) { return !parse_server_frames(b).empty(); });
  auto frames = parse_server_frames(bytes);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].opcode == opcode::close);
  CHECK(frames[0].close_code() == 1009);
  CHECK(client.closed_within(3s));
  expect_normal_client_served(fixture);
}

// ---------------------------------------------------------------- WebSocket: protocol violations

TEST_CASE_METHOD(server_fixture, "stream: an unmasked client frame fails the connection with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::text, "ping", unmasked()), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: invalid UTF-8 in a text frame fails the connection with 1007",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::text, "\xc3\x28\xa0\xa1"), 1007);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture,
                 "stream: UTF-8 cut inside a character at the end of a message fails with 1007",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::text, "ok\xe2\x82"), 1007);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: reserved data opcode 0x3 fails the connection with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(0x3, "x"), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: reserved control opcode 0xB fails the connection with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(0xb, ""), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a reserved bit without an extension fails the connection with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::text, "ping", reserved_bits(4)), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a ping frame over 125 bytes fails the connection with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::ping, std::string(126, 'p')), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a fragmented ping frame fails the connection with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::ping, "p", not_final()), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a continuation frame with nothing to continue fails with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::continuation, "ng"), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a new message inside a fragmented one fails with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(
      *this, client_frame(opcode::text, "pi", not_final()) + client_frame(opcode::text, "ng"), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture,
                 "stream: no frame follows the close frame when a ping races a protocol error",
                 "[hostile][websocket]") {
  // In one write: a text ping, a frame Beast must fail (RSV2 set), a ping
  // frame. Beast writes its close 1002 inside the read, while the session's
  // pong may be on its way: RFC 6455 section 5.5.1 lets nothing follow the
  // close. The race is narrow, so it is run many times.
  const auto burst = client_frame(opcode::text, "ping") + client_frame(opcode::text, "x", reserved_bits(2))
                     + client_frame(opcode::ping, "");
  for (int attempt = 0; attempt < 200; ++attempt) {
    INFO("attempt " << attempt);
    raw_client client{port()};
    handshake(client);
    client.send(burst);
    auto frames = parse_server_frames(client.read_until_closed(5s));
    auto close = std::find_if(frames.begin(), frames.end(),
                              [](const server_frame& frame) { return frame.opcode == opcode::close; });
    REQUIRE(close != frames.end());
    CHECK(close->close_code() == 1002);
    REQUIRE(std::distance(close, frames.end()) == 1);
  }
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a close frame with reserved code 1005 fails with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::close, close_payload(1005)), 1002);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a close frame with a one-byte payload fails with 1002",
                 "[hostile][websocket]") {
  expect_connection_failed(*this, client_frame(opcode::close, "\x03"), 1002);
  expect_normal_client_served(*this);
}

// ---------------------------------------------------------------- HTTP: not HTTP, or bent HTTP

TEST_CASE_METHOD(server_fixture, "http: random bytes get 400 or a closed connection", "[hostile][http]") {
  std::string noise;
  std::uint32_t x = 2463534242u;
  for (int i = 0; i < 512; ++i) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5; // xorshift32: the same bytes every run
    noise += static_cast<char>(x & 0xff);
  }
  expect_bad_request_or_closed(*this, noise);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: a TLS ClientHello gets 400 or a closed connection",
                 "[hostile][http]") {
  const unsigned char hello[] = {0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
                                 0x5e, 0x1f, 0x2a, 0x77, 0x00, 0x20, 0xc0, 0x2f, 0xc0, 0x2b, 0x00};
  expect_bad_request_or_closed(*this, std::string(reinterpret_cast<const char*>(hello), sizeof hello));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: a client that goes away in the middle of its header gets no answer",
                 "[hostile][http]") {
  raw_client client{port()};
  REQUIRE(client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: appl"));
  client.socket().shutdown(net::tcp::socket::shutdown_send);
  CHECK(client.closed_within(5s));
  CHECK(client.received().empty()); // it left: nothing to answer, nothing refused
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: a request line without a version gets 400", "[hostile][http]") {
  expect_bad_request_or_closed(*this, "GET /\r\n\r\n");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: a header over 8 KiB gets 431 with a JSON error", "[hostile][http]") {
  raw_client client{port()};
  client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(9000, 'h') + "\r\n\r\n");
  auto res = client.read_response();
  CHECK(res.result() == http::status::request_header_fields_too_large);
  CHECK(json_of(res).at("error").as_string() == "request header over 8192 bytes");
  CHECK(client.closed_within(5s));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: 200 small headers adding up to over 8 KiB get 431",
                 "[hostile][http]") {
  std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 200; ++i)
    request += "X-Header-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  raw_client client{port()};
  client.send(request + "\r\n");
  CHECK(client.read_response().result() == http::status::request_header_fields_too_large);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: an HTTP/1.0 request is answered and the connection closed",
                 "[hostile][http]") {
  raw_client client{port()};
  client.send("GET / HTTP/1.0\r\n\r\n");
  auto& reply = client.read_until_closed(5s);
  CHECK(client.how_it_ended() == raw_client::end::closed);
  auto res = parse_http_response(reply);
  CHECK(res.result() == http::status::ok);
  CHECK(res.version() == 11);
  CHECK(json_of(res).at("_links").at("streams_v1").as_string()
        == "ws://127.0.0.1:" + std::to_string(port()) + "/api/v1/streams/");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: HEAD on the blocks endpoint gets 405 with Allow: POST",
                 "[hostile][http]") {
  auto res = http_request(port(), http::verb::head, "/api/v1/blocks");
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::allow] == "POST");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: PUT on / gets 405 with Allow: GET, HEAD", "[hostile][http]") {
  auto res = http_request(port(), http::verb::put, "/", "{}");
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::allow] == "GET, HEAD");
  CHECK(json_of(res).at("error").as_string() == "method not allowed; use GET, HEAD");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: DELETE on the stream gets 405 with Allow: GET", "[hostile][http]") {
  auto res = http_request(port(), http::verb::delete_, "/api/v1/streams/valid_tx");
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::allow] == "GET");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: PUT on the blocks endpoint gets 405 with Allow: POST",
                 "[hostile][http]") {
  auto res = http_request(port(), http::verb::put, "/api/v1/blocks", next_block(1));
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::allow] == "POST");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: an upgrade by POST is not an upgrade: 405", "[hostile][http]") {
  raw_client client{port()};
  auto request = upgrade_request();
  request.replace(0, 3, "POST");
  client.send(request);
  auto res = client.read_response();
  CHECK(res.result() == http::status::method_not_allowed);
  CHECK(res[http::field::allow] == "GET");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: an upgrade to an unknown stream gets 404 and no upgrade",
                 "[hostile][http]") {
  raw_client client{port()};
  client.send(upgrade_request("/api/v1/streams/valid_blocks"));
  auto res = client.read_response();
  CHECK(res.result() == http::status::not_found);
  CHECK(res.count(http::field::upgrade) == 0);
  CHECK(res.count(http::field::sec_websocket_accept) == 0);
  CHECK(json_of(res).at("streams") == json::value(json::array{"valid_tx", "valid_transactions", "blocks"}));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: an upgrade with Sec-WebSocket-Version 12 is refused by Beast",
                 "[hostile][http]") {
  raw_client client{port()};
  client.send(upgrade_request("/api/v1/streams/valid_tx", "12"));
  auto res = client.read_response();
  CHECK(res.result() == http::status::upgrade_required);
  CHECK(res[http::field::sec_websocket_version] == "13");
  CHECK(wait_for_subscribers(0, 1s));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: an upgrade without Sec-WebSocket-Key gets 400", "[hostile][http]") {
  auto request = upgrade_request();
  auto key = request.find("Sec-WebSocket-Key");
  request.erase(key, request.find("\r\n", key) + 2 - key);
  raw_client client{port()};
  client.send(request);
  CHECK(client.read_response().result() == http::status::bad_request);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: an upgrade over HTTP/1.0 is not upgraded", "[hostile][http]") {
  auto request = upgrade_request();
  request.replace(request.find("HTTP/1.1"), 8, "HTTP/1.0");
  raw_client client{port()};
  client.send(request);
  auto res = client.read_response();
  CHECK(res.result() == http::status::upgrade_required);
  CHECK(res.count(http::field::sec_websocket_accept) == 0);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: Content-Length together with chunked gets 400", "[hostile][http]") {
  expect_bad_request_or_closed(*this, "POST /api/v1/blocks HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: two different Content-Lengths get 400", "[hostile][http]") {
  expect_bad_request_or_closed(*this, "POST /api/v1/blocks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                      "Content-Length: 3\r\n\r\n{}");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: a Content-Length that is not a number gets 400", "[hostile][http]") {
  expect_bad_request_or_closed(*this,
                               "POST /api/v1/blocks HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: a NUL in the request target gets 400", "[hostile][http]") {
  expect_bad_request_or_closed(*this, std::string("GET /\0x HTTP/1.1\r\nHost: x\r\n\r\n", 29));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: 100 pipelined requests in one write get 100 answers in order",
                 "[hostile][http]") {
  std::string burst;
  for (int i = 0; i < 100; ++i)
    burst += "GET /nowhere/" + std::to_string(i) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  raw_client client{port()};
  client.send(burst);
  auto& bytes = client.read_until([](const std::string& b) { return parse_http_responses(b).size() >= 100; });
  auto responses = parse_http_responses(bytes);
  REQUIRE(responses.size() == 100);
  for (int i = 0; i < 100; ++i)
    CHECK(json_of(responses[i]).at("error").as_string() == "no such resource: /nowhere/" + std::to_string(i));
  expect_normal_client_served(*this);
}

// ---------------------------------------------------------------- slow, silent and vanishing clients

TEST_CASE("http: a connection that sends nothing is closed after the request timeout", "[hostile][http]") {
  server_fixture fixture{with_timeouts(1s)};
  raw_client silent{fixture.port()};
  auto connected = clock_type::now();
  CHECK(silent.closed_within(5s));
  auto waited = clock_type::now() - connected;
  CHECK(waited >= 900ms);
  CHECK(waited < 3s);
  CHECK(silent.received().empty());
  expect_normal_client_served(fixture);
}

TEST_CASE("http: a connection that stops inside a request line is closed after the request timeout",
          "[hostile][http]") {
  server_fixture fixture{with_timeouts(1s)};
  raw_client stalled{fixture.port()};
  stalled.send("GET /api/v1/str");
  CHECK(stalled.closed_within(5s));
  expect_normal_client_served(fixture);
}

TEST_CASE("http: slowloris, one header byte every 200 ms, is closed within the request timeout",
          "[hostile][http]") {
  server_fixture fixture{with_timeouts(1s)};
  const std::string request =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(64, 's') + "\r\n\r\n";
  raw_client slow{fixture.port()};
  auto started = clock_type::now();
  std::size_t sent = 0;
  bool closed = false;
  // Each wait for the server's close doubles as the 200 ms pause.
  while (!closed && sent < request.size() && clock_type::now() - started < 6s) {
    if (!slow.send(request.substr(sent++, 1))) break;
    closed = slow.closed_within(200ms);
  }
  CHECK((closed || slow.closed_within(1s)));
  CHECK(clock_type::now() - started < 3s);
  CHECK(sent < request.size());
  CHECK(slow.received().empty());
  expect_normal_client_served(fixture);
}

TEST_CASE("stream: an upgrade that never finishes its request is closed after the request timeout",
          "[hostile][http]") {
  server_fixture fixture{with_timeouts(1s)};
  auto request = upgrade_request();
  raw_client client{fixture.port()};
  client.send(request.substr(0, request.size() - 2)); // no blank line
  CHECK(client.closed_within(5s));
  CHECK(fixture.subscribers() == 0);
  expect_normal_client_served(fixture);
}

TEST_CASE_METHOD(server_fixture, "stream: a subscriber that vanishes with a TCP reset is forgotten",
                 "[hostile][websocket]") {
  {
    ws_client gone{port()};
    gone.ping_and_wait_for_pong();
    REQUIRE(subscribers() == 1);
    reset(gone.stream().next_layer());
  }
  CHECK(wait_for_subscribers(0, 5s));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a subscriber reset while blocks flow is forgotten; others get them",
                 "[hostile][websocket]") {
  ws_client stays{port()};
  stays.ping_and_wait_for_pong();
  auto gone = std::make_unique<ws_client>(port());
  gone->ping_and_wait_for_pong();
  REQUIRE(subscribers() == 2);
  auto block = next_block(200);
  REQUIRE(post_block(block).result() == http::status::accepted);
  reset(gone->stream().next_layer());
  gone.reset();
  for (auto& event : events_of(block))
    REQUIRE(stays.receive() == event);
  CHECK(wait_for_subscribers(1, 5s));
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "http: a client reset halfway through an ingest body leaves no trace",
                 "[hostile][http]") {
  auto block = next_block(2);
  {
    raw_client client{port()};
    client.send("POST /api/v1/blocks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                + std::to_string(block.size()) + "\r\n\r\n" + block.substr(0, block.size() / 2));
    reset(client.socket());
  }
  // The cut block was never ingested: posting it whole is accepted, not a repeat.
  CHECK(post_block(block).result() == http::status::accepted);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: a client reset during its upgrade leaves no subscriber",
                 "[hostile][websocket]") {
  {
    raw_client client{port()};
    client.send(upgrade_request());
    reset(client.socket());
  }
  CHECK(wait_for_subscribers(0, 2s));
  expect_normal_client_served(*this);
}

// ---------------------------------------------------------------- floods and limits

TEST_CASE_METHOD(server_fixture,
                 "http: a burst of 2000 connects, each closed at once, leaves the server serving",
                 "[hostile][http]") {
  net::asio::io_context io;
  int connected = 0;
  for (int i = 0; i < 2000; ++i) {
    auto socket = connect_to(io, port());
    ++connected;
    net::error_code ignored;
    socket.close(ignored);
  }
  CHECK(connected == 2000);
  CHECK(http_request(port(), http::verb::get, "/").result() == http::status::ok);
  expect_normal_client_served(*this);
}

TEST_CASE_METHOD(server_fixture, "stream: 200 subscribers at once all get a block", "[hostile][websocket]") {
  std::vector<std::unique_ptr<ws_client>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<ws_client>(port()));
    clients.back()->ping_and_wait_for_pong();
  }
  REQUIRE(subscribers() == 200);
  auto block = next_block(3);
  REQUIRE(post_block(block).result() == http::status::accepted);
  auto expected = events_of(block);
  for (auto& client : clients)
    for (auto& event : expected)
      REQUIRE(client->receive() == event);
  expect_normal_client_served(*this);
}

TEST_CASE("limits: a fourth subscriber from one address gets 503 and no upgrade", "[hostile][limits]") {
  auto options = server_fixture::ingest_options();
  options.server.max_connections_per_ip = 3;
  server_fixture fixture{options};
  std::vector<std::unique_ptr<ws_client>> admitted;
  for (int i = 0; i < 3; ++i) {
    admitted.push_back(std::make_unique<ws_client>(fixture.port()));
    admitted.back()->ping_and_wait_for_pong();
  }

  raw_client fourth{fixture.port()};
  fourth.send(upgrade_request());
  auto res = fourth.read_response();
  CHECK(res.result() == http::status::service_unavailable);
  CHECK(res.count(http::field::sec_websocket_accept) == 0);
  CHECK(json_of(res).at("error").is_string());
  CHECK(fixture.subscribers() == 3);

  // One leaves: its slot comes back once its connection is gone, and the
  // normal client takes it.
  admitted.front()->stream().close(net::websocket::close_code::normal);
  admitted.erase(admitted.begin());
  expect_normal_client_served(fixture);
  CHECK(fixture.wait_for_subscribers(2));
}

TEST_CASE("limits: past max_connections subscribers an upgrade gets 503", "[hostile][limits]") {
  auto options = server_fixture::ingest_options();
  options.server.max_connections = 2;
  server_fixture fixture{options};
  ws_client first{fixture.port()}, second{fixture.port()};
  first.ping_and_wait_for_pong();
  second.ping_and_wait_for_pong();

  raw_client third{fixture.port()};
  third.send(upgrade_request());
  auto res = third.read_response();
  CHECK(res.result() == http::status::service_unavailable);
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(json_of(res).at("error").is_string());
  // Plain HTTP is not limited by the subscriber count.
  CHECK(http_request(fixture.port(), http::verb::get, "/").result() == http::status::ok);

  second.stream().close(net::websocket::close_code::normal);
  expect_normal_client_served(fixture);
}
