"""ISO/IEC 14443-3 Type A card (PICC): state machine and bit-frame anticollision (reference §5).

The part every simulated card shares. A card answers a frame from the reader with None (silent)
or with (bits, nbits): the answer as an integer, bit 0 first on air (LSB first), and its length.
Subclasses (cards_classic, cards_ultralight, cards_magic) add the memory commands through
command(); they never raise for anything a reader sends: a bad frame is silence or a NAK.

    card = SomeCard(...)
    card.power(True)                       # field on: POWER-OFF -> IDLE
    card.receive(b"\\x26", 7, False)       # REQA -> (0x0004, 16), the ATQA
"""

try:
    from micropython import const
except ImportError:
    def const(x):
        return x

try:
    import crc_a
except ImportError:
    from . import crc_a

# Card states (§5.5). HALT-woken variants (READY*, ACTIVE*) are READY/ACTIVE with .from_halt set.
POWER_OFF = const(0)
IDLE = const(1)
READY = const(2)
ACTIVE = const(3)
HALT = const(4)
STATE_NAMES = ("POWER_OFF", "IDLE", "READY", "ACTIVE", "HALT")

# ISO 14443-3 commands (§5.2)
_REQA = const(0x26)
_WUPA = const(0x52)
_HLTA = const(0x50)
_SEL_CL1 = const(0x93)
_SEL_CL2 = const(0x95)
_SEL_CL3 = const(0x97)
_NVB_SELECT = const(0x70)
_CASCADE_TAG = const(0x88)
_SAK_CASCADE = const(0x04)  # SAK bit 3: UID not complete (§5.4)

ACK = (0x0A, 4)  # 4-bit ACK (§6.6)


def nak(code):
    """A 4-bit NAK answer (§6.6)."""
    return (code & 0x0F, 4)


def answer_bytes(data):
    """Answer with whole bytes (the bits as sent, LSB of byte 0 first)."""
    return (int.from_bytes(bytes(data), "little"), 8 * len(data))


def answer_with_crc(data):
    """Answer with whole bytes followed by CRC_A."""
    return answer_bytes(crc_a.with_crc(data))


def bcc(data):
    """Block check character: XOR of the bytes (§5.3)."""
    x = 0
    for b in data:
        x ^= b
    return x


