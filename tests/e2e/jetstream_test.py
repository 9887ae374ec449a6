"""evstream nodes on NATS JetStream (--jetstream), against a real
`nats-server -js` on 127.0.0.1 started and stopped (by PID) here: blocks
ingested on one node reach subscribers of every node once and in one order,
with the same heights; a repeat is refused wherever it is posted; readiness
follows the NATS connection, and a node takes up the stream where it left
it when NATS comes back; a client resumes on another node, and from a
block older than a node's window, which the stream still holds; a stream
that exists with other settings stops the start. The connection to NATS
takes TLS (the server verified with a CA, the node presenting its own
certificate), a user and password, and a .creds file for a server in
operator (JWT) mode; a server that refuses the node stops the start at
once, in words.

Usage: python3 jetstream_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import websockets

from harness import DEADLINE, Certificate, Server, get_status, handshake, new_block, post_status as post
from nats_credentials import write_operator_setup

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
NATS_SERVER = shutil.which("nats-server")

LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NatsServer:
    """`nats-server -js` on 127.0.0.1 with its store in a temporary
    directory; start() again brings it back on the same port and store. In a
    cluster, `cluster` is (its name, its route port, every route port)."""

    def __init__(self, cluster=None, options=(), scheme="nats"):
        self.port = free_port()
        self.store = tempfile.mkdtemp(prefix="evstream-nats-")
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.cluster = cluster
        self.options = list(options)
        self.process = None
        self.start()

    def start(self):
        command = [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", self.store, *self.options]
        if self.cluster:
            name, route_port, route_ports = self.cluster
            command += ["--server_name", name, "--cluster_name", "evstream",
                        "--cluster", f"nats://127.0.0.1:{route_port}",
                        "--routes", ",".join(f"nats://127.0.0.1:{p}" for p in route_ports)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("nats-server did not start")
                time.sleep(0.05)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=DEADLINE)

    def close(self):
        if self.process.poll() is None:
            self.kill()
        shutil.rmtree(self.store, ignore_errors=True)


def metrics_of(server):
    """The unlabelled series of GET /metrics, by name."""
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=DEADLINE) as res:
        lines = res.read().decode().splitlines()
    return {name: float(value) for name, value in (line.split(" ", 1) for line in lines
                                                     if line and not line.startswith("#") and "{" not in line)}


def wait_until(condition, what):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE} s: {what}")
        time.sleep(0.05)


class Stream:
    def __init__(self, url):
        self.ws = LOOP.run_until_complete(websockets.connect(url, open_timeout=DEADLINE, max_size=None))

    def take(self, count):
        return [json.loads(LOOP.run_until_complete(asyncio.wait_for(self.ws.recv(), DEADLINE)))
                for _ in range(count)]

    def close(self):
        LOOP.run_until_complete(self.ws.close())


@unittest.skipIf(NATS_SERVER is None, "nats-server is not installed (scripts/install-deps installs it)")
class JetStreamTest(unittest.TestCase):
    def setUp(self):
        self.nats = NatsServer()
        self.addCleanup(self.nats.close)

    def node(self, source="ingest", *args):
        server = Server(EVSTREAM, f"--jetstream={self.nats.url}", *args, source=source)
        self.addCleanup(server.stop)
        return server

    def subscribe(self, server, stream="blocks", query=""):
        subscriber = Stream(f"ws://127.0.0.1:{server.port}/api/v1/streams/{stream}{query}")
        self.addCleanup(subscriber.close)
        return subscriber

    def resume(self, server, blockid):
        """A blocks subscriber from after `blockid`, once `server` has it (404 until then)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                return self.subscribe(server, query=f"?since={blockid}")
            except websockets.exceptions.InvalidStatusCode as not_yet:
                if not_yet.status_code != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def test_two_nodes_stream_every_block_once_in_one_order(self):
        a, b = self.node("ingest"), self.node("none")
        on_a, on_b = self.subscribe(a), self.subscribe(b)
        events_a, events_b = self.subscribe(a, "valid_tx"), self.subscribe(b, "valid_tx")
        blocks = [new_block(2) for _ in range(5)]
        for block in blocks:
            self.assertEqual(post(a, block), 202)
        expected = [(height, block["id"]) for height, block in enumerate(blocks, start=1)]
        self.assertEqual([(m["height"], m["blockid"]) for m in on_a.take(5)], expected)
        self.assertEqual([(m["height"], m["blockid"]) for m in on_b.take(5)], expected)
        txids = [tx["id"] for block in blocks for tx in block["block"]["transactions"]]
        self.assertEqual([m["txid"] for m in events_a.take(10)], txids)
        self.assertEqual([m["txid"] for m in events_b.take(10)], txids)
        # SIGTERM ends both cleanly: the NATS client's last callbacks come before it is freed.
        self.assertEqual((a.stop(), b.stop()), (0, 0))

    def test_a_block_posted_to_two_nodes_is_streamed_once(self):
        a, b = self.node("ingest"), self.node("ingest")
        on_b = self.subscribe(b)
        block, after = new_block(1), new_block(1)
        self.assertEqual(post(a, block), 202)
        self.assertEqual(post(b, block), 409)
        self.assertEqual(post(b, after), 202)
        self.assertEqual([m["blockid"] for m in on_b.take(2)], [block["id"], after["id"]])

    def test_readiness_follows_nats_and_nothing_is_lost_or_repeated_across_an_outage(self):
        a, b = self.node("ingest"), self.node("none")
        on_b = self.subscribe(b)
        first = new_block(1)
        self.assertEqual(post(a, first), 202)
        self.assertEqual(on_b.take(1)[0]["height"], 1)
        self.assertEqual((get_status(a, "/readyz"), get_status(b, "/readyz")), (200, 200))
        self.nats.kill()
        wait_until(lambda: get_status(b, "/readyz") == 503 and get_status(a, "/readyz") == 503, "/readyz 503 without NATS")
        self.nats.start()
        wait_until(lambda: get_status(b, "/readyz") == 200 and get_status(a, "/readyz") == 200, "/readyz 200 with NATS back")
        later = [new_block(1) for _ in range(3)]
        for block in later:
            self.assertEqual(post(a, block), 202)
        self.assertEqual([(m["height"], m["blockid"]) for m in on_b.take(3)],
                         [(height, block["id"]) for height, block in enumerate(later, start=2)])
        metrics = metrics_of(b)
        self.assertEqual(metrics["evstream_jetstream_connected"], 1)
        self.assertEqual(metrics["evstream_jetstream_last_sequence"], 4)
        self.assertEqual(metrics["evstream_jetstream_lag_blocks"], 0)
        self.assertGreaterEqual(metrics["evstream_jetstream_reconnects_total"], 1)
        self.assertEqual((a.stop(), b.stop()), (0, 0))

    def test_a_client_resumes_on_another_node(self):
        a, b = self.node("ingest"), self.node("none")
        on_a = self.subscribe(a)
        blocks = [new_block(1) for _ in range(4)]
        for block in blocks[:2]:
            self.assertEqual(post(a, block), 202)
        seen = on_a.take(2)
        self.assertEqual(seen[-1]["height"], 2)
        for block in blocks[2:]:
            self.assertEqual(post(a, block), 202)
        a.kill()
        resumed = self.resume(b, seen[-1]["blockid"])
        self.assertEqual([m["blockid"] for m in resumed.take(2)], [block["id"] for block in blocks[2:]])

    def test_a_cursor_older_than_the_window_is_resumed_from_the_stream(self):
        a = self.node("ingest", "--retain-blocks=2")
        on_a = self.subscribe(a)
        # More than one read of the stream's history (256 blocks each).
        blocks = [new_block(1) for _ in range(300)]
        for block in blocks:
            self.assertEqual(post(a, block), 202)
        on_a.take(300)
        resumed = self.subscribe(a, query=f"?since={blocks[1]['id']}")
        expected = [(height, block["id"]) for height, block in enumerate(blocks, start=1)]
        self.assertEqual([(m["height"], m["blockid"]) for m in resumed.take(298)], expected[2:])
        live = new_block(1)
        self.assertEqual(post(a, live), 202)
        self.assertEqual(resumed.take(1)[0]["blockid"], live["id"])
        # A second client from the same cursor is served what the first read (the node keeps it).
        again = self.subscribe(a, query=f"?since={blocks[1]['id']}")
        self.assertEqual([m["blockid"] for m in again.take(299)], [block["id"] for block in blocks[2:] + [live]])
        # A node started now never streamed them, and serves them from the stream as well.
        c = self.node("none", "--retain-blocks=2")
        late = self.subscribe(c, "valid_tx", f"?since={blocks[0]['id']}")
        self.assertEqual([m["blockid"] for m in late.take(300)], [block["id"] for block in blocks[1:] + [live]])
        # SIGTERM while a client reads back from the stream ends the node cleanly.
        self.subscribe(c, query=f"?since={blocks[0]['id']}")
        self.assertEqual(c.stop(), 0)

    def test_a_cursor_the_stream_no_longer_holds_gets_410_and_one_it_never_held_404(self):
        a = self.node("ingest", "--retain-blocks=2", "--jetstream-max-blocks=3")
        on_a = self.subscribe(a)
        blocks = [new_block(1) for _ in range(6)]  # the stream keeps heights 4 to 6
        for block in blocks:
            self.assertEqual(post(a, block), 202)
        on_a.take(6)
        status, body = handshake(a, f"/api/v1/streams/blocks?since={blocks[0]['id']}")
        self.assertEqual(status, 410)
        self.assertEqual(body["oldest_available"], blocks[3]["id"])
        # Height 3 is gone from the stream too, but this node knows it, and every block after it is held.
        resumed = self.subscribe(a, query=f"?since={blocks[2]['id']}")
        self.assertEqual([m["blockid"] for m in resumed.take(3)], [block["id"] for block in blocks[3:]])
        status, body = handshake(a, f"/api/v1/streams/blocks?since={'ab' * 32}")
        self.assertEqual(status, 404)
        self.assertEqual(body["oldest_available"], blocks[3]["id"])

    def test_blocks_read_from_stdin_are_published_to_the_stream(self):
        reader = self.node("stdin")
        b = self.node("none")
        on_b = self.subscribe(b)
        blocks = [new_block(1) for _ in range(3)]
        reader.process.stdin.write("".join(json.dumps(block) + "\n" for block in blocks))
        reader.process.stdin.flush()
        self.assertEqual([(m["height"], m["blockid"]) for m in on_b.take(3)],
                         [(height, block["id"]) for height, block in enumerate(blocks, start=1)])

    def test_a_block_larger_than_the_nats_servers_take_is_refused_in_words(self):
        config = os.path.join(self.nats.store, "small.conf")
        with open(config, "w") as file:
            file.write("max_payload: 65536\n")
        small = NatsServer(options=["-c", config])
        self.addCleanup(small.close)
        node = Server(EVSTREAM, f"--jetstream={small.url}", source="ingest")
        self.addCleanup(node.stop)
        big = json.dumps(new_block(500)).encode()  # about 90 KB of JSON
        self.assertGreater(len(big), 65536)
        request = urllib.request.Request(node.base_url + "/api/v1/blocks", data=big, method="POST",
                                         headers={"Content-Type": "application/json"})
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=DEADLINE)
        self.assertEqual(refused.exception.code, 400)  # not 503: posting it again cannot help
        self.assertIn("more than the NATS servers take", json.load(refused.exception)["error"])
        self.assertEqual(post(node, new_block(1)), 202)

    def test_a_nats_server_killed_mid_stream_loses_and_repeats_nothing(self):
        routes = [free_port() for _ in range(3)]
        cluster = [NatsServer((f"n{i}", routes[i], routes)) for i in range(3)]
        for server in cluster:
            self.addCleanup(server.close)
        urls = ",".join(server.url for server in cluster)
        # Started at once with the cluster: each waits for its JetStream leader.
        a = Server(EVSTREAM, f"--jetstream={urls}", "--jetstream-replicas=3", source="ingest")
        self.addCleanup(a.stop)
        b = Server(EVSTREAM, f"--jetstream={urls}", "--jetstream-replicas=3", source="none")
        self.addCleanup(b.stop)
        on_a, on_b = self.subscribe(a), self.subscribe(b)
        blocks = [new_block(1) for _ in range(12)]
        for i, block in enumerate(blocks):
            if i == 4:
                cluster[0].kill()
            deadline = time.monotonic() + DEADLINE
            # While the stream moves its leader, a publish may go unacknowledged (503): posted again.
            while (status := post(a, block)) == 503 and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertIn(status, (202, 409), f"block {i}")
        expected = [(height, block["id"]) for height, block in enumerate(blocks, start=1)]
        self.assertEqual([(m["height"], m["blockid"]) for m in on_a.take(12)], expected)
        self.assertEqual([(m["height"], m["blockid"]) for m in on_b.take(12)], expected)

    def test_retention_past_a_stopped_node_is_a_gap_it_tells(self):
        journal = os.path.join(tempfile.mkdtemp(prefix="evstream-jetstream-"), "blocks.db")
        limits = ["--jetstream-max-blocks=3"]
        a = self.node("ingest", *limits)
        b = self.node("none", f"--journal={journal}", *limits)
        on_b = self.subscribe(b)
        first = new_block(1)
        self.assertEqual(post(a, first), 202)
        self.assertEqual(on_b.take(1)[0]["blockid"], first["id"])
        b.stop()
        later = [new_block(1) for _ in range(5)]  # the stream keeps the last 3: heights 4 to 6
        for block in later:
            self.assertEqual(post(a, block), 202)
        b = self.node("none", f"--journal={journal}", *limits)
        gap = b.wait_for_event("jetstream_gap")
        self.assertEqual((gap["after"], gap["going_on_from"]), (1, 4))
        # The blocks after the gap resume; a cursor from before it gets 410.
        wait_until(lambda: get_status(b, "/readyz") == 200 and metrics_of(b)["evstream_jetstream_last_sequence"] == 6,
                   "the restarted node has read the stream")
        resumed = self.resume(b, later[2]["id"])
        self.assertEqual([m["blockid"] for m in resumed.take(2)], [later[3]["id"], later[4]["id"]])
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refused:
            self.subscribe(b, query=f"?since={first['id']}")
        self.assertEqual(refused.exception.status_code, 410)

    def test_a_stream_with_other_settings_stops_the_start(self):
        self.node("ingest")  # creates the stream with the defaults
        run = subprocess.run([EVSTREAM, "--port=0", "--source=none", f"--jetstream={self.nats.url}",
                              "--jetstream-max-blocks=10"], capture_output=True, text=True, timeout=DEADLINE)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn("exists with other settings: max messages", run.stderr)
        self.assertIn("--jetstream-max-blocks", run.stderr)



