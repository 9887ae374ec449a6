// The DOM reading of block JSON, kept beside parse_block as the plain
// statement of the same rules: the differential fuzz target and the tests
// check that the two agree on every input, and the benchmark's ingest
// reference (W5) measures it. Not part of the service's ingest path.
#pragma once

#include "schema/block.hpp"

#include <string_view>

namespace evstream::schema {

// Builds the document with Boost.JSON, then checks it field by field; the
// same answer as parse_block for every input, block or refusal.
parse_result parse_block_dom(std::string_view json);

} // namespace evstream::schema
