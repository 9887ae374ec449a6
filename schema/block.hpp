// A validated BigchainDB block, reduced to what the event streams need, and the
// parser that turns block JSON into it.
#pragma once

#include "evstream/block.hpp"
#include "schema/result.hpp"

#include <string>
#include <string_view>

namespace evstream::schema {

// The block types are public (a host node publishes them); schema/ owns their rules.
using evstream::block;
using evstream::max_transactions_per_block;
using evstream::transaction_ref;

// Why a block was refused: a sentence for a person and the JSON path of the
// first bad field ("$" for the document itself, "$.block.transactions[3].id").
struct parse_error {
  std::string message;
  std::string path;
};

using parse_result = result<block, parse_error>;

// What parse_result::value() throws for a refusal: std::invalid_argument
// with the message and the path. For callers sure of their input (tests,
// the benchmark, the demo chain's own blocks).
[[noreturn]] void throw_exception_from_error(const parse_error& error, const boost::source_location& where);

// Parses one BigchainDB block JSON document and checks what the stream relies
// on; see docs/api.md, "Block JSON", for the exact rules.
parse_result parse_block(std::string_view json);

// Checks a block a host node built itself by the rules parse_block applies to
// JSON; paths name the struct's fields ("$.transactions[3].assetid").
result<void, parse_error> check_block(const block& candidate);

// True for a SHA3-256 digest as BigchainDB writes ids: 64 lower-case hex
// digits. Ids are compared as strings, so "AB…" and "ab…" would otherwise be
// two ids of one digest; upper case is refused wherever an id is read.
bool is_hex_digest(std::string_view text);

} // namespace evstream::schema
