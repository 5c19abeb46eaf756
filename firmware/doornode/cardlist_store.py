"""Installing a card list on the node's file system, atomically.

    receive(directory, stream)                    # maintenance path: bytes -> cardlist.new
    header = install(directory, door_id, door_key)  # verify cardlist.new, then rename over cardlist.bin
    cards = open_active(directory)                # CardList or None

The new list is written to a separate file and verified in full (MAC, door,
version newer than the installed one) before one rename replaces the old list.
littlefs renames atomically, so a power cut at any moment leaves either the old
list or the new one in force, never a mix; a refused or half-received list is
deleted and the old one stays. Paths are plain strings joined with "/" (no
os.path on MicroPython); `directory` is "" for the file system root.
"""
import os

from doornode.cardlist import (CardList, CardListError, verify_stream, parse_header,
                               HEADER_SIZE, MISSING)

ACTIVE_NAME = "cardlist.bin"
INCOMING_NAME = "cardlist.new"
_COPY_CHUNK = 512


def _path(directory, name):
    return directory.rstrip("/") + "/" + name if directory else name


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def installed_header(directory):
    """Header of the list in force, or None when no list is installed."""
    try:
        with open(_path(directory, ACTIVE_NAME), "rb") as f:
            return parse_header(f.read(HEADER_SIZE))
    except (OSError, CardListError):
        return None


def receive(directory, stream):
    """Copy a list arriving on a stream (USB, network) into the incoming file, in chunks.
    Returns the number of bytes received. The list in force is not touched."""
    path = _path(directory, INCOMING_NAME)
    buf = bytearray(_COPY_CHUNK)
    view = memoryview(buf)
    total = 0
    with open(path, "wb") as out:
        while True:
            n = stream.readinto(buf)
            if not n:
                break
            out.write(view[:n])
            total += n
    return total


def install(directory, door_id, door_key):
    """Verify the incoming list and make it the list in force; return its Header.

    Raises CardListError (reason: truncated, forged, foreign door, not newer, bad
    format) after deleting the incoming file; the old list stays in force.
    """
    incoming = _path(directory, INCOMING_NAME)
    current = installed_header(directory)
    try:
        with open(incoming, "rb") as f:
            header = verify_stream(f, door_id, door_key, current.version if current else None)
    except OSError as e:
        _remove(incoming)
        raise CardListError(MISSING, "no incoming card list (%s)" % e)
    except CardListError:
        _remove(incoming)
        raise
    # The commit point: littlefs replaces the target in one metadata commit.
    os.rename(incoming, _path(directory, ACTIVE_NAME))
    return header


def discard_incoming(directory):
    """At boot: a list half-received before a reset is never installed; drop it."""
    _remove(_path(directory, INCOMING_NAME))


def open_active(directory):
    """The list in force as an open CardList (close it when done), or None."""
    try:
        f = open(_path(directory, ACTIVE_NAME), "rb")
    except OSError:
        return None
    try:
        return CardList(f)
    except CardListError:
        f.close()
        return None
