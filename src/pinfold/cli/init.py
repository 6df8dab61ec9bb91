"""``pinfold init``: create a repo (its parts local, or shared stores it points at)."""

from __future__ import annotations

import argparse

from .common import Subcommands, bool_flag, out, repo_options


def register(sub: Subcommands) -> None:
    p = sub.add_parser("init", parents=[repo_options()], help="create a repo")
    p.add_argument("--backend", choices=("fs", "lmdb"), default=None,
                   help="local blockstore: fs (one file per block, the default) or lmdb")
    p.add_argument("--blockstore", metavar="STORE", default=None,
                   help="blockstore: fs, lmdb or s3://BUCKET/PREFIX (credentials from AWS_*)")
    p.add_argument("--s3-endpoint", metavar="URL", default=None,
                   help="the S3-compatible server of an s3:// blockstore (default: AWS, or "
                        "AWS_ENDPOINT_URL_S3)")
    p.add_argument("--pinset", metavar="PINSET", default=None,
                   help="pin set: sqlite (in the repo, the default) or "
                        "postgresql://USER@HOST:PORT/DB (password from PGPASSWORD or "
                        "~/.pgpass)")
    p.add_argument("--pinset-schema", metavar="NAME", default=None,
                   help="the PostgreSQL schema of the pin set (default pinfold)")
    p.add_argument("--gc-grace", metavar="SECONDS", type=float, default=None,
                   help="PostgreSQL pin set: how long the blocks of a crashed writer are kept"
                        " before gc may delete them (default 600)")
    p.add_argument("--profile", metavar="PROFILE", default=None,
                   help="import profile for adds into this repo that name none: "
                        "unixfs-v0-2015 (Kubo's default) or unixfs-v1-2025")
    bool_flag(p, "--no-fsync", dest="no_fsync", default=False,
              help="do not fsync block writes (faster, not crash-safe)")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from ..repo import Repo, default_repo_path
    from .common import CLIError

    if args.backend and args.blockstore and args.backend != args.blockstore:
        raise CLIError("give the blockstore once: --backend or --blockstore")
    blocks = args.blockstore or args.backend or "fs"
    if args.gc_grace is not None and args.gc_grace < 0:
        raise CLIError("--gc-grace must not be negative")
    path = args.repo or default_repo_path()
    Repo.init(path, backend=blocks, fsync=not args.no_fsync, s3_endpoint=args.s3_endpoint,
              pinset=args.pinset, pinset_schema=args.pinset_schema,
              gc_grace=args.gc_grace, profile=args.profile).close()
    where = f"blocks {blocks}" + (f", pins {args.pinset}" if args.pinset else "")
    out(f"initialized pinfold repo at {path} ({where})"
        if args.pinset or blocks.startswith("s3:") else
        f"initialized pinfold repo at {path} (backend {blocks})")
    return 0
