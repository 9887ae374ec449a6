// The origin side of relay links in virtual time: relay_feed and its
// follower_links with a real dispatcher, and a recording actor standing in
// for the relay (the network between them is tested end to end in
// tests/e2e/relay_test.py). Also the dispatcher's side of an upstream gap.
#include "actor_fixture.hpp"
#include "actors/block_source.hpp"
#include "actors/dispatcher.hpp"
#include "actors/relay_feed.hpp"

#include <catch2/catch.hpp>

using namespace evstream;
using evstream::testing::actor_fixture;
using evstream::testing::hex_id;
using evstream::testing::recording_transport;

namespace {

schema::block block_at(std::uint64_t height) {
  auto txid = hex_id('t', height);
  return {hex_id('b', height), std::to_string(1700000000 + height), {{txid, txid, "CREATE", {}}}};
}

// What the stand-in relay received, in order: "following", block ids, "window
// sent", "gap after X from Y" and refusals.
struct follower_log {
  std::vector<std::string> received;
  bool acknowledges = true;
  caf::actor link;
};

caf::behavior recording_follower(caf::event_based_actor* self, std::shared_ptr<follower_log> log) {
  return {
      [=](following_atom, std::uint32_t) {
        log->received.push_back("following");
        log->link = caf::actor_cast<caf::actor>(self->current_sender());
      },
      [=](const block& b) {
        log->received.push_back(b.id);
        if (log->acknowledges) self->send(log->link, relay_ack_atom::value);
      },
      [=](window_sent_atom) { log->received.push_back("window sent"); },
      [=](const upstream_gap& gap) {
        log->received.push_back("gap after " + gap.after_blockid + " from " + gap.oldest_available);
      },
      [=](const follow_refused& refused) { log->received.push_back("refused: " + refused.reason); },
  };
}

struct relay_fixture : actor_fixture {
  caf::actor hub;
  caf::actor feed;
  std::uint64_t height = 0;

  std::vector<caf::actor> followers;

  explicit relay_fixture(retention_limits limits = {}, follower_link_settings links = {}) {
    hub = sys.spawn(dispatcher, limits, dispatcher_history{}, metrics);
    feed = sys.spawn(relay_feed, hub, links);
  }

