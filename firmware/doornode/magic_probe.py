"""Is the card on the reader a magic (UID-writable) clone? Reference section 9.2.

    if answers_backdoor(reader): ...       # gen1a: call last, it halts the card
    if block0_writable(reader): ...         # gen2: sector 0 must open with the transport key

A genuine MIFARE Classic card has a read-only block 0 and no backdoor. Clones that copy a
card's UID (and, with its cracked keys, its data) give themselves away:
* gen1a answers the 7-bit command 0x40 after HLTA with an ACK (the "UID backdoor");
* gen2 accepts a WRITE to block 0: we send only the WRITE command (part 1) and read the
  ACK/NAK; the 16 data bytes are never sent, so nothing is written on any card.
A clone that has neither (gen3/gen4 with the backdoor disabled) is not detected here; the
rolling counter is the fallback (docs/security.md).

The driver has no public call for a 7-bit frame or a bare WRITE part 1 (proposed as
MFRC522.short_frame / write_probe); until it does, these use its exchange primitive.
"""
from micropython import const

from doornode.mfrc522 import CardError, KEY_A

_BACKDOOR = const(0x40)
_MF_WRITE = const(0xA0)
_T_ISO = const(4)          # the driver's 250 us timeout for ISO frames
_OK = const(0)
_TRANSPORT_KEY = b"\xff\xff\xff\xff\xff\xff"


def answers_backdoor(r):
    """HLTA, then the gen1a backdoor command: True if the card ACKs it. Leaves the card halted.
    Costs one HLTA and one short frame (two 250 us timeouts on a genuine card)."""
    r.halt()
    if r.short_frame(_BACKDOOR):
        r.halt()               # end the backdoor session: the card must not stay open
        return True
    return False


def block0_writable(r):
    """True if block 0 accepts a WRITE (a gen2 clone); None when sector 0 does not open with
    the transport key (the card cannot be asked). Card left in IDLE or HALT either way."""
    try:
        r.authenticate(KEY_A, 0, _TRANSPORT_KEY)
    except CardError:
        return None
    return r.write_probe(0)
