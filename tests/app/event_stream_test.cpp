// The public embedding API (include/evstream/evstream.hpp) from a host's
// point of view: its own actor system, typed blocks in, events out to a real
// WebSocket client on 127.0.0.1, counters, stop; and a feed relays follow.
#include "evstream/evstream.hpp"

#include "actors/demo_chain.hpp"
#include "app/service.hpp"
#include "expected_events.hpp"
#include "net/client.hpp"

#include <catch2/catch.hpp>

#include <caf/all.hpp>

using namespace std::chrono_literals;
using evstream::testing::events_of;
using evstream::testing::http_request;
using evstream::testing::ws_client;
namespace http = evstream::net::http;

namespace {

struct host_node {
  caf::actor_system_config config;
  caf::actor_system system{config};
  evstream::demo_chain chain{42};

  static evstream::event_stream_options on_any_port() {
    evstream::event_stream_options options;
    options.port = 0;
    return options;
  }

  // A block as a host node holds it, and the events a subscriber should get.
  std::pair<evstream::block, std::vector<std::string>> next_block(std::size_t transactions) {
    auto json = chain.next_block_json(transactions);
    return {evstream::schema::parse_block(json).value(), events_of(json)};
  }
};

// Polls until `done()` or `within` passes; counters answer asynchronously.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds within = 5s) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (!done())
    if (std::chrono::steady_clock::now() >= deadline) return false;
  return true;
}

} // namespace

TEST_CASE_METHOD(host_node, "a host publishes typed blocks and subscribers get their events in order") {
  evstream::event_stream stream{system, on_any_port()};
  ws_client subscriber{stream.port()};
  subscriber.ping_and_wait_for_pong();
  REQUIRE(eventually([&] { return stream.counters().subscribers == 1; }));

  auto [first, first_events] = next_block(3);
  auto [second, second_events] = next_block(1000);
  stream.publish(first);
  // A host actor may also send blocks to the source itself.
  caf::anon_send(stream.block_source(), second);
  for (const auto& event : first_events)
    REQUIRE(subscriber.receive() == event);
  for (const auto& event : second_events)
    REQUIRE(subscriber.receive() == event);

  auto counts = stream.counters();
  CHECK(counts.blocks_published == 2);
  CHECK(counts.blocks_refused == 0);
  CHECK(counts.subscribers == 1);
}

TEST_CASE_METHOD(host_node, "invalid and repeated typed blocks are refused and counted; the stream goes on") {
  evstream::event_stream stream{system, on_any_port()};
  ws_client subscriber{stream.port()};
  subscriber.ping_and_wait_for_pong();

  auto [good, good_events] = next_block(2);
  auto bad_id = good;
  bad_id.id = "not a digest";
  auto bad_asset = next_block(2).first;
  bad_asset.transactions[1].assetid.clear();
  auto too_big = next_block(1000).first;
  too_big.transactions.push_back(too_big.transactions.front());
  stream.publish(bad_id);
  stream.publish(bad_asset);
  stream.publish(too_big);
  stream.publish(good);
  stream.publish(good);

  for (const auto& event : good_events)
    REQUIRE(subscriber.receive() == event);
  REQUIRE(eventually([&] { return stream.counters().blocks_refused == 4; }));
  CHECK(stream.counters().blocks_published == 1);
  // Nothing else was sent: the next message is the answer to this ping.
  subscriber.ping_and_wait_for_pong();
}

TEST_CASE_METHOD(host_node, "counters after stop are an error, not zeros") {
  evstream::event_stream stream{system, on_any_port()};
  stream.publish(next_block(1).first);
  REQUIRE(eventually([&] { return stream.counters().blocks_published == 1; }));
  stream.stop();
  CHECK_THROWS_WITH(stream.counters(), Catch::Contains("did not answer for counters"));
}

TEST_CASE("check_block applies the ingest rules to typed blocks") {
  evstream::demo_chain chain{7};
  auto block = evstream::schema::parse_block(chain.next_block_json(3)).value();
  CHECK(evstream::schema::check_block(block).has_value());

  auto repeated = block;
  repeated.transactions[2].txid = repeated.transactions[0].txid;
  auto checked = evstream::schema::check_block(repeated);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().path == "$.transactions[2].txid");

  auto bad_asset = block;
  bad_asset.transactions[1].assetid = "xyz";
  REQUIRE_FALSE(evstream::schema::check_block(bad_asset).has_value());
  CHECK(evstream::schema::check_block(bad_asset).error().path == "$.transactions[1].assetid");
}

TEST_CASE_METHOD(host_node, "stop closes subscribers with 1001 and frees the port") {
  auto stream = std::make_unique<evstream::event_stream>(system, on_any_port());
  auto port = stream->port();
  ws_client subscriber{port};
  subscriber.ping_and_wait_for_pong();
  stream->stop();
  CHECK(subscriber.wait_for_close() == 1001);
  stream.reset();
  // The port is free again: a new stream can take it.
  auto options = on_any_port();
  options.port = port;
  CHECK_NOTHROW(evstream::event_stream{system, options});
}

TEST_CASE("a host node publishes its feed and a standalone relay streams its blocks") {
  caf::actor_system_config host_config;
  evstream::enable_relays(host_config);
  caf::actor_system host_system{host_config};
  auto options = host_node::on_any_port();
  options.publish_port = 0;
  evstream::event_stream stream{host_system, options};
  REQUIRE(stream.published_port());

  // The relay: the standalone service in an actor system of its own, as
  // another process would run it.
  caf::actor_system_config relay_config;
  evstream::enable_relays(relay_config);
  caf::actor_system relay_system{relay_config};
  evstream::service_options relay_options;
  relay_options.port = 0;
  relay_options.source = evstream::block_source_kind::upstream;
  relay_options.upstream = {"127.0.0.1", *stream.published_port()};
  evstream::service relay{relay_system, relay_options};
  REQUIRE(eventually(
      [&] { return http_request(relay.port(), http::verb::get, "/readyz").result() == http::status::ok; }));

  ws_client subscriber{relay.port()};
  subscriber.ping_and_wait_for_pong();
  evstream::demo_chain chain{5};
  auto json = chain.next_block_json(4);
  stream.publish(evstream::schema::parse_block(json).value());
  for (const auto& event : events_of(json))
    REQUIRE(subscriber.receive() == event);
  relay.stop();
  stream.stop();
}
