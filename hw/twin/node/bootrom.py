"""The twin's boot ROM: what the ESP32's bootloader and _boot.py do, on the unix port.

Imported by rom.py, which the launcher runs as `micropython -X heapsize=N -i
rom.py` with the image file and the launcher's link port in the environment;
kept as a module (compiled, alive for the node's lifetime) so that its code
never leaves or joins the firmware's heap budget. It loads the hardware
models, reads the partition table, mounts the vfs partition of the image at /
(formatting only blank flash, refusing a corrupted one like _boot.py), runs
boot.py, then main.py unless the reset came from the raw REPL, and falls
through to the REPL.
"""
import sys
import os
import gc
import vfs
import micropython

# Like the ESP32's bootloader and _boot.py, the ROM cannot be interrupted:
# a Ctrl-C sent while the node boots waits in the line for the REPL.
micropython.kbd_intr(-1)

# The firmware's heap, taken first so that it is one piece at the bottom of
# the heap; the twin's own modules load above it (see _ballast).
# (Held only inside a list, so no stale pointer to it is left for the
# conservative GC to find when it is released.)
_heap_target = int(os.getenv("TWIN_NODE_HEAP") or "0")
_firmware_heap = [bytearray(_heap_target)] if _heap_target else []

_NODE_DIR = os.getenv("TWIN_NODE_DIR")

import world
# The shims must be in sys.modules before firmware (or frozen asyncio) imports these names.
import machine
import time
import select  # noqa: F401
import hardware
import blockdev
import twin
import partitions

# Load every model module now: after / is the node's flash, the host's files
# are out of reach, as they would be on a board.
for _name in os.listdir(_NODE_DIR):
    if _name.endswith(".py") and not _name.startswith("_") and _name[:-3] not in sys.modules and _name != "rom.py":
        __import__(_name[:-3])

_boot = {"ready": False}


def _on_boot(msg):
    _boot.update(msg)


def _on_ready(msg):
    _boot["ready"] = True


_go = {}
world.on("go", _go.update)
world.on("boot", _on_boot)
world.on("ready", _on_ready)
world.connect(int(os.getenv("TWIN_LINK_PORT")))
hardware.build_devices(machine, world)
world.send({"t": "hello"})
if not world.wait_until(lambda: _boot["ready"], 10000):
    print("twin: no answer from the launcher")
    world.halt_for_power_cut()

machine._configure(_boot["reset_cause"], bytes.fromhex(_boot["mac"]), _boot["rtc"])

_RST_LINES = {
    1: "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    2: "rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    3: "rst:0x7 (TG0WDT_SYS_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    4: "rst:0x5 (DEEPSLEEP_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    5: "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
}
if not _boot.get("soft"):
    print(_RST_LINES.get(_boot["reset_cause"], ""))


def _halt(lines):
    # The bootloader stops here; the board would reset in a loop.
    for line in lines:
        print(line)
    while True:
        world.wait(3600000)


def _mount():
    f = open(os.getenv("TWIN_IMAGE"), "r+b")
    f.seek(0, 2)
    flash_size = f.tell()
    f.seek(partitions.TABLE_OFFSET)
    table = f.read(partitions.TABLE_SIZE)
    try:
        offset, size = partitions.vfs_region(table, flash_size)
    except ValueError as e:
        _halt(("E (%d) flash_parts: %s" % (time.ticks_ms(), e),
               "E (%d) boot: Failed to verify partition table" % time.ticks_ms(),
               "E (%d) boot: load partition table error!" % time.ticks_ms()))
    part = blockdev.FlashPartition(f, offset, size, lambda: world.service(0, False))
    twin._flash[0] = part
    flash = _boot.get("flash") or {}
    part.configure_faults(flash.get("cut_at", 0), flash.get("tear", False), world.halt_for_power_cut)
    vfs.umount("/")
    try:
        vfs.mount(part, "/")
    except OSError:
        _first_boot(part)
    os.chdir("/")


def _first_boot(part):
    # What the ESP32's inisetup does: format blank flash, refuse anything else.
    sector = bytearray(blockdev.BLOCK_SIZE)
    part.readblocks(0, sector)
    if sector != b"\xff" * blockdev.BLOCK_SIZE:
        _fs_corrupted()
    print("Performing initial setup")
    vfs.VfsLfs2.mkfs(part)
    vfs.mount(vfs.VfsLfs2(part), "/")
    with open("/boot.py", "w") as f:
        f.write("# This file is executed on every boot (including wake-boot from deepsleep)\n")


def _fs_corrupted():
    while True:
        print("The filesystem appears to be corrupted. If you had important data there, you\n"
              "may want to make a flash snapshot to try to recover it. Otherwise, perform\n"
              "factory reprogramming of MicroPython firmware (completely erase flash, followed\n"
              "by firmware programming).\n")
        world.wait(3000)


def _run(path, g):
    try:
        os.stat(path)
    except OSError:
        return
    try:
        with open(path) as f:
            src = f.read()
        exec(compile(src, path, "exec"), g)
    except SystemExit:
        machine.soft_reset()
    except BaseException as e:  # as pyexec does: print the traceback, go on to the REPL
        sys.print_exception(e)


def _ballast(target):
    # Leave the firmware the heap it would have on the board, in one piece:
    # fill every byte the twin's modules left free (the caller then releases
    # the block reserved at start-up). Holes between the twin's objects are
    # filled first with one-block objects (allocation is lowest-first), then
    # the untouched top of the heap with big blocks.
    gc.collect()
    world.twin_heap_used = gc.mem_alloc() - target
    before = gc.mem_alloc()
    slots = [None] * 4096
    top = None
    size = 16384
    while top is None and size >= 256:
        try:
            top = bytearray(size)
        except MemoryError:
            size //= 2
    slots[0] = top
    limit = id(top) if top is not None else 0
    i = 1
    one = 1.5
    while i < 4096:
        f = one * 2.0
        slots[i] = f
        i += 1
        if id(f) > limit:
            break
    # The part of the ballast the twin lends itself back for its own
    # allocations after boot (cards placed on the reader, bench messages).
    while len(world.pool) < world.POOL_BLOCKS:
        try:
            world.pool.append(bytearray(world.POOL_BLOCK))
        except MemoryError:
            break
    chunk = 65536
    while chunk >= 64 and i < 4096:
        try:
            slots[i] = bytearray(chunk - 16)
            i += 1
        except MemoryError:
            chunk //= 2
    while i < 4096:             # and the last one-block holes, wherever they are
        try:
            slots[i] = one * 2.0
            i += 1
        except MemoryError:
            break
    world.ballast = slots
    world.ballast_bytes = gc.mem_alloc() - before      # pool included


def start(g):
    """Run boot.py and main.py in the REPL's namespace g, as a board does."""
    # The REPL's namespace: leave it as clean as a board's.
    for k in list(g):
        if k != "__name__":
            del g[k]
    if _heap_target:
        _ballast(_heap_target)
        _firmware_heap.clear()
        gc.collect()
    micropython.kbd_intr(3)
    _run("boot.py", g)
    # The launcher held what the host sent while the node booted; a Ctrl-C
    # among it stops main.py before it starts, as it would have interrupted it.
    _go.clear()
    world.send({"t": "firmware"})
    try:
        world.wait_until(lambda: _go, 5000)
    except KeyboardInterrupt:
        _go["interrupt"] = True
    if _go.get("interrupt"):
        print("KeyboardInterrupt: main.py not run")
    elif not _boot.get("skip_main"):
        _run("main.py", g)


_mount()
sys.path[:] = ["", ".frozen", "/lib"]
