#include "actors/demo_chain.hpp"
#include "schema/block.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdio>

namespace json = boost::json;
using Catch::Matchers::Contains;
using evstream::schema::block;
using evstream::schema::parse_block;
using evstream::schema::parse_error;

namespace {

const std::string block_id(64, 'b');
const std::string create_id(64, 'c');
const std::string transfer_id(64, 'd');
const std::string spent_asset_id(64, 'a');

// The n-th of many distinct transaction ids.
std::string numbered_id(std::size_t n) {
  char text[65];
  std::snprintf(text, sizeof text, "%064zx", n);
  return text;
}

json::value valid_block() {
  return {{"id", block_id},
          {"block",
           {{"timestamp", "1493291935"},
            {"transactions", json::array{json::object{{"id", create_id},
                                                      {"operation", "CREATE"},
                                                      {"asset", {{"data", {{"colour", "red"}}}}}},
                                         json::object{{"id", transfer_id},
                                                      {"operation", "TRANSFER"},
                                                      {"asset", {{"id", spent_asset_id}}}}}},
            {"node_pubkey", "9TLRdsgQVuDBP7ffLhYdFYm2S5mpgXmkiWfeDcwJ6HQ2"},
            {"voters", json::array{"9TLRdsgQVuDBP7ffLhYdFYm2S5mpgXmkiWfeDcwJ6HQ2"}}}},
          {"signature", "4Bkhw6Nyeutph6ycvtmxjkLxWKTrE9qxRuKsQqyEhhuNkfv1bsTb3oNVk7BUb2S"}};
}

json::object& body_of(json::value& doc) { return doc.at("block").as_object(); }
json::array& transactions_of(json::value& doc) { return body_of(doc).at("transactions").as_array(); }

block parsed(const std::string& text) {
  auto result = parse_block(text);
  if (!result) FAIL(result.error().path << ": " << result.error().message);
  return *std::move(result);
}

parse_error refusal_of_text(const std::string& text) {
  auto result = parse_block(text);
  REQUIRE_FALSE(result.has_value());
  return result.error();
}

parse_error refusal_of(const json::value& doc) { return refusal_of_text(json::serialize(doc)); }

} // namespace

SCENARIO("a well-formed block is read into ids") {
  GIVEN("a hand-written block with a CREATE and a TRANSFER") {
    const block b = parsed(json::serialize(valid_block()));
    THEN("it keeps the block id, timestamp and both transactions in order") {
      CHECK(b.id == block_id);
      CHECK(b.timestamp == "1493291935");
      REQUIRE(b.transactions.size() == 2);
      CHECK(b.transactions[0].txid == create_id);
      CHECK(b.transactions[1].txid == transfer_id);
    }
    THEN("the CREATE is its own asset and the TRANSFER names the asset it moves") {
      CHECK(b.transactions[0].assetid == create_id);
      CHECK(b.transactions[1].assetid == spent_asset_id);
    }
  }
  GIVEN("a block with only the required fields and no transactions") {
    const std::string text = R"({"id":")" + block_id + R"(","block":{"timestamp":"1","transactions":[]}})";
    THEN("it is accepted and holds no transactions") { CHECK(parsed(text).transactions.empty()); }
  }
  GIVEN("a block whose signature and asset are null") {
    json::value doc = valid_block();
    doc.as_object()["signature"] = nullptr;
    transactions_of(doc)[0].as_object()["asset"] = nullptr;
    const block b = parsed(json::serialize(doc));
    THEN("a null asset counts as absent") { CHECK(b.transactions[0].assetid == create_id); }
  }
  GIVEN("ids in upper-case hex: BigchainDB writes them lower-case, and one digest is one id") {
    json::value block_id_upper = valid_block();
    block_id_upper.as_object()["id"] = std::string(64, 'D');
    json::value txid_upper = valid_block();
    transactions_of(txid_upper)[1].as_object()["id"] = std::string(64, 'F');
    json::value asset_upper = valid_block();
    transactions_of(asset_upper)[1].as_object()["asset"] = json::object{{"id", std::string(64, 'A')}};
    THEN("each is refused with its path") {
      CHECK(refusal_of(block_id_upper).path == "$.id");
      CHECK(refusal_of(txid_upper).path == "$.block.transactions[1].id");
      CHECK(refusal_of(asset_upper).path == "$.block.transactions[1].asset.id");
      CHECK(refusal_of(txid_upper).message == "\"id\" must be a SHA3-256 digest: 64 lower-case hex digits");
    }
    THEN("the same ids in lower case are accepted") {
      block_id_upper.as_object()["id"] = std::string(64, 'd');
      CHECK(parsed(json::serialize(block_id_upper)).id == std::string(64, 'd'));
    }
  }
  GIVEN("a block holding exactly the maximum of 1000 transactions") {
    json::value doc = valid_block();
    json::array& txs = transactions_of(doc);
    txs.clear();
    for (std::size_t i = 0; i < 1000; ++i)
      txs.push_back(json::object{{"id", numbered_id(i)}, {"operation", "CREATE"}});
    THEN("all of them are read") { CHECK(parsed(json::serialize(doc)).transactions.size() == 1000); }
  }
}

