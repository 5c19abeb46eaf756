"""`doorctl card`: enrol cards through a node on USB, read them back, give door nodes their
keys and card lists (the maintenance path).

For the CLI to wire in: append `register` to host_tools.commands.REGISTRY.

Library (what the CLI wraps; every failure is a DoorctlError saying what to do):
    with NodeTransport.connect(port) as node:
        cred = write_card(node, enrolment_keys, card_id=4242, issue=1, valid_from=now)
        cred = read_card(node, site_keys)                # verify a card as a door would
        install_node_keys(node, door_node_keys)          # /keys.json on a door node
        header = install_card_list(node, list_bytes)     # (version, count); refused lists raise
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from host_tools.errors import DoorctlError

CARD_HELP = "enrol MIFARE Classic cards and install keys and card lists on door nodes"
_LIST_PATH = "/cardlist.new"
_KEYS_PATH = "/keys.json"


# ---------------------------------------------------------------- the node's reader, from the host
class NodeCardAccess:
    """provisioning.personalize.CardAccess over an enrolment node's REPL (doornode.enrol)."""

    def __init__(self, node):
        self._node = node
        self._uid: bytes | None = None

    def start(self) -> None:
        from host_tools.transport import NodeError
        try:
            self._node.exec("import doornode.enrol as _E\nprint(_E.start())", timeout=15)
        except NodeError as e:
            raise DoorctlError(f"the node's reader does not start ({e}); is this a door node "
                               "with its reader connected?") from None
        uid = self._node.eval("_E.card()")
        if uid is None:
            raise DoorctlError("no card on the enrolment node's reader: place one card on it")
        self._uid = bytes.fromhex(uid)

    def uid(self) -> bytes:
        return self._uid

    def authenticate(self, block: int, key_type: int, key: bytes) -> bool:
        from doornode.cardkeys import KEY_B
        return bool(self._node.eval(f"_E.auth({block}, {1 if key_type == KEY_B else 0}, "
                                    f"{key.hex()!r})"))

    def read_block(self, block: int) -> bytes:
        return bytes.fromhex(self._node.eval(f"_E.read({block})"))

    def write_block(self, block: int, data: bytes) -> None:
        self._node.exec(f"_E.write({block}, {bytes(data).hex()!r})")

    def done(self) -> None:
        self._node.exec("_E.done()")


def _card_errors(fn):
    """Card errors on the node (card pulled away, NAK) become one clear message."""
    from host_tools.transport import NodeError

    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except NodeError as e:
            raise DoorctlError(f"the card stopped answering ({e}); hold it still on the "
                               "reader and run the command again") from None
    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


def _current_credential(card: NodeCardAccess, site):
    """The credential a card of our site carries now, or None (blank / not readable)."""
    from doornode.cardkeys import KEY_A
    from doornode.credential import (CREDENTIAL_BLOCK, MAC_BLOCK, TRAILER_BLOCK,
                                     CredentialError, read_credential)
    uid = card.uid()
    if not card.authenticate(TRAILER_BLOCK, KEY_A, site.card_key_a(uid)):
        return None
    try:
        return read_credential(uid, card.read_block(CREDENTIAL_BLOCK), card.read_block(MAC_BLOCK),
                               site.credential_key)
    except CredentialError:
        return None


@_card_errors
def write_card(node, enrolment, card_id: int, issue: int, valid_from: int | None = None,
               valid_until: int | None = None):
    """Personalise the card on the node's reader for enrolment.site; returns the Credential.

    Refuses another site's or system's card untouched, and a card of ours that already
    carries a newer issue of the same card id (issue numbers only go up)."""
    from provisioning.personalize import PersonalizationError, personalize
    site = enrolment.site
    card = NodeCardAccess(node)
    card.start()
    try:
        old = _current_credential(card, site)
        if old is not None and old.card_id == card_id and issue < old.issue:
            raise DoorctlError(f"this card already carries card {card_id} issue {old.issue}; "
                               f"issue numbers only go up (asked for {issue})")
        try:
            return personalize(card, site, card_id=card_id, issue=issue,
                               valid_from=int(time.time()) if valid_from is None else valid_from,
                               valid_until=valid_until, rolling_counter=enrolment.rolling_counter)
        except PersonalizationError as e:
            if e.reason == "foreign":
                raise DoorctlError("refused: this card belongs to another site or system "
                                   "(sector 1 is neither blank nor ours); it was not changed") from None
            raise DoorctlError(f"card not written: {e}") from None
        except ValueError as e:
            raise DoorctlError(f"card not written: {e}") from None
    finally:
        card.done()


