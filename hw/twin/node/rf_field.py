"""The RF field in front of the MFRC522 antenna: the cards in it and what they send back.

Every card in range hears every frame; the answers are merged bit by bit as Type A Manchester
coding makes them visible to the reader (reference §3.3, §10.2 item 6): identical bits merge,
the first bit where cards disagree is a collision. Faults on demand: answer CRC/parity errors at a
rate, a card removed after N more frames, weak (lossy) and slow (late) cards.

    field = RFField(emit)
    field.place("a", card)
    field.set_power(True)
    field.exchange(b"\\x26", 7, False)   # -> Answer or None
"""

import binascii

try:
    import cards_iso14443 as iso
except ImportError:
    from . import cards_iso14443 as iso

# Coupling by distance [emulator choice]: full up to 30 mm, lossy to 50 mm, nothing beyond.
FULL_RANGE_MM = 30
MAX_RANGE_MM = 50


class Answer:
    """What reached the receiver: bits (LSB first on air), length, first collision (-1: none),
    a parity error flag and the extra delay (µs) of a slow card."""

    def __init__(self, bits, nbits, coll, parity_err, delay_us):
        self.bits = bits
        self.nbits = nbits
        self.coll = coll
        self.parity_err = parity_err
        self.delay_us = delay_us


class Slot:
    """A card lying in (or near) the field, with its per-card faults."""

    def __init__(self, card_id, card, distance_mm):
        self.card_id = card_id
        self.card = card
        self.distance_mm = distance_mm
        self.loss = 0.0            # weak card: probability an answer is lost
        self.delay_us = 0          # slow card: answers this much later
        self.remove_after = -1     # removal mid-transaction: frames still heard (-1: off)

    def in_range(self):
        return self.distance_mm <= MAX_RANGE_MM

    def coupling_loss(self):
        d = self.distance_mm
        if d <= FULL_RANGE_MM:
            return self.loss
        weak = (d - FULL_RANGE_MM) / (MAX_RANGE_MM - FULL_RANGE_MM)
        return max(self.loss, weak)


def lowest_bit(x):
    i = 0
    while not (x >> i) & 1:
        i += 1
    return i


class RFField:
    def __init__(self, emit):
        self.emit = emit
        self.slots = []
        self.powered = False
        self.crc_rate = 0.0
        self.parity_rate = 0.0
        self._seed = 0x2545F491

    # --- randomness: own xorshift, so the firmware's `random` is untouched ---
    def seed(self, value):
        self._seed = (value & 0xFFFFFFFF) or 0x2545F491

    def rand(self):
        x = self._seed
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._seed = x
        return x

    def chance(self, p):
        return p > 0 and (self.rand() & 0xFFFFFF) < p * 0x1000000

    # --- cards ---
    def find(self, card_id):
        for s in self.slots:
            if s.card_id == card_id:
                return s
        return None

    def place(self, card_id, card, distance_mm=0):
        self.remove(card_id)
        card.card_id = card_id
        card.listener = self._memory_changed
        card.rand = self.rand
        slot = Slot(card_id, card, distance_mm)
        self.slots.append(slot)
        card.power(self.powered and slot.in_range())
        return slot

    def remove(self, card_id):
        slot = self.find(card_id)
        if slot is not None:
            self.slots.remove(slot)
            slot.card.power(False)
            slot.card.listener = None
        return slot

    def move(self, card_id, distance_mm):
        slot = self.find(card_id)
        if slot is None:
            return None
        was = slot.in_range()
        slot.distance_mm = distance_mm
        if slot.in_range() != was:
            slot.card.power(self.powered and slot.in_range())
        return slot

    def set_power(self, on):
        """Antenna drivers on/off (TxControlReg Tx1RFEn/Tx2RFEn): off resets every card."""
        if on == self.powered:
            return
        self.powered = on
        for s in self.slots:
            s.card.power(on and s.in_range())

    def _memory_changed(self, card, offset, data):
        self.emit({"card_memory": card.card_id, "offset": offset, "data": binascii.hexlify(data).decode().upper()})

    def _hearing(self):
        """Slots whose card hears the next frame; fires removal-mid-transaction faults."""
        out = []
        for s in list(self.slots):
            if not s.in_range():
                continue
            if s.remove_after == 0:
                self.remove(s.card_id)
                self.emit({"card_removed": s.card_id})
                continue
            if s.remove_after > 0:
                s.remove_after -= 1
            out.append(s)
        return out

    # --- frames ---
    def exchange(self, frame, nbits, crypto):
        """Deliver a reader frame to every card in range; merge what comes back."""
        if not self.powered:
            return None
        answers = []
        delay = 0
        for s in self._hearing():
            a = s.card.receive(frame, nbits, crypto)
            if a is None or self.chance(s.coupling_loss()):
                continue
            answers.append(a)
            delay = max(delay, s.delay_us)
        if not answers:
            return None
        return self._merge(answers, delay)

    def _merge(self, answers, delay):
        if len(answers) == 1:
            bits, nbits = answers[0]
            coll = -1
        else:
            ones = zeros = 0
            nbits = 0
            for v, n in answers:
                mask = (1 << n) - 1
                ones |= v & mask
                zeros |= ~v & mask
                nbits = max(nbits, n)
            both = ones & zeros
            coll = lowest_bit(both) if both else -1
            bits = ones  # [emulator choice] a collided bit reads as 1 when ValuesAfterColl=1
        parity = False
        if nbits >= 8 and self.chance(self.crc_rate):
            bits ^= 1 << (self.rand() % nbits)  # one flipped bit: the CRC no longer matches
        if nbits >= 8 and self.chance(self.parity_rate):
            parity = True
        return Answer(bits, nbits, coll, parity, delay)

    def authenticate(self, key_type, block, key, uid4, crypto):
        """MFAuthent (§6.5): returns (outcome, delay_us) with the AUTH_* outcome of the best card."""
        if not self.powered:
            return (iso.AUTH_SILENT_1, 0)
        best = iso.AUTH_SILENT_1
        delay = 0
        for s in self._hearing():
            leak = (self.rand() & 0xFF) == 0
            r = s.card.mf_authent(key_type, block, key, uid4, crypto, leak)
            if r != iso.AUTH_SILENT_1 and self.chance(s.coupling_loss()):
                s.card.error()
                r = iso.AUTH_SILENT_1
            if r > best:
                best = r
                delay = s.delay_us
        return (best, delay)

