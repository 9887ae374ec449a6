// libFuzzer target: any bytes as a block document. The parser must either
// refuse them with a JSON path or return a block whose events encode back to
// exactly its transactions, one well-formed WebSocket text frame each.
//
//   fuzz/run.sh 60      (or build-fuzz/fuzz/fuzz_block_parser fuzz/corpus/block_parser)
#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

namespace schema = evstream::schema;
namespace json = boost::json;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_block_parser: invariant broken: %s\n", what);
  std::abort();
}

std::string_view field(const json::object& event, std::string_view key) {
  const json::value* value = event.if_contains(key);
  require(value && value->is_string(), "an event field is missing or not a string");
  const json::string& text = value->get_string();
  return {text.data(), text.size()};
}

// Reads one unmasked server frame at `offset`; returns its payload and moves
// `offset` past it.
std::string_view next_frame(std::string_view frames, std::size_t& offset) {
  require(frames.size() - offset >= 2, "a frame header is cut short");
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(frames[offset + i]); };
  require(byte(0) == 0x81, "a frame is not a final text frame");
  require((byte(1) & 0x80) == 0, "a server frame is masked");
  std::uint64_t length = byte(1) & 0x7f;
  std::size_t header = 2;
  if (length == 126 || length == 127) {
    std::size_t extra = length == 126 ? 2 : 8;
    require(frames.size() - offset >= 2 + extra, "an extended length is cut short");
    length = 0;
    for (std::size_t i = 0; i < extra; ++i)
      length = (length << 8) | byte(2 + i);
    header += extra;
  }
  require(frames.size() - offset - header >= length, "a frame payload is cut short");
  auto payload = frames.substr(offset + header, static_cast<std::size_t>(length));
  offset += header + static_cast<std::size_t>(length);
  return payload;
}

void check_refusal(const schema::parse_error& error) {
  require(!error.message.empty(), "a refusal has no message");
  require(!error.path.empty() && error.path.front() == '$', "a refusal path does not start with $");
}

void check_block(const schema::block& block) {
  require(schema::is_hex_digest(block.id), "an accepted block id is not a digest");
  require(block.transactions.size() <= schema::max_transactions_per_block, "too many transactions accepted");
  for (const auto& tx : block.transactions) {
    require(schema::is_hex_digest(tx.txid), "an accepted txid is not a digest");
    require(schema::is_hex_digest(tx.assetid), "an accepted assetid is not a digest");
  }

  auto events = schema::encode_valid_tx_events(block);
  require(events.size() == block.transactions.size(), "event count differs from transaction count");
  std::string_view frames = events.frames();
  require(frames.size() == events.wire_bytes(), "wire_bytes differs from the frames' size");
  std::size_t offset = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    json::error_code ec;
    json::value parsed = json::parse(events[i], ec);
    require(!ec, "an event is not JSON");
    const json::object* event = parsed.if_object();
    require(event && event->size() == 3, "an event is not an object of three fields");
    require(field(*event, "txid") == block.transactions[i].txid, "an event names another txid");
    require(field(*event, "assetid") == block.transactions[i].assetid, "an event names another assetid");
    require(field(*event, "blockid") == block.id, "an event names another blockid");
    require(next_frame(frames, offset) == events[i], "a frame's payload differs from its event");
  }
  require(offset == frames.size(), "bytes follow the last frame");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto result = schema::parse_block(text);
  if (!result)
    check_refusal(result.error());
  else
    check_block(*result);
  return 0;
}
