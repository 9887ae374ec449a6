// A validated block as evstream streams it: what a host node publishes and
// what every part of evstream passes around. Part of the public API.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace evstream {

// BigchainDB blocks hold at most this many transactions (spec, "Valid Transactions").
inline constexpr std::size_t max_transactions_per_block = 1000;

struct transaction_ref {
  std::string txid;
  // asset.id when the transaction names one, else the transaction's own id.
  std::string assetid;
  // "CREATE", "TRANSFER", …; empty when the transaction does not say.
  std::string operation;
  // Every output's public_keys, in output order: what the public_key filter reads.
  std::vector<std::string> public_keys;
};

struct block {
  std::string id;
  std::string timestamp;
  std::vector<transaction_ref> transactions;
};

// CAF needs these to carry blocks in messages (and, later, across nodes).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transaction_ref& x) {
  return f(caf::meta::type_name("transaction_ref"), x.txid, x.assetid, x.operation, x.public_keys);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, block& x) {
  return f(caf::meta::type_name("block"), x.id, x.timestamp, x.transactions);
}

} // namespace evstream
