"""The node's event log: authenticated, power-cut safe, on littlefs (docs/event-log.md).

    log = EventLog("/log", door_id=7, door_key=key).open()   # recovers after a power cut
    seq = log.append(EV_GRANT, card=1234)                    # on flash when it returns
    # reading, the head and acknowledgements: doornode.event_log_read (maintenance only)

Segments are files of one flash block (`s%08x`): a 32-byte header, then up to 254
16-byte records (doornode.event_record). A record is appended with one write and
close; littlefs commits a file's new size atomically, so a power cut leaves the
append whole or absent. At open() every record of the newest segment is checked
against its tag chain anyway, and anything after the first bad record is cut off
(and an EV_LOG_REPAIRED record says how many bytes). Each segment has its own key;
the key file holds only the newest one, the ones before are forgotten.
When the log is full, acknowledged segments go first; unacknowledged ones only
with an explicit EV_EVENTS_LOST record. Errors raise OSError to the caller; the
sink (EventLogSink) turns them into an alarm and never lets them reach the door.
"""
from micropython import const
import os
import struct
import time

from doornode import event_record as er

_KEY_FILE = "key"         # origin u8, segment u32, key 32
_ACK_FILE = "ack"         # the last verified acknowledgement (36 bytes)
_ENOSPC = const(28)
_ACK_SIZE = const(36)
_SEG = const(5)          # header fields (event_record.unpack_header)
_LOG = const(4)
_FIRST = const(6)
_PER = er.PER_SEGMENT
DEFAULT_SEGMENTS = 400    # 101,600 events (docs/event-log.md: capacity)
FILL_ALARM_PERCENT = 80


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


