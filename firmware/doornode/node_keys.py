"""The door node's keys: /keys.json, written once at provisioning, loaded once at boot.

    keys = load()          # NodeKeys, or None on a node that has not been given its keys
    keys.door_id, keys.door_key, keys.site_id, keys.card_key_a(uid), keys.credential_key

The file is provisioning.keys.DoorNodeKeys.to_bytes(): JSON with hex keys. It reaches the
node in its flash image (`doorctl image build --keys FILE` / build_image extra_files) or
over USB (`doorctl card install-keys`). It holds only what a door needs: the door key
(card lists) and the site's read-only card keys (key A master, credential MAC key); a
bundle carrying the key B master, which can write cards, is refused.
"""
import json

from doornode.cardkeys import KEY_A as _DIV_KEY_A, Diversifier, site_system_id
from doornode.credential import CREDENTIAL_SECTOR

KEYS_PATH = "/keys.json"
_FORMAT = "doornode door keys"


class KeyFileError(ValueError):
    pass


class NodeKeys:
    __slots__ = ("door_id", "door_key", "site_id", "credential_key", "rolling_counter", "_div")

    def __init__(self, door_id, door_key, site_id, read_master, credential_key, rolling_counter):
        self.door_id = door_id
        self.door_key = door_key
        self.site_id = site_id
        self.credential_key = credential_key
        self.rolling_counter = rolling_counter
        self._div = Diversifier(read_master, site_system_id(site_id))

    def card_key_a(self, uid):
        """The card's own key A for the credential sector (AN10922, diversified by UID)."""
        return self._div.classic_key(uid, CREDENTIAL_SECTOR, _DIV_KEY_A)


def parse(data):
    """NodeKeys from the bundle's bytes; KeyFileError says what is wrong."""
    try:
        obj = json.loads(data)
        if obj.get("format") != _FORMAT or obj.get("version") != 1:
            raise KeyFileError("not a door-node key bundle")
        site = obj["site"]
        if site.get("write_master"):
            # A door must never be able to write cards: refuse rather than ignore.
            raise KeyFileError("bundle holds the key B master; a door node must not")
        keys = NodeKeys(int(obj["door_id"]), bytes.fromhex(obj["door_key"]), int(site["site_id"]),
                        bytes.fromhex(site["read_master"]), bytes.fromhex(site["credential_key"]),
                        bool(obj.get("rolling_counter")))
    except KeyFileError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise KeyFileError("unreadable key bundle: %r" % (e,))
    if len(keys.door_key) != 32 or len(keys.credential_key) != 32:
        raise KeyFileError("key sizes wrong")
    return keys


def load(path=KEYS_PATH):
    """The node's keys, or None when the file is missing (an unprovisioned node refuses every
    card). Raises KeyFileError for a damaged file: it must be seen, not silently ignored."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return parse(data)
