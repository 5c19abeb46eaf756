"""Encryption at rest and keyed look-up hashes of ID document numbers.

    vault = IdentityVault(secrets)
    cipher = vault.seal("resident_id", "11010519491231002X")
    vault.open(cipher) -> "11010519491231002X"
    vault.lookup("resident_id", "11010519491231002X") -> 64 hex characters

The look-up hash is an HMAC, not a plain hash: ID numbers are a small space
(region x birth date x sequence) and a plain hash would be reversed by
enumeration. Ciphertext = 12-byte nonce || AES-256-GCM(number), with the
document type as associated data so a ciphertext cannot be replayed as another type.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .secrets import ServerSecrets

_FORMAT = b"doorctl-id-v1:"


class IdentityVault:
    def __init__(self, secrets: ServerSecrets):
        self._aead = AESGCM(secrets.id_number_encryption)
        self._lookup_key = secrets.id_number_lookup

    def seal(self, document_type: str, canonical: str) -> bytes:
        nonce = os.urandom(12)
        aad = _FORMAT + document_type.encode()
        return nonce + self._aead.encrypt(nonce, canonical.encode(), aad)

    def open(self, document_type: str, cipher: bytes) -> str:
        aad = _FORMAT + document_type.encode()
        return self._aead.decrypt(cipher[:12], cipher[12:], aad).decode()

    def lookup(self, document_type: str, canonical: str) -> str:
        message = document_type.encode() + b":" + canonical.encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()
