"""MIFARE Classic keys diversified by card UID (NXP AN10922, AES-128 variant).

    key_a = classic_key(read_master, uid, sector=1, key_type=KEY_A, system_id=b"DN-SITE\\x00\\x00\\x00\\x07")

The AES master stays off the card; each card gets its own 6-byte keys, so keys
recovered from one card (Crypto1 is broken, reference section 9.1) open no
other card. AN10922 does not define a Classic variant; as in reference section
9.4 we take M = UID || sector || key type (0x0A/0x0B) || system id and keep the
first 6 bytes of the 16-byte diversified key.

Shared by the host (provisioning) and the door node: AES comes from cryptolib on
MicroPython and from the cryptography package on CPython.
"""
try:
    from micropython import const
except ImportError:
    def const(x):
        return x

try:
    from cryptolib import aes as _aes
    _HAVE_CRYPTOLIB = True

    def _aes_ecb(key):
        return _aes(key, 1).encrypt  # mode 1 = ECB
except ImportError:
    _HAVE_CRYPTOLIB = False
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    def _aes_ecb(key):
        return Cipher(algorithms.AES(key), modes.ECB()).encryptor().update

KEY_A = const(0x0A)
KEY_B = const(0x0B)
CLASSIC_KEY_SIZE = const(6)
_DIV_CONSTANT_AES128 = const(0x01)  # AN10922: first byte of D for AES-128
_MAX_INPUT = const(31)


def _double(block):
    """CMAC subkey step: shift the 128-bit value left by one, xor 0x87 on carry."""
    out = bytearray(16)
    carry = 0
    for i in range(15, -1, -1):
        b = block[i]
        out[i] = ((b << 1) & 0xFF) | carry
        carry = b >> 7
    if carry:
        out[15] ^= 0x87
    return out


def diversify_aes128(master, m):
    """AN10922 AES-128 diversified key for input M (1..31 bytes) -> 16 bytes.

    D = 0x01 || M is always padded to 32 bytes (two AES blocks); the last block
    is xored with K2 when padded, K1 when not. For short M this is NOT plain
    AES-CMAC (libfreefare issue #91), hence this implementation.
    """
    if len(master) != 16:
        raise ValueError("AES-128 master key must be 16 bytes")
    if not 1 <= len(m) <= _MAX_INPUT:
        raise ValueError("diversification input must be 1..31 bytes")
    encrypt = _aes_ecb(master)
    k1 = _double(encrypt(bytes(16)))
    d = bytearray(32)
    d[0] = _DIV_CONSTANT_AES128
    d[1:1 + len(m)] = m
    if len(m) + 1 < 32:
        d[len(m) + 1] = 0x80
        sub = _double(k1)
    else:
        sub = k1
    c1 = encrypt(bytes(d[0:16]))
    last = bytearray(16)
    for i in range(16):
        last[i] = d[16 + i] ^ sub[i] ^ c1[i]
    return bytes(encrypt(bytes(last)))


def classic_key(master, uid, sector, key_type, system_id):
    """6-byte MIFARE Classic key A or B for one sector of the card with this UID."""
    if key_type != KEY_A and key_type != KEY_B:
        raise ValueError("key_type must be KEY_A or KEY_B")
    if len(uid) not in (4, 7, 10):
        raise ValueError("UID must be 4, 7 or 10 bytes")
    m = bytes(uid) + bytes((sector, key_type)) + bytes(system_id)
    return diversify_aes128(master, m)[:CLASSIC_KEY_SIZE]


def site_system_id(site_id):
    """The system identifier part of M: binds every card key to one site."""
    return b"DN-SITE" + bytes(((site_id >> 24) & 0xFF, (site_id >> 16) & 0xFF,
                               (site_id >> 8) & 0xFF, site_id & 0xFF))


class Diversifier:
    """classic_key() for one master, made once at boot for the tap path.

    The CMAC subkey K2 and the AES key schedule depend only on the master, so they are
    computed here; classic_key() then runs two AES blocks into buffers made once and
    allocates only the 6-byte key it returns. Same output as classic_key().
    """

    def __init__(self, master, system_id):
        if len(master) != 16:
            raise ValueError("AES-128 master key must be 16 bytes")
        self._aes = _aes(master, 1) if _HAVE_CRYPTOLIB else None
        self._master = bytes(master)
        self._k2 = _double(_double(self._encrypt(bytes(16))))
        self._system_id = bytes(system_id)
        self._d = bytearray(32)
        self._c = bytearray(16)
        if len(self._system_id) + 12 > _MAX_INPUT:
            raise ValueError("system id too long")

    def _encrypt(self, block, out=None):
        if self._aes is not None:
            if out is None:
                return self._aes.encrypt(block)
            self._aes.encrypt(block, out)
            return out
        data = _aes_ecb(self._master)(bytes(block))
        if out is None:
            return data
        out[:] = data
        return out

    def classic_key(self, uid, sector, key_type):
        """6-byte key of this sector and key type for the card with this UID."""
        n = len(uid)
        if n != 4 and n != 7 and n != 10:
            raise ValueError("UID must be 4, 7 or 10 bytes")
        d = self._d
        for i in range(32):
            d[i] = 0
        d[0] = _DIV_CONSTANT_AES128
        d[1:1 + n] = uid
        d[1 + n] = sector
        d[2 + n] = key_type
        s = self._system_id
        m = n + 2 + len(s)
        d[3 + n:1 + m] = s
        d[1 + m] = 0x80                            # m <= 30: always padded, so K2
        c = self._c
        self._encrypt(memoryview(d)[0:16], c)
        k2 = self._k2
        for i in range(16):
            c[i] ^= d[16 + i] ^ k2[i]
        self._encrypt(c, c)
        return bytes(c[0:CLASSIC_KEY_SIZE])
