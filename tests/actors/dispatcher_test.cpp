#include "actor_fixture.hpp"
#include "actors/block_source.hpp"
#include "actors/demo_chain.hpp"
#include "actors/dispatcher.hpp"
#include "actors/session.hpp"
#include "expected_events.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

using namespace std::chrono_literals;
using namespace evstream;
using evstream::testing::actor_fixture;
using evstream::testing::keepalive_of;
using evstream::testing::recording_transport;

namespace {

struct pipeline_fixture : actor_fixture {
  caf::actor hub = sys.spawn(dispatcher, retention_limits{}, dispatcher_history{}, metrics);
  caf::actor source = sys.spawn(block_source, hub, block_source_settings{4, nullptr, 0, {}}, metrics);

  std::shared_ptr<recording_transport> subscribe_client(caf::timespan keepalive = 180s) {
    auto client = std::make_shared<recording_transport>();
    auto s = sys.spawn(session, hub, client, keepalive_of(keepalive));
    self->monitor(s);
    sched.run();
    return client;
  }

  std::size_t subscribers() {
    self->send(hub, caf::get_atom::value, subscribers_atom::value);
    sched.run();
    return reply<std::size_t>().value_or(9999);
  }

  ingest_result ingest(const std::string& json) {
    self->send(source, ingest_atom::value, json);
    sched.run();
    auto result = reply<ingest_result>();
    REQUIRE(result);
    return *result;
  }
};

std::vector<std::string> expected_events(const std::vector<std::string>& blocks) {
  std::vector<std::string> events;
  for (auto& json : blocks)
    for (auto& event : evstream::testing::events_of(json))
      events.push_back(event);
  return events;
}

} // namespace

