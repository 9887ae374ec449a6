// The stdin block source: one block JSON per line, offered to the block source
// in order; a bad line is logged (ingest_error, with its number) and skipped.
#pragma once

#include <caf/all.hpp>

#include <atomic>

namespace evstream {

// Reads `fd` until end of input or until `stop` is set (checked at least every
// 100 ms, so shutdown never waits on a silent terminal).
void feed_lines(caf::actor_system& system, caf::actor block_source, int fd, std::size_t max_line_bytes,
                const std::atomic<bool>& stop);

} // namespace evstream
