"""`doorctl`: the installer's, maintainer's and integrator's command.

Each subcommand is a few lines over a library function; errors of the
project's own kinds are printed as `doorctl: what failed and what to do` with
exit status 1, never as a Python traceback.
"""
from __future__ import annotations

import argparse
import sys

from host_tools import commands
from host_tools.errors import DoorctlError
from hw.twin.bench_ops import BenchError
from hw.twin.launcher import TwinError
from provisioning.flash_image import ImageError

USER_ERRORS = (DoorctlError, TwinError, ImageError, BenchError)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="doorctl", description=__doc__.splitlines()[0].split(": ", 1)[1])
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in commands.REGISTRY:
        register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except USER_ERRORS as e:
        print(f"doorctl: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("doorctl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `doorctl image info x | head`).
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
