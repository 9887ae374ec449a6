#include "actors/encoded_block.hpp"

namespace evstream {

namespace {

// The encodings dominate; the typed block is about one more copy of the ids.
std::size_t typed_bytes(const schema::block& block) {
  std::size_t typed = block.id.size() + block.timestamp.size();
  for (const auto& tx : block.transactions) {
    typed += tx.txid.size() + tx.assetid.size() + tx.operation.size();
    for (const auto& key : tx.public_keys)
      typed += key.size();
  }
  return typed;
}

schema::encoded_events encode_stream(const encoded_block& b, stream_kind stream) {
  switch (stream) {
  case stream_kind::valid_transactions:
    return b.api == schema::bigchaindb_api::v2 ? schema::encode_bigchaindb_2_events(b.block, b.sequence)
                                               : schema::encode_valid_transactions_events(b.block);
  case stream_kind::blocks:
    return schema::encode_block_event(b.block, b.sequence);
  case stream_kind::valid_tx:
    break;
  }
  return schema::encode_valid_tx_events(b.block);
}

} // namespace

template <class Make>
std::size_t encoded_block::fill(stream_kind stream, Make&& make) const {
  std::size_t added = 0;
  auto& lazy = streams_[static_cast<std::size_t>(stream)];
  std::call_once(lazy.once, [&] {
    lazy.events = make();
    added = lazy.events.wire_bytes();
    encoded_bytes_ += added;
  });
  return added;
}

std::size_t encoded_block::encode(stream_kind stream) const {
  return fill(stream, [&] { return encode_stream(*this, stream); });
}

std::size_t encoded_block::encode(stream_set streams) const {
  std::size_t added = 0;
  for (std::size_t i = 0; i < stream_count; ++i)
    if (streams & bit_of(static_cast<stream_kind>(i))) added += encode(static_cast<stream_kind>(i));
  return added;
}

const schema::encoded_events& encoded_block::events(stream_kind stream) const {
  encode(stream);
  return streams_[static_cast<std::size_t>(stream)].events;
}

std::size_t encoded_block::retained_bytes() const { return typed_bytes(block) + encoded_bytes_; }

void encoded_block::set_events(stream_kind stream, schema::encoded_events events) {
  fill(stream, [&] { return std::move(events); });
}

encoded_block_ptr encode_block(schema::block b, std::uint64_t sequence,
                               std::optional<std::chrono::steady_clock::time_point> received_at,
                               schema::bigchaindb_api api, stream_set eager) {
  auto encoded = std::make_shared<encoded_block>();
  encoded->sequence = sequence;
  encoded->received_at = received_at;
  encoded->api = api;
  encoded->block = std::move(b);
  encoded->encode(eager);
  return encoded;
}

} // namespace evstream
