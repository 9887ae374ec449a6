"""examples/deploy, as an operator would use it: the systemd unit passes
`systemd-analyze verify` without a complaint, and evstream runs from the
example configuration file (with only the address, port and journal path
overridden for the test), is ready, advertises the configured URL and stops
cleanly on SIGTERM.

Usage: python3 deploy_examples_test.py PATH_TO_EVSTREAM PATH_TO_EXAMPLES_DEPLOY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import DEADLINE, Server  # noqa: E402

EVSTREAM, DEPLOY = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
del sys.argv[1:3]


class DeployExamplesTest(unittest.TestCase):
    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_the_unit_file_verifies_without_a_complaint(self):
        with tempfile.TemporaryDirectory() as scratch:
            unit = os.path.join(scratch, "evstream.service")
            with open(os.path.join(DEPLOY, "evstream.service")) as source, open(unit, "w") as copy:
                # verify wants ExecStart's program to exist.
                copy.write(source.read().replace("/usr/local/bin/evstream", EVSTREAM))
            result = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                                    timeout=DEADLINE)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr.strip(), "")

    def test_evstream_runs_from_the_example_configuration(self):
        with tempfile.TemporaryDirectory() as scratch:
            server = Server(EVSTREAM, f"--config-file={os.path.join(DEPLOY, 'evstream.ini')}",
                            "--host=127.0.0.1", f"--journal={os.path.join(scratch, 'blocks.db')}")
            self.addCleanup(server.stop)
            with urllib.request.urlopen(server.base_url + "/readyz", timeout=DEADLINE) as res:
                self.assertEqual(json.load(res)["status"], "ready")
            with urllib.request.urlopen(server.base_url + "/", timeout=DEADLINE) as res:
                self.assertEqual(json.load(res)["_links"]["streams_v1"], "wss://node.example.com/api/v1/streams/")
            self.assertEqual(server.stop(), 0)
            self.assertTrue(os.path.exists(os.path.join(scratch, "blocks.db")))


if __name__ == "__main__":
    unittest.main()
