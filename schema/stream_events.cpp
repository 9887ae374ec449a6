#include "schema/stream_events.hpp"

#include "schema/ws_frame.hpp"

#include <boost/json.hpp>

namespace evstream::schema {

namespace json = boost::json;

namespace {

// The three keys of a transaction event, in the order they are written.
struct event_keys {
  std::string_view txid;
  std::string_view assetid;
  std::string_view blockid;
};

constexpr event_keys valid_tx_keys{"txid", "assetid", "blockid"};
constexpr event_keys valid_transactions_keys{"transaction_id", "asset_id", "block_id"};

// Serializes `event` into `text`, reusing both between calls.
void serialize(json::serializer& serializer, const json::object& event, std::string& text) {
  char chunk[256];
  serializer.reset(&event);
  text.clear();
  while (!serializer.done())
    text.append(serializer.read(chunk));
}

} // namespace

void encoded_events::append(std::string_view text) {
  // 32-bit offsets keep the index small; a block's events stay far below 4 GiB.
  auto frame_begin = static_cast<std::uint32_t>(frames_.size());
  append_server_frame_header(frames_, ws_opcode::text, text.size());
  auto text_begin = static_cast<std::uint32_t>(frames_.size());
  frames_.append(text);
  spans_.push_back({frame_begin, text_begin, static_cast<std::uint32_t>(frames_.size())});
}

std::string_view encoded_events::operator[](std::size_t index) const {
  auto span = spans_[index];
  return std::string_view(frames_).substr(span.text_begin, span.end - span.text_begin);
}

std::string_view encoded_events::frame(std::size_t index) const {
  auto span = spans_[index];
  return std::string_view(frames_).substr(span.frame_begin, span.end - span.frame_begin);
}

// One encoder for both dialects of the transaction events: only the keys differ.
class transaction_event_encoder {
public:
  static encoded_events encode(const block& b, const event_keys& keys) {
    encoded_events events;
    // An event with empty ids: what each event adds to its ids when none of
    // them needs escaping.
    // Braces, two commas, and per key its quotes, colon and empty string.
    const std::size_t empty_event_bytes =
        2 + 2 + 3 * 5 + keys.txid.size() + keys.assetid.size() + keys.blockid.size();
    std::size_t expected_bytes = 0;
    for (const transaction_ref& tx : b.transactions)
      expected_bytes += max_server_frame_header_bytes + empty_event_bytes + tx.txid.size() + tx.assetid.size()
                        + b.id.size();
    events.frames_.reserve(expected_bytes);
    events.spans_.reserve(b.transactions.size());

    // One object reused for every event: its keys keep their order and its
    // strings keep their capacity, so only the ids change between events.
    json::object event{{keys.txid, ""}, {keys.assetid, ""}, {keys.blockid, json::string_view(b.id)}};
    json::string& txid = event.at(keys.txid).as_string();
    json::string& assetid = event.at(keys.assetid).as_string();
    json::serializer serializer;
    std::string text;
    for (const transaction_ref& tx : b.transactions) {
      txid = json::string_view(tx.txid);
      assetid = json::string_view(tx.assetid);
      serialize(serializer, event, text);
      events.append(text);
    }
    return events;
  }
};

encoded_events encode_valid_tx_events(const block& b) {
  return transaction_event_encoder::encode(b, valid_tx_keys);
}

encoded_events encode_valid_transactions_events(const block& b) {
  return transaction_event_encoder::encode(b, valid_transactions_keys);
}

encoded_events encode_bigchaindb_2_events(const block& b, std::uint64_t height) {
  // Python's json.dumps puts a space after each colon and comma, which
  // Boost.JSON's serializer has no option for: the layout is written here and
  // each value serialized by Boost.JSON, so a 2.x client that compares bytes
  // reads what BigchainDB sent it.
  encoded_events events;
  const std::string prefix = "{\"height\": " + std::to_string(height) + ", \"asset_id\": ";
  std::string text;
  for (const transaction_ref& tx : b.transactions) {
    text = prefix;
    text += json::serialize(json::string_view(tx.assetid));
    text += ", \"transaction_id\": ";
    text += json::serialize(json::string_view(tx.txid));
    text += '}';
    events.append(text);
  }
  return events;
}

encoded_events encode_block_event(const block& b, std::uint64_t height) {
  const json::value summary = {{"blockid", json::string_view(b.id)},
                               {"height", height},
                               {"timestamp", json::string_view(b.timestamp)},
                               {"transactions", b.transactions.size()}};
  encoded_events events;
  events.append(json::serialize(summary));
  return events;
}

} // namespace evstream::schema
