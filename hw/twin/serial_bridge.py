"""The twin's USB-UART: its REPL pty bridged to one TCP client.

Like the CP2102 on a DevKitC, the bridge outlives resets of the chip: a
client stays connected while the node reboots. It turns the byte Ctrl-C into
SIGINT while the interpreter is running code (at the REPL the byte itself is
what the REPL reads), can limit both directions to a serial line rate, and
watches the stream to know whether the REPL is in raw mode, which decides how a
soft reset reboots.
"""
from __future__ import annotations

import errno
import os
import signal
import socket
import termios
import time

RAW_BANNER = b"raw REPL; CTRL-B to exit"
FRIENDLY_PROMPT = b">>> "


def open_pty() -> tuple[int, int]:
    """A pty pair set up as a serial line: no echo, no line editing, no output mangling."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[0] &= ~(termios.ICRNL | termios.IXON | termios.INLCR | termios.IGNCR)
    attrs[1] &= ~termios.OPOST          # else \r\n becomes \r\r\n and mpremote stops matching
    attrs[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    os.set_blocking(master, False)
    return master, slave


def catches_sigint(pid: int) -> bool:
    """True while the process has a SIGINT handler installed (MicroPython running code)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except OSError:
        pass
    return False


class LineRate:
    """Token bucket for one direction of a serial line (10 bits per byte, 8N1)."""

    def __init__(self, baud: int | None):
        self.bytes_per_s = baud / 10 if baud else None
        self._tokens = 0.0
        self._last = time.monotonic()

    def allowance(self, want: int) -> int:
        if self.bytes_per_s is None:
            return want
        now = time.monotonic()
        # At most a few milliseconds of burst, as a UART FIFO would allow.
        self._tokens = min(self._tokens + (now - self._last) * self.bytes_per_s, max(64.0, self.bytes_per_s / 100))
        self._last = now
        n = min(want, int(self._tokens))
        self._tokens -= n
        return n

    def refund(self, n: int) -> None:
        """Give back what was allowed but not written (the other side was not ready)."""
        if self.bytes_per_s is not None:
            self._tokens += n

    def wait_hint(self) -> float:
        if self.bytes_per_s is None:
            return 1.0
        return max(0.001, (1 - self._tokens) / self.bytes_per_s)


