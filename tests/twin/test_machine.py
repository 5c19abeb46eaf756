"""`machine` on the twin: the ESP32 API over the twin's hardware, as firmware sees it."""
import time

import pytest

from host_tools.transport import NodeError, NodeTransport

pytestmark = pytest.mark.bench


def test_pins_read_pulls_and_what_the_bench_drives(twin, node):
    node.exec("from machine import Pin\nimport time\n"
              "up = Pin(21, Pin.IN, Pin.PULL_UP)\ndown = Pin(4, Pin.IN, Pin.PULL_DOWN)")
    assert node.eval("(up.value(), down.value())") == (1, 0)
    twin.bench("pin", pin=21, level=0)
    twin.bench("pin", pin=4, level=1)
    assert node.eval("(up.value(), down.value())") == (0, 1)
    twin.bench("pin", pin=21, level=None)          # released: the pull-up wins again
    assert node.eval("up()") == 1


def test_output_pin_reads_back_and_invalid_pins_are_refused(node):
    node.exec("from machine import Pin\np = Pin(13, Pin.OUT, value=1)")
    assert node.eval("p.value()") == 1
    node.exec("p.off()")
    assert node.eval("p()") == 0
    with pytest.raises(NodeError, match="ValueError: invalid pin"):
        node.exec("Pin(24, Pin.OUT)")
    with pytest.raises(NodeError, match="ValueError: pin can only be input"):
        node.exec("Pin(36, Pin.OUT)")


def test_pin_irq_runs_the_handler_on_the_chosen_edges(twin, node):
    node.exec("from machine import Pin\nimport time\nedges = []\n"
              "p = Pin(21, Pin.IN, Pin.PULL_UP)\n"
              "p.irq(lambda pin: edges.append(pin.value()), trigger=Pin.IRQ_FALLING)")
    for level in (0, 1, 0, 1):
        twin.bench("pin", pin=21, level=level)
        node.exec("time.sleep_ms(5)")
    assert node.eval("edges") == [0, 0]            # two falling edges, rising ones ignored


def test_named_outputs_reach_the_bench_timeline(twin, bench, node):
    node.exec("from machine import Pin\nimport time\nr = Pin(26, Pin.OUT, value=0)\n"
              "r.on(); time.sleep_ms(100); r.off()")
    on = bench.wait_output("relay", 1, timeout=2)
    off = bench.wait_output("relay", 0, timeout=2)
    assert 0.09 < off["t"] - on["t"] < 0.5


def test_signal_inverts_a_twin_pin(node):
    node.exec("from machine import Pin, Signal\np = Pin(13, Pin.OUT)\ns = Signal(p, invert=True)\ns.on()")
    assert node.eval("p.value()") == 0


class Loopback:
    """Source of a tiny SPI device for the node: answers each byte with byte + 1."""
    CODE = """
import machine
class Loopback:
    def __init__(self):
        self.log = []
    def select(self):
        self.log.append('sel')
    def deselect(self):
        self.log.append('desel')
    def transfer(self, tx, rx):
        if rx is not None:
            for i in range(len(tx)):
                rx[i] = (tx[i] + 1) & 0xFF
    def set_reset(self, level):
        self.log.append('rst%d' % level)
dev = Loopback()
machine.attach_spi_device(dev, (14, 13, 12), 15, 16)
"""


def test_spi_routes_to_the_selected_device_and_records_transactions(node):
    node.exec(Loopback.CODE)
    node.exec("import twin\nfrom machine import SPI, Pin\n"
              "spi = SPI(1, baudrate=4000000)\ncs = Pin(15, Pin.OUT, value=1)\n"
              "twin.spi_stats(reset=True)\nrx = bytearray(3)")
    node.exec("cs(0); spi.write_readinto(b'\\x01\\x02\\xff', rx); cs(1)")
    assert node.eval("bytes(rx)") == b"\x02\x03\x00"
    assert node.eval("dev.log") == ["sel", "desel"]
    assert node.eval("twin.spi_stats()") == {"transactions": 1, "bytes": 3}
    # Nobody selected: MISO idles high.
    assert node.eval("bytes(spi.read(2))") == b"\xff\xff"
    # Another bus does not reach the device.
    node.exec("spi2 = SPI(2)\ncs(0)\nrx2 = spi2.read(1)\ncs(1)")
    assert node.eval("bytes(rx2)") == b"\xff"
    node.exec("rst = Pin(16, Pin.OUT, value=0)\nrst(1)")
    assert node.eval("dev.log[-2:]") == ["rst0", "rst1"]


