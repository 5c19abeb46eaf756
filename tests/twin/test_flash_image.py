"""The flash image builder: ESP32_GENERIC layout, partition table, littlefs vfs, round trips."""
import hashlib
import struct

import pytest
from littlefs import LittleFS

from hw.twin.node import partitions
from provisioning.flash_image import (FLASH_SIZE, VFS_OFFSET, VFS_SIZE, ImageError, NodeConfig, build_image,
                                      check_image, place_firmware, read_image)
from tests.conftest import FIRMWARE, copy_firmware


def test_partition_table_is_esp_idf_binary_with_md5():
    table = partitions.encode(partitions.ESP32_GENERIC)
    assert len(table) == 0xC00
    # First entry: nvs, data/nvs at 0x9000, 0x6000 bytes.
    magic, t, st, off, size, name, flags = struct.unpack("<2sBBLL16sL", table[:32])
    assert (magic, t, st, off, size, name.rstrip(b"\0")) == (b"\xaa\x50", 1, 2, 0x9000, 0x6000, b"nvs")
    md5_entry = table[96:128]
    assert md5_entry[:2] == b"\xeb\xeb" and md5_entry[2:16] == b"\xff" * 14
    assert md5_entry[16:] == hashlib.md5(table[:96]).digest()
    assert table[128:] == b"\xff" * (0xC00 - 128)
    assert partitions.decode(table) == list(partitions.ESP32_GENERIC)


def test_vfs_partition_follows_the_last_one_to_the_end_of_flash():
    table = partitions.encode(partitions.ESP32_GENERIC)
    assert partitions.vfs_region(table, FLASH_SIZE) == (0x200000, 0x200000)


@pytest.mark.parametrize("damage, message", [
    (lambda t: t[:120] + bytes([t[120] ^ 1]) + t[121:], "MD5 mismatch"),       # MD5 byte flipped
    (lambda t: t[:20] + bytes([t[20] ^ 0x40]) + t[21:], "MD5 mismatch"),       # an entry changed
    (lambda t: b"\x00\x00" + t[2:], "invalid magic"),
    (lambda t: t[:96] + b"\xff" * (len(t) - 96), "no MD5 entry"),
])
def test_damaged_partition_table_is_refused(damage, message):
    table = damage(partitions.encode(partitions.ESP32_GENERIC))
    with pytest.raises(ValueError, match=message):
        partitions.decode(table)


def test_image_round_trip_holds_every_firmware_file_and_the_config(bare_firmware):
    image_bytes = build_image(bare_firmware, NodeConfig(node_id="door-test-0001"), compile_mpy=False)
    img = check_image(image_bytes)
    assert len(image_bytes) == FLASH_SIZE
    assert (img.vfs_offset, img.vfs_size) == (VFS_OFFSET, VFS_SIZE)
    files = img.files()
    expected = {p.relative_to(bare_firmware).as_posix(): p.read_bytes()
                for p in bare_firmware.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    for rel, data in expected.items():
        assert files[rel] == data, rel
    assert img.config()["node_id"] == "door-test-0001"
    # The app region of a twin image stays erased.
    assert image_bytes[0x1000:0x8000] == b"\xff" * 0x7000


def test_vfs_uses_the_esp32_littlefs_geometry(image_bytes):
    fs = LittleFS(block_size=4096, block_count=512, read_size=32, prog_size=32, lookahead_size=32,
                  name_max=255, disk_version=0x00020001, mount=False)
    fs.context.buffer[:] = image_bytes[VFS_OFFSET:]
    fs.mount()
    assert "boot.py" in fs.listdir("/")
    assert fs.fs_stat().block_size == 4096 and fs.fs_stat().block_count == 512


def test_settings_and_door_go_into_config_json(tmp_path):
    image = build_image(FIRMWARE, NodeConfig(node_id="door-7", board="esp32_devkitc", door_id=7,
                                             settings={"relay_pulse_ms": 3000}))
    cfg = check_image(image).config()
    assert cfg == {"node_id": "door-7", "board": "esp32_devkitc", "door_id": 7, "relay_pulse_ms": 3000}


def test_mpy_compiled_image_holds_bytecode_for_package_modules():
    files = check_image(build_image(FIRMWARE, NodeConfig(node_id="n"))).files()
    assert "main.py" in files and "boot.py" in files          # the board runs these by name
    assert "doornode/app.mpy" in files and "doornode/app.py" not in files
    assert files["doornode/app.mpy"][:2] == b"M\x06"          # mpy v6


def test_syntax_error_in_firmware_is_reported_by_mpy_cross(tmp_path):
    fw = copy_firmware(tmp_path)
    (fw / "doornode" / "broken.py").write_text("def f(:\n")
    with pytest.raises(ImageError, match="mpy-cross failed on doornode/broken.py"):
        build_image(fw, NodeConfig(node_id="n"), compile_mpy=True)


def test_files_too_big_for_the_vfs_get_a_clear_error():
    with pytest.raises(ImageError, match="do not fit"):
        build_image(FIRMWARE, NodeConfig(node_id="n"), extra_files={"big.bin": b"\0" * (VFS_SIZE + 4096)})


def test_wrong_size_image_is_refused(tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(b"\xff" * (FLASH_SIZE // 2))
    with pytest.raises(ImageError, match="expected|4 MB"):
        read_image(path)


def test_missing_image_and_missing_firmware_dir(tmp_path):
    with pytest.raises(ImageError, match="no image file"):
        read_image(tmp_path / "nope.bin")
    with pytest.raises(ImageError, match="no firmware directory"):
        build_image(tmp_path / "nofw", NodeConfig(node_id="n"))


def test_corrupt_vfs_is_reported_as_corrupted(image_bytes):
    data = bytearray(image_bytes)
    data[VFS_OFFSET:VFS_OFFSET + 8192] = b"\x5a" * 8192          # both superblock copies
    with pytest.raises(ImageError, match="filesystem appears to be corrupted"):
        check_image(bytes(data)).files()


def _fake_micropython_bin(table=None):
    """An ESP32 firmware .bin as flashed at 0x1000: image header, then its table at 0x7000."""
    fw = bytearray(b"\xff" * 0x9000)
    fw[0] = 0xE9
    fw[0x7000:0x7000 + 0xC00] = table if table is not None else partitions.encode(partitions.ESP32_GENERIC)
    return bytes(fw)


def test_micropython_firmware_is_placed_at_0x1000():
    image = build_image(FIRMWARE, NodeConfig(node_id="n", board="esp32_devkitc"), app_bin=_fake_micropython_bin())
    assert image[0x1000] == 0xE9
    assert check_image(image).entries == list(partitions.ESP32_GENERIC)


@pytest.mark.parametrize("firmware, message", [
    (b"\x00" * 100, "not an ESP32 image"),
    (b"\xe9" + b"\0" * (0x200000), "overlap"),
    (_fake_micropython_bin(partitions.encode((("factory", 0, 0, 0x10000, 0x300000),))), "not ESP32_GENERIC"),
])
def test_unsuitable_micropython_firmware_is_refused(firmware, message):
    with pytest.raises(ImageError, match=message):
        place_firmware(bytearray(FLASH_SIZE), firmware)