SCENARIO("a demo chain block round-trips through the parser") {
  GIVEN("the second block of a demo chain, which spends assets created in the first") {
    evstream::demo_chain chain(7);
    chain.next_block_json(50);
    const std::string text = chain.next_block_json(60);
    const json::value doc = json::parse(text);
    const json::array& txs = doc.at("block").at("transactions").as_array();
    WHEN("it is parsed") {
      const block b = parsed(text);
      THEN("it has the block id and one entry per transaction") {
        CHECK(b.id == json::value_to<std::string>(doc.at("id")));
        REQUIRE(b.transactions.size() == 60);
      }
      THEN("CREATEs are their own asset and TRANSFERs carry asset.id") {
        std::size_t transfers = 0;
        for (std::size_t i = 0; i < txs.size(); ++i) {
          const json::object& tx = txs[i].as_object();
          CHECK(b.transactions[i].txid == json::value_to<std::string>(tx.at("id")));
          if (tx.at("operation").as_string() == "TRANSFER") {
            ++transfers;
            CHECK(b.transactions[i].assetid == json::value_to<std::string>(tx.at("asset").at("id")));
          } else {
            CHECK(b.transactions[i].assetid == b.transactions[i].txid);
          }
        }
        CHECK(transfers > 0);
      }
    }
  }
}

SCENARIO("a document that is not a block object is refused at $") {
  WHEN("the JSON is malformed") {
    const parse_error error = refusal_of_text(R"({"id": "abc",, "block": {}})");
    THEN("the message says so and points at the offending character") {
      CHECK_THAT(error.message, Contains("malformed JSON"));
      CHECK_THAT(error.message, Contains("at offset 13"));
      CHECK(error.path == "$");
    }
  }
  WHEN("the JSON stops short") {
    const std::string text = R"({"id": "abc")";
    const parse_error error = refusal_of_text(text);
    THEN("the offset is the end of the text") {
      CHECK_THAT(error.message, Contains("at offset " + std::to_string(text.size())));
      CHECK(error.path == "$");
    }
  }
  WHEN("text follows the document") {
    const parse_error error = refusal_of_text(R"({"id": "abc"} {})");
    THEN("the offset is where the extra text starts") {
      CHECK_THAT(error.message, Contains("unexpected text after the document at offset 14"));
      CHECK(error.path == "$");
    }
  }
  WHEN("the document nests deeper than 64 levels") {
    const parse_error error = refusal_of_text(std::string(65, '[') + std::string(65, ']'));
    THEN("it is refused as malformed, not parsed") {
      CHECK_THAT(error.message, Contains("malformed JSON"));
      CHECK(error.path == "$");
    }
  }
  WHEN("the document is an array") {
    const parse_error error = refusal_of_text("[1, 2]");
    THEN("it must be an object") {
      CHECK_THAT(error.message, Contains("must be a JSON object"));
      CHECK(error.path == "$");
    }
  }
}

