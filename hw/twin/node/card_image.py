"""The card file format: one JSON-able dict per card, shared by the node model and the launcher.

    {"format": "twin-card", "version": 1, "type": "classic1k", "uid": "DEADBEEF",
     "magic": null, "hardened": false, "memory": "<hex of the whole EEPROM>"}

type: classic1k, classic4k, ultralight, ntag213, ntag215, ntag216. magic: null, "gen1a" or
"gen2" (Classic only). uid: 4 or 7 bytes (Classic), 7 bytes (Ultralight/NTAG); for a magic
card it is the UID currently in block 0. NTAG cards may carry "signature" (32 bytes hex).
Everything in this module raises ValueError with a clear message for a bad card description;
the node catches it and reports it to the bench.

    state = new_state("classic1k", "DEADBEEF")
    card = make_card(state)         # the model that sits in the RF field
    state = card_state(card)        # back to the dict (memory as it is now)
"""

import binascii

try:
    import cards_classic as classic
    import cards_magic as magic
    import cards_ultralight as ultralight
except ImportError:
    from . import cards_classic as classic
    from . import cards_magic as magic
    from . import cards_ultralight as ultralight

FORMAT = "twin-card"
VERSION = 1
CLASSIC_SIZES = {"classic1k": 1024, "classic4k": 4096}
TYPES = ("classic1k", "classic4k", "ultralight", "ntag213", "ntag215", "ntag216")
MAGIC = (None, "gen1a", "gen2")


def to_hex(data):
    return binascii.hexlify(bytes(data)).decode().upper()


def from_hex(text, what):
    if not isinstance(text, str):
        raise ValueError(what + " must be a hex string")
    try:
        return binascii.unhexlify(text.replace(" ", ""))
    except Exception:
        raise ValueError(what + " is not valid hex: " + text[:40])


def memory_size(kind):
    if kind in CLASSIC_SIZES:
        return CLASSIC_SIZES[kind]
    return ultralight.MODELS[kind][0] * 4


def _check_type(kind, magic_kind, uid):
    if kind not in TYPES:
        raise ValueError("unknown card type %r (one of %s)" % (kind, ", ".join(TYPES)))
    if magic_kind not in MAGIC:
        raise ValueError("unknown magic %r (null, gen1a or gen2)" % (magic_kind,))
    if kind in CLASSIC_SIZES:
        if len(uid) not in (4, 7):
            raise ValueError("a Classic UID has 4 or 7 bytes, got %d" % len(uid))
    else:
        if magic_kind is not None:
            raise ValueError("magic clones are modelled for Classic cards only")
        if len(uid) != 7:
            raise ValueError("an Ultralight/NTAG UID has 7 bytes, got %d" % len(uid))


def new_state(kind, uid_hex, magic_kind=None, hardened=False):
    """A factory-fresh card: transport keys FFFFFFFFFFFF, FF 07 80 access bits, blank data."""
    uid = from_hex(uid_hex, "uid")
    _check_type(kind, magic_kind, uid)
    if kind in CLASSIC_SIZES:
        size = CLASSIC_SIZES[kind]
        big = size > 1024
        atqa = (0x0002 if big else 0x0004) | (0x40 if len(uid) == 7 else 0)
        mem = classic.blank_memory(size, uid, 0x18 if big else 0x08, atqa)
    else:
        mem = ultralight.blank_memory(kind, uid)
    return {"format": FORMAT, "version": VERSION, "type": kind, "uid": to_hex(uid),
            "magic": magic_kind, "hardened": bool(hardened), "memory": to_hex(mem)}


def make_card(state):
    """The card model for a state dict (validated)."""
    if not isinstance(state, dict):
        raise ValueError("a card state is a dict")
    if state.get("format", FORMAT) != FORMAT:
        raise ValueError("not a twin card file (format %r)" % (state.get("format"),))
    kind = state.get("type")
    magic_kind = state.get("magic")
    uid = from_hex(state.get("uid", ""), "uid")
    _check_type(kind, magic_kind, uid)
    mem = bytearray(from_hex(state.get("memory", ""), "memory"))
    if len(mem) != memory_size(kind):
        raise ValueError("%s memory has %d bytes, expected %d" % (kind, len(mem), memory_size(kind)))
    if kind in CLASSIC_SIZES:
        card = _make_classic(mem, uid, magic_kind, bool(state.get("hardened", False)))
    else:
        sig = from_hex(state.get("signature", "00" * 32), "signature")
        card = ultralight.UltralightCard(kind, mem, sig)
    if card.uid() != uid:
        raise ValueError("uid %s does not match the UID in memory %s" % (to_hex(uid), to_hex(card.uid())))
    return card


def _make_classic(mem, uid, magic_kind, hardened):
    if magic_kind is None and mem[0:len(uid)] != uid:
        raise ValueError("block 0 does not hold the uid")
    if magic_kind == "gen1a":
        return magic.Gen1aCard(mem, len(uid), hardened=hardened)
    if magic_kind == "gen2":
        return magic.Gen2Card(mem, len(uid), hardened=hardened)
    return classic.ClassicCard(mem, len(uid), hardened=hardened)


def card_type(card):
    if isinstance(card, ultralight.UltralightCard):
        return card.kind
    return "classic4k" if card.blocks > 64 else "classic1k"


def card_state(card):
    """The state dict of a card model, memory as it is now."""
    state = {"format": FORMAT, "version": VERSION, "type": card_type(card),
             "uid": to_hex(card.uid()), "magic": getattr(card, "magic", None),
             "hardened": bool(getattr(card, "hardened", False)), "memory": to_hex(card.memory)}
    if isinstance(card, ultralight.UltralightCard):
        state["signature"] = to_hex(card.signature)
    return state
