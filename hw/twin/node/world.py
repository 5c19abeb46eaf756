"""The twin's link to the physical world (runs inside MicroPython).

The launcher (CPython) owns the physical world: input levels, the cards on the
reader, the power switch, the output timeline. This module is the node's end of
a JSON-lines socket to it. Messages from the launcher are applied whenever the
node touches hardware, sleeps or waits in select.poll, so a bench action is
always applied before the next SPI transaction or pin read that could see it.
Messages to the launcher report output changes, resets and watchdog feeds.
"""
import sys
import json

# The C modules, not the twin's shims of the same names (see platform notes).
_saved_path = sys.path[:]
sys.path[:] = []
import select as _cselect
import socket as _csocket
import time as _ctime
sys.path[:] = _saved_path
del _saved_path

_sock = None
_poller = None
_pending = b""
_handlers = {}     # message type -> function(msg)
# Heap accounting set by the ROM (defined here so setting them allocates nothing).
twin_heap_used = 0  # bytes the twin's own modules take
ballast = None      # the blocks that hide the heap beyond the firmware's budget
ballast_bytes = 0
# Ballast blocks the twin frees for its own allocations while it handles a bench
# message, and takes back afterwards, so that placing a card on the reader does
# not come out of the firmware's heap.
POOL_BLOCK = 4096 - 16
POOL_BLOCKS = 24
pool = []
_devices = {}      # device name -> model with .bench(op, args)


def connect(port):
    global _sock, _poller
    addr = _csocket.getaddrinfo("127.0.0.1", port)[0][-1]
    s = _csocket.socket()
    s.connect(addr)
    _sock = s
    _poller = _cselect.poll()
    _poller.register(s, _cselect.POLLIN)


def fileno_object():
    """The link socket, for pollers that must wake up on bench messages."""
    return _sock


def on(kind, handler):
    _handlers[kind] = handler


def add_device(name, model):
    _devices[name] = model


def device(name):
    return _devices.get(name)


def send(msg):
    if _sock is None:
        return
    data = json.dumps(msg).encode() + b"\n"
    view = memoryview(data)
    while view:
        n = _sock.send(view)
        view = view[n:]


def emitter(dev_name):
    """A function a device model calls to send an event to its bench extension."""
    def emit(event):
        send({"t": "dev", "dev": dev_name, "ev": event})
    return emit


def now_ns():
    return _ctime.time_ns()


_interrupt = [False]


def _on_interrupt(msg):
    _interrupt[0] = not msg.get("cancel")


def service(timeout_ms=0, interruptible=True):
    """Apply pending messages from the launcher; wait up to timeout_ms for one.

    A Ctrl-C from the host arrives here as a message and is raised as
    KeyboardInterrupt at this point of the firmware (see serial_bridge.py);
    not from inside the flash driver (interruptible=False), where no garbage
    collection may run either (a file's finaliser would write to the flash
    in the middle of a write).
    """
    if _poller is None:
        return False
    if not _poller.poll(timeout_ms):
        got = False
    else:
        got = True
        if interruptible:
            _service_heap_neutral()
        else:
            _receive()
    if _interrupt[0] and interruptible:
        _interrupt[0] = False
        send({"t": "interrupted"})
        raise KeyboardInterrupt
    return got


def _service_heap_neutral():
    if not pool:
        _receive()
        return
    # Work on the twin's own heap: the firmware's free memory is the same after.
    import gc
    gc.collect()
    free_before = gc.mem_free()
    del pool[-min(len(pool), POOL_BLOCKS // 2):]
    _receive()
    gc.collect()
    gap = gc.mem_free() - free_before
    while gap > 96 and len(pool) < 2 * POOL_BLOCKS:
        try:
            pool.append(bytearray(min(POOL_BLOCK, gap - 64)))
        except MemoryError:
            break
        gap = gc.mem_free() - free_before


def _receive():
    global _pending
    data = _sock.recv(16384)
    if not data:
        _lost_launcher()
    _pending += data
    while True:
        i = _pending.find(b"\n")
        if i < 0:
            break
        line = _pending[:i]
        _pending = _pending[i + 1:]
        if line:
            _dispatch(json.loads(line))


def advance_devices(us):
    """Time passes for the hardware while the CPU sleeps (the reader's timer runs on)."""
    for model in _devices.values():
        advance = getattr(model, "advance_us", None)
        if advance is not None:
            advance(us)


_handlers["interrupt"] = _on_interrupt


def wait(timeout_ms):
    """Sleep for timeout_ms while applying launcher messages (a twin's time.sleep)."""
    advance_devices(timeout_ms * 1000)
    deadline = _ctime.ticks_add(_ctime.ticks_ms(), timeout_ms)
    while True:
        left = _ctime.ticks_diff(deadline, _ctime.ticks_ms())
        if left <= 0:
            return
        if _poller is None:
            _ctime.sleep_ms(left)
            return
        service(left)


def wait_until(predicate, timeout_ms):
    """Service messages until predicate() is true or timeout_ms passes."""
    deadline = _ctime.ticks_add(_ctime.ticks_ms(), timeout_ms)
    while not predicate():
        left = _ctime.ticks_diff(deadline, _ctime.ticks_ms())
        if left <= 0:
            return False
        service(left)
    return True


def _dispatch(msg):
    kind = msg.get("t")
    if kind == "dev":
        model = _devices.get(msg.get("dev"))
        if model is None:
            send({"t": "dev", "dev": msg.get("dev"), "ev": {"error": "no such device on this node"}})
            return
        try:
            model.bench(msg.get("op"), msg.get("args") or {})
        except Exception as e:  # a model bug must not kill the node; report it
            send({"t": "dev", "dev": msg.get("dev"), "ev": {"error": "%s: %s" % (type(e).__name__, e)}})
        return
    handler = _handlers.get(kind)
    if handler is not None:
        handler(msg)


def _lost_launcher():
    # The launcher is gone: on a board this is the power going away. Stop here.
    import micropython
    micropython.kbd_intr(-1)
    while True:
        _ctime.sleep(1)


def halt_for_power_cut():
    """Called at an injected power cut: tell the launcher, then never run again."""
    import micropython
    micropython.kbd_intr(-1)
    send({"t": "power_cut"})
    while True:
        _ctime.sleep(1)
