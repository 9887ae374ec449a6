"""examples/deploy, as an operator would use it: the systemd unit passes
`systemd-analyze verify` without a complaint, and evstream runs from the
example configuration file (with only the address, port and journal path
overridden for the test), is ready, advertises the configured URL and stops
cleanly on SIGTERM; the unit's ExecStart takes the ingest token from its
credential file.

Usage: python3 deploy_examples_test.py PATH_TO_EVSTREAM PATH_TO_EXAMPLES_DEPLOY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import DEADLINE, Server, new_block  # noqa: E402

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

    def test_the_unit_passes_the_ingest_token_from_its_credential_file(self):
        with open(os.path.join(DEPLOY, "evstream.service")) as unit:
            exec_start = next(line for line in unit if line.startswith("ExecStart="))
        with tempfile.TemporaryDirectory() as credentials:
            with open(os.path.join(credentials, "ingest-token"), "w") as token_file:
                token_file.write("from-the-credential\n")
            # What systemd runs, with $CREDENTIALS_DIRECTORY as it would set it.
            args = exec_start.strip().split()[1:]
            args = [arg.replace("${CREDENTIALS_DIRECTORY}", credentials) for arg in args]
            args = [arg.replace("/etc/evstream/evstream.ini", os.path.join(DEPLOY, "evstream.ini")) for arg in args]
            server = Server(EVSTREAM, *args, "--host=127.0.0.1", f"--journal={os.path.join(credentials, 'blocks.db')}",
                            source=None)
            self.addCleanup(server.stop)
            self.assertEqual(post_status(server, None), 401)
            self.assertEqual(post_status(server, "from-the-credential"), 202)
            self.assertEqual(server.stop(), 0)


def post_status(server, token):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(server.base_url + "/api/v1/blocks", data=json.dumps(new_block()).encode(),
                                     method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as res:
            return res.status
    except urllib.error.HTTPError as error:
        return error.code


if __name__ == "__main__":
    unittest.main()
