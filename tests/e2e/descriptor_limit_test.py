"""At the descriptor limit the listener backs off instead of spinning: the
real evstream binary under `prlimit --nofile=64`, more connections held open
than it has descriptors. While it cannot accept, it uses a small share of a
core and logs at most a line; once the connections go, a probe is answered.

The CPU share is measured over a window of a few seconds: that is the
quantity under test, not a wait for something to happen.

Usage: python3 descriptor_limit_test.py PATH_TO_EVSTREAM
"""
import json
import os
import socket
import sys
import time
import unittest
import urllib.request

from harness import DEADLINE, Client

EVSTREAM = sys.argv.pop(1) if len(sys.argv) > 1 else "./evstream"
MAX_OPEN_FILES = 64
HELD = 100  # connections held open: more than the server's descriptors
WINDOW = 3  # seconds over which its CPU and log are measured


def cpu_seconds(pid):
    """User plus system CPU time of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def samples(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=DEADLINE) as res:
        return dict(line.rsplit(" ", 1) for line in res.read().decode().splitlines()
                    if line and not line.startswith("#"))


class DescriptorLimitTest(unittest.TestCase):
    def test_out_of_descriptors_it_backs_off_logs_little_and_resumes(self):
        # A long request timeout: the held connections keep their descriptors.
        server = Client(["prlimit", f"--nofile={MAX_OPEN_FILES}", EVSTREAM, "--port=0", "--source=ingest",
                         "--request-timeout=60s"])
        self.addCleanup(server.close)
        listening = json.loads(server.wait_for_log('"event":"listening"'))
        port = int(listening["url"].rsplit(":", 1)[1])

        held = [socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) for _ in range(HELD)]
        server.wait_for_log('"event":"accept_failed"')

        cpu_before, started = cpu_seconds(server.process.pid), time.monotonic()
        logged = server.log_during(WINDOW)
        share = (cpu_seconds(server.process.pid) - cpu_before) / (time.monotonic() - started)
        self.assertLess(share, 0.25, "of a core while out of descriptors")
        self.assertLessEqual(sum(len(line) + 1 for line in logged), 1024, logged)

        for connection in held:
            connection.close()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=DEADLINE) as res:
            self.assertEqual(res.status, 200)
        failures = float(samples(port)["evstream_accept_failures_total"])
        # Backing off from 5 ms to 1 s, a few dozen tries; spinning, millions.
        self.assertGreaterEqual(failures, 1)
        self.assertLess(failures, 100)


if __name__ == "__main__":
    unittest.main(verbosity=2)
