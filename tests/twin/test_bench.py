"""The bench channel: inputs, outputs, power, faults, the reader's cards; bad requests answered."""
import json
import socket

import pytest

from host_tools.transport import NodeTransport
from hw.twin.bench_client import BenchClient, BenchClientError

pytestmark = pytest.mark.bench

READ_INPUTS = ("from machine import Pin\n"
               "pins = {n: Pin(p, Pin.IN) for n, p in (('door', 27), ('exit', 32), ('fire', 34), ('tamper', 35))}")


def test_info_names_what_the_bench_can_drive(bench, twin):
    info = bench.call("info")
    assert info["repl"] == twin.url and info["powered"] and info["boots"] == 1
    assert set(info["inputs"]) == {"door_contact", "exit_button", "fire_alarm", "tamper"}
    assert set(info["outputs"]) >= {"relay", "buzzer", "led_green", "led_red"}
    assert "reader" in info["devices"]


def test_named_inputs_drive_their_pins_with_the_wiring_levels(bench, node):
    node.exec(READ_INPUTS)
    rest = node.eval("{n: p.value() for n, p in pins.items()}")
    assert rest == {"door": 0, "exit": 1, "fire": 1, "tamper": 0}      # door shut, nothing pressed
    for name in ("door_contact", "exit_button", "fire_alarm", "tamper"):
        bench.input(name, True)
    active = node.eval("{n: p.value() for n, p in pins.items()}")
    assert active == {"door": 1, "exit": 0, "fire": 0, "tamper": 1}
    assert bench.call("inputs")["inputs"]["exit_button"] is True


def test_inputs_are_physical_and_outlast_a_reset(bench, twin, node):
    bench.input("exit_button", True)          # somebody keeps the button pressed
    node.close()
    bench.call("reset_button")
    with NodeTransport.connect(twin.url) as n:
        n.exec(READ_INPUTS)
        assert n.eval("pins['exit'].value()") == 0
    kinds = [e["kind"] for e in bench.poll_timeline()]
    assert "in" in kinds and "reset" in kinds


def test_power_off_and_on(bench, twin):
    assert bench.call("power", on=False)["powered"] is False
    assert not twin.powered
    assert bench.call("power", on=True)["powered"] is True
    assert bench.call("power_cycle")["boots"] == 3
    events = [e for e in bench.poll_timeline() if e["kind"] == "power"]
    assert [e["on"] for e in events] == [False, True, False, True]
    with NodeTransport.connect(twin.url) as n:
        assert n.eval("__import__('machine').reset_cause()") == 1


@pytest.mark.parametrize("line, message", [
    (b"{not json\n", "not a JSON request"),
    (b"[1, 2]\n", "JSON object"),
    (b'{"op": "fly"}\n', "unknown bench operation 'fly'"),
    (b'{"op": "input", "name": "window", "active": true}\n', "no input named 'window'"),
    (b'{"op": "input", "name": "exit_button"}\n', "'active'"),
    (b'{"op": "flash_fault", "cut_at": -1}\n', "cut_at"),
    (b'{"op": "pin", "pin": 77, "level": 1}\n', "GPIO"),
    (b'{"op": "lamp.on"}\n', "no device 'lamp'"),
    (b'{"op": "reader.place", "type": "classic9k", "uid": "01020304"}\n', "classic9k"),
])
def test_bad_requests_get_a_clear_error_and_the_twin_keeps_going(twin, line, message):
    with socket.create_connection(("127.0.0.1", twin.bench_port), timeout=5) as s:
        s.sendall(line)
        reply = json.loads(s.makefile("rb").readline())
    assert reply["ok"] is False and message in reply["error"]
    with BenchClient(twin.bench_port) as bench:
        assert bench.call("info")["powered"]


def test_client_errors_raise_on_the_host(bench):
    with pytest.raises(BenchClientError, match="unknown bench operation"):
        bench.call("nope")


def test_cards_stay_on_the_reader_across_a_power_cut(bench, twin):
    bench.call("reader.place", type="classic1k", uid="DEADBEEF")
    driver = ("from boards.twin import Board\nfrom doornode.mfrc522 import MFRC522\n"
              "r = MFRC522(*Board().reader_bus())\nr.init()")
    with NodeTransport.connect(twin.url) as n:
        n.exec(driver)
        assert n.eval("bytes(r.poll())") == bytes.fromhex("DEADBEEF")
    bench.call("power_cycle")
    assert [c["uid"] for c in bench.call("reader.list_cards")["cards"]] == ["DEADBEEF"]
    with NodeTransport.connect(twin.url) as n:
        n.exec(driver)
        assert n.eval("bytes(r.poll())") == bytes.fromhex("DEADBEEF")
    bench.call("reader.remove", card="DEADBEEF")
    with NodeTransport.connect(twin.url) as n:
        n.exec(driver)
        assert n.eval("r.poll()") is None