@unittest.skipIf(NATS_SERVER is None, "nats-server is not installed (scripts/install-deps installs it)")
class JetStreamConnectionTest(unittest.TestCase):
    def certificate(self):
        certificate = Certificate()
        self.addCleanup(certificate.cleanup)
        return certificate

    def nats(self, *options, scheme="nats"):
        server = NatsServer(options=options, scheme=scheme)
        self.addCleanup(server.close)
        return server

    def assert_streams(self, *options):
        """A node with `options` takes a block in through NATS and streams it."""
        node = Server(EVSTREAM, *options, source="ingest")
        self.addCleanup(node.stop)
        subscriber = Stream(f"ws://127.0.0.1:{node.port}/api/v1/streams/blocks")
        self.addCleanup(subscriber.close)
        block = new_block(1)
        self.assertEqual(post(node, block), 202)
        self.assertEqual(subscriber.take(1)[0]["blockid"], block["id"])

    def refused_start(self, *options):
        """The exit code and stderr of a node that should not start, within the deadline."""
        run = subprocess.run([EVSTREAM, "--port=0", "--source=none", *options], capture_output=True, text=True,
                             timeout=DEADLINE)
        return run.returncode, run.stderr

    def test_a_tls_server_is_verified_with_the_ca_given(self):
        server = self.certificate()
        nats = self.nats("--tls", f"--tlscert={server.cert_file}", f"--tlskey={server.key_file}", scheme="tls")
        self.assert_streams(f"--jetstream={nats.url}", f"--jetstream-ca={server.cert_file}")
        code, stderr = self.refused_start(f"--jetstream={nats.url}", f"--jetstream-ca={self.certificate().cert_file}")
        self.assertEqual(code, 1, stderr)
        self.assertIn("refused this node", stderr)

    def test_a_server_that_verifies_clients_takes_the_nodes_certificate(self):
        server, node = self.certificate(), self.certificate()
        nats = self.nats("--tlsverify", f"--tlscert={server.cert_file}", f"--tlskey={server.key_file}",
                         f"--tlscacert={node.cert_file}", scheme="tls")
        self.assert_streams(f"--jetstream={nats.url}", f"--jetstream-ca={server.cert_file}",
                            f"--jetstream-cert={node.cert_file}", f"--jetstream-key={node.key_file}")
        code, stderr = self.refused_start(f"--jetstream={nats.url}", f"--jetstream-ca={server.cert_file}")
        self.assertEqual(code, 1, stderr)
        self.assertIn("refused this node", stderr)
        self.assertIn("--jetstream-cert", stderr)

    def test_a_user_and_password_are_used_and_never_shown(self):
        nats = self.nats("--user", "evstream", "--pass", "s3cret-word")
        at = f"127.0.0.1:{nats.port}"
        self.assert_streams(f"--jetstream=nats://evstream:s3cret-word@{at}")
        code, stderr = self.refused_start(f"--jetstream=nats://evstream:wrong-word@{at}")
        self.assertEqual(code, 1, stderr)
        self.assertIn(f"nats://{at} refused this node", stderr)
        self.assertNotIn("wrong-word", stderr)

    def test_a_credentials_file_is_used(self):
        # nats-server in operator (JWT) mode, with JetStream for the account of the node's user.
        directory = tempfile.mkdtemp(prefix="evstream-creds-")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        config, creds = write_operator_setup(directory)
        nats = self.nats("-c", config)
        self.assert_streams(f"--jetstream={nats.url}", f"--jetstream-creds={creds}")
        code, stderr = self.refused_start(f"--jetstream={nats.url}")
        self.assertEqual(code, 1, stderr)
        self.assertIn("refused this node", stderr)

    def test_a_file_option_that_cannot_be_read_stops_the_start_by_name(self):
        for option in ("--jetstream-creds", "--jetstream-ca"):
            code, stderr = self.refused_start("--jetstream=nats://127.0.0.1:4222", f"{option}=/nonexistent/file")
            self.assertEqual(code, 2, stderr)  # a configuration error
            self.assertIn(f'{option}: cannot read \\"/nonexistent/file\\"', stderr)  # in a JSON log line

if __name__ == "__main__":
    unittest.main()
