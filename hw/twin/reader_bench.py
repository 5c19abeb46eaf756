"""Launcher-side bench extension for the twin's MFRC522 and its RF field (CPython).

Clients send `reader.<op>` bench operations; this class validates them, keeps a mirror of the
physical world (which cards exist, where they lie, their memory, the faults) and forwards what the
node model needs through `send_to_node(op, args)`. The node reports memory changes as events, so
"read back a card's memory" is answered from the mirror even while the node idles at its REPL.

    bench = ReaderBench(send_to_node)
    bench.handle("place", {"type": "classic1k", "uid": "DEADBEEF"})
    bench.handle("card_memory", {"card": "DEADBEEF"})["memory"]
    bench.handle("save_card", {"card": "DEADBEEF", "path": "card.json"})
    bench.handle("place", {"file": "card.json"})          # on another twin: same card

Card file format: see hw/twin/node/card_image.py and docs/twin-reader.md.
"""

import json
import os

from hw.twin.node import card_image, rf_field

FAULTS = ("crc", "parity", "remove_mid", "weak", "slow", "hang")
CARD_FAULTS = ("remove_mid", "weak", "slow")
HANG_MODES = ("version0", "stuck")


class _Card:
    """The mirror of one card: its model (memory kept current from node events) and position."""

    def __init__(self, card_id, model, distance_mm, in_field):
        self.card_id = card_id
        self.model = model
        self.distance_mm = distance_mm
        self.in_field = in_field
        self.faults = {}

    def summary(self):
        state = card_image.card_state(self.model)
        return {"card": self.card_id, "type": state["type"], "uid": state["uid"],
                "magic": state["magic"], "in_field": self.in_field,
                "distance_mm": self.distance_mm, "faults": dict(self.faults)}


def _number(args, key, lo, hi, kind=float):
    if key not in args:
        raise ValueError("missing %r" % key)
    try:
        value = kind(args[key])
    except (TypeError, ValueError):
        raise ValueError("%r must be a number, got %r" % (key, args[key])) from None
    if not lo <= value <= hi:
        raise ValueError("%r must be between %s and %s, got %s" % (key, lo, hi, value))
    return value


def _byte_value(value, what):
    try:
        v = int(value, 16) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise ValueError("%s must be a byte (0..255 or hex string), got %r" % (what, value)) from None
    if not 0 <= v <= 255:
        raise ValueError("%s must be a byte (0..255), got %r" % (what, value))
    return v


