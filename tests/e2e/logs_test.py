"""The structured log of the real evstream binary: one JSON object per stderr
line with ts, level and event; a line per HTTP answer (never its query) and
per accepted block; the "listening" line with the version and
commit that --version prints; a line per connection opened and closed (with
the remote address and the reason), one per refused ingest; never the ingest
token, an Authorization header or a query string; --log-level=warn keeps the
refusals and drops the connection lines.

Usage: python3 logs_test.py PATH_TO_EVSTREAM
"""
import asyncio
import http.client
import json
import re
import subprocess
import sys
import unittest

import websockets

from harness import DEADLINE, Server, new_block, scrape

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
TOKEN = "tok-3f9a1c7e5d2b"
WRONG_TOKEN = "wrong-8e6d4c2a0f"
FILTER_ASSET = "a" * 63 + "f"  # in the stream URL's query string only


def post(server, body, token):
    """POSTs `body` with a bearer token; returns the status and the client's "ip:port"."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    connection.connect()
    local = "%s:%d" % connection.sock.getsockname()
    connection.request("POST", "/api/v1/blocks", body=body,
                       headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    status = connection.getresponse().status
    connection.close()
    return status, local


async def open_and_close(url):
    """Subscribes, closes with 1000 "done"; returns the client's "ip:port"."""
    async with websockets.connect(url, open_timeout=DEADLINE, ping_interval=None) as ws:
        await ws.send("ping")
        assert await asyncio.wait_for(ws.recv(), DEADLINE) == "pong"
        local = "%s:%d" % ws.local_address[:2]
        await ws.close(1000, "done")
    return local


def logged(stderr):
    """Every stderr line as JSON; each must be an object with ts, level and event."""
    lines = [json.loads(line) for line in stderr.splitlines()]
    for line in lines:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"]), line
        assert line["level"] in ("debug", "info", "warn", "error"), line
        assert line["event"], line
    return lines


def version_and_commit():
    """`evstream --version` ("evstream 0.1.0 (commit 0123456789ab)"), exit 0, as (version, commit)."""
    run = subprocess.run([EVSTREAM, "--version"], capture_output=True, text=True, timeout=DEADLINE, check=True)
    match = re.fullmatch(r"evstream (\S+) \(commit (\S+)\)\n", run.stdout)
    assert match, run.stdout
    return match.group(1), match.group(2)


def only(lines, **fields):
    """The one line with these fields."""
    found = [line for line in lines if all(line.get(k) == v for k, v in fields.items())]
    assert len(found) == 1, f"{len(found)} lines with {fields} in {lines}"
    return found[0]


