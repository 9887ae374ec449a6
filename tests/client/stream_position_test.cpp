#include "client/stream_position.hpp"

#include <catch2/catch.hpp>

using evstream::client::stream_position;

namespace {

const std::string b1(64, '1'), b2(64, '2'), b3(64, '3');

std::string event(const std::string& txid, const std::string& block) {
  return R"({"txid":")" + txid + R"(","assetid":")" + txid + R"(","blockid":")" + block + R"("})";
}

const boost::urls::url stream{"ws://node:9984/api/v1/streams/valid_tx?operation=CREATE"};

} // namespace

TEST_CASE("before a block is received whole, a reconnect has no cursor") {
  stream_position position;
  CHECK(position.resume_url(stream).buffer() == stream.buffer());
  CHECK(position.accept(event("a", b1)));
  CHECK(position.cursor().empty());
  CHECK(position.resume_url(stream).buffer() == stream.buffer());
}

TEST_CASE("a block is whole once the next block's first event arrives; the cursor joins the query") {
  stream_position position;
  position.accept(event("a", b1));
  position.accept(event("b", b1));
  position.accept(event("c", b2));
  CHECK(position.cursor() == b1);
  CHECK(position.resume_url(stream).buffer()
        == "ws://node:9984/api/v1/streams/valid_tx?operation=CREATE&since=" + b1);
}

TEST_CASE("after a resume the part of the block received before is dropped, the rest printed") {
  stream_position position;
  for (auto* tx : {"a", "b"})
    position.accept(event(tx, b1));
  for (auto* tx : {"c", "d"})
    position.accept(event(tx, b2));
  position.resume_url(stream); // since=b1: b2 comes again from its first event
  CHECK_FALSE(position.accept(event("c", b2)));
  CHECK_FALSE(position.accept(event("d", b2)));
  CHECK(position.accept(event("e", b2)));
  CHECK(position.accept(event("f", b3)));
  CHECK(position.cursor() == b2);
}

TEST_CASE("the blocks stream and the 1.x dialect name their blocks too") {
  stream_position summaries;
  summaries.accept(R"({"blockid":")" + b1 + R"(","height":1,"timestamp":"1","transactions":2})");
  CHECK(summaries.cursor() == b1);
  stream_position dialect;
  dialect.accept(R"({"transaction_id":"a","asset_id":"a","block_id":")" + b1 + R"("})");
  dialect.accept(R"({"transaction_id":"b","asset_id":"b","block_id":")" + b2 + R"("})");
  CHECK(dialect.cursor() == b1);
}

TEST_CASE("past the window the cursor moves to the oldest block; an unknown one is dropped") {
  stream_position position;
  position.accept(event("a", b1));
  position.accept(event("b", b2));
  position.skip_to(b3);
  CHECK(position.cursor() == b3);
  position.forget();
  CHECK(position.cursor().empty());
  CHECK(position.accept("not json"));
}
