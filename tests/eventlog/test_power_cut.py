"""A power cut at every flash write point of an append: after reboot the log holds every
completed append and nothing else, every record verifies, and appending goes on.

Each cut starts from the same flash: the image file is saved with the log at the
chosen state and put back (power off) before each try.
"""
import time

import pytest

from host_tools.node_service import NodeService

from .chain import verified_cards
from .conftest import append, connect, setup_node, wait_unpowered, NODE_SETUP

pytestmark = pytest.mark.bench
MARK = 50_000


def prepare(twin, records):
    """Log with `records` events; returns (image bytes at that state, cards, write points)."""
    node = connect(twin, reset=False)
    setup_node(node)
    append(node, records)
    cards = verified_cards(NodeService(node))
    node.close()
    twin.power_off()
    saved = twin.image.read_bytes()
    twin.power_on()
    node = connect(twin, reset=False)
    setup_node(node)
    w0 = node.eval("twin.flash_writes()")
    node.exec(f"lg.append(2, 0, {MARK}, 0)")
    points = node.eval("twin.flash_writes()") - w0
    node.close()
    return saved, cards, points


def one_cut(twin, node, saved, before, cut_at, tear):
    """One try on one connection: the twin's serial link stays up across its power cuts."""
    twin.power_off()
    twin.image.write_bytes(saved)
    twin.power_on()
    node.soft_reset()
    node.exec(NODE_SETUP)                     # loads the log; writes nothing
    twin.set_flash_fault(cut_at, tear)
    node.raw.exec_raw_no_follow(f"lg.append(2, 0, {MARK}, 0)\n")
    assert wait_unpowered(twin, 2.0), f"no power cut at write point {cut_at}"
    twin.power_on()
    node.soft_reset()                         # a clean heap for the service
    setup_node(node)
    svc = NodeService(node)
    after = verified_cards(svc)               # every record on the node verifies
    assert after[:len(before)] == before, (cut_at, tear)      # nothing before it changed
    new = after[len(before):]
    assert new in ([], [(2, MARK)]) or (new[-1] == (2, MARK) and all(t == 18 for t, _ in new[:-1])), \
        (cut_at, tear, new)                   # the append whole or absent (a repair note first)
    node.exec(f"lg.append(2, 0, {MARK + 1}, 0)")   # and the log goes on
    assert verified_cards(svc)[-1] == (2, MARK + 1)
    return bool(new)


def cuts_everywhere(twin, records):
    saved, before, points = prepare(twin, records)
    t0 = time.monotonic()
    kept = 0
    node = connect(twin, reset=False)
    try:
        for tear in (False, True):
            for cut_at in range(1, points + 1):
                kept += one_cut(twin, node, saved, before, cut_at, tear)
    finally:
        node.close()
    print(f"{records} records before: {points} write points, {2 * points} cuts, "
          f"append kept after {kept} of them, {time.monotonic() - t0:.1f} s")
    return points


def test_power_cut_in_a_small_segment(log_twin):
    # a new segment is stored inline in littlefs metadata
    assert cuts_everywhere(log_twin, 4) >= 1


def test_power_cut_in_a_full_block_segment(log_twin):
    # a block-sized file: each append copies the block's partial tail (littlefs CTZ)
    assert cuts_everywhere(log_twin, 120) >= 3


def test_power_cut_in_an_append_that_starts_a_segment(log_twin):
    # 254 records fill segment 0: the append writes the new segment and the key file
    assert cuts_everywhere(log_twin, 254) >= 3
