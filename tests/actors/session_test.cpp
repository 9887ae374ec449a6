#include "actor_fixture.hpp"
#include "actors/client_limits.hpp"
#include "actors/dispatcher.hpp"
#include "actors/session.hpp"

#include <caf/default_attachable.hpp>
#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace evstream;
using evstream::testing::actor_fixture;
using evstream::testing::keepalive_of;
using evstream::testing::recording_transport;

namespace {

struct session_fixture : actor_fixture {
  caf::actor hub = sys.spawn(dispatcher, retention_limits{}, dispatcher_history{}, metrics);
  std::shared_ptr<recording_transport> client = std::make_shared<recording_transport>();

  caf::actor start_session(caf::timespan keepalive = 180s) {
    auto s = sys.spawn(session, hub, client, keepalive_of(keepalive));
    self->monitor(s);
    sched.run();
    return s;
  }
};

encoded_block_ptr block_with(std::uint64_t sequence, std::vector<std::string> events) {
  auto block = std::make_shared<encoded_block>();
  block->sequence = sequence;
  block->block.id = "block-" + std::to_string(sequence);
  schema::encoded_events encoded;
  for (auto& event : events)
    encoded.append(event);
  block->set_events(stream_kind::valid_tx, std::move(encoded));
  return block;
}

} // namespace

TEST_CASE_METHOD(session_fixture, "a silent session is still open at 179.999 s and closed at 180 s") {
  start_session();
  advance(179999ms);
  CHECK_FALSE(client->closed_with);
  CHECK(ended().empty());

  advance(1ms);
  REQUIRE(client->closed_with == close_code::policy_violation);
  CHECK(client->close_reason == "no ping for 180 s");
  CHECK(client->closed_for == close_cause::keepalive);
  CHECK(ended().size() == 1);
}

TEST_CASE_METHOD(session_fixture, "a ping at 179 s moves the deadline to 359 s") {
  start_session();
  advance(179s);
  client->pinged_at = sched.clock().now(); // the transport saw a ping

  advance(1s); // the first timer fires at 180 s and is set again for what is left
  advance(178999ms);
  CHECK_FALSE(client->closed_with);
  CHECK(ended().empty());

  advance(1ms);
  CHECK(client->closed_with == close_code::policy_violation);
  CHECK(ended().size() == 1);
}

TEST_CASE_METHOD(session_fixture, "pings never reach the session: no message, no pong from it") {
  start_session(10s);
  client->pinged_at = sched.clock().now();
  CHECK_FALSE(sched.has_job());
  CHECK(client->messages.empty()); // the transport answers text pings itself...
  CHECK(client->subscribed_told);  // ...once the session has subscribed

  advance(9s);
  client->pinged_at = sched.clock().now();
  advance(9s);
  CHECK_FALSE(client->closed_with);
  advance(1s);
  CHECK(client->closed_for == close_cause::keepalive);
}

TEST_CASE_METHOD(session_fixture, "the keep-alive timeout is configurable and named in the reason") {
  start_session(1500ms);
  advance(1500ms);
  CHECK(client->close_reason == "no ping for 1.5 s");
}

TEST_CASE_METHOD(session_fixture,
                 "a client that keeps pinging keeps one keep-alive timer, not one per ping") {
  start_session(10s);
  for (int second = 1; second <= 30; ++second) {
    advance(1s);
    client->pinged_at = sched.clock().now();
  }
  CHECK(sched.clock().schedule().size() == 1);
  CHECK_FALSE(client->closed_with);
  advance(10s);
  CHECK(client->closed_for == close_cause::keepalive);
}

TEST_CASE_METHOD(session_fixture,
                 "an ended session leaves nothing that holds its memory: no timer, no monitor") {
  auto s = start_session(); // its keep-alive timer is minutes away
  caf::actor_addr watched = s.address();
  caf::anon_send(s, connection_closed{"client went away"});
  s = nullptr;
  sched.run();
  REQUIRE(ended().size() == 1);
  auto* memory = caf::actor_cast<caf::actor_control_block*>(watched);
  CHECK(memory->strong_refs == 0); // no pending timer keeps the actor
  CHECK(memory->weak_refs == 1);   // `watched` alone: the dispatcher keeps no monitor of it
}

