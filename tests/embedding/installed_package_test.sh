#!/usr/bin/env bash
# Installs evstream from the build tree into a temporary prefix, builds
# examples/embedded_node against that installed package alone, and runs it
# under embedded_node_check.py.
# Usage: installed_package_test.sh BUILD_DIR SOURCE_DIR PYTHON
set -euo pipefail
build_dir=$1 source_dir=$2 python=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > /dev/null
cmake -S "$source_dir/examples/embedded_node" -B "$work/node" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$work/node" -j2 > /dev/null
"$python" "$source_dir/tests/embedding/embedded_node_check.py" "$work/node/embedded_node"