TEST_CASE_METHOD(pipeline_fixture, "blocks from interleaved senders reach every session in one order") {
  auto first = subscribe_client();
  auto second = subscribe_client();
  demo_chain chain_a{1}, chain_b{2};
  std::vector<std::string> sent;
  auto other_sender =
      sys.spawn([](caf::event_based_actor*) -> caf::behavior { return {[](const ingest_result&) {}}; });
  for (int round = 0; round < 3; ++round) {
    sent.push_back(chain_a.next_block_json(5));
    self->send(source, ingest_atom::value, sent.back());
    sent.push_back(chain_b.next_block_json(3));
    caf::send_as(other_sender, source, ingest_atom::value, sent.back());
  }
  sched.run();

  CHECK(first->messages == expected_events(sent));
  CHECK(second->messages == first->messages);
  CHECK(first->block_sequences == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6});
  caf::anon_send_exit(other_sender, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(pipeline_fixture, "the dispatcher forgets a session that ended") {
  subscribe_client(10s);
  subscribe_client(20s);
  CHECK(subscribers() == 2);

  advance(10s);
  CHECK(subscribers() == 1);
  advance(10s);
  CHECK(subscribers() == 0);
}

TEST_CASE_METHOD(pipeline_fixture, "a late subscriber gets no earlier blocks") {
  demo_chain chain{3};
  ingest(chain.next_block_json(2));
  auto late = subscribe_client();
  auto second_block = chain.next_block_json(2);
  ingest(second_block);
  CHECK(late->messages == expected_events({second_block}));
}

TEST_CASE_METHOD(pipeline_fixture, "the dispatcher drops a block whose sequence goes backwards") {
  auto client = subscribe_client();
  auto block_saying = [](std::string text) {
    auto block = std::make_shared<encoded_block>();
    block->sequence = 7;
    schema::encoded_events events;
    events.append(text);
    block->set_events(stream_kind::valid_tx, std::move(events));
    return encoded_block_ptr{block};
  };
  caf::anon_send(hub, block_saying("seven"));
  caf::anon_send(hub, block_saying("stale"));
  sched.run();
  CHECK(client->messages == std::vector<std::string>{"seven"});
}

TEST_CASE_METHOD(pipeline_fixture, "the block source accepts, refuses duplicates and reports bad blocks") {
  auto client = subscribe_client();
  demo_chain chain{4};
  auto json = chain.next_block_json(3);

  auto accepted = ingest(json);
  CHECK(accepted.result == ingest_result::outcome::accepted);
  CHECK(accepted.transactions == 3);
  CHECK(accepted.blockid.size() == 64);

  auto again = ingest(json);
  CHECK(again.result == ingest_result::outcome::duplicate);
  CHECK(again.blockid == accepted.blockid);
  CHECK(client->messages.size() == 3); // nothing re-emitted

  auto bad = ingest(R"({"id": 5})");
  CHECK(bad.result == ingest_result::outcome::invalid);
  CHECK(bad.error.path == "$.id");
}

TEST_CASE_METHOD(pipeline_fixture, "the block source remembers only the most recent block ids") {
  demo_chain chain{5};
  auto oldest = chain.next_block_json(1);
  ingest(oldest);
  for (int i = 0; i < 4; ++i) // capacity is 4 in this fixture
    ingest(chain.next_block_json(1));
  CHECK(ingest(oldest).result == ingest_result::outcome::accepted);
}

TEST_CASE_METHOD(pipeline_fixture, "the dispatcher counts subscribers by stream and times each dispatch") {
  subscribe_client(10s);
  auto summaries = std::make_shared<recording_transport>();
  session_settings blocks_stream;
  blocks_stream.wanted.stream = stream_kind::blocks;
  self->monitor(sys.spawn(session, hub, summaries, blocks_stream));
  sched.run();
  CHECK(metrics->subscribers(name_of(stream_kind::valid_tx)).value() == 1);
  CHECK(metrics->subscribers(name_of(stream_kind::blocks)).value() == 1);

  demo_chain chain{6};
  ingest(chain.next_block_json(2));
  CHECK(metrics->dispatch_latency.observations() == 1);

  advance(10s); // the valid_tx session times out
  CHECK(metrics->subscribers(name_of(stream_kind::valid_tx)).value() == 0);
  CHECK(metrics->subscribers(name_of(stream_kind::blocks)).value() == 1);
}

TEST_CASE_METHOD(pipeline_fixture,
                 "the dispatcher shows the newest block's height and timestamp and what it retains") {
  demo_chain chain{8};
  ingest(chain.next_block_json(2));
  auto second = boost::json::parse(chain.next_block_json(3)).as_object();
  second["block"].as_object()["timestamp"] = "1700000123";
  ingest(boost::json::serialize(second));
  CHECK(metrics->last_block_height.value() == 2);
  CHECK(metrics->last_block_timestamp.value() == 1700000123);
  CHECK(metrics->retained_blocks.value() == 2);
  CHECK(metrics->retained_bytes.value() > 0);
}

TEST_CASE_METHOD(pipeline_fixture, "the block source counts blocks ingested and refusals by why") {
  demo_chain chain{7};
  auto json = chain.next_block_json(1);
  ingest(json);
  ingest(json);
  ingest(R"({"id": 5})");
  CHECK(metrics->blocks_ingested.value() == 1);
  CHECK(metrics->ingest_errors(ops::ingest_refusal::duplicate).value() == 1);
  CHECK(metrics->ingest_errors(ops::ingest_refusal::invalid).value() == 1);
  CHECK(metrics->ingest_errors(ops::ingest_refusal::unavailable).value() == 0);
}

TEST_CASE_METHOD(pipeline_fixture,
                 "a followed chain's blocks keep their own heights, and a height comes once") {
  auto client = subscribe_client();
  demo_chain chain{4};
  auto follow = [&](std::uint64_t height) {
    self->send(source, followed_block{schema::parse_block(chain.next_block_json(1)).value(), height});
    sched.run();
    auto result = reply<ingest_result>();
    REQUIRE(result);
    return result->result;
  };
  // Following from height 40 of a chain: the first block is 40, not 1.
  CHECK(follow(40) == ingest_result::outcome::accepted);
  CHECK(follow(41) == ingest_result::outcome::accepted);
  CHECK(follow(41) == ingest_result::outcome::duplicate);
  CHECK(follow(12) == ingest_result::outcome::duplicate);
  CHECK(client->block_sequences == std::vector<std::uint64_t>{40, 41});
}

TEST_CASE_METHOD(pipeline_fixture, "the dispatcher tells which streams have subscribers as they change") {
  self->send(hub, wanted_atom::value);
  sched.run();
  auto told = [&] { return reply<wanted_streams>(); };
  REQUIRE(told());
  subscribe_client(10s);
  auto now = told();
  REQUIRE(now);
  CHECK(now->streams == bit_of(stream_kind::valid_tx));
  subscribe_client(20s); // the same stream: nothing changes, nothing is told
  CHECK_FALSE(told());
  session_settings blocks_stream;
  blocks_stream.keepalive_timeout = 30s;
  blocks_stream.wanted.stream = stream_kind::blocks;
  sys.spawn(session, hub, std::make_shared<recording_transport>(), blocks_stream);
  sched.run();
  now = told();
  REQUIRE(now);
  CHECK(now->streams == (bit_of(stream_kind::valid_tx) | bit_of(stream_kind::blocks)));

  advance(10s);
  CHECK_FALSE(told()); // one valid_tx subscriber is left
  advance(10s);
  now = told();
  REQUIRE(now);
  CHECK(now->streams == bit_of(stream_kind::blocks));
  advance(10s);
  now = told();
  REQUIRE(now);
  CHECK(now->streams == 0);
}

TEST_CASE("the block source encodes at once only the streams that have subscribers") {
  actor_fixture f;
  // `self` stands in for the dispatcher: it sees what the block source sends.
  auto source = f.sys.spawn(block_source, caf::actor{f.self}, block_source_settings{}, f.metrics);
  f.sched.run();
  CHECK(f.reply<wanted_atom>()); // the block source asks to be told
  demo_chain chain{9};
  auto ingest = [&] {
    f.self->send(source, ingest_atom::value, chain.next_block_json(3));
    f.sched.run();
    REQUIRE(f.reply<ingest_result>());
    auto block = f.reply<encoded_block_ptr>();
    REQUIRE(block);
    return *block;
  };
  // Until the dispatcher has told, every stream is encoded.
  auto first = ingest();
  for (auto stream : {stream_kind::valid_tx, stream_kind::valid_transactions, stream_kind::blocks})
    CHECK(first->encode(stream) == 0);

  f.self->send(source, wanted_streams{bit_of(stream_kind::valid_tx)});
  f.sched.run();
  auto second = ingest();
  auto bytes = second->retained_bytes();
  CHECK(second->encode(stream_kind::valid_tx) == 0);
  // The others are encoded on first use, and what they hold is counted then.
  auto summary_bytes = second->encode(stream_kind::blocks);
  CHECK(summary_bytes > 0);
  CHECK(second->encode(stream_kind::blocks) == 0);
  CHECK(second->retained_bytes() == bytes + summary_bytes);
  CHECK(second->events(stream_kind::blocks).size() == 1);
}