class ReaderBench:
    name = "reader"

    def __init__(self, send_to_node):
        self.send_to_node = send_to_node
        self.cards = {}            # card id -> _Card (in the field or set aside)
        self.version = None        # VersionReg override
        self.seed = None
        self.field_faults = {}     # "crc"/"parity" -> rate
        self.hang = None
        self.node_errors = []

    # ------------------------------------------------------------ dispatch
    def handle(self, op, args):
        args = {} if args is None else args
        if not isinstance(args, dict):
            raise ValueError("reader.%s: arguments must be an object" % op)
        handler = getattr(self, "_op_" + op, None) if isinstance(op, str) else None
        if handler is None:
            raise ValueError("unknown reader op %r (one of %s)" % (op, ", ".join(self.ops())))
        return handler(args)

    @classmethod
    def ops(cls):
        return sorted(n[4:] for n in dir(cls) if n.startswith("_op_"))

    def _card(self, args, in_field=None):
        card_id = args.get("card")
        if not isinstance(card_id, str) or card_id not in self.cards:
            raise ValueError("no card %r (known: %s)" % (card_id, ", ".join(sorted(self.cards)) or "none"))
        card = self.cards[card_id]
        if in_field and not card.in_field:
            raise ValueError("card %r is not on the reader" % card_id)
        return card

    # ------------------------------------------------------------ ops
    def _op_place(self, args):
        """Put a card on the reader: {"file": path} | {"type", "uid", "magic"?} | {"card": id}."""
        distance = _number(args, "distance_mm", 0, 1000) if "distance_mm" in args else 0
        if "file" in args:
            model = self._load_file(args["file"])
        elif "type" in args:
            state = card_image.new_state(args["type"], str(args.get("uid", "")),
                                         args.get("magic"), bool(args.get("hardened", False)))
            model = card_image.make_card(state)
        elif "card" in args:
            card = self._card(args)
            if card.in_field:
                raise ValueError("card %r is already on the reader" % card.card_id)
            return self._put(card, distance)
        else:
            raise ValueError("place needs 'file', 'type'+'uid', or 'card' (a card set aside)")
        card_id = args.get("card") or card_image.to_hex(model.uid())
        if card_id in self.cards and self.cards[card_id].in_field:
            raise ValueError("card %r is already on the reader" % card_id)
        card = _Card(card_id, model, distance, False)
        self.cards[card_id] = card
        return self._put(card, distance)

    def _put(self, card, distance):
        card.in_field = True
        card.distance_mm = distance
        card.faults = {}
        self.send_to_node("place", {"card": card.card_id, "state": card_image.card_state(card.model),
                                    "distance_mm": distance})
        return card.summary()

    def _load_file(self, path):
        try:
            with open(path) as f:
                state = json.load(f)
        except OSError as e:
            raise ValueError("cannot read card file %s: %s" % (path, e.strerror)) from None
        except json.JSONDecodeError as e:
            raise ValueError("card file %s is not JSON: %s" % (path, e)) from None
        return card_image.make_card(state)

    def _op_remove(self, args):
        """Take a card off the reader (it keeps its memory; place {"card": id} puts it back)."""
        if args.get("all"):
            ids = [c.card_id for c in self.cards.values() if c.in_field]
        else:
            ids = [self._card(args, in_field=True).card_id]
        for card_id in ids:
            self.cards[card_id].in_field = False
            self.send_to_node("remove", {"card": card_id})
        return {"removed": ids}

    def _op_move(self, args):
        """Distance from the antenna: <= 30 mm full coupling, to 50 mm lossy, beyond out of range."""
        card = self._card(args, in_field=True)
        card.distance_mm = _number(args, "distance_mm", 0, 1000)
        self.send_to_node("move", {"card": card.card_id, "distance_mm": card.distance_mm})
        out = card.summary()
        d = card.distance_mm
        out["coupling"] = ("full" if d <= rf_field.FULL_RANGE_MM else
                           "weak" if d <= rf_field.MAX_RANGE_MM else "none")
        return out

    def _op_card_memory(self, args):
        """The card's state (memory as last reported by the node)."""
        return card_image.card_state(self._card(args).model)

    def _op_save_card(self, args):
        card = self._card(args)
        path = args.get("path")
        if not isinstance(path, str) or not path:
            raise ValueError("save_card needs 'path'")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(card_image.card_state(card.model), f, indent=1)
        os.replace(tmp, path)
        return {"card": card.card_id, "path": path}

    def _op_list_cards(self, args):
        return {"cards": [c.summary() for c in self.cards.values()],
                "version": self.version, "faults": self._fault_summary(),
                "node_errors": list(self.node_errors)}

    def _op_version(self, args):
        self.version = _byte_value(args.get("value"), "version")
        self.send_to_node("version", {"value": self.version})
        return {"version": self.version}

    def _op_seed(self, args):
        self.seed = int(_number(args, "value", 0, 0xFFFFFFFF, int))
        self.send_to_node("seed", {"value": self.seed})
        return {"seed": self.seed}

    def _op_fault(self, args):
        """{"set": name, ...} or {"clear": name | "all"}."""
        if "clear" in args:
            return self._clear_fault(args["clear"])
        name = args.get("set")
        if name not in FAULTS:
            raise ValueError("fault needs 'set' (one of %s) or 'clear'" % ", ".join(FAULTS))
        node_args = {"name": name}
        if name in ("crc", "parity"):
            node_args["rate"] = self.field_faults[name] = _number(args, "rate", 0, 1)
        elif name == "hang":
            mode = args.get("mode", "version0")
            if mode not in HANG_MODES:
                raise ValueError("hang mode must be one of %s" % ", ".join(HANG_MODES))
            node_args["mode"] = self.hang = mode
        else:
            card = self._card(args, in_field=True)
            node_args["card"] = card.card_id
            key, value = {"weak": ("loss", lambda: _number(args, "loss", 0, 1)),
                          "slow": ("delay_us", lambda: _number(args, "delay_us", 0, 10_000_000, int)),
                          "remove_mid": ("after_frames",
                                         lambda: _number(args, "after_frames", 0, 1_000_000, int)),
                          }[name]
            node_args[key] = card.faults[name] = value()
        self.send_to_node("fault", node_args)
        return {"faults": self._fault_summary()}

    def _clear_fault(self, name):
        if name != "all" and name not in FAULTS:
            raise ValueError("clear needs a fault name (%s) or 'all'" % ", ".join(FAULTS))
        if name == "hang" or name == "all":
            self.hang = None  # the node clears a hang only by reset/power cycle
        for key in list(self.field_faults):
            if name in (key, "all"):
                del self.field_faults[key]
        for card in self.cards.values():
            for key in list(card.faults):
                if name in (key, "all"):
                    del card.faults[key]
        if name != "hang":
            self.send_to_node("clear_fault", {"name": name})
        return {"faults": self._fault_summary()}

    def _fault_summary(self):
        out = dict(self.field_faults)
        if self.hang:
            out["hang"] = self.hang
        for card in self.cards.values():
            for key, value in card.faults.items():
                out.setdefault(key, {})[card.card_id] = value
        return out

    # ------------------------------------------------------------ node side
    def on_node_event(self, event):
        if "card_memory" in event:
            card = self.cards.get(event["card_memory"])
            if card is not None:
                data = bytes.fromhex(event["data"])
                off = int(event["offset"])
                card.model.memory[off:off + len(data)] = data
        elif "card_removed" in event:
            card = self.cards.get(event["card_removed"])
            if card is not None:
                card.in_field = False
                card.faults = {}
        elif "error" in event:
            self.node_errors.append(event["error"])
            del self.node_errors[:-20]

    def on_node_boot(self):
        """The node (re)started: the physical world is still there; a hang is gone."""
        self.hang = None
        if self.version is not None:
            self.send_to_node("version", {"value": self.version})
        if self.seed is not None:
            self.send_to_node("seed", {"value": self.seed})
        for card in self.cards.values():
            if card.in_field:
                self.send_to_node("place", {"card": card.card_id,
                                            "state": card_image.card_state(card.model),
                                            "distance_mm": card.distance_mm})
        for name, rate in self.field_faults.items():
            self.send_to_node("fault", {"name": name, "rate": rate})
        keys = {"weak": "loss", "slow": "delay_us", "remove_mid": "after_frames"}
        for card in self.cards.values():
            for name, value in card.faults.items():
                self.send_to_node("fault", {"name": name, "card": card.card_id, keys[name]: value})
