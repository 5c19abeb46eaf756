"""`machine` for the twin: the ESP32 API over the twin's hardware models.

Placed ahead on sys.path, it extends the unix port's built-in `machine` (the C
module's names stay available) with Pin, SPI, SoftSPI, WDT, RTC, PWM, reset,
soft_reset, reset_cause, unique_id, freq. Firmware imports it as `machine` and
cannot tell it from the board's. Behaviour follows the ESP32 port: reset cause
constants, the 2000 epoch of the RTC, input-only pins 34-39, SPI ids 1 and 2.
"""
import sys

_saved_path = sys.path[:]
sys.path[:] = []
from machine import *  # noqa: the C module's PinBase, Signal, idle, mem8/16/32, time_pulse_us
import machine as _cmachine
import time as _ctime
sys.path[:] = _saved_path
del _saved_path

import micropython
import world
import hardware

# Reset causes, with the ESP32 port's values.
PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_EPOCH_2000_NS = 946684800 * 1000000000

# Set by the twin's ROM before firmware runs.
_boot = {"reset_cause": PWRON_RESET, "mac": b"\x24\x0a\xc4\x00\x00\x01"}
_freq = [160000000]


def _configure(reset_cause, mac, rtc_state):
    _boot["reset_cause"] = reset_cause
    _boot["mac"] = mac
    _rtc_apply(rtc_state)


# ---------------------------------------------------------------- pins

_VALID_GPIO = tuple(n for n in range(40) if n not in (20, 24, 28, 29, 30, 31))
_INPUT_ONLY = (34, 35, 36, 37, 38, 39)


class _PinState:
    """One GPIO: what firmware configured and what the outside world drives."""

    def __init__(self, num):
        self.num = num
        self.mode = None          # None = not configured (input, floating)
        self.pull = None
        self.out = 0
        self.ext = hardware.INPUT_REST.get(num)   # level the world drives, None = nothing
        self.irq = None
        self.trigger = 0
        self.pin = None           # the Pin object given to irq handlers
        self.listener = None      # device hook: function(level) on every level change
        self.name = None          # named output recorded on the bench timeline
        self.level = self.compute()

    def compute(self):
        mode = self.mode
        if mode == Pin.OUT or (mode == Pin.OPEN_DRAIN and self.out == 0):
            return self.out
        if self.ext is not None:
            return self.ext
        if self.pull == Pin.PULL_UP:
            return 1
        if self.pull == Pin.PULL_DOWN:
            return 0
        return hardware.EXTERNAL_PULL.get(self.num, 0)

    def update(self):
        old = self.level
        new = self.compute()
        if new == old:
            return
        self.level = new
        if self.listener is not None:
            self.listener(new)
        if self.name is not None:
            world.send({"t": "out", "name": self.name, "level": new, "ns": world.now_ns()})
        if self.irq is not None:
            edge = Pin.IRQ_RISING if new else Pin.IRQ_FALLING
            if self.trigger & edge:
                try:
                    micropython.schedule(self.irq, self.pin)
                except RuntimeError:
                    _stats["irq_dropped"] += 1


_pins = {}
_stats = {"irq_dropped": 0}


def _pin_state(num):
    st = _pins.get(num)
    if st is None:
        st = _PinState(num)
        _pins[num] = st
    return st


class Pin(_cmachine.PinBase):
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    PULL_HOLD = 4
    IRQ_RISING = 1
    IRQ_FALLING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5
    DRIVE_0 = 0
    DRIVE_1 = 1
    DRIVE_2 = 2
    DRIVE_3 = 3

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, hold=None):
        if isinstance(id, Pin):
            id = id._st.num
        if id not in _VALID_GPIO:
            raise ValueError("invalid pin")
        self._st = _pin_state(id)
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, drive=None, hold=None):
        st = self._st
        if mode in (Pin.OUT, Pin.OPEN_DRAIN) and st.num in _INPUT_ONLY:
            raise ValueError("pin can only be input")
        if value is not None:
            st.out = 1 if value else 0
        if mode != -1:
            st.mode = mode
        if pull != -1:
            st.pull = pull
        st.update()

    def value(self, v=None):
        st = self._st
        if v is None:
            world.service(0)
            return st.level
        st.out = 1 if v else 0
        if st.mode == Pin.OUT or st.mode == Pin.OPEN_DRAIN:
            st.update()

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3, *, wake=None, hard=False):
        st = self._st
        st.irq = handler
        st.trigger = trigger if handler is not None else 0
        st.pin = self
        return self

    def __repr__(self):
        return "Pin(%d)" % self._st.num


