"""The repo commands: init, pin, cat, ls, stat, get, block, repo. Each is a few lines over
the library."""

from __future__ import annotations

import argparse
import os
import sys

from ..cid import CID
from ..errors import PinfoldError
from ..repo import Repo, default_repo_path


def repo_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--repo", default=None, metavar="PATH",
                   help="repo directory (default: $PINFOLD_REPO, else ~/.pinfold)")
    return p


def _repo(args: argparse.Namespace) -> Repo:
    return Repo(args.repo or default_repo_path())


def _nonneg(text: str) -> int:
    from .main import nonneg_int

    return nonneg_int(text)


def add_repo_commands(sub, common: argparse.ArgumentParser) -> None:
    from .main import _bool_flag

    p = sub.add_parser("init", parents=[common], help="create a repo")
    p.add_argument("--backend", choices=("fs", "lmdb"), default="fs",
                   help="blockstore: fs (one file per block) or lmdb")
    p.add_argument("--no-fsync", action="store_true",
                   help="do not fsync block writes (faster, not crash-safe)")
    p.set_defaults(func=cmd_init)

    # -- pin ------------------------------------------------------------------------------
    pin = sub.add_parser("pin", help="pin, unpin, list and verify pins")
    psub = pin.add_subparsers(dest="pin_command", metavar="SUBCOMMAND",
                              parser_class=type(pin))
    pin.set_defaults(func=lambda a: _usage(pin))
    p = psub.add_parser("add", parents=[common], help="pin CIDs (recursively by default)")
    p.add_argument("cids", nargs="+", metavar="CID")
    p.add_argument("--name", default="", help="name of the pin (at most 255 bytes)")
    _bool_flag(p, "--recursive", "-r", dest="recursive",
               help="pin the whole DAG (default true); false pins the block only")
    p.set_defaults(func=cmd_pin_add)
    p = psub.add_parser("rm", parents=[common], help="unpin CIDs")
    p.add_argument("cids", nargs="*", metavar="CID")
    p.add_argument("--name", default=None, help="only the pin with this name")
    p.add_argument("--id", dest="pin_id", default=None, help="remove the pin with this id")
    p.set_defaults(func=cmd_pin_rm)
    p = psub.add_parser("ls", parents=[common], help="list pins: <cid> <type> [<name>]")
    p.add_argument("cids", nargs="*", metavar="CID")
    p.add_argument("-t", "--type", default="all",
                   choices=("all", "recursive", "direct", "indirect"))
    p.add_argument("-q", "--quiet", action="store_true", help="print only CIDs")
    p.set_defaults(func=cmd_pin_ls)
    p = psub.add_parser("verify", parents=[common],
                        help="check that every block of every pinned DAG is present and intact")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_pin_verify)
    p = psub.add_parser("update", parents=[common],
                        help="move a recursive pin from OLD to NEW without a gc gap")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    _bool_flag(p, "--unpin", dest="unpin", help="remove the old pin (default true)")
    p.set_defaults(func=cmd_pin_update)

    # -- reading --------------------------------------------------------------------------
    p = sub.add_parser("cat", parents=[common], help="print the bytes of a file")
    p.add_argument("path", metavar="CID|PATH")
    p.add_argument("-o", "--offset", type=_nonneg, default=0)
    p.add_argument("-l", "--length", type=_nonneg, default=None)
    p.set_defaults(func=cmd_cat)
    p = sub.add_parser("ls", parents=[common], help="list a directory: <cid> <size> <name>")
    p.add_argument("path", metavar="CID|PATH")
    p.add_argument("-v", "--headers", action="store_true", help="print a header line")
    p.set_defaults(func=cmd_ls)
    p = sub.add_parser("stat", parents=[common], help="type, sizes and block count of a DAG")
    p.add_argument("path", metavar="CID|PATH")
    p.set_defaults(func=cmd_stat)
    p = sub.add_parser("get", parents=[common], help="write a file or directory tree to disk")
    p.add_argument("path", metavar="CID|PATH")
    p.add_argument("-o", "--output", required=True, metavar="DEST")
    p.set_defaults(func=cmd_get)

    # -- block ----------------------------------------------------------------------------
    block = sub.add_parser("block", help="raw blocks: get, put, stat, rm")
    bsub = block.add_subparsers(dest="block_command", metavar="SUBCOMMAND",
                                parser_class=type(block))
    block.set_defaults(func=lambda a: _usage(block))
    p = bsub.add_parser("get", parents=[common], help="write a block's bytes to stdout")
    p.add_argument("cid", metavar="CID")
    p.set_defaults(func=cmd_block_get)
    p = bsub.add_parser("put", parents=[common], help="store bytes from files or stdin as blocks")
    p.add_argument("files", nargs="*", metavar="FILE", help="default: stdin")
    p.add_argument("--cid-codec", default="raw", help="codec of the block (raw, dag-pb, ...)")
    p.add_argument("--mhtype", default="sha2-256", help="hash function")
    p.add_argument("--pin", action="store_true", help="pin the block")
    p.set_defaults(func=cmd_block_put)
    p = bsub.add_parser("stat", parents=[common], help="size of a block")
    p.add_argument("cid", metavar="CID")
    p.set_defaults(func=cmd_block_stat)
    p = bsub.add_parser("rm", parents=[common], help="delete blocks (refused while pinned)")
    p.add_argument("cids", nargs="+", metavar="CID")
    p.add_argument("-f", "--force", action="store_true",
                   help="delete even if pinned (breaks the pinned DAG)")
    p.set_defaults(func=cmd_block_rm)

    # -- repo -----------------------------------------------------------------------------
    repo = sub.add_parser("repo", help="gc, stat, verify")
    rsub = repo.add_subparsers(dest="repo_command", metavar="SUBCOMMAND",
                               parser_class=type(repo))
    repo.set_defaults(func=lambda a: _usage(repo))
    p = rsub.add_parser("gc", parents=[common], help="delete blocks nothing pinned references")
    p.add_argument("--full", action="store_true",
                   help="mark and sweep from the pins, repairing reference counts")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_repo_gc)
    p = rsub.add_parser("stat", parents=[common], help="blocks, bytes, pinned bytes")
    p.set_defaults(func=cmd_repo_stat)
    p = rsub.add_parser("verify", parents=[common],
                        help="re-hash every block and check pins and reference counts")
    p.set_defaults(func=cmd_repo_verify)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def cmd_init(args: argparse.Namespace) -> int:
    path = args.repo or default_repo_path()
    repo = Repo.init(path, backend=args.backend, fsync=not args.no_fsync)
    repo.close()
    _out(f"initialized pinfold repo at {path} (backend {args.backend})")
    return 0


