"""The door node application: boot banner, then the door loop (docs/firmware.md).

    import doornode.app
    doornode.app.main()          # from main.py; returns only if config says autostart: false

Tasks (asyncio): reader (poll, decide, health), inputs (door contact, exit button, fire
alarm, tamper, door timers, LEDs/buzzer), housekeeping (heap), supervisor (watchdog).
"""
import asyncio
import gc
import machine
import time

from doornode import board as _board
from doornode import node_config
from doornode.debounce import Debounced
from doornode.door import Door, door_settings
from doornode.events import EventSink
from doornode.indicator import Indicator
from doornode.mfrc522 import MFRC522, CardError
from doornode.supervisor import Supervisor
from doornode.uid_list import Card, UidList
from doornode.version import VERSION

RESET_CAUSES = {1: "power-on", 2: "hard reset", 3: "watchdog", 4: "deep sleep", 5: "software reset"}

APP_DEFAULTS = {
    "autostart": True,        # false: stop after the banner (bench and driver work at the REPL)
    "poll_ms": 50,            # reader poll period
    "reader_check_ms": 1000,  # reader health check period
    "reader_retry_ms": 1000,  # between re-init attempts of a faulty reader
    "repeat_ms": 1500,        # the same card again within this time is ignored
    "inputs_ms": 10,          # input sampling and door timer period
    "exit_debounce_ms": 50,
    "input_debounce_ms": 30,  # door contact, fire alarm, tamper
    "wdt_ms": 8000,           # hardware watchdog timeout
    "heap_report_s": 0,       # > 0: print heap figures this often
    "cards_path": "/cards.txt",
    # "card_check": genuine cards only (credential_check.py). "uid_list": the PROVISIONAL
    # UID-only list of cards_path, for bench work on the door's mechanics: a cloned UID opens.
    "decision": "card_check",
}


def reset_cause_name():
    cause = machine.reset_cause()
    return RESET_CAUSES.get(cause, str(cause))


def banner(cfg):
    uid = machine.unique_id()
    return "doornode %s node=%s board=%s mac=%s reset=%s" % (
        VERSION, cfg["node_id"], cfg["board"], ":".join("%02x" % b for b in uid), reset_cause_name())


def app_settings(cfg):
    out = dict(APP_DEFAULTS)
    out.update(cfg.get("app") or {})
    return out


