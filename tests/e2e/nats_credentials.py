"""NATS operator-mode (decentralized JWT) credentials for the end-to-end
tests, written here because Debian packages nats-server but not `nsc`, the
tool that makes them: NKeys (Ed25519 keys in NATS' base32 form), the
operator, account and user JWTs they sign, a user's .creds file and a
nats-server configuration that trusts the operator and preloads the
accounts (one with JetStream, and the system account).

Usage: write_operator_setup(directory) -> (config_file, creds_file)
"""
import base64
import binascii
import json
import os
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PREFIX_SEED = 18 << 3
PREFIX_OPERATOR = 14 << 3
PREFIX_ACCOUNT = 0
PREFIX_USER = 20 << 3


def _base32(data):
    return base64.b32encode(data).decode().rstrip("=")


def _crc16(data):
    """CRC-16/XMODEM, as NKeys append it (little-endian)."""
    return binascii.crc_hqx(data, 0).to_bytes(2, "little")


def _b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class NKey:
    """An Ed25519 key pair of one NKey type: `public` (O..., A..., U...) and `seed` (SO..., SA..., SU...)."""

    def __init__(self, prefix):
        self.key = Ed25519PrivateKey.generate()
        raw_seed = self.key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption())
        raw_public = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        public = bytes([prefix]) + raw_public
        self.public = _base32(public + _crc16(public))
        seed = bytes([PREFIX_SEED | (prefix >> 5), (prefix & 31) << 3]) + raw_seed
        self.seed = _base32(seed + _crc16(seed))

    def sign(self, data):
        return self.key.sign(data)


def jwt(issuer, subject, name, nats):
    """A JWT v2 about `subject` (an NKey's public key), signed by `issuer` (an NKey)."""
    header = _b64url(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    # jti only has to be unique: nats-server does not check how it is made.
    claims = {"jti": _base32(os.urandom(32)), "iat": int(time.time()), "iss": issuer.public, "name": name,
              "sub": subject, "nats": nats}
    body = _b64url(json.dumps(claims).encode())
    return f"{header}.{body}.{_b64url(issuer.sign(f'{header}.{body}'.encode()))}"


UNLIMITED = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True, "conn": -1,
             "leaf": -1}
JETSTREAM = {"mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}


def creds(user_jwt, user):
    """The text of a .creds file: a user's JWT and NKey seed."""
    return ("-----BEGIN NATS USER JWT-----\n"
            f"{user_jwt}\n"
            "------END NATS USER JWT------\n\n"
            "************************* IMPORTANT *************************\n"
            "NKEY Seed printed below can be used to sign and prove identity.\n"
            "NKEYs are sensitive and should be treated as secrets.\n\n"
            "-----BEGIN USER NKEY SEED-----\n"
            f"{user.seed}\n"
            "------END USER NKEY SEED------\n\n"
            "*************************************************************\n")


def write_operator_setup(directory):
    """An operator, a system account, a JetStream account and a user of it, in `directory`: the
    nats-server configuration (without listen or store, which the caller gives) and the user's .creds file."""
    operator, system, account, user = (NKey(PREFIX_OPERATOR), NKey(PREFIX_ACCOUNT), NKey(PREFIX_ACCOUNT),
                                       NKey(PREFIX_USER))
    operator_jwt = jwt(operator, operator.public, "evstream-test",
                       {"type": "operator", "version": 2, "system_account": system.public})
    system_jwt = jwt(operator, system.public, "SYS", {"type": "account", "version": 2, "limits": UNLIMITED})
    account_jwt = jwt(operator, account.public, "evstream",
                      {"type": "account", "version": 2, "limits": {**UNLIMITED, **JETSTREAM}})
    user_jwt = jwt(account, user.public, "node",
                   {"type": "user", "version": 2, "subs": -1, "data": -1, "payload": -1})
    config_file, creds_file = os.path.join(directory, "operator.conf"), os.path.join(directory, "node.creds")
    with open(config_file, "w") as file:
        file.write(f"operator: {operator_jwt}\n"
                   f"system_account: {system.public}\n"
                   "resolver: MEMORY\n"
                   "resolver_preload: {\n"
                   f"  {account.public}: {account_jwt}\n"
                   f"  {system.public}: {system_jwt}\n"
                   "}\n")
    with open(creds_file, "w") as file:
        file.write(creds(user_jwt, user))
    os.chmod(creds_file, 0o600)
    return config_file, creds_file
