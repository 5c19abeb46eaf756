"""NXP MFRC522 reader on SPI: ISO 14443-3A activation, MIFARE Classic and Ultralight/NTAG.

    reader = MFRC522(spi, cs, rst)      # ready objects from the board file (SPI mode 0)
    reader.init()                       # OSError when no reader answers
    uid = reader.poll()                 # None, or a memoryview of the UID (valid until next poll)
    if uid is not None:
        uid = bytes(uid)                # copy only when a new card shows up
        reader.authenticate(KEY_A, 4, key)
        block = reader.read(4)          # memoryview, 16 bytes
        reader.halt()

Design (reference docs: mfrc522-reference.md §1-6, §10.1):
- One SPI transaction per register write, burst transfers for the FIFO and one burst read of
  all status registers per wait; CRC_A computed in software (0 SPI transactions).
- Waits: the chip timer (TAuto) ends every exchange; the host sleeps for the expected air time
  first, then polls status, bounded by a host deadline (a dead chip raises OSError).
- Buffers are made once here; poll() allocates nothing.
"""
from micropython import const
import time

# Registers (DS-RC522 §9.2), page 0: command and status
_COMMAND_REG = const(0x01)      # CommandReg
_COM_IRQ_REG = const(0x04)      # ComIrqReg
_DIV_IRQ_REG = const(0x05)      # DivIrqReg
_ERROR_REG = const(0x06)        # ErrorReg
_STATUS2_REG = const(0x08)      # Status2Reg
_FIFO_DATA_REG = const(0x09)    # FIFODataReg
_FIFO_LEVEL_REG = const(0x0A)   # FIFOLevelReg
_CONTROL_REG = const(0x0C)      # ControlReg
_BIT_FRAMING_REG = const(0x0D)  # BitFramingReg
_COLL_REG = const(0x0E)         # CollReg
# page 1: command configuration
_MODE_REG = const(0x11)         # ModeReg
_TX_MODE_REG = const(0x12)      # TxModeReg
_RX_MODE_REG = const(0x13)      # RxModeReg
_TX_CONTROL_REG = const(0x14)   # TxControlReg
_TX_ASK_REG = const(0x15)       # TxASKReg
# page 2: configuration
_CRC_RESULT_MSB = const(0x21)   # CRCResultReg (MSB)
_CRC_RESULT_LSB = const(0x22)   # CRCResultReg (LSB)
_MOD_WIDTH_REG = const(0x24)    # ModWidthReg
_T_MODE_REG = const(0x2A)       # TModeReg
_T_PRESCALER_REG = const(0x2B)  # TPrescalerReg
_T_RELOAD_H = const(0x2C)       # TReloadReg high
_T_RELOAD_L = const(0x2D)       # TReloadReg low
# page 3: test
_VERSION_REG = const(0x37)      # VersionReg

# Commands (§3.1)
_CMD_IDLE = const(0x00)
_CMD_CALC_CRC = const(0x03)
_CMD_TRANSCEIVE = const(0x0C)
_CMD_MF_AUTHENT = const(0x0E)
_CMD_SOFT_RESET = const(0x0F)

# ComIrqReg / ErrorReg / Status2Reg bits (§2.2)
_RX_IRQ = const(0x20)
_IDLE_IRQ = const(0x10)
_ERR_IRQ = const(0x02)
_TIMER_IRQ = const(0x01)
_ERR_FATAL = const(0x13)        # BufferOvfl | ParityErr | ProtocolErr
_COLL_ERR = const(0x08)
_MF_CRYPTO1_ON = const(0x08)
_POWER_DOWN = const(0x10)

# Configuration written by init() and checked by check() (§2.4): 50 us timer tick,
# TAuto; TReloadH stays 0 so one write of TReloadL changes the timeout.
_T_MODE = const(0x81)           # TAuto, prescaler high nibble 1
_T_PRESCALER = const(0x52)      # 0x152 = 338: (2*338+1)/13.56 MHz = 49.9 us
_T_ISO = const(4)               # 250 us: REQA/anticollision/SELECT/HLTA (FDT 91 us + 5 bits)
_T_MEM = const(199)             # 10 ms: MFAuthent, READ, WRITE, TRANSFER (DS-MF1 §11)
_T_VALUE = const(99)            # 5 ms: value-op part 2, where silence means success (§6.4)
_MODE = const(0x3D)             # CRC preset 6363
_TX_ASK = const(0x40)           # Force100ASK
_MOD_WIDTH = const(0x26)

