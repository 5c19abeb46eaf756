"""The subcommands of doorctl, each registering its own parser (see cli.py)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from host_tools.errors import DoorctlError

REGISTRY = []
ROOT = Path(__file__).resolve().parent.parent


def command(fn):
    REGISTRY.append(fn)
    return fn


# ---------------------------------------------------------------- image
@command
def _image(sub):
    p = sub.add_parser("image", help="build and inspect door-node flash images")
    isub = p.add_subparsers(dest="image_command", metavar="ACTION", required=True)

    b = isub.add_parser("build", help="build a 4 MB ESP32_GENERIC image with the firmware and a node's config")
    b.add_argument("-o", "--output", type=Path, required=True, help="image file to write")
    b.add_argument("--node-id", required=True, help="the node's identifier, e.g. door-0001")
    b.add_argument("--board", default="twin", help="board wiring file in firmware/boards (twin, esp32_devkitc)")
    b.add_argument("--door-id", type=int, default=None, help="the door this node serves (district registry id)")
    b.add_argument("--firmware", type=Path, default=ROOT / "firmware", help="firmware directory (default: the project's)")
    b.add_argument("--app", type=Path, default=None,
                   help="MicroPython ESP32_GENERIC .bin to include (needed to flash a board, not for a twin)")
    b.add_argument("--source", action="store_true",
                   help="put the app package in as .py sources (default: mpy-cross bytecode, which boots "
                        "faster and leaves the node more heap)")
    b.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a node setting for config.json (VALUE is JSON, or a plain string)")
    b.set_defaults(func=cmd_image_build)

    i = isub.add_parser("info", help="check an image and list its partitions, files and config")
    i.add_argument("image", type=Path, help="the image file to check")
    i.set_defaults(func=cmd_image_info)


def _settings(pairs):
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DoorctlError(f"--set wants KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def cmd_image_build(args):
    from provisioning.flash_image import NodeConfig, build_image, write_image
    app = None
    if args.app is not None:
        try:
            app = args.app.read_bytes()
        except OSError as e:
            raise DoorctlError(f"cannot read the firmware {args.app}: {e.strerror}") from None
    cfg = NodeConfig(node_id=args.node_id, board=args.board, door_id=args.door_id, settings=_settings(args.set))
    image = build_image(args.firmware, cfg, app_bin=app, compile_mpy=not args.source)
    write_image(args.output, image)
    print(f"wrote {args.output} ({len(image) // 1024} KiB) for node {args.node_id}, board {args.board}"
          + ("" if app else " (no MicroPython app: for a twin)"))


def cmd_image_info(args):
    from provisioning.flash_image import read_image
    img = read_image(args.image)
    print(f"{args.image}: 4 MB ESP32_GENERIC image")
    for name, t, st, off, size in img.entries:
        print(f"  {name:<10} type {t:#04x}/{st:#04x}  0x{off:06x}  {size // 1024:>5} KiB")
    print(f"  {'vfs':<10} littlefs v2   0x{img.vfs_offset:06x}  {img.vfs_size // 1024:>5} KiB")
    files = img.files()
    for path in sorted(files):
        print(f"    {len(files[path]):>7}  /{path}")
    print("  config:", json.dumps(img.config(), sort_keys=True))


# ---------------------------------------------------------------- twin
@command
def _twin(sub):
    p = sub.add_parser("twin", help="run a hardware twin: a door node in software, reachable like a USB board")
    tsub = p.add_subparsers(dest="twin_command", metavar="ACTION", required=True)
    r = tsub.add_parser("run", help="boot a twin from an image file and serve its REPL and bench until Ctrl-C")
    r.add_argument("image", type=Path, help="flash image (doorctl image build); writes persist into it")
    r.add_argument("--heap", default="128K",
                   help="the ESP32 heap to model (default 128K); the firmware gets 1.5 times that on the "
                        "64-bit unix port (docs/twin.md)")
    r.add_argument("--port", type=int, default=0, help="TCP port of the REPL (default: any free port)")
    r.add_argument("--bench-port", type=int, default=0, help="TCP port of the bench channel (default: any free port)")
    r.add_argument("--baud", type=int, default=None, help="limit the REPL to this serial line rate, e.g. 115200")
    r.add_argument("--console", action="store_true", help="also print the node's console output here")
    r.set_defaults(func=cmd_twin_run)


def cmd_twin_run(args):
    from hw.twin.launcher import Twin
    twin = Twin(args.image, heap=args.heap, port=args.port, bench_port=args.bench_port, baud=args.baud)
    twin.start()
    for ev in twin.timeline:
        if ev["kind"] == "image":
            print(f"warning: {ev['problem']}; the node will not get past its boot ROM", file=sys.stderr)
    print(f"twin of {args.image} running")
    print(f"  REPL:  {twin.url}    (mpremote connect {twin.url})")
    print(f"  bench: 127.0.0.1:{twin.bench_port}    (doorctl bench --port {twin.bench_port} info)")
    sys.stdout.flush()
    try:
        seen = 0
        while True:
            time.sleep(0.2)
            if args.console:
                mark = twin.console_mark()
                text = twin.console_text()
                if mark > seen:
                    sys.stdout.write(text[-(mark - seen):] if mark - seen < len(text) else text)
                    sys.stdout.flush()
                    seen = mark
    except KeyboardInterrupt:
        pass
    finally:
        twin.stop()
        print("twin stopped")


# ---------------------------------------------------------------- bench
@command
def _bench(sub):
    p = sub.add_parser("bench", help="send one operation to a twin's bench channel (see docs/twin.md)")
    p.add_argument("--port", type=int, required=True, help="the twin's bench port")
    p.add_argument("op", help="operation, e.g. info, input, timeline, power_cycle, reader.place")
    p.add_argument("args", nargs="*", metavar="KEY=VALUE", help="arguments (VALUE is JSON, or a plain string)")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args):
    from hw.twin.bench_client import BenchClient, BenchClientError
    try:
        client = BenchClient(args.port)
    except OSError as e:
        raise DoorctlError(f"no twin bench on port {args.port} ({e.strerror})") from None
    with client:
        try:
            reply = client.call(args.op, **_settings(args.args))
        except BenchClientError as e:
            raise DoorctlError(str(e)) from None
    reply.pop("ok", None)
    reply.pop("id", None)
    print(json.dumps(reply, indent=1, sort_keys=True))


# ---------------------------------------------------------------- flash
@command
def _flash(sub):
    p = sub.add_parser("flash", help="write an image to a door node's ESP32 over USB with esptool")
    p.add_argument("image", type=Path, help="image built with --app (doorctl image build)")
    p.add_argument("--port", required=True, help="serial port of the board, e.g. /dev/ttyUSB0")
    p.add_argument("--baud", type=int, default=460800, help="esptool baud rate (default 460800)")
    p.set_defaults(func=cmd_flash)


def esptool_command(image: Path, port: str, baud: int) -> list[str]:
    return [sys.executable, "-m", "esptool", "--chip", "esp32", "--port", port, "--baud", str(baud),
            "write-flash", "--flash-size", "4MB", "0x0", str(image)]


def cmd_flash(args):
    from provisioning.flash_image import FIRMWARE_OFFSET, read_image
    img = read_image(args.image)
    if img.data[FIRMWARE_OFFSET] != 0xE9:
        raise DoorctlError(f"{args.image} holds no MicroPython firmware (a twin image): rebuild it with "
                           "`doorctl image build --app ESP32_GENERIC-....bin ...`")
    proc = subprocess.run(esptool_command(args.image, args.port, args.baud))
    if proc.returncode != 0:
        raise DoorctlError(f"esptool could not write {args.port} (exit {proc.returncode}); check the cable, "
                           "hold BOOT while plugging in if the board does not enter its bootloader")


# ---------------------------------------------------------------- node
@command
def _node(sub):
    p = sub.add_parser("node", help="talk to a door node (a board on USB or a twin's socket:// URL)")
    nsub = p.add_subparsers(dest="node_command", metavar="ACTION", required=True)
    i = nsub.add_parser("info", help="firmware version, node id, reset cause and free heap of a node")
    i.add_argument("--port", required=True, help="/dev/ttyUSB0 or socket://127.0.0.1:PORT")
    i.set_defaults(func=cmd_node_info)


# Gathered on the node from what every firmware version has (no personal data).
NODE_INFO = """
import gc
gc.collect()
import machine
from doornode import node_config
from doornode.version import VERSION
_c = node_config.load()
gc.collect()
print(repr({"version": VERSION, "node_id": _c["node_id"], "board": _c["board"], "door_id": _c["door_id"],
            "reset_cause": machine.reset_cause(), "heap_free": gc.mem_free()}))
"""


def node_info(node) -> dict:
    import ast
    return ast.literal_eval(node.exec(NODE_INFO).strip())


def cmd_node_info(args):
    from host_tools.transport import NodeTransport
    with NodeTransport.connect(args.port) as node:
        info = node_info(node)
    for key in sorted(info):
        print(f"{key:>12}: {info[key]}")


# ---------------------------------------------------------------- commands kept in their own modules
def _register_module_commands():
    from host_tools import card_command, maintenance_commands, server_command
    REGISTRY.append(card_command.register)
    REGISTRY.append(server_command.register)
    REGISTRY.append(maintenance_commands.register)


_register_module_commands()