def _drive_input(num, level):
    """The world drives a pin (level 0/1) or lets it go (None)."""
    st = _pin_state(num)
    st.ext = level
    st.update()


def _on_input(msg):
    if "name" in msg:
        num, active_level = hardware.INPUTS[msg["name"]]
        level = active_level if msg["active"] else 1 - active_level
    else:
        num, level = msg["pin"], msg["level"]
    _drive_input(num, level)


world.on("in", _on_input)

for _name, _num in hardware.OUTPUTS.items():
    _pin_state(_num).name = _name


# ---------------------------------------------------------------- SPI

_spi_devices = []   # [(bus pins, cs state, device)]
_spi_stats = {"transactions": 0, "bytes": 0}
_spi_trace = []     # (tx bytes, rx bytes) per transfer call while tracing
_spi_trace_on = [False]


def attach_spi_device(device, bus_pins, cs, rst=None):
    """Solder a device model onto the bus given by (sck, mosi, miso), with its CS pin."""
    cs_state = _pin_state(cs)
    if cs_state.ext is None:
        cs_state.ext = 1          # CS lines have a pull-up on the module
        cs_state.level = cs_state.compute()

    def on_cs(level):
        if level == 0:
            world.service(0)      # apply bench actions before the transaction
            _spi_stats["transactions"] += 1
            device.select()
        else:
            device.deselect()

    cs_state.listener = on_cs
    if rst is not None:
        rst_state = _pin_state(rst)
        if rst_state.ext is None:
            rst_state.ext = 1     # module pull-up on NRSTPD
            rst_state.level = rst_state.compute()
        rst_state.listener = device.set_reset
    _spi_devices.append((bus_pins, cs_state, device))


_SPI_DEFAULT_PINS = {1: (14, 13, 12), 2: (18, 23, 19)}


class SPI:
    MSB = 0
    LSB = 1

    def __init__(self, id, baudrate=1000000, *, polarity=0, phase=0, bits=8, firstbit=0,
                 sck=None, mosi=None, miso=None):
        if id not in _SPI_DEFAULT_PINS:
            raise ValueError("SPI(%s) doesn't exist" % (id,))
        self._id = id
        self._bus = ()
        self.init(baudrate, polarity=polarity, phase=phase, bits=bits, firstbit=firstbit,
                  sck=sck, mosi=mosi, miso=miso)

    def init(self, baudrate=1000000, *, polarity=0, phase=0, bits=8, firstbit=0,
             sck=None, mosi=None, miso=None):
        default = _SPI_DEFAULT_PINS.get(self._id, (None, None, None))
        pins = (_num(sck, default[0]), _num(mosi, default[1]), _num(miso, default[2]))
        self.baudrate = baudrate
        self.mode = (polarity, phase, bits, firstbit)
        self._bus = [(cs, dev) for bus, cs, dev in _spi_devices if bus == pins]

    def deinit(self):
        self._bus = ()

    def _selected(self):
        for cs, dev in self._bus:
            if cs.level == 0:
                # A device only talks in the mode it was built for (mode 0, MSB first, 8 bits).
                if self.mode != (0, 0, 8, 0):
                    return None
                return dev
        return None

    def _xfer(self, tx, rx):
        n = len(tx)
        _spi_stats["bytes"] += n
        dev = self._selected()
        if dev is not None:
            dev.transfer(tx, rx)
        elif rx is not None:
            for i in range(n):
                rx[i] = 0xFF      # MISO idles high with nothing selected
        if _spi_trace_on[0]:
            _spi_trace.append((bytes(tx), bytes(rx) if rx is not None else None))

    def write(self, buf):
        self._xfer(buf, None)

    def read(self, nbytes, write=0):
        rx = bytearray(nbytes)
        self._xfer(bytes((write,)) * nbytes, rx)
        return rx

    def readinto(self, buf, write=0):
        self._xfer(bytes((write,)) * len(buf), buf)

    def write_readinto(self, write_buf, read_buf):
        if len(write_buf) != len(read_buf):
            raise ValueError("buffers must be the same length")
        self._xfer(write_buf, read_buf)


