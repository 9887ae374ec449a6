"""The evstream binary, driven by an independent client (Python's websockets)
over real sockets on 127.0.0.1: discovery, ping/pong, blocks in order, the
keep-alive close, and SIGTERM closing clients with 1001.

Usage: python3 python_client_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import signal
import sys
import unittest
import urllib.request

import websockets

from harness import Server

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
DEADLINE = 10  # seconds any single wait may take


class EvstreamTest(unittest.TestCase):
    def serve(self, *args, source="ingest"):
        server = Server(EVSTREAM, *args, source=source)
        self.addCleanup(server.stop)
        return server

    def test_discovery_names_the_stream_root(self):
        server = self.serve()
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=DEADLINE) as res:
            body = json.load(res)
        self.assertEqual(body["_links"]["streams_v1"], f"ws://127.0.0.1:{server.port}/api/v1/streams/")

    def test_demo_blocks_stream_in_order_and_ping_gets_pong(self):
        server = self.serve("--demo-rate=20", "--demo-block-size=5", source="demo")

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE) as ws:
                await ws.send("ping")
                # The session subscribes before it reads the ping, so a demo
                # block (20 a second here) may come first.
                events = []
                while (message := await asyncio.wait_for(ws.recv(), DEADLINE)) != "pong":
                    events.append(json.loads(message))
                while len(events) < 15:
                    events.append(json.loads(await asyncio.wait_for(ws.recv(), DEADLINE)))
            for event in events:
                self.assertEqual(set(event), {"txid", "assetid", "blockid"})
                for value in event.values():
                    self.assertRegex(value, r"^[0-9a-f]{64}$")
            blocks = [e["blockid"] for e in events]
            # Each block's events arrive together: a block id never comes back.
            seen = []
            for block in blocks:
                if not seen or seen[-1] != block:
                    self.assertNotIn(block, seen)
                    seen.append(block)
        asyncio.run(scenario())

    def test_stdin_lines_stream_and_bad_lines_are_skipped(self):
        server = self.serve(source="stdin")

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE) as ws:
                await ws.send("ping")
                await asyncio.wait_for(ws.recv(), DEADLINE)
                tx = "a" * 64
                block = {"id": "b" * 64, "block": {"timestamp": "1", "transactions": [
                    {"id": tx, "operation": "CREATE", "asset": {"data": {}}}]}}
                server.process.stdin.write("not json\n" + json.dumps(block) + "\n")
                server.process.stdin.flush()
                event = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
                self.assertEqual(event, {"txid": tx, "assetid": tx, "blockid": "b" * 64})
            logged = server.wait_for_event("ingest_error")
            self.assertEqual((logged["source"], logged["line"], logged["reason"]), ("stdin", 1, "invalid"))
            self.assertIn("malformed JSON", logged["error"])
        asyncio.run(scenario())

    def test_a_silent_client_is_closed_after_the_keepalive_timeout(self):
        server = self.serve("--keepalive-timeout=1s")

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE, ping_interval=None) as ws:
                with self.assertRaises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), DEADLINE)
                self.assertEqual(closed.exception.rcvd.code, 1008)
                self.assertEqual(closed.exception.rcvd.reason, "no ping for 1 s")
        asyncio.run(scenario())

    def test_rfc6455_ping_frames_keep_a_client_alive(self):
        server = self.serve("--keepalive-timeout=2s")

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE, ping_interval=0.5) as ws:
                # Three timeouts' worth of time, kept alive by ping frames only.
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(ws.recv(), 6)
                self.assertTrue(ws.open)
        asyncio.run(scenario())

    def test_sigterm_closes_clients_with_1001_and_exits_0(self):
        server = self.serve()

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE) as ws:
                await ws.send("ping")
                await asyncio.wait_for(ws.recv(), DEADLINE)
                server.process.send_signal(signal.SIGTERM)
                with self.assertRaises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), DEADLINE)
                self.assertEqual(closed.exception.rcvd.code, 1001)
        asyncio.run(scenario())
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
