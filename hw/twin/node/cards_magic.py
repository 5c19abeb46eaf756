"""Magic (UID-changeable) MIFARE Classic clones (reference §9.2).

Both replay their identity from block 0, as many clones do: UID, SAK and ATQA (and, for 4-byte
UIDs, the stored BCC, so a wrong BCC written there breaks anticollision).

* Gen1a ("UID"): backdoor HLTA, 7-bit 0x40 -> ACK, 0x43 -> ACK, then READ/WRITE any block
  without authentication; 0x41 after 0x40 wipes the card.
* Gen2 ("CUID", direct write): block 0 is writable by an ordinary authenticated WRITE.
"""

try:
    from micropython import const
except ImportError:
    def const(x):
        return x

try:
    import crc_a
    import cards_iso14443 as iso
    import cards_classic as classic
except ImportError:
    from . import crc_a
    from . import cards_iso14443 as iso
    from . import cards_classic as classic

_BACKDOOR_1 = const(0x40)      # 7-bit short frame (MB MIFARE_OpenUidBackdoor)
_BACKDOOR_2 = const(0x43)
_BACKDOOR_WIPE = const(0x41)
_READ = const(0x30)
_WRITE = const(0xA0)


class MagicClassic(classic.ClassicCard):
    """Identity from block 0 (§9.2: clones replay ATQA/SAK/BCC from block 0)."""

    magic = None

    def uid(self):
        return bytes(self.memory[0:self.uid_len])

    def atqa(self):
        m = self.memory
        i = 6 if self.uid_len == 4 else 8
        return m[i] | m[i + 1] << 8

    def sak(self):
        return self.memory[5] if self.uid_len == 4 else self.memory[7]

    def cascade_bytes(self, level):
        if self.uid_len == 4:
            return bytes(self.memory[0:5])  # the stored BCC, right or wrong
        return iso.Picc.cascade_bytes(self, level)


class Gen1aCard(MagicClassic):
    kind = "gen1a"
    magic = "gen1a"

    def reset_session(self):
        classic.ClassicCard.reset_session(self)
        self.backdoor = 0  # 1 after 0x40, 2 after 0x43

    def short_frame(self, code):
        if code == _BACKDOOR_1:
            self.reset_session()
            self.state = iso.ACTIVE
            self.backdoor = 1
            return iso.ACK
        self.backdoor = 0
        return iso.Picc.short_frame(self, code)

    def command(self, frame, n):
        if self.backdoor == 1 and n == 1:
            return self.backdoor_byte(frame[0])
        if self.backdoor == 2:
            return self.backdoor_command(frame, n)
        return classic.ClassicCard.command(self, frame, n)

    def backdoor_byte(self, code):
        if code == _BACKDOOR_2:
            self.backdoor = 2
            return iso.ACK
        if code == _BACKDOOR_WIPE:
            self.wipe()
            return iso.ACK
        return self.error()

    def backdoor_command(self, frame, n):
        if self.pending:
            self.pending = 0
            if n != 18 or not crc_a.check(frame, 0, 18):
                return iso.nak(0x5)
            self.store(self.pending_block, frame[0:16])
            return iso.ACK
        if n != 4 or not crc_a.check(frame, 0, 4) or frame[1] >= self.blocks:
            return iso.nak(0x4)
        if frame[0] == _READ:
            return iso.answer_with_crc(self.block(frame[1]))
        if frame[0] == _WRITE:
            self.pending = 1
            self.pending_block = frame[1]
            return iso.ACK
        return iso.nak(0x4)

    def wipe(self):
        """0x41: data blocks to zero, trailers to transport configuration; block 0 kept."""
        m = self.memory
        for b in range(1, self.blocks):
            if classic.trailer_of(b) == b:
                m[b * 16:b * 16 + 16] = classic.TRANSPORT_TRAILER
            else:
                m[b * 16:b * 16 + 16] = bytes(16)
        self.changed(16, len(m) - 16)


class Gen2Card(MagicClassic):
    kind = "gen2"
    magic = "gen2"

    def may_write(self, blk):
        if blk == 0:
            return self.allowed(0, 1)  # block 0 under the ordinary access rights
        return classic.ClassicCard.may_write(self, blk)
