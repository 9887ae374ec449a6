// The header of a final, unmasked RFC 6455 frame: what a server puts before
// each message (section 5.2). The stream's events are framed once, when a
// block is encoded, so that every subscriber's write is the bytes as they are;
// Beast frames everything else. Written here rather than with Beast, whose
// frame writer is internal (websocket/detail), so that this layer needs
// nothing but Boost.JSON; the benchmark's reference server frames with it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace evstream::schema {

enum class ws_opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10
};

// The longest such header: 2 bytes, then an 8-byte length.
inline constexpr std::size_t max_server_frame_header_bytes = 10;

// Appends the header of a final frame of `payload_bytes`, unmasked, to `out`.
void append_server_frame_header(std::string& out, ws_opcode code, std::size_t payload_bytes);

} // namespace evstream::schema
