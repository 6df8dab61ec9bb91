"""``pinfold car inspect|verify``: CAR files on their own, over :func:`pinfold.car.inspect`
(no repo)."""

from __future__ import annotations

import argparse
import json
import sys

from .common import Subcommands, bool_flag, command_group


def register(sub: Subcommands) -> None:
    csub = command_group(sub, "car", "CAR files: inspect and verify")
    p = csub.add_parser("inspect", help="version, roots, blocks, codecs and index of a CAR")
    p.add_argument("file", metavar="FILE.car")
    bool_flag(p, "--json", dest="json", default=False, help="print one JSON object")
    bool_flag(p, "--no-verify", dest="no_verify", default=False, help="do not hash the blocks")
    p.set_defaults(func=cmd_car_inspect)
    p = csub.add_parser("verify", help="check every block of CAR files against its CID")
    p.add_argument("files", nargs="+", metavar="FILE.car")
    p.set_defaults(func=cmd_car_verify)


def cmd_car_inspect(args: argparse.Namespace) -> int:
    from ..car import inspect

    s = inspect(args.file, verify=not args.no_verify)
    if args.json:
        sys.stdout.write(json.dumps(s.to_json()) + "\n")
        return 1 if s.problems else 0
    w = sys.stdout.write
    w(f"Version: {s.version}\n")
    if s.version == 2:
        w(f"Characteristics: {s.characteristics:032x}\n")
        w(f"Data offset: {s.data_offset}\nData size: {s.data_size}\n")
        w(f"Index offset: {s.index_offset}\n")
        if s.index_codec:
            w(f"Index: {s.index_codec} ({s.index_entries} entries)\n")
        else:
            w("Index: none\n")
    w(f"Roots: {len(s.roots)}\n")
    for r in s.roots:
        w(f"  {r}{'  (not in this CAR)' if r in s.missing_roots else ''}\n")
    w(f"Blocks: {s.blocks} ({s.unique_blocks} distinct, {s.block_bytes} bytes)\n")
    w("Codecs:\n")
    for name, n in sorted(s.codecs.items()):
        w(f"  {name}: {n}\n")
    w("Hashes:\n")
    for name, n in sorted(s.hashes.items()):
        w(f"  {name}: {n}\n")
    for p in s.problems:
        sys.stderr.write(f"pinfold: problem: {p}\n")
    return 1 if s.problems else 0


def cmd_car_verify(args: argparse.Namespace) -> int:
    from ..car import CarError, inspect

    bad = 0
    for f in args.files:
        try:
            s = inspect(f, verify=True)
        except CarError as exc:
            sys.stdout.write(f"{f}: FAILED: {exc}\n")
            bad += 1
            continue
        if s.problems:
            sys.stdout.write(f"{f}: FAILED: {'; '.join(s.problems)}\n")
            bad += 1
        else:
            sys.stdout.write(f"{f}: OK (CARv{s.version}, {s.blocks} blocks verified)\n")
    return 1 if bad else 0
