"""Enrolment mode: the node on USB lends its reader to the host's enrolment station.

    import doornode.enrol as E       # over mpremote, the door loop not running
    E.start()                        # reader up; -> reader version
    E.card()                         # select the card on the reader: UID hex, or None
    E.auth(7, 1, "a1b2c3d4e5f6")     # key type 0 = A, 1 = B -> True / False
    E.read(4) -> hex; E.write(4, hex); E.done()

The host (host_tools.card_command, over provisioning.personalize) holds the enrolment keys
and decides every write; the node keeps no key and writes nothing on its own. An enrolment
node is a node whose config says {"app": {"autostart": false}} (no door loop, no watchdog),
on USB at the enrolment desk.
"""
import binascii

from doornode import board as _board, node_config
from doornode.mfrc522 import MFRC522, CardError, KEY_A, KEY_B

_reader = None


def start():
    global _reader
    if _reader is None:
        cfg = node_config.load()
        spi, cs, rst = _board.load(cfg["board"]).reader_bus()
        _reader = MFRC522(spi, cs, rst)
    _reader.init()
    return _reader.version


def card():
    """Wake and select the card on the reader (WUPA: also a card left halted)."""
    uid = _reader.poll(wake=True)
    if uid is None:
        uid = _reader.poll(wake=True)       # an ACTIVE card ignores the first WUPA (ref. 5.5)
    return None if uid is None else binascii.hexlify(bytes(uid)).decode()


def auth(block, key_type, key_hex):
    """Authenticate block's sector; False on a refused key (the card is selected again, as
    the next step needs a selected card)."""
    try:
        _reader.authenticate(KEY_B if key_type else KEY_A, block, binascii.unhexlify(key_hex))
        return True
    except CardError:
        card()
        return False


def read(block):
    return binascii.hexlify(bytes(_reader.read(block))).decode()


def write(block, data_hex):
    _reader.write(block, binascii.unhexlify(data_hex))


def done():
    _reader.halt()
