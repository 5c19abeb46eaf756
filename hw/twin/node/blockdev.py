"""The vfs partition of the twin's flash: a block device over the image file.

Behaves like esp32.Partition under littlefs: 4096-byte erase blocks,
readblocks/writeblocks with an offset, ioctl 6 erases to 0xFF. Programming
follows NOR flash: it can only clear bits, so a write without an erase shows
up as corrupted data, as on the chip. Every erase and every program is a
"write point"; the bench can cut the power at the N-th one, optionally after
tearing it (only the first half of the bytes reach the flash).
"""
BLOCK_SIZE = 4096


class FlashPartition:
    def __init__(self, f, offset, size, before_write=None):
        self._f = f
        self._before_write = before_write   # lets a fault armed by the bench take effect first
        self._offset = offset
        self._blocks = size // BLOCK_SIZE
        self.writes = 0          # write points since boot
        self.cut_at = 0          # power cut at this write point (0 = never)
        self.tear = False
        self._on_cut = None

    def configure_faults(self, cut_at, tear, on_cut):
        self.cut_at = cut_at
        self.tear = tear
        self._on_cut = on_cut

    def _check(self, block, offset, n):
        if block < 0 or block * BLOCK_SIZE + offset + n > self._blocks * BLOCK_SIZE:
            raise OSError(5)   # EIO, as a read past the partition fails on the board

    def readblocks(self, block, buf, offset=0):
        self._check(block, offset, len(buf))
        self._f.seek(self._offset + block * BLOCK_SIZE + offset)
        self._f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None:
            # Whole blocks: erase then program, as esp32.Partition does.
            n = len(buf) // BLOCK_SIZE
            for i in range(n):
                self._erase(block + i)
            self._program(block, 0, buf)
        else:
            self._program(block, offset, buf)

    def ioctl(self, op, arg):
        if op == 4:     # block count
            return self._blocks
        if op == 5:     # block size
            return BLOCK_SIZE
        if op == 6:     # erase
            self._erase(arg)
            return 0
        return 0        # init, deinit, sync: nothing to do, writes go straight to the file

    def _write_point(self):
        if self._before_write is not None:
            self._before_write()
        self.writes += 1
        return self.cut_at and self.writes >= self.cut_at

    def _erase(self, block):
        self._check(block, 0, BLOCK_SIZE)
        cut = self._write_point()
        n = BLOCK_SIZE // 2 if cut and self.tear else (0 if cut else BLOCK_SIZE)
        if n:
            self._f.seek(self._offset + block * BLOCK_SIZE)
            self._f.write(b"\xff" * n)
        if cut:
            self._cut()

    def _program(self, block, offset, buf):
        n = len(buf)
        self._check(block, offset, n)
        cut = self._write_point()
        if cut:
            n = n // 2 if self.tear else 0
        if n:
            pos = self._offset + block * BLOCK_SIZE + offset
            self._f.seek(pos)
            old = self._f.read(n)
            # NOR flash programming only clears bits.
            new = int.from_bytes(old, "big") & int.from_bytes(bytes(buf[:n]), "big")
            self._f.seek(pos)
            self._f.write(new.to_bytes(n, "big"))
        if cut:
            self._cut()

    def _cut(self):
        if self._on_cut is not None:
            self._on_cut()