TEST_CASE_METHOD(session_fixture, "a session forwards blocks from the dispatcher in order") {
  start_session();
  caf::anon_send(hub, block_with(1, {"a", "b"}));
  caf::anon_send(hub, block_with(2, {"c"}));
  sched.run();
  CHECK(client->messages == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE_METHOD(session_fixture, "a session ends when its connection closes") {
  auto s = start_session();
  caf::anon_send(s, connection_closed{"client went away"});
  sched.run();
  CHECK(ended().size() == 1);
  CHECK_FALSE(client->closed_with); // nothing left to close
}

TEST_CASE_METHOD(session_fixture, "at shutdown a session closes with 1001 and ends") {
  start_session();
  caf::anon_send(hub, going_away{});
  sched.run();
  CHECK(client->closed_with == close_code::going_away);
  CHECK(client->close_reason == "server shutting down");
  CHECK(client->closed_for == close_cause::shutdown);
  CHECK(ended().size() == 1);
}

TEST_CASE_METHOD(session_fixture, "a session subscribing after shutdown began is sent away at once") {
  caf::anon_send(hub, going_away{});
  sched.run();
  start_session();
  CHECK(client->closed_with == close_code::going_away);
}

TEST_CASE_METHOD(session_fixture, "a session ends with its dispatcher") {
  start_session();
  caf::anon_send_exit(hub, caf::exit_reason::user_shutdown);
  sched.run();
  CHECK(client->closed_with == close_code::going_away);
  CHECK(ended().size() == 1);
}

TEST_CASE_METHOD(session_fixture, "a session ends with a dispatcher that fails, with 1011") {
  start_session();
  caf::anon_send_exit(hub, caf::exit_reason::kill);
  sched.run();
  CHECK(client->closed_with == close_code::internal_error);
  CHECK(client->close_reason == "internal error: the dispatcher stopped");
  CHECK(ended().size() == 1);
}

TEST_CASE_METHOD(session_fixture, "sessions that end leave nothing attached to the dispatcher") {
  // CAF keeps a monitor as an entry in the observed actor until removed: a
  // session monitoring the dispatcher would leave one per connection ever
  // opened, or cost a search of them all when it ends.
  for (int i = 0; i < 50; ++i) {
    start_session(1s);
    advance(1s); // keep-alive: the session ends
  }
  auto gone = ended();
  CHECK(gone.size() == 50);
  auto* dispatcher = caf::actor_cast<caf::abstract_actor*>(hub);
  std::size_t attached = 0;
  // detach() answers how many entries it removed: a session's monitor, if any were left.
  for (const auto& session : gone)
    attached +=
        dispatcher->detach(caf::default_attachable::observe_token{session, caf::default_attachable::monitor});
  CHECK(attached == 0);
}

TEST_CASE_METHOD(session_fixture, "a session that fails closes its client with 1011") {
  auto s = start_session();
  caf::anon_send_exit(s, caf::exit_reason::kill);
  sched.run();
  CHECK(client->closed_with == close_code::internal_error);
  CHECK(client->close_reason == "internal error: the session failed");
  CHECK(client->closed_for == close_cause::internal_error);
  CHECK(ended().size() == 1);
}

TEST_CASE_METHOD(session_fixture, "a session stopped for shutdown closes its client with 1001") {
  auto s = start_session();
  caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  sched.run();
  CHECK(client->closed_with == close_code::going_away);
}

TEST_CASE_METHOD(session_fixture, "a session that ends normally closes its client only once") {
  start_session(1s);
  advance(1s);
  CHECK(client->closed_with == close_code::policy_violation); // not overwritten on exit
}

TEST_CASE("durations read as a person writes them") {
  CHECK(describe_duration(180s) == "180 s");
  CHECK(describe_duration(1500ms) == "1.5 s");
  CHECK(describe_duration(250ms) == "250 ms");
}
