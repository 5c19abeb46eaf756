"""The bench channel: JSON lines over TCP on 127.0.0.1 (see docs/twin.md).

Request:  {"id": 7, "op": "input", "name": "exit_button", "active": true}
Reply:    {"id": 7, "ok": true, ...result}  or  {"id": 7, "ok": false, "error": "why"}

Requests are served on a thread per client, so a slow operation (a power
cycle waits for the boot) does not stall the twin's loop.
"""
from __future__ import annotations

import json
import threading

from hw.twin.bench_ops import BenchError, run_op

MAX_LINE = 1 << 20


def accept_bench_client(twin, key) -> None:
    conn, _ = key.fileobj.accept()
    conn.setblocking(True)
    clients = twin.__dict__.setdefault("_bench_clients", {})
    clients[conn] = True
    threading.Thread(target=_serve, args=(twin, conn), daemon=True, name="bench-client").start()


def _serve(twin, conn) -> None:
    buf = b""
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            if len(buf) > MAX_LINE and b"\n" not in buf:
                conn.sendall(_encode({"ok": False, "error": f"request longer than {MAX_LINE} bytes"}))
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    conn.sendall(_encode(handle_line(twin, line)))
    except OSError:
        return
    finally:
        twin.__dict__.get("_bench_clients", {}).pop(conn, None)
        conn.close()


def handle_line(twin, line: bytes) -> dict:
    try:
        req = json.loads(line)
    except (ValueError, UnicodeDecodeError) as e:
        return {"ok": False, "error": f"not a JSON request: {e}"}
    if not isinstance(req, dict):
        return {"ok": False, "error": "a request is a JSON object with an 'op'"}
    rid = req.pop("id", None)
    op = req.pop("op", None)
    try:
        result = run_op(twin, op, req)
        reply = {"ok": True, **result}
    except BenchError as e:
        reply = {"ok": False, "error": str(e)}
    except Exception as e:  # the channel must answer; the twin keeps running
        reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    if rid is not None:
        reply["id"] = rid
    return reply


def _encode(obj) -> bytes:
    return json.dumps(obj).encode() + b"\n"
