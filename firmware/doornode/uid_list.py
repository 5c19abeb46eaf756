"""PROVISIONAL access decision: a plain list of card UIDs in /cards.txt.

UID-only decisions open the door to any clone of a listed card (requirements.md, complaint 5).
This module only stands in for the decision seam until the credential check (credential.py,
cardlist_store.py) replaces it; nothing else may depend on it.

    decide = UidList("/cards.txt")      # one UID per line, hex; '#' starts a comment
    granted, reason = decide.authorize(card)

The seam: authorize(card) -> (granted, reason), where card has .uid (bytes), .sak, .atqa and
.reader (the MFRC522, still talking to the selected card, for genuine-card checks).
"""
import binascii


class Card:
    """The card just selected on the reader."""

    def __init__(self, uid, sak, atqa, reader):
        self.uid = uid
        self.sak = sak
        self.atqa = atqa
        self.reader = reader

    def uid_hex(self):
        return binascii.hexlify(self.uid).decode()


class UidList:
    def __init__(self, path="/cards.txt"):
        self.uids = set()
        try:
            with open(path) as f:
                for line in f:
                    line = line.split("#", 1)[0].strip().lower()
                    if line:
                        self.uids.add(line)
        except OSError:
            pass                  # no list: every card is refused

    def authorize(self, card):
        if card.uid_hex() in self.uids:
            return True, ""
        return False, "unknown card"
