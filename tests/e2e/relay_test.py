"""A relay tree of three evstream processes on 127.0.0.1, linked over CAF's
network layer: an origin taking posted blocks and publishing its feed, relay1
following the origin through a TCP proxy the test can cut, and relay2
following relay1. An `evstream tail` client on each node must print every
event of every block exactly once and in order, through a cut of the origin
link mid-stream and through relay2 being killed and restarted. A second test
keeps relay1 away from the origin until the blocks it missed left the origin's
window: its clients are closed and, resuming, told of the gap. Every link is
mutual TLS with certificates the test makes; the last tests show a follower,
or a feed, whose certificate does not chain to the other's CA refused, and a
plain-BASP follower refused by a TLS feed.

Usage: python3 relay_test.py PATH_TO_EVSTREAM
"""
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from harness import DEADLINE, Client, Server, events_of, new_block

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"


class TcpProxy:
    """Forwards 127.0.0.1:port to a target port, in a thread of its own.
    cut() resets every open connection; refuse(True) also turns new ones away
    (accepted, then closed at once) until refuse(False)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.refusing = False
        self.connections = 0
        ready = threading.Event()

        async def serve():
            self.loop = asyncio.get_running_loop()
            self.writers = set()
            self.done = asyncio.Event()
            server = await asyncio.start_server(self._forward, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            async with server:
                await self.done.wait()
        self.thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        self.thread.start()
        assert ready.wait(DEADLINE)

    async def _forward(self, client_reader, client_writer):
        if self.refusing:
            client_writer.close()
            return
        self.connections += 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        pair = {client_writer, upstream_writer}
        self.writers |= pair

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                for end in pair:
                    end.close()
                self.writers -= pair
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

    def _in_loop(self, action):
        done = threading.Event()

        def run():
            action()
            done.set()
        self.loop.call_soon_threadsafe(run)
        assert done.wait(DEADLINE)

    def cut(self):
        def reset_all():
            for writer in list(self.writers):
                writer.transport.abort()
        self._in_loop(reset_all)

    def refuse(self, refusing):
        def set_refusing():
            self.refusing = refusing
        self._in_loop(set_refusing)

    def stop(self):
        self.loop.call_soon_threadsafe(self.done.set)
        self.thread.join(timeout=DEADLINE)


class RelayPki:
    """Two certificate authorities and a node certificate signed by each, made
    with openssl: `trusted` is the tree's, `rogue` another one."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="evstream-relay-pki-")
        for ca in ("trusted", "rogue"):
            self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-days", "1", "-subj", f"/CN={ca} relay CA", "-addext", "basicConstraints=critical,CA:TRUE",
                          "-keyout", self.path(f"{ca}-ca.key"), "-out", self.path(f"{ca}-ca.pem"))
            self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-subj", f"/CN={ca} node", "-keyout", self.path(f"{ca}.key"), "-out", self.path(f"{ca}.csr"))
            self._openssl("x509", "-req", "-days", "1", "-in", self.path(f"{ca}.csr"), "-CA", self.path(f"{ca}-ca.pem"),
                          "-CAkey", self.path(f"{ca}-ca.key"), "-CAcreateserial", "-out", self.path(f"{ca}.pem"))

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    def args(self, trusts="trusted", presents="trusted"):
        """A node's relay TLS options: the CA it trusts, the certificate it presents."""
        return [f"--relay-ca={self.path(trusts + '-ca.pem')}", f"--relay-cert={self.path(presents + '.pem')}",
                f"--relay-key={self.path(presents + '.key')}"]


def feed_port(server):
    """The relay feed port from a node's "listening" line ("relay_feed": "127.0.0.1:N")."""
    return int(server.listening["relay_feed"].rsplit(":", 1)[1])


def readiness(server):
    try:
        with urllib.request.urlopen(server.base_url + "/readyz", timeout=DEADLINE) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def metric(server, name):
    """The value of one unlabelled (or fully labelled) series on GET /metrics."""
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=DEADLINE) as res:
        for line in res.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"no {name} on {server.base_url}/metrics")


def wait_until_ready(server):
    deadline = time.monotonic() + DEADLINE
    while (answer := readiness(server))[0] != 200:
        assert time.monotonic() < deadline, f"{server.base_url} not ready: {answer}"
        time.sleep(0.05)
    return answer[1]


class RelayTreeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = RelayPki()

    @classmethod
    def tearDownClass(cls):
        cls.pki.dir.cleanup()

    def serve(self, *args, tls=None, **kwargs):
        """A node; one that relays gets the tree's certificates unless `tls` says otherwise."""
        if tls is None and any(arg.startswith(("--publish-port", "--upstream")) for arg in args):
            tls = self.pki.args()
        server = Server(EVSTREAM, *args, *(tls or []), **kwargs)
        self.addCleanup(server.stop)
        return server

    def relay(self, upstream_port, *args, port=0):
        server = self.serve(f"--upstream=127.0.0.1:{upstream_port}", *args, source=None, port=port)
        self.assertEqual(server.listening["source"], f"upstream 127.0.0.1:{upstream_port}")
        wait_until_ready(server)
        return server

    def proxy(self, target_port):
        proxy = TcpProxy(target_port)
        self.addCleanup(proxy.stop)
        return proxy

    def tail(self, server):
        client = Client([EVSTREAM, "tail", server.base_url, "--ping-interval=1s", "--retry-delay=50ms",
                         "--max-retry-delay=500ms"])
        self.addCleanup(client.close)
        client.wait_for_log("subscribed")
        return client

    def assert_prints_in_order(self, client, blocks):
        for block in blocks:
            for event in events_of(block):
                self.assertEqual(json.loads(client.next_line()), json.loads(event))

    def test_every_client_of_every_node_gets_every_event_once_in_order_through_a_cut_and_a_restart(self):
        origin = self.serve("--publish-port=0")
        proxy = self.proxy(feed_port(origin))
        relay1 = self.relay(proxy.port, "--publish-port=0")
        relay2 = self.relay(feed_port(relay1))
        tails = {"origin": self.tail(origin), "relay1": self.tail(relay1), "relay2": self.tail(relay2)}

        first = [new_block() for _ in range(5)]
        for block in first:
            origin.post(block)
        for tail in tails.values():
            self.assert_prints_in_order(tail, first)

        # Cut the origin link while blocks keep coming.
        second = [new_block() for _ in range(40)]  # more than the 32 a link sends unacknowledged
        for i, block in enumerate(second):
            origin.post(block)
            if i == 7:
                proxy.cut()
        for tail in tails.values():
            self.assert_prints_in_order(tail, second)
        self.assertGreaterEqual(proxy.connections, 2, "relay1 never reconnected")
        self.assertGreaterEqual(wait_until_ready(relay1)["links_lost"], 1)
        self.assertEqual(metric(relay1, "evstream_relay_upstream_connected"), 1)
        self.assertGreaterEqual(metric(relay1, "evstream_relay_reconnects_total"), 1)
        with self.assertRaises(AssertionError):  # an origin is not a relay: no relay series
            metric(origin, "evstream_relay_reconnects_total")

        # Kill relay2; blocks go on; it comes back on its port and fills its
        # window from relay1, so its client resumes without a gap.
        relay2_port = relay2.port
        relay2.kill()
        tails["relay2"].wait_for_log("retrying")
        third = [new_block() for _ in range(5)]
        for block in third:
            origin.post(block)
        for name in ("origin", "relay1"):
            self.assert_prints_in_order(tails[name], third)
        self.relay(feed_port(relay1), port=relay2_port)
        tails["relay2"].wait_for_log("?since=")
        self.assert_prints_in_order(tails["relay2"], third)

        last = new_block()
        origin.post(last)
        for tail in tails.values():
            self.assert_prints_in_order(tail, [last])
            self.assertFalse([line for line in tail.log if "GAP" in line], tail.log)

    def test_a_relay_that_missed_blocks_its_upstream_no_longer_has_tells_its_clients(self):
        origin = self.serve("--publish-port=0", "--retain-blocks=3")
        proxy = self.proxy(feed_port(origin))
        relay = self.relay(proxy.port)
        tail = self.tail(relay)
        # Two blocks, so the tail knows the first is whole and resumes after it.
        before = [new_block(), new_block()]
        for block in before:
            origin.post(block)
        self.assert_prints_in_order(tail, before)

        proxy.refuse(True)
        proxy.cut()
        deadline = time.monotonic() + DEADLINE
        while readiness(relay)[0] == 200:
            self.assertLess(time.monotonic(), deadline, "the relay never noticed the cut")
            time.sleep(0.05)
        missed = [new_block() for _ in range(6)]  # more than the origin retains
        for block in missed:
            origin.post(block)
        proxy.refuse(False)
        wait_until_ready(relay)

        # The relay closes its subscribers; the tail resumes, gets 410 and says so.
        self.assertIn("1011", tail.wait_for_log("disconnected"))
        self.assertIn(before[0]["id"], tail.wait_for_log("GAP"))
        after = new_block()
        origin.post(after)
        # Then whole blocks the origin still had, in order, up to the new one.
        printed = []
        while not printed or printed[-1] != json.loads(events_of(after)[-1]):
            printed.append(json.loads(tail.next_line()))
        blocks = [block for block in missed if block["id"] in {event["blockid"] for event in printed}]
        expected = [json.loads(event) for block in blocks + [after] for event in events_of(block)]
        self.assertEqual(printed, expected)
        self.assertEqual(blocks, missed[len(missed) - len(blocks):])
        self.assertEqual(metric(relay, 'evstream_websocket_closes_total{reason="upstream_gap"}'), 1)

    def refused_follower_says(self, feed, *tls):
        """Starts a relay of `feed` with these TLS options; returns its first
        line saying why the link failed, once it shows the relay not following."""
        relay = Client([EVSTREAM, "--port=0", f"--upstream=127.0.0.1:{feed_port(feed)}", *tls])
        self.addCleanup(relay.close)
        return relay.wait_for_log('"state":"disconnected"')

    def test_a_follower_or_a_feed_whose_certificate_does_not_chain_to_the_ca_is_refused(self):
        origin = self.serve("--publish-port=0")
        tail = self.tail(origin)
        # A follower presenting a certificate of another CA: the feed refuses it.
        self.assertIn("TLS handshake refused", self.refused_follower_says(origin, *self.pki.args(presents="rogue")))
        # A follower that trusts another CA: it refuses the feed.
        self.assertIn("TLS handshake refused", self.refused_follower_says(origin, *self.pki.args(trusts="rogue")))
        # A plain-BASP follower: no TLS at all.
        self.assertIn("cannot connect", self.refused_follower_says(origin, "--relay-insecure"))
        # The feed's own certificate from another CA: a proper follower refuses it.
        impostor = self.serve("--publish-port=0", tls=self.pki.args(presents="rogue"))
        self.assertIn("TLS handshake refused", self.refused_follower_says(impostor, *self.pki.args()))
        # The origin serves on, and a proper follower is taken.
        relay_tail = self.tail(self.relay(feed_port(origin)))
        block = new_block()
        origin.post(block)
        for client in (tail, relay_tail):
            self.assert_prints_in_order(client, [block])


if __name__ == "__main__":
    unittest.main()
