"""The door decision: grant only a genuine card of this site, listed, current and valid now.

    check = CardCheck()                       # at boot: keys from /keys.json, list in /
    granted, reason = check.authorize(card)   # card: .uid .sak .atqa .reader (selected card)

The seam of doornode.app (authorize(card) -> (granted, reason)); replaces uid_list.py.
Reasons (docs/security.md, "The door decision"): "" on a grant, else one of the constants
below. After a decision `check.card_id` / `check.counter` hold what the card said (or None).

A tap, in order (each step only if the last one passed):
 1. sector 1 opens with the card's own key A (AN10922-diversified from its UID)
    - else: re-select; the transport key opens it -> BLANK; then the magic probe -> CLONE;
      otherwise NOT_GENUINE (another system's or another site's card, a UID-only copy)
 2. blocks 4 and 5: the credential's MAC verifies for this UID -> else NOT_GENUINE (a
    credential copied onto another card), CLONE if the card is magic
 3. the card list in force: NO_LIST, UNKNOWN (not listed: never issued here, or revoked),
    REPLACED (its issue is older than the listed one), EXPIRED / NOT_YET_VALID
 4. rolling counter (site setting): read block 6, refuse a value not below the last one
    this node saw for the card (CLONE), then decrement it on the card
 5. magic probe: block 0 writable (gen2) or the gen1a backdoor -> CLONE
 6. grant.
"""
from micropython import const
import time

from doornode import cardlist_store, node_keys
from doornode.cardlist import NO_EXPIRY_DAY, day_number
from doornode.credential import (COUNTER_BLOCK, CREDENTIAL_BLOCK, FLAG_ROLLING_COUNTER,
                                 MAC_BLOCK, TRAILER_BLOCK, CredentialError, decode_value_block,
                                 read_credential)
from doornode.magic_probe import answers_backdoor, block0_writable
from doornode.mfrc522 import KEY_A, CardError

# Deny reasons, as the node logs them (event "deny", field "reason").
NO_KEYS = "no keys"                  # the node was never given /keys.json
NO_LIST = "no card list"
NOT_CLASSIC = "not a system card"    # not a MIFARE Classic (SAK): no credential possible
BLANK = "blank card"                 # sector 1 still on the transport key: never enrolled
NOT_GENUINE = "not genuine"          # wrong key or MAC: copied UID, copied credential, other site
CLONE = "clone suspected"            # magic card, or rolling counter replayed
UNKNOWN = "unknown card"             # not in this door's list: never issued for it, or revoked
REPLACED = "replaced"                # a newer card (higher issue number) replaced this one
ISSUE_AHEAD = "issue not listed"     # newer than the list: the door's list is out of date
EXPIRED = "expired"
NOT_YET_VALID = "not yet valid"
DAMAGED = "damaged"                  # counter block torn: re-enrol the card
CARD_ERROR = "card error"            # the card stopped answering mid-check (pulled away)

_TRANSPORT_KEY = b"\xff\xff\xff\xff\xff\xff"
_EPOCH_2000 = const(946684800)       # ESP32 time() counts from 2000-01-01
_SLOTS = const(64)                   # counter memory: last counter of the last 64 cards


class CounterMemory:
    """Last rolling-counter value seen per card id, in RAM (8 bytes a card, fixed size).

    RAM only: a flash write per tap would wear the flash and cost more than the check; after
    a reboot the first tap of each card is trusted. The values also go out with the decision
    (check.counter) for the server, which sees every door (issue 7).
    """

    def __init__(self, slots=_SLOTS):
        self._mem = bytearray(8 * slots)
        self._used = 0
        self._next = 0
        self._slots = slots

    def _find(self, card_id4):
        m = self._mem
        for s in range(self._used):
            i = 8 * s
            if m[i] == card_id4[0] and m[i + 1] == card_id4[1] and m[i + 2] == card_id4[2] \
                    and m[i + 3] == card_id4[3]:
                return i
        return -1

    def fresh(self, card_id4, value4):
        """True if value4 (little-endian u32 bytes) is below the last value seen for the card."""
        i = self._find(card_id4)
        if i < 0:
            return True
        m = self._mem
        for k in (3, 2, 1, 0):                 # compare byte by byte: no 32-bit ints to box
            if value4[k] != m[i + 4 + k]:
                return value4[k] < m[i + 4 + k]
        return False

    def remember(self, card_id4, value4):
        i = self._find(card_id4)
        if i < 0:
            i = 8 * self._next
            self._next = (self._next + 1) % self._slots
            self._used = min(self._used + 1, self._slots)
        m = self._mem
        for k in range(4):
            m[i + k] = card_id4[k]
            m[i + 4 + k] = value4[k]


def _unix_now():
    t = time.time()
    return t + _EPOCH_2000 if time.gmtime(0)[0] == 2000 else t


