#include "net/stream_request.hpp"

#include <catch2/catch.hpp>

using namespace evstream;
using namespace evstream::net;

namespace {

const std::string digest_a(64, 'a');
const std::string digest_b(64, 'b');
const std::string key = "3EBDkLSE9Yhz35GoBnYWZWTQkTq7CB9x2qdxNrFUYKzw";

stream_request accepted(stream_kind stream, const std::string& target) {
  auto read = read_stream_request(stream, target);
  if (!read) FAIL(read.error().message);
  return *read;
}

std::string refused(stream_kind stream, const std::string& target) {
  auto read = read_stream_request(stream, target);
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().status == http::status::bad_request);
  return read.error().message;
}

} // namespace

TEST_CASE("a stream URL without a query asks for the live stream, unfiltered") {
  auto request = accepted(stream_kind::valid_tx, "/api/v1/streams/valid_tx");
  CHECK(request.wanted.filter.empty());
  CHECK_FALSE(request.since);
}

TEST_CASE("since, and the filters, repeatable, are read from the query") {
  auto request =
      accepted(stream_kind::valid_tx, "/api/v1/streams/valid_tx?since=" + digest_a + "&asset_id=" + digest_a
                                          + "&asset_id=" + digest_b + "&public_key=" + key
                                          + "&operation=CREATE&operation=VALIDATOR_ELECTION");
  CHECK(request.since == digest_a);
  CHECK(request.wanted.filter.asset_ids == std::unordered_set<std::string>{digest_a, digest_b});
  CHECK(request.wanted.filter.public_keys == std::unordered_set<std::string>{key});
  CHECK(request.wanted.filter.operations == std::unordered_set<std::string>{"CREATE", "VALIDATOR_ELECTION"});
}

TEST_CASE("percent-encoded values are decoded") {
  auto request =
      accepted(stream_kind::valid_transactions, "/api/v1/streams/valid_transactions?operation=TRANS%46ER");
  CHECK(request.wanted.filter.operations == std::unordered_set<std::string>{"TRANSFER"});
}

TEST_CASE("ids in a cursor or a filter are lower-case hex, as BigchainDB writes them") {
  const std::string upper(64, 'A');
  CHECK(refused(stream_kind::valid_tx, "/s?since=" + upper)
        == "\"since\" must be a block id (64 lower-case hex digits)");
  CHECK(refused(stream_kind::valid_tx, "/s?asset_id=" + upper)
        == "\"asset_id\" must be an asset id (64 lower-case hex digits)");
  CHECK(accepted(stream_kind::valid_tx, "/s?since=" + digest_a).since == digest_a);
}

TEST_CASE("unknown parameters and malformed values are refused with a reason") {
  CHECK(refused(stream_kind::valid_tx, "/s?limit=3")
        == "unknown query parameter \"limit\"; this stream takes since, asset_id, public_key and operation");
  CHECK(refused(stream_kind::valid_tx, "/s?since=abc")
        == "\"since\" must be a block id (64 lower-case hex digits)");
  CHECK(refused(stream_kind::valid_tx, "/s?since=" + digest_a + "&since=" + digest_b)
        == "\"since\" may be given once");
  CHECK(refused(stream_kind::valid_tx, "/s?asset_id=" + digest_a + "0")
        == "\"asset_id\" must be an asset id (64 lower-case hex digits)");
  CHECK(refused(stream_kind::valid_tx, "/s?public_key=0OIl" + key.substr(4))
        == "\"public_key\" must be a base58 public key");
  CHECK(refused(stream_kind::valid_tx, "/s?operation=create")
        == "\"operation\" must be an operation name such as CREATE or TRANSFER");
  CHECK(refused(stream_kind::valid_tx, "/s?operation=") == "query parameter \"operation\" needs a value");
  CHECK(refused(stream_kind::valid_tx, "/s?operation") == "query parameter \"operation\" needs a value");
}

TEST_CASE("the blocks stream takes since but no filters") {
  CHECK(accepted(stream_kind::blocks, "/s?since=" + digest_a).since == digest_a);
  CHECK(refused(stream_kind::blocks, "/s?operation=CREATE")
        == "unknown query parameter \"operation\"; this stream takes since only");
}

TEST_CASE("a cursor the dispatcher placed is refused with 410 or 404 and the oldest block, or not at all") {
  using standing = cursor_status::standing;
  CHECK_FALSE(resume_refusal_of(cursor_status{standing::available, 7, digest_b}, digest_a));

  auto expired = resume_refusal_of(cursor_status{standing::expired, 7, digest_b}, digest_a);
  REQUIRE(expired);
  CHECK(expired->refusal.status == http::status::gone);
  CHECK(expired->refusal.message
        == "block " + digest_a + " is older than this node retains; the oldest block still available is "
               + digest_b);
  CHECK(expired->details.at("oldest_available").as_string() == digest_b);

  auto nothing_retained = resume_refusal_of(cursor_status{standing::expired, 7, ""}, digest_a);
  REQUIRE(nothing_retained);
  CHECK(nothing_retained->refusal.message.find("no block is retained, connect without since")
        != std::string::npos);
  CHECK(nothing_retained->details.empty());

  auto unknown = resume_refusal_of(cursor_status{standing::unknown, 0, digest_b}, digest_a);
  REQUIRE(unknown);
  CHECK(unknown->refusal.status == http::status::not_found);
  CHECK(unknown->refusal.message == "this node has not streamed block " + digest_a);

  auto pending = resume_refusal_of(cursor_status{standing::pending, 0, digest_b}, digest_a);
  REQUIRE(pending);
  CHECK(pending->refusal.status == http::status::service_unavailable);
  CHECK(pending->refusal.message.find("still taking its window from its upstream") != std::string::npos);
}
