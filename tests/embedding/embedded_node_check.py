"""Runs examples/embedded_node (built against the installed evstream package)
and checks, as a subscriber over 127.0.0.1, that the blocks its chain actor
publishes arrive as valid_tx events, complete and in order; then closes its
stdin and expects a clean exit.

Usage: python3 embedded_node_check.py PATH_TO_EMBEDDED_NODE
"""
import asyncio
import json
import subprocess
import sys

import websockets

DEADLINE = 10  # seconds any single wait may take


def digest(kind, n):
    return f"{kind:08x}{n:056x}"


async def first_events(url, count):
    async with websockets.connect(url) as ws:
        await ws.send("ping")
        events = []
        while len(events) < count:
            message = await asyncio.wait_for(ws.recv(), DEADLINE)
            if message != "pong":
                events.append(json.loads(message))
        return events


def main():
    node = subprocess.Popen([sys.argv[1], "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        banner = node.stdout.readline()
        url = banner.split("stream at ")[1].strip()
        events = asyncio.run(first_events(url, 9))
    finally:
        node.stdin.close()
    assert node.wait(timeout=DEADLINE) == 0, "embedded_node did not exit cleanly"
    summary = node.stdout.read()
    assert "published" in summary, summary

    # Events start at a block boundary after the subscriber joined, then
    # follow the chain block by block, three transactions each.
    first_height = int(events[0]["blockid"][8:], 16)
    for k, event in enumerate(events):
        height = first_height + k // 3
        assert event == {
            "txid": digest(0x7, 3 * height + k % 3),
            "assetid": digest(0xA55E7, height),
            "blockid": digest(0xB10C, height),
        }, (k, event)
    print(f"ok: 9 events of blocks {first_height}..{first_height + 2}, {summary.strip()}")


main()
