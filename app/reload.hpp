// SIGHUP: evstream's options read again (the same command line and
// environment, the files as they are now), and what may change without a
// restart swapped into the running service: the TLS certificate and key
// (read again from their files), the ingest token (and its file) and the log
// level. Subscribers stay connected. One log line says what changed, which
// other changed options wait for a restart, or why nothing changed.
#pragma once

#include "app/config.hpp"
#include "app/service.hpp"

#include <string>
#include <vector>

namespace evstream {

void reload(service& running, const std::vector<std::string>& args, const settings& at_start);

} // namespace evstream
