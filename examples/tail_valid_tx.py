#!/usr/bin/python3
"""Prints a node's valid_tx events as JSON lines, pinging every 30 s as the
spec suggests. Run: /usr/bin/python3 examples/tail_valid_tx.py [http://127.0.0.1:9984]
(needs Debian's python3-websockets)."""
import asyncio
import json
import sys
import urllib.request

import websockets


async def keep_alive(ws):
    while True:
        await asyncio.sleep(30)
        await ws.send("ping")


async def tail(node):
    with urllib.request.urlopen(node + "/") as res:
        root = json.load(res)["_links"]["streams_v1"]
    async with websockets.connect(root + "valid_tx") as ws:
        pinger = asyncio.create_task(keep_alive(ws))
        try:
            async for message in ws:
                if message != "pong":
                    print(message, flush=True)
        finally:
            pinger.cancel()


if __name__ == "__main__":
    asyncio.run(tail(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9984"))
