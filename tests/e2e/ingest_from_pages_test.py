"""No web page can put a block into the stream: headless Chromium (Debian's
`chromium`) runs the requests a hostile page would make against the real
evstream binary, which ingests without a token from loopback:

- from a page on another origin: a `no-cors` text/plain fetch, an HTML form
  submitted by script, and a JSON fetch (which needs a CORS preflight);
- after DNS rebinding (Chromium's resolver maps evil.example to 127.0.0.1), a
  same-origin JSON fetch from a page on evil.example at the node's port.

None of them ingests: the same block, posted afterwards by a feeder, gets 202.
The refusals are counted in /metrics by reason.

Usage: python3 ingest_from_pages_test.py PATH_TO_EVSTREAM
Exits 77 (skipped) when there is no chromium.
"""
import http.server
import json
import sys
import threading
import unittest

from chromium import CHROMIUM, Browser, PageReader, read_page
from harness import Server, new_block, scrape

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"

# The hostile page's script: each attempt's outcome lands in window.outcomes.
ATTEMPTS = """
const body = %(body)s;
const ingest = "%(ingest)s";
window.outcomes = {};
async function attempt(name, request) {
  try { outcomes[name] = "answered " + (await request()).status; }
  catch (error) { outcomes[name] = "failed: " + error; }
}
function submitForm() {
  return new Promise(resolve => {
    const sink = document.createElement("iframe");
    sink.name = "sink";
    sink.onload = () => resolve({status: "loaded"});
    document.body.append(sink);
    const form = document.createElement("form");
    form.method = "POST";
    form.action = ingest;
    form.target = "sink";
    const field = document.createElement("textarea");
    field.name = "block";
    field.value = body;
    form.append(field);
    document.body.append(form);
    form.submit();
  });
}
(async () => {
  await attempt("no-cors", () => fetch(ingest, {method: "POST", mode: "no-cors", body}));
  await attempt("form", submitForm);
  await attempt("json", () => fetch(ingest, {method: "POST", headers: {"Content-Type": "application/json"}, body}));
  outcomes.done = true;
})();
"""

OUTCOMES = "JSON.stringify(window.outcomes || null)"


def serve_page(html):
    """An HTTP server on 127.0.0.1 answering every GET with `html`; returns its port."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class IngestFromPagesTest(unittest.TestCase):
    def test_no_page_ingests_and_the_feeder_still_does(self):
        node = Server(EVSTREAM)
        self.addCleanup(node.stop)
        block = new_block(2)
        body = json.dumps(json.dumps(block))  # a JavaScript string literal of the block's JSON
        page_server = serve_page("<!doctype html><body><script>%s</script>"
                                 % ATTEMPTS % {"body": body, "ingest": node.base_url + "/api/v1/blocks"})
        self.addCleanup(page_server.server_close)
        self.addCleanup(page_server.shutdown)
        page_origin = f"http://127.0.0.1:{page_server.server_address[1]}"
        browser = Browser(page_origin + "/", "--host-resolver-rules=MAP evil.example 127.0.0.1")
        self.addCleanup(browser.close)

        async def scenario(page):
            outcomes = await page.wait_until(lambda seen: seen.get("done"), "every cross-origin attempt made")
            # The preflight is never granted, so the JSON POST is never sent.
            self.assertTrue(outcomes["json"].startswith("failed"), outcomes)

            # DNS rebinding: evil.example now resolves to the node, and its
            # page is same-origin with it, so JSON needs no preflight.
            rebound = f"http://evil.example:{node.port}"
            await page.evaluate(f'location.href = "{rebound}/healthz"')
            self.assertEqual(await self.rebound_status(page, rebound, body), 403)
        read_page(browser, OUTCOMES, self.fail, scenario)

        node.post(block)  # asserts 202: none of the attempts ingested it
        _, samples = scrape(node)
        # Chromium marks each with its Origin: the no-cors fetch, the form, the rebound fetch.
        self.assertEqual(samples['evstream_ingest_errors_total{reason="cross_site"}'], 3)
        self.assertEqual(samples["evstream_blocks_ingested_total"], 1)

    async def rebound_status(self, page, rebound, body):
        """Once the rebound page has loaded, makes a same-origin JSON POST from
        it; returns the answer's status."""
        reader = lambda expression: PageReader(page.browser, page.devtools, expression, self.fail)
        await reader("JSON.stringify(location.origin)").wait_until(lambda origin: origin == rebound,
                                                                  "the rebound page loaded")
        await page.evaluate(
            'fetch("/api/v1/blocks", {method: "POST", headers: {"Content-Type": "application/json"}, '
            f'body: {body}}}).then(res => window.rebound = {{status: res.status}}, '
            'error => window.rebound = {status: String(error)})')
        answered = await reader("JSON.stringify(window.rebound || null)").wait_until(
            lambda seen: "status" in seen, "the rebound POST answered")
        return answered["status"]


if __name__ == "__main__":
    if not CHROMIUM:
        print("no chromium: skipped (scripts/install-deps --browser installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
