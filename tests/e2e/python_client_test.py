"""The evstream binary, driven by an independent client (Python's websockets)
over real sockets on 127.0.0.1: discovery, ping/pong, blocks in order, the
keep-alive close, and SIGTERM closing clients with 1001.

Usage: python3 python_client_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import signal
import subprocess
import sys
import unittest
import urllib.request

import websockets

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
DEADLINE = 10  # seconds any single wait may take


class Server:
    """Runs evstream on a free port and reads the port it announces."""

    def __init__(self, *args):
        self.process = subprocess.Popen(
            [EVSTREAM, "--port=0", *args],
            stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if "listening on http://127.0.0.1:" not in line:
            raise RuntimeError("evstream did not start: " + line)
        self.port = int(line.split("http://127.0.0.1:")[1].split()[0])
        self.stream_url = f"ws://127.0.0.1:{self.port}/api/v1/streams/valid_tx"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=DEADLINE)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            pipe.close()
        return code


class EvstreamTest(unittest.TestCase):
    def serve(self, *args):
        server = Server(*args)
        self.addCleanup(server.stop)
        return server

    def test_discovery_names_the_stream_root(self):
        server = self.serve("--source=ingest")
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=DEADLINE) as res:
            body = json.load(res)
        self.assertEqual(body["_links"]["streams_v1"], f"ws://127.0.0.1:{server.port}/api/v1/streams/")

    def test_demo_blocks_stream_in_order_and_ping_gets_pong(self):
        server = self.serve("--demo-rate=20", "--demo-block-size=5")

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE) as ws:
                await ws.send("ping")
                self.assertEqual(await asyncio.wait_for(ws.recv(), DEADLINE), "pong")
                events = [json.loads(await asyncio.wait_for(ws.recv(), DEADLINE)) for _ in range(15)]
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
        server = self.serve("--source=stdin")

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
            self.assertIn("stdin line 1: malformed JSON", server.process.stderr.readline())
        asyncio.run(scenario())

    def test_a_silent_client_is_closed_after_the_keepalive_timeout(self):
        server = self.serve("--source=ingest", "--keepalive-timeout=1s")

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE, ping_interval=None) as ws:
                with self.assertRaises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), DEADLINE)
                self.assertEqual(closed.exception.rcvd.code, 1008)
                self.assertEqual(closed.exception.rcvd.reason, "no ping for 1 s")
        asyncio.run(scenario())

    def test_rfc6455_ping_frames_keep_a_client_alive(self):
        server = self.serve("--source=ingest", "--keepalive-timeout=2s")

        async def scenario():
            async with websockets.connect(server.stream_url, open_timeout=DEADLINE, ping_interval=0.5) as ws:
                # Three timeouts' worth of time, kept alive by ping frames only.
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(ws.recv(), 6)
                self.assertTrue(ws.open)
        asyncio.run(scenario())

    def test_sigterm_closes_clients_with_1001_and_exits_0(self):
        server = self.serve("--source=ingest")

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
