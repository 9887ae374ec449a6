// `evstream tail`'s options (cli/options, as the server's), and their
// translation into tail_options.
#pragma once

#include "cli/options.hpp"
#include "client/tail.hpp"

#include <string>
#include <vector>

namespace evstream::client {

struct tail_settings {
  caf::timespan ping_interval = std::chrono::seconds(30);
  caf::timespan retry_delay = std::chrono::milliseconds(500);
  caf::timespan max_retry_delay = std::chrono::seconds(30);
  std::string ca_file;
};

// Every option, bound to `values`; `values` must outlive the table.
cli::option_table options_of(tail_settings& values);

// The options as the connection loop takes them, with the URL (the one word
// of the command line); or a sentence saying what is wrong.
result<tail_options, std::string> to_tail_options(const tail_settings& values,
                                                  const std::vector<std::string>& words);

} // namespace evstream::client
