#!/usr/bin/python3
"""Prints a node's valid_tx events as JSON lines, one per event.

Run: /usr/bin/python3 examples/clients/tail_valid_tx.py [http://127.0.0.1:9984] [--ping-interval=30]
(needs Debian's python3-websockets). It finds the stream through the node's
discovery (GET / -> _links.streams_v1 + "valid_tx"), sends "ping" at once and
every 30 s as the spec suggests, never prints "pong", and reconnects with
exponential backoff (0.5 s doubling to 30 s) when the connection fails or
ends. Connects and disconnects are logged on stderr; SIGINT or SIGTERM close
the stream with 1000.
"""
import argparse
import asyncio
import json
import signal
import sys
import urllib.request

import websockets


def log(text):
    print("tail_valid_tx:", text, file=sys.stderr, flush=True)


def discover(node):
    with urllib.request.urlopen(node.rstrip("/") + "/", timeout=10) as res:
        return json.load(res)["_links"]["streams_v1"] + "valid_tx"


async def keep_alive(ws, interval):
    while True:
        await ws.send("ping")
        await asyncio.sleep(interval)


async def print_events(ws):
    subscribed = False
    async for message in ws:
        if message != "pong":
            print(message, flush=True)
        elif not subscribed:
            subscribed = True
            log("subscribed (the server answered ping)")


async def tail(node, ping_interval, max_retry_delay):
    first_delay = 0.5
    delay = first_delay
    while True:
        try:
            stream = await asyncio.to_thread(discover, node)
            # The text ping is the keep-alive the spec asks for; no ping frames.
            async with websockets.connect(stream, ping_interval=None, open_timeout=10) as ws:
                log(f"connected to {stream}")
                delay = first_delay
                pinger = asyncio.create_task(keep_alive(ws, ping_interval))
                try:
                    await print_events(ws)
                except websockets.ConnectionClosed:
                    pass  # reported below, with the close frame if one came
                finally:
                    pinger.cancel()
                close = ws.close_rcvd
                what = f"close {close.code} \"{close.reason}\"" if close else "connection lost"
                log(f"disconnected from {stream}: {what}; retrying in {delay:g} s")
        except (OSError, ValueError, KeyError, asyncio.TimeoutError, websockets.WebSocketException) as error:
            log(f"cannot reach {node}: {error}; retrying in {delay:g} s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_retry_delay)


async def main(arguments):
    task = asyncio.create_task(tail(arguments.node, arguments.ping_interval, arguments.max_retry_delay))
    for stop in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(stop, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass  # leaving `async with` above closed the stream with 1000


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Print a node's valid_tx events as JSON lines.")
    parser.add_argument("node", nargs="?", default="http://127.0.0.1:9984", help="the node's base URL")
    parser.add_argument("--ping-interval", type=float, default=30, help="seconds between pings (default 30)")
    parser.add_argument("--max-retry-delay", type=float, default=30,
                        help="longest wait between reconnects, in seconds (default 30)")
    asyncio.run(main(parser.parse_args()))