class Node:
    """Everything the door loop needs, built from the board and the config."""

    def __init__(self, board, cfg, sink=None, decide=None):
        self.cfg = cfg
        self.app = app_settings(cfg)
        self.sink = sink or EventSink()
        door_cfg, problems = door_settings(cfg)
        for p in problems:
            self.sink.emit("config_error", problem=p)
        self.board = board
        self.indicator = Indicator(board.led_green, board.led_red, board.buzzer)
        self.door = Door(board.relay, self.indicator, self.sink, door_cfg)
        self.decide = decide or UidList(self.app["cards_path"])
        spi, cs, rst = board.reader_bus()
        self.reader = MFRC522(spi, cs, rst)
        a = self.app
        self.inputs = []
        for name, settle in (("door_contact", a["input_debounce_ms"]), ("exit_button", a["exit_debounce_ms"]),
                             ("fire_alarm", a["input_debounce_ms"]), ("tamper", a["input_debounce_ms"])):
            pin, level = board.inputs[name]
            self.inputs.append((name, Debounced(pin, level, settle)))
        self.min_free = self.min_live_free = gc.mem_free()
        self.reader_ok = False
        self._last_uid = b""
        self._last_at = 0

    # ------------------------------------------------------------ reader
    async def reader_task(self, beat):
        a = self.app
        fault = False
        next_check = time.ticks_ms()
        while True:
            beat()
            now = time.ticks_ms()
            if not self.reader_ok:
                try:
                    self.reader.init()
                    self.reader_ok = True
                    if fault:
                        fault = False
                        self.door.reader_fault(False, "", now)
                except OSError as e:
                    if not fault:
                        fault = True
                        self.door.reader_fault(True, str(e), now)
                    await asyncio.sleep_ms(a["reader_retry_ms"])
                    continue
            try:
                uid = self.reader.poll()
                if uid is not None:
                    self._card(uid)
                if time.ticks_diff(now, next_check) >= 0:
                    next_check = time.ticks_add(now, a["reader_check_ms"])
                    if not self.reader.check():
                        raise OSError("reader lost its configuration")
            except OSError as e:
                self.reader_ok = False
                fault = True
                self.door.reader_fault(True, str(e), time.ticks_ms())
                continue                                  # re-init at once
            except CardError:
                pass                                      # garbled or removed: next poll retries
            except MemoryError:
                self.sink.emit("reader_error", error="MemoryError")   # never let the reader task die
            await asyncio.sleep_ms(a["poll_ms"])

    def _card(self, uid_view):
        now = time.ticks_ms()
        r = self.reader
        uid = bytes(uid_view)
        if uid == self._last_uid and time.ticks_diff(now, self._last_at) < self.app["repeat_ms"]:
            r.halt()
            self._last_at = now
            return
        self._last_uid = uid
        self._last_at = now
        card = Card(uid, r.sak, r.atqa, r)
        try:
            granted, reason = self.decide.authorize(card)
        finally:
            r.halt()
        extra = {"several": True} if r.several else {}
        self.door.card(card.uid_hex(), granted, reason, time.ticks_ms(), **extra)

    # ------------------------------------------------------------ inputs and door timers
    async def inputs_task(self, beat):
        door = self.door
        period = self.app["inputs_ms"]
        now = time.ticks_ms()
        for name, inp in self.inputs:                     # the state at boot counts too
            if inp.active:
                self._input(name, True, now)
        while True:
            beat()
            now = time.ticks_ms()
            for name, inp in self.inputs:
                if inp.sample(now):
                    self._input(name, inp.active, now)
            door.tick(now)
            self.indicator.tick(now)
            await asyncio.sleep_ms(period)

    def _input(self, name, active, now):
        door = self.door
        if name == "door_contact":
            door.door_contact(active, now)
        elif name == "exit_button":
            if active:
                door.exit_request(now)
        elif name == "fire_alarm":
            door.fire(active, now)
        else:
            door.tamper(active, now)

    # ------------------------------------------------------------ housekeeping
    async def housekeeping_task(self, beat):
        every = self.app["heap_report_s"] * 1000
        last = time.ticks_ms()
        rounds = 0
        while True:
            beat()
            self.min_free = min(self.min_free, gc.mem_free())   # garbage of the last 500 ms included
            gc.collect()
            rounds += 1
            if rounds > 2:        # after boot: import garbage can still be pinned by the stack
                self.min_live_free = min(self.min_live_free, gc.mem_free())   # live data only
            now = time.ticks_ms()
            if every and time.ticks_diff(now, last) >= every:
                last = now
                self.sink.emit("heap", free=gc.mem_free(), min_free=self.min_free,
                               min_live_free=self.min_live_free)
            await asyncio.sleep_ms(500)

    async def run(self, extra_tasks=()):
        sup = Supervisor(machine.WDT(timeout=self.app["wdt_ms"]), self.app["wdt_ms"] // 2, self.sink)
        tasks = [("reader", self.reader_task), ("inputs", self.inputs_task),
                 ("housekeeping", self.housekeeping_task)] + list(extra_tasks)
        for name, task in tasks:
            asyncio.create_task(task(sup.register(name)))
        await sup.run()


def decision(app, cfg):
    """The authorize(card) seam: genuine-card check, or the provisional UID list."""
    if app["decision"] == "uid_list":
        print("WARNING: PROVISIONAL UID-only decision: a copied UID opens this door")
        return UidList(app["cards_path"])
    from doornode.credential_check import CardCheck
    return CardCheck.from_config(cfg)


def main(extra_tasks=()):
    """Boot the node; extra_tasks: (name, async function(beat)) run and supervised as well."""
    cfg = node_config.load()
    print(banner(cfg))
    app = app_settings(cfg)
    board = _board.load(cfg["board"])
    if not app["autostart"]:
        return board                        # bench, enrolment or maintenance work at the REPL
    from doornode import log_sink
    sink = log_sink.open_sink(cfg)          # the persistent event log (a RAM sink if it fails)
    sink.emit("boot", version=VERSION, reset=reset_cause_name())
    decide = decision(app, cfg)
    gc.collect()                            # boot's garbage gone before the door loop allocates
    node = Node(board, cfg, sink, decide)
    log_sink.wire(sink, node)
    asyncio.run(node.run(extra_tasks))
