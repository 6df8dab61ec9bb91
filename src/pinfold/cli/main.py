"""``pinfold`` command line: Kubo's command names and flags over the pinfold library.

:func:`build_parser` builds the parser from the command modules in :mod:`.registry`;
:func:`main` (the console entry point) parses, runs the chosen command and turns pinfold's
errors into one-line messages and exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import PinfoldError
from ..version import __version__
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
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
    except UnicodeEncodeError as exc:  # a path no file system name can spell (a lone surrogate)
        bad = esc_name(exc.object[exc.start:exc.end]) if isinstance(exc.object, str) else "?"
        sys.stderr.write(f"pinfold: error: {bad!s} cannot be part of a file name\n")
        return 1


