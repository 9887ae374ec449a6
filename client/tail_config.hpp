// `evstream tail`'s options, on CAF's actor_system_config like the server's,
// and their translation into tail_options.
#pragma once

#include "client/tail.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include <optional>
#include <string>

namespace evstream::client {

class tail_config : public caf::actor_system_config {
public:
  tail_config();

  // The options as the connection loop takes them, with the URL left over
  // from the command line; or a message saying what is wrong.
  result<tail_options, std::string> to_tail_options() const;

  caf::timespan ping_interval = std::chrono::seconds(30);
  caf::timespan retry_delay = std::chrono::milliseconds(500);
  caf::timespan max_retry_delay = std::chrono::seconds(30);
  std::string ca_file;
};

} // namespace evstream::client