SCENARIO("a bad block-level field is refused with its path") {
  GIVEN("an otherwise valid block") {
    json::value doc = valid_block();
    WHEN("the id is missing") {
      doc.as_object().erase("id");
      const parse_error error = refusal_of(doc);
      THEN("the missing field is named") {
        CHECK_THAT(error.message, Contains(R"(missing required field "id")"));
        CHECK(error.path == "$.id");
      }
    }
    WHEN("the id is a number") {
      doc.as_object()["id"] = 42;
      const parse_error error = refusal_of(doc);
      THEN("it must be a hex digest") {
        CHECK_THAT(error.message, Contains(R"("id" must be a SHA3-256 digest: 64 lower-case hex digits)"));
        CHECK(error.path == "$.id");
      }
    }
    WHEN("the id has a non-hex character") {
      doc.as_object()["id"] = std::string(63, 'a') + 'g';
      THEN("it must be a hex digest") { CHECK(refusal_of(doc).path == "$.id"); }
    }
    WHEN("the id is one character short") {
      doc.as_object()["id"] = std::string(63, 'a');
      THEN("it must be a hex digest") { CHECK(refusal_of(doc).path == "$.id"); }
    }
    WHEN("the block is missing") {
      doc.as_object().erase("block");
      const parse_error error = refusal_of(doc);
      THEN("the missing field is named") {
        CHECK_THAT(error.message, Contains(R"(missing required field "block")"));
        CHECK(error.path == "$.block");
      }
    }
    WHEN("the block is a string") {
      doc.as_object()["block"] = "block";
      const parse_error error = refusal_of(doc);
      THEN("it must be an object") {
        CHECK_THAT(error.message, Contains(R"("block" must be an object)"));
        CHECK(error.path == "$.block");
      }
    }
    WHEN("the timestamp is missing") {
      body_of(doc).erase("timestamp");
      const parse_error error = refusal_of(doc);
      THEN("the missing field is named") {
        CHECK_THAT(error.message, Contains(R"(missing required field "timestamp")"));
        CHECK(error.path == "$.block.timestamp");
      }
    }
    WHEN("the timestamp is a number") {
      body_of(doc)["timestamp"] = 1493291935;
      const parse_error error = refusal_of(doc);
      THEN("it must be a string") {
        CHECK_THAT(error.message, Contains(R"("timestamp" must be a string)"));
        CHECK(error.path == "$.block.timestamp");
      }
    }
    WHEN("the transactions are missing") {
      body_of(doc).erase("transactions");
      const parse_error error = refusal_of(doc);
      THEN("the missing field is named") {
        CHECK_THAT(error.message, Contains(R"(missing required field "transactions")"));
        CHECK(error.path == "$.block.transactions");
      }
    }
    WHEN("the transactions are an object") {
      body_of(doc)["transactions"] = json::object{};
      const parse_error error = refusal_of(doc);
      THEN("they must be an array") {
        CHECK_THAT(error.message, Contains(R"("transactions" must be an array)"));
        CHECK(error.path == "$.block.transactions");
      }
    }
    WHEN("there are 1001 transactions") {
      json::array& txs = transactions_of(doc);
      txs.clear();
      for (std::size_t i = 0; i < 1001; ++i)
        txs.push_back(json::object{{"id", numbered_id(i)}, {"operation", "CREATE"}});
      const parse_error error = refusal_of(doc);
      THEN("the count and the limit are given") {
        CHECK_THAT(error.message, Contains("block has 1001 transactions; at most 1000 are allowed"));
        CHECK(error.path == "$.block.transactions");
      }
    }
    WHEN("node_pubkey is a number") {
      body_of(doc)["node_pubkey"] = 7;
      const parse_error error = refusal_of(doc);
      THEN("it must be a string") {
        CHECK_THAT(error.message, Contains(R"("node_pubkey" must be a string)"));
        CHECK(error.path == "$.block.node_pubkey");
      }
    }
    WHEN("voters is a string") {
      body_of(doc)["voters"] = "everyone";
      const parse_error error = refusal_of(doc);
      THEN("it must be an array of strings") {
        CHECK_THAT(error.message, Contains(R"("voters" must be an array of strings)"));
        CHECK(error.path == "$.block.voters");
      }
    }
    WHEN("a voter is not a string") {
      body_of(doc)["voters"] = json::array{"9TLRdsgQ", nullptr};
      const parse_error error = refusal_of(doc);
      THEN("the bad entry is pointed at") {
        CHECK_THAT(error.message, Contains("voter must be a string"));
        CHECK(error.path == "$.block.voters[1]");
      }
    }
    WHEN("the signature is a number") {
      doc.as_object()["signature"] = 1;
      const parse_error error = refusal_of(doc);
      THEN("it must be a string or null") {
        CHECK_THAT(error.message, Contains(R"("signature" must be a string or null)"));
        CHECK(error.path == "$.signature");
      }
    }
    WHEN("both the timestamp and the signature are bad") {
      body_of(doc)["timestamp"] = 1;
      doc.as_object()["signature"] = 1;
      THEN("the first one checked is reported") { CHECK(refusal_of(doc).path == "$.block.timestamp"); }
    }
  }
}

