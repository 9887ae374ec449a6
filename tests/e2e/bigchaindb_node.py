"""A stand-in for a BigchainDB 2.x node, for the tests and for trying
--source=bigchaindb without a node. Written for evstream, it answers the two
requests the follower makes as BigchainDB 2.2.2 and its Tendermint do:

  GET /api/v1/blocks/H     200 {"height": H, "transactions": [...]} up to the
                           latest height (an empty list for a height without
                           transactions), 404 {"message": "Not found",
                           "status": 404} above it
  GET /block?height=H      Tendermint's answer, in the 0.31 shape (BigchainDB
                           2.2.2's: result.block_meta.block_id.hash) or the
                           0.33 one (result.block_id.hash); hashes upper-case
  GET /status              result.sync_info.latest_block_height

Heights appear when the test (or --rate) adds them; an outage closes both
ports until it ends.

  python3 tests/e2e/bigchaindb_node.py --port=9985 --tendermint-port=26658 --rate=1
"""
import argparse
import hashlib
import http.server
import json
import secrets
import threading
import time
import urllib.parse


def digest(*parts):
    return hashlib.sha3_256("/".join(str(p) for p in parts).encode()).hexdigest()


def transaction(operation, asset, owner=None):
    """A transaction as BigchainDB 2.x's Transaction.to_dict writes one; its id is made up."""
    owner = owner or secrets.token_hex(22)
    tx = {"inputs": [{"owners_before": [owner], "fulfills": None, "fulfillment": "pGSAI..."}],
          "outputs": [{"public_keys": [owner], "amount": "1",
                       "condition": {"uri": "ni:///sha-256;x?fpt=ed25519-sha-256&cost=131072",
                                     "details": {"type": "ed25519-sha-256", "public_key": owner}}}],
          "operation": operation, "metadata": {"note": secrets.token_hex(4)}, "asset": asset,
          "version": "2.0", "id": None}
    tx["id"] = digest(json.dumps(tx, sort_keys=True), secrets.token_hex(8))
    return tx


def chain_transactions(count, created):
    """`count` transactions: CREATEs, TRANSFERs of earlier assets, and now and
    then an election and a VOTE for it (whose asset is the election)."""
    txs = []
    while len(txs) < count:
        kind = len(created) % 7
        if kind == 5 and count - len(txs) >= 2:
            election = transaction("VALIDATOR_ELECTION", {"data": {"public_key": {"value": secrets.token_hex(16)},
                                                                   "power": 1, "node_id": "x"}})
            txs += [election, transaction("VOTE", {"id": election["id"]})]
        elif created and kind % 2:
            txs.append(transaction("TRANSFER", {"id": created[-1]}))
        else:
            tx = transaction("CREATE", {"data": {"serial": secrets.token_hex(4)}})
            txs.append(tx)
        created.append(txs[-1]["id"])
    return txs[:count]


class Chain:
    """The node's blocks by height; heights 1..latest exist."""

    def __init__(self):
        self.lock = threading.Lock()
        self.blocks = {}
        self.latest = 0
        self.created = []

    def add(self, transactions):
        """Appends a height holding `transactions` (a count or a list); returns the height."""
        with self.lock:
            if isinstance(transactions, int):
                transactions = chain_transactions(transactions, self.created)
            self.latest += 1
            self.blocks[self.latest] = transactions
            return self.latest

    def block(self, height):
        with self.lock:
            return self.blocks.get(height) if height <= self.latest else None

    @staticmethod
    def hash(height):
        return hashlib.sha256(f"tendermint block {height}".encode()).hexdigest().upper()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _NodeHandler(_Handler):
    def do_GET(self):
        node = self.server.node
        path = urllib.parse.urlsplit(self.path).path
        prefix = "/api/v1/blocks/"
        node.requests.append(path)
        if node.failing:
            return self.answer(500, {"message": "Internal Server Error", "status": 500})
        if not path.startswith(prefix) or not path[len(prefix):].isdigit():
            return self.answer(404, {"message": "Not found", "status": 404})
        height = int(path[len(prefix):])
        txs = node.chain.block(height)
        if txs is None:
            return self.answer(404, {"message": "Not found", "status": 404})
        self.answer(200, {"height": height, "transactions": txs})


