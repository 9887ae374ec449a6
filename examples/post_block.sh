#!/usr/bin/env bash
# Posts one block to a node started with --source=ingest and prints the answer.
# Run: examples/post_block.sh [http://127.0.0.1:9984]
set -euo pipefail
node=${1:-http://127.0.0.1:9984}
tx=$(printf 'example transaction' | sha256sum | cut -c1-64)
block=$(printf 'example block' | sha256sum | cut -c1-64)
curl -sS -X POST "$node/api/v1/blocks" -H 'Content-Type: application/json' --data @- <<JSON
{"id": "$block",
 "block": {"timestamp": "1500000000",
           "transactions": [{"id": "$tx", "operation": "CREATE", "asset": {"data": {"note": "hello"}}}]},
 "signature": null}
JSON
echo
