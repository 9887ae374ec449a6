// `evstream scenario [options] FILE…`: plays scenario files in virtual time,
// or with --live against a running server, and prints their transcripts.
// Exit code 0 when every scenario passed, 1 when one failed, 2 when the
// command line or a file is wrong.
#pragma once

namespace evstream::scenario {

int scenario_command(int argc, char** argv);

} // namespace evstream::scenario
