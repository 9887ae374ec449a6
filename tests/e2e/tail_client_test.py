"""`evstream tail` against the real evstream binary on 127.0.0.1: events of
posted blocks as JSON lines in order and never `pong`, pings that keep the
stream open, reconnecting after the server restarts, discovery and stream
URLs (and HOST:PORT), wss with a generated certificate, exit 0 on SIGTERM,
and exit 1 on a refusal that asking again cannot change.

Usage: python3 tail_client_test.py PATH_TO_EVSTREAM
"""
import asyncio
import os
import queue
import sys
import tempfile
import threading
import unittest

import websockets

from harness import DEADLINE, Certificate, Client, Server, events_of, new_block

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"


class SilentServer:
    """A WebSocket server that accepts, then never answers: a peer gone
    without a FIN looks like this to a client. It runs in its own thread."""

    def __init__(self):
        port = queue.Queue()
        self.close_codes = queue.Queue()  # as each client's closing handshake ends

        async def serve():
            async def never_answer(ws, _path):
                await ws.wait_closed()
                self.close_codes.put(ws.close_code)
            self.loop = asyncio.get_running_loop()
            self.done = asyncio.Event()
            async with websockets.serve(never_answer, "127.0.0.1", 0, ping_interval=None) as server:
                port.put(server.sockets[0].getsockname()[1])
                await self.done.wait()
        self.thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        self.thread.start()
        self.url = f"ws://127.0.0.1:{port.get(timeout=DEADLINE)}/api/v1/streams/valid_tx"

    def stop(self):
        self.loop.call_soon_threadsafe(self.done.set)
        self.thread.join(timeout=DEADLINE)


