"""The live page a node serves at GET /demo, in headless Chromium (Debian's
`chromium`) against the real evstream binary: discovery, posted blocks' events
newest first, blocks per second, pings and pongs keeping one connection open
past a short keep-alive timeout, pausing the list, subscriber counts, resuming
after a restart without losing or repeating an event, TLS, and an advertised
URL on another origin. The test reads the page through the DevTools protocol
(tests/e2e/chromium.py), polling each condition with a deadline.

Usage: python3 demo_page_test.py PATH_TO_EVSTREAM
Exits 77 (skipped) when there is no chromium.
"""
import base64
import hashlib
import json
import re
import signal
import socket
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from chromium import CHROMIUM, Browser, read_page
from harness import DEADLINE, Certificate, Server, events_of, new_block

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"

# What the test reads of the page: what it shows, plus the machine-readable
# data attributes next to it.
PAGE_VIEW = """JSON.stringify({
  state: document.getElementById("state").dataset.state,
  stateText: document.getElementById("state").textContent,
  connections: Number(document.getElementById("connection-detail").dataset.connections || 0),
  total: Number(document.getElementById("events-total").textContent.replace(/,/g, "")),
  waiting: document.getElementById("events-detail").dataset.waiting === "true",
  eventsDetail: document.getElementById("events-detail").textContent,
  caption: document.getElementById("events-caption").textContent,
  nodeHeight: document.getElementById("node-last-block").dataset.height || "",
  nodeLastBlock: document.getElementById("node-last-block").textContent,
  blocksPerSecond: Number(document.getElementById("blocks-per-second").textContent),
  pings: Number(document.getElementById("keepalive-detail").dataset.pings),
  pongs: Number(document.getElementById("keepalive-detail").dataset.pongs),
  lastPong: document.getElementById("last-pong").textContent,
  subscribers: document.getElementById("subscribers").textContent,
  subscribersDetail: document.getElementById("subscribers-detail").textContent,
  stream: document.getElementById("stream-url").textContent,
  notice: document.getElementById("notice").textContent,
  styled: getComputedStyle(document.querySelector("table")).borderCollapse === "collapse",
  rows: [...document.querySelectorAll("#events tr")].map(row =>
    JSON.stringify({txid: row.querySelector(".txid").textContent,
                    assetid: row.querySelector(".assetid").textContent,
                    blockid: row.querySelector(".blockid").textContent}))
})"""


