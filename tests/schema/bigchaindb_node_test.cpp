#include "schema/bigchaindb_node.hpp"
#include "schema/stream_events.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace evstream::schema;

namespace {

const std::string upper_hash(64, 'A');
const std::string lower_hash(64, 'a');
const std::string tx_id(64, '1');
const std::string election_id(64, 'e');

std::string tendermint_0_31(std::uint64_t height) {
  return R"({"jsonrpc":"2.0","id":"","result":{"block_meta":{"block_id":{"hash":")" + upper_hash
         + R"("}},"block":{"header":{"height":")" + std::to_string(height)
         + R"(","time":"2019-04-25T10:20:30.123456789Z"}}}})";
}

std::string tendermint_0_33(std::uint64_t height) {
  return R"({"jsonrpc":"2.0","id":"","result":{"block_id":{"hash":")" + upper_hash
         + R"("},"block":{"header":{"height":")" + std::to_string(height)
         + R"(","time":"2019-04-25T10:20:30Z"}}}})";
}

// A VOTE: its asset names the election it votes in.
std::string node_block(std::uint64_t height) {
  return R"({"height": )" + std::to_string(height) + R"(, "transactions": [{"id": ")" + tx_id
         + R"(", "operation": "VOTE", "asset": {"id": ")" + election_id
         + R"("}, "outputs": [{"public_keys": ["k"]}], "version": "2.0"}]})";
}

} // namespace

SCENARIO("Tendermint's block at a height gives the block id, in either answer's shape") {
  for (const auto& answer : {tendermint_0_31(7), tendermint_0_33(7)}) {
    GIVEN(answer) {
      auto found = tendermint_block_at(answer, 7);
      REQUIRE(found.has_value());
      THEN("the hash is lower-cased and the time is Unix seconds") {
        CHECK(found->hash == lower_hash);
        CHECK(found->timestamp == "1556187630");
      }
      THEN("an answer for another height is refused") {
        CHECK_FALSE(tendermint_block_at(answer, 8).has_value());
      }
    }
  }
  GIVEN("an answer without a hash, and one whose hash is not 64 hex digits") {
    CHECK_FALSE(tendermint_block_at(R"({"result":{}})", 1).has_value());
    CHECK_FALSE(tendermint_block_at(R"({"result":{"block_id":{"hash":"ABC"}}})", 1).has_value());
  }
  GIVEN("Tendermint's /status") {
    auto latest = tendermint_latest_height(R"({"result":{"sync_info":{"latest_block_height":"42"}}})");
    REQUIRE(latest.has_value());
    CHECK(*latest == 42);
    CHECK_FALSE(tendermint_latest_height(R"({"result":{}})").has_value());
  }
}

SCENARIO("the node's block at a height is read by ingest's rules, with Tendermint's id") {
  const tendermint_block tendermint{lower_hash, "1556187630"};
  GIVEN("a block holding a VOTE") {
    auto b = bigchaindb_block_at(node_block(5), 5, tendermint);
    REQUIRE(b.has_value());
    THEN("its id is Tendermint's and the VOTE's asset is its election") {
      CHECK(b->id == lower_hash);
      REQUIRE(b->transactions.size() == 1);
      CHECK(b->transactions[0].assetid == election_id);
      CHECK(b->transactions[0].operation == "VOTE");
    }
    THEN("the 2.x message is eventify_block's, as json.dumps writes it") {
      auto events = encode_bigchaindb_2_events(*b, 5);
      REQUIRE(events.size() == 1);
      CHECK(events[0]
            == R"({"height": 5, "asset_id": ")" + election_id + R"(", "transaction_id": ")" + tx_id
                   + R"("})");
    }
  }
  GIVEN("a height without transactions") {
    auto b = bigchaindb_block_at(R"({"height": 6, "transactions": []})", 6, tendermint);
    THEN("it is a block of none") {
      REQUIRE(b.has_value());
      CHECK(b->transactions.empty());
    }
  }
  GIVEN("an answer for another height, and a transaction without an id") {
    CHECK(bigchaindb_block_at(node_block(5), 6, tendermint).error().path == "$.height");
    auto refused =
        bigchaindb_block_at(R"({"height": 1, "transactions": [{"operation": "CREATE"}]})", 1, tendermint);
    THEN("the refusal's path names the node's answer") {
      REQUIRE_FALSE(refused.has_value());
      CHECK(refused.error().path == "$.transactions[0].id");
    }
  }
}
