// One clock for every timestamp the benchmark takes: nanoseconds of the
// monotonic clock, as plain integers so that they fit in vectors and atomics.
#pragma once

#include <chrono>
#include <cstdint>

namespace evstream::bench {

using clock = std::chrono::steady_clock;

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
}

inline double ns_to_ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }
inline double ns_to_s(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

} // namespace evstream::bench
