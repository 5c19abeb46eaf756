"""The host's side of the node's maintenance service (doornode.maintenance_service).

    svc = NodeService(transport)              # a NodeTransport (USB board or twin)
    st = svc.status()                         # dict, see docs/protocol.md
    reply, payload = svc.call("events", **{"from": 1, "max": 500})

Each call is one JSON request; today it travels as a small exec over the raw REPL
(`serve('<json>')`), later the same request can travel in an authenticated frame.
If the door loop left the heap too fragmented to load the service, the node is
soft-reset into its raw REPL (the door loop does not run there) and the call is
repeated; `end_session()` restarts the door.
"""
from __future__ import annotations

import base64
import json

from host_tools.errors import DoorctlError
from host_tools.transport import NodeError, NodeTransport

_IMPORT = "import gc\ngc.collect()\nfrom doornode.maintenance_service import serve as _dn_serve\n"


class ServiceError(DoorctlError):
    """The node refused a request; the message is the node's reason."""


class NodeService:
    def __init__(self, transport: NodeTransport, timeout: float = 20.0):
        self.node = transport
        self.timeout = timeout
        self._loaded = False
        self.restarted = False
        self.wire_bytes = 0          # request and reply bytes of call() so far (line rate accounting)

    def _load(self) -> None:
        if self._loaded:
            return
        try:
            self.node.exec(_IMPORT, timeout=self.timeout)
        except NodeError as e:
            if "MemoryError" not in str(e):
                raise
            self.node.soft_reset()               # a clean heap; the door loop stays stopped
            self.restarted = True
            self.node.exec(_IMPORT, timeout=self.timeout)
        self._loaded = True

    def call(self, op: str, **args) -> tuple[dict, bytes | None]:
        self._load()
        request = json.dumps({"op": op, **args})
        code = f"_dn_serve({request!r})"
        out = self.node.exec(code, timeout=self.timeout)
        self.wire_bytes += len(code) + len(out) + 8      # + raw REPL framing (Ctrl-D, "OK", EOFs)
        lines = out.strip().splitlines()
        if not lines:
            raise ServiceError(f"the node gave no answer to {op}")
        reply = json.loads(lines[-2] if len(lines) > 1 and "bytes" in lines[-2] else lines[-1])
        payload = None
        if "bytes" in reply:
            payload = base64.b64decode(lines[-1])
            if len(payload) != reply["bytes"]:
                raise ServiceError(f"{op}: {len(payload)} bytes arrived, the node sent {reply['bytes']}")
        return reply, payload

    def ok(self, op: str, **args) -> dict:
        reply, _ = self.call(op, **args)
        if not reply.get("ok"):
            raise ServiceError(f"the node refused {op}: {reply.get('error')}")
        return reply

    def status(self) -> dict:
        return self.ok("status")

    def begin(self) -> "NodeService":
        """Start a maintenance session on a clean heap with the door loop stopped.

        Opening the REPL interrupts the door loop mid-way (its heap fragmented, its
        watchdog no longer fed); a soft reset gives the service a clean heap and a
        raw REPL in which main.py (the door loop) does not start. end_session()
        restarts the door when its config says it runs the door loop."""
        self.node.soft_reset()
        self.restarted = True
        self._loaded = False
        try:
            out = self.node.exec("from doornode import node_config as _nc\n"
                                 "print((_nc.load().get('app') or {}).get('autostart', True))",
                                 timeout=self.timeout)
            self.autostart = out.strip().endswith("True")
        except NodeError:
            self.autostart = True
        return self

    def finish(self) -> None:
        """End the session: restart the node if it runs the door loop (see begin())."""
        if getattr(self, "autostart", True) and self.restarted:
            self.end_session()

    def end_session(self) -> None:
        """Restart the node so that the door loop runs again (main.py)."""
        try:
            self.node.raw.exec_raw_no_follow("import machine\nmachine.reset()\n")
        except Exception:  # noqa: BLE001 - the node goes away as it resets; nothing to report
            pass
