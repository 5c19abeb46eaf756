"""The district key hierarchy: one root secret, everything else derived from it.

    root = new_root()                                   # once per district (ceremony: docs/security.md)
    door_key(root, door_id)      -> 32 bytes            # authenticates one door's card lists (and logs)
    site_key(root, site_id)      -> 32 bytes            # a site's card secret; SiteCardKeys splits it
    keys = SiteCardKeys.for_site(root, site_id)
    keys.card_key_a(uid) / keys.card_key_b(uid)         # 6-byte MIFARE keys of one card (AN10922)
    door_node_keys(root, door_id, site_id)              # what one door node receives
    enrolment_keys(root, site_id)                       # what one site's enrolment station receives

Derivation is HMAC-SHA256(parent, "doornode/v1/<label>" || u32 id...) (an HKDF-Expand
step with one output block): one-way, so no derived key reveals its parent or a
sibling. A door node gets its own door key and its site's *read* keys; the key B
master, which alone can write cards, goes only to that site's enrolment station.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, hmac

from doornode.cardkeys import KEY_A, KEY_B, classic_key, site_system_id
from doornode.credential import CREDENTIAL_SECTOR

ROOT_SIZE = 32
DOOR_KEY_SIZE = 32
SITE_KEY_SIZE = 32
MAX_SITE_ID = 0xFFFF  # the credential block holds the site in 16 bits
_LABEL_PREFIX = b"doornode/v1/"


class MissingKey(Exception):
    """The key bundle at hand does not hold the key this operation needs (by design)."""


def new_root() -> bytes:
    """A fresh district root secret from the OS's random source."""
    return os.urandom(ROOT_SIZE)


def _prf(parent: bytes, label: str, *numbers: int) -> bytes:
    mac = hmac.HMAC(parent, hashes.SHA256())
    mac.update(_LABEL_PREFIX + label.encode())
    for n in numbers:
        mac.update(n.to_bytes(4, "big"))
    return mac.finalize()


def _check_root(root: bytes) -> None:
    if not isinstance(root, (bytes, bytearray)) or len(root) < ROOT_SIZE:
        raise ValueError(f"district root must be at least {ROOT_SIZE} bytes")


def _check_id(name: str, value: int, maximum: int = 0xFFFFFFFF) -> None:
    if not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValueError(f"{name} must be an integer 0..{maximum}, got {value!r}")


def root_fingerprint(root: bytes) -> str:
    """Short public identifier of a root (16 hex digits): compare it on every backup copy."""
    _check_root(root)
    return hashlib.sha256(_prf(root, "fingerprint")).hexdigest()[:16]


def door_key(root: bytes, door_id: int) -> bytes:
    """The door node's own secret: authenticates its card lists (and, later, logs and acks)."""
    _check_root(root)
    _check_id("door id", door_id)
    return _prf(root, "door", door_id)


def site_key(root: bytes, site_id: int) -> bytes:
    """A site's card secret, parent of its card masters and credential MAC key."""
    _check_root(root)
    _check_id("site id", site_id, MAX_SITE_ID)
    return _prf(root, "site", site_id)