class Picc:
    """ISO 14443-3A card: state machine, anticollision, SELECT, HLTA.

    Subclasses provide uid() (4 or 7 bytes), atqa(), sak(), cascade_bytes(level) if the
    card replays stored BCCs, command(frame, n) for ACTIVE frames, and reset_session().
    """

    kind = "picc"

    def __init__(self):
        self.card_id = None       # the bench's name for this card (stable even if the UID changes)
        self.listener = None      # listener(card, offset, data): memory changed
        self.rand = None          # rand() -> 32-bit int, given by the field
        self.state = POWER_OFF
        self.from_halt = False    # woken by WUPA from HALT: READY*/ACTIVE* (§5.5)
        self.level = 0            # cascade level being resolved in READY

    # --- identity (overridden by cards that replay block 0) ---
    def uid(self):
        raise NotImplementedError

    def atqa(self):
        return 0x0004

    def sak(self):
        return 0x08

    def levels(self):
        return 1 if len(self.uid()) == 4 else 2

    def cascade_bytes(self, level):
        """The 5 bytes a card sends for cascade level `level`: 4 UID bytes (or CT) and BCC (§5.3)."""
        uid = self.uid()
        if len(uid) == 4:
            part = uid
        elif level == 0:
            part = bytes((_CASCADE_TAG,)) + uid[0:3]
        else:
            part = uid[3:7]
        return bytes(part) + bytes((bcc(part),))

    # --- power and session ---
    def power(self, on):
        if on:
            if self.state == POWER_OFF:
                self.state = IDLE
        else:
            self.state = POWER_OFF
        self.from_halt = False
        self.level = 0
        self.reset_session()

    def reset_session(self):
        """Forget authentication and half-done commands (subclasses extend)."""

    def crypto_session(self):
        """True while the card encrypts its traffic (a MIFARE Classic authentication)."""
        return False

    def error(self):
        """An unexpected or bad frame: back to IDLE, or HALT for the * states (§5.5)."""
        st = self.state
        if st == READY or st == ACTIVE:
            self.state = HALT if self.from_halt else IDLE
            self.level = 0
            self.reset_session()
        return None

    def halt(self):
        self.state = HALT
        self.from_halt = False
        self.level = 0
        self.reset_session()

    # --- frames ---
    def receive(self, frame, nbits, crypto):
        """A frame from the reader: `nbits` valid bits of `frame` (CRC included if any).

        `crypto` is the reader's MFCrypto1On: a frame encrypted for a session the card does not
        share (or plain text while it expects cipher text) is noise to it.
        """
        st = self.state
        if st == POWER_OFF or nbits <= 0:
            return None
        if nbits > 8 * len(frame):
            return self.error()
        if crypto != self.crypto_session():
            return self.error()
        if nbits == 7:
            return self.short_frame(frame[0] & 0x7F)
        cmd = frame[0]
        if cmd == _SEL_CL1 or cmd == _SEL_CL2 or cmd == _SEL_CL3:
            if len(frame) >= 2:
                return self._sel_frame(frame, nbits)
        if nbits & 7:
            return self.error()
        if st != ACTIVE:
            return self.error()
        n = nbits >> 3
        if cmd == _HLTA and n == 4 and frame[1] == 0 and crc_a.check(frame, 0, 4):
            self.halt()
            return None
        return self.command(frame, n)

    def short_frame(self, code):
        """REQA / WUPA (7-bit short frames, §5.1); other codes are noise (magic cards override)."""
        st = self.state
        if code == _REQA and st == IDLE or code == _WUPA and (st == IDLE or st == HALT):
            self.from_halt = st == HALT
            self.state = READY
            self.level = 0
            a = self.atqa()
            return ((a & 0xFFFF), 16)
        # ACTIVE (or READY) ignores REQA/WUPA and drops to IDLE/HALT silently (§5.5, rfid #437).
        return self.error()

    def _sel_frame(self, frame, nbits):
        st = self.state
        if st != READY:
            return self.error()
        level = (frame[0] - _SEL_CL1) >> 1
        if level != self.level or level >= self.levels():
            return self.error()
        nvb = frame[1]
        if nvb == _NVB_SELECT:
            return self._select(frame, nbits, level)
        return self._anticollision(frame, nbits, level, nvb)

    def _anticollision(self, frame, nbits, level, nvb):
        nbytes = nvb >> 4
        extra = nvb & 0x0F
        known = (nbytes - 2) * 8 + extra
        if nbytes < 2 or extra > 7 or known > 39 or nbits != nbytes * 8 + extra:
            return self.error()
        cl = int.from_bytes(self.cascade_bytes(level), "little")
        mask = (1 << known) - 1
        sent = int.from_bytes(bytes(frame[2:]), "little") if len(frame) > 2 else 0
        if (sent & mask) != (cl & mask):
            return None  # not addressed to this card: stays READY, silent (§5.5)
        return (cl >> known, 40 - known)

    def _select(self, frame, nbits, level):
        if nbits != 72 or not crc_a.check(frame, 0, 9):
            return self.error()
        if bytes(frame[2:7]) != self.cascade_bytes(level):
            return None  # another card's UID: stays READY [emulator choice]
        if level + 1 < self.levels():
            self.level = level + 1
            return answer_with_crc(bytes((_SAK_CASCADE,)))
        self.state = ACTIVE
        self.level = 0
        return answer_with_crc(bytes((self.sak(),)))

    def command(self, frame, n):
        """A frame of n whole bytes in ACTIVE state (subclasses). Default: not understood."""
        return self.error()

    # --- MFRC522 MFAuthent, overridden by MIFARE Classic ---
    def mf_authent(self, key_type, block, key, uid4, crypto, leak):
        """The reader runs MFAuthent. Returns AUTH_SILENT_1, AUTH_SILENT_2, AUTH_OK or AUTH_NAK."""
        frame = crc_a.with_crc(bytes((key_type, block)))
        ans = self.receive(frame, 32, crypto)
        if ans is None:
            return AUTH_SILENT_1
        self.error()
        return AUTH_NAK

    # --- memory change notification ---
    def changed(self, offset, length):
        if self.listener is not None:
            self.listener(self, offset, bytes(self.memory[offset:offset + length]))


# MFAuthent outcomes (rc522 reads these)
AUTH_SILENT_1 = const(0)  # no answer to part 1 (no card, wrong state, bad block)
AUTH_SILENT_2 = const(1)  # nT sent, then silence: wrong key or UID (§6.5)
AUTH_OK = const(2)
AUTH_NAK = const(3)       # a 4-bit answer where MFAuthent expects 4 bytes: ProtocolErr
