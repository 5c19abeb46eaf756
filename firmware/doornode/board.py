"""Load the wiring of the board this node runs on (boards/<name>.py)."""


def load(name):
    mod = __import__("boards." + name, None, None, ("Board",))
    return mod.Board()
