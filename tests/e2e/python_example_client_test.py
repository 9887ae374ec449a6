"""examples/clients/tail_valid_tx.py (Python's websockets) against the real
evstream binary on 127.0.0.1: through discovery it prints the events of posted
blocks as JSON lines, in order and never `pong`, comes back after the server
restarts, and closes on SIGTERM; HOST:PORT and stream URLs work too, and a
refusal asking again cannot change exits 1.

Usage: python3 python_example_client_test.py PATH_TO_EVSTREAM PATH_TO_TAIL_VALID_TX_PY
"""
import sys
import unittest

from harness import Client, Server, events_of, new_block

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
EXAMPLE = sys.argv.pop(1) if len(sys.argv) > 1 else "tail_valid_tx.py"


class PythonExampleClientTest(unittest.TestCase):
    def subscribed(self, node, *options):
        client = Client([sys.executable, EXAMPLE, node, *options])
        self.addCleanup(client.close)
        client.wait_for_log("subscribed")
        return client

    def assert_prints(self, client, block):
        for event in events_of(block):
            self.assertEqual(client.next_line(), event)

    def test_prints_the_events_of_posted_blocks_in_order_and_no_pong(self):
        server = Server(EVSTREAM)
        self.addCleanup(server.stop)
        client = self.subscribed(server.base_url, "--ping-interval=0.1")
        blocks = [new_block(3), new_block(4)]
        for block in blocks:
            server.post(block)
        for block in blocks:
            self.assert_prints(client, block)
        self.assertIn(f"connected to {server.stream_url}", client.log[0])
        client.log_during(0.5)  # a few more pongs, none printed
        code, rest = client.terminate()
        self.assertEqual((code, rest), (0, []))

    def test_reconnects_after_the_server_restarts(self):
        first = Server(EVSTREAM)
        self.addCleanup(first.stop)
        client = self.subscribed(first.base_url)
        first.kill()
        self.assertIn("retrying in 0.5 s", client.wait_for_log("disconnected"))
        second = Server(EVSTREAM, port=first.port)
        self.addCleanup(second.stop)
        client.wait_for_log("subscribed")
        block = new_block(2)
        second.post(block)
        self.assert_prints(client, block)

    def test_host_and_port_and_the_stream_url_work_too(self):
        server = Server(EVSTREAM)
        self.addCleanup(server.stop)
        for url in (f"127.0.0.1:{server.port}", server.stream_url):
            client = self.subscribed(url)
            block = new_block(2)
            server.post(block)
            self.assert_prints(client, block)
            self.assertEqual(client.terminate()[0], 0)

    def test_a_refusal_asking_again_cannot_change_exits_1(self):
        server = Server(EVSTREAM)
        self.addCleanup(server.stop)
        for url, said in ((f"ws://127.0.0.1:{server.port}/api/v1/streams/valid_txs", "HTTP 404"),
                          (f"http://127.0.0.1:{server.port}/api/v2", "answered 404")):
            client = Client([sys.executable, EXAMPLE, url])
            self.addCleanup(client.close)
            self.assertIn(said, client.wait_for_log("giving up"))
            self.assertEqual(client.finish()[0], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
