"""The laptop's spool: what was pulled from door nodes and what waits to go back to them.

    spool = Spool.open()                      # ~/.local/share/doorctl/spool.sqlite (or a path)
    spool.add_slice(door, log_id, origin, header, first_index, records)  -> (new, dup)
    spool.pending_batches(door, log_id, max_records)    # what sync still has to upload
    spool.waiting_ack(door) / spool.waiting_card_list(door)

One SQLite file (WAL, every change in a transaction), so a laptop that crashes or
loses power mid-pull or mid-sync keeps everything it had committed and resumes.
It holds no personal data: door ids, event records (card ids, not names),
acknowledgements and authenticated card lists only. Nothing in it is secret
either: the laptop holds no keys, the server verifies every record.

Tables (per door, per node log): logs (pull progress, the head the node last
reported, upload progress), segments (each segment header once), records (the raw
16-byte records, keyed by sequence number: a record pulled twice is stored once),
acks (the newest acknowledgement from the server, delivered or not), card_lists
(the newest list for the door, delivered or not), meta (server time offset).
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from doornode import event_record as er
from host_tools.errors import DoorctlError

SPOOL_ENV = "DOORCTL_SPOOL"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
    door_id INTEGER NOT NULL, log_id INTEGER NOT NULL, origin INTEGER NOT NULL,
    node_id TEXT, next_seq INTEGER NOT NULL,          -- pull progress: first seq not yet pulled
    chain_seq INTEGER NOT NULL DEFAULT 0,             -- last seq whose chain link was checked
    chain_tag INTEGER,                                -- its tag
    head_json TEXT,                                   -- the node's last status (head, mac, ...)
    pulled_at REAL, PRIMARY KEY (door_id, log_id));
CREATE TABLE IF NOT EXISTS segments (
    door_id INTEGER NOT NULL, log_id INTEGER NOT NULL, segment INTEGER NOT NULL,
    first_seq INTEGER NOT NULL, header BLOB NOT NULL, PRIMARY KEY (door_id, log_id, segment));
CREATE TABLE IF NOT EXISTS records (
    door_id INTEGER NOT NULL, log_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    segment INTEGER NOT NULL, record BLOB NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0,              -- 1: the server has it (stored or duplicate)
    PRIMARY KEY (door_id, log_id, seq));
CREATE INDEX IF NOT EXISTS records_pending ON records (door_id, log_id, uploaded, seq);
CREATE TABLE IF NOT EXISTS gaps (
    door_id INTEGER NOT NULL, log_id INTEGER NOT NULL, from_seq INTEGER NOT NULL,
    to_seq INTEGER NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (door_id, log_id, from_seq));
CREATE TABLE IF NOT EXISTS acks (
    door_id INTEGER PRIMARY KEY, log_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    ack BLOB NOT NULL, received_at REAL NOT NULL, delivered_at REAL);
CREATE TABLE IF NOT EXISTS card_lists (
    door_id INTEGER PRIMARY KEY, version INTEGER NOT NULL, content BLOB NOT NULL,
    received_at REAL NOT NULL, delivered_at REAL);
"""


class SpoolError(DoorctlError):
    pass


def default_spool_path() -> Path:
    """$DOORCTL_SPOOL, else spool.sqlite in the user's data directory (XDG on Linux)."""
    if os.environ.get(SPOOL_ENV):
        return Path(os.environ[SPOOL_ENV])
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "doorctl" / "spool.sqlite"


@dataclass
class LogState:
    door_id: int
    log_id: int
    origin: int
    node_id: str | None
    next_seq: int
    chain_seq: int
    chain_tag: int | None
    head: dict | None
    pulled_at: float | None


