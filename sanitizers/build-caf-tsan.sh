#!/bin/sh
# Builds CAF 0.17.6 with -fsanitize=thread into /opt/caf-tsan for the tsan preset.
#
# Why: Debian's libcaf_core/libcaf_io are not instrumented. ThreadSanitizer only
# sees the synchronisation of code compiled with -fsanitize=thread, so every
# message that CAF's lock-free mailboxes and scheduler queues hand from one
# thread to another looked like a data race (thousands of false reports). The
# same CAF, the same Debian source, built with the same compiler as the preset
# (g++) and instrumented, makes TSan's reports mean something again.
#
# Idempotent: fetches the source once, then reconfigures, rebuilds what changed
# and reinstalls. At nice 19 with -j2, so that other builds keep priority.
#
#   sanitizers/build-caf-tsan.sh            # about 7 minutes the first time (2 cores)
#   PREFIX=/somewhere sanitizers/build-caf-tsan.sh
set -eu

PREFIX=${PREFIX:-/opt/caf-tsan}
SRC_ROOT=${SRC_ROOT:-/opt/src/caf}
JOBS=${JOBS:-2}
CXX=${CXX:-g++}                 # the tsan preset's compiler: one TSan runtime
SRC_PKG=actor-framework         # Debian's source package of libcaf-dev
DEB_VERSION=0.17.6-2.1          # the version of Debian 12's libcaf-dev
SRC_DIR=$SRC_ROOT/actor-framework-0.17.6
BUILD_DIR=$SRC_ROOT/build-tsan

# Debian's source, with Debian's patches applied (apt-get source runs dpkg-source -x).
fetch_source() {
  if [ ! -e /etc/apt/sources.list.d/debian-src.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/debian-src.sources
    apt-get update
  fi
  command -v dpkg-source >/dev/null || apt-get install -y dpkg-dev
  mkdir -p "$SRC_ROOT"
  cd "$SRC_ROOT"
  if apt-get source "$SRC_PKG=$DEB_VERSION"; then
    return
  fi
  # The mirror has answered 404 for actor-framework_0.17.6-2.1.debian.tar.xz
  # (the Debian patches) while serving the .dsc and the upstream tarball. Fall
  # back to the upstream tarball, checked against the signed .dsc, plus the one
  # Debian change that our headers see (the installed receive_buffer.hpp has it).
  echo "build-caf-tsan.sh: Debian's patch tarball is unavailable; using the upstream tarball" >&2
  orig=actor-framework_0.17.6.orig.tar.gz
  expected=$(awk -v f="$orig" '/^Checksums-Sha256:/ {s=1; next} /^[^ ]/ {s=0} s && $3 == f {print $1}' \
    "${SRC_PKG}_${DEB_VERSION}.dsc")
  echo "$expected  $orig" | sha256sum -c -
  tar xzf "$orig"
  sed -i 's|^#include <cstring>$|#include <cstring>\n#include <limits>|' \
    "$SRC_DIR/libcaf_io/caf/io/network/receive_buffer.hpp"
  grep -q '#include <limits>' "$SRC_DIR/libcaf_io/caf/io/network/receive_buffer.hpp"
}

[ -d "$SRC_DIR" ] || fetch_source

# Debian's configuration (build_config.hpp: log level QUIET, CAF's memory
# management on, no runtime checks) so that our code sees the same headers;
# only core and io, C++14 as Debian builds it.
tsan_flags="-std=c++14 -fsanitize=thread -g -O1 -fno-omit-frame-pointer"
cmake -S "$SRC_DIR" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="$tsan_flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" \
  -DCMAKE_INSTALL_LIBDIR=lib \
  -DCMAKE_INSTALL_RPATH="$PREFIX/lib" \
  -DCAF_LOG_LEVEL=QUIET \
  -DCAF_NO_EXAMPLES=ON -DCAF_NO_TOOLS=ON -DCAF_NO_UNIT_TESTS=ON \
  -DCAF_NO_OPENCL=ON -DCAF_NO_PYTHON=ON \
  -DCAF_NO_SUMMARY=ON
nice -n 19 cmake --build "$BUILD_DIR" -j "$JOBS"
cmake --install "$BUILD_DIR"
echo "build-caf-tsan.sh: instrumented CAF in $PREFIX"
