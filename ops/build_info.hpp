// What this build is: the project's version, and the git commit it was built
// from ("unknown" outside a git checkout, "-modified" with uncommitted
// changes). For --version, the Server header, the startup log line and
// evstream_build_info.
#pragma once

#include <string_view>

namespace evstream::ops {

std::string_view version();
std::string_view commit();

} // namespace evstream::ops
