"""HMAC-SHA256 (RFC 2104) on hashlib, for MicroPython (which has no hmac module) and CPython.

    mac = HmacSha256(key)
    mac.update(header); mac.update(entries)
    if not digests_equal(mac.digest(), stored): ...

One-shot: hmac_sha256(key, data). Streaming matters on the node: a card list is
authenticated chunk by chunk, never read whole into RAM.
"""
import hashlib

_BLOCK = 64  # SHA-256 block size (RFC 2104: B)


def _pad(key, byte):
    out = bytearray(_BLOCK)
    for i in range(_BLOCK):
        out[i] = byte
    for i in range(len(key)):
        out[i] = key[i] ^ byte
    return out


class HmacSha256:
    def __init__(self, key):
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        self._outer_pad = _pad(key, 0x5C)
        self._inner = hashlib.sha256(_pad(key, 0x36))

    def update(self, data):
        self._inner.update(data)

    def digest(self):
        # MicroPython's sha256 objects cannot be copied: digest() ends the object.
        outer = hashlib.sha256(self._outer_pad)
        outer.update(self._inner.digest())
        return outer.digest()


def hmac_sha256(key, data):
    mac = HmacSha256(key)
    mac.update(data)
    return mac.digest()


def digests_equal(a, b):
    """Compare two MACs in time independent of where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0
