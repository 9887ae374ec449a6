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

} // namespace

encoded_block_ptr encode_block(schema::block b, std::uint64_t sequence,
                               std::optional<std::chrono::steady_clock::time_point> received_at,
                               schema::bigchaindb_api api) {
  auto encoded = std::make_shared<encoded_block>();
  encoded->sequence = sequence;
  encoded->received_at = received_at;
  encoded->valid_tx = schema::encode_valid_tx_events(b);
  encoded->valid_transactions = api == schema::bigchaindb_api::v2
                                    ? schema::encode_bigchaindb_2_events(b, sequence)
                                    : schema::encode_valid_transactions_events(b);
  encoded->summary = schema::encode_block_event(b, sequence);
  encoded->retained_bytes = typed_bytes(b) + encoded->valid_tx.wire_bytes()
                            + encoded->valid_transactions.wire_bytes() + encoded->summary.wire_bytes();
  encoded->block = std::move(b);
  return encoded;
}

} // namespace evstream
