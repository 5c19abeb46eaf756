"""A 100,000-entry list on a 4 MB node: two of them fit side by side (the atomic install needs
it), the node installs the new one and decides with it."""
import time

from provisioning.cardlist import CardListEntry

from .conftest import card_list, check, enrol


def entries(n, issue=1, extra=()):
    return sorted([CardListEntry(10_000 + 7 * i, issue) for i in range(n)] + list(extra),
                  key=lambda e: e.card_id)


def test_a_100000_entry_list_installs_next_to_the_old_one_and_opens_the_door(
        enrol_node, checker, tmp_path):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    old = card_list(entries(100_000), version=1)
    new = card_list(entries(99_999, extra=[CardListEntry(4242, 1)]), version=2)
    d = checker(cards=old)
    assert check(d, card) == ("deny", "unknown card")
    # The new list arrives in /cardlist.new (as mpremote's fs write does it, in bigger
    # chunks to keep the test fast), then the node verifies and installs it.
    d.exec("from binascii import unhexlify as u\nf = open('/cardlist.new', 'wb')")
    chunk = 4096
    for i in range(0, len(new), chunk):
        d.exec(f"f.write(u({new[i:i + chunk].hex()!r}))", timeout=30)
    d.exec("f.close()")
    st = d.eval("__import__('os').statvfs('/')")
    free_kib = st[0] * st[3] // 1024
    assert free_kib > 200, f"only {free_kib} KiB left with two lists"
    t = time.monotonic()
    assert d.eval("__import__('doornode.maintenance').maintenance.install_card_list()",
                  timeout=120) == (2, 100_000)
    print(f"install of 100,000 entries on the twin: {time.monotonic() - t:.1f} s; "
          f"{free_kib} KiB free with both lists")
    d.exec("chk.reload()")
    assert check(d, card) == ("grant", None)
