// The service on 127.0.0.1 and an ephemeral port, in its own actor system,
// plus what socket tests ask of it: post a block, count subscribers, and show
// that an ordinary client is still served.
#pragma once

#include "actors/demo_chain.hpp"
#include "actors/messages.hpp"
#include "app/service.hpp"
#include "client.hpp"
#include "expected_events.hpp"
#include "schema/stream_events.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace evstream::testing {

inline caf::actor_system_config& threaded(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 2);
  return cfg;
}

struct server_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{threaded(cfg)};
  std::unique_ptr<service> server;
  // Blocks this fixture posts; its own seed keeps them apart from a test's.
  demo_chain fresh_blocks{0x5eed};

  explicit server_fixture(service_options options = ingest_options()) {
    server = std::make_unique<service>(sys, options);
  }
  ~server_fixture() { server->stop(); }

  static service_options ingest_options() {
    service_options options;
    options.port = 0;
    options.source = block_source_kind::ingest;
    options.server.max_body_bytes = 4u << 20;
    return options;
  }

  std::uint16_t port() const { return server->port(); }

  http_response post_block(const std::string& json) {
    return http_request(port(), net::http::verb::post, "/api/v1/blocks", json);
  }

  // A block never posted before, `transactions` long.
  std::string next_block(std::size_t transactions = 2) { return fresh_blocks.next_block_json(transactions); }

  std::size_t subscribers() {
    caf::scoped_actor self{sys};
    std::size_t count = 0;
    self->request(server->dispatcher(), std::chrono::seconds(5), caf::get_atom::value,
                  subscribers_atom::value)
        .receive([&](std::size_t n) { count = n; }, [](caf::error&) {});
    return count;
  }

  // Polls the dispatcher until it counts `expected` subscribers or `within`
  // passes; true if it did.
  bool wait_for_subscribers(std::size_t expected, std::chrono::milliseconds within = default_deadline) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (subscribers() != expected)
      if (std::chrono::steady_clock::now() >= deadline) return false;
    return true;
  }
};

inline boost::json::value json_of(const http_response& res) { return boost::json::parse(res.body()); }

// A subscriber, retrying while the upgrade is declined: a subscriber slot
// that a test just gave back is free once its connection is gone, a moment
// after the client closed it. Throws if none is admitted in time.
inline std::unique_ptr<ws_client> subscribe_when_admitted(std::uint16_t port,
                                                          std::chrono::milliseconds within = 5s) {
  auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    try {
      return std::make_unique<ws_client>(port);
    } catch (const boost::system::system_error& error) {
      if (error.code() != net::websocket::error::upgrade_declined
          || std::chrono::steady_clock::now() >= deadline)
        throw;
    }
  }
}

// The check after every hostile case: a well-behaved subscriber connects,
// pings and gets pong, a block is posted, and the subscriber receives each of
// its events in order.
inline void expect_normal_client_served(server_fixture& fixture) {
  INFO("a normal client is still served");
  auto subscriber_ptr = subscribe_when_admitted(fixture.port());
  auto& subscriber = *subscriber_ptr;
  subscriber.ping_and_wait_for_pong();
  auto block = fixture.next_block(2);
  auto res = fixture.post_block(block);
  REQUIRE(res.result() == net::http::status::accepted);
  for (const auto& event : events_of(block))
    REQUIRE(subscriber.receive() == event);
}

} // namespace evstream::testing