class Spool:
    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path = path
        self.db = db

    @classmethod
    def open(cls, path: str | Path | None = None) -> "Spool":
        path = Path(path) if path else default_spool_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")      # a committed pull survives a power cut
            db.executescript(SCHEMA)
        except sqlite3.Error as e:
            raise SpoolError(f"cannot open the spool {path}: {e}") from None
        return cls(path, db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------ meta
    def get_meta(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        self.db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE "
                        "SET value=excluded.value", (key, json.dumps(value)))

    def server_time(self) -> float:
        """Laptop time corrected by the offset measured at the last sync (server time)."""
        return time.time() + float(self.get_meta("server_offset_s", 0.0))

    # ------------------------------------------------------------ logs and pull progress
    def log_state(self, door_id: int, log_id: int) -> LogState | None:
        row = self.db.execute("SELECT door_id, log_id, origin, node_id, next_seq, chain_seq, chain_tag, "
                              "head_json, pulled_at FROM logs WHERE door_id=? AND log_id=?",
                              (door_id, log_id)).fetchone()
        if row is None:
            return None
        return LogState(*row[:7], json.loads(row[7]) if row[7] else None, row[8])

    def logs(self, door_id: int | None = None) -> list[LogState]:
        q = "SELECT door_id, log_id FROM logs" + (" WHERE door_id=?" if door_id is not None else "")
        rows = self.db.execute(q + " ORDER BY door_id, log_id",
                               () if door_id is None else (door_id,)).fetchall()
        return [self.log_state(d, lg) for d, lg in rows]

    def begin_log(self, door_id: int, log_id: int, origin: int, node_id: str | None, first_seq: int) -> LogState:
        """The log's state, created at the node's oldest record when first seen."""
        self.db.execute("INSERT OR IGNORE INTO logs(door_id, log_id, origin, node_id, next_seq) "
                        "VALUES(?, ?, ?, ?, ?)", (door_id, log_id, origin, node_id, first_seq))
        return self.log_state(door_id, log_id)

    def set_head(self, door_id: int, log_id: int, head: dict) -> None:
        self.db.execute("UPDATE logs SET head_json=?, pulled_at=? WHERE door_id=? AND log_id=?",
                        (json.dumps(head), time.time(), door_id, log_id))

    def add_gap(self, door_id: int, log_id: int, from_seq: int, to_seq: int, reason: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO gaps VALUES(?, ?, ?, ?, ?)",
                        (door_id, log_id, from_seq, to_seq, reason))

    def gaps(self, door_id: int, log_id: int) -> list[tuple[int, int, str]]:
        return self.db.execute("SELECT from_seq, to_seq, reason FROM gaps WHERE door_id=? AND log_id=? "
                               "ORDER BY from_seq", (door_id, log_id)).fetchall()

    # ------------------------------------------------------------ records
    def store_slice(self, door_id: int, log_id: int, header: bytes, first_index: int,
                    records: bytes) -> tuple[int, int, int]:
        """Store one slice (inside the caller's transaction). Returns (new, duplicates, conflicts):
        a record already held is kept as it was; one that differs from it is a conflict."""
        h = er.unpack_header(header)
        segment, first = h[er.HDR_SEGMENT], h[er.HDR_FIRST_SEQ]
        self.db.execute("INSERT OR IGNORE INTO segments VALUES(?, ?, ?, ?, ?)",
                        (door_id, log_id, segment, first, header))
        n = len(records) // er.RECORD_SIZE
        seq0 = first + first_index
        have = dict(self.db.execute("SELECT seq, record FROM records WHERE door_id=? AND log_id=? "
                                    "AND seq BETWEEN ? AND ?", (door_id, log_id, seq0, seq0 + n - 1)))
        new = dup = bad = 0
        rows = []
        for i in range(n):
            rec = records[i * er.RECORD_SIZE:(i + 1) * er.RECORD_SIZE]
            old = have.get(seq0 + i)
            if old is None:
                rows.append((door_id, log_id, seq0 + i, segment, rec))
                new += 1
            elif bytes(old) == rec:
                dup += 1
            else:
                bad += 1
        self.db.executemany("INSERT INTO records(door_id, log_id, seq, segment, record) "
                            "VALUES(?, ?, ?, ?, ?)", rows)
        return new, dup, bad

    def refill_slice(self, door_id: int, log_id: int, header: bytes, first_index: int, records: bytes) -> int:
        """Records pulled again because the server lacks them: the node's copy replaces the
        spool's (which may have been damaged or edited) and goes up again. Returns how many."""
        h = er.unpack_header(header)
        segment, first = h[er.HDR_SEGMENT], h[er.HDR_FIRST_SEQ]
        self.db.execute("INSERT OR IGNORE INTO segments VALUES(?, ?, ?, ?, ?)",
                        (door_id, log_id, segment, first, header))
        n = len(records) // er.RECORD_SIZE
        self.db.executemany(
            "INSERT INTO records(door_id, log_id, seq, segment, record) VALUES(?, ?, ?, ?, ?) "
            "ON CONFLICT(door_id, log_id, seq) DO UPDATE SET record=excluded.record, uploaded=0",
            [(door_id, log_id, first + first_index + i, segment, records[i * 16:(i + 1) * 16]) for i in range(n)])
        return n

    def set_server_gaps(self, door_id: int, log_id: int, gaps: list[dict]) -> None:
        """What the server says it lacks (missing, cut_tail): the next pull fetches them again."""
        self.db.execute("DELETE FROM gaps WHERE door_id=? AND log_id=? AND reason='server_missing'",
                        (door_id, log_id))
        for g in gaps:
            if g["kind"] in ("missing", "cut_tail"):
                self.db.execute("INSERT OR REPLACE INTO gaps VALUES(?, ?, ?, ?, 'server_missing')",
                                (door_id, log_id, g["from"], g["to"]))

    def server_gaps(self, door_id: int, log_id: int) -> list[tuple[int, int]]:
        return self.db.execute("SELECT from_seq, to_seq FROM gaps WHERE door_id=? AND log_id=? "
                               "AND reason='server_missing' ORDER BY from_seq", (door_id, log_id)).fetchall()

    def advance(self, door_id: int, log_id: int, next_seq: int, chain_seq: int, chain_tag: int | None) -> None:
        self.db.execute("UPDATE logs SET next_seq=MAX(next_seq, ?), chain_seq=?, chain_tag=? "
                        "WHERE door_id=? AND log_id=?", (next_seq, chain_seq, chain_tag, door_id, log_id))

    def count(self, door_id: int | None = None, uploaded: bool | None = None) -> int:
        q, args = "SELECT COUNT(*) FROM records WHERE 1=1", []
        if door_id is not None:
            q += " AND door_id=?"
            args.append(door_id)
        if uploaded is not None:
            q += " AND uploaded=?"
            args.append(int(uploaded))
        return self.db.execute(q, args).fetchone()[0]

    def seqs(self, door_id: int, log_id: int) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT seq FROM records WHERE door_id=? AND log_id=? "
                                              "ORDER BY seq", (door_id, log_id))]

    def pending_batch(self, door_id: int, log_id: int, max_records: int) -> list[dict]:
        """The oldest records not yet uploaded, as slices [{header, first_index, records}]
        cut at segment boundaries and at holes; [] when nothing waits."""
        rows = self.db.execute("SELECT seq, segment, record FROM records WHERE door_id=? AND log_id=? "
                               "AND uploaded=0 ORDER BY seq LIMIT ?", (door_id, log_id, max_records)).fetchall()
        headers = {}
        slices = []
        for seq, segment, rec in rows:
            if segment not in headers:
                headers[segment] = self.db.execute(
                    "SELECT header, first_seq FROM segments WHERE door_id=? AND log_id=? AND segment=?",
                    (door_id, log_id, segment)).fetchone()
            header, first = headers[segment]
            cur = slices[-1] if slices else None
            if cur and cur["segment"] == segment and cur["next"] == seq:
                cur["records"] += bytes(rec)
                cur["next"] += 1
            else:
                slices.append({"segment": segment, "header": bytes(header), "first_index": seq - first,
                               "records": bytearray(rec), "next": seq + 1, "first_seq": seq})
        return slices

    def mark_uploaded(self, door_id: int, log_id: int, seqs_from: int, seqs_to: int) -> None:
        self.db.execute("UPDATE records SET uploaded=1 WHERE door_id=? AND log_id=? AND seq BETWEEN ? AND ?",
                        (door_id, log_id, seqs_from, seqs_to))

    def record(self, door_id: int, log_id: int, seq: int) -> bytes | None:
        row = self.db.execute("SELECT record FROM records WHERE door_id=? AND log_id=? AND seq=?",
                              (door_id, log_id, seq)).fetchone()
        return bytes(row[0]) if row else None

    def trim_uploaded(self, door_id: int, log_id: int, upto_seq: int) -> int:
        """Forget records the server acknowledged (kept only until then); returns how many."""
        cur = self.db.execute("DELETE FROM records WHERE door_id=? AND log_id=? AND uploaded=1 AND seq<=?",
                              (door_id, log_id, upto_seq))
        return cur.rowcount

    # ------------------------------------------------------------ what waits for the node
    def put_ack(self, door_id: int, log_id: int, seq: int, ack: bytes) -> bool:
        """Keep the server's acknowledgement if it is newer than the one held; True if kept."""
        row = self.db.execute("SELECT log_id, seq FROM acks WHERE door_id=?", (door_id,)).fetchone()
        if row is not None and row[0] == log_id and row[1] >= seq:
            return False
        self.db.execute("INSERT OR REPLACE INTO acks VALUES(?, ?, ?, ?, ?, NULL)",
                        (door_id, log_id, seq, ack, time.time()))
        return True

    def waiting_ack(self, door_id: int) -> tuple[int, int, bytes] | None:
        row = self.db.execute("SELECT log_id, seq, ack FROM acks WHERE door_id=? AND delivered_at IS NULL",
                              (door_id,)).fetchone()
        return None if row is None else (row[0], row[1], bytes(row[2]))

    def ack_delivered(self, door_id: int) -> None:
        self.db.execute("UPDATE acks SET delivered_at=? WHERE door_id=?", (time.time(), door_id))

    def put_card_list(self, door_id: int, version: int, content: bytes) -> bool:
        row = self.db.execute("SELECT version FROM card_lists WHERE door_id=?", (door_id,)).fetchone()
        if row is not None and row[0] >= version:
            return False
        self.db.execute("INSERT OR REPLACE INTO card_lists VALUES(?, ?, ?, ?, NULL)",
                        (door_id, version, content, time.time()))
        return True

    def waiting_card_list(self, door_id: int) -> tuple[int, bytes] | None:
        row = self.db.execute("SELECT version, content FROM card_lists WHERE door_id=? AND delivered_at IS NULL",
                              (door_id,)).fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def card_list_delivered(self, door_id: int) -> None:
        self.db.execute("UPDATE card_lists SET delivered_at=? WHERE door_id=?", (time.time(), door_id))

    def doors(self) -> list[int]:
        """Doors this laptop serves: those it pulled from or holds something for."""
        rows = self.db.execute("SELECT door_id FROM logs UNION SELECT door_id FROM acks "
                               "UNION SELECT door_id FROM card_lists ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def summary(self) -> dict:
        out = {"path": str(self.path), "doors": {}}
        for st in self.logs():
            d = out["doors"].setdefault(st.door_id, {"logs": []})
            d["logs"].append({"log_id": st.log_id, "next_seq": st.next_seq,
                              "held": self.count_log(st.door_id, st.log_id),
                              "to_upload": self.count_log(st.door_id, st.log_id, uploaded=False)})
        return out

    def count_log(self, door_id: int, log_id: int, uploaded: bool | None = None) -> int:
        q = "SELECT COUNT(*) FROM records WHERE door_id=? AND log_id=?"
        args = [door_id, log_id]
        if uploaded is not None:
            q += " AND uploaded=?"
            args.append(int(uploaded))
        return self.db.execute(q, args).fetchone()[0]