class SoftSPI(SPI):
    def __init__(self, baudrate=500000, *, polarity=0, phase=0, bits=8, firstbit=0,
                 sck=None, mosi=None, miso=None):
        self._id = -1
        self._bus = ()
        self.init(baudrate, polarity=polarity, phase=phase, bits=bits, firstbit=firstbit,
                  sck=sck, mosi=mosi, miso=miso)


def _num(pin, default):
    if pin is None:
        return default
    if isinstance(pin, Pin):
        return pin._st.num
    return pin


# ---------------------------------------------------------------- PWM

class PWM:
    """Enough PWM for a buzzer or an LED: the bench records on (duty > 0) and off."""

    def __init__(self, dest, *, freq=5000, duty=None, duty_u16=None, duty_ns=None):
        self._pin = dest if isinstance(dest, Pin) else Pin(dest)
        self._pin.init(Pin.OUT)
        self._freq = freq
        self._duty = 0
        if duty is not None:
            self.duty(duty)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._freq = f

    def duty(self, d=None):
        if d is None:
            return self._duty >> 6
        self.duty_u16(d << 6)

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._duty = d
        self._pin.value(1 if d else 0)

    def deinit(self):
        self.duty_u16(0)


# ---------------------------------------------------------------- WDT

class WDT:
    """The task watchdog: a missed feed resets the node (the launcher keeps the time)."""

    def __init__(self, id=0, timeout=5000):
        if timeout < 1:
            raise ValueError("WDT timeout too short")
        self._timeout = timeout
        self._last_sent = _ctime.ticks_ms()
        world.send({"t": "wdt", "timeout_ms": timeout})

    def feed(self):
        # Tell the launcher at most 8 times per period: it allows timeout/8 of slack.
        now = _ctime.ticks_ms()
        if _ctime.ticks_diff(now, self._last_sent) >= self._timeout // 8:
            self._last_sent = now
            world.send({"t": "feed"})
        world.service(0)


# ---------------------------------------------------------------- RTC

# RTC time is kept as (ns since 2000 at host reference, host reference ns, drift ppm).
_rtc = [0, 0, 0.0]


def _rtc_apply(state):
    _rtc[0] = state["rtc_ns"]
    _rtc[1] = state["host_ns"]
    _rtc[2] = state.get("drift_ppm", 0.0)


def rtc_ns():
    """Nanoseconds since 2000-01-01 on the node's RTC (with its drift)."""
    elapsed = _ctime.time_ns() - _rtc[1]
    return _rtc[0] + elapsed + int(elapsed * _rtc[2] / 1000000)


def _rtc_set_ns(ns2000):
    host = _ctime.time_ns()
    _rtc[0] = ns2000
    _rtc[1] = host
    world.send({"t": "rtc", "rtc_ns": ns2000, "host_ns": host})


world.on("rtc", _rtc_apply)


class RTC:
    def __init__(self, id=0):
        pass

    def init(self, datetime):
        self.datetime(datetime)

    def datetime(self, dt=None):
        import time
        if dt is None:
            ns = rtc_ns()
            t = time.gmtime(ns // 1000000000)
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], (ns // 1000) % 1000000)
        secs = time.mktime((dt[0], dt[1], dt[2], dt[4], dt[5], dt[6], 0, 0))
        sub = dt[7] if len(dt) > 7 else 0
        _rtc_set_ns(secs * 1000000000 + sub * 1000)


# ---------------------------------------------------------------- the chip

def reset():
    """Hard reset of the chip (the ESP32 reports SOFT_RESET afterwards)."""
    world.send({"t": "reset", "cause": SOFT_RESET})
    world.halt_for_power_cut()


def soft_reset():
    world.send({"t": "soft_reset"})
    world.halt_for_power_cut()


def reset_cause():
    return _boot["reset_cause"]


def unique_id():
    return _boot["mac"]


def freq(hz=None):
    if hz is None:
        return _freq[0]
    if hz not in (20000000, 40000000, 80000000, 160000000, 240000000):
        raise ValueError("frequency must be 20MHz, 40MHz, 80Mhz, 160MHz or 240MHz")
    _freq[0] = hz


def idle():
    world.service(1)


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def lightsleep(ms=None):
    world.wait(ms if ms is not None else 1000)


def deepsleep(ms=None):
    world.send({"t": "reset", "cause": DEEPSLEEP_RESET, "after_ms": ms or 0})
    world.halt_for_power_cut()
