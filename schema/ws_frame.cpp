#include "schema/ws_frame.hpp"

namespace evstream::schema {

void append_server_frame_header(std::string& out, ws_opcode code, std::size_t payload_bytes) {
  constexpr std::uint8_t fin = 0x80;
  out.push_back(static_cast<char>(fin | static_cast<std::uint8_t>(code)));
  // The length in its shortest form: 7 bits, else 126 and 16 bits, else 127
  // and 64 bits, in network byte order.
  if (payload_bytes < 126) {
    out.push_back(static_cast<char>(payload_bytes));
    return;
  }
  const int length_bytes = payload_bytes <= 0xffff ? 2 : 8;
  out.push_back(static_cast<char>(length_bytes == 2 ? 126 : 127));
  for (int shift = 8 * (length_bytes - 1); shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(payload_bytes) >> shift) & 0xff));
}

} // namespace evstream::schema
