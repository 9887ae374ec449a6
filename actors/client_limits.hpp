// The limits a connection holds its client to, and the close each one ends
// in: a reader that leaves too many bytes unsent, or takes none for too long,
// is slow (1008); a message over the size limit is too big (1009). net/ applies them to
// sockets and the scenario simulator to its in-memory clients, so both close
// alike and with the same words.
#pragma once

#include "actors/transport.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace evstream {

struct client_close {
  close_code code;
  std::string reason;
  close_cause cause;
};

// The close a client earns with `unsent_bytes` queued for it, if any.
std::optional<client_close> check_send_budget(std::size_t unsent_bytes, std::size_t budget_bytes);

// The close a client earns by taking no byte of its queued output for
// `stalled_for`, if any.
std::optional<client_close> check_send_progress(caf::timespan stalled_for, caf::timespan limit);

// The close a client earns by sending a message of `message_bytes`, if any.
std::optional<client_close> check_message_size(std::size_t message_bytes, std::size_t limit_bytes);

// "8 MiB", "4 KiB", "1000 bytes": a size as a person reads it in a close reason.
std::string describe_bytes(std::size_t bytes);

// "180 s", "1.5 s", "250 ms": a duration as a person reads it in a close reason.
std::string describe_duration(caf::timespan duration);

} // namespace evstream
