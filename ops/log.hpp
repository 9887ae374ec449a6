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

#include <optional>
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

// A relay's link to its upstream (HOST:PORT, which --upstream checks carries
// no credentials) came up (`connected`) or went down, with why (`detail`,
// may be empty).
void log_relay_link(bool connected, std::string_view upstream, std::string_view detail = {});

} // namespace evstream::ops
