// The blocks a run posts, generated from a seed before any timing starts, and
// the txid sequence every subscriber must receive from them.
#pragma once

#include "schema/block.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace evstream::bench {

// Every event of every block in stream order, with where each block ends, and
// a reverse index so that a wrong event can be named (duplicate, skipped, unknown).
class expected_stream {
public:
  // Not copyable: the index holds views into the txids.
  expected_stream() = default;
  expected_stream(expected_stream&&) = default;
  expected_stream& operator=(expected_stream&&) = default;
  expected_stream(const expected_stream&) = delete;

  std::size_t total() const { return txids_.size(); }
  std::size_t blocks() const { return block_end_.size(); }
  const std::string& txid(std::size_t position) const { return txids_[position]; }
  // One past the position of the block's last event.
  std::size_t block_end(std::size_t block) const { return block_end_[block]; }
  // The position of `txid` in the stream, or total() when it is not in it.
  std::size_t position_of(std::string_view txid) const;
  // "block 3 tx 17" for a position, for problem reports.
  std::string describe(std::size_t position) const;

private:
  friend class block_set;
  std::vector<std::string> txids_;
  std::vector<std::size_t> block_end_;
  std::unordered_map<std::string_view, std::size_t> position_; // views into txids_
};

class block_set {
public:
  // `blocks` blocks of `transactions` transactions each from demo_chain{seed}.
  static block_set generate(std::uint64_t seed, std::size_t blocks, std::size_t transactions);

  std::vector<std::string> json; // the POST bodies, in posting order
  std::vector<std::string> ids;  // each block's id
  // For each block, its events as the stream encodes them (schema::encode_valid_tx_events).
  std::vector<std::vector<std::string>> events;
  std::vector<schema::block> parsed;
  expected_stream expected;

  // The txids of blocks [first_block, end) whose transactions pass `keep`: what
  // a subscriber that joins at `first_block` with a filter must receive.
  expected_stream expect(std::size_t first_block,
                         const std::function<bool(const schema::transaction_ref&)>& keep) const;

  std::size_t json_bytes() const;
};

} // namespace evstream::bench
