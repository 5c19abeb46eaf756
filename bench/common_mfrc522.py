"""For comparison only: an MFRC522 driver written the way common MicroPython drivers are
(one register per SPI transaction, byte-wise FIFO, CalcCRC on the chip, polling ComIrqReg by
loop count, 25 ms timer). Not firmware; bench/bench_reader_driver.py runs it on the twin."""
import time


class CommonMFRC522:
    def __init__(self, spi, cs, rst=None):
        self.spi, self.cs, self.rst = spi, cs, rst
        cs(1)

    def _w(self, reg, val):
        self.cs(0)
        self.spi.write(bytes(((reg << 1) & 0x7E, val)))
        self.cs(1)

    def _r(self, reg):
        self.cs(0)
        self.spi.write(bytes((((reg << 1) & 0x7E) | 0x80,)))
        v = self.spi.read(1)
        self.cs(1)
        return v[0]

    def _sflags(self, reg, mask):
        self._w(reg, self._r(reg) | mask)

    def _cflags(self, reg, mask):
        self._w(reg, self._r(reg) & ~mask)

    def init(self):
        if self.rst:
            self.rst(0); self.rst(1)
        self._w(0x01, 0x0F)
        self._w(0x2A, 0x80); self._w(0x2B, 0xA9); self._w(0x2C, 0x03); self._w(0x2D, 0xE8)
        self._w(0x15, 0x40); self._w(0x11, 0x3D)
        self._sflags(0x14, 0x03)

    def _tocard(self, cmd, send):
        recv = []
        bits = 0
        irq_en, wait_irq = (0x12, 0x10) if cmd == 0x0E else (0x77, 0x30)
        self._w(0x02, irq_en | 0x80)
        self._cflags(0x04, 0x80)
        self._sflags(0x0A, 0x80)
        self._w(0x01, 0x00)
        for c in send:
            self._w(0x09, c)
        self._w(0x01, cmd)
        if cmd == 0x0C:
            self._sflags(0x0D, 0x80)
        i = 2000
        while True:
            n = self._r(0x04)
            i -= 1
            if not (i and not (n & 0x01) and not (n & wait_irq)):
                break
        self._cflags(0x0D, 0x80)
        if not i or self._r(0x06) & 0x1B:
            return 2, recv, bits
        if n & irq_en & 0x01:
            return 1, recv, bits
        if cmd == 0x0C:
            n = self._r(0x0A)
            lbits = self._r(0x0C) & 0x07
            bits = (n - 1) * 8 + lbits if lbits else n * 8
            for _ in range(min(n, 16) if n else 1):
                recv.append(self._r(0x09))
        return 0, recv, bits

    def _crc(self, data):
        self._cflags(0x05, 0x04)
        self._sflags(0x0A, 0x80)
        for c in data:
            self._w(0x09, c)
        self._w(0x01, 0x03)
        i = 0xFF
        while True:
            n = self._r(0x05)
            i -= 1
            if not (i != 0 and not (n & 0x04)):
                break
        return [self._r(0x22), self._r(0x21)]

    def request(self, mode=0x26):
        self._w(0x0D, 0x07)
        stat, recv, bits = self._tocard(0x0C, [mode])
        return stat == 0 and bits == 0x10

    def anticoll(self):
        self._w(0x0D, 0x00)
        stat, recv, bits = self._tocard(0x0C, [0x93, 0x20])
        if stat == 0 and len(recv) == 5 and recv[0] ^ recv[1] ^ recv[2] ^ recv[3] == recv[4]:
            return recv
        return None

    def select_tag(self, ser):
        buf = [0x93, 0x70] + ser[:5]
        buf += self._crc(buf)
        stat, recv, bits = self._tocard(0x0C, buf)
        return stat == 0 and bits == 0x18

    def auth(self, mode, addr, sect, ser):
        return self._tocard(0x0E, [mode, addr] + sect + ser[:4])[0] == 0

    def stop_crypto1(self):
        self._cflags(0x08, 0x08)

    def read(self, addr):
        data = [0x30, addr]
        data += self._crc(data)
        stat, recv, _ = self._tocard(0x0C, data)
        return recv if stat == 0 else None

    def halt(self):
        buf = [0x50, 0x00]
        buf += self._crc(buf)
        self._tocard(0x0C, buf)
