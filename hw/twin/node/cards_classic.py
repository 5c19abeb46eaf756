"""MIFARE Classic 1K / 4K card model (reference §6), 4- or 7-byte UID.

Memory is the card's EEPROM image (1024 or 4096 bytes). Authentication is modelled without
Crypto1 (§6.5 [emulator choice]): the MFRC522 model hands MFAuthent's key and UID bytes to
mf_authent(), which checks them against the sector trailer; afterwards frames pass in plain text.

    card = ClassicCard(1024, bytearray(image), uid_len=4)
"""

try:
    from micropython import const
except ImportError:
    def const(x):
        return x

try:
    import crc_a
    import cards_iso14443 as iso
except ImportError:
    from . import crc_a
    from . import cards_iso14443 as iso

# MIFARE Classic commands (§6.4)
_AUTH_A = const(0x60)
_AUTH_B = const(0x61)
_READ = const(0x30)
_WRITE = const(0xA0)
_DECREMENT = const(0xC0)
_INCREMENT = const(0xC1)
_RESTORE = const(0xC2)
_TRANSFER = const(0xB0)

# NAK codes (§6.6, DS-MF1 Table 10)
_NAK_INVALID_TB_VALID = const(0x0)
_NAK_CRC_TB_VALID = const(0x1)
_NAK_INVALID = const(0x4)
_NAK_CRC = const(0x5)

# Pending second parts
_PENDING_NONE = const(0)
_PENDING_WRITE = const(1)
_PENDING_VALUE = const(2)
_PENDING_RAW_AUTH = const(3)

# Rights: key masks (1 = key A, 2 = key B) per access code C1C2C3 (§6.3).
# Data blocks: (read, write, increment, decrement/transfer/restore)
_DATA_RIGHTS = (
    (3, 3, 3, 3),  # 000 transport
    (3, 0, 0, 3),  # 001 value, debit only
    (3, 0, 0, 0),  # 010 read-only
    (2, 2, 0, 0),  # 011 B only
    (3, 2, 0, 0),  # 100 read A|B, write B
    (2, 0, 0, 0),  # 101 read B
    (3, 2, 2, 3),  # 110 value, rechargeable
    (0, 0, 0, 0),  # 111 blocked
)
# Sector trailer: (key A write, access bits read, access bits write, key B read, key B write)
_TRAILER_RIGHTS = (
    (1, 1, 0, 1, 1),  # 000
    (1, 1, 1, 1, 1),  # 001 transport
    (0, 1, 0, 1, 0),  # 010
    (2, 3, 2, 0, 2),  # 011
    (2, 3, 0, 0, 2),  # 100
    (0, 3, 2, 0, 0),  # 101
    (0, 3, 0, 0, 0),  # 110
    (0, 3, 0, 0, 0),  # 111
)
_READ_R = const(0)
_WRITE_R = const(1)
_INC_R = const(2)
_DEC_R = const(3)

TRANSPORT_TRAILER = b"\xff\xff\xff\xff\xff\xff\xff\x07\x80\x69\xff\xff\xff\xff\xff\xff"


# --- layout (§6.1) ---
def sector_of(block):
    return block >> 2 if block < 128 else 32 + ((block - 128) >> 4)


def trailer_of(block):
    return block | 3 if block < 128 else block | 15


def first_block(sector):
    return sector * 4 if sector < 32 else 128 + (sector - 32) * 16


def group_of(block):
    """Access-bit group 0..3 of a block (§6.1)."""
    if block < 128:
        return block & 3
    i = block & 15
    return 3 if i == 15 else i // 5


# --- access bits (§6.2) ---
def decode_access(b6, b7, b8):
    """(c1, c2, c3) nibbles, or None when the inverted copies do not match."""
    c1 = b7 >> 4
    c2 = b8 & 0x0F
    c3 = b8 >> 4
    if (b6 & 0x0F) != (~c1 & 0x0F) or (b6 >> 4) != (~c2 & 0x0F) or (b7 & 0x0F) != (~c3 & 0x0F):
        return None
    return (c1, c2, c3)


