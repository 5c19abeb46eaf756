# A driver written the way the common MicroPython MFRC522 drivers are: one register per SPI
# transaction, FIFO read byte by byte, CRCs computed with the chip's CalcCRC, waits bounded by
# loop counts (2000 polls for an exchange, 255 for CalcCRC). Used to prove the model is not
# tailored to one access pattern. Not the firmware's driver.

OK = 0
NOTAGERR = 1
ERR = 2


class Simple:
    def __init__(self, spi, cs):
        self.spi = spi
        self.cs = cs
        self.buf = bytearray(2)

    def _wreg(self, reg, val):
        self.cs.value(0)
        self.spi.write(bytes(((reg << 1) & 0x7E,)))
        self.spi.write(bytes((val,)))
        self.cs.value(1)

    def _rreg(self, reg):
        self.cs.value(0)
        self.spi.write(bytes((((reg << 1) & 0x7E) | 0x80,)))
        self.spi.readinto(self.buf, 0)
        self.cs.value(1)
        return self.buf[0]

    def _sflags(self, reg, mask):
        self._wreg(reg, self._rreg(reg) | mask)

    def _cflags(self, reg, mask):
        self._wreg(reg, self._rreg(reg) & ~mask)

    def init(self):
        self._wreg(0x01, 0x0F)
        self._wreg(0x2A, 0x8D)
        self._wreg(0x2B, 0x3E)
        self._wreg(0x2D, 30)
        self._wreg(0x2C, 0)
        self._wreg(0x15, 0x40)
        self._wreg(0x11, 0x3D)
        if ~(self._rreg(0x14) & 0x03):
            self._sflags(0x14, 0x03)

    def _tocard(self, cmd, send):
        recv = []
        bits = irq_en = wait_irq = n = 0
        stat = ERR
        if cmd == 0x0E:
            irq_en, wait_irq = 0x12, 0x10
        elif cmd == 0x0C:
            irq_en, wait_irq = 0x77, 0x30
        self._wreg(0x02, irq_en | 0x80)
        self._cflags(0x04, 0x80)
        self._sflags(0x0A, 0x80)
        self._wreg(0x01, 0x00)
        for c in send:
            self._wreg(0x09, c)
        self._wreg(0x01, cmd)
        if cmd == 0x0C:
            self._sflags(0x0D, 0x80)
        i = 2000
        while True:
            n = self._rreg(0x04)
            i -= 1
            if i == 0 or n & 0x01 or n & wait_irq:
                break
        self._cflags(0x0D, 0x80)
        if i and n & wait_irq:
            if not self._rreg(0x06) & 0x1B:
                stat = OK
                if n & irq_en & 0x01:
                    stat = NOTAGERR
                elif cmd == 0x0C:
                    n = self._rreg(0x0A)
                    lbits = self._rreg(0x0C) & 0x07
                    bits = (n - 1) * 8 + lbits if lbits else n * 8
                    n = min(max(n, 1), 16)
                    for _ in range(n):
                        recv.append(self._rreg(0x09))
            else:
                stat = ERR
        return stat, recv, bits

    def _crc(self, data):
        self._cflags(0x05, 0x04)
        self._sflags(0x0A, 0x80)
        for c in data:
            self._wreg(0x09, c)
        self._wreg(0x01, 0x03)
        i = 0xFF
        while True:
            n = self._rreg(0x05)
            i -= 1
            if not (i != 0 and not (n & 0x04)):
                break
        return [self._rreg(0x22), self._rreg(0x21)]

    def request(self, mode=0x26):
        self._wreg(0x0D, 0x07)
        stat, recv, bits = self._tocard(0x0C, [mode])
        if stat != OK or bits != 0x10:
            stat = ERR
        return stat, bits

    def anticoll(self, sel=0x93):
        self._wreg(0x0D, 0x00)
        stat, recv, bits = self._tocard(0x0C, [sel, 0x20])
        if stat == OK:
            if len(recv) == 5:
                if recv[0] ^ recv[1] ^ recv[2] ^ recv[3] != recv[4]:
                    stat = ERR
            else:
                stat = ERR
        return stat, recv

    def select_tag(self, ser, sel=0x93):
        buf = [sel, 0x70] + ser[:5]
        buf += self._crc(buf)
        stat, recv, bits = self._tocard(0x0C, buf)
        return recv[0] if stat == OK and bits == 0x18 else -1

    def read_uid(self):
        """Cascade-aware UID read (the improved forks do this; the original returns 5 raw bytes)."""
        uid = []
        for sel in (0x93, 0x95):
            stat, raw = self.anticoll(sel)
            if stat != OK:
                return None
            sak = self.select_tag(raw, sel)
            if sak < 0:
                return None
            if sak & 0x04:
                uid += raw[1:4]
            else:
                return uid + raw[0:4]
        return None

    def auth(self, mode, addr, sect, ser):
        return self._tocard(0x0E, [mode, addr] + sect + ser[:4])[0]

    def stop_crypto1(self):
        self._cflags(0x08, 0x08)

    def read(self, addr):
        data = [0x30, addr]
        data += self._crc(data)
        stat, recv, _ = self._tocard(0x0C, data)
        return recv if stat == OK else None

    def write(self, addr, data):
        buf = [0xA0, addr]
        buf += self._crc(buf)
        stat, recv, bits = self._tocard(0x0C, buf)
        if not stat == OK or bits != 4 or (recv[0] & 0x0F) != 0x0A:
            return ERR
        buf = list(data)
        buf += self._crc(buf)
        stat, recv, bits = self._tocard(0x0C, buf)
        if not stat == OK or bits != 4 or (recv[0] & 0x0F) != 0x0A:
            return ERR
        return OK