class TailTest(unittest.TestCase):
    def serve(self, *args, **kwargs):
        server = Server(EVSTREAM, *args, **kwargs)
        self.addCleanup(server.stop)
        return server

    def tail(self, url, *options):
        client = Client([EVSTREAM, "tail", url, *options])
        self.addCleanup(client.close)
        return client

    def subscribed(self, url, *options):
        """A tail the server has subscribed: it answered the first ping."""
        client = self.tail(url, *options)
        client.wait_for_log("subscribed")
        return client

    def assert_prints(self, client, block):
        for event in events_of(block):
            self.assertEqual(client.next_line(), event)

    def test_discovery_url_prints_each_event_as_a_json_line_in_order_and_no_pong(self):
        server = self.serve()
        client = self.subscribed(server.base_url, "--ping-interval=100ms")
        blocks = [new_block(3), new_block(5)]
        for block in blocks:
            server.post(block)
        for block in blocks:
            self.assert_prints(client, block)
        self.assertIn(f"connected to {server.stream_url}", client.log[0])
        # A few more pings answered, still nothing printed but events.
        client.log_during(0.5)
        code, rest = client.terminate()
        self.assertEqual((code, rest), (0, []))

    def test_stream_url_works_and_pings_keep_the_stream_open(self):
        server = self.serve("--keepalive-timeout=1s")
        client = self.subscribed(server.stream_url, "--ping-interval=200ms")
        # Three keep-alive timeouts pass; the connection must not drop.
        self.assertEqual([line for line in client.log_during(3.5) if "disconnected" in line], [])
        block = new_block(2)
        server.post(block)
        self.assert_prints(client, block)

    def test_without_pings_the_server_closes_and_tail_logs_code_and_reason(self):
        server = self.serve("--keepalive-timeout=1s")
        # The first ping goes at once, the next one too late.
        client = self.tail(server.stream_url, "--ping-interval=10s")
        line = client.wait_for_log("disconnected")
        self.assertIn('close 1008 "no ping for 1 s"', line)
        self.assertIn("retrying in 0.5 s", line)
        client.wait_for_log("subscribed")  # and it comes back

    def test_a_stream_silent_for_two_ping_intervals_is_dialled_again(self):
        silent = SilentServer()
        self.addCleanup(silent.stop)
        client = self.tail(silent.url, "--ping-interval=200ms")
        client.wait_for_log("connected")
        self.assertIn("timeout", client.wait_for_log("disconnected"))
        client.wait_for_log("connected")

    def test_reconnects_after_the_server_is_killed_and_restarted_on_the_same_port(self):
        first = Server(EVSTREAM)
        self.addCleanup(first.stop)
        client = self.subscribed(first.base_url, "--ping-interval=200ms")
        before = new_block(2)
        first.post(before)
        self.assert_prints(client, before)

        first.kill()
        client.wait_for_log("disconnected")
        client.wait_for_log("retrying")
        second = self.serve(port=first.port)
        client.wait_for_log("subscribed")
        after = new_block(3)
        second.post(after)
        self.assert_prints(client, after)

    def journaled(self, journal, *args, port=0):
        return self.serve(f"--journal={journal}", *args, port=port)

    def test_resumes_after_the_last_whole_block_so_a_restart_loses_and_repeats_nothing(self):
        journal = tempfile.TemporaryDirectory(prefix="evstream-tail-")
        self.addCleanup(journal.cleanup)
        path = os.path.join(journal.name, "blocks.db")
        first = Server(EVSTREAM, f"--journal={path}")
        self.addCleanup(first.stop)
        # Reconnects wait 2 s: the block posted after the restart comes before it.
        client = self.subscribed(first.base_url, "--ping-interval=200ms", "--retry-delay=2s")
        printed = [new_block(2), new_block(3)]
        for block in printed:
            first.post(block)
            self.assert_prints(client, block)
        first.kill()
        client.wait_for_log("retrying")
        second = self.journaled(path, port=first.port)
        missed = new_block(2)
        second.post(missed)
        client.wait_for_log(f"connected to {second.stream_url}?since={printed[0]['id']}")
        self.assert_prints(client, missed)  # the second block is not printed again
        later = new_block(1)
        second.post(later)
        self.assert_prints(client, later)

    def test_a_cursor_the_node_no_longer_retains_is_logged_as_a_gap(self):
        journal = tempfile.TemporaryDirectory(prefix="evstream-tail-")
        self.addCleanup(journal.cleanup)
        path = os.path.join(journal.name, "blocks.db")
        first = Server(EVSTREAM, f"--journal={path}", "--retain-blocks=1")
        self.addCleanup(first.stop)
        client = self.subscribed(first.base_url, "--ping-interval=200ms", "--retry-delay=2s")
        for block in (new_block(1), new_block(1)):
            first.post(block)
            self.assert_prints(client, block)
        first.kill()
        client.wait_for_log("retrying")
        second = self.journaled(path, "--retain-blocks=1", port=first.port)
        gone, oldest = new_block(1), new_block(1)
        second.post(gone)
        second.post(oldest)
        gap = client.wait_for_log("GAP")
        self.assertIn(f"events before the block after {oldest['id']} are lost", gap)
        client.wait_for_log(f"connected to {second.stream_url}?since={oldest['id']}")
        after = new_block(2)
        second.post(after)
        self.assert_prints(client, after)

    def test_keeps_retrying_with_backoff_while_nothing_listens(self):
        server = Server(EVSTREAM)
        url = server.stream_url
        server.kill()
        client = self.tail(url, "--retry-delay=100ms", "--max-retry-delay=400ms")
        delays = [client.wait_for_log("cannot reach").split("retrying in ")[1] for _ in range(5)]
        self.assertEqual(delays, ["0.1 s", "0.2 s", "0.4 s", "0.4 s", "0.4 s"])
        code, _ = client.terminate()
        self.assertEqual(code, 0)

    def test_wss_through_https_discovery_with_an_extra_ca_file(self):
        certificate = Certificate()
        self.addCleanup(certificate.cleanup)
        server = self.serve(tls=certificate)
        client = self.subscribed(server.base_url, f"--ca-file={certificate.cert_file}")
        self.assertIn(f"connected to {server.stream_url}", client.log[0])
        block = new_block(4)
        server.post(block)
        self.assert_prints(client, block)

    def test_an_untrusted_certificate_is_refused(self):
        certificate = Certificate()
        self.addCleanup(certificate.cleanup)
        server = self.serve(tls=certificate)
        client = self.tail(server.stream_url)
        self.assertIn("certificate verify failed", client.wait_for_log("cannot reach"))

    def test_sigterm_closes_the_stream_with_1000_and_exits_0(self):
        server = self.serve()
        client = self.subscribed(server.stream_url)
        code, rest = client.terminate()
        self.assertEqual((code, rest), (0, []))
        self.assertIn(f"closed {server.stream_url} with 1000", client.log_during(DEADLINE)[-1])

    def test_on_sigterm_the_server_receives_close_1000(self):
        silent = SilentServer()
        self.addCleanup(silent.stop)
        client = self.tail(silent.url)
        client.wait_for_log("connected")
        self.assertEqual(client.terminate()[0], 0)
        self.assertEqual(silent.close_codes.get(timeout=DEADLINE), 1000)

    def test_host_and_port_alone_name_the_node(self):
        server = self.serve()
        client = self.subscribed(f"127.0.0.1:{server.port}")
        self.assertIn(f"connected to {server.stream_url}", client.log[0])
        block = new_block(2)
        server.post(block)
        self.assert_prints(client, block)

    def test_a_refusal_asking_again_cannot_change_ends_tail_with_exit_code_1(self):
        server = self.serve()
        for target, said in (("/api/v1/streams/valid_txs", "HTTP 404 (unknown stream"),
                             ("/api/v1/streams/valid_tx?asset_id=ab", "HTTP 400 (\"asset_id\" must be"),
                             ("/api/v2/", "discovery at http://127.0.0.1:%d/api/v2/ answered 404" % server.port)):
            scheme = "http" if target == "/api/v2/" else "ws"
            client = self.tail(f"{scheme}://127.0.0.1:{server.port}{target}", "--retry-delay=100ms")
            line = client.wait_for_log("giving up")
            self.assertIn(said, line)
            self.assertEqual(client.finish()[0], 1, target)
            self.assertFalse(any("retrying" in logged for logged in client.log), client.log)

    def test_a_busy_node_is_asked_again(self):
        server = self.serve("--max-connections=0")
        client = self.tail(server.stream_url, "--retry-delay=100ms")
        self.assertIn("HTTP 503", client.wait_for_log("retrying in"))
        self.assertIn("retrying in", client.wait_for_log("HTTP 503"))
        self.assertEqual(client.terminate()[0], 0)

    def test_a_wrong_url_is_refused_with_exit_code_2(self):
        for url in ("ftp://127.0.0.1/", "not a url", "http://"):
            client = self.tail(url)
            self.assertEqual(client.process.wait(timeout=15), 2, url)

    def test_help_lists_the_options(self):
        code, lines = self.tail("--help").finish()
        self.assertEqual(code, 0)
        for option in ("--ping-interval", "--retry-delay", "--max-retry-delay", "--ca-file", "URL"):
            self.assertIn(option, "\n".join(lines))


if __name__ == "__main__":
    unittest.main(verbosity=2)
