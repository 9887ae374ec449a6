#include "bench/ws_frames.hpp"

#include <array>

namespace evstream::bench {

namespace {

// Any key will do (RFC 6455 5.3 asks clients for an unpredictable one to
// protect proxies; there is none on loopback).
constexpr std::array<std::uint8_t, 4> mask_key = {0x37, 0xfa, 0x21, 0x3d};

} // namespace

void append_server_frame(std::string& out, opcode code, std::string_view payload) {
  schema::append_server_frame_header(out, code, payload.size());
  out.append(payload);
}

std::string client_frame(opcode code, std::string_view payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(code)));
  frame.push_back(static_cast<char>(0x80 | (payload.size() & 0x7f)));
  for (auto byte : mask_key)
    frame.push_back(static_cast<char>(byte));
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask_key[i % 4]));
  return frame;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason);
  return payload;
}

std::size_t frame_reader::needed(const char* data, std::size_t available) {
  if (available < 2) return 2;
  const auto second = static_cast<std::uint8_t>(data[1]);
  const std::size_t short_length = second & 0x7f;
  const std::size_t header = 2
                             + (short_length == 126   ? 2
                                : short_length == 127 ? 8
                                                      : 0)
                             + ((second & 0x80) ? 4 : 0);
  if (available < header) return header;
  std::uint64_t length = short_length;
  if (short_length == 126) {
    length = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8)
             | static_cast<std::uint8_t>(data[3]);
  } else if (short_length == 127) {
    length = 0;
    for (int i = 2; i < 10; ++i)
      length = (length << 8) | static_cast<std::uint8_t>(data[i]);
    if (length > max_frame_bytes) return max_frame_bytes + 1;
  }
  return header + static_cast<std::size_t>(length);
}

} // namespace evstream::bench
