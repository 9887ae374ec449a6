// Server frame headers as RFC 6455 section 5.2 lays them out: FIN and the
// opcode, no mask, and the payload length in its shortest form.
#include "schema/ws_frame.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace evstream::schema;

namespace {

std::string header_of(ws_opcode code, std::size_t payload_bytes) {
  std::string out;
  append_server_frame_header(out, code, payload_bytes);
  return out;
}

} // namespace

TEST_CASE("up to 125 bytes, the length fits in the second byte") {
  CHECK(header_of(ws_opcode::text, 0) == std::string{"\x81\x00", 2});
  CHECK(header_of(ws_opcode::text, 125) == std::string{"\x81\x7d", 2});
  CHECK(header_of(ws_opcode::close, 2) == std::string{"\x88\x02", 2});
  CHECK(header_of(ws_opcode::pong, 4) == std::string{"\x8a\x04", 2});
}

TEST_CASE("from 126 to 65535 bytes, 126 and a 16-bit length follow") {
  CHECK(header_of(ws_opcode::text, 126) == std::string{"\x81\x7e\x00\x7e", 4});
  CHECK(header_of(ws_opcode::text, 65535) == std::string{"\x81\x7e\xff\xff", 4});
}

TEST_CASE("from 65536 bytes, 127 and a 64-bit length follow") {
  CHECK(header_of(ws_opcode::text, 65536) == std::string{"\x81\x7f\0\0\0\0\0\x01\0\0", 10});
  CHECK(header_of(ws_opcode::binary, 0x0102030405ull)
        == std::string{"\x82\x7f\0\0\0\x01\x02\x03\x04\x05", 10});
  CHECK(header_of(ws_opcode::text, 65536).size() == max_server_frame_header_bytes);
}

TEST_CASE("the header is appended after what is already there") {
  std::string out = "before";
  append_server_frame_header(out, ws_opcode::text, 3);
  CHECK(out == std::string{"before\x81\x03", 8});
}
