"""``pinfold add``: import files, directories or stdin, store and pin them, print their CIDs,
over ``Importer`` and ``Repo.store`` (``-n``: the importer alone, no repo)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..codecs.unixfs import Mtime
from .common import (
    CLIError,
    Subcommands,
    bool_flag,
    esc_name,
    flag_value,
    meta_from_args,
    meta_options,
    nonneg_int,
    open_repo,
    parse_mode,
    parse_size,
    repo_options,
    signed_int,
    unsupported,
)
from .progress import ProgressBar

if TYPE_CHECKING:
    from ..importer import ImportOptions


def register(sub: Subcommands) -> None:
    add = sub.add_parser(
        "add", parents=[repo_options(), meta_options()],
        help="import files or directories, store and pin them, print their CIDs",
        description="Import files, directories or stdin ('-') into UnixFS and print CIDs."
                    " Flags are Kubo's.",
    )
    add.add_argument("paths", nargs="+", metavar="PATH", help="file, directory, or - for stdin")
    bool_flag(add, "-n", "--only-hash", dest="only_hash", default=False,
              help="only compute the CIDs, store nothing")
    bool_flag(add, "--pin", dest="pin", help="pin what is added, recursively (default true)")
    add.add_argument("--pin-name", "--name", dest="pin_name", help="name of the pin")
    bool_flag(add, "--private", dest="private",
              help="pin on the private network: gateways serve it only to access links and"
                   " API keys (default false: public)")
    bool_flag(add, "-q", "--quiet", dest="quiet", default=False, help="print only CIDs")
    bool_flag(add, "--silent", dest="silent", default=False, help="write no output")
    bool_flag(add, "-Q", "--quieter", dest="quieter", default=False,
              help="print only the final root CID")
    bool_flag(add, "-r", "--recursive", dest="recursive", default=False,
              help="add directories recursively")
    bool_flag(add, "-w", "--wrap-with-directory", dest="wrap_with_directory", default=False,
              help="wrap the inputs in a directory named by their basenames")
    bool_flag(add, "-H", "--hidden", dest="hidden", default=False,
              help="include files whose names start with '.'")
    add.add_argument("--profile", help="unixfs-v0-2015 (Kubo's default) or unixfs-v1-2025")
    add.add_argument("--cid-version", type=int, choices=(0, 1), help="CID version (default 0)")
    bool_flag(add, "--raw-leaves", dest="raw_leaves",
              help="leaves as raw blocks (default: on for CIDv1)")
    add.add_argument("-s", "--chunker", help="size-N, rabin[-MIN-AVG-MAX], buzhash"
                     " (default size-262144)")
    bool_flag(add, "-t", "--trickle", dest="trickle", default=False, help="trickle layout")
    add.add_argument("--max-file-links", type=nonneg_int, help="links per file node (174)")
    add.add_argument("--hash", help="sha2-256 (default), sha2-512, sha3-256, blake2b-256,"
                     " blake3, identity")
    bool_flag(add, "--inline", dest="inline", default=False,
              help="inline small blocks into identity CIDs")
    add.add_argument("--inline-limit", type=nonneg_int, default=32,
                     help="largest block to inline, in bytes (32, at most 128)")
    add.add_argument("--hamt-threshold", type=parse_size,
                     help="directory size above which it becomes a HAMT (256KiB; 0 disables)")
    add.add_argument("--max-hamt-fanout", type=nonneg_int, help="HAMT fanout (256)")
    add.add_argument("--hamt-size-estimation", choices=("links", "block", "disabled"),
                     help="how directory size is estimated (links; block in unixfs-v1-2025)")
    add.add_argument("--max-directory-links", type=nonneg_int,
                     help="entries above which a directory becomes a HAMT (0: no limit)")
    bool_flag(add, "--empty-dirs", "-E", dest="empty_dirs",
              help="include empty directories (default true)")
    bool_flag(add, "--dereference-symlinks", dest="dereference_symlinks", default=False,
              help="add what symlinks point at instead of the links")
    bool_flag(add, "--preserve-mode", dest="preserve_mode", default=False,
              help="store each file's mode")
    bool_flag(add, "--preserve-mtime", dest="preserve_mtime", default=False,
              help="store each file's mtime")
    add.add_argument("--mode", type=parse_mode, help="store this mode (octal) on every entry")
    add.add_argument("--mtime", type=signed_int, help="store this mtime (seconds) on every entry")
    add.add_argument("--mtime-nsecs", type=nonneg_int, help="nanoseconds part of --mtime")
    add.add_argument("--stdin-name", default="", help="name for data read from stdin")
    add.add_argument("--cid-base", help="multibase for printed CIDs (base32, base36, ...)")
    bool_flag(add, "--progress", "-p", dest="progress",
              help="show a progress bar (default: on a terminal)")
    unsupported(add, "--nocopy", reason="no filestore; blocks are always copied into the repo")
    unsupported(add, "--fscache", reason="no filestore")
    unsupported(add, "--to-files", value=True, reason="no MFS (use --pin-name to name the pin)")
    unsupported(add, "--ignore", value=True, reason="no ignore rules; add fewer paths")
    unsupported(add, "--ignore-rules-path", value=True, reason="no ignore rules")
    unsupported(add, "--dereference-args",
                reason="deprecated in Kubo; use --dereference-symlinks")
    add.set_defaults(func=cmd_add)


def _import_options(args: argparse.Namespace) -> ImportOptions:
    from ..importer import ImportOptions  # loaded by the commands that import, not by all

    mtime = None
    if args.mtime is not None:
        mtime = Mtime(args.mtime, args.mtime_nsecs or 0)
    elif args.mtime_nsecs:
        raise CLIError("--mtime-nsecs needs --mtime")
    return ImportOptions(
        profile=args.profile, cid_version=args.cid_version, hash=args.hash,
        raw_leaves=args.raw_leaves, chunker=args.chunker,
        layout="trickle" if args.trickle else None, max_links=args.max_file_links,
        inline=args.inline, inline_limit=args.inline_limit,
        wrap_with_directory=args.wrap_with_directory, hidden=args.hidden,
        empty_dirs=flag_value(args, "empty_dirs", True),
        dereference_symlinks=args.dereference_symlinks,
        hamt_threshold=args.hamt_threshold, hamt_fanout=args.max_hamt_fanout,
        hamt_estimation=args.hamt_size_estimation, directory_max_links=args.max_directory_links,
        preserve_mode=args.preserve_mode, preserve_mtime=args.preserve_mtime,
        mode=args.mode, mtime=mtime,
    )


def _total_size(paths: Sequence[str]) -> int | None:
    total = 0
    for p in paths:
        if p == "-":
            return None
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                for f in files:
                    try:
                        total += os.lstat(os.path.join(root, f)).st_size
                    except OSError:
                        pass
        else:
            try:
                total += os.lstat(p).st_size
            except OSError:
                pass
    return total


def cmd_add(args: argparse.Namespace) -> int:
    _check_cid_base(args.cid_base)
    meta_from_args(args)  # bad metadata fails before any work
    repo = None if args.only_hash else open_repo(args)
    show_bar = flag_value(args, "progress", sys.stderr.isatty() and not args.quieter
                          and not args.quiet and not args.silent)
    bar = ProgressBar(_total_size(args.paths)) if show_bar else None
    progress = (lambda ev: bar.update(ev.total_bytes)) if bar else None  # type: ignore[union-attr]
    from ..importer import Importer

    options = _import_options(args)
    if repo is not None:
        options = repo.import_options(options)
    elif options.profile is None:  # -n: hash as an add into the repo there would (its config)
        from ..repo.config import profile_at, under_profile

        options = under_profile(options, profile_at(args.repo))
    importer = Importer(options, progress=progress, recursive=args.recursive)

    sources = []
    for path in args.paths:
        if path == "-":
            sources.extend(importer.sources(sys.stdin.buffer, name=args.stdin_name))
        else:
            sources.extend(importer.sources(path))
    job = importer.import_(sources if len(sources) != 1 else sources[0])
    out = sys.stdout
    printed = 0

    def flush_entries(_block: object = None) -> None:
        nonlocal printed
        entries = job.result.entries
        while printed < len(entries):
            _print_entry(entries[printed], args, bar, out)
            printed += 1

    pin = flag_value(args, "pin", True)
    try:
        if repo is None:
            for _ in job:
                flush_entries()
        else:
            repo.store(job, pin=pin, name=args.pin_name or "", on_block=flush_entries,
                       meta=meta_from_args(args), groups=args.set_groups,
                       network="private" if flag_value(args, "private", False) else "public")
    finally:
        if repo is not None:
            repo.close()
    flush_entries()
    if bar:
        bar.clear()
    if args.quieter and not args.silent and job.result.root is not None:
        out.write(_fmt(job.result.root, args.cid_base) + "\n")
    return 0


def _check_cid_base(base: str | None) -> None:
    if base is None:
        return
    from multiformats import multibase

    try:
        multibase.get(base)
    except Exception:  # noqa: BLE001
        raise CLIError(f"unknown multibase {base!r}") from None


def _fmt(cid, base: str | None) -> str:
    if base is None or (cid.version == 0 and base == "base58btc"):
        return str(cid)
    return cid.to_v1().encode(base) if cid.version == 0 else cid.encode(base)


def _print_entry(entry, args: argparse.Namespace, bar: ProgressBar | None, out) -> None:
    if args.quieter or args.silent:
        return
    if bar:
        bar.clear()
    cid = _fmt(entry.cid, args.cid_base)
    if args.quiet:
        out.write(cid + "\n")
    else:
        out.write(f"added {cid} {esc_name(entry.path)}".rstrip() + "\n")