def live(view):
    return view["state"] == "live"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DemoPageTest(unittest.TestCase):
    def serve(self, *args, **kwargs):
        server = Server(EVSTREAM, *args, **kwargs)
        self.addCleanup(server.stop)
        return server

    def open(self, url, *chromium_args):
        browser = Browser(url, *chromium_args)
        self.addCleanup(browser.close)
        return browser

    def post_blocks(self, server, *sizes):
        """Posts a new block of each size; returns their events in order."""
        blocks = [new_block(size) for size in sizes]
        for block in blocks:
            server.post(block)
        return [event for block in blocks for event in events_of(block)]

    def test_the_page_is_html_whose_policy_hashes_match_its_script_and_style(self):
        server = self.serve()
        with urllib.request.urlopen(server.base_url + "/demo", timeout=DEADLINE) as res:
            self.assertEqual(res.status, 200)
            self.assertEqual(res.headers["Content-Type"], "text/html; charset=utf-8")
            policy = res.headers["Content-Security-Policy"]
            page = res.read().decode()

        def source(element):
            text = re.search(f"<{element}>(.*?)</{element}>", page, re.S)[1]
            return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
        self.assertIn(f"script-src {source('script')};", policy)
        self.assertIn(f"style-src {source('style')};", policy)
        self.assertIn("default-src 'none';", policy)

    def test_events_arrive_newest_first_and_pings_keep_one_connection_past_the_timeout(self):
        keepalive_timeout = 2  # seconds; the page pings every quarter of it
        server = self.serve(f"--keepalive-timeout={keepalive_timeout}s")
        browser = self.open(f"{server.base_url}/demo")

        async def scenario(page):
            view = await page.wait_until(live, "the stream live")
            went_live = time.monotonic()
            self.assertEqual(view["stream"], server.stream_url)  # found through discovery
            self.assertTrue(view["styled"])  # the policy let the page's style in

            expected = self.post_blocks(server, 3, 2)
            view = await page.wait_until(lambda view: view["total"] == len(expected), f"{len(expected)} events")
            self.assertEqual(view["rows"], expected[::-1])
            await page.wait_until(lambda view: view["blocksPerSecond"] > 0, "blocks per second above 0")

            # Three timeouts without a reconnect: the pings kept the stream open.
            def still_open_after_three_timeouts(view):
                if view["connections"] != 1 or not live(view):
                    self.fail(f"the connection did not stay open: {view}")
                return time.monotonic() - went_live > 3 * keepalive_timeout
            view = await page.wait_until(still_open_after_three_timeouts, "the stream open for 6 s")
            self.assertGreaterEqual(view["pongs"], 6)  # a ping every 0.5 s for 6 s, give or take a busy machine
            self.assertGreaterEqual(view["pings"], view["pongs"])
            self.assertNotEqual(view["lastPong"], "none yet")

            more = self.post_blocks(server, 1)
            view = await page.wait_until(lambda view: view["total"] == len(expected) + 1, "the next block")
            self.assertEqual(view["rows"][0], more[0])
            self.assertEqual(view["connections"], 1)
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_before_the_first_event_it_says_it_is_connected_and_waiting_with_the_nodes_last_block(self):
        server = self.serve()
        server.post(new_block(2))  # streamed before the page opened: the page will not see it
        browser = self.open(f"{server.base_url}/demo")

        async def scenario(page):
            view = await page.wait_until(lambda view: live(view) and view["nodeHeight"] == "1",
                                         "live, and the node's block from /metrics")
            self.assertEqual(view["total"], 0)
            self.assertTrue(view["waiting"])
            self.assertIn("connected, waiting for the next block", view["eventsDetail"])
            self.assertIn("the node's last came", view["eventsDetail"])
            self.assertIn("waiting for the next block", view["caption"])
            self.assertTrue(view["nodeLastBlock"].startswith("height 1, "), view["nodeLastBlock"])

            expected = self.post_blocks(server, 1)
            view = await page.wait_until(lambda view: view["total"] == 1, "the next block's event")
            self.assertFalse(view["waiting"])
            self.assertEqual(view["eventsDetail"], "")
            self.assertEqual(view["rows"], expected)
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_a_node_that_has_streamed_nothing_says_so(self):
        server = self.serve()
        browser = self.open(f"{server.base_url}/demo")

        async def scenario(page):
            view = await page.wait_until(lambda view: live(view) and view["waiting"], "live and waiting")
            self.assertIn("the node has streamed none yet", view["eventsDetail"])
            self.assertEqual(view["nodeLastBlock"], "none yet")
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_a_node_that_stops_answering_is_dialled_again(self):
        server = self.serve("--keepalive-timeout=2s")  # the page pings every 0.5 s
        browser = self.open(f"{server.base_url}/demo")

        async def scenario(page):
            await page.wait_until(live, "the stream live")
            # Stopped, the node's kernel still takes the pings: only the
            # missing pongs tell the page.
            server.process.send_signal(signal.SIGSTOP)
            self.addCleanup(server.process.send_signal, signal.SIGCONT)
            await page.wait_until(lambda view: "no answer to ping" in view["stateText"], "the peer given up")
            server.process.send_signal(signal.SIGCONT)
            await page.wait_until(lambda view: live(view) and view["connections"] == 2, "live again")
            expected = self.post_blocks(server, 2)
            view = await page.wait_until(lambda view: view["total"] == 2, "2 events")
            self.assertEqual(view["rows"], expected[::-1])
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_a_paused_list_keeps_counting_and_catches_up_when_resumed(self):
        server = self.serve()
        browser = self.open(f"{server.base_url}/demo")

        async def scenario(page):
            await page.wait_until(live, "the stream live")
            first = self.post_blocks(server, 2)
            await page.wait_until(lambda view: view["total"] == 2, "2 events")
            await page.evaluate('document.getElementById("pause").click()')
            self.assertEqual(await page.evaluate('document.getElementById("pause").textContent'), "Resume list")
            second = self.post_blocks(server, 3)
            view = await page.wait_until(lambda view: view["total"] == 5, "5 events counted")
            self.assertEqual(view["rows"], first[::-1])
            await page.evaluate('document.getElementById("pause").click()')
            view = await page.wait_until(lambda view: len(view["rows"]) == 5, "the list caught up")
            self.assertEqual(view["rows"], (first + second)[::-1])
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_subscriber_counts_come_from_metrics_or_read_n_a(self):
        server = self.serve()
        browser = self.open(f"{server.base_url}/demo")
        try:
            urllib.request.urlopen(server.base_url + "/metrics", timeout=DEADLINE).close()
            serves_metrics = True
        except urllib.error.HTTPError as error:
            self.assertEqual(error.code, 404)
            serves_metrics = False

        async def scenario(page):
            await page.wait_until(live, "the stream live")
            if serves_metrics:
                # The page is this node's only subscriber.
                await page.wait_until(lambda view: view["subscribers"] == "1", "1 subscriber")
            else:
                await page.wait_until(lambda view: view["subscribers"] == "n/a", "n/a for subscribers")
            # The exposition parser, on a sample with every kind of line.
            counts = await page.evaluate("JSON.stringify(subscriberCounts(" + json.dumps(
                "# HELP evstream_subscribers Open subscribers by stream.\n"
                "# TYPE evstream_subscribers gauge\n"
                'evstream_subscribers{stream="valid_tx"} 3\n'
                'evstream_subscribers{node="a",stream="blocks"} 1 1700000000000\n'
                'evstream_subscribers_total{stream="valid_tx"} 99\n'
                'evstream_subscribers{stream="valid_transactions"} 0\n'
                "evstream_blocks_published 12\n") + "))")
            self.assertEqual(json.loads(counts), {"valid_tx": 3, "blocks": 1, "valid_transactions": 0})
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_after_a_restart_it_resumes_after_the_last_whole_block(self):
        journal = tempfile.TemporaryDirectory(prefix="evstream-demo-page-")
        self.addCleanup(journal.cleanup)
        journal_option = f"--journal={journal.name}/blocks.db"
        first = self.serve(journal_option)
        browser = self.open(f"{first.base_url}/demo")

        async def scenario(page):
            await page.wait_until(live, "the stream live")
            # The second block is not whole yet as the page sees it: the page
            # resumes after the first and drops the second's repeated events.
            seen = self.post_blocks(first, 3, 2)
            await page.wait_until(lambda view: view["total"] == 5, "5 events")
            first.kill()
            await page.wait_until(lambda view: view["state"] == "waiting", "the stream lost")
            # A block the page can only get by resuming: accepted elsewhere
            # while it was away, then served from the journal.
            elsewhere = self.serve(journal_option)
            missed = self.post_blocks(elsewhere, 2)
            elsewhere.stop()
            self.serve(journal_option, port=first.port)
            view = await page.wait_until(lambda view: view["total"] == 7, "7 events")
            self.assertEqual(view["rows"], (seen + missed)[::-1])
            self.assertEqual(view["connections"], 2)
            self.assertEqual(view["notice"], "")
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_a_node_that_cannot_resume_gets_a_notice_and_the_live_stream(self):
        first = self.serve()
        browser = self.open(f"{first.base_url}/demo")

        async def scenario(page):
            await page.wait_until(live, "the stream live")
            seen = self.post_blocks(first, 2, 1)
            await page.wait_until(lambda view: view["total"] == 3, "3 events")
            first.kill()
            # No journal: the new node never streamed the page's cursor (404).
            second = self.serve(port=first.port)
            view = await page.wait_until(lambda view: live(view) and view["connections"] == 2, "live again")
            self.assertIn("Events may be missing", view["notice"])
            later = self.post_blocks(second, 2)
            view = await page.wait_until(lambda view: view["total"] == 5, "5 events")
            self.assertEqual(view["rows"], (seen + later)[::-1])
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_over_tls_it_streams_through_wss(self):
        certificate = Certificate()
        self.addCleanup(certificate.cleanup)
        server = self.serve(tls=certificate)
        browser = self.open(f"{server.base_url}/demo", "--ignore-certificate-errors")

        async def scenario(page):
            view = await page.wait_until(live, "the stream live")
            self.assertEqual(view["stream"], server.stream_url)
            self.assertTrue(view["stream"].startswith("wss://"))
            expected = self.post_blocks(server, 2)
            view = await page.wait_until(lambda view: view["total"] == 2, "2 events")
            self.assertEqual(view["rows"], expected[::-1])
        read_page(browser, PAGE_VIEW, self.fail, scenario)

    def test_it_follows_an_advertised_url_on_another_origin(self):
        port = free_port()
        # localhost is not the page's origin (127.0.0.1): only discovery and
        # the policy's advertised origin lead the page there.
        server = self.serve(f"--advertised-url=ws://localhost:{port}", port=port)
        browser = self.open(f"{server.base_url}/demo")

        async def scenario(page):
            view = await page.wait_until(live, "the stream live")
            self.assertEqual(view["stream"], f"ws://localhost:{port}/api/v1/streams/valid_tx")
            expected = self.post_blocks(server, 2)
            view = await page.wait_until(lambda view: view["total"] == 2, "2 events")
            self.assertEqual(view["rows"], expected[::-1])
        read_page(browser, PAGE_VIEW, self.fail, scenario)


if __name__ == "__main__":
    if not CHROMIUM:
        print("no chromium: skipped (scripts/install-deps --browser installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
