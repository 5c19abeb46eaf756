"""The project's own error class: what the CLI catches and prints as `doorctl: ...`."""


class DoorctlError(Exception):
    """A failure the user can act on; the message says what failed and what to do."""
