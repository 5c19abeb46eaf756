"""The doorctl command: help and docs for every command, clear errors without tracebacks."""
import subprocess
import sys
from pathlib import Path

import pytest

from host_tools.cli import build_parser, main
from host_tools.commands import esptool_command

ROOT = Path(__file__).resolve().parents[2]
DOORCTL = str(Path(sys.executable).with_name("doorctl"))


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        inner = [a for a in p._actions if getattr(a, "choices", None) and a.dest.endswith("_command")]
        if inner:
            for action_name, ap in inner[0].choices.items():
                yield f"{name} {action_name}", ap, sub._choices_actions
        else:
            yield name, p, sub._choices_actions


def test_every_command_has_help_and_a_docs_entry():
    docs = (ROOT / "docs" / "cli.md").read_text()
    helps = {a.dest: a.help for a in build_parser()._actions[1]._choices_actions}
    for name, parser, _ in _commands():
        top = name.split()[0]
        assert helps.get(top), f"doorctl {top} has no help text"
        assert f"`doorctl {name}" in docs, f"doorctl {name} is not described in docs/cli.md"
        for action in parser._actions:
            if action.dest != "help":
                assert action.help, f"doorctl {name}: option {action.dest} has no help text"


def test_missing_image_is_a_clear_error_without_traceback(tmp_path):
    proc = subprocess.run([DOORCTL, "image", "info", str(tmp_path / "none.bin")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("doorctl: no image file at")
    assert "Traceback" not in proc.stderr


def test_image_build_then_info(tmp_path, capsys):
    out = tmp_path / "n.bin"
    assert main(["image", "build", "-o", str(out), "--node-id", "door-9", "--door-id", "9",
                 "--set", "relay_pulse_s=3", "--set", "label=stair B"]) == 0
    assert main(["image", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "factory" in text and "/config.json" in text and "/doornode/app.mpy" in text
    assert '"door_id": 9' in text and '"relay_pulse_s": 3' in text and '"label": "stair B"' in text


def test_bad_set_argument(tmp_path, capsys):
    assert main(["image", "build", "-o", str(tmp_path / "x.bin"), "--node-id", "n", "--set", "novalue"]) == 1
    assert "--set wants KEY=VALUE" in capsys.readouterr().err


def test_flash_refuses_a_twin_image(tmp_path, capsys):
    out = tmp_path / "twin.bin"
    main(["image", "build", "-o", str(out), "--node-id", "n"])
    assert main(["flash", str(out), "--port", "/dev/ttyUSB9"]) == 1
    assert "holds no MicroPython firmware" in capsys.readouterr().err


def test_flash_calls_esptool_at_offset_zero(tmp_path):
    cmd = esptool_command(tmp_path / "a.bin", "/dev/ttyUSB0", 460800)
    assert cmd[1:3] == ["-m", "esptool"]
    assert cmd[-5:] == ["write-flash", "--flash-size", "4MB", "0x0", str(tmp_path / "a.bin")]


def test_twin_run_on_a_busy_port(tmp_path, capsys):
    import socket
    out = tmp_path / "n.bin"
    main(["image", "build", "-o", str(out), "--node-id", "n"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        assert main(["twin", "run", str(out), "--port", str(s.getsockname()[1])]) == 1
    assert "is busy" in capsys.readouterr().err


def test_bench_without_a_twin(capsys):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["bench", "--port", str(port), "info"]) == 1
    assert "no twin bench on port" in capsys.readouterr().err


@pytest.mark.bench
def test_bench_and_node_info_against_a_twin(twin, capsys):
    assert main(["bench", "--port", str(twin.bench_port), "input", "name=exit_button", "active=true"]) == 0
    assert main(["bench", "--port", str(twin.bench_port), "inputs"]) == 0
    assert '"exit_button": true' in capsys.readouterr().out
    assert main(["bench", "--port", str(twin.bench_port), "nope"]) == 1
    assert "unknown bench operation" in capsys.readouterr().err
    assert main(["node", "info", "--port", twin.url]) == 0
    out = capsys.readouterr().out
    assert "node_id: door-test-0001" in out and "version:" in out


def test_node_info_on_an_unplugged_port(capsys):
    assert main(["node", "info", "--port", "/dev/ttyUSB99"]) == 1
    assert "cannot open /dev/ttyUSB99" in capsys.readouterr().err