SCENARIO("a bad transaction is refused with its index in the path") {
  GIVEN("an otherwise valid block of two transactions") {
    json::value doc = valid_block();
    json::object& second = transactions_of(doc)[1].as_object();
    WHEN("the second transaction is a string") {
      transactions_of(doc)[1] = "tx";
      const parse_error error = refusal_of(doc);
      THEN("it must be an object") {
        CHECK_THAT(error.message, Contains("transaction must be an object"));
        CHECK(error.path == "$.block.transactions[1]");
      }
    }
    WHEN("the second transaction has no id") {
      second.erase("id");
      const parse_error error = refusal_of(doc);
      THEN("the missing field is named") {
        CHECK_THAT(error.message, Contains(R"(missing required field "id")"));
        CHECK(error.path == "$.block.transactions[1].id");
      }
    }
    WHEN("the second transaction's id is not hex") {
      second["id"] = "not-a-digest";
      const parse_error error = refusal_of(doc);
      THEN("it must be a hex digest") {
        CHECK_THAT(error.message, Contains(R"("id" must be a SHA3-256 digest: 64 lower-case hex digits)"));
        CHECK(error.path == "$.block.transactions[1].id");
      }
    }
    WHEN("the second transaction repeats the first one's id") {
      second["id"] = create_id;
      const parse_error error = refusal_of(doc);
      THEN("the repeat is pointed at") {
        CHECK_THAT(error.message, Contains("ids must be unique"));
        CHECK(error.path == "$.block.transactions[1].id");
      }
    }
    WHEN("the asset is an array") {
      second["asset"] = json::array{};
      const parse_error error = refusal_of(doc);
      THEN("it must be an object") {
        CHECK_THAT(error.message, Contains(R"("asset" must be an object or null)"));
        CHECK(error.path == "$.block.transactions[1].asset");
      }
    }
    WHEN("asset.id is too short") {
      second["asset"] = {{"id", "abc"}};
      const parse_error error = refusal_of(doc);
      THEN("it must be a hex digest") {
        CHECK_THAT(error.message,
                   Contains(R"("asset.id" must be a SHA3-256 digest: 64 lower-case hex digits)"));
        CHECK(error.path == "$.block.transactions[1].asset.id");
      }
    }
  }
}

SCENARIO("what the filters read: a transaction's operation and its outputs' public keys") {
  GIVEN("a transfer with two outputs, one held by two keys") {
    json::value doc = valid_block();
    json::object& second = transactions_of(doc)[1].as_object();
    second["outputs"] =
        json::array{json::object{{"public_keys", json::array{"KeyA", "KeyB"}}, {"amount", "1"}},
                    json::object{{"public_keys", json::array{"KeyC"}}}, json::object{}};
    THEN("the operation and every key, in output order, are read") {
      const block b = parsed(json::serialize(doc));
      CHECK(b.transactions[0].operation == "CREATE");
      CHECK(b.transactions[0].public_keys.empty());
      CHECK(b.transactions[1].operation == "TRANSFER");
      CHECK(b.transactions[1].public_keys == std::vector<std::string>{"KeyA", "KeyB", "KeyC"});
    }
    WHEN("the operation is missing") {
      second.erase("operation");
      const parse_error error = refusal_of(doc);
      THEN("it is required") {
        CHECK(error.message == R"(missing required field "operation")");
        CHECK(error.path == "$.block.transactions[1].operation");
      }
    }
    WHEN("the operation is null, empty or a number") {
      for (json::value bad : {json::value(nullptr), json::value(""), json::value(3)}) {
        second["operation"] = bad;
        const parse_error error = refusal_of(doc);
        CHECK(error.message == R"("operation" must be a non-empty string)");
        CHECK(error.path == "$.block.transactions[1].operation");
      }
    }
    WHEN("outputs is an object") {
      second["outputs"] = json::object{};
      THEN("it must be an array") { CHECK(refusal_of(doc).path == "$.block.transactions[1].outputs"); }
    }
    WHEN("an output is a string") {
      second["outputs"].as_array()[1] = "out";
      const parse_error error = refusal_of(doc);
      THEN("it must be an object") {
        CHECK(error.message == "each output must be an object");
        CHECK(error.path == "$.block.transactions[1].outputs[1]");
      }
    }
    WHEN("a public key is a number") {
      second["outputs"].as_array()[0].as_object()["public_keys"].as_array()[1] = 7;
      const parse_error error = refusal_of(doc);
      THEN("the key is pointed at") {
        CHECK(error.message == "each public key must be a string");
        CHECK(error.path == "$.block.transactions[1].outputs[0].public_keys[1]");
      }
    }
  }
}
