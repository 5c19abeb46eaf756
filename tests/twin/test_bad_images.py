"""Flash the board would refuse: the twin refuses it the same way, and changes nothing."""
import hashlib

import pytest

from hw.twin.launcher import Twin, TwinError
from provisioning.flash_image import FLASH_SIZE, VFS_OFFSET


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_corrupt_partition_table_stops_the_boot(tmp_path, image_bytes):
    data = bytearray(image_bytes)
    data[0x8000 + 8] ^= 0xFF                    # an entry no longer matches its MD5
    path = tmp_path / "bad-table.bin"
    path.write_bytes(bytes(data))
    before = _digest(path)
    with Twin(path) as twin:
        assert twin.wait_console(b"load partition table error", 5)
        assert "partition table MD5 mismatch" in twin.console_text()
        assert "doornode " not in twin.console_text()        # no firmware ran
        assert any(e["kind"] == "image" for e in twin.timeline)
    assert _digest(path) == before


def test_garbage_in_the_vfs_is_refused_not_formatted(tmp_path, image_bytes):
    data = bytearray(image_bytes)
    data[VFS_OFFSET:VFS_OFFSET + 8192] = bytes(range(256)) * 32
    path = tmp_path / "bad-vfs.bin"
    path.write_bytes(bytes(data))
    before = _digest(path)
    with Twin(path) as twin:
        assert twin.wait_console(b"filesystem appears to be corrupted", 5)
        assert "doornode " not in twin.console_text()
    assert _digest(path) == before                          # nothing was formatted over it


def test_blank_vfs_is_formatted_at_first_boot(tmp_path, image_bytes):
    data = bytearray(image_bytes)
    data[VFS_OFFSET:] = b"\xff" * (FLASH_SIZE - VFS_OFFSET)
    path = tmp_path / "blank.bin"
    path.write_bytes(bytes(data))
    with Twin(path) as twin:
        assert twin.wait_console(b"Performing initial setup", 5)
        assert twin.wait_console(b">>> ", 5)
    from provisioning.flash_image import read_image
    assert "boot.py" in read_image(path).files()


def test_image_of_the_wrong_size_is_refused_with_a_clear_error(tmp_path, image_bytes):
    path = tmp_path / "short.bin"
    path.write_bytes(image_bytes[: FLASH_SIZE // 2])
    with pytest.raises(TwinError, match="4 MB"):
        Twin(path).start()
    assert path.stat().st_size == FLASH_SIZE // 2