class _TendermintHandler(_Handler):
    def do_GET(self):
        node = self.server.node
        url = urllib.parse.urlsplit(self.path)
        chain = node.chain
        if url.path == "/status":
            return self.answer(200, {"jsonrpc": "2.0", "id": "", "result": {
                "sync_info": {"latest_block_height": str(chain.latest), "catching_up": False}}})
        if url.path == "/block":
            height = int(urllib.parse.parse_qs(url.query).get("height", ["0"])[0])
            if chain.block(height) is None:
                return self.answer(500, {"jsonrpc": "2.0", "id": "", "error": {
                    "code": -32603, "message": "Internal error",
                    "data": f"Height {height} must be less than or equal to the current blockchain height"}})
            block_id = {"hash": chain.hash(height), "parts": {"total": "1", "hash": "00" * 32}}
            header = {"chain_id": "test-chain", "height": str(height),
                      "time": time.strftime("%Y-%m-%dT%H:%M:%S.123456789Z", time.gmtime(1556187630 + height))}
            block = {"header": header, "data": {"txs": None}}
            if node.tendermint_version == "0.31":
                result = {"block_meta": {"block_id": block_id, "header": header}, "block": block}
            else:
                result = {"block_id": block_id, "block": block}
            return self.answer(200, {"jsonrpc": "2.0", "id": "", "result": result})
        self.answer(404, {"error": "unknown path"})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (evstream killed by a test) is no error here.
        pass


class BigchainNode:
    """The node's HTTP API and Tendermint's RPC on 127.0.0.1, each on its own
    port (0: a free one), served by threads of this process."""

    def __init__(self, port=0, tendermint_port=0, tendermint_version="0.31", serve_tendermint=True):
        self.chain = Chain()
        self.tendermint_version = tendermint_version
        self.failing = False
        self.requests = []
        self.servers = {}
        self.port = self._serve("node", _NodeHandler, port)
        self.tendermint_port = self._serve("tendermint", _TendermintHandler, tendermint_port) \
            if serve_tendermint else tendermint_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.tendermint_url = f"http://127.0.0.1:{self.tendermint_port}"

    def _serve(self, name, handler, port):
        server = _Server(("127.0.0.1", port), handler)
        server.node = self
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.servers[name] = (server, thread, handler)
        return server.server_address[1]

    def add(self, transactions=3):
        return self.chain.add(transactions)

    def outage(self):
        """Closes both ports: connections are refused until restore()."""
        for server, thread, _ in self.servers.values():
            server.shutdown()
            server.server_close()
            thread.join()

    def restore(self):
        ports = {"node": self.port, "tendermint": self.tendermint_port}
        for name, (_, _, handler) in list(self.servers.items()):
            self._serve(name, handler, ports[name])

    def close(self):
        for server, thread, _ in self.servers.values():
            server.shutdown()
            server.server_close()
        self.servers = {}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9985)
    parser.add_argument("--tendermint-port", type=int, default=26658)
    parser.add_argument("--tendermint-version", choices=["0.31", "0.33"], default="0.31")
    parser.add_argument("--rate", type=float, default=1.0, help="new heights per second")
    parser.add_argument("--transactions", type=int, default=3, help="transactions per height")
    args = parser.parse_args()
    node = BigchainNode(args.port, args.tendermint_port, args.tendermint_version)
    print(f"BigchainDB stand-in: node {node.url}, Tendermint {node.tendermint_url}", flush=True)
    while True:
        height = node.add(args.transactions)
        print(f"height {height}", flush=True)
        time.sleep(1 / args.rate)


if __name__ == "__main__":
    main()
