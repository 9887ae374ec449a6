#include "schema/valid_tx_events.hpp"

#include <boost/beast/core/flat_static_buffer.hpp>
#include <boost/beast/websocket/detail/frame.hpp>
#include <boost/json.hpp>

namespace evstream::schema {
namespace {

namespace json = boost::json;

// The longest RFC 6455 frame header: 2 bytes, 8 of length, no mask (servers
// do not mask).
constexpr std::size_t max_frame_header_bytes = 10;

// An event with empty ids: what each event adds to its ids when none of them
// needs escaping.
constexpr std::string_view empty_event = R"({"txid":"","assetid":"","blockid":""})";

} // namespace

void encoded_events::append(std::string_view text) {
  // Beast's own frame header writer, so the framing is the WebSocket library's.
  namespace ws = boost::beast::websocket::detail;
  ws::frame_header header{};
  header.op = ws::opcode::text;
  header.fin = true;
  header.len = text.size();
  boost::beast::flat_static_buffer<14> header_bytes;
  ws::write(header_bytes, header);
  frames_.append(static_cast<const char*>(header_bytes.data().data()), header_bytes.size());
  // 32-bit offsets keep the index small; a block's events stay far below 4 GiB.
  auto begin = static_cast<std::uint32_t>(frames_.size());
  frames_.append(text);
  payloads_.push_back({begin, static_cast<std::uint32_t>(frames_.size())});
}

std::string_view encoded_events::operator[](std::size_t index) const {
  auto span = payloads_[index];
  return std::string_view(frames_).substr(span.begin, span.end - span.begin);
}

encoded_events encode_valid_tx_events(const block& b) {
  encoded_events events;
  std::size_t expected_bytes = 0;
  for (const transaction_ref& tx : b.transactions)
    expected_bytes +=
        max_frame_header_bytes + empty_event.size() + tx.txid.size() + tx.assetid.size() + b.id.size();
  events.frames_.reserve(expected_bytes);
  events.payloads_.reserve(b.transactions.size());

  // One object reused for every event: its keys keep their order and its
  // strings keep their capacity, so only the ids change between events.
  json::object event{{"txid", ""}, {"assetid", ""}, {"blockid", json::string_view(b.id)}};
  json::string& txid = event.at("txid").as_string();
  json::string& assetid = event.at("assetid").as_string();

  json::serializer serializer;
  std::string text;
  char chunk[256];
  for (const transaction_ref& tx : b.transactions) {
    txid = json::string_view(tx.txid);
    assetid = json::string_view(tx.assetid);
    serializer.reset(&event);
    text.clear();
    while (!serializer.done())
      text.append(serializer.read(chunk));
    events.append(text);
  }
  return events;
}

} // namespace evstream::schema
