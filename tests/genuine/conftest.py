"""Fixtures for the door decision on the twin: a test district, enrolment nodes, door nodes.

    def test_x(enrol_node, door):
        card = enrol(enrol_node, "DEADBEEF", card_id=4242)     # a system card's file
        d = door(cards=[CardListEntry(4242, 1)])
        assert tap(d, card) == ("grant", None)

Door nodes run the real door loop with the credential check as their decision (main.py
below stands in for the seam wiring of doornode.app until it is committed); enrolment
nodes idle at their REPL (autostart off) and lend their reader to doorctl.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from host_tools.card_command import write_card
from host_tools.transport import NodeTransport
from hw.twin.launcher import Twin
from provisioning.cardlist import CardListEntry, build_card_list
from provisioning.flash_image import NodeConfig, build_image
from provisioning.keys import door_node_keys, enrolment_keys

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"

ROOT = bytes(range(32))          # the test district; never used for real
SITE = 3
DOOR = 7
CREATED = 1_750_000_000          # 2025-06-15: list creation time, the door's clock floor
VALID_FROM = CREATED - 86400     # cards are valid from the day before
ENROLMENT = enrolment_keys(ROOT, SITE)
DOOR_KEYS = door_node_keys(ROOT, DOOR, SITE)

# Stand-in for the seam wiring (patch proposal in docs/security.md / the issue report).
# Imported before the door loop starts, then one collection: imported in the middle of
# Node() the modules' bytecode fragments the heap and the twin's 2 KB bench messages fail.
DOOR_MAIN = b"""import gc
import doornode.app as app
from doornode.credential_check import CardCheck
gc.collect()
app.UidList = lambda path: CardCheck()
app.main()
"""

# Run on an idle node: the credential check driven by hand, one tap per call.
CHECK_SETUP = """
from doornode.credential_check import CardCheck
from doornode.uid_list import Card
import doornode.enrol as _E
_E.start()
_r = _E._reader
chk = CardCheck()
def tap():
    uid = _r.poll(wake=True) or _r.poll(wake=True)
    if uid is None:
        return None
    try:
        return chk.authorize(Card(bytes(uid), _r.sak, _r.atqa, _r))
    finally:
        _r.halt()
"""


def card_list(entries, version=1, door=DOOR, key=None, created=CREATED) -> bytes:
    return build_card_list(door, version, entries, key or DOOR_KEYS.door_key, created=created)


def node_image(path: Path, *, keys=DOOR_KEYS, cards=None, door_loop=True, rolling=False,
               settings=None) -> Path:
    files = {}
    if keys is not None:
        if rolling:
            keys = door_node_keys(ROOT, keys.door_id, keys.site.site_id, rolling_counter=True)
        files["keys.json"] = keys.to_bytes()
    if cards is not None:
        files["cardlist.bin"] = cards if isinstance(cards, bytes) else card_list(cards)
    if door_loop:
        files["main.py"] = DOOR_MAIN
    s = dict(settings or {})
    if not door_loop:
        s["app"] = {"autostart": False}
    path.write_bytes(build_image(FIRMWARE, NodeConfig(node_id=path.stem, settings=s),
                                 extra_files=files, compile_mpy=True))
    return path


@pytest.fixture
def twins():
    started = []

    def start(image: Path) -> Twin:
        t = Twin(image).start()
        started.append(t)
        return t

    yield start
    for t in started:
        t.stop()


@pytest.fixture
def enrol_twin(tmp_path, twins):
    """An enrolment node's twin with nothing connected (for doorctl, which connects itself)."""
    return twins(node_image(tmp_path / "enrol.bin", keys=None, door_loop=False))


@pytest.fixture
def enrol_node(tmp_path, twins):
    """An enrolment node: a twin at its REPL (no door loop), with a transport open on it."""
    twin = twins(node_image(tmp_path / "enrol.bin", keys=None, door_loop=False))
    with NodeTransport.connect(twin.url) as node:
        node.twin = twin
        yield node


