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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

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
    """The parser of ``pinfold`` and each of its commands: options parse as Kubo's do.

    - A boolean option (:func:`bool_flag`) takes no following word: a bare ``--pin`` is true
      and ``add --pin photos/`` adds ``photos/``. Its value, when given, is joined with ``=``
      (``--pin=false``, ``-n=true``), spelled as Kubo's ``strconv.ParseBool`` after lower-casing
      (``true``, ``t``, ``1``, ``false``, ``f``, ``0``; empty means true).
    - Options may come anywhere among a command's positional words. An option that takes a
      value takes the next word, even one starting with ``-`` (``--entity-bytes -1:*``).
    - Options are spelled in full, as Kubo requires: no argparse abbreviations (``--raw`` for
      ``--raw-leaves``), so a later option can never make an old command line ambiguous.
    - Errors are one line, exit status 2, with no usage dump.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._intermixing = False

    def error(self, message: str) -> NoReturn:  # one line, exit 2, as argparse does, no usage
        # the words quoted in a message are the user's: escaped, so the message is one line
        self.exit(2, f"pinfold: error: {esc_name(message)}\n")

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None) -> Any:
        # subparsers call this too, each with the words after its command name
        words = self._bool_values(sys.argv[1:] if args is None else list(args))
        if self._intermixing or "--" in words or any(
                a.nargs in (argparse.PARSER, argparse.REMAINDER) for a in self._actions):
            return super().parse_known_args(words, namespace)
        # a command's own parser: options may come before, between and after its positional
        # words (``add a.txt --pin=false b.txt``), as in Kubo; plain argparse stops a list of
        # positionals at the first option. After "--" every word is positional (argparse's
        # intermixed parsing mishandles "--", so such a line is parsed the plain way).
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(words, namespace)
        finally:
            self._intermixing = False

    def _bool_values(self, words: list[str]) -> list[str]:
        """``words`` with each ``--flag=VALUE`` of a boolean option of this parser rewritten to
        the option's bare positive or negative form, which argparse parses without a value, and
        each option's value joined to it (``--mtime=-5``) when it starts with ``-``: the word
        after an option that takes a value is that value, as in Kubo."""
        flags: dict[str, BoolFlag] = {}
        valued: set[str] = set()
        for action in self._actions:
            for name in action.option_strings:
                if isinstance(action, BoolFlag):
                    flags[name] = action
                elif action.nargs is None:
                    valued.add(name)
        out: list[str] = []
        skip = False
        for i, word in enumerate(words):
            if skip:  # the value of the option before, whatever it looks like, as in Kubo
                skip = False
                if word.startswith("-") and out[-1] in valued:
                    out[-1] = f"{out[-1]}={word}"  # argparse would read it as an option
                else:
                    out.append(word)
                continue
            if word == "--":
                out.extend(words[i:])
                break
            name, eq, value = word.partition("=")
            if eq and name in flags:
                action = flags[name]
                on = _kubo_bool(value, name, self) != action.negate
                out.append(action.positive if on else action.negative)
                continue
            out.append(word)
            if word in valued:
                skip = True
            elif not eq and len(word) > 2 and word[0] == "-" and word[1] != "-":
                skip = self._short_cluster_wants_next(word, flags, valued)
        return out

    @staticmethod
    def _short_cluster_wants_next(word: str, flags: dict, valued: set[str]) -> bool:
        """Whether ``-nQs`` (short booleans, then maybe one option with a value) ends in an
        option that takes the next word as its value."""
        for j, char in enumerate(word[1:], start=1):
            name = "-" + char
            if name in flags:
                continue
            return name in valued and j == len(word) - 1
        return False


# -- argument types ---------------------------------------------------------------------------

_TRUE = frozenset({"", "true", "t", "1"})
_FALSE = frozenset({"false", "f", "0"})


def parse_bool(text: str) -> bool:
    """A boolean option's value as Kubo reads it: lower-cased, then Go's ``strconv.ParseBool``
    (``true``, ``t``, ``1``, ``false``, ``f``, ``0``); the empty value (``--pin=``) is true."""
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise argparse.ArgumentTypeError(
        f"expected true or false (or t, f, 1, 0), got {text!r}")


def _kubo_bool(text: str, option: str, parser: argparse.ArgumentParser) -> bool:
    try:
        return parse_bool(text)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"argument {option}: {exc}")
        raise  # not reached: error() exits


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


class BoolFlag(argparse.Action):
    """A boolean option as Kubo parses it: the bare option sets it (``negate``: clears it) and
    it never takes the next word. ``--flag=VALUE`` is turned into the bare positive or negative
    option by :class:`Parser` before argparse sees it."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, positive: str,
                 negative: str, negate: bool = False, default: bool | None = None,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)
        self.positive = positive
        self.negative = negative
        self.negate = negate

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, not self.negate)

    def format_usage(self) -> str:
        return self.option_strings[0] + "[=BOOL]"


