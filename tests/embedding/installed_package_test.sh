#!/usr/bin/env bash
# Installs evstream from the build tree into a temporary prefix, builds
# examples/embedded_node against that installed package alone, and runs it
# under embedded_node_check.py. The example takes the library's compiler and
# linker flags: a sanitizer build's library needs its runtime in the host too,
# and the build's prefix path: the tsan build's instrumented CAF is in /opt/caf-tsan.
# Usage: installed_package_test.sh BUILD_DIR SOURCE_DIR PYTHON [CXX_FLAGS [EXE_LINKER_FLAGS [PREFIX_PATH]]]
set -euo pipefail
build_dir=$1 source_dir=$2 python=$3 cxx_flags=${4:-} linker_flags=${5:-} prefix_path=${6:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > /dev/null
cmake -S "$source_dir/examples/embedded_node" -B "$work/node" -DCMAKE_PREFIX_PATH="$work/prefix${prefix_path:+;$prefix_path}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$linker_flags" > /dev/null
cmake --build "$work/node" -j2 > /dev/null
"$python" "$source_dir/tests/embedding/embedded_node_check.py" "$work/node/embedded_node"
