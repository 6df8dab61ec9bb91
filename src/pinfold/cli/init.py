"""``pinfold init``: create a repo."""

from __future__ import annotations

import argparse

from .common import Subcommands, bool_flag, out, repo_options


def register(sub: Subcommands) -> None:
    p = sub.add_parser("init", parents=[repo_options()], help="create a repo")
    p.add_argument("--backend", choices=("fs", "lmdb"), default="fs",
                   help="blockstore: fs (one file per block) or lmdb")
    bool_flag(p, "--no-fsync", dest="no_fsync", default=False,
              help="do not fsync block writes (faster, not crash-safe)")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from ..repo import Repo, default_repo_path

    path = args.repo or default_repo_path()
    Repo.init(path, backend=args.backend, fsync=not args.no_fsync).close()
    out(f"initialized pinfold repo at {path} (backend {args.backend})")
    return 0