# ISO/IEC 14443-3 and MIFARE commands (§5.2, §6.4, §7)
_REQA = const(0x26)
_WUPA = const(0x52)
_SEL_CL1 = const(0x93)
_CASCADE_TAG = const(0x88)
_HLTA = const(0x50)
_MF_READ = const(0x30)
_MF_WRITE = const(0xA0)
_UL_WRITE = const(0xA2)
_MF_DECREMENT = const(0xC0)
_MF_INCREMENT = const(0xC1)
_MF_RESTORE = const(0xC2)
_MF_TRANSFER = const(0xB0)
_ACK = const(0x0A)

KEY_A = const(0x60)
KEY_B = const(0x61)
VERSIONS = (0x91, 0x92, 0x88, 0x89, 0xB2, 0x12, 0x90)

# Outcomes of one exchange
_OK = const(0)
_SILENT = const(1)
_COLLISION = const(2)

_HOST_MARGIN_MS = const(100)    # host deadline beyond the chip timer
_POLL_US = const(100)           # between status reads
_ETU_X100 = const(944)          # 1 etu = 9.44 us (§5.7)
_FDT_US = const(90)
_MAX_FRAME = const(18)          # 16 data + CRC: the longest frame sent or read in the poll path


class CardError(Exception):
    """A card answered wrongly or stopped answering (CRC, BCC, NAK, authentication, removal)."""


def _make_crc_table():
    t = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
        t.append(c)
    return tuple(t)


_CRC_TABLE = _make_crc_table()


def crc_a(buf, start, end):
    """CRC_A (§4) of buf[start:end], preset 6363; 0 over data || CRC means the CRC is good."""
    crc = 0x6363
    t = _CRC_TABLE
    for i in range(start, end):
        crc = (crc >> 8) ^ t[(crc ^ buf[i]) & 0xFF]
    return crc


def _air_us(tx_bits, rx_bits):
    # Frame air times (§8.1): PCD start+end, data+parity; FDT; PICC start+end.
    n = tx_bits + (tx_bits >> 3) + 3 if tx_bits != 7 else 9
    if rx_bits:
        n += rx_bits + (rx_bits >> 3) + 2
    return n * _ETU_X100 // 100 + _FDT_US


