// A deterministic generator of realistic BigchainDB blocks for the demo source,
// tests and the benchmark: CREATE and TRANSFER transactions whose ids are
// SHA3-256 digests, TRANSFERs spending earlier CREATEs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace evstream {

class demo_chain {
public:
  explicit demo_chain(std::uint64_t seed);

  // The next block as BigchainDB block JSON with `transactions` transactions
  // (at most 1000), about 1 KB of JSON per transaction.
  std::string next_block_json(std::size_t transactions);

private:
  std::mt19937_64 random_;
  std::uint64_t blocks_made_ = 0;
  // CREATE transaction ids not yet spent, the assets TRANSFERs move.
  std::vector<std::string> unspent_creates_;
};

// SHA3-256 of `data` as 64 lowercase hex characters (OpenSSL).
std::string sha3_256_hex(const std::string& data);

} // namespace evstream
