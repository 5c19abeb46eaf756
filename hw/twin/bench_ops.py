"""The twin's bench operations: one table, served to the bench channel and to Python callers.

Every operation takes JSON-able arguments and returns a JSON-able dict.
Operations named "<device>.<op>" go to that device's bench extension (the
reader: "reader.place", "reader.remove", ...). docs/twin.md lists them all.
"""
from __future__ import annotations

from hw.twin.node import hardware


class BenchError(ValueError):
    """A bench request that cannot be carried out; the message says why."""


def _info(twin, args):
    return {"repl": twin.url, "bench_port": twin.bench_port, "powered": twin.powered, "boots": twin.boots,
            "reset_cause": twin.reset_cause, "image": str(twin.image), "heap": twin.heap,
            "node_heap": twin.node_heap,
            "inputs": sorted(hardware.INPUTS), "outputs": sorted(hardware.OUTPUTS),
            "devices": sorted(twin.extensions)}


def _input(twin, args):
    name = _require(args, "name", str)
    if "active" not in args or not isinstance(args["active"], bool):
        raise BenchError("input needs 'active': true or false")
    if name not in hardware.INPUTS:
        raise BenchError(f"no input named {name!r}; inputs are {', '.join(sorted(hardware.INPUTS))}")
    twin.set_input(name, args["active"])
    return {}


def _pin(twin, args):
    pin = args.get("pin")
    level = args.get("level")
    if not isinstance(pin, int) or isinstance(pin, bool) or not 0 <= pin <= 39:
        raise BenchError("'pin' must be an ESP32 GPIO number (0-39)")
    if level not in (0, 1, None):
        raise BenchError("'level' must be 0, 1 or null (let the pin float)")
    twin.set_pin(pin, level)
    return {}


def _inputs(twin, args):
    return {"inputs": {name: twin.inputs.get(name, False) for name in hardware.INPUTS}}


def _outputs(twin, args):
    return {"outputs": dict(twin.outputs)}


def _timeline(twin, args):
    since = args.get("since", 0)
    if not isinstance(since, int) or since < 0:
        raise BenchError("'since' must be a timeline index (an integer >= 0)")
    with twin._lock:
        events = twin.timeline[since:]
        return {"events": events, "next": since + len(events)}


def _power(twin, args):
    on = args.get("on")
    if not isinstance(on, bool):
        raise BenchError("power needs 'on': true or false")
    if on:
        twin.power_on()
    else:
        twin.power_off()
    return {"powered": twin.powered}


def _power_cycle(twin, args):
    twin.power_cycle()
    return {"boots": twin.boots}


def _reset_button(twin, args):
    twin.reset_button()
    return {"boots": twin.boots}


def _flash_fault(twin, args):
    cut_at = args.get("cut_at", 0)
    if not isinstance(cut_at, int) or cut_at < 0:
        raise BenchError("'cut_at' must be the number of the flash write point (1 = the next one), 0 to disarm")
    twin.set_flash_fault(cut_at, bool(args.get("tear", False)))
    return {}


def _rtc_drift(twin, args):
    ppm = args.get("ppm")
    if not isinstance(ppm, (int, float)) or abs(ppm) > 1e6:
        raise BenchError("'ppm' must be a number of parts per million")
    twin.set_rtc_drift(float(ppm))
    return {}


def _console(twin, args):
    return {"text": twin.console_text()[-int(args.get("tail", 4000)):]}


OPS = {
    "info": _info,
    "input": _input,
    "inputs": _inputs,
    "pin": _pin,
    "outputs": _outputs,
    "timeline": _timeline,
    "power": _power,
    "power_cycle": _power_cycle,
    "reset_button": _reset_button,
    "flash_fault": _flash_fault,
    "rtc_drift": _rtc_drift,
    "console": _console,
}


def run_op(twin, op: str, args: dict) -> dict:
    if not isinstance(op, str):
        raise BenchError("'op' must be a string")
    if "." in op:
        dev, _, sub = op.partition(".")
        ext = twin.extensions.get(dev)
        if ext is None:
            raise BenchError(f"no device {dev!r} on this twin; devices: {', '.join(sorted(twin.extensions)) or 'none'}")
        try:
            return ext.handle(sub, args) or {}
        except ValueError as e:
            raise BenchError(str(e)) from None
    fn = OPS.get(op)
    if fn is None:
        raise BenchError(f"unknown bench operation {op!r}; known: {', '.join(sorted(OPS))} and <device>.<op>")
    return fn(twin, args)


def _require(args, key, kind):
    value = args.get(key)
    if not isinstance(value, kind):
        raise BenchError(f"missing or wrong '{key}'")
    return value
