#include "ops/build_info.hpp"

// Generated at every build (cmake/build_info.cmake); only this unit includes
// it, so a new commit recompiles one file.
#include "evstream_build_info.hpp"

namespace evstream::ops {

std::string_view version() { return EVSTREAM_BUILD_VERSION; }
std::string_view commit() { return EVSTREAM_BUILD_COMMIT; }

} // namespace evstream::ops
