// A validated BigchainDB block, reduced to what the event streams need, and the
// parser that turns block JSON into it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace evstream::schema {

// BigchainDB blocks hold at most this many transactions (spec, "Valid Transactions").
inline constexpr std::size_t max_transactions_per_block = 1000;

struct transaction_ref {
  std::string txid;
  // asset.id when the transaction names one, else the transaction's own id.
  std::string assetid;
};

struct block {
  std::string id;
  std::string timestamp;
  std::vector<transaction_ref> transactions;
};

// Why a block was refused: a sentence for a person and the JSON path of the
// first bad field ("$" for the document itself, "$.block.transactions[3].id").
struct parse_error {
  std::string message;
  std::string path;
};

using parse_result = std::variant<block, parse_error>;

// Parses one BigchainDB block JSON document and checks what the stream relies
// on; see README "Wire formats" for the exact rules.
parse_result parse_block(std::string_view json);

// True for a 64-character hexadecimal string (a SHA3-256 digest).
bool is_hex_digest(std::string_view text);

} // namespace evstream::schema
