// `evstream tail URL`: the command-line subscriber (see client/tail.hpp).
#pragma once

namespace evstream::client {

// argv[0] is "tail"; returns the process's exit code: 0 after SIGINT or
// SIGTERM, 2 for wrong arguments.
int run_tail(int argc, char** argv);

} // namespace evstream::client
