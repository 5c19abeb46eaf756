"""The firmware as it goes onto a board: mpy-cross bytecode in the image, type-checked against ESP32 stubs."""
import importlib.metadata
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from hw.twin.launcher import Twin

from .conftest import FIRMWARE, image_for, wait_event


def test_mpy_image_boots_and_opens_the_door(tmp_path):
    image = image_for(tmp_path, "mpy", compile_mpy=True, door={"relay_pulse_s": 1}, cards=["deadbeef"])
    with Twin(image) as twin:
        assert wait_event(twin, "boot", reset="power-on")
        twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
        assert wait_event(twin, "grant", card="deadbeef", timeout=3)


def _esp32_stub_dir(tmp_path: Path) -> Path:
    """The ESP32 stubs install loose .pyi files into site-packages; mypy wants them on MYPYPATH."""
    out = tmp_path / "esp32-stubs"
    out.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    tops = {f.parts[0] for f in importlib.metadata.files("micropython-esp32-stubs") or ()
            if not f.parts[0].endswith(".dist-info")}
    for name in tops | {"_mpy_shed"}:
        (out / name).symlink_to(site / name)
    return out


# The door firmware of issue 4 (the credential modules of issue 5 share the host's CPython code
# paths and are checked by their own tests).
CHECKED = ["boot.py", "main.py", "boards",
           *("doornode/%s.py" % m for m in ("app", "board", "node_config", "version", "mfrc522", "door",
                                            "events", "indicator", "debounce", "supervisor", "uid_list"))]


def test_firmware_type_checks_against_esp32_stubs(tmp_path):
    try:
        importlib.metadata.version("mypy")
        importlib.metadata.version("micropython-esp32-stubs")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("the dev extra is not installed: pip install -e '.[dev]'")
    site = sysconfig.get_paths()["purelib"]        # holds stdlib/ of micropython-stdlib-stubs
    stubs = _esp32_stub_dir(tmp_path)
    ini = tmp_path / "mypy.ini"
    ini.write_text("[mypy]\nfollow_imports = silent\n\n[mypy-%s,_mpy_shed.*]\nignore_errors = True\n"
                   % ",".join(sorted(p.name.removesuffix(".pyi") for p in stubs.iterdir())))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ini), "--custom-typeshed-dir", site,
         "--python-version", "3.12", "--cache-dir", str(tmp_path / "cache"), "--no-site-packages",
         *CHECKED],
        cwd=FIRMWARE, capture_output=True, text=True, timeout=300,
        env={"MYPYPATH": str(stubs), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
