"""A file-backed flash for littlefs (vfs.VfsLfs2) whose power can be cut after N writes.

    flash = FlashWithPowerCut("/tmp/x/flash.img", blocks=64)   # created erased (0xFF)
    flash.cut_after(10)      # the 11th program/erase is torn halfway, later ones are lost
    ... OSError(EIO) from the file system ...
    FlashWithPowerCut(path, blocks=64)   # "reboot": reopen the same bytes, mount again

Runs inside MicroPython (the node's real littlefs), not on CPython. The image
lives in a host file so that the node's 128 KB heap is not spent on the flash.
"""
import errno

BLOCK_SIZE = 4096


class FlashWithPowerCut:
    def __init__(self, path, blocks, erase=False):
        self.blocks = blocks
        self.writes = 0
        self._left = None
        if erase:
            with open(path, "wb") as f:
                page = b"\xff" * BLOCK_SIZE
                for _ in range(blocks):
                    f.write(page)
        self._f = open(path, "r+b")

    def cut_after(self, writes):
        self._left = writes

    def close(self):
        self._f.close()

    def _spend(self):
        """True if this write completes, "torn" for the one the cut interrupts, else False."""
        self.writes += 1
        if self._left is None:
            return True
        if self._left > 0:
            self._left -= 1
            return True
        if self._left == 0:
            self._left = -1
            return "torn"
        return False

    def _store(self, start, data):
        ok = self._spend()
        if ok is False:
            raise OSError(errno.EIO)
        self._f.seek(start)
        self._f.write(data if ok is True else data[:len(data) // 2])
        self._f.flush()
        if ok == "torn":
            raise OSError(errno.EIO)

    def readblocks(self, block, buf, offset=0):
        self._f.seek(block * BLOCK_SIZE + offset)
        self._f.readinto(buf)

    def writeblocks(self, block, buf, offset=0):
        self._store(block * BLOCK_SIZE + offset, buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return BLOCK_SIZE
        if op == 6:  # erase one block to 0xFF
            self._store(arg * BLOCK_SIZE, b"\xff" * BLOCK_SIZE)
            return 0
        return 0