class MFRC522:
    def __init__(self, spi, cs, rst=None):
        self._spi = spi
        self._cs = cs
        self._rst = rst
        cs(1)
        # tx[0] is the address byte, tx[1:] the frame; rx[1:] what the FIFO gave back.
        self._tx = bytearray(_MAX_FRAME + 3)
        self._rx = bytearray(_MAX_FRAME + 3)
        txv = memoryview(self._tx)
        rxv = memoryview(self._rx)
        self._txv = tuple(txv[:n] for n in range(_MAX_FRAME + 3))
        self._rxv = tuple(rxv[:n] for n in range(_MAX_FRAME + 3))
        self._w2 = bytearray(2)
        self._r2 = bytearray(2)
        # One burst read: ComIrq, Error, Status2, FIFOLevel, Control, Coll (§1.3).
        self._st_tx = bytes((0x88, 0x8C, 0x90, 0x94, 0x98, 0x9C, 0x00))
        self._st = bytearray(7)
        # Health check: Version, TMode, TPrescaler, TReloadH, Mode, TxMode, RxMode, TxControl,
        # TxASK, TReloadL, CollReg.
        self._chk_tx = bytes((0xEE, 0xD4, 0xD6, 0xD8, 0xA2, 0xA4, 0xA6, 0xA8, 0xAA, 0xDA, 0x9C, 0x00))
        self._chk = bytearray(12)
        self._data = memoryview(self._rx)[1:17]
        self._cl = bytearray(5)                   # UID bits of the current cascade level + BCC
        self._uid = bytearray(10)
        uv = memoryview(self._uid)
        self._uidv = (None, None, None, None, uv[:4], None, None, uv[:7], None, None, uv[:10])
        self._reload = -1
        self._crypto = False
        self._n = 0                               # bytes received by the last exchange
        self._bits = 0                            # valid bits of the last byte (0 = 8)
        self._coll = 0
        self.uid_len = 0
        self.atqa = 0
        self.sak = 0
        self.several = False                      # more than one card answered the last poll
        self.version = 0

    # ------------------------------------------------------------ register access (§1.3)
    def _wreg(self, reg, value):
        b = self._w2
        b[0] = reg << 1
        b[1] = value
        self._cs(0)
        self._spi.write(b)
        self._cs(1)

    def _rreg(self, reg):
        b = self._w2
        b[0] = 0x80 | (reg << 1)
        b[1] = 0
        self._cs(0)
        self._spi.write_readinto(b, self._r2)
        self._cs(1)
        return self._r2[1]

    def _burst(self, tx, rx):
        self._cs(0)
        self._spi.write_readinto(tx, rx)
        self._cs(1)

    def _write_fifo(self, n):
        """Burst-write self._tx[1:n+1] to FIFODataReg."""
        self._tx[0] = _FIFO_DATA_REG << 1
        self._cs(0)
        self._spi.write(self._txv[n + 1])
        self._cs(1)

    def _read_fifo(self, n):
        """Burst-read n FIFO bytes into self._rx[1:n+1]; self._tx[1:] is overwritten."""
        tx = self._tx
        for i in range(n):
            tx[i] = 0x80 | (_FIFO_DATA_REG << 1)
        tx[n] = 0
        self._burst(self._txv[n + 1], self._rxv[n + 1])

    def _status(self):
        self._burst(self._st_tx, self._st)
        irq = self._st[1]
        if irq & 0x80:
            raise OSError("MFRC522 bus fault")     # ComIrqReg bit 7 always reads 0
        return irq

    # ------------------------------------------------------------ set-up and health
    def init(self):
        """Reset, configure (§2.4, §10.1.2) and check the reader; OSError if it is absent or sick."""
        if self._rst is not None:
            self._rst(0)
            time.sleep_us(100)
            self._rst(1)
        self._wreg(_COMMAND_REG, _CMD_SOFT_RESET)
        deadline = time.ticks_add(time.ticks_ms(), 50)
        while self._rreg(_COMMAND_REG) & _POWER_DOWN:
            if time.ticks_diff(deadline, time.ticks_ms()) < 0:
                raise OSError("MFRC522 does not wake up")
            time.sleep_ms(1)
        self.version = self._rreg(_VERSION_REG)
        if self.version not in VERSIONS:
            raise OSError("no MFRC522 (VersionReg 0x%02x)" % self.version)
        for reg, value in ((_TX_MODE_REG, 0), (_RX_MODE_REG, 0), (_MOD_WIDTH_REG, _MOD_WIDTH),
                           (_T_MODE_REG, _T_MODE), (_T_PRESCALER_REG, _T_PRESCALER),
                           (_T_RELOAD_H, 0), (_T_RELOAD_L, _T_ISO), (_TX_ASK_REG, _TX_ASK),
                           (_MODE_REG, _MODE), (_COLL_REG, 0), (_TX_CONTROL_REG, 0x83)):
            self._wreg(reg, value)
        self._reload = _T_ISO
        self._crypto = False
        if not self.check():
            raise OSError("MFRC522 rejects its configuration")
        if self.calc_crc(b"\x50\x00") != 0xCD57:    # §4: HLTA -> 57 CD
            raise OSError("MFRC522 CRC coprocessor fails")

    def check(self):
        """True if the reader still holds its configuration (one SPI transaction)."""
        c = self._chk
        self._burst(self._chk_tx, c)
        if c[1] not in VERSIONS:
            raise OSError("MFRC522 gone (VersionReg 0x%02x)" % c[1])
        return (c[2] == _T_MODE and c[3] == _T_PRESCALER and c[4] == 0 and c[5] == _MODE
                and c[6] == 0 and c[7] == 0 and c[8] & 0x03 == 0x03 and c[9] == _TX_ASK
                and c[10] == self._reload and not c[11] & 0x80)

    def calc_crc(self, data):
        """CRC_A computed by the chip's coprocessor (CalcCRC), as an int (LSB first on air)."""
        n = len(data)
        self._wreg(_COMMAND_REG, _CMD_IDLE)
        self._wreg(_DIV_IRQ_REG, 0x04)
        self._wreg(_FIFO_LEVEL_REG, 0x80)
        for i in range(n):
            self._tx[i + 1] = data[i]
        self._write_fifo(n)
        self._wreg(_COMMAND_REG, _CMD_CALC_CRC)
        deadline = time.ticks_add(time.ticks_ms(), 10)
        while not self._rreg(_DIV_IRQ_REG) & 0x04:
            if time.ticks_diff(deadline, time.ticks_ms()) < 0:
                raise OSError("MFRC522 CalcCRC timeout")
        self._wreg(_COMMAND_REG, _CMD_IDLE)
        return self._rreg(_CRC_RESULT_LSB) | (self._rreg(_CRC_RESULT_MSB) << 8)

    def antenna(self, on):
        self._wreg(_TX_CONTROL_REG, 0x83 if on else 0x80)

    # ------------------------------------------------------------ one exchange (§3.2)
    def _timeout(self, reload):
        if reload != self._reload:
            self._wreg(_T_RELOAD_L, reload)
            self._reload = reload

    def _transceive(self, n, framing, rx_bits, reload):
        """Send self._tx[1:n+1]; the answer lands in self._rx[1:]. Returns _OK/_SILENT/_COLLISION."""
        self._timeout(reload)
        self._wreg(_COMMAND_REG, _CMD_TRANSCEIVE)   # restarts a Transceive left running
        self._wreg(_COM_IRQ_REG, 0x7F)
        self._wreg(_FIFO_LEVEL_REG, 0x80)
        self._write_fifo(n)
        self._wreg(_BIT_FRAMING_REG, 0x80 | framing)  # StartSend
        tx_bits = 8 * n if not framing & 7 else 8 * (n - 1) + (framing & 7)
        irq = self._wait(_RX_IRQ, _air_us(tx_bits, rx_bits), reload)
        st = self._st
        err = st[2]
        if not irq & _RX_IRQ:
            if err & _ERR_FATAL:
                raise CardError("receive error 0x%02x" % err)
            return _SILENT
        self._n = st[4] & 0x7F
        if self._n > _MAX_FRAME:
            raise CardError("answer too long")
        self._bits = st[5] & 0x07
        self._coll = st[6]
        if self._n:
            self._read_fifo(self._n)
        if err & _COLL_ERR:
            return _COLLISION
        if err & _ERR_FATAL:
            raise CardError("receive error 0x%02x" % err)
        return _OK

    def _wait(self, done, expect_us, reload):
        """Sleep for the expected air time, then poll status until done, TimerIRq or deadline.

        A collision raises ErrIRq before the frame ends: only a fatal error ends the wait early.
        """
        time.sleep_us(expect_us)
        deadline = time.ticks_add(time.ticks_ms(), (reload + 1) // 20 + _HOST_MARGIN_MS)
        while True:
            irq = self._status()
            if irq & (done | _TIMER_IRQ) or self._st[2] & _ERR_FATAL:
                return irq
            if time.ticks_diff(deadline, time.ticks_ms()) < 0:
                raise OSError("MFRC522 does not answer")
            time.sleep_us(_POLL_US)

    def _ack(self):
        return self._n == 1 and self._bits == 4 and self._rx[1] & 0x0F == _ACK

    def _crc_frame(self, n):
        """Append CRC_A to self._tx[1:n+1]; returns the new length."""
        crc = crc_a(self._tx, 1, n + 1)
        self._tx[n + 1] = crc & 0xFF
        self._tx[n + 2] = crc >> 8
        return n + 2

    # ------------------------------------------------------------ activation (§5)
    def poll(self, wake=False):
        """REQA (WUPA if wake) and full activation: the selected UID, or None when no card answers.

        Several cards: each collision is resolved towards bit value 1, so the same card wins
        every time; self.several reports it. Raises CardError on a garbled or broken answer.
        """
        self._stop_crypto()
        self.several = False
        self._tx[1] = _WUPA if wake else _REQA
        r = self._transceive(1, 7, 16, _T_ISO)
        if r == _SILENT:
            return None
        if r == _COLLISION:
            self.several = True                  # different ATQAs: someone is there
        self.atqa = self._rx[1] | (self._rx[2] << 8) if self._n == 2 else 0
        n = 0
        sel = _SEL_CL1
        while sel <= 0x97:
            if not self._anticollision(sel):
                return None
            sak = self._select(sel)
            cl = self._cl
            if sak & 0x04:
                if cl[0] != _CASCADE_TAG:
                    raise CardError("no cascade tag")
                for i in range(3):
                    self._uid[n + i] = cl[i + 1]
                n += 3
                sel += 2
                continue
            for i in range(4):
                self._uid[n + i] = cl[i]
            n += 4
            self.sak = sak
            self.uid_len = n
            return self._uidv[n]
        raise CardError("UID longer than 10 bytes")

    def _anticollision(self, sel):
        """Bit-frame anticollision of one cascade level (§5.6); UID bits + BCC land in self._cl."""
        cl = self._cl
        k = 0                                         # UID bits known at this level
        for _ in range(33):
            whole = k >> 3
            extra = k & 7
            tx = self._tx
            tx[1] = sel
            tx[2] = ((2 + whole) << 4) | extra        # NVB
            nk = whole + (1 if extra else 0)
            for i in range(nk):
                tx[3 + i] = cl[i]
            r = self._transceive(2 + nk, (extra << 4) | extra, 40 - k, _T_ISO)
            if r == _SILENT:
                return False
            rx = self._rx
            got = self._n
            if whole + got > 5:
                raise CardError("anticollision overrun")
            mask = (1 << extra) - 1                   # bits we sent in the shared byte
            for i in range(got):
                v = rx[1 + i]
                if i == 0 and extra:
                    v = (cl[whole] & mask) | (v & ~mask & 0xFF)
                cl[whole + i] = v
            if r == _OK:
                if whole + got != 5 or cl[0] ^ cl[1] ^ cl[2] ^ cl[3] != cl[4]:
                    raise CardError("BCC")
                return True
            # Collision: CollPos counts from bit 0 of FIFO byte 0, RxAlign included (§5.6).
            if self._coll & 0x20:
                raise CardError("collision position not valid")
            p = self._coll & 0x1F or 32
            c = 8 * whole + p                         # 1-based bit number of the collided bit
            if c <= k or c > 32:
                raise CardError("bad collision position")
            self.several = True
            byte = (c - 1) >> 3
            bit = (c - 1) & 7
            cl[byte] = (cl[byte] & ((1 << bit) - 1)) | (1 << bit)   # choose 1, forget the rest
            for i in range(byte + 1, 5):
                cl[i] = 0
            k = c
        raise CardError("anticollision does not converge")

    def _select(self, sel):
        """SELECT (NVB 0x70 + CRC_A); returns SAK after checking its CRC."""
        tx = self._tx
        tx[1] = sel
        tx[2] = 0x70
        for i in range(5):
            tx[3 + i] = self._cl[i]
        n = self._crc_frame(7)
        r = self._transceive(n, 0, 24, _T_ISO)
        if r != _OK or self._n != 3:
            raise CardError("no SAK")
        if crc_a(self._rx, 1, 4) != 0:
            raise CardError("SAK CRC")
        return self._rx[1]

    def halt(self):
        """HLTA (§5.2) then end any Crypto1 session (§6.5): the card stays quiet until WUPA."""
        tx = self._tx
        tx[1] = _HLTA
        tx[2] = 0
        n = self._crc_frame(2)
        self._transceive(n, 0, 24, _T_ISO)         # silence is success: wait out the timer
        self._stop_crypto()

    def _stop_crypto(self):
        if self._crypto:
            self._wreg(_STATUS2_REG, 0)
            self._crypto = False

    # ------------------------------------------------------------ MIFARE Classic (§6)
    def authenticate(self, key_type, block, key, uid=None):
        """MFAuthent with key A (KEY_A) or B; uid defaults to the card just polled (last 4 bytes)."""
        if uid is None:
            uid = self._uidv[self.uid_len]
        u = len(uid) - 4
        tx = self._tx
        tx[1] = key_type
        tx[2] = block
        for i in range(6):
            tx[3 + i] = key[i]
        for i in range(4):
            tx[9 + i] = uid[u + i]
        self._timeout(_T_MEM)
        self._wreg(_COMMAND_REG, _CMD_IDLE)
        self._wreg(_COM_IRQ_REG, 0x7F)
        self._wreg(_FIFO_LEVEL_REG, 0x80)
        self._write_fifo(12)
        self._wreg(_COMMAND_REG, _CMD_MF_AUTHENT)
        irq = self._wait(_IDLE_IRQ, _air_us(32, 32) + _air_us(64, 32), _T_MEM)
        if irq & _IDLE_IRQ and self._st[3] & _MF_CRYPTO1_ON:
            self._crypto = True
            return
        self._wreg(_COMMAND_REG, _CMD_IDLE)
        self._crypto = True                       # make sure the flag is cleared
        self._stop_crypto()
        raise CardError("authentication failed")

    def read(self, block):
        """READ (Classic block or 4 Ultralight pages): a memoryview of 16 bytes, CRC checked."""
        tx = self._tx
        tx[1] = _MF_READ
        tx[2] = block
        n = self._crc_frame(2)
        r = self._transceive(n, 0, 144, _T_MEM)
        if r == _SILENT:
            raise CardError("no answer")
        if self._n != 18:
            raise CardError("NAK %x" % (self._rx[1] & 0x0F) if self._n == 1 else "short answer")
        if crc_a(self._rx, 1, 19) != 0:
            raise CardError("CRC")
        return self._data

    def _command(self, n, reload=_T_MEM):
        """Send self._tx[1:n+1] + CRC and require a 4-bit ACK (§6.6)."""
        r = self._transceive(self._crc_frame(n), 0, 4, reload)
        if r == _SILENT:
            raise CardError("no answer")
        if not self._ack():
            raise CardError("NAK %x" % (self._rx[1] & 0x0F))

    def write(self, block, data):
        """WRITE a 16-byte Classic block (two parts, each ACKed)."""
        tx = self._tx
        tx[1] = _MF_WRITE
        tx[2] = block
        self._command(2)
        for i in range(16):
            tx[1 + i] = data[i]
        self._command(16)

    def short_frame(self, code):
        """A 7-bit frame (e.g. the gen1a backdoor 0x40, ref. 9.2): True if the card ACKs it."""
        self._tx[1] = code
        return self._transceive(1, 7, 4, _T_ISO) == _OK and self._ack()

    def write_probe(self, block):
        """WRITE part 1 only: True if the card would accept a write to block. Writes nothing."""
        self._tx[1] = _MF_WRITE
        self._tx[2] = block
        try:
            self._command(2)
        except CardError:
            return False
        return True

    def write_page(self, page, data):
        """Ultralight/NTAG WRITE (A2) of one 4-byte page."""
        tx = self._tx
        tx[1] = _UL_WRITE
        tx[2] = page
        for i in range(4):
            tx[3 + i] = data[i]
        self._command(6)

    def _value_op(self, cmd, block, operand):
        tx = self._tx
        tx[1] = cmd
        tx[2] = block
        self._command(2)
        for i in range(4):
            tx[1 + i] = (operand >> (8 * i)) & 0xFF
        r = self._transceive(self._crc_frame(4), 0, 0, _T_VALUE)
        if r != _SILENT and not self._ack():
            raise CardError("NAK %x" % (self._rx[1] & 0x0F))   # part 2: silence = success

    def increment(self, block, delta):
        self._value_op(_MF_INCREMENT, block, delta)

    def decrement(self, block, delta):
        self._value_op(_MF_DECREMENT, block, delta)

    def restore(self, block):
        self._value_op(_MF_RESTORE, block, 0)

    def transfer(self, block):
        tx = self._tx
        tx[1] = _MF_TRANSFER
        tx[2] = block
        self._command(2)