class LogsTest(unittest.TestCase):
    def run_story(self, level):
        """Opens and closes a filtered subscription, posts an invalid block and
        one with a wrong token; returns the client addresses and the log."""
        server = Server(EVSTREAM, f"--log-level={level}", f"--ingest-token={TOKEN}")
        self.addCleanup(server.stop)
        subscriber = asyncio.run(open_and_close(f"{server.stream_url}?asset_id={FILTER_ASSET}"))
        invalid_status, poster = post(server, b'{"id": 5}', TOKEN)
        self.assertEqual(invalid_status, 400)
        self.accepted = new_block(2)
        self.assertEqual(post(server, json.dumps(self.accepted).encode(), TOKEN)[0], 202)
        self.assertEqual(post(server, b"{}", WRONG_TOKEN)[0], 403)
        code, stderr = server.stop_reading_stderr()
        self.assertEqual(code, 0)
        for secret in (TOKEN, WRONG_TOKEN, "Bearer", FILTER_ASSET, "asset_id"):
            self.assertNotIn(secret, stderr)
        return subscriber, poster, logged(stderr)

    def test_info_logs_connections_with_remote_and_reason_and_every_refused_ingest(self):
        subscriber, poster, lines = self.run_story("info")
        self.assertEqual(only(lines, event="http_open", remote=subscriber)["level"], "info")
        self.assertEqual(only(lines, event="http_close", remote=subscriber)["reason"], "upgraded")
        opened = only(lines, event="ws_open", remote=subscriber)
        self.assertEqual((opened["level"], opened["stream"], opened["filtered"], opened["resume"]),
                         ("info", "valid_tx", True, False))
        closed = only(lines, event="ws_close", remote=subscriber)
        self.assertEqual([closed[k] for k in ("level", "stream", "reason", "code", "detail")],
                         ["info", "valid_tx", "client", 1000, "done"])
        self.assertGreaterEqual(closed["open_ms"], 0)

        invalid = only(lines, event="ingest_error", reason="invalid")
        self.assertEqual((invalid["level"], invalid["remote"], invalid["path"]), ("warn", poster, "$.id"))
        self.assertIn("64 lower-case hex digits", invalid["error"])
        self.assertEqual(only(lines, event="http_close", remote=poster)["reason"], "client_closed")
        unauthorized = only(lines, event="ingest_error", reason="unauthorized")
        self.assertEqual((unauthorized["level"], unauthorized["error"]), ("warn", "wrong ingest token"))

        refused = only(lines, event="http_request", remote=poster)
        self.assertEqual([refused[k] for k in ("level", "method", "path", "status")],
                         ["info", "POST", "/api/v1/blocks", 400])
        self.assertGreater(refused["bytes"], 0)
        self.assertGreaterEqual(refused["duration_ms"], 0)
        block = only(lines, event="block_accepted")
        self.assertEqual([block[k] for k in ("level", "blockid", "height", "transactions")],
                         ["info", self.accepted["id"], 1, 2])

        listening = only(lines, event="listening")
        self.assertEqual(listening["level"], "info")
        self.assertTrue(listening["address"].startswith("127.0.0.1:"), listening)
        self.assertEqual(listening["tls"], False)
        self.assertEqual((listening["version"], listening["commit"]), version_and_commit())
        self.assertEqual(listening["url"], "http://" + listening["address"])
        self.assertEqual(listening["source"], "ingest")
        self.assertEqual(listening["config"]["ingest-token"], "<redacted>")
        self.assertEqual(listening["config"]["log-level"], "info")
        self.assertEqual(only(lines, event="shutting_down")["signal"], "SIGTERM")
        self.assertEqual(lines[-1]["event"], "stopped")

    def test_version_names_the_version_and_the_commit(self):
        version, commit = version_and_commit()
        self.assertRegex(version, r"^\d+\.\d+\.\d+$")
        self.assertRegex(commit, r"^([0-9a-f]{12}(-modified)?|unknown)$")

    def test_warn_keeps_refused_ingests_and_drops_connection_lines(self):
        _, poster, lines = self.run_story("warn")
        # The start and the stop are written at every level: they say where it listens.
        self.assertEqual({line["event"] for line in lines},
                         {"listening", "ingest_error", "shutting_down", "stopped"})
        self.assertEqual(only(lines, reason="invalid")["remote"], poster)
        only(lines, reason="unauthorized")

    def test_a_flood_of_bad_blocks_is_one_line_and_the_metric_counts_all(self):
        server = Server(EVSTREAM, f"--ingest-token={TOKEN}")
        self.addCleanup(server.stop)
        for _ in range(30):
            self.assertEqual(post(server, b'{"id": 5}', TOKEN)[0], 400)
        _, samples = scrape(server)
        self.assertEqual(samples['evstream_ingest_errors_total{reason="invalid"}'], 30)
        code, stderr = server.stop_reading_stderr()
        self.assertEqual(code, 0)
        only(logged(stderr), event="ingest_error", reason="invalid")

    def test_an_unknown_level_is_refused(self):
        result = subprocess.run([EVSTREAM, "--port=0", "--log-level=verbose"], capture_output=True, text=True,
                                timeout=DEADLINE)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--log-level must be debug, info, warn or error", json.loads(result.stderr)["error"])


if __name__ == "__main__":
    unittest.main()
