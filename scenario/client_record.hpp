// What one scenario client has seen of the service: the messages it read, in
// order, and how its connection ended. Both stages fill it alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace evstream::scenario {

struct client_end {
  // The server's close code; 0 when the connection ended without a close
  // frame (cut by the client itself, reset, or a failure).
  std::uint16_t code = 0;
  std::string reason;
};

struct client_record {
  // Every message other than "pong", in the order read.
  std::vector<std::string> events;
  std::size_t pongs = 0;
  std::optional<client_end> ended;

  void add_message(std::string text) {
    if (text == "pong")
      ++pongs;
    else
      events.push_back(std::move(text));
  }
};

} // namespace evstream::scenario
