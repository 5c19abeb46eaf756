"""The door node application: boot banner now; the door loop comes with the firmware issue."""
import machine

from doornode import board as _board
from doornode import node_config
from doornode.version import VERSION

RESET_CAUSES = {1: "power-on", 2: "hard reset", 3: "watchdog", 4: "deep sleep", 5: "software reset"}


def banner(cfg):
    uid = machine.unique_id()
    return "doornode %s node=%s board=%s mac=%s reset=%s" % (
        VERSION, cfg["node_id"], cfg["board"], ":".join("%02x" % b for b in uid),
        RESET_CAUSES.get(machine.reset_cause(), str(machine.reset_cause())))


def node_info():
    """What the maintenance tools show about this node (no personal data)."""
    import gc
    cfg = node_config.load()
    gc.collect()
    return {"version": VERSION, "node_id": cfg["node_id"], "board": cfg["board"],
            "door_id": cfg["door_id"], "reset_cause": RESET_CAUSES.get(machine.reset_cause()),
            "heap_free": gc.mem_free()}


def main():
    cfg = node_config.load()
    print(banner(cfg))
    return _board.load(cfg["board"])