def cmd_pin_add(args: argparse.Namespace) -> int:
    recursive = True if args.recursive is None else args.recursive
    with _repo(args) as repo:
        for text in args.cids:
            pin = repo.pin(_cid_or_path(repo, text), name=args.name, recursive=recursive)
            _out(f"pinned {pin.cid} {pin.type}" + (f" {pin.name}" if pin.name else ""))
    return 0


def cmd_pin_rm(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        if args.pin_id:
            for pin in repo.unpin(pin_id=args.pin_id):
                _out(f"unpinned {pin.cid}")
        elif not args.cids:
            raise PinfoldError("name a CID (or --id) to unpin")
        for text in args.cids:
            for pin in repo.unpin(CID(text), name=args.name):
                _out(f"unpinned {pin.cid}")
    return 0


def cmd_pin_ls(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        if args.cids:
            for text in args.cids:
                cid = CID(text)
                kind = repo.pins.pinned_type(cid)
                if kind is None:
                    raise PinfoldError(f"{cid} is not pinned")
                names = [p.name for p in repo.pins.list(cid=cid) if p.name]
                _pin_line(args, cid, kind, names[0] if names else "")
            return 0
        types = ("recursive", "direct") if args.type == "all" else (args.type,)
        for t in types:
            if t == "indirect":
                continue
            for pin in repo.pins.list(type=t):
                _pin_line(args, pin.cid, pin.type, pin.name)
        if args.type in ("all", "indirect"):
            for cid in repo.pins.indirect():
                _pin_line(args, cid, "indirect", "")
    return 0


def _pin_line(args: argparse.Namespace, cid: CID, kind: str, name: str) -> None:
    _out(str(cid) if args.quiet else f"{cid} {kind}" + (f" {name}" if name else ""))


def cmd_pin_verify(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        problems = repo.pins.verify_pins()
        for p in problems:
            _out(f"{p.cid} {p.kind}: {p.detail}")
        if not problems and not args.quiet:
            _out(f"verified {len(repo.pins.list())} pins: every pinned block present and intact")
    return 1 if problems else 0


def cmd_pin_update(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        pin = repo.pins.update(CID(args.old), CID(args.new),
                               unpin=True if args.unpin is None else args.unpin)
        _out(f"updated {args.old} to {pin.cid}")
    return 0


def _cid_or_path(repo: Repo, text: str) -> CID:
    if "/" in text:
        from ..exporter import resolve

        return resolve(repo, text).cid
    return CID(text)


def cmd_cat(args: argparse.Namespace) -> int:
    from ..exporter import cat

    with _repo(args) as repo:
        out = sys.stdout.buffer
        for chunk in cat(repo, args.path, offset=args.offset, length=args.length):
            out.write(chunk)
        out.flush()
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    from ..exporter import ls

    with _repo(args) as repo:
        entries = ls(repo, args.path)
        if args.headers:
            _out("Hash Size Name")
        for e in entries:
            name = e.name + ("/" if e.type == "directory" else "")
            _out(f"{e.cid} {e.size} {name}")
    return 0


def cmd_stat(args: argparse.Namespace) -> int:
    from ..exporter import stat

    with _repo(args) as repo:
        st = stat(repo, args.path)
        _out(str(st.cid))
        _out(f"Type: {st.type}" + (" (HAMT-sharded)" if st.sharded else ""))
        _out(f"Size: {st.size}")
        _out(f"CumulativeSize: {st.dag_size}")
        _out(f"Blocks: {st.blocks}")
        if st.target is not None:
            _out(f"Target: {st.target}")
        if st.mode:
            _out(f"Mode: {st.mode:04o}")
        if st.mtime is not None:
            _out(f"Mtime: {st.mtime.secs}.{st.mtime.nsecs:09d}")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    from ..exporter import get

    with _repo(args) as repo:
        get(repo, args.path, args.output)
        _out(f"saved {args.path} to {args.output}")
    return 0


def cmd_block_get(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        sys.stdout.buffer.write(repo.block_get(CID(args.cid)))
        sys.stdout.buffer.flush()
    return 0


def cmd_block_put(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        inputs = args.files or ["-"]
        for name in inputs:
            if name == "-":
                data = sys.stdin.buffer.read()
            else:
                try:
                    with open(name, "rb") as f:
                        data = f.read()
                except OSError as exc:
                    raise PinfoldError(f"{name}: {exc.strerror}") from None
            _out(str(repo.block_put(data, codec=args.cid_codec, hash=args.mhtype, pin=args.pin)))
    return 0


def cmd_block_stat(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        cid, size = repo.block_stat(CID(args.cid))
        _out(f"Key: {cid}")
        _out(f"Size: {size}")
    return 0


def cmd_block_rm(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        for text in args.cids:
            cid = CID(text)
            repo.block_rm(cid, force=args.force)
            _out(f"removed {cid}")
    return 0


def cmd_repo_gc(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        result = repo.gc(full=args.full)
        if not args.quiet:
            for mh in result.freed:
                _out(f"removed {CID.v1('raw', mh)}")
        _out(f"freed {result.blocks} blocks, {result.bytes} bytes")
    return 0


def cmd_repo_stat(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        st = repo.stat()
        _out(f"NumObjects: {st.blocks}")
        _out(f"RepoSize: {st.bytes}")
        _out(f"PinnedSize: {st.pinned_bytes}")
        _out(f"Pins: {st.pins}")
        _out(f"RepoPath: {os.path.abspath(st.path)}")
        _out(f"Backend: {st.backend}")
        _out(f"Version: pinfold-repo@{st.version}")
    return 0


def cmd_repo_verify(args: argparse.Namespace) -> int:
    with _repo(args) as repo:
        problems = repo.verify()
        for p in problems:
            _out(f"{p.cid} {p.kind}: {p.detail}")
        if problems:
            sys.stderr.write(f"pinfold: error: repo verify found {len(problems)} problems\n")
            return 1
        count, _ = repo.blocks.stat()
        _out(f"verified {count} blocks: all intact, pins complete, reference counts agree")
    return 0
