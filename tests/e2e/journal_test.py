"""The journal (--journal=PATH) against the real evstream binary on
127.0.0.1: every block acknowledged with 202 before a `kill -9` is streamed
after the restart to a subscriber resuming from the first, heights go on
where they stopped, and acknowledged blocks are still refused as duplicates.

Usage: python3 journal_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import os
import sys
import tempfile
import threading
import unittest

import websockets

from harness import DEADLINE, Server, events_of, new_block, post_status as post

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"


async def receive(url, count):
    async with websockets.connect(url, open_timeout=DEADLINE, max_size=None) as ws:
        return [await asyncio.wait_for(ws.recv(), DEADLINE) for _ in range(count)]


class JournalTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="evstream-journal-")
        self.addCleanup(self.dir.cleanup)
        self.journal = os.path.join(self.dir.name, "blocks.db")

    def serve(self, *args):
        server = Server(EVSTREAM, f"--journal={self.journal}", *args)
        self.addCleanup(server.stop)
        return server

    def test_every_acknowledged_block_survives_kill_9(self):
        server = self.serve()
        acknowledged = []
        first = new_block(2)
        self.assertEqual(post(server, first), 202)
        stop = threading.Event()

        def keep_posting():
            # Back to back until the server dies under it.
            while not stop.is_set():
                block = new_block(3)
                try:
                    status = post(server, block)
                except OSError:
                    return
                if status == 202:
                    acknowledged.append(block)

        poster = threading.Thread(target=keep_posting)
        poster.start()
        while len(acknowledged) < 20:
            poster.join(timeout=0.01)
        server.kill()  # SIGKILL, mid-stream
        stop.set()
        poster.join(timeout=DEADLINE)

        restarted = self.serve()
        expected = [e for block in acknowledged for e in events_of(block)]
        got = asyncio.run(receive(f"{restarted.stream_url}?since={first['id']}", len(expected)))
        # Blocks are posted one at a time, so only the last one can be in the
        # journal without its 202 having arrived; it would come after these.
        self.assertEqual(got, expected)
        self.assertEqual(post(restarted, acknowledged[5]), 409)

    def test_heights_go_on_and_old_cursors_stay_expired_after_a_restart(self):
        server = self.serve("--retain-blocks=2")
        blocks = [new_block(1) for _ in range(4)]
        for block in blocks:
            self.assertEqual(post(server, block), 202)
        server.kill()
        restarted = self.serve("--retain-blocks=2")
        summaries_url = f"ws://127.0.0.1:{restarted.port}/api/v1/streams/blocks?since={blocks[1]['id']}"
        later = new_block(1)

        async def scenario():
            async with websockets.connect(summaries_url, open_timeout=DEADLINE) as ws:
                backlog = [json.loads(await asyncio.wait_for(ws.recv(), DEADLINE)) for _ in range(2)]
                self.assertEqual(await asyncio.to_thread(post, restarted, later), 202)
                live = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
                return backlog, live
        backlog, live = asyncio.run(scenario())
        self.assertEqual([(b["blockid"], b["height"]) for b in backlog],
                         [(blocks[2]["id"], 3), (blocks[3]["id"], 4)])
        self.assertEqual((live["blockid"], live["height"]), (later["id"], 5))
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refused:
            asyncio.run(receive(f"{restarted.stream_url}?since={blocks[0]['id']}", 1))
        self.assertEqual(refused.exception.status_code, 410)


if __name__ == "__main__":
    unittest.main()
