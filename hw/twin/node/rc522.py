"""Register-level model of the NXP MFRC522 reader IC on the twin's SPI bus (reference §1-§3).

The twin's machine.SPI shim routes a transaction to the chip whose chip-select is low:

    chip = MFRC522Chip(emit)            # emit(dict) -> the launcher's reader bench
    chip.select()                       # NSS fell
    chip.transfer(b"\\xee\\x00", rx)      # read VersionReg: rx[1] == 0x92
    chip.deselect()                     # NSS rose
    chip.bench("place", {"card": "a", "state": card_image.new_state("classic1k", "DEADBEEF")})

Time is virtual (carrier cycles of 13.56 MHz): every SPI transaction advances it by a fixed host
overhead plus the bytes' wire time, so drivers that bound their waits by loop counts see the
timer expire; RF exchanges are resolved at StartSend and their results appear when the virtual
clock reaches them. Nothing a driver sends raises: bad input gets what the chip would do.
"""

try:
    from micropython import const
except ImportError:
    def const(x):
        return x

try:
    import crc_a
    import rf_field
    import card_image
    import cards_iso14443 as iso
except ImportError:
    from . import crc_a
    from . import rf_field
    from . import card_image
    from . import cards_iso14443 as iso

# --- Page 0: command and status (§2.1) ---
_COMMAND_REG = const(0x01)      # CommandReg
_COM_IEN_REG = const(0x02)      # ComIEnReg
_DIV_IEN_REG = const(0x03)      # DivIEnReg
_COM_IRQ_REG = const(0x04)      # ComIrqReg
_DIV_IRQ_REG = const(0x05)      # DivIrqReg
_ERROR_REG = const(0x06)        # ErrorReg
_STATUS1_REG = const(0x07)      # Status1Reg
_STATUS2_REG = const(0x08)      # Status2Reg
_FIFO_DATA_REG = const(0x09)    # FIFODataReg
_FIFO_LEVEL_REG = const(0x0A)   # FIFOLevelReg
_WATER_LEVEL_REG = const(0x0B)  # WaterLevelReg
_CONTROL_REG = const(0x0C)      # ControlReg
_BIT_FRAMING_REG = const(0x0D)  # BitFramingReg
_COLL_REG = const(0x0E)         # CollReg
# --- Page 1: command configuration ---
_MODE_REG = const(0x11)         # ModeReg
_TX_MODE_REG = const(0x12)      # TxModeReg
_RX_MODE_REG = const(0x13)      # RxModeReg
_TX_CONTROL_REG = const(0x14)   # TxControlReg
_TX_ASK_REG = const(0x15)       # TxASKReg
_MF_RX_REG = const(0x1D)        # MfRxReg
# --- Page 2: configuration ---
_CRC_RESULT_MSB = const(0x21)   # CRCResultReg (MSB)
_CRC_RESULT_LSB = const(0x22)   # CRCResultReg (LSB)
_DEMOD_REG = const(0x19)        # DemodReg
_T_MODE_REG = const(0x2A)       # TModeReg
_T_PRESCALER_REG = const(0x2B)  # TPrescalerReg
_T_RELOAD_H = const(0x2C)       # TReloadReg high
_T_RELOAD_L = const(0x2D)       # TReloadReg low
_T_COUNTER_H = const(0x2E)      # TCounterValReg high
_T_COUNTER_L = const(0x2F)      # TCounterValReg low
# --- Page 3: test ---
_AUTO_TEST_REG = const(0x36)    # AutoTestReg
_VERSION_REG = const(0x37)      # VersionReg

# Commands (§3.1)
_CMD_IDLE = const(0x0)
_CMD_MEM = const(0x1)
_CMD_RANDOM_ID = const(0x2)
_CMD_CALC_CRC = const(0x3)
_CMD_TRANSMIT = const(0x4)
_CMD_NO_CMD_CHANGE = const(0x7)
_CMD_RECEIVE = const(0x8)
_CMD_TRANSCEIVE = const(0xC)
_CMD_MF_AUTHENT = const(0xE)
_CMD_SOFT_RESET = const(0xF)