class EventLog:
    def __init__(self, directory="/log", door_id=0, door_key=None, max_segments=DEFAULT_SEGMENTS,
                 clock=time.time):
        self.dir = directory
        self.door = door_id or 0
        self.door_key = door_key
        self.max_segments = max_segments
        self._clock = clock
        self.alarms = []            # latched: "log_filling", "flash_fault"
        self.new_alarms = []        # raised, not yet reported (the sink rings them on the door)
        self.pending = []           # records to write before the next event: (type, reason, card, extra)
        self.repaired = 0
        self.lost_total = 0

    # ------------------------------------------------------------ files
    def _path(self, name):
        return self.dir + "/" + name

    def _seg_path(self, seg):
        return self._path("s%08x" % seg)

    def _replace(self, name, data):
        tmp = self._path(name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, self._path(name))      # littlefs: one atomic metadata commit

    def _list_segments(self):
        segs = []
        for name in os.listdir(self.dir):
            if name.endswith(".tmp"):
                _remove(self._path(name))     # half-written replacement from before a power cut
            elif len(name) == 9 and name[0] == "s":
                segs.append(int(name[1:], 16))
        segs.sort()
        return segs

    # ------------------------------------------------------------ open and recover
    def open(self):
        try:
            os.mkdir(self.dir)
        except OSError:
            pass
        self.segments = self._list_segments()
        self._load_key()
        ack = _read(self._path(_ACK_FILE))
        self.segment = None          # the newest segment, where appends go
        self.count = _PER            # records in it (full: the next append starts a segment)
        self.next_seq = 1
        self.last_tag = 0
        self.boot = 0
        self.log_id = None
        self._headers = {}
        while self.segments and not self._recover(self.segments[-1]):
            pass
        if self.log_id is None:
            self.log_id = struct.unpack(">I", os.urandom(4))[0] or 1
        self.acked = 0
        if ack and len(ack) == _ACK_SIZE and struct.unpack(">I", ack[8:12])[0] == self.log_id:
            self.acked = struct.unpack(">I", ack[12:16])[0]
        return self

    def _load_key(self):
        data = _read(self._path(_KEY_FILE))
        if data and len(data) == 37:
            self.origin, self.key_seg = struct.unpack(">BI", data[:5])
            self.key = data[5:]
        else:
            # No provisioned log key: a weaker chain from the door key (or none at all).
            self.key_seg = 0
            if self.door_key:
                self.origin, self.key = er.ORIGIN_DOOR_KEY, er.derived_key0(self.door_key)
            else:
                self.origin, self.key = er.ORIGIN_NONE, bytes(32)
        self.mac = er.LogMac(self.key)

    def _key_for(self, seg):
        """LogMac of segment seg (only the key file's segment or a later one can be had)."""
        if seg < self.key_seg:
            return None
        return er.LogMac(er.key_at(self.key, seg, self.key_seg))

    def _recover(self, seg):
        """Make seg the newest segment; False (after deleting it) when its header is bad."""
        path = self._seg_path(seg)
        try:
            size = os.stat(path)[6]
            with open(path, "rb") as f:
                head = f.read(er.HEADER_SIZE)
        except OSError:
            size, head = 0, b""
        h = er.unpack_header(head)
        mac = None if h is None else self._key_for(seg)
        if h is not None and h[_SEG] == seg and mac is None:
            # Older than the key file's segment (that one was lost): its key is gone and it
            # is full by construction; the next append starts a new segment.
            self._adopt(h, head, size, None)
            self.count = _PER
            return True
        if h is None or h[_SEG] != seg or not er.header_ok(head, mac):
            _remove(path)                       # torn while being created, or not ours
            self.segments.pop()
            self._repaired(size)
            return False
        self._adopt(h, head, size, mac)
        return True

    def _repaired(self, dropped):
        self.repaired += dropped
        self.pending.append((er.EV_LOG_REPAIRED, 0, dropped, 0))

    def _adopt(self, h, head, size, mac):
        seg = h[_SEG]
        self.segment = seg
        self.log_id = h[_LOG]
        self.origin = h[1]
        self.boot = h[2]
        first = h[_FIRST]
        self._headers[seg] = head
        prev = er.header_tag(head)
        n = 0
        end = min((size - er.HEADER_SIZE) // er.RECORD_SIZE, _PER)
        rec = bytearray(er.RECORD_SIZE)
        with open(self._seg_path(seg), "rb") as f:
            f.seek(er.HEADER_SIZE)
            while n < end:
                f.readinto(rec)
                if mac is not None and not er.record_ok(rec, 0, self.door, self.log_id, first + n, prev, mac):
                    break
                if rec[4] & 0x7F == er.EV_BOOT:
                    self.boot = (rec[10] << 8) | rec[11]       # low 16 bits of the card field
                prev = er.record_tag(rec)
                n += 1
        good = er.HEADER_SIZE + n * er.RECORD_SIZE
        if mac is not None and good != size:
            # Damaged or foreign bytes after the last good record: keep the good prefix only.
            with open(self._seg_path(seg), "rb") as f:
                data = f.read(good)
            self._replace("s%08x" % seg, data)
            self._repaired(size - good)
        if mac is not None:
            self.mac = mac
            self.key = mac.key
            self.key_seg = seg
        self.count = n
        self.next_seq = first + n
        self.last_tag = prev

    # ------------------------------------------------------------ appending
    def start_boot(self):
        """A new boot: the counter rises (kept in the BOOT record and segment headers)."""
        self.boot = (self.boot + 1) & 0xFFFF
        return self.boot

    def now(self):
        return int(self._clock())

    def append(self, etype, reason=0, card=0, extra=0):
        """Write one event; returns its sequence number once it is on flash."""
        if self.count >= _PER or self.segment is None:
            self._rollover()
        while self.pending:
            p = self.pending[0]
            if self.count >= _PER:
                self._rollover()
            self._write(p[0], p[1], p[2], p[3])
            self.pending.pop(0)
        if self.count >= _PER:
            self._rollover()
        return self._write(etype, reason, card, extra)

    def _write(self, etype, reason, card, extra):
        t = self.now()
        ty = etype | (er.CLOCK_UNSET if t < er.CLOCK_MIN else 0)
        seq = self.next_seq
        rec = er.pack_record(t, ty, reason, extra, card, self.door, self.log_id, seq, self.last_tag, self.mac)
        try:
            with open(self._seg_path(self.segment), "ab") as f:
                f.write(rec)
        except OSError:
            self.open()              # whatever reached the flash is what counts
            raise
        self.count += 1
        self.next_seq = seq + 1
        self.last_tag = er.record_tag(rec)
        return seq

    def _rollover(self):
        seg = self.key_seg if self.segment is None else max(self.segment + 1, self.key_seg)
        lost = self._make_room(1)
        mac = self._key_for(seg)
        header = er.pack_header(self.origin, self.boot, self.door, self.log_id, seg, self.next_seq,
                                self.last_tag, mac)
        for attempt in (0, 1):
            try:
                with open(self._seg_path(seg), "wb") as f:
                    f.write(header)
                break
            except OSError as e:
                _remove(self._seg_path(seg))
                if attempt or e.args[0] != _ENOSPC or len(self.segments) < 2:
                    raise
                lost += self._drop_oldest()              # the file system is fuller than planned
        # The new segment exists; now forget the old key (a power cut before this line
        # is recovered at open: the key file's key is ratcheted forward to the segment).
        self._replace(_KEY_FILE, er.key_file(self.origin, seg, mac.key))
        self.segments.append(seg)
        self._headers[seg] = header
        self.segment, self.count, self.last_tag = seg, 0, er.header_tag(header)
        self.mac, self.key, self.key_seg = mac, mac.key, seg
        if lost:
            self.lost_total += lost
            self.pending.insert(0, (er.EV_EVENTS_LOST, 0, lost, 0))
        if self.fill_percent() >= FILL_ALARM_PERCENT and "log_filling" not in self.alarms:
            self.raise_alarm("log_filling")

    def _make_room(self, need):
        lost = 0
        while self.segments and len(self.segments) + need > self.max_segments:
            lost += self._drop_oldest()
        return lost

    def _drop_oldest(self):
        """Delete the oldest segment; returns how many unacknowledged events went with it."""
        seg = self.segments.pop(0)
        first, n = self._extent(seg)
        os.remove(self._seg_path(seg))
        self._headers.pop(seg, None)
        last = first + n - 1
        return 0 if last <= self.acked else last - max(first - 1, self.acked)

    def _extent(self, seg):
        """(first seq, record count) of a segment from its header and size."""
        if seg == self.segment:
            return self.next_seq - self.count, self.count
        header = self._header(seg)
        size = os.stat(self._seg_path(seg))[6]
        return er.unpack_header(header)[_FIRST], (size - er.HEADER_SIZE) // er.RECORD_SIZE

    def _header(self, seg):
        h = self._headers.get(seg)
        if h is None:
            with open(self._seg_path(seg), "rb") as f:
                h = f.read(er.HEADER_SIZE)
            if len(self._headers) > 16:
                self._headers.clear()
            self._headers[seg] = h
        return h

    # ------------------------------------------------------------ state
    def fill_percent(self):
        return len(self.segments) * 100 // self.max_segments

    def raise_alarm(self, name):
        if name not in self.alarms:
            self.alarms.append(name)
            self.new_alarms.append(name)

    def reset_alarms(self):
        gone = [a for a in self.alarms if a != "log_filling" or self.fill_percent() < FILL_ALARM_PERCENT]
        for a in gone:
            self.alarms.remove(a)
        return gone
