"""Names of event types, alarms and reasons, and the card field (host and node sink).

    code = TYPES["grant"]; type_name(code) -> "grant"
    card, kind = card_field("04a1b2c3"); extra = card_extra(kind, refusals=2)
"""
import binascii
import hashlib

from doornode import event_record as er

TYPES = {"boot": er.EV_BOOT, "grant": er.EV_GRANT, "deny": er.EV_DENY, "exit": er.EV_EXIT,
         "door_open": er.EV_DOOR_OPEN, "door_closed": er.EV_DOOR_CLOSED, "alarm": er.EV_ALARM,
         "alarm_clear": er.EV_ALARM_CLEAR, "alarm_reset": er.EV_ALARM_RESET,
         "reader_fault": er.EV_READER_FAULT, "reader_ok": er.EV_READER_OK,
         "task_stalled": er.EV_TASK_STALLED, "config_error": er.EV_CONFIG_ERROR,
         "reader_error": er.EV_READER_ERROR, "clock_set": er.EV_CLOCK_SET, "cardlist": er.EV_CARDLIST,
         "events_lost": er.EV_EVENTS_LOST, "log_repaired": er.EV_LOG_REPAIRED, "ack": er.EV_ACK,
         "heap": er.EV_HEAP, "other": er.EV_OTHER}

ALARMS = {"forced_open": 1, "held_open": 2, "refused_cards": 3, "tamper": 4, "fire": 5,
          "reader_fault": 6, "log_filling": 7, "flash_fault": 8, "task_stalled": 9}
DENY_REASONS = {"not listed": 1, "not genuine": 2, "expired": 3, "replaced": 4, "not yet valid": 5,
                "wrong site": 6, "clone": 7, "no card list": 8, "damaged": 9, "transport keys": 10,
                "read failed": 11, "not valid": 12}
RESET_CAUSES = {"power-on": 1, "hard reset": 2, "watchdog": 3, "deep sleep": 4, "software reset": 5}
TASKS = {"reader": 1, "inputs": 2, "housekeeping": 3, "supervisor": 4, "maintenance": 5}
OTHER_REASON = 255

# extra bits of grant and deny
CARD_ID = 0            # bits 14-15: what the card field holds
CARD_UID4 = 1          # a 4-byte UID
CARD_UID_HASH = 2      # first 4 bytes of SHA-256 of a longer UID
SEVERAL = 0x0100       # several cards were in the field
_KIND_SHIFT = 14


def type_name(code):
    code &= 0x7F
    for name in TYPES:
        if TYPES[name] == code:
            return name
    return "type%d" % code


def reason_name(table, code):
    for name in table:
        if table[name] == code:
            return name
    return "other" if code == OTHER_REASON else str(code)


def card_field(card):
    """(card value, kind) for the card field from an id (int) or a UID in hex."""
    if card is None:
        return 0, CARD_ID
    if isinstance(card, int):
        return card & 0xFFFFFFFF, CARD_ID
    if isinstance(card, (bytes, bytearray)):
        uid = bytes(card)
    else:
        uid = binascii.unhexlify(card)
    if len(uid) <= 4:
        return int.from_bytes(uid, "big"), CARD_UID4
    return int.from_bytes(hashlib.sha256(uid).digest()[:4], "big"), CARD_UID_HASH


def card_extra(kind, refusals=0, several=False):
    return (kind << _KIND_SHIFT) | (SEVERAL if several else 0) | (refusals & 0xFF)


def card_kind(extra):
    return extra >> _KIND_SHIFT


