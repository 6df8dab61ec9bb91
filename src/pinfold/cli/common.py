"""What every ``pinfold`` command shares: argument types, the one boolean-flag helper, the
parent parsers (``--repo``, ``--meta``), :func:`open_repo` and output helpers.

A command module (see :mod:`.registry`) builds its parsers with these and runs over the library
facade users call (``Repo.add``, ``Repo.pin``, ``repo.pins.query``, ``pinfold.exporter.cat``,
...), never over SQL or private names. Library packages other than the importer are imported
inside the command functions, so ``pinfold --help`` and ``pinfold add -n`` never load the repo,
the pin set, the exporter or the CAR code (about 100 ms of start-up).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import PinfoldError
from ..numbers import INT64_MAX, INT64_MIN, NumberError, parse_int

if TYPE_CHECKING:
    from ..repo import Repo


class CLIError(PinfoldError):
    """A usage error found by the command line itself."""


class Subcommands(Protocol):
    """Where a command module adds its parsers: ``add_subparsers()``'s result."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as argparse does, no usage dump
        self.exit(2, f"pinfold: error: {esc_name(message)}\n")


# -- argument types ---------------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "ki": 1024, "m": 1000**2,
          "mb": 1000**2, "mib": 1024**2, "mi": 1024**2, "g": 1000**3, "gb": 1000**3,
          "gib": 1024**3, "gi": 1024**3}


def parse_size(text: str) -> int:
    """``262144``, ``256KiB``, ``1MB``: a byte count as Kubo's config writes sizes."""
    m = _SIZE.match(text)
    if not m or (m.group(2) or "").lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (e.g. 262144 or 256KiB)")
    unit = _UNITS[(m.group(2) or "").lower()]
    try:
        return parse_int(m.group(1), "size", maximum=INT64_MAX // unit) * unit
    except NumberError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_mode(text: str) -> int:
    try:
        value = int(text, 8)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid mode {text!r} (octal, e.g. 0644)") from None
    if not 0 <= value <= 0o7777:
        raise argparse.ArgumentTypeError(f"mode {text!r} is out of range (0 to 7777)")
    return value


def nonneg_int(text: str) -> int:
    try:
        return parse_int(text.strip(), "expected a non-negative whole number")
    except NumberError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def signed_int(text: str) -> int:
    try:
        return parse_int(text.strip(), "expected a whole number", minimum=INT64_MIN)
    except NumberError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    value = nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("expected a number of at least 1")
    return value


# -- building parsers -------------------------------------------------------------------------


def bool_flag(p: argparse.ArgumentParser, *names: str, dest: str, help: str,
              no: tuple[str, str] | None = None) -> None:
    """``--flag``, ``--flag=true|false`` and ``--no-flag`` (Kubo writes ``--flag=false``).

    Every optional boolean flag of every command is defined here, so how they parse is decided
    in one place. ``no`` is an extra, documented negative form: ``(name, help)``.
    """
    p.add_argument(*names, dest=dest, nargs="?", const=True, default=None, type=parse_bool,
                   metavar="BOOL", help=help)
    long = [n for n in names if n.startswith("--")][0]
    p.add_argument("--no-" + long[2:], dest=dest, action="store_false", help=argparse.SUPPRESS)
    if no is not None:
        p.add_argument(no[0], dest=dest, action="store_false", help=no[1])


def flag_value(args: argparse.Namespace, dest: str, default: bool) -> bool:
    """The value of a :func:`bool_flag` (``None`` when not given: the command's default)."""
    value = getattr(args, dest)
    return default if value is None else value


def command_group(sub: Subcommands, name: str, help: str) -> Subcommands:
    """A command with subcommands (``pin add``, ...); alone it prints its usage."""
    parser = sub.add_parser(name, help=help)
    subs = parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND",
                                 parser_class=type(parser))
    parser.set_defaults(func=lambda a: _usage(parser))
    return subs


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def repo_options() -> argparse.ArgumentParser:
    """The parent parser of every command that opens a repo: ``--repo PATH``."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--repo", default=None, metavar="PATH",
                   help="repo directory (default: $PINFOLD_REPO, else ~/.pinfold)")
    return p


def meta_options() -> argparse.ArgumentParser:
    """``--meta KEY=VALUE`` (typed), ``--meta-str KEY=VALUE``, ``--group G``."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--meta", dest="set_meta", action="append", default=[], metavar="KEY=VALUE",
                   help="metadata; numbers, booleans and ISO-8601 times are stored typed")
    p.add_argument("--meta-str", dest="set_meta_str", action="append", default=[],
                   metavar="KEY=VALUE", help="metadata stored as a string")
    p.add_argument("--group", dest="set_groups", action="append", default=[], metavar="GROUP",
                   help="put the pin in this group (created if missing)")
    return p


# -- running commands -------------------------------------------------------------------------


def meta_pairs(typed: list[str], strings: list[str]) -> dict:
    """``KEY=VALUE`` texts as a metadata dict: ``typed`` values parsed (numbers, booleans,
    times), ``strings`` kept as strings."""
    from ..pins.meta import parse_cli_pair

    meta = {}
    for text in typed:
        k, v = parse_cli_pair(text)
        meta[k] = v
    for text in strings:
        k, v = parse_cli_pair(text, as_string=True)
        meta[k] = v
    return meta


def meta_from_args(args: argparse.Namespace) -> dict:
    """The metadata of :func:`meta_options`' flags."""
    return meta_pairs(args.set_meta, args.set_meta_str)


def open_repo(args: argparse.Namespace) -> Repo:
    """The repo at ``--repo`` (default ``$PINFOLD_REPO``, else ``~/.pinfold``)."""
    from ..repo import Repo

    return Repo(args.repo)


def esc_name(name: str) -> str:
    """Escape non-printable characters in names, as Kubo's EscNonPrint does: also what keeps an
    error message that quotes a name on its one line (``\\x85`` and ``\\u2028`` break lines)."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def repo_path(args: argparse.Namespace) -> str:
    """The directory of the repo at ``--repo`` (or the default), which must hold a repo: for
    commands that need only its files (the keystore, the IPNS records), not an open repo."""
    from ..repo import RepoError, default_repo_path

    path = args.repo or default_repo_path()
    if not os.path.exists(os.path.join(path, "config.json")):
        raise RepoError(f"no pinfold repo at {path} (run 'pinfold init')")
    return path


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


def read_input(name: str, *, error: str = "") -> bytes:
    """The bytes of file ``name``, or of stdin for ``-``; a file that cannot be read is a
    one-line error, ``{error}{name}: {reason}``."""
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        with open(name, "rb") as f:
            return f.read()
    except OSError as exc:
        raise PinfoldError(f"{error}{name}: {exc.strerror}") from None
