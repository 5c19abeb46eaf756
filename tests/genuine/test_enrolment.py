"""Enrolment through a node on USB: `doorctl card write`, read back, carried to a door."""
import json

import pytest

from host_tools import card_command, cli, commands
from provisioning.cardlist import CardListEntry
from provisioning.key_store import PURPOSE_ENROLMENT, seal
from provisioning.keys import enrolment_keys

from .conftest import ENROLMENT, ROOT, VALID_FROM, check, place, save


@pytest.fixture
def doorctl(monkeypatch, tmp_path, capsys):
    """Run doorctl (the card command is wired in), and sealed enrolment keys on disk."""
    assert card_command.register in commands.REGISTRY
    key_file = tmp_path / "station.key"
    key_file.write_bytes(bytes(range(32, 64)))

    def sealed(keys, name):
        path = tmp_path / name
        path.write_bytes(seal(keys.to_bytes(), PURPOSE_ENROLMENT, key_file_secret=key_file.read_bytes()))
        return path

    paths = {"site3": sealed(ENROLMENT, "site3.keys"),
             "site4": sealed(enrolment_keys(ROOT, 4), "site4.keys")}

    def run(*argv, keys="site3"):
        argv = list(argv)
        if argv[:2] in (["card", "write"], ["card", "read"]):
            argv += ["--keys", str(paths[keys]), "--key-file", str(key_file)]
        status = cli.main(argv)
        out = capsys.readouterr()
        return status, out.out + out.err
    return run


def test_doorctl_writes_a_blank_card_that_then_opens_a_door(doorctl, enrol_twin, checker, tmp_path):
    place(enrol_twin, {"type": "classic1k", "uid": "DEADBEEF"})
    status, out = doorctl("card", "write", "--port", enrol_twin.url, "--card-id", "4242",
                          "--issue", "1", "--valid-from", "2025-06-01")
    assert status == 0, out
    assert "card written and verified: site 3, card 4242, issue 1" in out
    memory = bytes.fromhex(enrol_twin.bench("reader.card_memory", card="DEADBEEF")["memory"])
    assert memory[7 * 16 + 6:7 * 16 + 9].hex() == "787788"           # read-only for key A
    assert memory[7 * 16:7 * 16 + 6] != b"\xff" * 6                    # no transport key left
    status, out = doorctl("card", "read", "--port", enrol_twin.url)
    assert status == 0 and "genuine, site 3, card 4242, issue 1" in out
    card = save(enrol_twin, tmp_path, "DEADBEEF")
    assert check(checker(cards=[CardListEntry(4242, 1)]), card) == ("grant", None)


def test_doorctl_refuses_another_sites_card_and_leaves_it_untouched(doorctl, enrol_twin):
    place(enrol_twin, {"type": "classic1k", "uid": "DEADBEEF"})
    assert doorctl("card", "write", "--port", enrol_twin.url, "--card-id", "1",
                   "--issue", "1", keys="site4")[0] == 0
    before = enrol_twin.bench("reader.card_memory", card="DEADBEEF")["memory"]
    status, out = doorctl("card", "write", "--port", enrol_twin.url, "--card-id", "4242",
                          "--issue", "1")
    assert status == 1 and "another site or system" in out and "not changed" in out
    assert enrol_twin.bench("reader.card_memory", card="DEADBEEF")["memory"] == before


def test_reissuing_a_card_only_lets_its_issue_number_go_up(doorctl, enrol_twin):
    place(enrol_twin, {"type": "classic1k", "uid": "DEADBEEF"})
    url = enrol_twin.url
    assert doorctl("card", "write", "--port", url, "--card-id", "4242", "--issue", "2")[0] == 0
    status, out = doorctl("card", "write", "--port", url, "--card-id", "4242", "--issue", "1")
    assert status == 1 and "issue numbers only go up" in out
    assert doorctl("card", "write", "--port", url, "--card-id", "4242", "--issue", "3")[0] == 0
    assert "issue 3" in doorctl("card", "read", "--port", url)[1]


def test_doorctl_says_when_no_card_is_on_the_reader(doorctl, enrol_twin):
    status, out = doorctl("card", "write", "--port", enrol_twin.url, "--card-id", "1",
                          "--issue", "1")
    assert status == 1 and "no card on the enrolment node's reader" in out


def test_door_node_keys_reach_the_node_through_doorctl(doorctl, enrol_twin, tmp_path):
    from .conftest import DOOR_KEYS
    bundle = tmp_path / "door7.keys.json"
    bundle.write_bytes(DOOR_KEYS.to_bytes())
    assert doorctl("card", "install-keys", "--port", enrol_twin.url, str(bundle))[0] == 0
    from host_tools.transport import NodeTransport
    with NodeTransport.connect(enrol_twin.url) as node:
        stored = json.loads(node.read_file("/keys.json"))
    assert stored["door_id"] == 7 and "write_master" not in stored["site"]
    enrolment_bundle = tmp_path / "enrol.json"
    enrolment_bundle.write_bytes(ENROLMENT.to_bytes())
    status, out = doorctl("card", "install-keys", "--port", enrol_twin.url, str(enrolment_bundle))
    assert status == 1 and "not a door-node key bundle" in out
