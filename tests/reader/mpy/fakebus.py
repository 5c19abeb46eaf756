# A stand-in for the twin's machine.SPI / Pin shim, for reader-model tests only.
# NSS low -> chip.select(); SPI traffic -> chip.transfer(); NSS high -> chip.deselect().

import rc522
import card_image


class FakeSPI:
    def __init__(self, chip):
        self.chip = chip

    def write(self, buf):
        self.chip.transfer(buf, None)

    def readinto(self, buf, write=0):
        self.chip.transfer(bytes([write]) * len(buf), buf)

    def write_readinto(self, tx, rx):
        self.chip.transfer(tx, rx)


class FakeCS:
    def __init__(self, chip):
        self.chip = chip
        self.level = 1

    def value(self, v=None):
        if v is None:
            return self.level
        if v == self.level:
            return
        self.level = v
        if v:
            self.chip.deselect()
        else:
            self.chip.select()

    def __call__(self, v=None):
        return self.value(v)


class Events:
    def __init__(self):
        self.items = []

    def __call__(self, ev):
        self.items.append(ev)

    def errors(self):
        return [e["error"] for e in self.items if "error" in e]


def rig(version=0x92):
    """(chip, spi, cs, events)"""
    ev = Events()
    chip = rc522.MFRC522Chip(ev, version)
    return chip, FakeSPI(chip), FakeCS(chip), ev


def place(chip, kind, uid, card_id=None, magic=None, **kw):
    state = card_image.new_state(kind, uid, magic)
    chip.bench("place", dict(card=card_id or uid, state=state, **kw))
    return state


def card(chip, card_id):
    return chip.field.find(card_id).card


def h(b):
    return "".join("%02X" % x for x in b)
