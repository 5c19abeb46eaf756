"""Card lists at the node: replaced and revoked cards, and lists the node must refuse, installed
through the maintenance path (doorctl card install-list) on the twin."""
import pytest

from host_tools.card_command import install_card_list
from host_tools.errors import DoorctlError
from provisioning.cardlist import CardListEntry
from provisioning.keys import door_key

from .conftest import CREATED, ROOT, card_list, check, enrol

V1 = [CardListEntry(4242, 1), CardListEntry(7000, 1)]


def reboot_checker(node):
    """Power-cycle the checker's twin and set its decision up again."""
    from .conftest import CHECK_SETUP
    node.close()
    node.twin.power_cycle()
    from host_tools.transport import NodeTransport
    fresh = NodeTransport.connect(node.twin.url)
    fresh.exec(CHECK_SETUP, timeout=20)
    fresh.twin = node.twin
    return fresh


def test_a_replaced_card_is_refused_and_its_replacement_opens(enrol_node, checker, tmp_path):
    old = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242, issue=1)
    new = enrol(enrol_node, tmp_path, "CAFEF00D", card_id=4242, issue=2)
    d = checker(cards=[CardListEntry(4242, 2)])
    assert check(d, old) == ("deny", "replaced")
    assert check(d, new) == ("grant", None)


def test_a_revoked_card_is_refused_once_the_new_list_is_installed(enrol_node, checker, tmp_path):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    d = checker(cards=V1)
    assert check(d, card) == ("grant", None)
    assert install_card_list(d, card_list([CardListEntry(7000, 1)], version=2)) == (2, 1)
    d = reboot_checker(d)
    assert check(d, card) == ("deny", "unknown card")


def test_expired_and_not_yet_valid_cards_are_refused(enrol_node, checker, tmp_path):
    early = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242, valid_until=CREATED - 3600)
    later = enrol(enrol_node, tmp_path, "CAFEF00D", card_id=7000, valid_from=CREATED + 30 * 86400)
    listed_until = enrol(enrol_node, tmp_path, "0BADCAFE", card_id=8000)
    d = checker(cards=V1 + [CardListEntry(8000, 1, valid_until=CREATED - 86400)])
    assert check(d, early) == ("deny", "expired")
    assert check(d, later) == ("deny", "not yet valid")
    assert check(d, listed_until) == ("deny", "expired")


@pytest.mark.parametrize("bad, reason", [
    ("forged", "forged"), ("foreign", "foreign door"), ("older", "not newer"),
    ("same", "not newer"), ("truncated", "truncated")])
def test_bad_lists_are_refused_and_the_old_list_stays_after_reboot(
        enrol_node, checker, tmp_path, bad, reason):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    d = checker(cards=card_list(V1, version=5))
    without_card = [CardListEntry(7000, 1)]
    forged = bytearray(card_list(without_card, version=6))
    forged[36] ^= 0x01
    lists = {
        "forged": bytes(forged),
        "foreign": card_list(without_card, version=6, door=8, key=door_key(ROOT, 8)),
        "older": card_list(without_card, version=4),
        "same": card_list(without_card, version=5),
        "truncated": card_list(without_card, version=6)[:40],
    }
    with pytest.raises(DoorctlError, match=reason):
        install_card_list(d, lists[bad])
    d = reboot_checker(d)
    assert d.eval("__import__('doornode.maintenance').maintenance.installed()") == (5, 2)
    assert check(d, card) == ("grant", None)


def test_a_power_cut_mid_install_leaves_the_old_list_in_force(enrol_node, checker, tmp_path):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    d = checker(cards=card_list(V1, version=5))
    big = card_list([CardListEntry(7000 + i, 1) for i in range(3000)], version=6)  # 24 KB
    twin = d.twin
    twin.bench("flash_fault", cut_at=3)       # the power fails at the 3rd flash write
    with pytest.raises(Exception):             # the node vanishes mid-transfer
        d.write_file("/cardlist.new", big)
    d.close()
    twin.bench("flash_fault", cut_at=0)
    if not twin.bench("info")["powered"]:
        twin.power_on()
    from host_tools.transport import NodeTransport
    from .conftest import CHECK_SETUP
    d = NodeTransport.connect(twin.url)
    d.twin = twin
    d.exec(CHECK_SETUP, timeout=20)            # boot: the half-received list is discarded
    assert check(d, card) == ("grant", None)
    assert d.eval("__import__('os').listdir('/').count('cardlist.new')") == 0
    assert d.eval("__import__('doornode.maintenance').maintenance.installed()") == (5, 2)