@_card_errors
def read_card(node, site):
    """The credential of the card on the reader, checked as a door checks it."""
    card = NodeCardAccess(node)
    card.start()
    try:
        cred = _current_credential(card, site)
    finally:
        card.done()
    if cred is None:
        raise DoorctlError(f"card {card.uid().hex()} is not a genuine card of site {site.site_id} "
                           "(blank, another site's, or its credential does not match its UID)")
    return card.uid(), cred


def install_node_keys(node, keys) -> None:
    """Give a door node its key bundle (DoorNodeKeys); it takes effect at the next boot."""
    from provisioning.keys import DoorNodeKeys
    if not isinstance(keys, DoorNodeKeys):
        raise DoorctlError("a door node takes only a door-node key bundle (never enrolment keys)")
    node.write_file(_KEYS_PATH, keys.to_bytes())


def install_card_list(node, data: bytes) -> tuple[int, int]:
    """Send a card list to a door node and install it atomically; returns (version, count).

    The node checks it against its own door key and installed version: a forged, foreign,
    older or truncated list is refused (DoorctlError with the node's reason) and the list in
    force stays."""
    from host_tools.transport import NodeError
    node.write_file(_LIST_PATH, data)
    try:
        out = node.eval("__import__('doornode.maintenance').maintenance.install_card_list()",
                        timeout=60)
    except NodeError as e:
        raise DoorctlError(f"the node refused the card list: {_device_reason(e)}; "
                           "its previous list stays in force") from None
    return tuple(out)


def _device_reason(e) -> str:
    last = e.device_traceback.strip().splitlines()[-1] if e.device_traceback.strip() else str(e)
    return last.split(": ", 1)[1] if ": " in last else last


# ---------------------------------------------------------------- CLI
def _load_enrolment(args):
    from provisioning.key_store import PURPOSE_ENROLMENT, KeyStoreError, unseal
    from provisioning.keys import EnrolmentKeys
    how = _unseal_how(args)
    try:
        blob = Path(args.keys).read_bytes()
    except OSError as e:
        raise DoorctlError(f"cannot read the enrolment keys {args.keys}: {e.strerror}") from None
    try:
        return EnrolmentKeys.from_bytes(unseal(blob, PURPOSE_ENROLMENT, **how))
    except KeyStoreError as e:
        raise DoorctlError(f"cannot open {args.keys}: {e}") from None
    except ValueError as e:
        raise DoorctlError(f"{args.keys} holds no enrolment keys: {e}") from None


def _unseal_how(args) -> dict:
    if args.key_file:
        try:
            return {"key_file_secret": Path(args.key_file).read_bytes()}
        except OSError as e:
            raise DoorctlError(f"cannot read the key file {args.key_file}: {e.strerror}") from None
    secret = os.environ.get(args.passphrase_env or "")
    if not secret:
        raise DoorctlError("the enrolment keys are sealed: give --key-file PATH, or set "
                           f"{args.passphrase_env or 'DOORCTL_ENROLMENT_PASSPHRASE'} to the passphrase")
    return {"passphrase": secret}


