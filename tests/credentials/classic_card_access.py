"""CardAccess over the twin's MIFARE Classic card model (hw/twin/node/cards_classic.py),
speaking real frames: WUPA, SELECT per cascade level, MFAuthent, READ, two-part WRITE."""
from hw.twin.node import cards_iso14443 as iso
from hw.twin.node.cards_classic import ClassicCard, blank_memory
from hw.twin.node.crc_a import with_crc

from doornode.cardkeys import KEY_A


class CardIOError(Exception):
    pass


def blank_card(uid: bytes, size: int = 1024) -> ClassicCard:
    card = ClassicCard(blank_memory(size, uid, 0x08, 0x0004), uid_len=len(uid))
    card.power(True)
    return card


class ModelCardAccess:
    def __init__(self, card: ClassicCard):
        self.card = card
        self.select()

    def select(self):
        card = self.card
        card.reset_session()
        card.state = iso.IDLE if card.state == iso.ACTIVE else card.state
        if card.receive(b"\x52", 7, False) is None:  # WUPA
            raise CardIOError("no answer to WUPA")
        for level in range(card.levels()):
            frame = with_crc(bytes((0x93 + 2 * level, 0x70)) + card.cascade_bytes(level))
            if card.receive(frame, 72, False) is None:
                raise CardIOError("no answer to SELECT")

    def uid(self) -> bytes:
        return bytes(self.card.uid())

    def authenticate(self, block, key_type, key) -> bool:
        cmd = 0x60 if key_type == KEY_A else 0x61
        result = self.card.mf_authent(cmd, block, key, self.card.auth_uid(),
                                      self.card.crypto_session(), False)
        if result != iso.AUTH_OK:
            self.select()
            return False
        return True

    def _send(self, data: bytes):
        return self.card.receive(with_crc(data), 8 * (len(data) + 2), self.card.crypto_session())

    def read_block(self, block) -> bytes:
        answer = self._send(bytes((0x30, block)))
        if answer is None or answer[1] != 144:
            raise CardIOError(f"READ {block} refused")
        return answer[0].to_bytes(18, "little")[:16]

    def write_block(self, block, data) -> None:
        if self._send(bytes((0xA0, block))) != iso.ACK or self._send(bytes(data)) != iso.ACK:
            raise CardIOError(f"WRITE {block} refused")
