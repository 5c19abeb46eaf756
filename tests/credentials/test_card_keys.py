"""Key hierarchy: AN10922 vectors (host and node), derivation separation, who holds what."""
import json
from pathlib import Path

import pytest

from doornode.cardkeys import KEY_A, KEY_B, classic_key, diversify_aes128
from provisioning.keys import (DoorNodeKeys, EnrolmentKeys, MissingKey, SiteCardKeys,
                               door_key, door_node_keys, enrolment_keys, new_root,
                               root_fingerprint, site_key)

from .conftest import TEST_ROOT

GOLDEN = json.loads((Path(__file__).parent / "golden" / "keys-and-card.json").read_text())

# mfrc522-reference.md section 9.4, verified vectors.
AN10922 = ("00112233445566778899AABBCCDDEEFF", "04782E21801D80" + "3042F5" + b"NXP Abu".hex(),
           "A8DD63A3B89D54B37CA802473FDA9175")
AN10957_SHORT_M = ("F3F9377698707B688EAF84ABE39E3791", "04DEADBEEFFEED",
                   "0BB408BAFF98B6EE9F2E1585777F6A51")
CLASSIC = ("000102030405060708090A0B0C0D0E0F", "DEADBEEF", 1, b"ACME-DOOR",
           "575604BF5923", "2D244CDBE832")


def test_an10922_vectors_on_the_host():
    for key, m, expected in (AN10922, AN10957_SHORT_M):
        assert diversify_aes128(bytes.fromhex(key), bytes.fromhex(m)).hex().upper() == expected
    master, uid, sector, system, key_a, key_b = CLASSIC
    assert classic_key(bytes.fromhex(master), bytes.fromhex(uid), sector, KEY_A, system).hex().upper() == key_a
    assert classic_key(bytes.fromhex(master), bytes.fromhex(uid), sector, KEY_B, system).hex().upper() == key_b


def test_short_input_is_not_plain_cmac():
    # libfreefare issue #91: for short M the AN10922 result differs from AES-CMAC.
    from cryptography.hazmat.primitives.cmac import CMAC
    from cryptography.hazmat.primitives.ciphers import algorithms
    key, m, expected = AN10957_SHORT_M
    c = CMAC(algorithms.AES(bytes.fromhex(key)))
    c.update(b"\x01" + bytes.fromhex(m))
    assert c.finalize().hex().upper().startswith("721E2C01")
    assert diversify_aes128(bytes.fromhex(key), bytes.fromhex(m)).hex().upper() == expected


def test_an10922_vectors_on_the_node(micropython):
    master, uid, sector, system, key_a, key_b = CLASSIC
    out = micropython(f"""
        import json, binascii
        from doornode.cardkeys import diversify_aes128, classic_key, KEY_A, KEY_B
        h = binascii.unhexlify
        print(json.dumps([
            binascii.hexlify(diversify_aes128(h({AN10922[0]!r}), h({AN10922[1]!r}))).decode(),
            binascii.hexlify(diversify_aes128(h({AN10957_SHORT_M[0]!r}), h({AN10957_SHORT_M[1]!r}))).decode(),
            binascii.hexlify(classic_key(h({master!r}), h({uid!r}), {sector}, KEY_A, {system!r})).decode(),
            binascii.hexlify(classic_key(h({master!r}), h({uid!r}), {sector}, KEY_B, {system!r})).decode()]))
    """)
    assert [x.upper() for x in out] == [AN10922[2], AN10957_SHORT_M[2], key_a, key_b]


def test_derivations_are_pinned():
    """Changing a label or an encoding here would lock every card and node out."""
    assert root_fingerprint(TEST_ROOT) == GOLDEN["fingerprint"]
    assert door_key(TEST_ROOT, 7).hex() == GOLDEN["door_key_7"]
    assert site_key(TEST_ROOT, 3).hex() == GOLDEN["site_key_3"]
    keys = SiteCardKeys.for_site(TEST_ROOT, 3)
    uid = bytes.fromhex(GOLDEN["uid"])
    assert keys.card_key_a(uid).hex() == GOLDEN["card_key_a_sector1"]
    assert keys.card_key_b(uid).hex() == GOLDEN["card_key_b_sector1"]


def test_every_key_is_distinct():
    root = new_root()
    keys = SiteCardKeys.for_site(root, 1)
    uid = bytes.fromhex("04A1B2C3D4E5F6")  # 7-byte UID
    derived = {
        door_key(root, 1), door_key(root, 2), site_key(root, 1), site_key(root, 2),
        keys.read_master, keys.write_master, keys.credential_key,
        keys.card_key_a(uid, 1), keys.card_key_b(uid, 1), keys.card_key_a(uid, 2),
        keys.card_key_a(uid[:4], 1), SiteCardKeys.for_site(root, 2).card_key_a(uid, 1),
    }
    assert len(derived) == 12
    assert door_key(root, 1) != door_key(new_root(), 1)


def test_keys_never_show_in_reprs():
    keys = door_node_keys(TEST_ROOT, 7, 3)
    text = repr(keys) + repr(enrolment_keys(TEST_ROOT, 3))
    for secret in (keys.door_key, keys.site.read_master, keys.site.credential_key):
        assert secret.hex() not in text and repr(secret) not in text


def test_a_door_node_gets_read_keys_only():
    bundle = door_node_keys(TEST_ROOT, door_id=7, site_id=3, rolling_counter=True)
    uid = bytes.fromhex("DEADBEEF")
    assert bundle.door_key == door_key(TEST_ROOT, 7)
    assert bundle.site.card_key_a(uid).hex() == GOLDEN["card_key_a_sector1"]
    with pytest.raises(MissingKey, match="enrolment station"):
        bundle.site.card_key_b(uid)
    data = bundle.to_bytes()
    assert GOLDEN["site_3_write_master"] not in data.decode()
    assert TEST_ROOT.hex() not in data.decode()
    again = DoorNodeKeys.from_bytes(data)
    assert again == bundle and again.rolling_counter


def test_a_door_node_bundle_that_carries_key_b_is_refused():
    data = json.loads(door_node_keys(TEST_ROOT, 7, 3).to_bytes())
    data["site"]["write_master"] = GOLDEN["site_3_write_master"]
    with pytest.raises(ValueError, match="key B"):
        DoorNodeKeys.from_bytes(json.dumps(data).encode())


def test_the_enrolment_station_gets_one_site():
    bundle = EnrolmentKeys.from_bytes(enrolment_keys(TEST_ROOT, 3).to_bytes())
    assert bundle.site == SiteCardKeys.for_site(TEST_ROOT, 3)
    text = enrolment_keys(TEST_ROOT, 3).to_bytes().decode()
    assert door_key(TEST_ROOT, 7).hex() not in text
    assert SiteCardKeys.for_site(TEST_ROOT, 4).read_master.hex() not in text
    with pytest.raises(ValueError, match="not a doornode enrolment keys bundle"):
        EnrolmentKeys.from_bytes(door_node_keys(TEST_ROOT, 7, 3).to_bytes())


@pytest.mark.parametrize("bad", [b"short", "not bytes"])
def test_a_weak_root_is_refused(bad):
    with pytest.raises(ValueError, match="district root"):
        door_key(bad, 1)


def test_site_ids_fit_the_credential_block():
    with pytest.raises(ValueError, match="site id"):
        site_key(TEST_ROOT, 0x10000)
