"""One transport for a door node on USB and for a twin: mpremote's SerialTransport underneath.

    with NodeTransport.connect("/dev/ttyUSB0") as node:     # or "socket://127.0.0.1:PORT"
        node.exec("import doornode.version as v; print(v.VERSION)")

Device tracebacks become NodeError with the device's own last line; an
unplugged cable or a node that does not answer becomes NodeUnreachable.
"""
from __future__ import annotations

import serial
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from host_tools.errors import DoorctlError


class NodeUnreachable(DoorctlError):
    pass


class NodeError(DoorctlError):
    """Code run on the node raised; .device_traceback holds the node's traceback."""

    def __init__(self, message: str, device_traceback: str):
        super().__init__(message)
        self.device_traceback = device_traceback


class NodeTransport:
    def __init__(self, transport: SerialTransport, port: str):
        self._t = transport
        self.port = port

    @classmethod
    def connect(cls, port: str, baudrate: int = 115200, timeout: float = 10.0) -> "NodeTransport":
        try:
            t = SerialTransport(port, baudrate=baudrate)
        except (serial.SerialException, OSError, TransportError) as e:
            raise NodeUnreachable(f"cannot open {port}: {e}. Check the cable and the port name "
                                  "(a twin prints its socket:// URL when it starts)") from None
        node = cls(t, port)
        try:
            t.enter_raw_repl(soft_reset=False, timeout_overall=timeout)
        except (TransportError, serial.SerialException, OSError) as e:
            t.close()
            raise NodeUnreachable(f"the node on {port} does not answer its REPL ({e}); "
                                  "is another program using the port?") from None
        return node

    def close(self) -> None:
        try:
            if self._t.in_raw_repl:
                self._t.exit_raw_repl()
        except (TransportError, serial.SerialException, OSError):
            pass
        self._t.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def exec(self, code: str, timeout: float = 10.0) -> str:
        """Run code on the node; returns what it printed."""
        try:
            out, err = self._t.exec_raw(code, timeout=timeout)
        except (serial.SerialException, OSError) as e:
            raise NodeUnreachable(f"lost the node on {self.port}: {e}") from None
        except TransportError as e:
            raise NodeUnreachable(f"the node on {self.port} stopped answering: {e}") from None
        if err:
            text = err.decode(errors="replace")
            last = text.strip().splitlines()[-1] if text.strip() else "error"
            raise NodeError(f"on the node: {last}", text)
        return out.decode(errors="replace")

    def eval(self, expression: str, timeout: float = 10.0):
        """Evaluate an expression on the node; its repr() is parsed back into a Python value."""
        import ast
        out = self.exec(f"print(repr({expression}))", timeout=timeout)
        return ast.literal_eval(out.strip())

    def soft_reset(self) -> None:
        self._t.enter_raw_repl(soft_reset=True)

    def read_file(self, path: str) -> bytes:
        try:
            return self._t.fs_readfile(path)
        except TransportExecError as e:
            raise NodeError(f"cannot read {path} on the node: {e.error_output.strip().splitlines()[-1]}",
                            e.error_output) from None

    def write_file(self, path: str, data: bytes, progress=None) -> None:
        try:
            self._t.fs_writefile(path, data, progress_callback=progress)
        except TransportExecError as e:
            raise NodeError(f"cannot write {path} on the node: {e.error_output.strip().splitlines()[-1]}",
                            e.error_output) from None

    def listdir(self, path: str = "/") -> list:
        return [(e.name, e.st_mode, e.st_size) for e in self._t.fs_listdir(path)]

    @property
    def raw(self) -> SerialTransport:
        """mpremote's transport itself, for what this class does not wrap."""
        return self._t
