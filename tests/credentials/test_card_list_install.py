"""Installing a card list on the node's littlefs (real MicroPython, 128 KB heap): refusals keep
the old list, a power cut at any flash write leaves the old or the new list, never none."""
import pytest

from provisioning.cardlist import CardListEntry, build_card_list
from provisioning.keys import door_key

from .conftest import CREATED, DOOR, TEST_ROOT, card_entries

KEY = door_key(TEST_ROOT, DOOR)

# Node-side prelude: mount a littlefs (block size 4096, as on the ESP32) on a flash image.
NODE = """
    import json, os, vfs
    from flash_with_power_cut import FlashWithPowerCut
    from doornode import cardlist_store as store
    from doornode.cardlist import CardListError, verify_stream
    KEY = {key!r}
    IMG = {img!r}
    BLOCKS = {blocks}

    def boot(fresh=False):
        flash = FlashWithPowerCut(IMG, BLOCKS, erase=fresh)
        if fresh:
            vfs.VfsLfs2.mkfs(flash)
        vfs.mount(vfs.VfsLfs2(flash), "/flash")
        store.discard_incoming("/flash")   # what the node's boot does
        return flash

    def shutdown(flash):
        try:
            vfs.umount("/flash")
        except OSError:
            pass
        flash.close()

    def push(path):
        # the maintenance path: bytes arrive on a stream into the incoming file
        with open(path, "rb") as s:
            store.receive("/flash", s)

    def in_force(card):
        cards = store.open_active("/flash")
        if cards is None:
            return None
        try:
            with open("/flash/" + store.ACTIVE_NAME, "rb") as f:
                verify_stream(f, 7, KEY)   # the list in force is whole and authentic
            found = cards.lookup(card)
            return [cards.header.version, list(found) if found else None]
        finally:
            cards.close()
"""


def node(micropython, tmp_path, code, blocks=64, heap="128K"):
    prelude = NODE.format(key=KEY, img=str(tmp_path / "flash.img"), blocks=blocks)
    return micropython(prelude + code, heap=heap)


@pytest.fixture
def lists(tmp_path):
    """v1 lists card 1000 at issue 0; v2 replaces it (issue 1) and adds card 5."""
    v1 = [CardListEntry(1000 + 3 * i, 0) for i in range(400)]
    v2 = [CardListEntry(1000 + 3 * i, 1 if i == 0 else 0) for i in range(450)] + [CardListEntry(5, 0)]
    files = {
        "v1": build_card_list(DOOR, 1, v1, KEY, created=CREATED),
        "v2": build_card_list(DOOR, 2, v2, KEY, created=CREATED + 60),
        "v0": build_card_list(DOOR, 1, v2, KEY, created=CREATED + 120),  # same version as v1
        "foreign": build_card_list(8, 9, v2, door_key(TEST_ROOT, 8), created=CREATED),
    }
    forged = bytearray(files["v2"])
    forged[100] ^= 0x04
    files["forged"] = bytes(forged)
    files["truncated"] = files["v2"][:len(files["v2"]) // 2]
    for name, data in files.items():
        (tmp_path / f"{name}.bin").write_bytes(data)
    return {name: str(tmp_path / f"{name}.bin") for name in files}


def test_install_replaces_the_list_and_the_old_card_issue_stops_matching(micropython, tmp_path, lists):
    out = node(micropython, tmp_path, f"""
    f = boot(fresh=True)
    before = in_force(1000)
    push({lists['v1']!r}); v1 = store.install("/flash", 7, KEY).version
    after_v1 = in_force(1000)
    push({lists['v2']!r}); v2 = store.install("/flash", 7, KEY).version
    print(json.dumps([before, v1, after_v1, v2, in_force(1000), in_force(5), sorted(os.listdir("/flash"))]))
    """)
    assert out == [None, 1, [1, [0, 0, 65535]], 2, [2, [1, 0, 65535]], [2, [0, 0, 65535]],
                   ["cardlist.bin"]]


@pytest.mark.parametrize("bad,why", [("forged", "forged"), ("foreign", "foreign door"),
                                     ("v0", "not newer"), ("truncated", "truncated")])
def test_a_refused_list_leaves_the_old_one_in_force(micropython, tmp_path, lists, bad, why):
    out = node(micropython, tmp_path, f"""
    f = boot(fresh=True)
    push({lists['v1']!r}); store.install("/flash", 7, KEY)
    push({lists[bad]!r})
    try:
        store.install("/flash", 7, KEY)
        reason = "installed"
    except CardListError as e:
        reason = e.reason
    now = in_force(1000)
    shutdown(f)
    boot()                 # and after a reboot
    print(json.dumps([reason, now, in_force(1000), sorted(os.listdir("/flash"))]))
    """)
    assert out == [why, [1, [0, 0, 65535]], [1, [0, 0, 65535]], ["cardlist.bin"]]


def test_a_power_cut_at_any_write_leaves_a_whole_list_in_force(micropython, tmp_path, lists):
    """Cut the power at the 1st, 2nd, ... flash write of receiving and installing v2 (the
    cut write itself is torn halfway), reboot, and look at what the door would use."""
    out = node(micropython, tmp_path, f"""
    def attempt(cut):
        f = boot(fresh=True)
        push({lists['v1']!r}); store.install("/flash", 7, KEY)
        start = f.writes
        if cut is not None:
            f.cut_after(cut)
        try:
            push({lists['v2']!r}); store.install("/flash", 7, KEY)
            done = True
        except OSError:
            done = False
        used = f.writes - start
        shutdown(f)
        boot()
        state = in_force(1000)
        shutdown(f)
        return used, done, state

    used, _, final = attempt(None)
    results = [attempt(cut) for cut in range(used)]
    print(json.dumps({{"writes": used, "final": final, "results": results}}))
    """)
    assert out["final"] == [2, [1, 0, 65535]]
    assert out["writes"] > 10
    versions = [state[0] if state else None for _, _, state in out["results"]]
    assert None not in versions, "a cut left the door with no list"
    assert set(versions) <= {1, 2}
    # Until the commit the old list is in force; from the commit on, the new one.
    first_new = versions.index(2) if 2 in versions else len(versions)
    assert all(v == 1 for v in versions[:first_new]) and all(v == 2 for v in versions[first_new:])
    for _, _, (version, entry) in out["results"]:
        assert entry == ([0, 0, 65535] if version == 1 else [1, 0, 65535])


def test_two_100000_entry_lists_fit_the_2mb_file_system(micropython, tmp_path, big_lists):
    """ESP32_GENERIC 4 MB: 512 blocks of 4 KB. Install one 100,000-entry list, then a newer one."""
    newer = tmp_path / "newer.bin"
    newer.write_bytes(build_card_list(DOOR, 11, card_entries(100_000, issue_every=3), KEY,
                                      created=CREATED + 86400))
    card = card_entries(100_000)[3].card_id  # issue 0 in v10, 1 in v11
    out = node(micropython, tmp_path, f"""
    f = boot(fresh=True)
    push({str(big_lists[100_000])!r}); a = store.install("/flash", 7, KEY).version
    push({str(newer)!r}); b = store.install("/flash", 7, KEY).version
    st = os.statvfs("/flash")
    print(json.dumps([a, b, in_force({card}), st[0] * st[3]]))
    """, blocks=512)
    assert out[:3] == [10, 11, [11, [1, 0, 65535]]]
    assert out[3] > 1_000_000  # still > 1 MB free once the old list is gone
