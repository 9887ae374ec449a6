#!/usr/bin/python3
"""Prints a node's valid_tx events as JSON lines, one per event.

Run: /usr/bin/python3 examples/clients/tail_valid_tx.py [URL] [--ping-interval=30]
(needs Debian's python3-websockets). URL is a node (http://127.0.0.1:9984,
https://..., or just HOST:PORT), whose discovery names the stream (GET / ->
_links.streams_v1 + "valid_tx"), or the stream itself (ws://..., wss://...).
It sends "ping" at once and every 30 s as the spec suggests, never prints
"pong", and reconnects with exponential backoff (0.5 s doubling to 30 s) when
the connection fails or ends. A refusal that asking again cannot change (a
4xx answer, a discovery that names no stream) exits 1 with the reason.
Connects and disconnects are logged on stderr; SIGINT or SIGTERM close the
stream with 1000.
"""
import argparse
import asyncio
import json
import signal
import sys
import urllib.error
import urllib.request

import websockets


def log(text):
    print("tail_valid_tx:", text, file=sys.stderr, flush=True)


class Refused(Exception):
    """What asking again cannot change: the request itself is wrong."""


def permanent(status):
    return 400 <= status < 500 and status not in (408, 429)


def with_scheme(url):
    """HOST:PORT alone names a node."""
    return url if "://" in url else "http://" + url


def discover(node):
    if node.startswith(("ws://", "wss://")):
        return node
    try:
        with urllib.request.urlopen(node.rstrip("/") + "/", timeout=10) as res:
            document = json.load(res)
    except urllib.error.HTTPError as error:
        if permanent(error.code):
            raise Refused(f"discovery at {node} answered {error.code}") from error
        raise
    try:
        return document["_links"]["streams_v1"] + "valid_tx"
    except (KeyError, TypeError) as error:
        raise Refused(f"discovery at {node} names no _links.streams_v1 string") from error


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
        except websockets.InvalidStatusCode as error:
            if permanent(error.status_code):
                raise Refused(f"cannot subscribe at {stream}: HTTP {error.status_code}") from error
            log(f"cannot subscribe at {stream}: HTTP {error.status_code}; retrying in {delay:g} s")
        except (OSError, ValueError, asyncio.TimeoutError, websockets.WebSocketException) as error:
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
    except Refused as refused:
        log(f"{refused}; giving up")
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Print a node's valid_tx events as JSON lines.")
    parser.add_argument("node", nargs="?", default="http://127.0.0.1:9984", type=with_scheme,
                        help="the node's base URL (or HOST:PORT), or the stream's ws:// or wss:// URL")
    parser.add_argument("--ping-interval", type=float, default=30, help="seconds between pings (default 30)")
    parser.add_argument("--max-retry-delay", type=float, default=30,
                        help="longest wait between reconnects, in seconds (default 30)")
    sys.exit(asyncio.run(main(parser.parse_args())))