@pytest.fixture
def door(tmp_path, twins):
    """Factory: a door node running the door loop with the credential check."""
    count = [0]

    def start(cards=None, **kw) -> Twin:
        count[0] += 1
        t = twins(node_image(tmp_path / f"door{count[0]}.bin", cards=cards, **kw))
        assert wait_event(t, "boot", timeout=10)
        time.sleep(0.3)
        return t

    return start


@pytest.fixture
def checker(tmp_path, twins):
    """Factory: an idle node with the credential check callable by hand (node.eval("tap()"))."""
    def start(cards=None, **kw) -> NodeTransport:
        t = twins(node_image(tmp_path / f"check{len(kw)}{time.monotonic_ns()}.bin", cards=cards,
                             door_loop=False, **kw))
        node = NodeTransport.connect(t.url)
        node.exec(CHECK_SETUP, timeout=20)
        node.twin = t
        return node
    return start


def place(twin, card, uid=None):
    """Put a card on the reader: a card file (Path), or a card summary arg dict."""
    twin.bench("reader.remove", all=True)
    if isinstance(card, Path):
        return twin.bench("reader.place", file=str(card))
    return twin.bench("reader.place", **card)


def enrol(node, tmp_path: Path, uid: str, card_id: int, issue: int = 1, valid_from=VALID_FROM,
          valid_until=None, keys=ENROLMENT, magic=None) -> Path:
    """Personalise a fresh card (UID uid) on the enrolment node; returns its card file."""
    args = {"type": "classic1k", "uid": uid}
    if magic:
        args["magic"] = magic
    place(node.twin, args)
    write_card(node, keys, card_id, issue, valid_from, valid_until)
    return save(node.twin, tmp_path, uid)


def save(twin, tmp_path: Path, card_id: str, name: str | None = None) -> Path:
    path = tmp_path / f"{name or card_id}.card.json"
    twin.bench("reader.save_card", card=card_id, path=str(path))
    return path


def events(twin, kind=None):
    out = []
    for line in twin.console_text().splitlines():
        if line.startswith("event {"):
            ev = json.loads(line[6:])
            if kind is None or ev["kind"] == kind:
                out.append(ev)
    return out


def wait_event(twin, kind, timeout=5.0, since=0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in events(twin) if e["kind"] in kind.split("|")]
        if len(found) > since:
            return found[since]
        time.sleep(0.02)
    return None


def check(node, card) -> tuple[str, str | None]:
    """Place the card on a checker node, run the door decision once: ("grant"|"deny", reason)."""
    place(node.twin, card)
    granted, reason = node.eval("tap()")
    node.twin.bench("reader.remove", all=True)
    return ("grant", None) if granted else ("deny", reason)


def tap(twin, card, reboot=False) -> tuple[str, str | None]:
    """Place the card on a door node and return its decision: ("grant"|"deny", reason).

    reboot: place the card, then press reset: the twin's bench sends a card file (2 KB) to
    the node, and a door node's heap after hours of running may not hold it in one piece;
    at boot it does (docs/security.md, "Heap")."""
    before = len([e for e in events(twin) if e["kind"] in ("grant", "deny")])
    place(twin, card)
    if reboot:
        twin.reset_button()
    ev = wait_event(twin, "grant|deny", timeout=8, since=before)
    twin.bench("reader.remove", all=True)
    assert ev is not None, "the door node made no decision:\n" + twin.console_text()[-2000:]
    return ev["kind"], ev.get("reason")


def clone_memory(twin, card_id: str, tmp_path: Path, magic: str, name: str,
                 uid: str | None = None) -> Path:
    """A magic card carrying a copy of a card's whole memory (UID, keys, data): a 1:1 clone,
    as an attacker gets after cracking the card's keys."""
    src = twin.bench("reader.card_memory", card=card_id)
    src = {k: v for k, v in src.items() if k not in ("ok", "id")}
    src["magic"] = magic
    if uid is not None:
        src["uid"] = uid
    path = tmp_path / f"{name}.card.json"
    path.write_text(json.dumps(src))
    return path
