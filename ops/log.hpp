// evstream's operational log: one JSON object per line on stderr,
//
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","event":"ws_open","remote":"127.0.0.1:50412",...}
//
// with a fixed "ts" (UTC), "level" and "event", then the event's own fields.
// spdlog writes the lines (whole, from any thread) and drops those below the
// level; Boost.JSON builds and escapes them. Process-wide, like stderr.
//
// Never log a secret: no ingest token, no Authorization header, no query
// string (a stream URL's may carry a token).
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace evstream::ops {

enum class log_level { debug, info, warn, error };

// "debug", "info", "warn" or "error"; nothing for any other name.
std::optional<log_level> log_level_named(std::string_view name);

// Lines below `level` are dropped; info until set.
void set_log_level(log_level level);
bool log_enabled(log_level level);

// One line: ts, level, `event`, then `fields` in their order.
void log(log_level level, std::string_view event, boost::json::object fields = {});

// The process's own start and stop (listening, shutting_down, stopped): at
// info, but written at every --log-level, since they say where it listens.
void log_lifecycle(std::string_view event, boost::json::object fields = {});

// Lines that can come in a flood (a client posting bad blocks in a loop, a
// relay retrying an unreachable upstream, a listener out of descriptors) go
// out at most once per interval for each key: the first of an episode at
// once, then one per interval, each saying how many of its key were held
// back since the previous one. Thread-safe; its keys are few (reasons).
class log_throttle {
public:
  using clock = std::chrono::steady_clock;
  explicit log_throttle(clock::duration interval) : interval_(interval) {}

  // Whether a line for `key` goes out at `now`, and if so, how many were held back before it.
  std::optional<std::uint64_t> admit(std::string_view key, clock::time_point now = clock::now());

private:
  struct episode {
    clock::time_point last_written;
    std::uint64_t held = 0;
  };
  const clock::duration interval_;
  std::mutex mutex_;
  std::map<std::string, episode, std::less<>> episodes_;
};

// A line through the process's throttle for repeated errors (10 s per
// event and key), with "repeated": N when N like it were held back.
void log_repeatable(log_level level, std::string_view event, std::string_view key,
                    boost::json::object fields);

// A relay's link to its upstream (HOST:PORT, which --upstream checks carries
// no credentials) came up (`connected`) or went down, with why (`detail`,
// may be empty).
void log_relay_link(bool connected, std::string_view upstream, std::string_view detail = {});

} // namespace evstream::ops
