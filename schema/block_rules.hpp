// The refusals both readings of block JSON give (parse_block's, without a
// DOM, and parse_block_dom's), written once so the two say the same words.
#pragma once

#include "schema/block.hpp"

#include <string>
#include <string_view>

namespace evstream::schema::rules {

// Real asset data and metadata nest a few levels; a document nested deeper
// than this is refused as malformed rather than parsed.
inline constexpr std::size_t max_json_depth = 64;

inline constexpr std::string_view hex_digest_text = "a SHA3-256 digest: 64 lower-case hex digits";

inline parse_error missing(std::string_view name, std::string path) {
  return {"missing required field \"" + std::string(name) + '"', std::move(path)};
}

inline parse_error must_be(std::string_view name, std::string_view what, std::string path) {
  return {'"' + std::string(name) + "\" must be " + std::string(what), std::move(path)};
}

inline parse_error too_many_transactions(std::size_t count, std::string path) {
  return {"block has " + std::to_string(count) + " transactions; at most "
              + std::to_string(max_transactions_per_block) + " are allowed",
          std::move(path)};
}

inline parse_error repeated_txid(std::string path) {
  return {"transaction id appears earlier in this block; ids must be unique", std::move(path)};
}

inline parse_error malformed(std::string_view what, std::size_t offset) {
  return {"malformed JSON: " + std::string(what) + " at offset " + std::to_string(offset), "$"};
}

// "$.block.transactions[3]" + field
inline std::string transaction_path(std::size_t index, std::string_view field) {
  return "$.block.transactions[" + std::to_string(index) + ']' + std::string(field);
}

} // namespace evstream::schema::rules
