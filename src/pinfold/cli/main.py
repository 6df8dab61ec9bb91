"""``pinfold`` command line: Kubo's command names and flags over the pinfold library.

:func:`build_parser` builds the parser from the command modules in :mod:`.registry`;
:func:`main` (the console entry point) parses, runs the chosen command and turns pinfold's
errors into one-line messages and exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import PinfoldError
from .common import Parser, esc_name
from .registry import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pinfold",
        description="IPFS content, Kubo-identical, with no daemon: add, pin, read back, collect.",
    )
    parser.add_argument("--version", action="version", version=f"pinfold {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


# options whose values may start with "-" (``--entity-bytes -1:*``, as the gateway spec
# writes it); argparse would read such a value as an option
_DASH_VALUES = frozenset({"--entity-bytes"})


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg == "--":
            out.append(arg)
            out.extend(it)
            break
        if arg in _DASH_VALUES:
            value = next(it, None)
            if value is not None and value.startswith("-") and not value.startswith("--"):
                out.append(f"{arg}={value}")
                continue
            out.append(arg)
            if value is not None:
                out.append(value)
            continue
        out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_dash_values(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except PinfoldError as exc:
        sys.stderr.write(f"pinfold: error: {esc_name(str(exc))}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("pinfold: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:
        sys.stderr.write(f"pinfold: error: {esc_name(str(exc.strerror or exc))}\n")
        return 1


