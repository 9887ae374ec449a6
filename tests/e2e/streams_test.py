"""The streams beyond valid_tx, resume cursors and filters, against the real
evstream binary on 127.0.0.1 with Python's websockets as the client:
discovery of every stream, the BigchainDB 1.x dialect, the blocks stream,
?since= (and its 404 and 410 refusals), filters and their 400s.

Usage: python3 streams_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import secrets
import sys
import unittest
import urllib.request

import websockets

from harness import DEADLINE, Server, events_of, handshake, new_block

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"


def get_json(server, path):
    with urllib.request.urlopen(server.base_url + path, timeout=DEADLINE) as res:
        return json.load(res)


async def receive(ws, count):
    return [await asyncio.wait_for(ws.recv(), DEADLINE) for _ in range(count)]


async def subscribed(url):
    """A connection the server has subscribed: it answered a ping."""
    ws = await websockets.connect(url, open_timeout=DEADLINE)
    await ws.send("ping")
    assert await asyncio.wait_for(ws.recv(), DEADLINE) == "pong"
    return ws


class StreamsTest(unittest.TestCase):
    def serve(self, *args):
        server = Server(EVSTREAM, *args)
        self.addCleanup(server.stop)
        server.streams = f"ws://127.0.0.1:{server.port}/api/v1/streams/"
        return server

    def test_discovery_lists_every_stream_and_the_bigchaindb_entry_points(self):
        server = self.serve()
        root = get_json(server, "/")
        self.assertEqual(root["_links"]["streams_v1"], server.streams)
        self.assertEqual(root["streams"], {name: server.streams + name
                                           for name in ("valid_tx", "valid_transactions", "blocks")})
        self.assertEqual(root["api"]["v1"]["streams"], server.streams + "valid_transactions")
        self.assertEqual(get_json(server, "/api/v1/")["streams"], server.streams + "valid_transactions")
        self.assertEqual(get_json(server, "/api/v1/streams/")["streams"], root["streams"])

    def test_the_bigchaindb_dialect_and_the_blocks_stream(self):
        server = self.serve()
        blocks = [new_block(3), new_block(2)]

        async def scenario():
            dialect = await subscribed(server.streams + "valid_transactions")
            summaries = await subscribed(server.streams + "blocks")
            for block in blocks:
                server.post(block)
            got = [json.loads(m) for m in await receive(dialect, 5)]
            heights = [json.loads(m) for m in await receive(summaries, 2)]
            await dialect.close()
            await summaries.close()
            return got, heights
        got, heights = asyncio.run(scenario())
        expected = [json.loads(e) for block in blocks for e in events_of(block)]
        self.assertEqual(got, [{"transaction_id": e["txid"], "asset_id": e["assetid"], "block_id": e["blockid"]}
                               for e in expected])
        self.assertEqual(heights, [{"blockid": b["id"], "height": h, "timestamp": b["block"]["timestamp"],
                                    "transactions": len(b["block"]["transactions"])}
                                   for h, b in enumerate(blocks, start=1)])

    def test_resume_after_a_block_gets_the_rest_then_live_blocks_without_gap_or_repeat(self):
        server = self.serve()
        blocks = [new_block(2) for _ in range(4)]

        async def scenario():
            first = await subscribed(server.stream_url)
            server.post(blocks[0])
            before = await receive(first, 2)
            await first.close()
            server.post(blocks[1])
            server.post(blocks[2])
            resumed = await websockets.connect(f"{server.stream_url}?since={blocks[0]['id']}",
                                               open_timeout=DEADLINE)
            server.post(blocks[3])
            after = await receive(resumed, 6)
            await resumed.send("ping")
            pong = await asyncio.wait_for(resumed.recv(), DEADLINE)
            await resumed.close()
            return before, after, pong
        before, after, pong = asyncio.run(scenario())
        self.assertEqual(before + after, [e for b in blocks for e in events_of(b)])
        self.assertEqual(pong, "pong")  # nothing more than the six events came first

    def test_cursors_outside_the_window_get_410_naming_the_oldest_block_and_strangers_404(self):
        server = self.serve("--retain-blocks=2")
        blocks = [new_block(1) for _ in range(4)]
        for block in blocks:
            server.post(block)
        status, body = handshake(server, f"/api/v1/streams/valid_tx?since={blocks[0]['id']}")
        self.assertEqual(status, 410)
        self.assertEqual(body["oldest_available"], blocks[2]["id"])
        self.assertIn(blocks[0]["id"], body["error"])
        status, body = handshake(server, f"/api/v1/streams/blocks?since={secrets.token_hex(32)}")
        self.assertEqual(status, 404)
        self.assertIn("has not streamed block", body["error"])
        self.assertEqual(handshake(server, f"/api/v1/streams/valid_tx?since={blocks[1]['id']}")[0], 101)

    def test_filters_send_only_matching_transactions(self):
        server = self.serve()
        blocks = [new_block(3), new_block(2)]
        wanted_asset = blocks[1]["block"]["transactions"][0]["id"]

        async def scenario():
            creates = await subscribed(server.stream_url + "?operation=CREATE")
            one_asset = await subscribed(f"{server.stream_url}?asset_id={wanted_asset}")
            everything = await subscribed(server.stream_url)
            for block in blocks:
                server.post(block)
            got = (await receive(creates, 2), await receive(one_asset, 2), await receive(everything, 5))
            for ws in (creates, one_asset, everything):
                await ws.send("ping")
                self.assertEqual(await asyncio.wait_for(ws.recv(), DEADLINE), "pong")
                await ws.close()
            return got
        creates, one_asset, everything = asyncio.run(scenario())
        events = [e for b in blocks for e in events_of(b)]
        self.assertEqual(everything, events)
        self.assertEqual(creates, [events[0], events[3]])
        self.assertEqual(one_asset, events[3:5])

    def test_a_filter_that_picks_scattered_transactions_gets_each_once_in_order(self):
        # Every other transaction a CREATE: more separate runs of frames than
        # are written from the shared block, so the server joins them.
        server = self.serve()
        txs = []
        for i in range(24):
            create = secrets.token_hex(32)
            txs.append({"id": create, "operation": "CREATE", "asset": {"data": {"i": i}}} if i % 2 == 0 else
                       {"id": create, "operation": "TRANSFER", "asset": {"id": txs[-1]["id"]}})
        block = {"id": secrets.token_hex(32), "block": {"timestamp": "1", "transactions": txs}}

        async def scenario():
            creates = await subscribed(server.stream_url + "?operation=CREATE")
            transfers = await subscribed(server.stream_url + "?operation=TRANSFER")
            server.post(block)
            got = (await receive(creates, 12), await receive(transfers, 12))
            for ws in (creates, transfers):
                await ws.send("ping")
                self.assertEqual(await asyncio.wait_for(ws.recv(), DEADLINE), "pong")
                await ws.close()
            return got
        creates, transfers = asyncio.run(scenario())
        events = events_of(block)
        self.assertEqual(creates, events[0::2])
        self.assertEqual(transfers, events[1::2])

    def test_malformed_queries_are_refused_with_400_and_a_reason(self):
        server = self.serve()
        for target, reason in [("valid_tx?colour=red", 'unknown query parameter "colour"'),
                               ("valid_tx?asset_id=123", '"asset_id" must be an asset id'),
                               ("valid_tx?public_key=not+base58!", '"public_key" must be a base58 public key'),
                               ("blocks?operation=CREATE", "this stream takes since only"),
                               ("valid_tx?since=xyz", '"since" must be a block id')]:
            with self.subTest(target=target):
                status, body = handshake(server, "/api/v1/streams/" + target)
                self.assertEqual(status, 400)
                self.assertIn(reason, body["error"])


if __name__ == "__main__":
    unittest.main()
