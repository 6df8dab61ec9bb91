"""``pinfold cat|ls|stat|get``: reading UnixFS content back, over :mod:`pinfold.exporter`."""

from __future__ import annotations

import argparse
import os
import sys

from .common import (
    CLIError,
    Subcommands,
    bool_flag,
    esc_name,
    nonneg_int,
    open_repo,
    out,
    repo_options,
)
from .gofmt import tabwrite


def register(sub: Subcommands) -> None:
    common = repo_options()
    p = sub.add_parser("cat", parents=[common], help="print the bytes of a file")
    p.add_argument("path", metavar="CID|PATH")
    p.add_argument("-o", "--offset", type=nonneg_int, default=0)
    p.add_argument("-l", "--length", type=nonneg_int, default=None)
    _progress_accepted(p)
    p.set_defaults(func=cmd_cat)
    p = sub.add_parser("ls", parents=[common], help="list a directory: <cid> <size> <name>")
    p.add_argument("path", metavar="CID|PATH")
    bool_flag(p, "-v", "--headers", dest="headers", default=False, help="print a header line")
    bool_flag(p, "--size", dest="size", default=True,
              help="show file sizes (default true)")
    bool_flag(p, "--resolve-type", dest="resolve_type", default=True,
              help="accepted for Kubo: entry types are always resolved here (default true)")
    bool_flag(p, "-s", "--stream", dest="stream", default=False,
              help="accepted for Kubo: the listing is written as one table")
    bool_flag(p, "-l", "--long", dest="long", default=False,
              help="long listing (mode, mtime): not supported by pinfold")
    p.set_defaults(func=cmd_ls)
    p = sub.add_parser("stat", parents=[common], help="type, sizes and block count of a DAG")
    p.add_argument("path", metavar="CID|PATH")
    p.set_defaults(func=cmd_stat)
    p = sub.add_parser("get", parents=[common], help="write a file or directory tree to disk")
    p.add_argument("path", metavar="CID|PATH")
    p.add_argument("-o", "--output", metavar="DEST",
                   help="where to write (default: the last segment of the path, as Kubo)")
    bool_flag(p, "-a", "--archive", dest="archive", default=False,
              help="TAR output: not supported by pinfold")
    bool_flag(p, "-C", "--compress", dest="compress", default=False,
              help="GZIP output: not supported by pinfold")
    p.add_argument("-l", "--compression-level", type=int, metavar="N",
                   help="GZIP level: not supported by pinfold")
    _progress_accepted(p)
    p.set_defaults(func=cmd_get)


def _progress_accepted(p) -> None:
    bool_flag(p, "-p", "--progress", dest="progress", default=False,
              help="accepted for Kubo; reading a local repo shows no progress")


def cmd_cat(args: argparse.Namespace) -> int:
    from ..exporter import cat

    with open_repo(args) as repo:
        stdout = sys.stdout.buffer
        for chunk in cat(repo, repo.ipfs_path(args.path), offset=args.offset, length=args.length,
                         buffers=True):
            stdout.write(chunk)
        stdout.flush()
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    from ..exporter import ls

    if args.long:
        raise CLIError("ls --long is not supported by pinfold (use 'pinfold stat' for modes"
                       " and mtimes)")
    with open_repo(args) as repo:
        entries = ls(repo, repo.ipfs_path(args.path))
    # Kubo's table: tab-separated cells aligned by Go's tabwriter, '-' as a directory's size
    rows = [["Hash", "Size", "Name"]] if args.headers else []
    for e in entries:
        name = esc_name(e.name)
        if e.type == "directory":
            rows.append([str(e.cid), "-", name + "/"])
        else:
            rows.append([str(e.cid), str(e.size), name])
    if not args.size:
        rows = [[r[0], r[2]] for r in rows]
    sys.stdout.write(tabwrite(rows, minwidth=1))
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

    if args.archive or args.compress or args.compression_level is not None:
        raise CLIError("get --archive/--compress (TAR, GZIP output) are not supported by"
                       " pinfold: it writes the files themselves")
    dest = args.output or os.path.basename(args.path.rstrip("/")) or args.path
    with open_repo(args) as repo:
        get(repo, repo.ipfs_path(args.path), dest)
        out(f"Saving file(s) to {dest}")
    return 0
