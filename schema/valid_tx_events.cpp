#include "schema/valid_tx_events.hpp"

#include <boost/json.hpp>

namespace evstream::schema {
namespace {

namespace json = boost::json;

// An event with empty ids: what each event adds to its ids when none of them
// needs escaping.
constexpr std::string_view empty_event = R"({"txid":"","assetid":"","blockid":""})";

} // namespace

void encoded_events::append(std::string_view event_json) {
  text_.append(event_json);
  // 32-bit ends keep the index small; a block's events stay far below 4 GiB.
  ends_.push_back(static_cast<std::uint32_t>(text_.size()));
}

std::string_view encoded_events::operator[](std::size_t index) const {
  const std::size_t begin = index == 0 ? 0 : ends_[index - 1];
  return std::string_view(text_).substr(begin, ends_[index] - begin);
}

encoded_events encode_valid_tx_events(const block& b) {
  encoded_events events;
  std::size_t expected_bytes = 0;
  for (const transaction_ref& tx : b.transactions)
    expected_bytes += empty_event.size() + tx.txid.size() + tx.assetid.size() + b.id.size();
  events.text_.reserve(expected_bytes);
  events.ends_.reserve(b.transactions.size());

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
