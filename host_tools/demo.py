"""`make demo`: the main job end to end on the embedded defaults (twin nodes, SQLite server).

The story: the district server comes up on SQLite with the programme's example district; a
compound's door is registered; two residents are registered with their ID documents and get
cards, written on an enrolment node; the door node is provisioned with its keys and the card
list the server built for it; residents tap (granted), a stranger taps (refused), an attacker
taps a magic-card clone of a resident's card (refused as a clone), somebody leaves with the exit
button; and the bench timeline shows what the lock did.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from host_tools.card_command import write_card
from host_tools.demo_district import DemoDistrict
from host_tools.transport import NodeTransport
from hw.twin.launcher import Twin
from provisioning.flash_image import NodeConfig, build_image, write_image
from provisioning.keys import door_node_keys, enrolment_keys
from provisioning.log_keys import node_log_files

ROOT = Path(__file__).resolve().parent.parent
console = Console()


def step(text: str) -> None:
    console.print(f"\n[bold cyan]==>[/] [bold]{text}[/]")


def events(twin: Twin, kinds=None) -> list[dict]:
    out = []
    for line in twin.console_text().splitlines():
        if line.startswith("event {"):
            ev = json.loads(line[6:])
            if kinds is None or ev["kind"] in kinds:
                out.append(ev)
    return out


def wait_decision(twin: Twin, before: int, timeout: float = 8.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = events(twin, ("grant", "deny"))
        if len(found) > before:
            return found[before]
        time.sleep(0.02)
    raise SystemExit("demo: the door made no decision; console:\n" + twin.console_text()[-1500:])


def tap(twin: Twin, card_file: Path, who: str) -> dict:
    before = len(events(twin, ("grant", "deny")))
    twin.bench("reader.place", file=str(card_file))
    ev = wait_decision(twin, before)
    twin.bench("reader.remove", all=True)
    verdict = "[green]granted[/]" if ev["kind"] == "grant" else f"[red]refused[/] ({ev.get('reason')})"
    console.print(f"  {who}: {verdict}")
    time.sleep(1.6)            # the door ignores the same card again within 1.5 s
    return ev


def main() -> int:
    root_secret = os.urandom(32)          # this demo's district root secret, never stored
    with tempfile.TemporaryDirectory(prefix="doorctl-demo-") as tmp:
        work = Path(tmp)
        step("District server on SQLite, seeded with the programme's example district")
        district = DemoDistrict(work, root_secret).start()
        try:
            streets = district.http.get("/streets").json()
            items = streets["items"] if isinstance(streets, dict) else streets
            console.print(f"  {district.url}: {len(items)} streets and towns, a compound with door "
                          f"#{district.door_id} registered (retrofit install)")
            run_story(work, district, root_secret)
        finally:
            district.stop()
    console.print("\n[bold green]demo finished[/]")
    return 0


def run_story(work: Path, district: DemoDistrict, root_secret: bytes) -> None:
    step("Register two residents (real-name, ID numbers encrypted at rest) and issue their cards")
    people = {}
    for seq, name in ((1, "王建国"), (2, "李秀英")):
        pid = district.register_resident(seq, name)
        people[name] = district.issue_card(pid)
        console.print(f"  person #{pid}: card {people[name]['card_id']} issue {people[name]['issue']} "
                      f"(site {people[name]['site_id']}, state {people[name]['state']})")

    step("Write the cards on an enrolment node (a twin at its REPL lending its reader)")
    enrol_image = work / "enrol.bin"
    write_image(enrol_image, build_image(ROOT / "firmware", NodeConfig(
        node_id="enrol-01", settings={"app": {"autostart": False}})))
    card_files = {}
    enrolment = enrolment_keys(root_secret, district.site_id)
    with Twin(enrol_image) as enrol_twin, NodeTransport.connect(enrol_twin.url) as node:
        for n, (name, card) in enumerate(people.items()):
            uid = f"5EC0{n:04X}"
            enrol_twin.bench("reader.remove", all=True)
            enrol_twin.bench("reader.place", type="classic1k", uid=uid)
            write_card(node, enrolment, card["card_id"], card["issue"], valid_from=int(time.time()) - 86400)
            card_files[name] = work / f"{uid}.card.json"
            enrol_twin.bench("reader.save_card", card=uid, path=str(card_files[name]))
            district.activate(card)
            console.print(f"  card {card['card_id']} written to a blank card with UID {uid}, verified, activated")

    step("Build the door's card list on the server (authenticated with the door's key)")
    card_list, version = district.card_list()
    console.print(f"  {len(card_list)} bytes, version {version}: card ids and issue numbers only, no names")

    step("Provision the door node: firmware, node config, door keys and the card list in one image")
    keys = door_node_keys(root_secret, district.door_id, district.site_id)
    door_image = work / "door-0001.bin"
    t0 = time.monotonic()
    write_image(door_image, build_image(ROOT / "firmware", NodeConfig(
        node_id="door-0001", door_id=district.door_id, settings={"door": {"relay_pulse_s": 1}}),
        extra_files={"keys.json": keys.to_bytes(), "cardlist.bin": card_list,
                     **node_log_files(root_secret, district.door_id)}))
    console.print(f"  4 MB image in {time.monotonic() - t0:.2f} s")
    with Twin(door_image) as door:
        door.wait_console(b"event {", 10)
        for line in door.console_text().splitlines():
            if line.startswith(("rst:", "doornode ")):
                console.print(f"  [dim]console:[/] {line}")
        console.print(f"  REPL at [green]{door.url}[/] (mpremote connect {door.url}), "
                      f"bench at 127.0.0.1:{door.bench_port}")
        time.sleep(0.5)
        mark = len(door.timeline)
        step("Taps at the door")
        names = list(card_files)
        tap(door, card_files[names[0]], f"resident {names[0]}")
        tap(door, card_files[names[1]], f"resident {names[1]}")
        stranger = work / "stranger.card.json"
        door.bench("reader.place", type="classic1k", uid="0BADCAFE")
        door.bench("reader.save_card", card="0BADCAFE", path=str(stranger))
        door.bench("reader.remove", all=True)
        tap(door, stranger, "a stranger's card")
        clone = dict(json.loads(card_files[names[0]].read_text()))
        clone["magic"] = "gen1a"
        clone_file = work / "clone.card.json"
        clone_file.write_text(json.dumps(clone))
        tap(door, clone_file, f"a magic-card clone of {names[0]}'s card (UID, keys and data copied)")
        door.bench("input", name="exit_button", active=True)
        time.sleep(0.2)
        door.bench("input", name="exit_button", active=False)
        console.print("  exit button pressed from inside")
        time.sleep(1.3)
        show_timeline(door.timeline[mark:])
        show_events(door)
        maintenance_visit(work, district, door)


def maintenance_visit(work: Path, district: DemoDistrict, door: Twin) -> None:
    from host_tools.maintenance_demo import visit
    step("Maintenance visit over USB: pull the log into the laptop's spool, sync with the district, "
         "deliver the acknowledgement, trim")
    summary = visit(door.url, work / "spool.sqlite", district.url, district.maintainer_token)
    console.print(f"  pulled {summary['pulled']} events, uploaded {summary['uploaded']} "
                  f"(duplicates {summary['duplicates']}, rejected {summary['rejected']}, "
                  f"gaps {summary['gaps'] or 'none'}), acknowledged up to {summary['acknowledged']}, "
                  f"node segments freed {summary['node_segments_freed']}, spool trimmed "
                  f"{summary['spool_trimmed']}, events still unacknowledged on the node "
                  f"{summary['node_unacked']}")
    step("What the district now knows")
    events = district.door_events()
    kinds = {}
    for ev in events:
        kinds[ev["kind"]] = kinds.get(ev["kind"], 0) + 1
    from doornode.event_names import TYPES
    from doornode.event_record import CLOCK_UNSET
    by_code = {code: name for name, code in TYPES.items()}
    names = {k: by_code.get(k & ~CLOCK_UNSET, f"type {k}") for k in kinds}
    unset = sum(n for k, n in kinds.items() if k & CLOCK_UNSET)
    console.print(f"  door #{district.door_id}: {len(events)} events verified and stored: " +
                  ", ".join(f"{names[k]} x{n}" for k, n in sorted(kinds.items())) +
                  (f" ({unset} logged before the node's clock was set: ordered by sequence)" if unset else ""))
    console.print("  card ids and times only: names and ID numbers never left the district server")


def show_timeline(timeline: list[dict]) -> None:
    step("What the lock did (bench timeline)")
    outs = [e for e in timeline if e["kind"] in ("out", "in")]
    if not outs:
        return
    t0 = outs[0]["t"]
    table = Table("t (ms)", "signal", "level")
    for ev in outs:
        name = ev["name"]
        level = ev.get("level", ev.get("active"))
        table.add_row(f"{(ev['t'] - t0) * 1000:8.0f}", name, str(level))
    console.print(table)
    relay = [e for e in outs if e["kind"] == "out" and e["name"] == "relay"]
    pulses = [(a["t"], b["t"]) for a, b in zip(relay, relay[1:]) if a["level"] == 1 and b["level"] == 0]
    console.print(f"  relay pulses: {len(pulses)} (" +
                  ", ".join(f"{(b - a) * 1000:.0f} ms" for a, b in pulses) + ")")


def show_events(door: Twin) -> None:
    step("The door's event log (what the district will receive)")
    table = Table("seq", "kind", "card", "reason / detail")
    for ev in events(door):
        detail = {k: v for k, v in ev.items() if k not in ("seq", "kind", "card", "ms")}
        table.add_row(str(ev.get("seq", "")), ev["kind"], str(ev.get("card", "")), str(detail or ""))
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
