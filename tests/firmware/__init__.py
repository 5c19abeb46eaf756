"""Door-node firmware on the twin: reader driver, door, main loop, build (issue 4)."""