def encode_access(codes):
    """Bytes 6..8 for four group codes C1C2C3 (each 0..7, group 0..3)."""
    c1 = c2 = c3 = 0
    for g in range(4):
        code = codes[g]
        c1 |= ((code >> 2) & 1) << g
        c2 |= ((code >> 1) & 1) << g
        c3 |= (code & 1) << g
    return bytes(((~c2 & 0xF) << 4 | (~c1 & 0xF), c1 << 4 | (~c3 & 0xF), c3 << 4 | c2))


def group_code(access, group):
    c1, c2, c3 = access
    return ((c1 >> group) & 1) << 2 | ((c2 >> group) & 1) << 1 | ((c3 >> group) & 1)


# --- value blocks (§6.7) ---
def value_block(value, addr):
    v = value & 0xFFFFFFFF
    vb = v.to_bytes(4, "little")
    nv = (~v & 0xFFFFFFFF).to_bytes(4, "little")
    a = addr & 0xFF
    return vb + nv + vb + bytes((a, a ^ 0xFF, a, a ^ 0xFF))


def parse_value_block(data):
    """(value, addr) of a valid value block, else None."""
    v = int.from_bytes(bytes(data[0:4]), "little")
    nv = int.from_bytes(bytes(data[4:8]), "little")
    v2 = int.from_bytes(bytes(data[8:12]), "little")
    a = data[12]
    if v != v2 or nv != (~v & 0xFFFFFFFF):
        return None
    if data[13] != a ^ 0xFF or data[14] != a or data[15] != a ^ 0xFF:
        return None
    if v & 0x80000000:
        v -= 0x100000000
    return (v, a)


def default_block0(uid, sak, atqa):
    """Manufacturer block (§6.1): 4-byte UID ‖ BCC ‖ SAK ‖ ATQA, or 7-byte UID ‖ SAK ‖ ATQA."""
    uid = bytes(uid)
    tail = bytes((sak, atqa & 0xFF, atqa >> 8))
    if len(uid) == 4:
        head = uid + bytes((iso.bcc(uid),)) + tail
    else:
        head = uid + tail
    maker = b"\x62\x63\x64\x65\x66\x67\x68\x69\x70\x71\x72\x73"
    return head + maker[0:16 - len(head)]