# ComIrqReg bits
_TX_IRQ = const(0x40)
_RX_IRQ = const(0x20)
_IDLE_IRQ = const(0x10)
_HI_ALERT_IRQ = const(0x08)
_LO_ALERT_IRQ = const(0x04)
_ERR_IRQ = const(0x02)
_TIMER_IRQ = const(0x01)
_CRC_IRQ = const(0x04)          # DivIrqReg
# ErrorReg bits
_WR_ERR = const(0x80)
_TEMP_ERR = const(0x40)
_BUFFER_OVFL = const(0x10)
_COLL_ERR = const(0x08)
_CRC_ERR = const(0x04)
_PARITY_ERR = const(0x02)
_PROTOCOL_ERR = const(0x01)
_MF_CRYPTO1_ON = const(0x08)    # Status2Reg

# Virtual time, in 13.56 MHz carrier cycles [emulator choice, §3.3 timing advice]
_NSS_CYCLES = const(678)        # 50 us host overhead per SPI transaction
_BYTE_CYCLES = const(108)       # 8 us per byte (1 MHz SCK)
_ETU = const(128)               # one bit at 106 kBd (§5.7)
_FDT = const(1172)              # frame delay time PCD -> PICC
_NEVER = const(1 << 60)

# Event kinds
_EV_TX_DONE = const(1)
_EV_TIMER_START = const(2)
_EV_TIMER_STOP = const(3)
_EV_RX_DONE = const(4)
_EV_AUTH_OK = const(5)
_EV_AUTH_NAK = const(6)

_FIFO_SIZE = const(64)

# Reset values (§2.1; CollReg 0xA0 [emulator choice]); VersionReg filled in per instance.
_RESET = bytes((
    0x00, 0x20, 0x80, 0x00, 0x14, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x08, 0x10, 0x00, 0xA0, 0x00,
    0x00, 0x3F, 0x00, 0x00, 0x80, 0x00, 0x10, 0x84, 0x84, 0x4D, 0x00, 0x00, 0x62, 0x00, 0x00, 0xEB,
    0x00, 0xFF, 0xFF, 0x88, 0x26, 0x87, 0x48, 0x88, 0x20, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x40, 0x92, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x03, 0x00))

# Writable bits of plain registers: reserved and read-only registers ignore writes (§2.2).
_WMASK = bytearray(b"\xff" * 64)
for _r in (0x00, 0x0F, 0x10, 0x1A, 0x1B, 0x1E, 0x20, 0x23, 0x25, 0x30, 0x3C, 0x3D, 0x3E, 0x3F,
           _ERROR_REG, _STATUS1_REG, _CRC_RESULT_MSB, _CRC_RESULT_LSB, _T_COUNTER_H, _T_COUNTER_L,
           0x35, _VERSION_REG, 0x3B):
    _WMASK[_r] = 0
_WMASK[_COLL_REG] = 0x80        # only ValuesAfterColl is writable
_WMASK[_COM_IEN_REG] = 0xFF
_WMASK[_DIV_IEN_REG] = 0x94
_W_SPECIAL = bytearray(64)
for _r in (_COMMAND_REG, _COM_IRQ_REG, _DIV_IRQ_REG, _STATUS2_REG, _FIFO_DATA_REG, _FIFO_LEVEL_REG,
           _WATER_LEVEL_REG, _CONTROL_REG, _BIT_FRAMING_REG, _TX_CONTROL_REG):
    _W_SPECIAL[_r] = 1
_R_SPECIAL = bytearray(64)
for _r in (_COMMAND_REG, _STATUS1_REG, _STATUS2_REG, _FIFO_DATA_REG, _FIFO_LEVEL_REG,
           _T_COUNTER_H, _T_COUNTER_L):
    _R_SPECIAL[_r] = 1