class CardCheck:
    def __init__(self, keys_path=node_keys.KEYS_PATH, list_dir="/", probe_magic=True,
                 counter_slots=_SLOTS, clock=_unix_now):
        self.keys = node_keys.load(keys_path)
        self.list_dir = list_dir
        self.probe_magic = probe_magic
        self.rolling_counter = bool(self.keys and self.keys.rolling_counter)
        self.counters = CounterMemory(counter_slots) if self.rolling_counter else None
        self._clock = clock
        self._b4 = bytearray(16)
        self._b5 = bytearray(16)
        self._b6 = bytearray(16)
        self.card_id = None
        self.counter = None
        # A list half-received before a reset must never be installed (cardlist.md).
        cardlist_store.discard_incoming(list_dir)
        self.cards = None
        self.reload()

    def reload(self):
        """(Re)open the list in force. Kept open between taps: opening a file allocates its
        littlefs cache (kilobytes in one piece), which a long-running heap may not have."""
        if self.cards is not None:
            self.cards.close()
        self.cards = cardlist_store.open_active(self.list_dir)

    @classmethod
    def from_config(cls, cfg):
        """From the node's config section "card_check" (probe_magic, counter_slots, list_dir)."""
        c = cfg.get("card_check") or {}
        return cls(list_dir=c.get("list_dir", "/"), probe_magic=c.get("probe_magic", True),
                   counter_slots=c.get("counter_slots", _SLOTS))

    def authorize(self, card):
        self.card_id = None
        self.counter = None
        if self.keys is None:
            return False, NO_KEYS
        if not card.sak & 0x08:                    # SAK bit 3: MIFARE Classic (ref. 5.4)
            return False, NOT_CLASSIC
        try:
            return self._check(card)
        except CardError:
            return False, CARD_ERROR

    def _check(self, card):
        r = card.reader
        uid = card.uid
        keys = self.keys
        try:
            r.authenticate(KEY_A, CREDENTIAL_BLOCK, keys.card_key_a(uid))
        except CardError:
            return False, self._not_ours(r)
        self._copy(r.read(CREDENTIAL_BLOCK), self._b4)
        self._copy(r.read(MAC_BLOCK), self._b5)
        try:
            cred = read_credential(uid, self._b4, self._b5, keys.credential_key)
        except CredentialError:
            return False, self._magic_or(r, NOT_GENUINE)
        if cred.site_id != keys.site_id:
            return False, NOT_GENUINE              # cannot happen with per-site keys: belt and braces
        self.card_id = cred.card_id
        reason = self._listed(cred)
        if reason:
            return False, reason
        if self.rolling_counter and cred.flags & FLAG_ROLLING_COUNTER:
            reason = self._counter(r)
            if reason:
                return False, reason
        if self._magic_or(r, ""):
            return False, CLONE
        return True, ""

    @staticmethod
    def _copy(src, dst):
        for i in range(16):
            dst[i] = src[i]

    def _not_ours(self, r):
        """Sector 1 refused our key: blank, clone, or not genuine. The card fell to IDLE."""
        reason = NOT_GENUINE
        if r.poll(wake=True) is None:
            return reason
        try:
            r.authenticate(KEY_A, TRAILER_BLOCK, _TRANSPORT_KEY)
            reason = BLANK
        except CardError:
            if r.poll(wake=True) is None:         # selected again for the gen2 probe
                return reason
        return self._magic_or(r, reason)

    def _magic_or(self, r, reason):
        """CLONE if the selected card is magic (gen2 first: it needs the card selected;
        the gen1a probe halts it), else reason."""
        if self.probe_magic and (block0_writable(r) or answers_backdoor(r)):
            return CLONE
        return reason

    def _listed(self, cred):
        cards = self.cards
        if cards is None:
            return NO_LIST
        entry = cards.lookup(cred.card_id)
        header = cards.header
        if entry is None:
            return UNKNOWN
        issue, _flags, until_day = entry
        if cred.issue < issue:
            return REPLACED
        if cred.issue > issue:
            return ISSUE_AHEAD
        # A node whose clock was lost (RTC back at 2000 after a power cut) still knows the
        # time is no earlier than its list's creation: an expired card stays expired.
        now = max(self._clock(), header.created)
        if until_day != NO_EXPIRY_DAY and day_number(now, header.utc_offset_min) > until_day:
            return EXPIRED
        if not cred.valid_at(now):
            return NOT_YET_VALID if now // 3600 < cred.valid_from_hour else EXPIRED
        return ""

    def _counter(self, r):
        b6 = self._b6
        self._copy(r.read(COUNTER_BLOCK), b6)
        try:
            self.counter = decode_value_block(b6)
        except CredentialError:
            return DAMAGED
        cid = memoryview(self._b4)[4:8]
        if not self.counters.fresh(cid, b6):
            return CLONE
        self.counters.remember(cid, b6)
        # Write back on use: the card's value goes down by one (key A may only decrement).
        r.decrement(COUNTER_BLOCK, 1)
        r.transfer(COUNTER_BLOCK)
        return ""
