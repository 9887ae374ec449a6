#include "schema/stream_events.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace json = boost::json;
using evstream::schema::block;
using evstream::schema::encode_block_event;
using evstream::schema::encode_valid_transactions_events;
using evstream::schema::encode_valid_tx_events;
using evstream::schema::encoded_events;

namespace {

const std::string block_id(64, 'b');

block three_transactions() {
  return {block_id,
          "1493291935",
          {{std::string(64, '1'), std::string(64, '1'), "CREATE", {}},
           {std::string(64, '2'), std::string(64, 'a'), "TRANSFER", {}},
           {std::string(64, '3'), std::string(64, '3'), "CREATE", {}}}};
}

} // namespace

SCENARIO("a block becomes one valid_tx event per transaction") {
  GIVEN("a block of three transactions") {
    const block b = three_transactions();
    WHEN("its events are encoded") {
      const encoded_events events = encode_valid_tx_events(b);
      THEN("there is one event per transaction") { REQUIRE(events.size() == 3); }
      THEN("the first event is exactly the compact spec message") {
        CHECK(events[0]
              == R"({"txid":")" + std::string(64, '1') + R"(","assetid":")" + std::string(64, '1')
                     + R"(","blockid":")" + block_id + R"("})");
      }
      THEN("events follow block order and carry each transaction's asset") {
        for (std::size_t i = 0; i < b.transactions.size(); ++i) {
          const json::value event = json::parse(events[i]);
          CHECK(event.at("txid").as_string() == b.transactions[i].txid);
          CHECK(event.at("assetid").as_string() == b.transactions[i].assetid);
          CHECK(event.at("blockid").as_string() == block_id);
        }
      }
      THEN("keys come in the order txid, assetid, blockid") {
        const json::object event = json::parse(events[1]).as_object();
        std::vector<std::string> keys;
        for (const json::key_value_pair& field : event)
          keys.emplace_back(field.key());
        CHECK(keys == std::vector<std::string>{"txid", "assetid", "blockid"});
      }
      THEN("the frames are the events as RFC 6455 text frames, back to back") {
        // Each event is 229 bytes: FIN + text opcode, then the 16-bit length form.
        std::string expected;
        for (std::size_t i = 0; i < events.size(); ++i) {
          REQUIRE(events[i].size() == 229);
          expected += std::string{"\x81\x7e\x00\xe5", 4};
          expected += std::string{events[i]};
        }
        CHECK(events.frames() == expected);
        CHECK(events.wire_bytes() == 3 * 233);
      }
    }
  }
  GIVEN("a block without transactions") {
    const block b{block_id, "1", {}};
    THEN("it has no events") {
      const encoded_events events = encode_valid_tx_events(b);
      CHECK(events.size() == 0);
      CHECK(events.wire_bytes() == 0);
    }
  }
}

SCENARIO("encoded_events indexes texts appended back to back") {
  GIVEN("three texts appended, one of them empty") {
    encoded_events events;
    events.append("{\"a\":1}");
    events.append("");
    events.append("[2]");
    THEN("each index returns its own text") {
      REQUIRE(events.size() == 3);
      CHECK(events[0] == "{\"a\":1}");
      CHECK(events[1].empty());
      CHECK(events[2] == "[2]");
    }
    THEN("short texts get the 2-byte frame header") {
      CHECK(events.frames() == std::string{"\x81\x07{\"a\":1}\x81\x00\x81\x03[2]", 16});
    }
  }
  GIVEN("a text of 70 000 bytes") {
    encoded_events events;
    events.append(std::string(70000, 'x'));
    THEN("its frame uses the 64-bit length form") {
      CHECK(events.frames().substr(0, 10) == std::string{"\x81\x7f\0\0\0\0\0\x01\x11\x70", 10});
      CHECK(events[0].size() == 70000);
    }
  }
}

SCENARIO("the BigchainDB 1.x dialect carries the same ids under its own keys") {
  const block b = three_transactions();
  const encoded_events spec = encode_valid_tx_events(b);
  const encoded_events dialect = encode_valid_transactions_events(b);
  REQUIRE(dialect.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const json::object event = json::parse(dialect[i]).as_object();
    std::vector<std::string> keys;
    for (const json::key_value_pair& field : event)
      keys.emplace_back(field.key());
    CHECK(keys == std::vector<std::string>{"transaction_id", "asset_id", "block_id"});
    const json::object same = json::parse(spec[i]).as_object();
    CHECK(event.at("transaction_id") == same.at("txid"));
    CHECK(event.at("asset_id") == same.at("assetid"));
    CHECK(event.at("block_id") == same.at("blockid"));
  }
}

SCENARIO("the blocks stream has one summary message per block") {
  const encoded_events summary = encode_block_event(three_transactions(), 42);
  REQUIRE(summary.size() == 1);
  CHECK(summary[0]
        == R"({"blockid":")" + block_id + R"(","height":42,"timestamp":"1493291935","transactions":3})");
}

SCENARIO("each message's frame is its header and text, and the frames are back to back") {
  const encoded_events events = encode_valid_tx_events(three_transactions());
  std::string joined;
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events.frame(i).substr(events.frame(i).size() - events[i].size()) == events[i]);
    joined += std::string{events.frame(i)};
  }
  CHECK(joined == events.frames());
}
