"""``pinfold block get|put|stat|rm``: raw blocks, over ``Repo.block_*``."""

from __future__ import annotations

import argparse
import sys

from ..cid import CID
from .common import Subcommands, bool_flag, command_group, open_repo, out, read_input, repo_options


def register(sub: Subcommands) -> None:
    common = repo_options()
    bsub = command_group(sub, "block", "raw blocks: get, put, stat, rm")
    p = bsub.add_parser("get", parents=[common], help="write a block's bytes to stdout")
    p.add_argument("cid", metavar="CID")
    p.set_defaults(func=cmd_block_get)
    p = bsub.add_parser("put", parents=[common], help="store bytes from files or stdin as blocks")
    p.add_argument("files", nargs="*", metavar="FILE", help="default: stdin")
    p.add_argument("--cid-codec", default="raw", help="codec of the block (raw, dag-pb, ...)")
    p.add_argument("--mhtype", default="sha2-256", help="hash function")
    p.add_argument("--mhlen", type=int, default=-1,
                   help="multihash length (-1: the function's full length, the only one taken)")
    bool_flag(p, "--pin", dest="pin", default=False, help="pin the block")
    p.set_defaults(func=cmd_block_put)
    p = bsub.add_parser("stat", parents=[common], help="size of a block")
    p.add_argument("cid", metavar="CID")
    p.set_defaults(func=cmd_block_stat)
    p = bsub.add_parser("rm", parents=[common], help="delete blocks (refused while pinned)")
    p.add_argument("cids", nargs="+", metavar="CID")
    bool_flag(p, "-f", "--force", dest="force", default=False,
              help="ignore nonexistent blocks (Kubo's -f)")
    bool_flag(p, "-q", "--quiet", dest="quiet", default=False, help="write minimal output")
    bool_flag(p, "--even-if-pinned", dest="even_if_pinned", default=False,
              help="delete even if pinned (breaks the pinned DAG; pinfold only)")
    p.set_defaults(func=cmd_block_rm)


def cmd_block_get(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        sys.stdout.buffer.write(repo.block_get(CID(args.cid)))
        sys.stdout.buffer.flush()
    return 0


def cmd_block_put(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        if args.mhlen != -1:
            from ..errors import PinfoldError

            raise PinfoldError("--mhlen: pinfold stores only full-length digests (use -1)")
        for name in args.files or ["-"]:
            data = read_input(name)
            out(str(repo.block_put(data, codec=args.cid_codec, hash=args.mhtype, pin=args.pin)))
    return 0


def cmd_block_stat(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        cid, size = repo.block_stat(CID(args.cid))
        out(f"Key: {cid}")
        out(f"Size: {size}")
    return 0


def cmd_block_rm(args: argparse.Namespace) -> int:
    from ..errors import BlockNotFoundError

    with open_repo(args) as repo:
        for text in args.cids:
            cid = CID(text)
            try:
                repo.block_rm(cid, force=args.even_if_pinned)
            except BlockNotFoundError:
                if args.force:
                    continue
                raise
            if not args.quiet:
                out(f"removed {cid}")
    return 0