class SerialBridge:
    """Moves bytes between the pty master and the TCP client; owned by the twin's loop thread."""

    def __init__(self, master: int, baud: int | None, console):
        self.master = master
        self.client: socket.socket | None = None
        self.to_node = bytearray()
        self.to_client = bytearray()
        self.rate_in = LineRate(baud)
        self.rate_out = LineRate(baud)
        self.console = console          # function(bytes): the twin's console record
        self.raw_mode = False
        self._tail = b""
        self.pid: int | None = None
        self.hide_banner_then_raw = False
        self._held = bytearray()
        self.hold_input = False         # the chip is still in its ROM: keep what the host sends
        self._interrupt_pending = False
        self._sigint_at = 0.0
        self.interrupt_requested = lambda bridge: None   # set by the launcher: tell the node
        self.interrupt_cancelled = lambda bridge: None
        self.on_detach = lambda sock: None

    # ---- client side
    def attach(self, conn: socket.socket) -> bool:
        if self.client is not None:
            return False                 # the port is open in another program
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = conn
        self.to_client.clear()
        return True

    def detach(self) -> None:
        if self.client is not None:
            self.on_detach(self.client)      # out of the loop's selector before the fd is reused
            self.client.close()
        self.client = None
        self.to_client.clear()

    def client_readable(self) -> None:
        try:
            data = self.client.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.detach()
            return
        if b"\x03" in data and self.pid:
            if self.hold_input:
                # Sent while the node boots: it interrupts the firmware once that runs.
                self._interrupt_pending = True
                data = data.replace(b"\x03", b"")
            elif catches_sigint(self.pid):
                # Running code: Ctrl-C is a keyboard interrupt, not a byte of input.
                self.request_interrupt()
                data = data.replace(b"\x03", b"")
        self.to_node += data

    def request_interrupt(self) -> None:
        """Interrupt the running code.

        First as a message the node raises at its next hardware access, sleep
        or poll: this unix port raises SIGINT's KeyboardInterrupt
        asynchronously, and one that lands inside a garbage collection leaves
        the heap locked for good ("heap is locked"). SIGINT only if the code
        touches no hardware for a while (a pure computation loop). Until the
        interrupt is settled, what the host sends next waits here, so it can
        never meet a stale interrupt.
        """
        self.interrupt_requested(self)
        self._sigint_at = time.monotonic() + 0.3

    def interrupt_taken(self) -> None:
        self._sigint_at = 0.0

    def interrupt_fallback(self) -> None:
        if not self._sigint_at:
            return
        if not (self.pid and catches_sigint(self.pid)):
            # The code ended by itself and the REPL waits: nothing left to interrupt.
            self._sigint_at = 0.0
            self.interrupt_cancelled(self)
        elif time.monotonic() > self._sigint_at:
            self._sigint_at = 0.0
            os.kill(self.pid, signal.SIGINT)

    def firmware_started(self) -> bool:
        """The ROM is about to run main.py: let what waited through; True if it held a Ctrl-C."""
        self.hold_input = False
        interrupted, self._interrupt_pending = self._interrupt_pending, False
        return interrupted

    # ---- node side
    def master_readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            if e.errno == errno.EIO:     # no process on the slave side right now
                return
            raise
        self._track_mode(data)
        if self.hide_banner_then_raw:
            data = self._hold_banner(data)
        if data:
            self.console(data)
            if self.client is not None:
                self.to_client += data

    def _track_mode(self, data: bytes) -> None:
        window = self._tail + data
        raw_at = window.rfind(RAW_BANNER)
        friendly_at = window.rfind(FRIENDLY_PROMPT)
        if raw_at >= 0 or friendly_at >= 0:
            self.raw_mode = raw_at > friendly_at
        self._tail = window[-32:]

    def _hold_banner(self, data: bytes) -> bytes:
        # After a soft reset from the raw REPL a board comes back in raw mode.
        # The unix port starts friendly: swallow its banner, ask for raw mode.
        self._held += data
        at = self._held.find(FRIENDLY_PROMPT)
        if at < 0:
            return b""
        banner = self._held.rfind(b"MicroPython ", 0, at)
        keep = bytes(self._held[:banner if banner >= 0 else at])
        self._held.clear()
        self.hide_banner_then_raw = False
        self.to_node += b"\x01"
        return keep

    # ---- pumping, called by the loop when the fds are ready
    def flush(self) -> float:
        """Write what the rates allow; returns seconds until more may be written."""
        if self.to_node and not self.hold_input and not self._sigint_at:
            n = self.rate_in.allowance(len(self.to_node))
            if n:
                try:
                    written = os.write(self.master, self.to_node[:n])
                except (BlockingIOError, InterruptedError):
                    written = 0
                except OSError:
                    written = 0
                del self.to_node[:written]
                self.rate_in.refund(n - written)
        if self.to_client and self.client is not None:
            n = self.rate_out.allowance(len(self.to_client))
            if n:
                try:
                    sent = self.client.send(self.to_client[:n])
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    self.detach()
                    return 1.0
                del self.to_client[:sent]
                self.rate_out.refund(n - sent)
        waits = []
        if self.to_node:
            waits.append(self.rate_in.wait_hint())
        if self.to_client:
            waits.append(self.rate_out.wait_hint())
        return min(waits) if waits else 1.0

    def drop_input(self, slave: int) -> None:
        """Bytes sent while the chip was in reset are lost, as on a board."""
        self.to_node.clear()
        self.hold_input = True
        self._interrupt_pending = False
        self._sigint_at = 0.0
        try:
            termios.tcflush(slave, termios.TCIFLUSH)
        except termios.error:
            pass
