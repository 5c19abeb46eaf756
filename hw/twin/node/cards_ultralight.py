"""MIFARE Ultralight and NTAG213/215/216 card models (reference §7).

Memory is the page image (4 bytes a page). 7-byte UID in pages 0..2 (BCC0, BCC1 stored), ATQA
0x0044, SAK 0x00. Page 3 is OTP, lock bits only go 0 -> 1. NTAG adds GET_VERSION, FAST_READ,
READ_SIG and PWD_AUTH with AUTH0/PROT protection.

    card = UltralightCard("ntag213", bytearray(image))
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

_READ = const(0x30)
_WRITE = const(0xA2)
_COMP_WRITE = const(0xA0)
_GET_VERSION = const(0x60)
_FAST_READ = const(0x3A)
_READ_SIG = const(0x3C)
_PWD_AUTH = const(0x1B)

_NAK_ARG = const(0x0)     # invalid argument / page (§6.6, NTAG column)
_NAK_CRC = const(0x1)

# type: (pages, GET_VERSION answer or None, capability container, first config page or 0)
MODELS = {
    "ultralight": (16, None, b"\x00\x00\x00\x00", 0),
    "ntag213": (45, b"\x00\x04\x04\x02\x01\x00\x0f\x03", b"\xe1\x10\x12\x00", 0x29),
    "ntag215": (135, b"\x00\x04\x04\x02\x01\x00\x11\x03", b"\xe1\x10\x3e\x00", 0x83),
    "ntag216": (231, b"\x00\x04\x04\x02\x01\x00\x13\x03", b"\xe1\x10\x6d\x00", 0xE3),
}


def blank_memory(kind, uid):
    """Factory image: UID pages, CC, empty NDEF TLV, NTAG configuration pages (DS-NTAG §8.5)."""
    pages, _, cc, cfg = MODELS[kind]
    u = bytes(uid)
    mem = bytearray(pages * 4)
    mem[0:4] = u[0:3] + bytes((0x88 ^ u[0] ^ u[1] ^ u[2],))
    mem[4:8] = u[3:7]
    mem[8:12] = bytes((u[3] ^ u[4] ^ u[5] ^ u[6], 0x48, 0, 0))
    mem[12:16] = cc
    if cfg:
        mem[16:20] = b"\x03\x00\xfe\x00"
        mem[(cfg - 1) * 4:(cfg - 1) * 4 + 4] = b"\x00\x00\x00\xbd"   # dynamic lock bytes
        mem[cfg * 4:cfg * 4 + 4] = b"\x04\x00\x00\xff"               # CFG0: AUTH0 = 0xFF (off)
        mem[(cfg + 1) * 4:(cfg + 1) * 4 + 4] = b"\x00\x05\x00\x00"   # CFG1: ACCESS
        mem[(cfg + 2) * 4:(cfg + 2) * 4 + 4] = b"\xff\xff\xff\xff"   # PWD
        mem[(cfg + 3) * 4:(cfg + 3) * 4 + 4] = b"\x00\x00\x00\x00"   # PACK
    return mem


class UltralightCard(iso.Picc):
    kind = "ultralight"

    def __init__(self, kind, memory, signature=None):
        iso.Picc.__init__(self)
        self.kind = kind
        self.pages, self.version, _, self.cfg = MODELS[kind]
        self.memory = memory
        self.signature = bytes(signature) if signature else bytes(32)
        self.reset_session()

    def uid(self):
        m = self.memory
        return bytes(m[0:3]) + bytes(m[4:8])

    def atqa(self):
        return 0x0044

    def sak(self):
        return 0x00

    def reset_session(self):
        self.pwd_ok = False
        self.comp_page = -1  # COMPATIBILITY WRITE part 2 pending

    def nak(self, code=_NAK_ARG):
        self.error()
        return iso.nak(code)

    # --- protection (§7, DS-NTAG §8.5.7, §8.8) ---
    def page(self, p):
        return self.memory[p * 4:p * 4 + 4]

    def auth0(self):
        return self.memory[self.cfg * 4 + 3] if self.cfg else 0xFF

    def protected(self, p, for_read):
        if not self.cfg or self.pwd_ok or p < self.auth0():
            return False
        prot = self.memory[(self.cfg + 1) * 4] & 0x80
        return prot != 0 or not for_read

    def locked(self, p):
        m = self.memory
        if p < 3:
            return p < 2
        if p == 3:
            return m[10] & 0x08 != 0
        if p < 8:
            return m[10] & (1 << p) != 0
        if p < 16:
            return m[11] & (1 << (p - 8)) != 0
        return False  # dynamic lock bits are stored but not enforced [emulator choice]

    def read_pages(self, start, count):
        out = bytearray(4 * count)
        for i in range(count):
            p = (start + i) % self.pages  # roll-over to page 0 (§7)
            if self.cfg and p >= self.cfg + 2:
                continue  # PWD and PACK always read as 00
            out[4 * i:4 * i + 4] = self.page(p)
        return out

    # --- ACTIVE commands ---
    def command(self, frame, n):
        if n < 3 or not crc_a.check(frame, 0, n):
            return self.nak(_NAK_CRC)
        if self.comp_page >= 0:
            p = self.comp_page
            self.comp_page = -1
            return self.write_page(p, frame[0:4]) if n == 18 else self.nak()
        cmd = frame[0]
        if cmd == _READ and n == 4:
            return self.read(frame[1])
        if cmd == _WRITE and n == 8:
            return self.write_page(frame[1], frame[2:6])
        if cmd == _COMP_WRITE and n == 4:
            return self.comp_write(frame[1])
        if self.version is not None:
            return self.ntag_command(cmd, frame, n)
        return self.nak()

    def ntag_command(self, cmd, frame, n):
        if cmd == _GET_VERSION and n == 3:
            return iso.answer_with_crc(self.version)
        if cmd == _FAST_READ and n == 5:
            s, e = frame[1], frame[2]
            if s > e or e >= self.pages or self.protected(e, True) or self.protected(s, True):
                return self.nak()
            return iso.answer_with_crc(self.read_pages(s, e - s + 1))
        if cmd == _READ_SIG and n == 4:
            return iso.answer_with_crc(self.signature)
        if cmd == _PWD_AUTH and n == 7:
            if bytes(frame[1:5]) != bytes(self.page(self.cfg + 2)):
                return self.nak()
            self.pwd_ok = True
            return iso.answer_with_crc(self.page(self.cfg + 3)[0:2])
        return self.nak()

    def read(self, p):
        if p >= self.pages or self.protected(p, True):
            return self.nak()
        return iso.answer_with_crc(self.read_pages(p, 4))

    def comp_write(self, p):
        if p >= self.pages or self.locked(p) or self.protected(p, False):
            return self.nak()
        self.comp_page = p
        return iso.ACK

    def write_page(self, p, data):
        if p >= self.pages or self.locked(p) or self.protected(p, False):
            return self.nak()
        m = self.memory
        o = p * 4
        if p == 2:
            m[o + 2] |= data[2]  # lock bytes: bits only go 0 -> 1
            m[o + 3] |= data[3]
        elif p == 3 or self.cfg and p == self.cfg - 1:
            for i in range(4):
                m[o + i] |= data[i]  # OTP / dynamic lock: OR
        else:
            m[o:o + 4] = data
        self.changed(o, 4)
        return iso.ACK
