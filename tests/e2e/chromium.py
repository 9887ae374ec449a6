"""Headless Chromium (Debian's `chromium`) showing one page, read through the
DevTools protocol: what the browser page tests share. Every wait polls the
page with a deadline."""
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request

import websockets

from harness import DEADLINE

CHROMIUM = shutil.which("chromium")
PAGE_DEADLINE = 30  # seconds: Chromium starts slowly on a busy machine


class Browser:
    """Headless Chromium showing one page, and a DevTools connection to it."""

    def __init__(self, url, *chromium_args):
        self.profile = tempfile.TemporaryDirectory(prefix="evstream-chromium-")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
             "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={self.profile.name}",
             *chromium_args, url],
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
                # An exception (the page still loading), or an error reply (the
                # page navigating away: its context gone), reads as no value.
                return reply.get("result", {}).get("result", {}).get("value")

    def close(self):
        self.process.kill()
        self.process.wait(timeout=DEADLINE)
        self.stderr_reader.join(timeout=DEADLINE)
        self.process.stderr.close()
        self.profile.cleanup()


class PageReader:
    """A DevTools connection to the browser's page and the test's way of
    reading it: `view_expression` is JavaScript that returns the page's state
    as a JSON string."""

    def __init__(self, browser, devtools, view_expression, fail):
        self.browser = browser
        self.devtools = devtools
        self.view_expression = view_expression
        self.fail = fail

    async def evaluate(self, expression):
        return await self.browser.evaluate(self.devtools, expression)

    async def view(self):
        shown = await self.evaluate(self.view_expression)
        return json.loads(shown) if shown else None

    async def wait_until(self, condition, what, within=PAGE_DEADLINE):
        """The first view that meets `condition`; fails the test after `within` s."""
        deadline = time.monotonic() + within
        while True:
            view = await self.view()
            if view and condition(view):
                return view
            if time.monotonic() > deadline:
                self.fail(f"the page never showed {what}; it shows {view}")
            await asyncio.sleep(0.1)


def read_page(browser, view_expression, fail, scenario):
    """Runs `await scenario(reader)` with a PageReader on the browser's page."""
    async def run():
        async with websockets.connect(browser.page_socket(), max_size=None) as devtools:
            await scenario(PageReader(browser, devtools, view_expression, fail))
    asyncio.run(run())
