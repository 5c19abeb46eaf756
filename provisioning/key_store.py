"""Secrets at rest: the district root (and enrolment bundles) sealed in a file.

    save_root(path, root, passphrase="...")              # or key_file_secret=open(...).read()
    root = load_root(path, passphrase="...")             # WrongPassphrase / CorruptKeyFile
    write_backup(backup_path, root, passphrase="other custodian's passphrase")

A sealed file is JSON: how the wrapping key was made (scrypt from a passphrase, or
HKDF from a 32-byte key file kept on removable media), a short check value of that
key, and AES-256-GCM ciphertext of the secret. Every header field is GCM
associated data, so editing the KDF parameters, the purpose or the check value
makes the file fail as corrupt instead of weakening it. The check value lets us
tell a mistyped passphrase apart from a damaged or forged file; it gives an
attacker nothing the GCM tag would not (each guess still costs one scrypt).
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from provisioning.keys import ROOT_SIZE, root_fingerprint

SEALED_FORMAT = "doornode sealed secret"
PURPOSE_ROOT = "district root"
PURPOSE_ENROLMENT = "enrolment keys"
KEY_FILE_SIZE = 32
# scrypt cost for people's passphrases: 2**17 x 8 x 128 B = 128 MiB, ~0.5 s per guess.
DEFAULT_SCRYPT_N = 2 ** 17
_CHECK_SIZE = 8


class KeyStoreError(Exception):
    """A sealed secret could not be opened; the message says what to do."""


class WrongPassphrase(KeyStoreError):
    pass


class CorruptKeyFile(KeyStoreError):
    pass


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _unb64(s) -> bytes:
    return base64.b64decode(s.encode(), validate=True)


def _wrapping_key(kdf: dict, passphrase: str | None, key_file_secret: bytes | None) -> bytes:
    salt = _unb64(kdf["salt"])
    if kdf["name"] == "scrypt":
        if passphrase is None:
            raise WrongPassphrase("this file is sealed with a passphrase; give the passphrase")
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if n < 2 ** 10 or n > 2 ** 22 or r < 1 or r > 32 or p < 1 or p > 16:
            raise CorruptKeyFile("scrypt parameters out of range")
        return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    if kdf["name"] == "key-file":
        if key_file_secret is None:
            raise WrongPassphrase("this file is sealed with a key file; give the key file")
        if len(key_file_secret) != KEY_FILE_SIZE:
            raise WrongPassphrase(f"a key file holds exactly {KEY_FILE_SIZE} bytes")
        return HKDF(hashes.SHA256(), 32, salt, b"doornode sealed secret").derive(key_file_secret)
    raise CorruptKeyFile(f"unknown key derivation {kdf['name']!r}")


def _split(wrapping: bytes) -> tuple[bytes, bytes]:
    def part(label: bytes) -> bytes:
        mac = hmac.HMAC(wrapping, hashes.SHA256())
        mac.update(label)
        return mac.finalize()
    return part(b"encrypt"), part(b"check")[:_CHECK_SIZE]


def _aad(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def seal(secret: bytes, purpose: str, *, passphrase: str | None = None,
         key_file_secret: bytes | None = None, scrypt_n: int = DEFAULT_SCRYPT_N) -> bytes:
    """Encrypt a secret for storage. Exactly one of passphrase / key_file_secret."""
    if (passphrase is None) == (key_file_secret is None):
        raise ValueError("seal with a passphrase or a key file (exactly one)")
    if passphrase is not None and len(passphrase) < 12:
        raise ValueError("passphrase too short: use at least 12 characters (several words)")
    salt = os.urandom(16)
    if passphrase is not None:
        kdf = {"name": "scrypt", "salt": _b64(salt), "n": scrypt_n, "r": 8, "p": 1}
    else:
        kdf = {"name": "key-file", "salt": _b64(salt)}
    enc, check = _split(_wrapping_key(kdf, passphrase, key_file_secret))
    nonce = os.urandom(12)
    header = {"format": SEALED_FORMAT, "version": 1, "purpose": purpose, "kdf": kdf,
              "check": _b64(check), "nonce": _b64(nonce)}
    ciphertext = AESGCM(enc).encrypt(nonce, secret, _aad(header))
    return json.dumps(dict(header, ciphertext=_b64(ciphertext)), indent=1).encode() + b"\n"


def unseal(blob: bytes, purpose: str, *, passphrase: str | None = None,
           key_file_secret: bytes | None = None) -> bytes:
    """Decrypt a sealed secret; WrongPassphrase or CorruptKeyFile say which went wrong."""
    try:
        obj = json.loads(blob)
        header = {k: obj[k] for k in ("format", "version", "purpose", "kdf", "check", "nonce")}
        ciphertext = _unb64(obj["ciphertext"])
        if header["format"] != SEALED_FORMAT or header["version"] != 1:
            raise CorruptKeyFile("not a sealed doornode secret")
        nonce, stored_check = _unb64(header["nonce"]), _unb64(header["check"])
        wrapping = _wrapping_key(header["kdf"], passphrase, key_file_secret)
    except KeyStoreError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptKeyFile(f"key file is damaged or not a key file ({exc})") from exc
    if header["purpose"] != purpose:
        raise CorruptKeyFile(f"this file holds the {header['purpose']!r}, not the {purpose!r}")
    enc, check = _split(wrapping)
    if check != stored_check:
        raise WrongPassphrase("wrong passphrase or key file")
    try:
        return AESGCM(enc).decrypt(nonce, ciphertext, _aad(header))
    except (InvalidTag, ValueError) as exc:
        raise CorruptKeyFile("the passphrase is right but the file was altered or damaged: "
                             "restore it from a backup copy") from exc


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, replacing any old one atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def new_key_file(path: Path) -> bytes:
    """Create a random key file (for removable media); returns its contents."""
    secret = os.urandom(KEY_FILE_SIZE)
    if Path(path).exists():
        raise FileExistsError(f"{path} exists: refusing to overwrite a key file")
    _write_private(Path(path), secret)
    return secret


def save_root(path: Path, root: bytes, **how) -> str:
    """Seal the root into path (passphrase= or key_file_secret=); returns its fingerprint."""
    if len(root) != ROOT_SIZE:
        raise ValueError(f"district root must be {ROOT_SIZE} bytes")
    _write_private(Path(path), seal(root, PURPOSE_ROOT, **how))
    return root_fingerprint(root)


def load_root(path: Path, **how) -> bytes:
    try:
        blob = Path(path).read_bytes()
    except OSError as exc:
        raise KeyStoreError(f"cannot read root key file {path}: {exc.strerror}") from exc
    root = unseal(blob, PURPOSE_ROOT, **how)
    if len(root) != ROOT_SIZE:
        raise CorruptKeyFile("sealed root has the wrong size")
    return root


def write_backup(path: Path, root: bytes, **how) -> str:
    """A backup copy for another custodian, sealed under their own passphrase or key file."""
    return save_root(path, root, **how)
