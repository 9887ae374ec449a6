"""What the client tests share: the evstream binary on 127.0.0.1, blocks to
post to it, the events they must produce, and a client process whose output
lines are read with a deadline (never a fixed sleep)."""
import http.client
import json
import os
import queue
import secrets
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

DEADLINE = 15  # seconds any single wait may take


class Server:
    """evstream on 127.0.0.1; port 0 picks a free one, read from its "listening"
    log line (source=None: no --source, as a relay with --upstream has none).
    Its stdin is a pipe (for --source=stdin). Its stderr is read all along by
    a thread, so that the pipe never fills and stalls the server; `log` holds
    every line so far."""

    def __init__(self, evstream, *args, port=0, tls=None, source="ingest"):
        command = [evstream, f"--port={port}", *([f"--source={source}"] if source else []), *args]
        if tls:
            command += [f"--tls-cert={tls.cert_file}", f"--tls-key={tls.key_file}"]
        self.tls = tls
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.log = []
        self.logged = threading.Condition()
        started = queue.Queue()

        def read_stderr():
            for line in self.process.stderr:
                with self.logged:
                    self.log.append(line)
                    self.logged.notify_all()
                if line.startswith("{") and json.loads(line).get("event") == "listening":
                    started.put(json.loads(line))
            started.put(None)

        self.reader = threading.Thread(target=read_stderr, daemon=True)
        self.reader.start()
        try:
            self.listening = started.get(timeout=DEADLINE)
        except queue.Empty:
            self.listening = None
        if not self.listening:
            self.process.kill()
            raise RuntimeError("evstream did not start: " + "".join(self.log))
        self.port = int(self.listening["url"].rsplit(":", 1)[1])
        scheme = "https" if tls else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        assert self.listening["url"] == self.base_url, self.listening
        self.stream_url = f"{'wss' if tls else 'ws'}://127.0.0.1:{self.port}/api/v1/streams/valid_tx"

    def post(self, block):
        request = urllib.request.Request(self.base_url + "/api/v1/blocks", data=json.dumps(block).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=self.tls.cert_file) if self.tls else None
        with urllib.request.urlopen(request, timeout=DEADLINE, context=context) as res:
            assert res.status == 202, res.status

    def wait_for_event(self, event):
        """The first stderr line logging `event`, as JSON; waits up to DEADLINE."""
        deadline = time.monotonic() + DEADLINE
        with self.logged:
            while True:
                for line in self.log:
                    if line.startswith("{") and json.loads(line).get("event") == event:
                        return json.loads(line)
                left = deadline - time.monotonic()
                if left <= 0 or not self.reader.is_alive():
                    raise AssertionError(f"no {event} logged within {DEADLINE} s: {''.join(self.log)}")
                self.logged.wait(left)

    def stop_reading_stderr(self):
        """SIGTERM; returns the exit code and everything written to stderr."""
        code = self.stop()
        return code, "".join(self.log)

    def kill(self):
        self.process.kill()
        self.stop()

    def stop(self):
        """SIGTERM unless it has ended; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=DEADLINE)
        self.reader.join(timeout=DEADLINE)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe:
                pipe.close()
        return code


def post_status(server, block):
    """The status of a POST of `block` to ingest; an exception when no answer came (the server died)."""
    request = urllib.request.Request(server.base_url + "/api/v1/blocks", data=json.dumps(block).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as res:
            return res.status
    except urllib.error.HTTPError as error:
        return error.code


def get_status(server, path):
    """The status of a GET of `path`."""
    try:
        with urllib.request.urlopen(server.base_url + path, timeout=DEADLINE) as res:
            return res.status
    except urllib.error.HTTPError as error:
        return error.code


def handshake(server, target):
    """An upgrade request for `target`; returns the status and, for a refusal, the JSON body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    connection.request("GET", target, headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    response = connection.getresponse()
    body = json.loads(response.read() or b"null") if response.status != 101 else None
    connection.close()
    return response.status, body


def new_block(transactions=3):
    """A block never posted before: a CREATE, then TRANSFERs of its asset."""
    create = secrets.token_hex(32)
    txs = [{"id": create, "operation": "CREATE", "asset": {"data": {}}}]
    txs += [{"id": secrets.token_hex(32), "operation": "TRANSFER", "asset": {"id": create}}
            for _ in range(transactions - 1)]
    return {"id": secrets.token_hex(32), "block": {"timestamp": str(int(time.time())), "transactions": txs}}


def events_of(block):
    """The stream's messages for `block`, as the server encodes them."""
    return [json.dumps({"txid": tx["id"], "assetid": tx.get("asset", {}).get("id", tx["id"]),
                        "blockid": block["id"]}, separators=(",", ":"))
            for tx in block["block"]["transactions"]]


class Client:
    """A client process; a thread per pipe queues its lines, so a test can
    wait for a line with a deadline."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.pumps = []
        self.stdout = self._queue_lines(self.process.stdout)
        self.stderr = self._queue_lines(self.process.stderr)
        self.log = []  # every stderr line seen so far

    def _queue_lines(self, pipe):
        lines = queue.Queue()

        def pump():
            for line in pipe:
                lines.put(line.rstrip("\n"))
            lines.put(None)  # end of output
            pipe.close()
        self.pumps.append(threading.Thread(target=pump, daemon=True))
        self.pumps[-1].start()
        return lines

    def next_line(self, within=DEADLINE):
        """The next stdout line; AssertionError if none comes in time."""
        try:
            line = self.stdout.get(timeout=within)
        except queue.Empty:
            raise AssertionError(f"no output within {within} s; stderr so far: {self.log}")
        if line is None:
            raise AssertionError(f"the client ended; stderr: {self.log}")
        return line

    def wait_for_log(self, text, within=DEADLINE):
        """Waits for a stderr line containing `text` and returns it."""
        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} on stderr within {within} s; seen: {self.log}")
            try:
                line = self.stderr.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the client ended before logging {text!r}; seen: {self.log}")
            self.log.append(line)
            if text in line:
                return line

    def log_during(self, seconds):
        """Every stderr line the client writes in the next `seconds`."""
        deadline = time.monotonic() + seconds
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.stderr.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.log.append(line)
            seen.append(line)
        return seen

    def terminate(self):
        """SIGTERM; returns the exit code and every stdout line not read yet."""
        self.process.send_signal(signal.SIGTERM)
        return self.finish()

    def finish(self):
        """Waits for the exit; returns its code and every stdout line not read yet."""
        code = self.process.wait(timeout=DEADLINE)
        rest = []
        while (line := self.stdout.get(timeout=DEADLINE)) is not None:
            rest.append(line)
        return code, rest

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE)
        for pump in self.pumps:
            pump.join(timeout=DEADLINE)


class Certificate:
    """A self-signed certificate for 127.0.0.1 (as an IP SAN), made with openssl."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="evstream-tls-")
        self.cert_file = os.path.join(self.dir.name, "cert.pem")
        self.key_file = os.path.join(self.dir.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE",
                        "-keyout", self.key_file, "-out", self.cert_file],
                       check=True, capture_output=True)

    def cleanup(self):
        self.dir.cleanup()


def scrape(server):
    """The /metrics text and its samples, {"name{labels}": value}."""
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=DEADLINE) as res:
        assert res.status == 200, res.status
        content_type = res.headers["Content-Type"]
        assert content_type.startswith("text/plain; version=0.0.4"), content_type
        text = res.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            samples[series] = float(value)
    return text, samples
