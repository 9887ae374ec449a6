// parse_block reads without a DOM; parse_block_dom states the same rules on
// Boost.JSON's DOM. Where the DOM's answer is not the first thing a reader
// meets, the two must still agree, and this is what they agree on.
#include "schema/block.hpp"
#include "schema/block_dom.hpp"

#include <catch2/catch.hpp>

#include <string>

using evstream::schema::parse_block;
using evstream::schema::parse_block_dom;
using evstream::schema::parse_result;

namespace {

const std::string block_id(64, 'b');
const std::string first_id(64, 'c');
const std::string second_id(64, 'd');
const std::string asset_id(64, 'a');

// "{…}" with quoted ids filled in: B, C, D and A stand for the four ids.
std::string doc(std::string text) {
  for (auto [mark, id] :
       {std::pair{"@B", &block_id}, {"@C", &first_id}, {"@D", &second_id}, {"@A", &asset_id}})
    for (auto at = text.find(mark); at != std::string::npos; at = text.find(mark))
      text.replace(at, 2, '"' + *id + '"');
  return text;
}

// Both readings of the text; they must agree before either is looked at.
parse_result read_both(const std::string& text) {
  auto streamed = parse_block(text);
  auto dom = parse_block_dom(text);
  REQUIRE(streamed.has_value() == dom.has_value());
  if (!dom) {
    CHECK(streamed.error().message == dom.error().message);
    CHECK(streamed.error().path == dom.error().path);
    return streamed;
  }
  CHECK(streamed->id == dom->id);
  CHECK(streamed->timestamp == dom->timestamp);
  REQUIRE(streamed->transactions.size() == dom->transactions.size());
  for (std::size_t i = 0; i < dom->transactions.size(); ++i) {
    CHECK(streamed->transactions[i].txid == dom->transactions[i].txid);
    CHECK(streamed->transactions[i].assetid == dom->transactions[i].assetid);
    CHECK(streamed->transactions[i].operation == dom->transactions[i].operation);
    CHECK(streamed->transactions[i].public_keys == dom->transactions[i].public_keys);
  }
  return streamed;
}

std::string path_of_refusal(const std::string& text) {
  auto read = read_both(text);
  REQUIRE_FALSE(read.has_value());
  return read.error().path;
}

} // namespace

SCENARIO("of a key given twice, the last one counts, in either reading") {
  GIVEN("a bad block body, then a good one") {
    auto read =
        read_both(doc(R"({"id":@B,"block":{"timestamp":1},"block":{"timestamp":"7","transactions":[]}})"));
    THEN("the block is read from the second") {
      REQUIRE(read.has_value());
      CHECK(read->timestamp == "7");
    }
  }
  GIVEN("a good block id, then a bad one") {
    THEN("the block is refused at $.id") {
      CHECK(path_of_refusal(doc(R"({"id":@B,"id":"x","block":{"timestamp":"1","transactions":[]}})"))
            == "$.id");
    }
  }
  GIVEN("two transaction lists, the first repeating an id") {
    auto read =
        read_both(doc(R"({"id":@B,"block":{"timestamp":"1",)"
                      R"("transactions":[{"id":@C,"operation":"CREATE"},{"id":@C,"operation":"CREATE"}],)"
                      R"("transactions":[{"id":@D,"operation":"TRANSFER","asset":{"id":@A}}]}})"));
    THEN("only the second list is read") {
      REQUIRE(read.has_value());
      REQUIRE(read->transactions.size() == 1);
      CHECK(read->transactions[0].txid == second_id);
      CHECK(read->transactions[0].assetid == asset_id);
    }
  }
  GIVEN("a transaction whose asset, operation, outputs and public keys are each given bad, then good") {
    auto read = read_both(doc(
        R"({"id":@B,"block":{"timestamp":"1","transactions":[{"id":@C,)"
        R"("asset":5,"asset":{"id":7,"id":@A},"operation":"","operation":"TRANSFER",)"
        R"("outputs":[3],"outputs":[{"public_keys":1,"public_keys":["k1","k2"]},{"public_keys":["k3"]}]}]}})"));
    THEN("each is read from its last") {
      REQUIRE(read.has_value());
      const auto& tx = read->transactions.at(0);
      CHECK(tx.assetid == asset_id);
      CHECK(tx.operation == "TRANSFER");
      CHECK(tx.public_keys == std::vector<std::string>{"k1", "k2", "k3"});
    }
  }
}

SCENARIO("the refusal names the first rule broken in checking order, not in the document's") {
  GIVEN("every field of a block broken, written in reverse") {
    const std::string text =
        doc(R"({"signature":5,"block":{"voters":[1],"node_pubkey":2,)"
            R"("transactions":[{"outputs":[1],"operation":3,"asset":4,"id":@C}],"timestamp":"1"},"id":@B})");
    THEN("the transaction's asset is named: id, block, timestamp and the transaction's id come first") {
      CHECK(path_of_refusal(text) == "$.block.transactions[0].asset");
    }
  }
  GIVEN("a transaction list that is too long and whose first transaction is broken") {
    std::string txs = R"({"id":1})";
    for (int i = 0; i < 1000; ++i)
      txs += R"(,{"id":2})";
    auto read = read_both(doc(R"({"id":@B,"block":{"timestamp":"1","transactions":[)" + txs + "]}}"));
    THEN("the length is named") {
      REQUIRE_FALSE(read.has_value());
      CHECK(read.error().path == "$.block.transactions");
      CHECK(read.error().message == "block has 1001 transactions; at most 1000 are allowed");
    }
  }
  GIVEN("a broken rule early in the document and a syntax error at its end") {
    auto read = read_both(doc(R"({"id":"x","block":{"timestamp":"1","transactions":[]} ])"));
    THEN("the syntax error is named, with its offset") {
      REQUIRE_FALSE(read.has_value());
      CHECK(read.error().path == "$");
      CHECK(read.error().message.rfind("malformed JSON: ", 0) == 0);
    }
  }
  GIVEN("the second transaction's second output with a number among its public keys") {
    const std::string text = doc(
        R"({"id":@B,"block":{"timestamp":"1","transactions":[{"id":@C,"operation":"CREATE","outputs":[{"public_keys":["k"]}]},)"
        R"({"id":@D,"operation":"CREATE","outputs":[{"x":1},{"public_keys":["k",2]}]}]}})");
    THEN("the path names the key") {
      CHECK(path_of_refusal(text) == "$.block.transactions[1].outputs[1].public_keys[1]");
    }
  }
}

SCENARIO("escapes in keys and values read as the characters they stand for") {
  GIVEN("field names and values written with escapes") {
    auto read =
        read_both(doc(R"({"\u0069d":@B,"bl\u006fck":{"timestamp":"1\n2","transactions":[)"
                      R"({"id":@C,"operation":"CRE\u0041TE","outputs":[{"public_keys":["a\"b"]}]}]}})"));
    THEN("they are the fields the rules read") {
      REQUIRE(read.has_value());
      CHECK(read->timestamp == "1\n2");
      CHECK(read->transactions.at(0).operation == "CREATE");
      CHECK(read->transactions.at(0).public_keys == std::vector<std::string>{"a\"b"});
    }
  }
}
