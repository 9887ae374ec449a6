// The reference the figures are compared with: the least a fan-out server can
// do, built into the benchmark. Beast accepts each WebSocket and answers its
// text pings; each block's events are encoded before any client connects, as
// one buffer of WebSocket text frames, and published with one plain
// asio::async_write per socket. A POST to /api/v1/blocks is read but not
// parsed: the n-th POST publishes the n-th pre-encoded block. GET /metrics
// answers evstream's two connection gauges, which W7 waits on. One thread, no
// actors, no JSON while serving.
#pragma once

#include <cstddef>
#include <cstdint>

namespace evstream::bench {

struct reference_options {
  std::uint64_t seed = 1;
  std::size_t blocks = 0;
  std::size_t transactions = 1000;
};

// Generates the blocks (the same demo_chain blocks the load generator posts),
// listens on a free port of 127.0.0.1, prints it as evstream does and serves
// until SIGTERM or SIGINT. Returns the process's exit code.
int run_reference_server(const reference_options& options);

} // namespace evstream::bench
