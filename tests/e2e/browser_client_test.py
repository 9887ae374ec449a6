"""examples/clients/browser.html in headless Chromium (Debian's `chromium`),
opened from file:// against the real evstream binary: discovery from the
`null` origin, the stream, and the posted blocks' events shown newest first.
The test reads the page's DOM through the DevTools protocol, polling each
condition with a deadline.

Usage: python3 browser_client_test.py PATH_TO_EVSTREAM PATH_TO_BROWSER_HTML
Exits 77 (skipped) when there is no chromium.
"""
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import websockets

from harness import DEADLINE, Server, events_of, new_block

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
PAGE = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "browser.html")
CHROMIUM = shutil.which("chromium")
PAGE_DEADLINE = 30  # seconds: Chromium starts slowly on a busy machine


class Browser:
    """Headless Chromium showing one page, and a DevTools connection to it."""

    def __init__(self, url):
        self.profile = tempfile.TemporaryDirectory(prefix="evstream-chromium-")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
             "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={self.profile.name}", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # Chromium names its DevTools endpoint on stderr.
        for line in self.process.stderr:
            if match := re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line):
                self.devtools_port = int(match[1])
                break
        else:
            raise RuntimeError("chromium did not start")
        # Keep reading, so that Chromium never blocks on a full pipe.
        self.stderr_reader = threading.Thread(target=self.process.stderr.read, daemon=True)
        self.stderr_reader.start()
        self.next_id = 0

    def page_socket(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.devtools_port}/json/list", timeout=DEADLINE) as res:
            pages = [target for target in json.load(res) if target["type"] == "page"]
        return pages[0]["webSocketDebuggerUrl"]

    async def evaluate(self, devtools, expression):
        self.next_id += 1
        await devtools.send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                                        "params": {"expression": expression, "returnByValue": True}}))
        while True:
            reply = json.loads(await asyncio.wait_for(devtools.recv(), DEADLINE))
            if reply.get("id") == self.next_id:
                # An exception (the page still loading) reads as no value.
                return reply["result"]["result"].get("value")

    def close(self):
        self.process.kill()
        self.process.wait(timeout=DEADLINE)
        self.stderr_reader.join(timeout=DEADLINE)
        self.process.stderr.close()
        self.profile.cleanup()


# What the test reads of the page.
PAGE_VIEW = """JSON.stringify({
  state: document.getElementById("state").dataset.state,
  text: document.getElementById("state").textContent,
  count: Number(document.getElementById("count").textContent),
  rows: [...document.querySelectorAll("#events tr")].map(row =>
    JSON.stringify({txid: row.querySelector(".txid").textContent,
                    assetid: row.querySelector(".assetid").textContent,
                    blockid: row.querySelector(".blockid").textContent}))
})"""


class BrowserPageTest(unittest.TestCase):
    def test_the_page_discovers_the_stream_and_shows_posted_events_newest_first(self):
        server = Server(EVSTREAM)
        self.addCleanup(server.stop)
        browser = Browser(f"file://{PAGE}?node={server.base_url}")
        self.addCleanup(browser.close)

        async def scenario():
            async with websockets.connect(browser.page_socket(), max_size=None) as devtools:
                async def wait_until(condition, what):
                    deadline = time.monotonic() + PAGE_DEADLINE
                    while True:
                        shown = await browser.evaluate(devtools, PAGE_VIEW)
                        view = json.loads(shown) if shown else None
                        if view and condition(view):
                            return view
                        if time.monotonic() > deadline:
                            self.fail(f"the page never showed {what}; it shows {view}")
                        await asyncio.sleep(0.1)

                # Live means the node answered the page's first ping: it is subscribed.
                await wait_until(lambda view: view["state"] == "live", "the stream live")
                blocks = [new_block(3), new_block(2)]
                for block in blocks:
                    server.post(block)
                expected = [event for block in blocks for event in events_of(block)]
                view = await wait_until(lambda view: view["count"] == len(expected), f"{len(expected)} events")
                self.assertEqual(view["rows"], expected[::-1])
                self.assertIn(server.stream_url, view["text"])
        asyncio.run(scenario())


if __name__ == "__main__":
    if not CHROMIUM:
        print("no chromium: skipped (scripts/install-deps --browser installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
