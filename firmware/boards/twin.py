"""The hardware twin's board: wired as the DevKitC door node (hw/twin/node/hardware.py)."""
from boards.esp32_devkitc import Board as _DevKitC


class Board(_DevKitC):
    name = "twin"
