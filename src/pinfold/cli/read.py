"""``pinfold cat|ls|stat|get``: reading UnixFS content back, over :mod:`pinfold.exporter`."""

from __future__ import annotations

import argparse
import sys

from .common import Subcommands, bool_flag, nonneg_int, open_repo, out, repo_options


def register(sub: Subcommands) -> None:
    common = repo_options()
    p = sub.add_parser("cat", parents=[common], help="print the bytes of a file")
    p.add_argument("path", metavar="CID|PATH")
    p.add_argument("-o", "--offset", type=nonneg_int, default=0)
    p.add_argument("-l", "--length", type=nonneg_int, default=None)
    p.set_defaults(func=cmd_cat)
    p = sub.add_parser("ls", parents=[common], help="list a directory: <cid> <size> <name>")
    p.add_argument("path", metavar="CID|PATH")
    bool_flag(p, "-v", "--headers", dest="headers", default=False, help="print a header line")
    p.set_defaults(func=cmd_ls)
    p = sub.add_parser("stat", parents=[common], help="type, sizes and block count of a DAG")
    p.add_argument("path", metavar="CID|PATH")
    p.set_defaults(func=cmd_stat)
    p = sub.add_parser("get", parents=[common], help="write a file or directory tree to disk")
    p.add_argument("path", metavar="CID|PATH")
    p.add_argument("-o", "--output", required=True, metavar="DEST")
    p.set_defaults(func=cmd_get)


def cmd_cat(args: argparse.Namespace) -> int:
    from ..exporter import cat

    with open_repo(args) as repo:
        stdout = sys.stdout.buffer
        for chunk in cat(repo, repo.ipfs_path(args.path), offset=args.offset, length=args.length):
            stdout.write(chunk)
        stdout.flush()
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    from ..exporter import ls

    with open_repo(args) as repo:
        entries = ls(repo, repo.ipfs_path(args.path))
        if args.headers:
            out("Hash Size Name")
        for e in entries:
            name = e.name + ("/" if e.type == "directory" else "")
            out(f"{e.cid} {e.size} {name}")
    return 0


def cmd_stat(args: argparse.Namespace) -> int:
    from ..exporter import stat

    with open_repo(args) as repo:
        st = stat(repo, repo.ipfs_path(args.path))
        out(str(st.cid))
        out(f"Type: {st.type}" + (" (HAMT-sharded)" if st.sharded else ""))
        out(f"Size: {st.size}")
        out(f"CumulativeSize: {st.dag_size}")
        out(f"Blocks: {st.blocks}")
        if st.target is not None:
            out(f"Target: {st.target}")
        if st.mode:
            out(f"Mode: {st.mode:04o}")
        if st.mtime is not None:
            out(f"Mtime: {st.mtime.secs}.{st.mtime.nsecs:09d}")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    from ..exporter import get

    with open_repo(args) as repo:
        get(repo, repo.ipfs_path(args.path), args.output)
        out(f"saved {args.path} to {args.output}")
    return 0