def _when(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise DoorctlError(f"not a date: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp())


def _add_sealed_key_args(p):
    p.add_argument("--keys", required=True, type=Path, help="the site's sealed enrolment keys")
    p.add_argument("--key-file", type=Path, default=None, help="key file that opens --keys")
    p.add_argument("--passphrase-env", default="DOORCTL_ENROLMENT_PASSPHRASE",
                   help="environment variable holding the passphrase (default %(default)s)")


def register(sub) -> argparse.ArgumentParser:
    """Add `doorctl card` to the CLI's subparsers."""
    p = sub.add_parser("card", help=CARD_HELP, description=CARD_HELP + ". See docs/security.md.")
    csub = p.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    w = csub.add_parser("write", help="turn the blank card on an enrolment node's reader into a "
                                      "system card (or re-issue one of this site's cards)")
    w.add_argument("--port", required=True, help="the enrolment node: /dev/ttyUSB0 or socket://...")
    _add_sealed_key_args(w)
    w.add_argument("--card-id", type=int, required=True, help="card id from the district server")
    w.add_argument("--issue", type=int, required=True,
                   help="issue number from the server (one more than the card it replaces)")
    w.add_argument("--valid-from", default=None, help="YYYY-MM-DD[THH:MM] UTC (default: now)")
    w.add_argument("--valid-until", default=None, help="YYYY-MM-DD[THH:MM] UTC (default: no end)")
    w.set_defaults(func=cmd_card_write)

    r = csub.add_parser("read", help="read and verify the card on an enrolment node's reader")
    r.add_argument("--port", required=True, help="the enrolment node: /dev/ttyUSB0 or socket://127.0.0.1:PORT")
    _add_sealed_key_args(r)
    r.set_defaults(func=cmd_card_read)

    k = csub.add_parser("install-keys", help="give a door node its key bundle (takes effect at boot)")
    k.add_argument("--port", required=True, help="the door node: /dev/ttyUSB0 or socket://127.0.0.1:PORT")
    k.add_argument("bundle", type=Path, help="door-node key bundle (DoorNodeKeys.to_bytes)")
    k.set_defaults(func=cmd_install_keys)

    c = csub.add_parser("install-list", help="install a card list on a door node (atomic)")
    c.add_argument("--port", required=True, help="the door node: /dev/ttyUSB0 or socket://127.0.0.1:PORT")
    c.add_argument("list", type=Path, help="card list file from the district server")
    c.set_defaults(func=cmd_install_list)
    return p


def _describe(cred) -> str:
    from doornode.credential import NO_END
    until = "no end" if cred.valid_until_hour == NO_END else \
        datetime.fromtimestamp(cred.valid_until_hour * 3600, timezone.utc).isoformat(timespec="minutes")
    return (f"site {cred.site_id}, card {cred.card_id}, issue {cred.issue}, valid from "
            f"{datetime.fromtimestamp(cred.valid_from_hour * 3600, timezone.utc).isoformat(timespec='minutes')}"
            f" until {until}")


def cmd_card_write(args) -> int:
    from host_tools.transport import NodeTransport
    enrolment = _load_enrolment(args)
    with NodeTransport.connect(args.port) as node:
        cred = write_card(node, enrolment, args.card_id, args.issue,
                          _when(args.valid_from), _when(args.valid_until))
    print(f"card written and verified: {_describe(cred)}")
    return 0


def cmd_card_read(args) -> int:
    from host_tools.transport import NodeTransport
    enrolment = _load_enrolment(args)
    with NodeTransport.connect(args.port) as node:
        uid, cred = read_card(node, enrolment.site)
    print(f"card {uid.hex()}: genuine, {_describe(cred)}")
    return 0


def cmd_install_keys(args) -> int:
    from host_tools.transport import NodeTransport
    from provisioning.keys import DoorNodeKeys
    try:
        keys = DoorNodeKeys.from_bytes(Path(args.bundle).read_bytes())
    except OSError as e:
        raise DoorctlError(f"cannot read {args.bundle}: {e.strerror}") from None
    except ValueError as e:
        raise DoorctlError(f"{args.bundle} is not a door-node key bundle: {e}") from None
    with NodeTransport.connect(args.port) as node:
        install_node_keys(node, keys)
    print(f"keys for door {keys.door_id} (site {keys.site.site_id}) installed; reboot the node")
    return 0


def cmd_install_list(args) -> int:
    from host_tools.transport import NodeTransport
    try:
        data = Path(args.list).read_bytes()
    except OSError as e:
        raise DoorctlError(f"cannot read {args.list}: {e.strerror}") from None
    with NodeTransport.connect(args.port) as node:
        version, count = install_card_list(node, data)
    print(f"card list version {version} with {count} cards installed")
    return 0
