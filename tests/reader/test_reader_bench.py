"""The launcher-side bench extension (CPython) and a card carried from one node to another."""

import json

import pytest

from hw.twin.node import card_image, cards_classic
from hw.twin.reader_bench import ReaderBench


class Recorder:
    def __init__(self):
        self.sent = []

    def __call__(self, op, args):
        self.sent.append((op, json.loads(json.dumps(args))))   # must be JSON-able


@pytest.fixture
def bench():
    rec = Recorder()
    b = ReaderBench(rec)
    b.rec = rec
    return b


def test_place_builtin_card_forwards_a_valid_state(bench):
    out = bench.handle("place", {"type": "classic1k", "uid": "deadbeef"})
    assert out["card"] == "DEADBEEF" and out["in_field"]
    op, args = bench.rec.sent[-1]
    assert op == "place" and args["card"] == "DEADBEEF"
    card = card_image.make_card(args["state"])
    assert card.uid() == bytes.fromhex("DEADBEEF") and len(card.memory) == 1024


@pytest.mark.parametrize("args,message", [
    ({"type": "classic2k", "uid": "DEADBEEF"}, "unknown card type"),
    ({"type": "classic1k", "uid": "DEAD"}, "4 or 7 bytes"),
    ({"type": "ntag213", "uid": "DEADBEEF"}, "7 bytes"),
    ({"type": "classic1k", "uid": "XYZ"}, "not valid hex"),
    ({"type": "classic1k", "uid": "DEADBEEF", "magic": "gen9"}, "unknown magic"),
    ({"type": "ultralight", "uid": "04112233445566", "magic": "gen1a"}, "Classic cards only"),
    ({"type": "classic1k", "uid": "DEADBEEF", "distance_mm": -3}, "distance_mm"),
    ({}, "place needs"),
])
def test_bad_place_arguments_raise_clear_value_errors(bench, args, message):
    with pytest.raises(ValueError, match=message):
        bench.handle("place", args)
    assert bench.rec.sent == []


@pytest.mark.parametrize("op,args,message", [
    ("remove", {"card": "nope"}, "no card"),
    ("move", {"card": "DEADBEEF"}, "distance_mm"),
    ("fault", {"set": "melt"}, "fault needs"),
    ("fault", {"set": "crc", "rate": 2}, "between 0 and 1"),
    ("fault", {"set": "hang", "mode": "sleepy"}, "hang mode"),
    ("fault", {"set": "weak", "card": "nope", "loss": 0.5}, "no card"),
    ("fault", {"clear": "melt"}, "clear needs"),
    ("version", {"value": 300}, "byte"),
    ("version", {"value": "zz"}, "byte"),
    ("teleport", {}, "unknown reader op"),
    ("save_card", {"card": "DEADBEEF"}, "path"),
])
def test_bad_op_arguments(bench, op, args, message):
    bench.handle("place", {"type": "classic1k", "uid": "DEADBEEF"})
    with pytest.raises(ValueError, match=message):
        bench.handle(op, args)


def test_mirror_follows_node_memory_events_and_survives_removal(bench, tmp_path):
    bench.handle("place", {"type": "classic1k", "uid": "DEADBEEF"})
    bench.on_node_event({"card_memory": "DEADBEEF", "offset": 64, "data": "AB" * 16})
    assert bench.handle("card_memory", {"card": "DEADBEEF"})["memory"][128:160] == "AB" * 16
    bench.on_node_event({"card_removed": "DEADBEEF"})
    listed = bench.handle("list_cards", {})["cards"]
    assert listed[0]["in_field"] is False
    assert bench.handle("card_memory", {"card": "DEADBEEF"})["memory"][128:160] == "AB" * 16
    bench.handle("place", {"card": "DEADBEEF"})
    assert bench.rec.sent[-1][1]["state"]["memory"][128:160] == "AB" * 16
    bench.on_node_event({"error": "reader.place: boom"})
    assert bench.handle("list_cards", {})["node_errors"] == ["reader.place: boom"]


