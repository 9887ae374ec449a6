// The one unit of the targets that only host a precompiled header or gather
// static archives into a shared library: CMake needs a source for each.
