"""Introspection of the twin for tests and benchmarks (never imported by firmware).

From a test through mpremote: `import twin; twin.spi_stats()`.
"""
import machine
import world

_flash = [None]


def spi_stats(reset=False):
    """SPI transactions (chip-select cycles) and bytes since boot or the last reset."""
    stats = dict(machine._spi_stats)
    if reset:
        machine._spi_stats["transactions"] = 0
        machine._spi_stats["bytes"] = 0
    return stats


def spi_trace(on=None):
    """Start (True) or stop (False) recording every transfer; returns the record."""
    if on is not None:
        machine._spi_trace_on[0] = on
        if on:
            machine._spi_trace.clear()
    return list(machine._spi_trace)


def flash_writes():
    """Flash write points (erases and programs) since boot."""
    part = _flash[0]
    return part.writes if part is not None else 0


def device(name):
    """A device model on the node (e.g. "reader")."""
    return world.device(name)


def irq_dropped():
    return machine._stats["irq_dropped"]


def _on_flash_fault(msg):
    # Armed while running: count write points from now.
    part = _flash[0]
    if part is None:
        return
    cut = msg.get("cut_at", 0)
    part.configure_faults(part.writes + cut if cut else 0, msg.get("tear", False), world.halt_for_power_cut)


world.on("flash", _on_flash_fault)