  // The dispatcher and its links hold each other, as do a follower and its
  // link: they end here (their links follow the dispatcher), or they leak.
  ~relay_fixture() {
    for (auto& actor : followers)
      caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(feed, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(hub, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void publish(std::size_t blocks = 1) {
    for (std::size_t i = 0; i < blocks; ++i) {
      ++height;
      caf::anon_send(hub, encode_block(block_at(height), height));
    }
    sched.run();
  }

  std::shared_ptr<follower_log> follow(std::string after_blockid, bool acknowledges = true,
                                       std::uint32_t protocol = relay_protocol_version) {
    auto log = std::make_shared<follower_log>();
    log->acknowledges = acknowledges;
    auto follower = sys.spawn(recording_follower, log);
    followers.push_back(follower);
    caf::anon_send(feed, follow_request{protocol, follower, std::move(after_blockid)});
    sched.run();
    return log;
  }

  std::size_t subscribers() {
    self->send(hub, caf::get_atom::value, subscribers_atom::value);
    sched.run();
    return reply<std::size_t>().value_or(0);
  }
};

std::vector<std::string> ids(std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> result;
  for (auto h = first; h <= last; ++h)
    result.push_back(hex_id('b', h));
  return result;
}

std::vector<std::string> following_then(std::vector<std::string> rest) {
  rest.insert(rest.begin(), "following");
  return rest;
}

std::vector<std::string> operator+(std::vector<std::string> first, const std::vector<std::string>& then) {
  first.insert(first.end(), then.begin(), then.end());
  return first;
}

const std::vector<std::string> window_sent{"window sent"};

} // namespace

TEST_CASE("a relay with nothing yet gets every retained block, then live ones, in order") {
  relay_fixture f{retention_limits{3, 1u << 20, 100}};
  f.publish(5); // the window keeps 3..5
  auto log = f.follow("");
  f.publish(2);
  CHECK(log->received == following_then(ids(3, 5) + window_sent + ids(6, 7)));
}

TEST_CASE("a relay resuming after a retained block gets exactly the blocks after it") {
  relay_fixture f;
  f.publish(6);
  auto log = f.follow(hex_id('b', 4));
  f.publish(1);
  CHECK(log->received == following_then(ids(5, 6) + window_sent + ids(7, 7)));
}

TEST_CASE("a relay that acknowledges nothing has at most in_flight blocks sent to it") {
  follower_link_settings links;
  links.in_flight = 3;
  relay_fixture f{{}, links};
  auto log = f.follow("", false);
  f.publish(5);
  CHECK(log->received == following_then(window_sent + ids(1, 3)));
  // One acknowledgement lets one more block go.
  caf::anon_send(log->link, relay_ack_atom::value);
  f.sched.run();
  CHECK(log->received == following_then(window_sent + ids(1, 4)));
}

TEST_CASE("a relay too far behind is dropped, and the dispatcher forgets its link") {
  follower_link_settings links;
  links.in_flight = 1;
  links.max_pending_blocks = 4;
  relay_fixture f{{}, links};
  auto log = f.follow("", false);
  REQUIRE(f.subscribers() == 1);
  f.publish(5); // 1 sent, 4 pending: still within the bound
  CHECK(f.subscribers() == 1);
  f.publish(1);
  CHECK(f.subscribers() == 0);
  CHECK(log->received == following_then(window_sent + ids(1, 1)));
}

TEST_CASE("a relay whose cursor left the window is told of the gap before the blocks after it") {
  relay_fixture f{retention_limits{2, 1u << 20, 100}};
  f.publish(5); // retains 4 and 5; 1 is remembered but gone
  auto log = f.follow(hex_id('b', 1));
  CHECK(log->received
        == following_then({"gap after " + hex_id('b', 1) + " from " + hex_id('b', 4), hex_id('b', 4),
                           hex_id('b', 5), "window sent"}));
}

TEST_CASE("a relay whose cursor was never seen here is told of the gap too") {
  relay_fixture f;
  f.publish(2);
  auto log = f.follow(hex_id('x', 1));
  CHECK(log->received
        == following_then({"gap after " + hex_id('x', 1) + " from " + hex_id('b', 1), hex_id('b', 1),
                           hex_id('b', 2), "window sent"}));
}

TEST_CASE("a follow request in another protocol version is refused with the reason") {
  relay_fixture f;
  auto log = f.follow("", true, relay_protocol_version + 1);
  REQUIRE(log->received.size() == 1);
  CHECK(log->received[0].find("refused: relay protocol " + std::to_string(relay_protocol_version + 1)
                              + " is not spoken here")
        == 0);
  CHECK(f.subscribers() == 0);
}

TEST_CASE("an upstream gap closes subscribers with 1011, expires older cursors and reaches followers") {
  relay_fixture f;
  f.publish(3);
  auto client = std::make_shared<recording_transport>();
  client->session = f.sys.spawn(session, f.hub, client, session_settings{});
  auto log = f.follow(hex_id('b', 3));
  f.sched.run();
  caf::anon_send(f.hub, upstream_gap{hex_id('b', 3), hex_id('b', 9)});
  f.sched.run();
  CHECK(client->closed_with == close_code::internal_error);
  CHECK(log->received
        == following_then({"window sent", "gap after " + hex_id('b', 3) + " from " + hex_id('b', 9)}));

  f.publish(1); // the first block after the gap (height 4 here)
  auto cursor = [&](const std::string& blockid) {
    f.self->send(f.hub, cursor_atom::value, blockid);
    f.sched.run();
    return f.reply<cursor_status>().value();
  };
  CHECK(cursor(hex_id('b', 3)).where == cursor_status::standing::expired);
  CHECK(cursor(hex_id('b', 3)).oldest_available == hex_id('b', 4));
  CHECK(cursor(hex_id('b', 4)).where == cursor_status::standing::available);
}

// The relay side of the race a restarted relay without a journal runs: it
// listens before its upstream's window has arrived, so a cursor it does not
// know yet may be on its way. It says "pending" (HTTP 503, retry) until the
// window-sent marker, which follows the window's blocks through the block
// source, and "unknown" (404) only after it.
TEST_CASE("a relay answers a cursor it lacks as pending until its upstream's window has arrived") {
  actor_fixture f;
  dispatcher_history starting_relay;
  starting_relay.window_from_upstream = true;
  auto hub = f.sys.spawn(dispatcher, retention_limits{}, std::move(starting_relay), f.metrics);
  auto source = f.sys.spawn(block_source, hub, block_source_settings{}, f.metrics);
  auto cursor = [&](const std::string& blockid) {
    f.self->send(hub, cursor_atom::value, blockid);
    f.sched.run();
    return f.reply<cursor_status>().value().where;
  };
  // As the relay's upstream_link hands them on: ids the block source takes.
  auto taken_block = [](std::uint64_t height) {
    auto txid = hex_id('c', height);
    return block{hex_id('b', height), "1700000000", {{txid, txid, "CREATE", {}}}};
  };
  caf::anon_send(source, taken_block(1));
  f.sched.run();
  CHECK(cursor(hex_id('b', 1)) == cursor_status::standing::available);
  CHECK(cursor(hex_id('b', 2)) == cursor_status::standing::pending); // on its way
  CHECK(cursor(hex_id('x', 1)) == cursor_status::standing::pending); // cannot tell yet

  caf::anon_send(source, taken_block(2));
  caf::anon_send(source, window_sent_atom::value);
  f.sched.run();
  CHECK(cursor(hex_id('b', 2)) == cursor_status::standing::available);
  CHECK(cursor(hex_id('x', 1)) == cursor_status::standing::unknown);
  caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(hub, caf::exit_reason::user_shutdown);
}

TEST_CASE(
    "a node still taking its own window refuses a follower whose cursor it lacks, rather than tell a gap") {
  actor_fixture f;
  dispatcher_history starting_relay;
  starting_relay.window_from_upstream = true;
  auto hub = f.sys.spawn(dispatcher, retention_limits{}, std::move(starting_relay), f.metrics);
  auto feed = f.sys.spawn(relay_feed, hub, follower_link_settings{});
  auto log = std::make_shared<follower_log>();
  auto follower = f.sys.spawn(recording_follower, log);
  caf::anon_send(feed, follow_request{relay_protocol_version, follower, hex_id('b', 7)});
  f.sched.run();
  CHECK(log->received
        == std::vector<std::string>{"following",
                                    "refused: this node is still taking its window from its own upstream"});
  for (auto& actor : {follower, feed, hub})
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}