def bool_flag(p: argparse.ArgumentParser, *names: str, dest: str, help: str,
              default: bool | None = None, no: tuple[str, str] | None = None) -> None:
    """Add a boolean option: ``--flag``, ``--flag=true|false`` (any of Kubo's spellings),
    short names (``-n``, ``-n=false``, grouped ``-nQ``) and a hidden ``--no-flag``.

    Every optional boolean flag of every command is defined here, so how they parse is decided
    in one place (:class:`BoolFlag`, :class:`Parser`); ``tests/cli/test_common.py`` walks every
    parser and fails on a boolean option made any other way. ``default`` is the value when the
    flag is not given: ``None`` lets the command decide (:func:`flag_value`). ``no`` is an
    extra, documented negative form: ``(name, help)``.
    """
    long = next((n for n in names if n.startswith("--")), None)
    negatives = ["--no-" + (long[2:] if long else dest.replace("_", "-"))]
    forms = {"positive": long or names[0], "negative": negatives[0]}
    p.add_argument(*names, dest=dest, action=BoolFlag, default=default,
                   help=f"{help} [=BOOL]", **forms)
    p.add_argument(negatives[0], dest=dest, action=BoolFlag, negate=True,
                   help=argparse.SUPPRESS, **forms)
    if no is not None:
        p.add_argument(no[0], dest=dest, action=BoolFlag, negate=True, help=no[1], **forms)


class RefusedFlag(BoolFlag):
    """A Kubo boolean option pinfold does not offer (:func:`unsupported`): the bare or true
    form is a usage error naming the reason; ``=false`` is accepted."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        if not self.negate:  # --flag=false asks for what pinfold does anyway
            raise argparse.ArgumentError(self, getattr(self, "reason", "not supported"))
        setattr(namespace, self.dest, False)


class _RefusedValue(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        raise argparse.ArgumentError(self, getattr(self, "reason", "not supported"))


def unsupported(p: argparse.ArgumentParser, *names: str, reason: str,
                value: bool = False) -> None:
    """A Kubo option pinfold does not offer (``add --nocopy``): refused with ``reason``, in one
    line, instead of argparse's "unrecognized arguments". ``value``: the option takes a value
    (``--to-files PATH``); otherwise it is a boolean, and its ``=false`` form is accepted."""
    dest = "unsupported_" + names[-1].lstrip("-").replace("-", "_")
    text = f"not supported by pinfold: {reason}"
    hidden = argparse.SUPPRESS  # not in --help: pinfold does not offer it
    if value:
        actions = [p.add_argument(*names, dest=dest, action=_RefusedValue, help=hidden)]
    else:
        long = next((n for n in names if n.startswith("--")), names[0])
        negative = "--no-" + long.lstrip("-")
        forms = {"positive": long, "negative": negative}
        actions = [p.add_argument(*names, dest=dest, action=RefusedFlag, default=False,
                                  help=hidden, **forms),
                   p.add_argument(negative, dest=dest, action=RefusedFlag, negate=True,
                                  help=hidden, **forms)]
    for action in actions:
        action.reason = text  # type: ignore[attr-defined]


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
