// What a BigchainDB 2.x node and its Tendermint RPC answer, read into the
// block evstream streams. BigchainDB 2.x blocks carry no id of their own; the
// id is Tendermint's hash of the block at that height.
//
//   GET {node}/api/v1/blocks/H         {"height": H, "transactions": [...]}
//   GET {tendermint}/block?height=H    result.block_id.hash (0.33 and later)
//                                      or result.block_meta.block_id.hash (0.31)
//   GET {tendermint}/status            result.sync_info.latest_block_height
#pragma once

#include "schema/block.hpp"
#include "schema/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace evstream::schema {

// Tendermint's block at one height: its hash, lower-cased, and its time as
// Unix seconds (as BigchainDB 1.x wrote block timestamps).
struct tendermint_block {
  std::string hash;
  std::string timestamp;
};

// The latest height of Tendermint's /status answer.
result<std::uint64_t, problem> tendermint_latest_height(std::string_view status_json);

// Tendermint's /block?height=H answer, in either shape, for height H.
result<tendermint_block, problem> tendermint_block_at(std::string_view block_json, std::uint64_t height);

// The node's GET /api/v1/blocks/H answer and Tendermint's block at H, as one
// block checked by parse_block's rules. Paths in a refusal name the node's
// answer ("$.transactions[3].id").
parse_result bigchaindb_block_at(std::string_view node_json, std::uint64_t height,
                                 const tendermint_block& tendermint);

} // namespace evstream::schema
