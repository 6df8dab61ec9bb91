"""``pinfold repo gc|stat|verify``: the repo as a whole, over ``Repo.gc``, ``Repo.stat`` and
``Repo.verify``."""

from __future__ import annotations

import argparse
import os
import sys

from ..cid import CID
from .common import Subcommands, bool_flag, command_group, open_repo, out, repo_options


def register(sub: Subcommands) -> None:
    common = repo_options()
    rsub = command_group(sub, "repo", "gc, stat, verify, migrate")
    p = rsub.add_parser("gc", parents=[common], help="delete blocks nothing pinned references")
    bool_flag(p, "--full", dest="full", default=False,
              help="mark and sweep from the pins, repairing reference counts")
    bool_flag(p, "-q", "--quiet", dest="quiet", default=False,
              help="write minimal output: the removed CIDs alone")
    bool_flag(p, "--silent", dest="silent", default=False, help="write no output")
    bool_flag(p, "--stream-errors", dest="stream_errors", default=False,
              help="accepted for Kubo; errors always stop gc here")
    p.set_defaults(func=cmd_repo_gc)
    p = rsub.add_parser("stat", parents=[common], help="blocks, bytes, pinned bytes")
    bool_flag(p, "-s", "--size-only", dest="size_only", default=False,
              help="only report RepoSize")
    bool_flag(p, "-H", "--human", dest="human", default=False,
              help="print sizes in human readable format (e.g. 1K 234M 2G)")
    p.set_defaults(func=cmd_repo_stat)
    p = rsub.add_parser("verify", parents=[common],
                        help="re-hash every block and check pins and reference counts")
    p.set_defaults(func=cmd_repo_verify)
    p = rsub.add_parser("migrate", parents=[common],
                        help="copy this repo's blocks and pins into another repo (resumable)")
    p.add_argument("to", metavar="DEST", help="the directory of the repo to copy into (made"
                   " with pinfold init, local or pointing at shared stores)")
    p.set_defaults(func=cmd_repo_migrate)


def cmd_repo_gc(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        result = repo.gc(full=args.full)
        if args.silent:
            return 0
        for mh in result.freed:
            cid = CID.v1("raw", mh)
            out(str(cid) if args.quiet else f"removed {cid}")
        if not args.quiet:
            out(f"freed {result.blocks} blocks, {result.bytes} bytes")
    return 0


def cmd_repo_stat(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        st = repo.stat()
        size = _human if args.human else str
        if args.size_only:
            out(f"RepoSize: {size(st.bytes)}")
            return 0
        out(f"NumObjects: {st.blocks}")
        out(f"RepoSize: {size(st.bytes)}")
        out(f"PinnedSize: {size(st.pinned_bytes)}")
        out(f"Pins: {st.pins}")
        out(f"RepoPath: {os.path.abspath(st.path)}")
        out(f"Backend: {st.backend}")
        out(f"Version: pinfold-repo@{st.version}")
    return 0


def _human(n: int) -> str:
    """Kubo's ``humanize.Bytes``: SI units, e.g. ``1.2 kB``, ``83 MB``."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            if unit == "B":
                return f"{n} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1000
    raise AssertionError("not reached")


def cmd_repo_verify(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        problems = repo.verify()
        for p in problems:
            out(f"{p.cid} {p.kind}: {p.detail}")
        if problems:
            sys.stderr.write(f"pinfold: error: repo verify found {len(problems)} problems\n")
            return 1
        count, _ = repo.blocks.stat()  # the blockstore interface's count: no pinned-size pass
        out(f"verified {count} blocks: all intact, pins complete, reference counts agree")
    return 0


def cmd_repo_migrate(args: argparse.Namespace) -> int:
    from ..repo import Repo

    with open_repo(args) as repo, Repo(args.to) as dest:
        result = repo.migrate(dest)
        out(f"copied {result.blocks_sent} blocks ({result.bytes_sent} bytes),"
            f" {result.blocks_present} already there; {result.pins} pins; verified")
    return 0
