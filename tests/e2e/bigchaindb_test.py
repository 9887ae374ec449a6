"""evstream in front of a BigchainDB 2.x node (--source=bigchaindb), against
the stand-in node of bigchaindb_node.py on 127.0.0.1: every height streamed
once and in order across node outages and evstream restarts, the 2.x
messages byte for byte as BigchainDB 2.2.2's eventify_block and json.dumps
write them, a discovery document like 2.2.2's, and no start without
Tendermint's RPC.

Usage: python3 bigchaindb_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import websockets

from bigchaindb_node import BigchainNode
from harness import DEADLINE, Server

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"


def eventify_block(height, transactions):
    """BigchainDB 2.2.2's messages for a block (websocket_server.py:
    eventify_block, each serialized by json.dumps)."""
    messages = []
    for tx in transactions:
        asset_id = tx["asset"].get("id", tx["id"]) if tx["asset"] else tx["id"]
        messages.append(json.dumps({"height": height, "asset_id": asset_id, "transaction_id": tx["id"]}))
    return messages


def get(url):
    """(status, JSON body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=DEADLINE) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_until(condition, what):
    """Polls `condition` (each call a real request, no fixed sleep as the
    answer) until it holds, within DEADLINE."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE} s: {what}")
        time.sleep(0.05)


# One event loop for every subscriber: the tests read them in turn.
LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)


class Stream:
    """A WebSocket subscriber, read message by message."""

    def __init__(self, url):
        self.loop = LOOP
        self.ws = self.loop.run_until_complete(websockets.connect(url, open_timeout=DEADLINE, max_size=None))

    def next(self):
        return self.loop.run_until_complete(asyncio.wait_for(self.ws.recv(), DEADLINE))

    def take(self, count):
        return [self.next() for _ in range(count)]

    def close(self):
        self.loop.run_until_complete(self.ws.close())


class BigchainDBSourceTest(unittest.TestCase):
    def setUp(self):
        self.node = BigchainNode()
        self.addCleanup(self.node.close)

    def serve(self, *args, node=None):
        node = node or self.node
        server = Server(EVSTREAM, f"--bigchaindb-url={node.url}", f"--tendermint-url={node.tendermint_url}",
                        "--bigchaindb-poll=50ms", *args, source="bigchaindb")
        self.addCleanup(server.stop)
        return server

    def subscribe(self, server, stream, query=""):
        subscriber = Stream(f"ws://127.0.0.1:{server.port}/api/v1/streams/{stream}{query}")
        self.addCleanup(subscriber.close)
        return subscriber

    def streamed_up_to(self, server, height):
        wait_until(lambda: get(server.base_url + "/readyz")[1].get("next_height") == height + 1,
                   f"heights up to {height} streamed")

    def test_messages_are_bigchaindb_2_2_2s_byte_for_byte(self):
        self.node.add(4)
        self.node.add([])  # a height without transactions: no events
        self.node.add(7)  # with an election and its VOTE, whose asset is the election
        self.assertIn("VOTE", [tx["operation"] for tx in self.node.chain.block(3)])
        server = self.serve("--bigchaindb-from=1")
        self.streamed_up_to(server, 3)
        stream = self.subscribe(server, "valid_transactions", f"?since={self.node.chain.hash(1).lower()}")
        expected = eventify_block(2, self.node.chain.block(2)) + eventify_block(3, self.node.chain.block(3))
        self.assertEqual(stream.take(len(expected)), expected)

    def test_the_spec_stream_is_unchanged_and_block_ids_are_tendermints(self):
        for version in ("0.31", "0.33"):
            with self.subTest(tendermint=version):
                node = BigchainNode(tendermint_version=version)
                self.addCleanup(node.close)
                node.add(2)
                first = node.add(1)
                server = self.serve(node=node)  # --bigchaindb-from=latest: height 2 first
                self.streamed_up_to(server, first)
                later = node.add(3)
                since = f"?since={node.chain.hash(first).lower()}"
                summary = json.loads(self.subscribe(server, "blocks", since).next())
                self.assertEqual((summary["height"], summary["blockid"]), (later, node.chain.hash(later).lower()))
                events = [json.loads(m) for m in self.subscribe(server, "valid_tx", since).take(3)]
                self.assertEqual(events, [{"txid": tx["id"], "assetid": tx["asset"].get("id", tx["id"]),
                                           "blockid": summary["blockid"]} for tx in node.chain.block(later)])
                # Height 1, before --bigchaindb-from=latest, was never streamed.
                self.assertEqual(server.wait_for_event("following_bigchaindb")["from_height"], first)

    def test_every_height_once_and_in_order_across_outages_and_restarts(self):
        journal = os.path.join(tempfile.mkdtemp(prefix="evstream-bigchaindb-"), "blocks.db")
        for transactions in (2, 0, 3):
            self.node.add(transactions)
        server = self.serve("--bigchaindb-from=1", f"--journal={journal}")
        self.streamed_up_to(server, 3)
        heights = []
        blocks = self.subscribe(server, "blocks", f"?since={self.node.chain.hash(1).lower()}")
        heights += [json.loads(blocks.next())["height"] for _ in range(2)]

        # The node goes away: not ready, and the stream stays open.
        self.node.outage()
        wait_until(lambda: get(server.base_url + "/readyz")[0] == 503, "/readyz 503 while the node is away")
        self.assertEqual(get(server.base_url + "/readyz")[1]["node"], self.node.url)
        for transactions in (1, 0, 2):
            self.node.add(transactions)
        self.node.restore()
        wait_until(lambda: get(server.base_url + "/readyz")[0] == 200, "/readyz 200 once the node is back")
        heights += [json.loads(blocks.next())["height"] for _ in range(3)]
        self.assertTrue(any(json.loads(line).get("event") == "bigchaindb_unreachable"
                            for line in server.log if line.startswith("{")))

        # evstream killed; heights come meanwhile; it goes on after its journal's last.
        last_id = self.node.chain.hash(heights[-1]).lower()
        server.kill()
        for transactions in (2, 2):
            self.node.add(transactions)
        restarted = self.serve("--bigchaindb-from=1", f"--journal={journal}")
        resumed = self.subscribe(restarted, "blocks", f"?since={last_id}")
        heights += [json.loads(resumed.next())["height"] for _ in range(2)]
        self.assertEqual(heights, list(range(2, 9)))
        # No height twice: the journal's first block, asked for again, is a repeat.
        self.assertEqual(restarted.wait_for_event("following_bigchaindb")["from_height"], 7)

    def test_discovery_is_like_bigchaindb_2_2_2s(self):
        server = self.serve()
        stream = f"ws://127.0.0.1:{server.port}/api/v1/streams/valid_transactions"
        self.assertEqual(get(server.base_url + "/api/v1/")[1]["streams"], stream)
        root = get(server.base_url + "/")[1]
        self.assertEqual(root["api"]["v1"]["streams"], stream)
        self.assertEqual(root["software"], "evstream")
        # wsserver.advertised_scheme/host/port become --advertised-url; the port is written out.
        advertised = self.serve("--advertised-url=wss://node.example.com")
        self.assertEqual(get(advertised.base_url + "/api/v1/")[1]["streams"],
                         "wss://node.example.com:443/api/v1/streams/valid_transactions")

    def test_refuses_to_start_without_tendermints_rpc(self):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        run = subprocess.run([EVSTREAM, "--port=0", "--source=bigchaindb", f"--bigchaindb-url={self.node.url}",
                              f"--tendermint-url=http://127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=DEADLINE)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("--tendermint-url", run.stderr)
        self.assertIn("does not answer", run.stderr)
        self.assertNotIn("listening", run.stderr)


if __name__ == "__main__":
    unittest.main()
