// The few pieces of RFC 6455 framing the load generator does by hand: the
// frames the reference server pre-encodes (headers by schema/ws_frame, as the
// service's), the masked frames clients send, and a reader that cuts a byte
// stream into frames without copying whole frames.
// Beast does the handshakes; hand-rolled reading is what lets one client
// thread keep up with thousands of sockets and millions of events per second.
#pragma once

#include "schema/ws_frame.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace evstream::bench {

using opcode = schema::ws_opcode;

// One unmasked, final frame (server to client).
void append_server_frame(std::string& out, opcode code, std::string_view payload);

// One masked, final frame (client to server); control payloads only, so at
// most 125 bytes.
std::string client_frame(opcode code, std::string_view payload);

// A close frame's payload: the code in network order, then the reason.
std::string close_payload(std::uint16_t code, std::string_view reason);

class frame_reader {
public:
  // Frames larger than this are a protocol error here: the stream's messages are small.
  static constexpr std::size_t max_frame_bytes = 16u << 20;

  // Feeds bytes as they arrive; calls on_message(opcode, payload) for every
  // complete message (fragments joined) and every control frame. Returns false
  // on a framing error (then error() says which).
  template <class OnMessage>
  bool feed(const char* data, std::size_t size, OnMessage&& on_message);

  const std::string& error() const { return error_; }

private:
  // Bytes the frame starting at `data` needs in total: the full length once
  // the header is complete, otherwise the header bytes still needed to tell.
  static std::size_t needed(const char* data, std::size_t available);
  template <class OnMessage>
  bool handle(const char* frame, std::size_t size, OnMessage& on_message);

  std::string carry_;     // a frame split across reads
  std::string fragments_; // a message split across frames
  opcode fragments_opcode_ = opcode::text;
  std::string error_;
};

template <class OnMessage>
bool frame_reader::feed(const char* data, std::size_t size, OnMessage&& on_message) {
  // First finish the frame an earlier read left incomplete.
  while (!carry_.empty() && size > 0) {
    std::size_t need = needed(carry_.data(), carry_.size());
    if (need > max_frame_bytes) {
      error_ = "frame of " + std::to_string(need) + " bytes";
      return false;
    }
    std::size_t take = std::min(need - carry_.size(), size);
    carry_.append(data, take);
    data += take;
    size -= take;
    if (carry_.size() == need && needed(carry_.data(), need) == need) {
      std::string frame;
      frame.swap(carry_);
      if (!handle(frame.data(), frame.size(), on_message)) return false;
    }
  }
  while (size > 0) {
    std::size_t need = needed(data, size);
    if (need > max_frame_bytes) {
      error_ = "frame of " + std::to_string(need) + " bytes";
      return false;
    }
    if (need > size) {
      carry_.assign(data, size);
      return true;
    }
    if (!handle(data, need, on_message)) return false;
    data += need;
    size -= need;
  }
  return true;
}

template <class OnMessage>
bool frame_reader::handle(const char* frame, std::size_t size, OnMessage& on_message) {
  const auto first = static_cast<std::uint8_t>(frame[0]);
  const auto second = static_cast<std::uint8_t>(frame[1]);
  const bool fin = (first & 0x80) != 0;
  const auto code = static_cast<opcode>(first & 0x0f);
  std::size_t header = 2 + ((second & 0x7f) == 126 ? 2 : (second & 0x7f) == 127 ? 8 : 0);
  if (second & 0x80) {
    error_ = "masked frame from the server";
    return false;
  }
  std::string_view payload{frame + header, size - header};
  if (code >= opcode::close) {
    on_message(code, payload);
    return true;
  }
  if (code == opcode::continuation) {
    fragments_.append(payload);
    if (fin) {
      std::string message;
      message.swap(fragments_);
      on_message(fragments_opcode_, std::string_view{message});
    }
    return true;
  }
  if (fin) {
    on_message(code, payload);
  } else {
    fragments_opcode_ = code;
    fragments_.assign(payload);
  }
  return true;
}

} // namespace evstream::bench
