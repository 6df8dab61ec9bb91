"""Shared by the CLI tests: running a command (its output as bytes), the CAR fixtures and the
CIDs of their roots (as text)."""

from __future__ import annotations

from pinfold.cli.main import main
from tests.car.helpers import FIX  # noqa: F401 - the CLI tests' CAR files

R1 = "bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm"
R2 = "bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm"


def cli(capsysbinary, *args: str) -> tuple[int, bytes, str]:
    code = main(list(args))
    out, err = capsysbinary.readouterr()
    return code, out, err.decode()


def lines(out: bytes) -> list[str]:
    return out.decode().splitlines()


def either_side(capsys, words: list[str], flags: list[str], args: list[str]) -> tuple[int, str,
                str]:
    """Run ``pinfold *words`` with ``flags`` before ``args`` and again after them (Kubo parses
    both the same); the two runs must agree. Returns the first run's (code, stdout, stderr)."""
    runs = []
    for argv in ([*words, *flags, *args], [*words, *args, *flags]):
        code = main([str(w) for w in argv])
        out, err = capsys.readouterr()
        if isinstance(out, bytes):
            out, err = out.decode(), err.decode()
        runs.append((code, out, err))
    assert runs[0] == runs[1], (words, flags, args)
    return runs[0]


def run_usage(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``pinfold *args`` when it may be a usage error (argparse exits with status 2)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    if isinstance(out, bytes):
        out, err = out.decode(), err.decode()
    return code, out, err