def test_reader_on_the_twin_bus_answers_its_version(twin, node):
    node.exec("from machine import SPI, Pin\nspi = SPI(2, baudrate=4000000, sck=Pin(18), mosi=Pin(23), miso=Pin(19))\n"
              "cs = Pin(5, Pin.OUT, value=1)\nrx = bytearray(2)\n"
              "def reg(a):\n cs(0); spi.write_readinto(bytes((0x80 | (a << 1), 0)), rx); cs(1); return rx[1]")
    assert node.eval("reg(0x37)") == 0x92                     # VersionReg of an MFRC522 v2.0
    twin.bench("reader.version", value=0x91)
    assert node.eval("reg(0x37)") == 0x91


def test_watchdog_resets_a_node_that_stops_feeding(twin, node):
    node.exec("from machine import WDT\nimport time\nw = WDT(timeout=300)\n"
              "for i in range(6):\n w.feed(); time.sleep_ms(100)")
    assert node.eval("1") == 1                 # fed for 600 ms: still the same boot
    assert twin.boots == 1
    node.close()
    deadline = time.monotonic() + 5
    while twin.boots == 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert twin.boots == 2
    assert any(e["kind"] == "wdt" for e in twin.timeline)
    with NodeTransport.connect(twin.url) as n:
        assert n.eval("__import__('machine').reset_cause()") == 3      # WDT_RESET


def test_machine_reset_and_reset_causes(twin, node):
    assert node.eval("__import__('machine').reset_cause()") == 1         # PWRON_RESET
    node.raw.exec_raw_no_follow("import machine; machine.reset()")
    node.close()
    assert twin.wait_ready(5)
    with NodeTransport.connect(twin.url) as n:
        assert n.eval("__import__('machine').reset_cause()") == 5        # SOFT_RESET, as the ESP32 reports
    twin.reset_button()
    with NodeTransport.connect(twin.url) as n:
        assert n.eval("__import__('machine').reset_cause()") == 1        # EN button: power-on reset


def test_unique_id_and_freq(node):
    uid = node.eval("__import__('machine').unique_id()")
    assert isinstance(uid, bytes) and len(uid) == 6
    assert node.eval("__import__('machine').freq()") == 160_000_000
    node.exec("import machine; machine.freq(240_000_000)")
    assert node.eval("machine.freq()") == 240_000_000
    with pytest.raises(NodeError, match="ValueError"):
        node.exec("machine.freq(123)")


def test_time_uses_the_esp32_epoch_and_the_rtc(node):
    node.exec("import time")
    assert node.eval("time.gmtime(0)") == (2000, 1, 1, 0, 0, 0, 5, 1)
    assert node.eval("time.localtime(time.mktime((2026, 11, 29, 6, 0, 0, 0, 0)))") == \
        (2026, 11, 29, 6, 0, 0, 6, 333)
    # A fresh board's RTC starts at the epoch.
    assert node.eval("time.time()") < 60
    node.exec("import machine\nmachine.RTC().datetime((2026, 11, 29, 6, 12, 30, 0, 0))")
    now = node.eval("time.localtime()")
    assert now[:5] == (2026, 11, 29, 12, 30)
    assert node.eval("machine.RTC().datetime()")[:7] == (2026, 11, 29, 6, 12, 30, now[5])


def test_rtc_survives_a_reset_but_not_a_power_cut(twin, node):
    node.exec("import machine\nmachine.RTC().datetime((2026, 1, 2, 4, 3, 4, 5, 0))")
    node.close()
    twin.reset_button()
    with NodeTransport.connect(twin.url) as n:
        assert n.eval("__import__('time').localtime()")[:3] == (2026, 1, 2)
    twin.power_cycle()
    with NodeTransport.connect(twin.url) as n:
        assert n.eval("__import__('time').localtime()")[:3] == (2000, 1, 1)


def test_rtc_drift_is_applied(twin, node):
    twin.bench("rtc_drift", ppm=200_000)          # a clock 20 % fast
    node.exec("import time\na = time.time_ns(); t = time.ticks_ms()\ntime.sleep_ms(500)\n"
              "rtc = time.time_ns() - a; real = time.ticks_diff(time.ticks_ms(), t)")
    rtc_ms, real_ms = node.eval("rtc // 1000000"), node.eval("real")
    assert 1.15 < rtc_ms / real_ms < 1.25
