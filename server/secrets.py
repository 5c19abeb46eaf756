"""The server's secrets: one master secret outside the database, split by HKDF.

The database never holds a key. A stolen database (or backup) gives ciphertext
of ID numbers and keyed hashes that cannot be tested against guesses without
the secret file. Each use gets its own derived key so that, for example, the
token-signing key reveals nothing about the ID-number encryption key.
"""

from __future__ import annotations

import os
import secrets as _random
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASTER_SECRET_BYTES = 32


class SecretError(Exception):
    """The secret file is missing, unreadable or malformed."""


def _derive(master: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"doorctl-server/" + label.encode()).derive(master)


@dataclass(frozen=True)
class ServerSecrets:
    id_number_encryption: bytes  # AES-256-GCM key for ID document numbers
    id_number_lookup: bytes      # HMAC-SHA256 key for look-up/duplicate hashes
    token_signing: bytes         # HMAC-SHA256 key for bearer tokens

    @classmethod
    def from_master(cls, master: bytes) -> "ServerSecrets":
        if len(master) < MASTER_SECRET_BYTES:
            raise SecretError(f"server secret must be at least {MASTER_SECRET_BYTES} bytes")
        return cls(_derive(master, "id-number-encryption"),
                   _derive(master, "id-number-lookup"),
                   _derive(master, "token-signing"))


def load_master_secret(path: Path, create: bool = False) -> bytes:
    """Read the master secret (hex text) from path; create it (mode 0600) if asked."""
    if not path.exists():
        if not create:
            raise SecretError(f"server secret file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(_random.token_hex(MASTER_SECRET_BYTES) + "\n")
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise SecretError(f"cannot read server secret from {path}: {exc}") from exc
