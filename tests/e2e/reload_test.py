"""SIGHUP as an operator uses it: a renewed certificate and key, a new ingest
token and log level are taken up while every subscriber stays connected and
keeps receiving; a new connection sees the new certificate; a reload that
fails (a broken certificate file) keeps the running values and says why."""
import asyncio
import json
import os
import shutil
import signal
import ssl
import sys
import tempfile
import types
import unittest
import urllib.error
import urllib.request

import websockets

from harness import DEADLINE, Certificate, Server, events_of, new_block

EVSTREAM = sys.argv.pop(1)


def served_certificate(port):
    """The DER certificate a new TLS connection to the port is shown."""
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port), timeout=DEADLINE))


def der_of(path):
    with open(path) as file:
        return ssl.PEM_cert_to_DER_cert(file.read())


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.first, self.second = Certificate(), Certificate()
        self.addCleanup(self.first.cleanup)
        self.addCleanup(self.second.cleanup)
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.path = lambda name: os.path.join(directory.name, name)
        self.install(self.first)
        self.write("token", "first-token\n")
        self.write("evstream.ini", "log-level = info\nmax-connections = 100\n")
        with open(self.path("trusted.pem"), "w") as bundle:
            for certificate in (self.first, self.second):
                with open(certificate.cert_file) as file:
                    bundle.write(file.read())
        self.trusted = ssl.create_default_context(cafile=self.path("trusted.pem"))

    def write(self, name, text):
        with open(self.path(name), "w") as file:
            file.write(text)

    def install(self, certificate):
        shutil.copy(certificate.cert_file, self.path("cert.pem"))
        shutil.copy(certificate.key_file, self.path("key.pem"))

    def post(self, server, block, token):
        request = urllib.request.Request(server.base_url + "/api/v1/blocks", data=json.dumps(block).encode(),
                                         method="POST", headers={"Content-Type": "application/json",
                                                                 "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=DEADLINE, context=self.trusted) as res:
                return res.status
        except urllib.error.HTTPError as error:
            return error.code

    def test_a_reload_swaps_certificate_token_and_level_and_keeps_every_subscriber(self):
        tls = types.SimpleNamespace(cert_file=self.path("cert.pem"), key_file=self.path("key.pem"))
        server = Server(EVSTREAM, f"--config-file={self.path('evstream.ini')}",
                        f"--ingest-token-file={self.path('token')}", tls=tls)
        self.addCleanup(server.stop)
        self.assertEqual(served_certificate(server.port), der_of(self.first.cert_file))

        async def story():
            async with websockets.connect(server.stream_url, ssl=self.trusted, open_timeout=DEADLINE) as ws:
                before = new_block(2)
                self.assertEqual(self.post(server, before, "first-token"), 202)
                for event in events_of(before):
                    self.assertEqual(await asyncio.wait_for(ws.recv(), DEADLINE), event)

                # The renewal: new files at the same paths, a new token, a new level.
                self.install(self.second)
                self.write("token", "second-token\n")
                self.write("evstream.ini", "log-level = debug\nmax-connections = 200\n")
                os.kill(server.process.pid, signal.SIGHUP)
                reloaded = server.wait_for_event("reloaded")
                self.assertEqual(reloaded["changed"], ["tls", "ingest-token", "log-level"])
                self.assertEqual(reloaded["needs_restart"], ["max-connections"])

                self.assertEqual(served_certificate(server.port), der_of(self.second.cert_file))
                self.assertEqual(self.post(server, new_block(1), "first-token"), 403)
                after = new_block(2)
                self.assertEqual(self.post(server, after, "second-token"), 202)
                for event in events_of(after):  # the same connection, opened before the reload
                    self.assertEqual(await asyncio.wait_for(ws.recv(), DEADLINE), event)

                # A broken certificate file: nothing changes, and the log says why.
                self.write("cert.pem", "not a certificate\n")
                self.write("token", "third-token\n")
                os.kill(server.process.pid, signal.SIGHUP)
                failed = server.wait_for_event("reload_failed")
                self.assertIn("--tls-cert: cannot load", failed["error"])
                self.assertEqual(served_certificate(server.port), der_of(self.second.cert_file))
                self.assertEqual(self.post(server, new_block(1), "third-token"), 403)
                last = new_block(1)
                self.assertEqual(self.post(server, last, "second-token"), 202)
                self.assertEqual(await asyncio.wait_for(ws.recv(), DEADLINE), events_of(last)[0])
        asyncio.run(story())
        self.assertEqual(server.stop(), 0)
        debug_lines = [json.loads(line) for line in server.log if json.loads(line)["level"] == "debug"]
        self.assertTrue(debug_lines, "log-level=debug took effect")


if __name__ == "__main__":
    unittest.main()
