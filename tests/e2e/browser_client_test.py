"""examples/clients/browser.html in headless Chromium (Debian's `chromium`),
opened from file:// against the real evstream binary: discovery from the
`null` origin, the stream, and the posted blocks' events shown newest first.
The test reads the page's DOM through the DevTools protocol, polling each
condition with a deadline.

Usage: python3 browser_client_test.py PATH_TO_EVSTREAM PATH_TO_BROWSER_HTML
Exits 77 (skipped) when there is no chromium.
"""
import os
import sys
import unittest

from chromium import CHROMIUM, Browser, read_page
from harness import Server, events_of, new_block

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
PAGE = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "browser.html")


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

        async def scenario(page):
            # Live means the node answered the page's first ping: it is subscribed.
            await page.wait_until(lambda view: view["state"] == "live", "the stream live")
            blocks = [new_block(3), new_block(2)]
            for block in blocks:
                server.post(block)
            expected = [event for block in blocks for event in events_of(block)]
            view = await page.wait_until(lambda view: view["count"] == len(expected), f"{len(expected)} events")
            self.assertEqual(view["rows"], expected[::-1])
            self.assertIn(server.stream_url, view["text"])
        read_page(browser, PAGE_VIEW, self.fail, scenario)


if __name__ == "__main__":
    if not CHROMIUM:
        print("no chromium: skipped (scripts/install-deps --browser installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
