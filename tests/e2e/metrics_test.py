"""GET /metrics against the real evstream binary on 127.0.0.1: subscribers by
stream, events sent, blocks ingested, ingest errors and WebSocket closes by
reason, the dispatch latency histogram — and the whole text passes
`promtool check metrics` (Debian's prometheus package; scripts/install-deps
installs it, and without it the test is skipped with 77).

Usage: python3 metrics_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import websockets

from harness import DEADLINE, Server, new_block, scrape

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
PROMTOOL = shutil.which("promtool")


def scrape_until(server, wanted):
    """Scrapes until every series in `wanted` has its value; returns the last scrape."""
    deadline = time.monotonic() + DEADLINE
    while True:
        text, samples = scrape(server)
        if all(samples.get(series) == value for series, value in wanted.items()):
            return text, samples
        if time.monotonic() > deadline:
            raise AssertionError("never saw " + repr({s: (v, samples.get(s)) for s, v in wanted.items()}))
        time.sleep(0.05)


def post_status(server, body):
    request = urllib.request.Request(server.base_url + "/api/v1/blocks", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as res:
            return res.status
    except urllib.error.HTTPError as error:
        return error.code


async def subscribed(url, **options):
    """A connection the server has subscribed: it answered a ping."""
    ws = await websockets.connect(url, open_timeout=DEADLINE, **options)
    await ws.send("ping")
    assert await asyncio.wait_for(ws.recv(), DEADLINE) == "pong"
    return ws


class MetricsTest(unittest.TestCase):
    def test_metrics_count_what_happened_and_promtool_accepts_them(self):
        server = Server(EVSTREAM, "--keepalive-timeout=2s", "--max-body-bytes=4000")
        self.addCleanup(server.stop)
        streams = f"ws://127.0.0.1:{server.port}/api/v1/streams/"
        blocks = [new_block(3), new_block(3)]

        async def scenario():
            # Kept alive by the client library's ping frames; the other is silent.
            summaries = await subscribed(streams + "blocks", ping_interval=0.2)
            silent = await subscribed(streams + "valid_tx", ping_interval=None)
            for block in blocks:
                server.post(block)
            self.assertEqual(len([await asyncio.wait_for(summaries.recv(), DEADLINE) for _ in blocks]), 2)
            self.assertEqual(len([await asyncio.wait_for(silent.recv(), DEADLINE) for _ in range(6)]), 6)
            self.assertEqual(post_status(server, b'{"id": 5}'), 400)
            self.assertEqual(post_status(server, json.dumps(blocks[0]).encode()), 409)
            self.assertEqual(post_status(server, b" " * 5000), 413)
            with self.assertRaises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(silent.recv(), DEADLINE)
            self.assertEqual(closed.exception.rcvd.code, 1008)

            text, samples = scrape_until(server, {
                'evstream_subscribers{stream="blocks"}': 1,
                'evstream_subscribers{stream="valid_tx"}': 0,
                'evstream_connections{kind="websocket"}': 1,
            })
            self.assertEqual(samples['evstream_subscribers{stream="valid_transactions"}'], 0)
            self.assertEqual(samples['evstream_connections_opened_total{kind="websocket"}'], 2)
            self.assertGreaterEqual(samples['evstream_connections_opened_total{kind="http"}'], 8)
            self.assertEqual(samples["evstream_blocks_ingested_total"], 2)
            self.assertEqual(samples["evstream_events_queued_total"], 2 + 6)  # two summaries, six events
            self.assertGreater(samples["evstream_sent_bytes_total"], 0)
            # The process's own figures, as /proc shows them from outside.
            open_now = len(os.listdir(f"/proc/{server.process.pid}/fd"))
            self.assertLessEqual(abs(samples["process_open_fds"] - open_now), 4)
            self.assertLess(abs(samples["process_start_time_seconds"] - time.time()), 120)
            self.assertGreater(samples["process_resident_memory_bytes"], 1e6)
            self.assertGreater(samples["process_cpu_seconds_total"], 0)
            self.assertEqual(samples['evstream_ingest_errors_total{reason="invalid"}'], 1)
            self.assertEqual(samples['evstream_ingest_errors_total{reason="duplicate"}'], 1)
            self.assertEqual(samples['evstream_ingest_errors_total{reason="too_large"}'], 1)
            self.assertEqual(samples['evstream_ingest_errors_total{reason="unauthorized"}'], 0)
            self.assertEqual(samples['evstream_websocket_closes_total{reason="keepalive"}'], 1)
            self.assertEqual(samples['evstream_websocket_closes_total{reason="client"}'], 0)
            self.assertEqual(samples["evstream_dispatch_latency_seconds_count"], 2)
            self.assertEqual(samples["evstream_last_block_height"], 2)
            self.assertEqual(samples["evstream_last_block_timestamp_seconds"], float(blocks[1]["block"]["timestamp"]))
            self.assertEqual(samples["evstream_retained_blocks"], 2)
            self.assertGreater(samples["evstream_retained_bytes"], 0)
            self.assertEqual(samples['evstream_http_requests_total{code="101",route="stream"}'], 2)
            self.assertEqual(samples['evstream_http_requests_total{code="202",route="ingest"}'], 2)
            self.assertEqual(samples['evstream_http_requests_total{code="400",route="ingest"}'], 1)
            self.assertEqual(samples['evstream_http_requests_total{code="409",route="ingest"}'], 1)
            self.assertEqual(samples['evstream_http_requests_total{code="413",route="unrouted"}'], 1)
            build = [series for series in samples if series.startswith("evstream_build_info{")]
            self.assertEqual(len(build), 1, build)
            self.assertEqual(samples['evstream_dispatch_latency_seconds_bucket{le="+Inf"}'], 2)
            # Not a relay: no relay series, so an "== 0" alert on them cannot fire here.
            self.assertNotIn("evstream_relay_upstream_connected", text)
            self.assertNotIn("evstream_relay_reconnects_total", text)
            checked = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                                     text=True, timeout=DEADLINE)
            self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)

            await summaries.close()
            scrape_until(server, {
                'evstream_websocket_closes_total{reason="client"}': 1,
                'evstream_subscribers{stream="blocks"}': 0,
                'evstream_connections{kind="websocket"}': 0,
            })
        asyncio.run(scenario())

    def test_head_gets_the_headers_and_other_methods_405(self):
        server = Server(EVSTREAM)
        self.addCleanup(server.stop)
        request = urllib.request.Request(server.base_url + "/metrics", method="HEAD")
        with urllib.request.urlopen(request, timeout=DEADLINE) as res:
            self.assertEqual(res.status, 200)
            self.assertEqual(res.read(), b"")
            self.assertEqual(res.headers["Cache-Control"], "no-store")
        request = urllib.request.Request(server.base_url + "/metrics", data=b"", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=DEADLINE)
        self.assertEqual(refused.exception.code, 405)
        self.assertEqual(refused.exception.headers["Allow"], "GET, HEAD")


if __name__ == "__main__":
    if not PROMTOOL:
        print("promtool is not installed (Debian's prometheus package); skipped", file=sys.stderr)
        sys.exit(77)
    unittest.main()
