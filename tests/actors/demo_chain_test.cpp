#include "actors/demo_chain.hpp"

#include "schema/block.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <set>

namespace json = boost::json;
using evstream::demo_chain;
using evstream::sha3_256_hex;

namespace {

std::string text_of(const json::value& v) { return json::value_to<std::string>(v); }

} // namespace

TEST_CASE("sha3_256_hex matches the SHA3-256 test vector for the empty string") {
  CHECK(sha3_256_hex("") == "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

SCENARIO("the demo chain is deterministic") {
  GIVEN("two chains with the same seed") {
    demo_chain first(42);
    demo_chain second(42);
    THEN("they produce the same bytes, block after block") {
      CHECK(first.next_block_json(20) == second.next_block_json(20));
      CHECK(first.next_block_json(20) == second.next_block_json(20));
    }
  }
  GIVEN("two chains with different seeds") {
    demo_chain first(1);
    demo_chain second(2);
    THEN("their blocks differ") { CHECK(first.next_block_json(5) != second.next_block_json(5)); }
  }
}

SCENARIO("demo blocks look like BigchainDB blocks") {
  GIVEN("five blocks of 100 transactions from one chain") {
    demo_chain chain(2017);
    std::vector<std::string> blocks;
    for (int i = 0; i < 5; ++i)
      blocks.push_back(chain.next_block_json(100));

    THEN("every block passes the stream's parser") {
      for (const std::string& text : blocks) {
        const auto result = evstream::schema::parse_block(text);
        REQUIRE(result.has_value());
        CHECK(result->transactions.size() == 100);
      }
    }
    THEN("a transaction id is the SHA3-256 of the transaction without its id") {
      json::object tx = json::parse(blocks[0]).at("block").at("transactions").as_array().at(0).as_object();
      const std::string id = text_of(tx.at("id"));
      tx.stable_erase("id");
      CHECK(sha3_256_hex(json::serialize(tx)) == id);
    }
    THEN("the block id is the SHA3-256 of the block body") {
      const json::value doc = json::parse(blocks[1]);
      CHECK(sha3_256_hex(json::serialize(doc.at("block"))) == text_of(doc.at("id")));
    }
    THEN("about a third are TRANSFERs, each spending a CREATE from an earlier block") {
      std::set<std::string> earlier_creates;
      std::size_t transfers = 0;
      std::size_t total = 0;
      for (const std::string& text : blocks) {
        std::set<std::string> creates;
        const json::value doc = json::parse(text);
        for (const json::value& tx : doc.at("block").at("transactions").as_array()) {
          ++total;
          if (tx.at("operation").as_string() == "CREATE") {
            creates.insert(text_of(tx.at("id")));
            continue;
          }
          ++transfers;
          const std::string assetid = text_of(tx.at("asset").at("id"));
          CHECK(earlier_creates.count(assetid) == 1);
          CHECK(text_of(tx.at("inputs").as_array().at(0).at("fulfills").at("transaction_id")) == assetid);
          earlier_creates.erase(assetid); // spent once only
        }
        earlier_creates.insert(creates.begin(), creates.end());
      }
      CHECK(transfers > total / 5);
      CHECK(transfers < total / 2);
    }
    THEN("a transaction takes between 700 and 1500 bytes of JSON on average") {
      std::size_t bytes = 0;
      for (const std::string& text : blocks)
        bytes += text.size();
      const std::size_t per_transaction = bytes / (blocks.size() * 100);
      CHECK(per_transaction >= 700);
      CHECK(per_transaction <= 1500);
    }
  }
  GIVEN("a request for more transactions than a block may hold") {
    demo_chain chain(3);
    THEN("the block is clamped to 1000") {
      const auto result = evstream::schema::parse_block(chain.next_block_json(1500));
      REQUIRE(result.has_value());
      CHECK(result->transactions.size() == 1000);
    }
  }
}
