# Minimal MFRC522 driver written straight from the reference's sequences (§2.4, §3.2, §5.6, §6.5),
# for testing the model. Burst FIFO transfers, software CRC_A (§4), register polling with a loop bound.
# Deliberately independent of the firmware's driver and of the model's crc_a module.

OK = 0
TIMEOUT = 1
COLLISION = 2
ERROR = 3
NAK = 4


def crc_a(data, preset=0x6363):
    crc = preset
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return bytes((crc & 0xFF, crc >> 8))


class Reader:
    def __init__(self, spi, cs, max_polls=2000):
        self.spi = spi
        self.cs = cs
        self.max_polls = max_polls
        self.rx2 = bytearray(2)
        self.last_bits = 0
        self.error_reg = 0
        self.coll_reg = 0
        self.irq = 0
        cs.value(1)

    # --- register access (§1.2, §1.3) ---
    def wr(self, reg, val):
        self.cs.value(0)
        self.spi.write(bytes(((reg << 1) & 0x7E, val)))
        self.cs.value(1)

    def rd(self, reg):
        self.cs.value(0)
        self.spi.write_readinto(bytes((0x80 | ((reg << 1) & 0x7E), 0)), self.rx2)
        self.cs.value(1)
        return self.rx2[1]

    def fifo_write(self, data):
        self.cs.value(0)
        self.spi.write(b"\x12" + bytes(data))
        self.cs.value(1)

    def fifo_read(self, n):
        if n == 0:
            return b""
        tx = b"\x92" * n + b"\x00"
        rx = bytearray(n + 1)
        self.cs.value(0)
        self.spi.write_readinto(tx, rx)
        self.cs.value(1)
        return bytes(rx[1:])

    # --- §2.4 initialisation ---
    def init(self):
        self.wr(0x01, 0x0F)
        for _ in range(100):
            if not self.rd(0x01) & 0x10:
                break
        self.wr(0x12, 0x00)
        self.wr(0x13, 0x00)
        self.wr(0x24, 0x26)
        self.wr(0x2A, 0x80)
        self.wr(0x2B, 0xA9)
        self.wr(0x2C, 0x03)
        self.wr(0x2D, 0xE8)
        self.wr(0x15, 0x40)
        self.wr(0x11, 0x3D)
        self.wr(0x14, self.rd(0x14) | 0x03)
        return self.rd(0x37)

    # --- §3.2 one exchange ---
    def transceive(self, data, tx_last=0, rx_align=0, command=0x0C, wait=0x30):
        self.wr(0x01, 0x00)
        self.wr(0x04, 0x7F)
        self.wr(0x0A, 0x80)
        self.fifo_write(data)
        self.wr(0x0D, (rx_align << 4) | tx_last)
        self.wr(0x01, command)
        if command == 0x0C:
            self.wr(0x0D, 0x80 | (rx_align << 4) | tx_last)
        irq = 0
        stop = wait | 0x01 | (0x02 if command == 0x0E else 0)   # MFAuthent: ErrIRq ends it too
        for _ in range(self.max_polls):
            irq = self.rd(0x04)
            if irq & stop:
                break
        self.irq = irq
        if not irq & (wait | 0x02):
            return TIMEOUT, b""
        err = self.rd(0x06)
        self.error_reg = err
        if err & 0x13:
            return ERROR, b""
        n = self.rd(0x0A)
        out = self.fifo_read(n)
        self.last_bits = self.rd(0x0C) & 7
        if err & 0x08:
            self.coll_reg = self.rd(0x0E)
            return COLLISION, out
        return OK, out

    def exchange_crc(self, payload):
        """Standard frame with CRC; returns (status, data) with CRC checked; 4-bit answers as NAK/OK."""
        st, data = self.transceive(bytes(payload) + crc_a(payload))
        if st != OK:
            return st, data
        if self.last_bits == 4 and len(data) == 1:
            return (OK if data[0] & 0x0F == 0x0A else NAK), data
        if len(data) < 3 or crc_a(data[:-2]) != data[-2:]:
            return ERROR, data
        return OK, data[:-2]

    # --- §5 activation ---
    def request(self, code=0x26):
        st, data = self.transceive(bytes((code,)), tx_last=7)
        if st == COLLISION:
            return OK, data     # different ATQAs collide: a card is there (§5.5)
        if st == OK and (len(data) != 2 or self.last_bits != 0):
            return ERROR, data
        return st, data

    def anticollision(self, level, choose=0):
        """§5.6 for one cascade level; returns (status, 5 bytes uid-cl + bcc)."""
        sel = (0x93, 0x95, 0x97)[level]
        self.wr(0x0E, self.rd(0x0E) & 0x7F)           # ValuesAfterColl = 0
        known = bytearray(5)
        k = 0
        for _ in range(33):
            nbytes = k // 8
            bits = k % 8
            frame = bytes((sel, ((2 + nbytes) << 4) | bits)) + bytes(known[:nbytes + (1 if bits else 0)])
            st, data = self.transceive(frame, tx_last=bits, rx_align=bits)
            if st not in (OK, COLLISION) or not data:
                return (st if st != OK else ERROR), None
            # step 3: first answered bit lands at bit position k%8 of byte 0; OR it in
            for i in range(len(data)):
                j = nbytes + i
                if j < 5:
                    known[j] = (known[j] | data[i]) if i == 0 else data[i]
            if st == OK:
                if known[0] ^ known[1] ^ known[2] ^ known[3] != known[4]:
                    return ERROR, None
                return OK, bytes(known)
            if self.coll_reg & 0x20:
                return ERROR, None
            p = self.coll_reg & 0x1F or 32
            c = 8 * nbytes + p                        # collided bit, 1-based within the level
            byte_i = (c - 1) // 8
            bit_i = (c - 1) % 8
            keep = (1 << bit_i) - 1                    # bits 1..c-1 kept, bit c chosen
            known[byte_i] = (known[byte_i] & keep) | (choose << bit_i)
            for j in range(byte_i + 1, 5):
                known[j] = 0
            k = c
        return ERROR, None

    def select(self, choose=0):
        """Full cascade (§5.3, §5.6): returns (status, uid, sak)."""
        uid = b""
        for level in range(3):
            st, cl = self.anticollision(level, choose)
            if st != OK:
                return st, None, None
            sel = (0x93, 0x95, 0x97)[level]
            st, data = self.exchange_crc(bytes((sel, 0x70)) + cl)
            if st != OK or len(data) != 1:
                return ERROR, None, None
            sak = data[0]
            if sak & 0x04:
                uid += cl[1:4]
            else:
                return OK, uid + cl[0:4], sak
        return ERROR, None, None

    def halt(self):
        st, _ = self.transceive(b"\x50\x00" + crc_a(b"\x50\x00"))
        return st

    def scan(self, choose=0, limit=5):
        """Every card in the field: WUPA/REQA, select, HLTA, until nobody answers."""
        found = []
        for _ in range(limit):
            st, _ = self.request(0x26)
            if st != OK:
                break
            st, uid, sak = self.select(choose)
            if st != OK:
                break
            found.append(uid)
            self.halt()
        return found

    # --- §6.5 MIFARE Classic ---
    def auth(self, key_type, block, key, uid):
        uid4 = uid[0:4] if len(uid) == 4 else uid[3:7]
        st, _ = self.transceive(bytes((key_type, block)) + bytes(key) + bytes(uid4),
                                command=0x0E, wait=0x10)
        if st != OK:
            return st
        return OK if self.rd(0x08) & 0x08 else ERROR

    def stop_crypto(self):
        self.wr(0x08, self.rd(0x08) & ~0x08)

    def read(self, block):
        st, data = self.exchange_crc(bytes((0x30, block)))
        if st == OK and len(data) != 16:
            return ERROR, data
        return st, data

    def write(self, block, data, cmd=0xA0):
        st, _ = self.exchange_crc(bytes((cmd, block)))
        if st != OK:
            return st
        st, _ = self.exchange_crc(bytes(data))
        return st

    def value_op(self, cmd, block, operand):
        st, _ = self.exchange_crc(bytes((cmd, block)))
        if st != OK:
            return st
        st, _ = self.exchange_crc((operand & 0xFFFFFFFF).to_bytes(4, "little"))
        return OK if st == TIMEOUT else ERROR         # part 2 is never answered (§6.4)

    def transfer(self, block):
        st, _ = self.exchange_crc(bytes((0xB0, block)))
        return st

    def wupa_select(self):
        st, _ = self.request(0x52)
        if st != OK:
            return st, None
        st, uid, _ = self.select()
        return st, uid

    def end_session(self):
        """§10.1 item 6: HLTA (still encrypted), then clear MFCrypto1On."""
        self.halt()
        self.stop_crypto()

    def reselect(self):
        self.end_session()
        return self.wupa_select()