def test_node_boot_resends_the_world_but_not_a_hang(bench):
    bench.handle("place", {"type": "ntag213", "uid": "04112233445566", "card": "tag"})
    bench.handle("place", {"type": "classic1k", "uid": "DEADBEEF"})
    bench.handle("remove", {"card": "DEADBEEF"})
    bench.handle("version", {"value": "0x91"})
    bench.handle("fault", {"set": "crc", "rate": 0.1})
    bench.handle("fault", {"set": "slow", "card": "tag", "delay_us": 5000})
    bench.handle("fault", {"set": "hang"})
    bench.on_node_event({"card_memory": "tag", "offset": 16, "data": "01020304"})
    bench.rec.sent.clear()
    bench.on_node_boot()
    ops = [op for op, _ in bench.rec.sent]
    assert ops == ["version", "place", "fault", "fault"]
    place = bench.rec.sent[1][1]
    assert place["card"] == "tag" and place["state"]["memory"][32:40] == "01020304"
    assert {"name": "hang"} not in [a for _, a in bench.rec.sent]
    assert "hang" not in bench.handle("list_cards", {})["faults"]


def test_move_reports_coupling(bench):
    bench.handle("place", {"type": "classic1k", "uid": "DEADBEEF"})
    assert bench.handle("move", {"card": "DEADBEEF", "distance_mm": 10})["coupling"] == "full"
    assert bench.handle("move", {"card": "DEADBEEF", "distance_mm": 40})["coupling"] == "weak"
    assert bench.handle("move", {"card": "DEADBEEF", "distance_mm": 90})["coupling"] == "none"


def test_card_file_rejects_tampered_content(tmp_path, bench):
    state = card_image.new_state("classic1k", "DEADBEEF")
    state["memory"] = state["memory"][:-2]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(state))
    with pytest.raises(ValueError, match="memory has 1023 bytes"):
        bench.handle("place", {"file": str(path)})
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        bench.handle("place", {"file": str(path)})
    with pytest.raises(ValueError, match="cannot read"):
        bench.handle("place", {"file": str(tmp_path / "missing.json")})


NODE = """
from fakebus import *
from ds_driver import *
import card_image
chip, spi, cs, ev = rig()
r = Reader(spi, cs)
state = json.loads(%r)
chip.bench("place", {"card": "carried", "state": state})
r.init(); r.request(); st, uid, sak = r.select()
r.auth(0x60, 4, b"\\xff" * 6, uid)
%s
print(json.dumps(ev.items))
"""


def test_card_carried_from_enrolment_node_to_door_node(bench, mpy, tmp_path):
    """Write on node A, mirror via events, save to a file, load into a fresh node B: same memory."""
    bench.handle("place", {"type": "classic1k", "uid": "DEADBEEF", "card": "carried"})
    state = bench.rec.sent[-1][1]["state"]
    payload = cards_classic.value_block(4242, 5).hex()
    write = ('r.write(4, bytes(range(16))); r.write(5, bytes.fromhex(%r)); '
             'r.write(7, b"\\x11" * 6 + bytes.fromhex("7F078869") + b"\\x22" * 6)' % payload)
    for event in json.loads(mpy(NODE % (json.dumps(state), write)).splitlines()[-1]):
        bench.on_node_event(event)
    path = tmp_path / "card.json"
    bench.handle("save_card", {"card": "carried", "path": str(path)})
    saved = json.loads(path.read_text())
    assert saved["format"] == "twin-card"

    door = ReaderBench(Recorder())
    door.handle("place", {"file": str(path)})
    state_b = door.send_to_node.sent[-1][1]["state"]
    read = """
r.end_session(); r.wupa_select()
out = [r.auth(0x60, 4, b"\\x11" * 6, uid), h(r.read(4)[1]), h(r.read(5)[1]), h(r.read(7)[1])]
print(json.dumps(out))
"""
    lines = mpy(NODE.replace("r.auth(0x60, 4, b\"\\\\xff\" * 6, uid)\n", "") % (json.dumps(state_b), read)).splitlines()
    st, b4, b5, b7 = json.loads(lines[-2])
    assert st == 0
    assert b4 == bytes(range(16)).hex().upper()
    assert b5 == payload.upper()
    assert b7 == "0000000000007F078869" + "00" * 6     # trailer 011: key B not readable
    assert state_b["memory"] == saved["memory"] == bench.handle("card_memory", {"card": "carried"})["memory"]
