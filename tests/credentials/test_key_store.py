"""The district root sealed at rest: round trips, wrong passphrase, damaged or forged files."""
import base64
import json
import os
import stat

import pytest

from provisioning.key_store import (PURPOSE_ENROLMENT, CorruptKeyFile, KeyStoreError,
                                    WrongPassphrase, load_root, new_key_file, save_root, seal,
                                    unseal, write_backup)
from provisioning.keys import new_root, root_fingerprint

FAST = {"scrypt_n": 2 ** 12}  # tests only; the default costs 128 MiB and ~0.5 s per guess
PASSPHRASE = "river lantern copper autumn"


@pytest.fixture
def sealed_root(tmp_path):
    root = new_root()
    path = tmp_path / "district-root.json"
    fingerprint = save_root(path, root, passphrase=PASSPHRASE, **FAST)
    return root, path, fingerprint


def test_passphrase_round_trip(sealed_root):
    root, path, fingerprint = sealed_root
    assert load_root(path, passphrase=PASSPHRASE) == root
    assert fingerprint == root_fingerprint(root)
    assert root.hex() not in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_key_file_round_trip(tmp_path):
    root = new_root()
    (tmp_path / "usb").mkdir()
    secret = new_key_file(tmp_path / "usb" / "root.key")
    save_root(tmp_path / "root.json", root, key_file_secret=secret)
    assert load_root(tmp_path / "root.json", key_file_secret=secret) == root
    with pytest.raises(FileExistsError):
        new_key_file(tmp_path / "usb" / "root.key")
    with pytest.raises(WrongPassphrase, match="key file"):
        load_root(tmp_path / "root.json", passphrase=PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        load_root(tmp_path / "root.json", key_file_secret=os.urandom(32))


def test_wrong_passphrase_is_reported_as_such(sealed_root):
    _, path, _ = sealed_root
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        load_root(path, passphrase=PASSPHRASE + " ")


def test_backup_opens_with_the_custodians_own_passphrase(sealed_root, tmp_path):
    root, _, fingerprint = sealed_root
    backup = tmp_path / "backup-safe-2.json"
    assert write_backup(backup, root, passphrase="second custodian phrase", **FAST) == fingerprint
    assert load_root(backup, passphrase="second custodian phrase") == root
    with pytest.raises(WrongPassphrase):
        load_root(backup, passphrase=PASSPHRASE)


def test_a_flipped_ciphertext_byte_is_corruption_not_a_wrong_passphrase(sealed_root):
    _, path, _ = sealed_root
    doc = json.loads(path.read_text())
    raw = bytearray(base64.b64decode(doc["ciphertext"]))
    raw[5] ^= 0x01
    doc["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    path.write_text(json.dumps(doc))
    with pytest.raises(CorruptKeyFile, match="altered or damaged"):
        load_root(path, passphrase=PASSPHRASE)


@pytest.mark.parametrize("field,value", [("purpose", "enrolment keys"), ("nonce", "AAAAAAAAAAAAAAAA"),
                                          ("kdf", {"name": "scrypt", "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
                                                   "n": 1024, "r": 8, "p": 1})])
def test_edited_header_fields_are_refused(sealed_root, field, value):
    """Weakening the KDF or relabelling the file must not yield the root."""
    _, path, _ = sealed_root
    doc = json.loads(path.read_text())
    doc[field] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyStoreError):
        load_root(path, passphrase=PASSPHRASE)


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"format": "something else"}', b"\xff\xfe"])
def test_garbage_is_a_corrupt_key_file(tmp_path, content):
    path = tmp_path / "root.json"
    path.write_bytes(content)
    with pytest.raises(CorruptKeyFile):
        load_root(path, passphrase=PASSPHRASE)


def test_truncated_file_is_corrupt(sealed_root):
    _, path, _ = sealed_root
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CorruptKeyFile):
        load_root(path, passphrase=PASSPHRASE)


def test_missing_file_says_so(tmp_path):
    with pytest.raises(KeyStoreError, match="cannot read root key file"):
        load_root(tmp_path / "nope.json", passphrase=PASSPHRASE)


def test_a_file_sealed_for_another_purpose_is_not_a_root(tmp_path):
    blob = seal(b"x" * 32, PURPOSE_ENROLMENT, passphrase=PASSPHRASE, **FAST)
    (tmp_path / "r.json").write_bytes(blob)
    with pytest.raises(CorruptKeyFile, match="not the 'district root'"):
        load_root(tmp_path / "r.json", passphrase=PASSPHRASE)
    assert unseal(blob, PURPOSE_ENROLMENT, passphrase=PASSPHRASE) == b"x" * 32


def test_short_passphrases_are_refused():
    with pytest.raises(ValueError, match="too short"):
        seal(new_root(), "district root", passphrase="1234", **FAST)
