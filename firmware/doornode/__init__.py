"""doornode: the door-node application package (MicroPython; shared format modules also import on the host)."""