# Digital self-test results (§2.5); other versions answer with the v2.0 bytes [emulator choice].
_SELF_TEST = {
    0x91: "00C637D532B7575CC2D87C4DD970C77310E6D2AA5EA13E5A14AF3061C970DB2E"
          "642272B5BD65F4EC22BCD37235CDAA411FA7F35314DE7E02D90FB55E251D2979",
    0x92: "00EB66BA57BF2395D0E30D3D27895CDE9D3BA700215B8982513AEB020CA50049"
          "7C844DB3CCD21B815D4876D5716121A986968338CF9D5B6DDC15BA3E7D953B2F",
}


def _air_pcd(nbits):
    """Reader frame air time in cycles: data + parity + start/end (§8.1)."""
    if nbits == 7:
        return 9 * _ETU
    return (nbits + (nbits >> 3) + 3) * _ETU


def _air_picc(nbits):
    return (nbits + (nbits >> 3) + 2) * _ETU


def _us(us):
    return (int(us) * 1356) // 100


class MFRC522Chip:
    def __init__(self, emit, version=0x92):
        self.emit = emit
        self.field = rf_field.RFField(emit)
        self.version = version & 0xFF
        self._regs = bytearray(_RESET)
        self._wmask = _WMASK
        self._wspecial = _W_SPECIAL
        self._rspecial = _R_SPECIAL
        self._fifo = bytearray(_FIFO_SIZE)
        self._buffer = bytearray(25)       # internal buffer of the Mem command
        self._now = 0
        self._hang = 0                     # 1: reads 0x00, 2: bus stuck at 0xFF (until reset)
        self._in_reset = False
        self._mute = False
        self._phase = 0                    # 0: address byte next, 1: writing, 2: reading
        self._reg = 0
        self._hard_reset()

    # ------------------------------------------------------------------ SPI (§1.3)
    def select(self):
        self._phase = 0
        now = self._now + _NSS_CYCLES
        self._now = now
        if now >= self._next_at:
            self._run_due()

    def deselect(self):
        self._phase = 0

    def transfer(self, tx, rx):
        if self._mute:
            return self._mute_transfer(tx, rx)
        n = len(tx)
        self._now += n * _BYTE_CYCLES
        i = 0
        if self._phase == 0:
            if n == 0:
                return
            a = tx[0]
            self._reg = (a >> 1) & 0x3F    # bit 0 ignored (§1.3 decoding rule)
            self._phase = 2 if a & 0x80 else 1
            if rx is not None:
                rx[0] = 0
            i = 1
        reg = self._reg
        if self._phase == 1:
            regs = self._regs
            while i < n:
                if self._wspecial[reg]:
                    self._write_special(reg, tx[i])
                else:
                    m = self._wmask[reg]
                    regs[reg] = (regs[reg] & ~m) | (tx[i] & m)
                if rx is not None:
                    rx[i] = 0
                i += 1
            return
        regs = self._regs
        special = self._rspecial
        while i < n:
            v = self._read_special(reg) if special[reg] else regs[reg]
            if rx is not None:
                rx[i] = v
            reg = (tx[i] >> 1) & 0x3F
            i += 1
        self._reg = reg

    def _mute_transfer(self, tx, rx):
        if rx is not None:
            v = 0xFF if self._hang == 2 else 0x00
            for i in range(len(rx)):
                rx[i] = v

    def set_reset(self, level):
        """NRSTPD: 0 = hard power-down (registers reset, field off), 1 = running (§1.1)."""
        if not level:
            self._in_reset = True
            self._hang = 0
            self._hard_reset()
        else:
            self._in_reset = False
        self._mute = self._in_reset or self._hang != 0
        self._update_field()

    def advance_us(self, us):
        """Let virtual time pass (a twin time shim may call this while the firmware sleeps)."""
        self._now += _us(us)
        if self._now >= self._next_at:
            self._run_due()

    # ------------------------------------------------------------------ registers (§2.2)
    def _read_special(self, reg):
        r = self._regs
        if reg == _FIFO_DATA_REG:
            return self._fifo_pop()
        if reg == _FIFO_LEVEL_REG:
            return self._fn
        if reg == _STATUS1_REG:
            return self._status1()
        if reg == _COMMAND_REG:
            return r[_COMMAND_REG] | (0x10 if self._pd or self._now < self._wake_at else 0)
        if reg == _STATUS2_REG:
            return (r[_STATUS2_REG] & 0xC8) | self._modem_state()
        v = self._timer_value()
        return v >> 8 if reg == _T_COUNTER_H else v & 0xFF

    def _write_special(self, reg, v):
        r = self._regs
        if reg == _FIFO_DATA_REG:
            self._host_fifo_write(v)
        elif reg == _COMMAND_REG:
            self._write_command(v)
        elif reg == _COM_IRQ_REG:
            r[reg] = r[reg] | (v & 0x7F) if v & 0x80 else r[reg] & ~v & 0x7F   # Set1
        elif reg == _DIV_IRQ_REG:
            r[reg] = r[reg] | (v & 0x14) if v & 0x80 else r[reg] & ~v & 0x14   # Set2
        elif reg == _FIFO_LEVEL_REG:
            if v & 0x80:                                  # FlushBuffer
                self._fn = 0
                self._fhead = 0
                r[_ERROR_REG] &= ~_BUFFER_OVFL
                self._alerts()
        elif reg == _BIT_FRAMING_REG:
            r[reg] = v & 0x77
            if v & 0x80 and (r[_COMMAND_REG] & 0x0F) == _CMD_TRANSCEIVE:
                self._transmit(True)                      # StartSend
        elif reg == _CONTROL_REG:
            if v & 0x80:
                self._timer_stop(self._now)               # TStopNow
            if v & 0x40:
                self._timer_start(self._now)              # TStartNow
        elif reg == _STATUS2_REG:
            keep = r[reg] & _MF_CRYPTO1_ON if v & _MF_CRYPTO1_ON else 0   # host can only clear it
            r[reg] = (v & 0xC0) | keep
        elif reg == _WATER_LEVEL_REG:
            r[reg] = v & 0x3F
            self._alerts()
        elif reg == _TX_CONTROL_REG:
            r[reg] = v
            self._update_field()

    def _status1(self):
        r = self._regs
        v = 0x20 | (0x40 if self._crc_value == 0 else 0) if self._crc_ready else 0
        if (r[_COM_IRQ_REG] & r[_COM_IEN_REG] & 0x7F) or (r[_DIV_IRQ_REG] & r[_DIV_IEN_REG] & 0x14):
            v |= 0x10
        if self._t_running:
            v |= 0x08
        wl = r[_WATER_LEVEL_REG]
        if _FIFO_SIZE - self._fn <= wl:
            v |= 0x02
        if self._fn <= wl:
            v |= 0x01
        return v

    def _modem_state(self):
        cmd = self._regs[_COMMAND_REG] & 0x0F
        if cmd == _CMD_TRANSCEIVE:
            return 6 if self._events else 1
        if cmd == _CMD_RECEIVE:
            return 5
        if (cmd == _CMD_TRANSMIT or cmd == _CMD_MF_AUTHENT) and self._events:
            return 3
        return 0

    def _irq(self, bits):
        self._regs[_COM_IRQ_REG] |= bits

    def _error(self, bits):
        self._regs[_ERROR_REG] |= bits
        self._regs[_COM_IRQ_REG] |= _ERR_IRQ

    # ------------------------------------------------------------------ FIFO (§2.2, §3.3)
    def _fifo_push(self, v):
        if self._fn >= _FIFO_SIZE:
            self._error(_BUFFER_OVFL)
            return
        self._fifo[(self._fhead + self._fn) & 63] = v
        self._fn += 1
        self._alerts()

    def _fifo_pop(self):
        if self._fn == 0:
            return 0x00
        v = self._fifo[self._fhead]
        self._fhead = (self._fhead + 1) & 63
        self._fn -= 1
        self._alerts()
        return v

    def _fifo_take(self, count):
        out = bytearray(count)
        for i in range(count):
            out[i] = self._fifo[(self._fhead + i) & 63]
        self._fhead = (self._fhead + count) & 63
        self._fn -= count
        self._alerts()
        return out

    def _alerts(self):
        r = self._regs
        wl = r[_WATER_LEVEL_REG]
        if self._fn <= wl:
            r[_COM_IRQ_REG] |= _LO_ALERT_IRQ
        if _FIFO_SIZE - self._fn <= wl:
            r[_COM_IRQ_REG] |= _HI_ALERT_IRQ

    def _host_fifo_write(self, v):
        cmd = self._regs[_COMMAND_REG] & 0x0F
        if self._auth_busy or self._rx_busy:
            self._error(_WR_ERR)   # during MFAuthent or between last TX and last RX bit
            return
        self._fifo_push(v)
        if cmd == _CMD_CALC_CRC:
            self._crc_feed()
        elif cmd == _CMD_MF_AUTHENT and self._fn >= 12:
            self._mf_authent()
        elif cmd == _CMD_MEM and self._fn >= 25:
            self._mem()

    # ------------------------------------------------------------------ commands (§3.1)
    def _write_command(self, v):
        r = self._regs
        code = v & 0x0F
        if code == _CMD_SOFT_RESET:
            self._soft_reset()
            return
        self._power_down(v & 0x10)
        if code == _CMD_NO_CMD_CHANGE:
            r[_COMMAND_REG] = (v & 0x20) | (r[_COMMAND_REG] & 0x0F)
            return
        self._abort()
        r[_COMMAND_REG] = (v & 0x20) | code
        if code == _CMD_IDLE:
            return
        r[_ERROR_REG] &= _TEMP_ERR
        if code == _CMD_CALC_CRC:
            self._crc_start()
        elif code == _CMD_TRANSMIT:
            self._transmit(False)
        elif code == _CMD_MF_AUTHENT:
            if self._fn >= 12:
                self._mf_authent()
        elif code == _CMD_MEM:
            if self._fn == 0 or self._fn >= 25:
                self._mem()
        elif code == _CMD_RANDOM_ID:
            for i in range(10):
                self._buffer[i] = self.field.rand() & 0xFF
            self._finish()
        elif code != _CMD_TRANSCEIVE and code != _CMD_RECEIVE:
            self._finish()     # unknown codes: back to Idle with IdleIRq

    def _finish(self):
        """A command terminated by itself: Idle + IdleIRq (§2.2)."""
        self._regs[_COMMAND_REG] &= 0x30
        self._regs[_COM_IRQ_REG] |= _IDLE_IRQ
        self._crc_active = False
        self._auth_busy = False

    def _abort(self):
        self._events = []
        self._next_at = self._t_expire_at
        self._crc_active = False
        self._auth_busy = False
        self._rx_busy = False

    def _power_down(self, on):
        if on and not self._pd:
            self._pd = True
            self._update_field()
        elif not on and self._pd:
            self._pd = False
            self._wake_at = self._now + 512   # PowerDown reads 1 until the oscillator runs
            self._update_field()

    def _mem(self):
        if self._fn == 0:
            for b in self._buffer:
                self._fifo_push(b)
        else:
            self._buffer[:] = self._fifo_take(25)
        self._finish()

    def _crc_start(self):
        r = self._regs
        if (r[_AUTO_TEST_REG] & 0x0F) == 0x09:     # digital self-test (§2.5)
            self._fn = 0
            self._fhead = 0
            data = card_image.from_hex(_SELF_TEST.get(self.version, _SELF_TEST[0x92]), "self-test")
            for b in data:
                self._fifo_push(b)
            self._crc_ready = True
            r[_DIV_IRQ_REG] |= _CRC_IRQ
            return
        self._crc_msb = r[_MODE_REG] & 0x80
        self._crc_value = crc_a.PRESETS[r[_MODE_REG] & 3]
        self._crc_ready = False
        self._crc_active = True
        self._crc_feed()

    def _crc_feed(self):
        """CalcCRC consumes every FIFO byte, now and later (it never ends by itself, §3.1)."""
        data = self._fifo_take(self._fn)
        if self._crc_msb:
            crc = crc_a.update_msb_first(self._crc_value, data)
            result = crc_a.reverse16(crc)
        else:
            crc = crc_a.update(self._crc_value, data)
            result = crc
        self._crc_value = crc
        self._crc_ready = True
        r = self._regs
        r[_CRC_RESULT_MSB] = result >> 8
        r[_CRC_RESULT_LSB] = result & 0xFF
        r[_DIV_IRQ_REG] |= _CRC_IRQ

    # ------------------------------------------------------------------ RF (§3.2, §3.3)
    def _rf_ok(self):
        """The cards can hear us: field on, 100 % ASK, 106 kBd."""
        r = self._regs
        return (self.field.powered and r[_TX_ASK_REG] & 0x40 != 0
                and (r[_TX_MODE_REG] | r[_RX_MODE_REG]) & 0x70 == 0)

    def _schedule(self, at, kind, payload=None):
        self._seq += 1
        self._events.append((at, self._seq, kind, payload))
        self._events.sort()
        if at < self._next_at:
            self._next_at = at

    def _transmit(self, transceive):
        r = self._regs
        r[_ERROR_REG] &= _TEMP_ERR
        bf = r[_BIT_FRAMING_REG]
        last = bf & 7
        frame = bytes(self._fifo_take(self._fn))
        n = len(frame)
        nbits = 0 if n == 0 else (n - 1) * 8 + (last or 8)
        if n and not last and r[_TX_MODE_REG] & 0x80:        # TxCRCEn
            crc = crc_a.update(crc_a.PRESETS[r[_MODE_REG] & 3], frame)
            frame += bytes((crc & 0xFF, crc >> 8))
            nbits += 16
        tx_end = self._now + _air_pcd(nbits)
        self._schedule(tx_end, _EV_TX_DONE, transceive)
        tauto = r[_T_MODE_REG] & 0x80
        if tauto:
            self._schedule(tx_end, _EV_TIMER_START)
        ans = self._deliver(frame, nbits)
        if not transceive or ans is None or r[_COMMAND_REG] & 0x20:   # Transmit / RcvOff
            return
        rx_start = tx_end + _FDT + _us(ans.delay_us)
        if tauto:
            self._schedule(rx_start + 5 * _ETU, _EV_TIMER_STOP)
        self._rx_busy = True
        self._schedule(rx_start + _air_picc(ans.nbits), _EV_RX_DONE, (ans, (bf >> 4) & 7))

    def _deliver(self, frame, nbits):
        if nbits == 0 or not self._rf_ok():
            return None
        crypto = self._regs[_STATUS2_REG] & _MF_CRYPTO1_ON != 0
        if self._regs[_MF_RX_REG] & 0x10 and nbits != 7:
            frame = b"\x00"      # ParityDisable: cards cannot decode a standard frame [emulator choice]
            nbits = 3
        return self.field.exchange(frame, nbits, crypto)

    def _rx_done(self, payload):
        ans, align = payload
        self._rx_busy = False
        r = self._regs
        if r[_RX_MODE_REG] & 0x08 and ans.nbits < 4:
            return                                      # RxNoErr: ignore short noise
        bits = ans.bits
        errs = _PARITY_ERR if ans.parity_err else 0
        coll = r[_COLL_REG] & 0x80
        if ans.coll >= 0:
            errs |= _COLL_ERR
            if not coll:
                bits &= (1 << ans.coll) - 1             # ValuesAfterColl=0: later bits read 0
            pos = align + ans.coll + 1                  # CollPos counts from FIFO bit 0 (§5.6)
            coll |= (pos & 0x1F) if pos <= 32 else 0x20
        else:
            coll |= 0x20                                # CollPosNotValid
        r[_COLL_REG] = coll
        total = align + ans.nbits
        data = (bits << align).to_bytes((total + 7) >> 3, "little")
        if r[_RX_MODE_REG] & 0x80:                      # RxCRCEn
            data, bad = self._strip_crc(data, total)
            if bad:
                errs |= _CRC_ERR
        for b in data:
            self._fifo_push(b)
        r[_CONTROL_REG] = (r[_CONTROL_REG] & 0xF8) | (total & 7)
        self._irq(_RX_IRQ)
        if errs:
            self._error(errs)
        if r[_COMMAND_REG] & 0x0F == _CMD_RECEIVE:
            self._finish()

    def _strip_crc(self, data, total):
        # [emulator choice] frames that cannot carry a CRC (< 3 bytes, partial) flag CRCErr.
        if total & 7 or len(data) < 3:
            return data, True
        bad = crc_a.update(crc_a.PRESETS[self._regs[_MODE_REG] & 3], data) != 0
        return data[:-2], bad

    def _mf_authent(self):
        """MFAuthent with 12 FIFO bytes: cmd, block, key[6], uid[4] (§6.5); no Crypto1 modelled."""
        r = self._regs
        args = self._fifo_take(12)
        self._auth_busy = True
        crypto = r[_STATUS2_REG] & _MF_CRYPTO1_ON != 0
        r[_STATUS2_REG] &= ~_MF_CRYPTO1_ON
        outcome, delay = iso.AUTH_SILENT_1, 0
        if self._rf_ok():
            outcome, delay = self.field.authenticate(args[0], args[1], args[2:8], args[8:12], crypto)
        tauto = r[_T_MODE_REG] & 0x80
        t1 = self._now + _air_pcd(32)
        if tauto:
            self._schedule(t1, _EV_TIMER_START)
        if outcome == iso.AUTH_SILENT_1:
            return
        rx1 = t1 + _FDT + _us(delay)
        if tauto:
            self._schedule(rx1 + 5 * _ETU, _EV_TIMER_STOP)
        if outcome == iso.AUTH_NAK:
            self._schedule(rx1 + 6 * _ETU, _EV_AUTH_NAK)
            return
        t2 = rx1 + _air_picc(32) + _FDT + _air_pcd(64)
        if tauto:
            self._schedule(t2, _EV_TIMER_START)
        if outcome == iso.AUTH_OK:
            done = t2 + _FDT + _air_picc(32)
            if tauto:
                self._schedule(t2 + _FDT + 5 * _ETU, _EV_TIMER_STOP)
            self._schedule(done, _EV_AUTH_OK)

    # ------------------------------------------------------------------ timer (§2.3)
    def _timer_start(self, at):
        r = self._regs
        presc = ((r[_T_MODE_REG] & 0x0F) << 8) | r[_T_PRESCALER_REG]
        even = r[_DEMOD_REG] & 0x10 and self.version != 0x91
        self._t_tick = 2 * presc + (2 if even else 1)
        self._t_reload = (r[_T_RELOAD_H] << 8) | r[_T_RELOAD_L]
        self._t_start = at
        self._t_running = True
        self._t_expire_at = at + self._t_tick * (self._t_reload + 1)
        if self._t_expire_at < self._next_at:
            self._next_at = self._t_expire_at

    def _timer_stop(self, at):
        if self._t_running:
            self._t_frozen = self._timer_value_at(at)
            self._t_running = False
            self._t_expire_at = _NEVER

    def _timer_value_at(self, at):
        v = self._t_reload - (at - self._t_start) // self._t_tick
        return v if v > 0 else 0

    def _timer_value(self):
        return self._timer_value_at(self._now) if self._t_running else self._t_frozen

    def _timer_expired(self):
        self._irq(_TIMER_IRQ)
        t = self._t_expire_at
        if self._regs[_T_MODE_REG] & 0x10:                 # TAutoRestart
            period = self._t_tick * (self._t_reload + 1)
            k = (self._now - t) // period + 1
            self._t_start = t + (k - 1) * period
            self._t_expire_at = t + k * period
        else:
            self._t_running = False
            self._t_frozen = 0
            self._t_expire_at = _NEVER

    # ------------------------------------------------------------------ virtual clock
    def _run_due(self):
        now = self._now
        ev = self._events
        while True:
            t_ev = ev[0][0] if ev else _NEVER
            if self._t_expire_at <= now and self._t_expire_at <= t_ev:
                self._timer_expired()
            elif t_ev <= now:
                self._handle(ev.pop(0))
            else:
                break
        self._next_at = min(self._t_expire_at, ev[0][0] if ev else _NEVER)

    def _handle(self, event):
        at, _, kind, payload = event
        if kind == _EV_TX_DONE:
            self._irq(_TX_IRQ)
            if not payload:
                self._finish()            # Transmit ends when the FIFO is sent
        elif kind == _EV_TIMER_START:
            self._timer_start(at)
        elif kind == _EV_TIMER_STOP:
            self._timer_stop(at)
        elif kind == _EV_RX_DONE:
            self._rx_done(payload)
        elif kind == _EV_AUTH_OK:
            self._regs[_STATUS2_REG] |= _MF_CRYPTO1_ON
            self._finish()
        elif kind == _EV_AUTH_NAK:
            self._error(_PROTOCOL_ERR)

    # ------------------------------------------------------------------ reset
    def _hard_reset(self):
        self._regs[:] = _RESET
        self._regs[_VERSION_REG] = self.version
        self._buffer[:] = bytes(25)
        self._soft_state()

    def _soft_reset(self):
        """SoftReset: registers to reset values, internal buffer kept, antenna off (§3.1)."""
        self._regs[:] = _RESET
        self._regs[_VERSION_REG] = self.version
        self._soft_state()

    def _soft_state(self):
        self._fhead = 0
        self._fn = 0
        self._seq = 0
        self._events = []
        self._t_running = False
        self._t_frozen = 0
        self._t_tick = 1
        self._t_reload = 0
        self._t_start = 0
        self._t_expire_at = _NEVER
        self._next_at = _NEVER
        self._crc_value = 0xFFFF
        self._crc_msb = 0
        self._crc_ready = True
        self._crc_active = False
        self._auth_busy = False
        self._rx_busy = False
        self._pd = False
        self._wake_at = 0
        self._update_field()

    def _update_field(self):
        on = self._regs[_TX_CONTROL_REG] & 3 != 0 and not self._pd and not self._in_reset
        self.field.set_power(on)

    # ------------------------------------------------------------------ bench
    def bench(self, op, args):
        """A bench operation from the launcher (reader_bench.ReaderBench). Never raises."""
        try:
            handler = getattr(self, "_bench_" + op, None)
            if handler is None:
                raise ValueError("unknown reader op " + str(op))
            handler(args or {})
        except Exception as e:
            self.emit({"error": "reader.%s: %s" % (op, e)})

    def _bench_place(self, args):
        card = card_image.make_card(args["state"])
        self.field.place(args["card"], card, args.get("distance_mm", 0))

    def _bench_remove(self, args):
        self.field.remove(args["card"])

    def _bench_move(self, args):
        self.field.move(args["card"], args["distance_mm"])

    def _bench_version(self, args):
        self.version = int(args["value"]) & 0xFF
        self._regs[_VERSION_REG] = self.version

    def _bench_seed(self, args):
        self.field.seed(int(args["value"]))

    def _bench_fault(self, args):
        name = args["name"]
        f = self.field
        if name == "crc":
            f.crc_rate = float(args["rate"])
        elif name == "parity":
            f.parity_rate = float(args["rate"])
        elif name == "hang":
            self._hang = 2 if args.get("mode") == "stuck" else 1
            self._mute = True
        else:
            slot = f.find(args["card"])
            if slot is None:
                raise ValueError("no card %s in the field" % args["card"])
            if name == "weak":
                slot.loss = float(args["loss"])
            elif name == "slow":
                slot.delay_us = int(args["delay_us"])
            elif name == "remove_mid":
                slot.remove_after = int(args["after_frames"])
            else:
                raise ValueError("unknown fault " + str(name))

    def _bench_clear_fault(self, args):
        name = args.get("name", "all")
        f = self.field
        if name in ("crc", "all"):
            f.crc_rate = 0.0
        if name in ("parity", "all"):
            f.parity_rate = 0.0
        for s in f.slots:
            if name in ("weak", "all"):
                s.loss = 0.0
            if name in ("slow", "all"):
                s.delay_us = 0
            if name in ("remove_mid", "all"):
                s.remove_after = -1
