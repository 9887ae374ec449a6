#include "actors/subscription.hpp"

#include "actors/messages.hpp"

namespace evstream {

bool transaction_filter::matches(const schema::transaction_ref& tx) const {
  if (!asset_ids.empty() && asset_ids.count(tx.assetid) == 0) return false;
  if (!operations.empty() && operations.count(tx.operation) == 0) return false;
  if (public_keys.empty()) return true;
  for (const auto& key : tx.public_keys)
    if (public_keys.count(key) != 0) return true;
  return false;
}

const schema::encoded_events& events_of(const encoded_block& block, stream_kind stream) {
  switch (stream) {
    case stream_kind::valid_transactions:
      return block.valid_transactions;
    case stream_kind::blocks:
      return block.summary;
    case stream_kind::valid_tx:
      break;
  }
  return block.valid_tx;
}

} // namespace evstream