@dataclass(frozen=True)
class SiteCardKeys:
    """The keys for one site's cards. write_master is None in a door node's copy."""

    site_id: int
    # repr=False: key bundles end up in tracebacks and logs; their keys must not.
    read_master: bytes = field(repr=False)          # AES-128: diversifies key A (door nodes read)
    write_master: bytes | None = field(repr=False)  # AES-128: diversifies key B (enrolment only)
    credential_key: bytes = field(repr=False)       # HMAC key of the credential block's MAC

    @classmethod
    def from_site_key(cls, site_id: int, key: bytes) -> "SiteCardKeys":
        _check_id("site id", site_id, MAX_SITE_ID)
        if len(key) != SITE_KEY_SIZE:
            raise ValueError(f"site key must be {SITE_KEY_SIZE} bytes")
        return cls(site_id, _prf(key, "card key A master")[:16],
                   _prf(key, "card key B master")[:16], _prf(key, "credential mac"))

    @classmethod
    def for_site(cls, root: bytes, site_id: int) -> "SiteCardKeys":
        return cls.from_site_key(site_id, site_key(root, site_id))

    def read_only(self) -> "SiteCardKeys":
        """The copy a door node gets: it can check cards but never write one."""
        return SiteCardKeys(self.site_id, self.read_master, None, self.credential_key)

    def card_key_a(self, uid: bytes, sector: int = CREDENTIAL_SECTOR) -> bytes:
        return classic_key(self.read_master, uid, sector, KEY_A, site_system_id(self.site_id))

    def card_key_b(self, uid: bytes, sector: int = CREDENTIAL_SECTOR) -> bytes:
        if self.write_master is None:
            raise MissingKey("this key bundle cannot write cards: key B master is held "
                             "only by the site's enrolment station")
        return classic_key(self.write_master, uid, sector, KEY_B, site_system_id(self.site_id))

    def _as_json(self) -> dict:
        out = {"site_id": self.site_id, "read_master": self.read_master.hex(),
               "credential_key": self.credential_key.hex()}
        if self.write_master is not None:
            out["write_master"] = self.write_master.hex()
        return out

    @classmethod
    def _from_json(cls, obj: dict) -> "SiteCardKeys":
        wm = obj.get("write_master")
        return cls(int(obj["site_id"]), bytes.fromhex(obj["read_master"]),
                   bytes.fromhex(wm) if wm else None, bytes.fromhex(obj["credential_key"]))


# --- Bundles: exactly the keys one machine's work needs -------------------------

DOOR_NODE_FORMAT = "doornode door keys"
ENROLMENT_FORMAT = "doornode enrolment keys"


@dataclass(frozen=True)
class DoorNodeKeys:
    """Installed on one door node: its door key and its site's read-only card keys."""

    door_id: int
    door_key: bytes = field(repr=False)
    site: SiteCardKeys
    rolling_counter: bool = False  # the site's setting: check and decrement card counters

    def to_bytes(self) -> bytes:
        """JSON the node parses with its built-in json module (keys as hex)."""
        return json.dumps({"format": DOOR_NODE_FORMAT, "version": 1, "door_id": self.door_id,
                           "door_key": self.door_key.hex(), "site": self.site._as_json(),
                           "rolling_counter": self.rolling_counter}, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "DoorNodeKeys":
        obj = _load_bundle(data, DOOR_NODE_FORMAT)
        site = SiteCardKeys._from_json(obj["site"])
        if site.write_master is not None:
            raise ValueError("a door node bundle must not hold the key B master")
        return cls(int(obj["door_id"]), bytes.fromhex(obj["door_key"]), site,
                   bool(obj["rolling_counter"]))


@dataclass(frozen=True)
class EnrolmentKeys:
    """Held by one site's enrolment station: may personalise that site's cards."""

    site: SiteCardKeys
    rolling_counter: bool = False

    def to_bytes(self) -> bytes:
        return json.dumps({"format": ENROLMENT_FORMAT, "version": 1, "site": self.site._as_json(),
                           "rolling_counter": self.rolling_counter}, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "EnrolmentKeys":
        obj = _load_bundle(data, ENROLMENT_FORMAT)
        return cls(SiteCardKeys._from_json(obj["site"]), bool(obj["rolling_counter"]))


def _load_bundle(data: bytes, expected_format: str) -> dict:
    try:
        obj = json.loads(data)
        if obj.get("format") != expected_format or obj.get("version") != 1:
            raise ValueError(f"not a {expected_format} bundle (format {obj.get('format')!r})")
        return obj
    except (ValueError, AttributeError, KeyError) as exc:
        raise ValueError(f"unreadable key bundle: {exc}") from exc


def door_node_keys(root: bytes, door_id: int, site_id: int,
                   rolling_counter: bool = False) -> DoorNodeKeys:
    return DoorNodeKeys(door_id, door_key(root, door_id),
                        SiteCardKeys.for_site(root, site_id).read_only(), rolling_counter)


def enrolment_keys(root: bytes, site_id: int, rolling_counter: bool = False) -> EnrolmentKeys:
    return EnrolmentKeys(SiteCardKeys.for_site(root, site_id), rolling_counter)
