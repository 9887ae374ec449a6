// A toy host node with its own actor system: its "chain" actor validates a
// block of 3 transactions every 100 ms and publishes it to the embedded
// evstream. Usage: embedded_node [port]; serves until stdin closes.
#include <evstream/evstream.hpp>

#include <caf/all.hpp>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

using validate_atom = caf::atom_constant<caf::atom("validate")>;

// Stand-in for a real SHA3-256 digest: 64 hex digits naming `kind` and `n`.
std::string digest(unsigned kind, std::uint64_t n) {
  std::ostringstream out;
  out << std::hex << std::setfill('0') << std::setw(8) << kind << std::setw(56) << n;
  return out.str();
}

caf::behavior chain(caf::event_based_actor* self, caf::actor evstream_source) {
  self->send(self, validate_atom::value, std::uint64_t{0});
  return {[=](validate_atom, std::uint64_t height) {
    evstream::block validated{digest(0xb10c, height), std::to_string(1700000000 + height), {}};
    for (std::uint64_t i = 0; i < 3; ++i)
      validated.transactions.push_back({digest(0x7, 3 * height + i), digest(0xa55e7, height)});
    self->send(evstream_source, std::move(validated));
    self->delayed_send(self, std::chrono::milliseconds(100), validate_atom::value, height + 1);
  }};
}

int main(int argc, char** argv) {
  caf::actor_system_config host_config;
  caf::actor_system system{host_config};
  evstream::event_stream_options options;
  options.port = argc > 1 ? static_cast<std::uint16_t>(std::stoi(argv[1])) : 9984;
  evstream::event_stream stream{system, options};
  std::cout << "embedded_node: stream at ws://127.0.0.1:" << stream.port() << "/api/v1/streams/valid_tx"
            << std::endl;
  auto producer = system.spawn(chain, stream.block_source());
  while (std::getchar() != EOF) {
  }
  caf::anon_send_exit(producer, caf::exit_reason::user_shutdown);
  auto counts = stream.counters();
  std::cout << "embedded_node: published " << counts.blocks_published << " blocks" << std::endl;
  stream.stop();
}