def blank_memory(size, uid, sak, atqa):
    mem = bytearray(size)
    mem[0:16] = default_block0(uid, sak, atqa)
    for t in range(3, size // 16, 1):
        if trailer_of(t) == t:
            mem[t * 16:t * 16 + 16] = TRANSPORT_TRAILER
    return mem


class ClassicCard(iso.Picc):
    """MIFARE Classic 1K (1024 bytes) or 4K (4096 bytes)."""

    kind = "classic"

    def __init__(self, memory, uid_len=4, atqa=None, sak=None, hardened=False):
        iso.Picc.__init__(self)
        self.memory = memory
        self.blocks = len(memory) // 16
        self.uid_len = uid_len
        big = self.blocks > 64
        self._atqa = atqa if atqa is not None else (0x0002 if big else 0x0004) | (0x40 if uid_len == 7 else 0)
        self._sak = sak if sak is not None else (0x18 if big else 0x08)
        self._uid = bytes(memory[0:uid_len])
        self.hardened = hardened  # no encrypted NAK on a failed authentication (§9.1)
        self.reset_session()

    def uid(self):
        return self._uid

    def atqa(self):
        return self._atqa

    def sak(self):
        return self._sak

    def auth_uid(self):
        """The 4 UID bytes MFAuthent must carry (§6.5)."""
        u = self.uid()
        return u[0:4] if len(u) == 4 else u[3:7]

    def reset_session(self):
        self.auth_sector = -1
        self.auth_key = 0          # 1 = key A, 2 = key B (same masks as the rights tables)
        self.pending = _PENDING_NONE
        self.pending_block = 0
        self.pending_op = 0
        self.tb_valid = False      # transfer buffer (§6.7)
        self.tb_value = 0
        self.tb_addr = 0

    def crypto_session(self):
        return self.auth_sector >= 0

    # --- memory helpers ---
    def block(self, b):
        return self.memory[b * 16:b * 16 + 16]

    def store(self, b, data):
        self.memory[b * 16:b * 16 + 16] = data
        self.changed(b * 16, 16)
        if b == 0:
            self.block0_written()

    def block0_written(self):
        """Genuine cards never get here (block 0 is read-only); magic cards re-read their identity."""

    def access(self, sector):
        t = trailer_of(first_block(sector)) * 16
        m = self.memory
        return decode_access(m[t + 6], m[t + 7], m[t + 8])

    def key_b_readable(self, access):
        return _TRAILER_RIGHTS[group_code(access, 3)][3] != 0

    # --- authentication (§6.5) ---
    def mf_authent(self, key_type, block, key, uid4, crypto, leak):
        if self.state != iso.ACTIVE or crypto != self.crypto_session():
            self.error()
            return iso.AUTH_SILENT_1
        if self.pending != _PENDING_NONE or block >= self.blocks or key_type not in (_AUTH_A, _AUTH_B):
            self.error()
            return iso.AUTH_SILENT_1
        sector = sector_of(block)
        t = trailer_of(block) * 16
        stored = self.memory[t:t + 6] if key_type == _AUTH_A else self.memory[t + 10:t + 16]
        ok = bytes(stored) == bytes(key) and bytes(uid4) == bytes(self.auth_uid())
        if not ok or self.access(sector) is None:
            self.error()
            # Darkside leak (§9.1): an encrypted NAK when the parity of {nR,aR} happens to pass.
            return iso.AUTH_NAK if leak and not self.hardened else iso.AUTH_SILENT_2
        self.auth_sector = sector
        self.auth_key = 1 if key_type == _AUTH_A else 2
        return iso.AUTH_OK

    def allowed(self, block, right):
        """May the current session do `right` on data block `block`? (§6.3)"""
        if self.auth_sector < 0 or sector_of(block) != self.auth_sector:
            return False
        acc = self.access(self.auth_sector)
        if acc is None:
            return False
        if self.auth_key == 2 and self.key_b_readable(acc):
            return False  # key B readable: it cannot serve as a key (§6.3)
        return _DATA_RIGHTS[group_code(acc, group_of(block))][right] & self.auth_key != 0

    def trailer_rights(self, block):
        """The five trailer masks reduced to the current key, or None when nothing is allowed."""
        if self.auth_sector < 0 or sector_of(block) != self.auth_sector:
            return None
        acc = self.access(self.auth_sector)
        if acc is None or self.auth_key == 2 and self.key_b_readable(acc):
            return None
        k = self.auth_key
        return tuple(r & k for r in _TRAILER_RIGHTS[group_code(acc, 3)])

    # --- ACTIVE commands ---
    def nak(self, invalid=True):
        if invalid:
            code = _NAK_INVALID_TB_VALID if self.tb_valid else _NAK_INVALID
        else:
            code = _NAK_CRC_TB_VALID if self.tb_valid else _NAK_CRC
        self.error()
        return iso.nak(code)

    def command(self, frame, n):
        if self.pending != _PENDING_NONE:
            return self.second_part(frame, n)
        if n < 3 or not crc_a.check(frame, 0, n):
            return self.nak(False)
        cmd = frame[0]
        if n != 4:
            return self.nak()
        blk = frame[1]
        if cmd == _READ:
            return self.read(blk)
        if cmd == _WRITE:
            return self.write_part1(blk)
        if cmd == _INCREMENT or cmd == _DECREMENT or cmd == _RESTORE:
            return self.value_part1(cmd, blk)
        if cmd == _TRANSFER:
            return self.transfer(blk)
        if cmd == _AUTH_A or cmd == _AUTH_B:
            return self.raw_auth(blk)
        return self.nak()

    def read(self, blk):
        if blk >= self.blocks:
            return self.nak()
        if trailer_of(blk) == blk:
            return self.read_trailer(blk)
        if not self.allowed(blk, _READ_R):
            return self.nak()
        return iso.answer_with_crc(self.block(blk))

    def read_trailer(self, blk):
        r = self.trailer_rights(blk)
        if r is None:
            return self.nak()
        src = self.block(blk)
        out = bytearray(16)  # key A never readable (§6.2)
        if r[1]:
            out[6:10] = src[6:10]
        if r[3]:
            out[10:16] = src[10:16]
        return iso.answer_with_crc(out)

    def write_part1(self, blk):
        if blk >= self.blocks or not self.may_write(blk):
            return self.nak()
        self.pending = _PENDING_WRITE
        self.pending_block = blk
        return iso.ACK

    def may_write(self, blk):
        if blk == 0:
            return False  # manufacturer block: read-only whatever the access bits say (§6.1)
        if trailer_of(blk) == blk:
            r = self.trailer_rights(blk)
            return r is not None and (r[0] or r[2] or r[4])
        return self.allowed(blk, _WRITE_R)

    def second_part(self, frame, n):
        kind = self.pending
        self.pending = _PENDING_NONE
        if kind == _PENDING_RAW_AUTH:
            return self.error()  # cipher text we cannot model: noise
        if kind == _PENDING_WRITE:
            if n != 18 or not crc_a.check(frame, 0, 18):
                return self.nak(False)
            self.write_block(self.pending_block, frame[0:16])
            return iso.ACK
        if n != 6 or not crc_a.check(frame, 0, 6):
            return self.nak(False)
        self.value_part2(frame)
        return None  # value-op part 2 is never answered (§6.4)

    def write_block(self, blk, data):
        if trailer_of(blk) != blk:
            self.store(blk, data)
            return
        r = self.trailer_rights(blk)
        new = bytearray(self.block(blk))
        if r[0]:
            new[0:6] = data[0:6]
        if r[2]:
            new[6:10] = data[6:10]  # an inconsistent pattern bricks the sector (§6.2)
        if r[4]:
            new[10:16] = data[10:16]
        self.store(blk, new)

    def value_part1(self, cmd, blk):
        right = _INC_R if cmd == _INCREMENT else _DEC_R
        if blk >= self.blocks or trailer_of(blk) == blk or not self.allowed(blk, right):
            return self.nak()
        if parse_value_block(self.block(blk)) is None:
            return self.nak()
        self.pending = _PENDING_VALUE
        self.pending_block = blk
        self.pending_op = cmd
        return iso.ACK

    def value_part2(self, frame):
        value, addr = parse_value_block(self.block(self.pending_block))
        operand = int.from_bytes(bytes(frame[0:4]), "little")
        if operand & 0x80000000:
            operand -= 0x100000000
        if self.pending_op == _INCREMENT:
            value += operand
        elif self.pending_op == _DECREMENT:
            value -= operand
        value &= 0xFFFFFFFF  # [emulator choice] 32-bit wrap
        if value & 0x80000000:
            value -= 0x100000000
        self.tb_valid = True
        self.tb_value = value
        self.tb_addr = addr

    def transfer(self, blk):
        if not self.tb_valid or blk == 0 or blk >= self.blocks or trailer_of(blk) == blk:
            return self.nak()
        if not self.allowed(blk, _DEC_R):
            return self.nak()
        self.store(blk, value_block(self.tb_value, self.tb_addr))
        return iso.ACK

    def raw_auth(self, blk):
        # AUTH sent by Transceive instead of MFAuthent: the card sends nT; the reader's part 2
        # would be Crypto1 cipher text, which this model does not implement (§6.5).
        if blk >= self.blocks:
            return self.error()
        self.reset_session()
        self.pending = _PENDING_RAW_AUTH
        nt = self.rand() if self.rand is not None else 0x01020304
        return ((nt & 0xFFFFFFFF), 32)
