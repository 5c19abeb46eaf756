"""Small firmware variants for twin tests (a main.py that loops, that writes, ...)."""
from pathlib import Path

from tests.conftest import build_twin_image, copy_firmware

LOOPING_MAIN = """\
import time
print("main start")
n = 0
while True:
    n += 1
    time.sleep_ms(20)
"""


def image_with_main(tmp_path: Path, main_py: str, **config) -> Path:
    fw = copy_firmware(tmp_path)
    (fw / "main.py").write_text(main_py)
    return build_twin_image(tmp_path, fw, **config)
