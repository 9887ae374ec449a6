// The service over real sockets on 127.0.0.1, as a client sees it.
#include "actors/transport.hpp"
#include "ops/build_info.hpp"
#include "server_fixture.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace std::chrono_literals;
using namespace evstream;
using evstream::testing::events_of;
using evstream::testing::http_request;
using evstream::testing::json_of;
using evstream::testing::server_fixture;
using evstream::testing::ws_client;
namespace http = evstream::net::http;

namespace {

service_options with_keepalive(caf::timespan timeout) {
  auto options = server_fixture::ingest_options();
  options.server.keepalive_timeout = timeout;
  return options;
}

// Occupies every CAF worker thread until released, so no actor runs: an
// ingest sent meanwhile stays in flight for as long as a test needs.
class scheduler_gate {
public:
  scheduler_gate(caf::actor_system& sys, std::size_t workers) {
    std::vector<std::future<void>> entered;
    for (std::size_t i = 0; i < workers; ++i) {
      auto holding = std::make_shared<std::promise<void>>();
      entered.push_back(holding->get_future());
      sys.spawn([holding, released = released_](caf::event_based_actor*) {
        holding->set_value();
        released.wait();
      });
    }
    for (auto& worker : entered)
      worker.wait();
  }
  ~scheduler_gate() { release(); }
  void release() {
    if (!open_) released_promise_.set_value();
    open_ = true;
  }

private:
  std::promise<void> released_promise_;
  std::shared_future<void> released_ = released_promise_.get_future().share();
  bool open_ = false;
};

// Posts `blocks` blocks of 1000 transactions (about 230 KB of frames each);
// `reader` receives every event of each before the next is posted.
void post_blocks_the_reader_takes(server_fixture& fixture, ws_client& reader, int blocks) {
  demo_chain chain{9};
  for (int b = 0; b < blocks; ++b) {
    auto block = chain.next_block_json(1000);
    REQUIRE(fixture.post_block(block).result() == http::status::accepted);
    for (auto& event : events_of(block))
      REQUIRE(reader.receive() == event);
  }
}

bool accepts_connections(std::uint16_t port) {
  net::asio::io_context io;
  net::tcp::socket socket{io};
  net::error_code ec;
  socket.connect({net::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

} // namespace

TEST_CASE_METHOD(server_fixture, "GET / advertises the stream root") {
  auto res = http_request(port(), http::verb::get, "/");
  CHECK(res.result() == http::status::ok);
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(res[http::field::access_control_allow_origin] == "*"); // browser pages may discover
  CHECK(res[http::field::server] == "evstream/" + std::string{evstream::ops::version()});
  auto expected = "ws://127.0.0.1:" + std::to_string(port()) + "/api/v1/streams/";
  CHECK(json_of(res).at("_links").at("streams_v1").as_string() == expected);

  auto head = http_request(port(), http::verb::head, "/");
  CHECK(head.result() == http::status::ok);
  CHECK(head.body().empty());
}

TEST_CASE("discovery advertises the configured URL") {
  auto options = server_fixture::ingest_options();
  options.server.advertised_url = "wss://node.example.com/";
  server_fixture fixture{options};
  auto res = http_request(fixture.port(), http::verb::get, "/");
  CHECK(json_of(res).at("_links").at("streams_v1").as_string() == "wss://node.example.com/api/v1/streams/");
}

TEST_CASE_METHOD(server_fixture, "a port in use is refused in words, naming the address") {
  auto options = ingest_options();
  options.port = port();
  CHECK_THROWS_WITH(service(sys, options), "127.0.0.1:" + std::to_string(port())
                                               + " is already in use (another evstream, or another server)");
}

TEST_CASE_METHOD(server_fixture,
                 "a host name to listen on is resolved; one that does not resolve is refused in words") {
  auto options = ingest_options();
  options.host = "localhost";
  options.port = 0;
  CHECK_NOTHROW(service(sys, options));
  options.host = "no-such-host.invalid";
  CHECK_THROWS_WITH(service(sys, options),
                    Catch::StartsWith("--host: cannot resolve \"no-such-host.invalid\": "));
}

TEST_CASE_METHOD(server_fixture, "wrong paths and methods get JSON errors") {
  auto unknown = http_request(port(), http::verb::get, "/nowhere");
  CHECK(unknown.result() == http::status::not_found);
  CHECK(json_of(unknown).at("error").as_string() == "no such resource: /nowhere");

  auto wrong_method = http_request(port(), http::verb::post, "/");
  CHECK(wrong_method.result() == http::status::method_not_allowed);
  CHECK(wrong_method[http::field::allow] == "GET, HEAD");

  auto plain_get = http_request(port(), http::verb::get, "/api/v1/streams/valid_tx");
  CHECK(plain_get.result() == http::status::upgrade_required);
  CHECK(plain_get[http::field::upgrade] == "websocket");

  auto unknown_stream = http_request(port(), http::verb::get, "/api/v1/streams/nope");
  CHECK(unknown_stream.result() == http::status::not_found);
  CHECK(json_of(unknown_stream).at("error").as_string()
        == "unknown stream \"nope\"; this node serves valid_tx, valid_transactions, blocks");

  auto get_blocks = http_request(port(), http::verb::get, "/api/v1/blocks");
  CHECK(get_blocks.result() == http::status::method_not_allowed);
}

TEST_CASE_METHOD(server_fixture, "an unknown stream is refused without an upgrade") {
  CHECK_THROWS(ws_client{port(), "/api/v1/streams/nope"});
}

TEST_CASE_METHOD(server_fixture, "ping gets pong; other messages are ignored") {
  ws_client client{port()};
  client.send("hello");
  client.send("{\"ping\": true}");
  client.ping_and_wait_for_pong();
  client.stream().ping({});
  client.ping_and_wait_for_pong();
}

TEST_CASE_METHOD(server_fixture, "3 blocks of 1000 transactions reach 50 clients complete and in order") {
  std::vector<std::unique_ptr<ws_client>> clients;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<ws_client>(port()));
    clients.back()->ping_and_wait_for_pong();
  }
  REQUIRE(subscribers() == 50);

  demo_chain chain{42};
  std::vector<std::string> expected;
  for (int b = 0; b < 3; ++b) {
    auto block = chain.next_block_json(1000);
    auto res = post_block(block);
    REQUIRE(res.result() == http::status::accepted);
    CHECK(json_of(res).at("transactions").as_int64() == 1000);
    for (auto& event : events_of(block))
      expected.push_back(event);
  }
  for (auto& client : clients) {
    std::vector<std::string> received;
    for (std::size_t i = 0; i < expected.size(); ++i)
      received.push_back(client->receive());
    REQUIRE(received == expected);
  }
}

TEST_CASE("a client that stops pinging is closed after the configured timeout") {
  server_fixture fixture{with_keepalive(1s)};
  ws_client quiet{fixture.port()};
  auto started = std::chrono::steady_clock::now();
  CHECK(quiet.wait_for_close() == 1008);
  CHECK(quiet.close_reason() == "no ping for 1 s");
  CHECK(std::chrono::steady_clock::now() - started >= 1s);
}

TEST_CASE_METHOD(server_fixture, "a client message over the limit closes with 1009") {
  ws_client client{port()};
  client.send(std::string(5000, 'x'));
  CHECK(client.wait_for_close() == 1009);
  CHECK(client.close_reason() == "message too big: over 4 KiB");
  CHECK(server->metrics().websocket_closes(name_of(close_cause::limits)).value() == 1);
}

TEST_CASE_METHOD(server_fixture, "ingest answers 202, 400, 409 and 413") {
  demo_chain chain{7};
  auto block = chain.next_block_json(2);
  auto accepted = post_block(block);
  CHECK(accepted.result() == http::status::accepted);
  CHECK(json_of(accepted).at("transactions").as_int64() == 2);

  auto duplicate = post_block(block);
  CHECK(duplicate.result() == http::status::conflict);

  auto malformed = post_block("{\"id\": ");
  CHECK(malformed.result() == http::status::bad_request);
  CHECK(json_of(malformed).at("path").as_string() == "$");

  auto bad_field = post_block(R"({"id": "abc", "block": {}})");
  CHECK(bad_field.result() == http::status::bad_request);
  CHECK(json_of(bad_field).at("path").as_string() == "$.id");

  auto too_many = boost::json::parse(chain.next_block_json(1000));
  auto& transactions = too_many.at("block").at("transactions").as_array();
  transactions.push_back(transactions.front());
  auto over = post_block(boost::json::serialize(too_many));
  CHECK(over.result() == http::status::bad_request);
  CHECK(json_of(over).at("path").as_string() == "$.block.transactions");

  auto huge = post_block(std::string(5u << 20, ' '));
  CHECK(huge.result() == http::status::payload_too_large);

  auto& metrics = server->metrics();
  CHECK(metrics.blocks_ingested.value() == 1);
  CHECK(metrics.ingest_errors(ops::ingest_refusal::duplicate).value() == 1);
  CHECK(metrics.ingest_errors(ops::ingest_refusal::invalid).value() == 3);
  CHECK(metrics.ingest_errors(ops::ingest_refusal::too_large).value() == 1);
}

TEST_CASE("with an ingest token, ingest needs the bearer token") {
  auto options = server_fixture::ingest_options();
  options.server.ingest_token = "s3cret";
  server_fixture fixture{options};
  demo_chain chain{8};
  auto block = chain.next_block_json(1);
  CHECK(http_request(fixture.port(), http::verb::post, "/api/v1/blocks", block).result()
        == http::status::unauthorized);
  CHECK(http_request(fixture.port(), http::verb::post, "/api/v1/blocks", block, "Bearer wrong").result()
        == http::status::forbidden);
  CHECK(http_request(fixture.port(), http::verb::post, "/api/v1/blocks", block, "Bearer s3cret").result()
        == http::status::accepted);
  CHECK(fixture.server->metrics().ingest_errors(ops::ingest_refusal::unauthorized).value() == 2);
}

TEST_CASE("ingest is off unless the source is ingest") {
  auto options = server_fixture::ingest_options();
  options.source = block_source_kind::stdin_lines;
  server_fixture fixture{options};
  auto res = http_request(fixture.port(), http::verb::post, "/api/v1/blocks", "{}");
  CHECK(res.result() == http::status::not_found);
}

TEST_CASE_METHOD(server_fixture, "stopping the service closes every client with 1001") {
  ws_client first{port()}, second{port()};
  first.ping_and_wait_for_pong();
  second.ping_and_wait_for_pong();
  server->stop();
  CHECK(first.wait_for_close() == 1001);
  CHECK(second.wait_for_close() == 1001);
  CHECK(first.close_reason() == "server shutting down");
  CHECK(server->metrics().websocket_closes(name_of(close_cause::shutdown)).value() == 2);
}

TEST_CASE_METHOD(server_fixture, "stopping the service answers an ingest in flight before closing") {
  auto actors_before = sys.registry().running();
  scheduler_gate gate{sys, 2}; // server_fixture's scheduler has 2 workers
  auto block = next_block(2);
  evstream::testing::raw_client poster{port()};
  poster.send(
      "POST /api/v1/blocks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
      + std::to_string(block.size()) + "\r\n\r\n" + block);
  // The HTTP side spawns one actor per ingest to ask the block source: once
  // it exists, the request is read and waits for an answer that cannot come.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (sys.registry().running() < actors_before + 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(sys.registry().running() == actors_before + 3);

  auto stopping = std::async(std::launch::async, [this] { server->stop(); });
  // stop() shuts the listener first; once it has, shutdown is under way.
  while (accepts_connections(port()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  CHECK_FALSE(accepts_connections(port()));
  gate.release();

  auto res = poster.read_response();
  CHECK(res.result() == http::status::accepted);
  poster.read_until_closed();
  CHECK(poster.how_it_ended() == evstream::testing::raw_client::end::closed);
  stopping.wait();
}

TEST_CASE_METHOD(server_fixture, "the dispatcher forgets a client that disconnects") {
  {
    ws_client gone{port()};
    gone.ping_and_wait_for_pong();
    REQUIRE(subscribers() == 1);
    gone.stream().close(net::websocket::close_code::normal);
  }
  // The session ends once the close handshake is done: wait for the count to
  // drop, bounded by a deadline.
  CHECK(wait_for_subscribers(0, 5s));
}

TEST_CASE("a client that stops reading is closed as slow; the others get every block") {
  auto options = server_fixture::ingest_options();
  options.server.send_budget_bytes = 256u << 10;
  server_fixture fixture{options};
  ws_client reader{fixture.port()};
  ws_client stalled{fixture.port(), "/api/v1/streams/valid_tx", 4096};
  reader.ping_and_wait_for_pong();
  stalled.ping_and_wait_for_pong();

  // Far more than the budget plus what the kernel buffers for the stalled client.
  post_blocks_the_reader_takes(fixture, reader, 40);
  CHECK(stalled.wait_for_close() == 1008);
  CHECK(stalled.close_reason() == "slow consumer: over 256 KiB unsent");
  CHECK(fixture.server->slow_consumers_closed() == 1); // the reader is not counted
  CHECK(fixture.server->metrics().websocket_closes(name_of(close_cause::slow_consumer)).value() == 1);
  reader.ping_and_wait_for_pong(); // still served
}

TEST_CASE("a client that stops reading under the byte budget is closed once its socket takes nothing for the "
          "send timeout") {
  auto options = server_fixture::ingest_options();
  options.server.send_timeout = 1s; // the byte budget stays at 8 MiB
  server_fixture fixture{options};
  ws_client reader{fixture.port()};
  ws_client stalled{fixture.port(), "/api/v1/streams/valid_tx", 4096};
  reader.ping_and_wait_for_pong();
  stalled.ping_and_wait_for_pong();

  // About 7 MB: more than the kernel buffers for the stalled client, less
  // than its byte budget.
  post_blocks_the_reader_takes(fixture, reader, 30);
  stalled.stream().ping({}); // alive, as far as the keep-alive rule goes
  auto closed_as_slow = fixture.server->metrics().websocket_closes(name_of(close_cause::slow_consumer));
  auto deadline = std::chrono::steady_clock::now() + evstream::testing::default_deadline;
  while (closed_as_slow.value() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(closed_as_slow.value() == 1);
  CHECK(stalled.wait_for_close() == 1008);
  CHECK(stalled.close_reason() == "slow consumer: no progress for 1 s");
  CHECK(fixture.server->slow_consumers_closed() == 1);
  reader.ping_and_wait_for_pong(); // still served
}

TEST_CASE_METHOD(server_fixture, "/healthz is alive; /readyz is ready while the block source answers") {
  auto alive = http_request(port(), http::verb::get, "/healthz");
  CHECK(alive.result() == http::status::ok);
  CHECK(json_of(alive).at("status") == "alive");
  CHECK(alive[http::field::cache_control] == "no-store");
  auto ready = http_request(port(), http::verb::get, "/readyz");
  CHECK(ready.result() == http::status::ok);
  CHECK(json_of(ready).at("status") == "ready");
  CHECK(http_request(port(), http::verb::post, "/readyz").result() == http::status::method_not_allowed);
  auto head = http_request(port(), http::verb::head, "/readyz");
  CHECK(head.result() == http::status::ok);
  CHECK(head.body().empty());

  caf::anon_send_exit(server->block_source(), caf::exit_reason::kill);
  auto not_ready = http_request(port(), http::verb::get, "/readyz");
  CHECK(not_ready.result() == http::status::service_unavailable);
  CHECK(json_of(not_ready).at("status") == "not ready");
  CHECK(json_of(not_ready).at("error") == "the block source does not answer");
  CHECK(http_request(port(), http::verb::get, "/healthz").result() == http::status::ok);
}
