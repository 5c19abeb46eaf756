"""The twin answers unmodified mpremote like a USB board."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from host_tools.transport import NodeTransport
from hw.twin.launcher import Twin
from tests.twin.twin_firmware import LOOPING_MAIN, image_with_main

MPREMOTE = str(Path(sys.executable).with_name("mpremote"))


def mpremote(twin, *args, timeout=30):
    proc = subprocess.run([MPREMOTE, "connect", twin.url, *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


def test_boot_banner_and_repl(twin):
    assert twin.wait_console(b"doornode ", 5)
    with NodeTransport.connect(twin.url) as node:
        assert node.eval("1 + 1") == 2
    text = twin.console_text()
    assert "rst:0x1 (POWERON_RESET)" in text
    assert "doornode 0.1.0 node=door-test-0001 board=twin" in text
    assert "reset=power-on" in text


def test_exec_eval_run(twin, tmp_path):
    assert mpremote(twin, "exec", "print(6 * 7)").strip() == "42"
    assert mpremote(twin, "eval", "'door' + 'node'").strip() == "doornode"
    script = tmp_path / "s.py"
    script.write_text("import os\nprint(sorted(os.listdir('/')))\n")
    out = mpremote(twin, "run", str(script))
    assert "'boot.py'" in out and "'config.json'" in out and "'doornode'" in out


def test_fs_commands_round_trip_binary_data(twin, tmp_path):
    data = bytes(range(256)) * 160            # 40 KB, every byte value
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    mpremote(twin, "fs", "mkdir", "data")
    mpremote(twin, "fs", "cp", str(src), ":data/blob.bin")
    listing = mpremote(twin, "fs", "ls", "data")
    assert "40960 blob.bin" in listing
    back = tmp_path / "back.bin"
    mpremote(twin, "fs", "cp", ":data/blob.bin", str(back), timeout=60)
    assert back.read_bytes() == data
    assert mpremote(twin, "fs", "cat", "boot.py").startswith("# Runs first on every boot")
    mpremote(twin, "fs", "rm", "data/blob.bin")
    assert "blob.bin" not in mpremote(twin, "fs", "ls", "data")


def test_files_written_on_the_node_persist_in_the_image_file(twin, image_path):
    mpremote(twin, "exec", "with open('/note.txt', 'w') as f: f.write('kept across power cuts')")
    twin.stop()
    from provisioning.flash_image import read_image
    assert read_image(image_path).files()["note.txt"] == b"kept across power cuts"


def test_mount_serves_a_host_directory(twin, tmp_path):
    (tmp_path / "hello_mount.py").write_text("print('hello from the host')\n")
    out = mpremote(twin, "mount", str(tmp_path), "exec", "import hello_mount")
    assert "hello from the host" in out


def test_ctrl_c_interrupts_a_running_main_and_soft_reset_reboots(tmp_path):
    with Twin(image_with_main(tmp_path, LOOPING_MAIN)) as twin:
        assert twin.wait_console(b"main start", 5)
        # mpremote interrupts main.py (Ctrl-C becomes a KeyboardInterrupt), then runs the code.
        assert mpremote(twin, "resume", "exec", "print('n=%d' % n)").startswith("n=")
        mark = twin.console_mark()
        mpremote(twin, "soft-reset")
        assert twin.wait_console(b"MPY: soft reboot", 5, since=mark)
        # After a soft reset from the raw REPL, main.py does not run (as on a board).
        assert mpremote(twin, "resume", "exec", "print('n' in globals())").strip() == "False"
        assert twin.boots == 2


def test_ctrl_d_at_the_friendly_prompt_soft_reboots_and_runs_main(tmp_path):
    with Twin(image_with_main(tmp_path, "print('main ran')\n")) as twin:
        assert twin.wait_console(b">>> ", 5)
        with socket.create_connection(("127.0.0.1", twin.port)) as s:
            mark = twin.console_mark()
            s.sendall(b"\x04")
            assert twin.wait_console(b"MPY: soft reboot", 5, since=mark)
            assert twin.wait_console(b"main ran", 5, since=mark)
            assert twin.wait_console(b">>> ", 5, since=twin.console_mark() - 10)
            s.settimeout(5)
            got = b""
            while b"main ran" not in got:
                got += s.recv(4096)
            # As a board does: the REPL ends the line, then the soft reboot, then main.py.
            assert got.index(b"MPY: soft reboot\r\n") < got.index(b"main ran")


def test_transport_reports_device_tracebacks(node):
    from host_tools.transport import NodeError
    with pytest.raises(NodeError, match="ZeroDivisionError"):
        node.exec("1/0")
    assert node.eval("[1, 'a', None]") == [1, "a", None]      # the node keeps answering


def test_several_twins_run_at_once(tmp_path, image_bytes):
    twins = []
    try:
        for i in range(3):
            path = tmp_path / f"n{i}.bin"
            path.write_bytes(image_bytes)
            twins.append(Twin(path).start())
        macs = set()
        for t in twins:
            with NodeTransport.connect(t.url) as n:
                n.exec(f"with open('/who', 'w') as f: f.write('{t.port}')")
                macs.add(n.eval("__import__('machine').unique_id()"))
        for t in twins:
            with NodeTransport.connect(t.url) as n:
                assert n.eval("open('/who').read()") == str(t.port)
        assert len(macs) == 3 and all(len(m) == 6 for m in macs)
    finally:
        for t in twins:
            t.stop()


def test_second_client_on_the_port_is_turned_away(twin):
    with NodeTransport.connect(twin.url) as first:
        with socket.create_connection(("127.0.0.1", twin.port)) as second:
            second.settimeout(2)
            assert second.recv(100) == b""        # closed: the port is in use
        assert first.eval("1 + 1") == 2


def test_line_rate_throttle_limits_throughput(image_path):
    with Twin(image_path, baud=9600) as twin:
        with NodeTransport.connect(twin.url) as node:
            t0 = time.monotonic()
            out = node.exec("print('x' * 1920)", timeout=20)
            elapsed = time.monotonic() - t0
        assert len(out.strip()) == 1920
        # 1920 bytes at 960 bytes/s cannot arrive in less than 2 s (a little less for the FIFO burst).
        assert elapsed > 1.8


def test_busy_port_gets_a_clear_error(image_path):
    from hw.twin.launcher import TwinError
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(TwinError, match=f"REPL port {port} is busy"):
            Twin(image_path, port=port).start()


def test_missing_micropython_binary_gets_a_clear_error(image_path, tmp_path):
    from hw.twin.launcher import TwinError, micropython_binary
    with pytest.raises(TwinError, match="no image file"):
        Twin(tmp_path / "none.bin").start()
    twin = Twin(image_path, micropython=tmp_path / "no-micropython")
    with pytest.raises(TwinError, match="cannot start MicroPython"):
        twin.start()
    assert micropython_binary().exists()


def test_heap_is_esp32_sized(twin, node):
    budget = twin.node_heap                 # 128 KiB of ESP32 heap, scaled for the 64-bit port
    assert budget == int(128 * 1024 * 1.5)
    node.exec("import gc, world\ngc.collect()")
    free = node.eval("gc.mem_free()")
    # What the firmware has used plus what is free is the 128 KiB asked for (the twin's own
    # modules and the ballast that hides the rest are not the firmware's).
    firmware_used = node.eval("gc.mem_alloc() - world.twin_heap_used - world.ballast_bytes")
    assert free <= budget + 2048          # a few bytes in holes the ballast could not fill
    assert abs(free + firmware_used - budget) < 16_384
    with pytest.raises(Exception, match="MemoryError"):
        node.exec("b = bytearray(260_000)")
    assert node.eval(f"len(bytearray({free // 2}))") == free // 2
