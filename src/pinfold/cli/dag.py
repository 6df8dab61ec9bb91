"""``pinfold dag import|export|put|get``: CAR files and IPLD values, over ``Repo.import_car``,
``Repo.export_car``, ``Repo.dag_put_bytes``, ``Repo.dag_get`` and :mod:`pinfold.ipld`."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import PinfoldError
from .common import (
    Subcommands,
    bool_flag,
    command_group,
    flag_value,
    meta_from_args,
    meta_options,
    open_repo,
    read_input,
    repo_options,
    unsupported,
)
from .progress import ProgressBar


def register(sub: Subcommands) -> None:
    common = repo_options()
    dsub = command_group(sub, "dag", "IPLD DAGs: import and export CAR files, put and get data")
    p = dsub.add_parser("import", parents=[common, meta_options()],
                        help="store the blocks of CAR files and pin their roots",
                        description="Read CAR v1/v2 files (or - for stdin), check every block"
                        " against its CID, store them and pin the roots recursively.")
    p.add_argument("files", nargs="+", metavar="FILE.car")
    bool_flag(p, "--pin-roots", "--pin", dest="pin",
              help="pin the roots named in the CAR headers (default true)",
              no=("--no-pin", "do not pin the roots"))
    p.add_argument("--name", default="", help="name of the root pins")
    bool_flag(p, "--local-only", dest="local_only", default=False,
              help="import a partial CAR (implies --pin-roots=false)")
    bool_flag(p, "--silent", dest="silent", default=False, help="write no output")
    bool_flag(p, "--stats", dest="stats", default=False,
              help="print the number of blocks and bytes")
    bool_flag(p, "--progress", "-p", dest="progress",
              help="show a progress bar (default: on a terminal)")
    p.set_defaults(func=cmd_dag_import)

    p = dsub.add_parser("export", parents=[common],
                        help="write the DAG under a CID or path as a CAR",
                        description="Write a CAR (v1 by default, as Kubo's 'dag export'):"
                        " path blocks first, then the target's blocks depth-first in link"
                        " order, each once, identity CIDs left out.")
    p.add_argument("path", metavar="CID[/PATH]")
    p.add_argument("-o", "--output", help="file to write (default stdout)")
    p.add_argument("--car-version", type=int, choices=(1, 2), default=1)
    bool_flag(p, "--no-index", dest="no_index", default=False, help="CARv2 without an index")
    p.add_argument("--dag-scope", "--scope", dest="scope", default="all",
                   choices=("block", "entity", "all"),
                   help="which blocks under the target (trustless-gateway dag-scope)")
    p.add_argument("--entity-bytes", metavar="FROM:TO",
                   help="only the blocks for this byte range of a file (implies entity)")
    bool_flag(p, "--dups", dest="dups", default=False, help="repeat blocks each time they are met")
    bool_flag(p, "--progress", "-p", dest="progress",
              help="show a progress bar (default: on a terminal, with -o)")
    unsupported(p, "--local-only", reason="the export needs every block; 'pinfold pin verify'"
                " finds missing ones")
    p.set_defaults(func=cmd_dag_export)

    p = dsub.add_parser("put", parents=[common],
                        help="store a value read from stdin, print its CID")
    p.add_argument("file", nargs="?", default="-", help="read the value from FILE (default -)")
    p.add_argument("--input-codec", default="dag-json", choices=("dag-json", "json", "dag-cbor"))
    p.add_argument("--store-codec", default="dag-cbor", choices=("dag-cbor", "dag-json"))
    p.add_argument("--hash", default="sha2-256", help="multihash function (sha2-256)")
    bool_flag(p, "--pin", dest="pin", help="pin the new block recursively (default false)")
    p.add_argument("--name", default="", help="name of the pin (with --pin)")
    p.set_defaults(func=cmd_dag_put)

    p = dsub.add_parser("get", parents=[common],
                        help="print the value at CID[/path] as DAG-JSON")
    p.add_argument("path", metavar="CID[/PATH]")
    p.add_argument("--output-codec", default="dag-json", choices=("dag-json", "dag-cbor"))
    p.set_defaults(func=cmd_dag_get)


def _bar(args: argparse.Namespace, total: int | None) -> ProgressBar | None:
    return ProgressBar(total) if flag_value(args, "progress", sys.stderr.isatty()) else None


def cmd_dag_import(args: argparse.Namespace) -> int:
    meta = meta_from_args(args)
    total = 0
    for f in args.files:
        if f != "-":
            try:
                total += os.path.getsize(f)
            except OSError as exc:
                raise PinfoldError(f"cannot read {f}: {exc.strerror}") from None
    bar = _bar(args, total or None)
    sources = [sys.stdin.buffer if f == "-" else f for f in args.files]
    with open_repo(args) as repo:
        pin = flag_value(args, "pin", not args.local_only)
        if pin and args.local_only:
            raise PinfoldError("--local-only imports a partial CAR: its roots cannot be pinned")
        result = repo.import_car(sources, pin=pin, name=args.name,
                                 meta=meta or None, groups=args.set_groups,
                                 progress=bar.update if bar else None)
    if bar:
        bar.clear()
    if args.silent:
        return 0
    stdout = sys.stdout
    for pin in result.pins:
        stdout.write(f"Pinned root\t{pin.cid}\tsuccess\n")
    if args.stats:
        stdout.write(f"Imported {result.blocks} blocks ({result.bytes} bytes)\n")
    return 0


def cmd_dag_export(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        if not args.output:
            if sys.stdout.isatty():
                raise PinfoldError("refusing to write a CAR to a terminal: use -o FILE or a pipe")
            stdout = sys.stdout.buffer
            repo.export_car(repo.ipfs_path(args.path), stdout, version=args.car_version,
                            index=not args.no_index, scope=args.scope,
                            entity_bytes=args.entity_bytes, dups=args.dups)
            stdout.flush()
            return 0
        bar = _bar(args, None)
        # a device or FIFO (-o /dev/null) is written into: renaming onto it would replace it
        special = os.path.exists(args.output) and not os.path.isfile(args.output)
        tmp = args.output if special else f"{args.output}.pinfold-{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as f:
                repo.export_car(repo.ipfs_path(args.path), f, version=args.car_version,
                                index=not args.no_index, scope=args.scope,
                                entity_bytes=args.entity_bytes, dups=args.dups,
                                progress=bar.update if bar else None)
            if not special:
                os.replace(tmp, args.output)
        except BaseException:
            if not special and os.path.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            if bar:
                bar.clear()
    return 0


def cmd_dag_put(args: argparse.Namespace) -> int:
    data = read_input(args.file, error="cannot read ")
    with open_repo(args) as repo:
        cid = repo.dag_put_bytes(data, input_codec=args.input_codec,
                                 store_codec=args.store_codec, hash=args.hash,
                                 pin=flag_value(args, "pin", False), name=args.name)
    sys.stdout.write(f"{cid}\n")
    return 0


def cmd_dag_get(args: argparse.Namespace) -> int:
    from ..ipld import encode, to_dag_json_text

    with open_repo(args) as repo:
        value = repo.dag_get(repo.ipfs_path(args.path))
    if args.output_codec == "dag-cbor":
        sys.stdout.buffer.write(encode(value, "dag-cbor"))
    else:
        sys.stdout.write(to_dag_json_text(value))
    sys.stdout.flush()
    return 0
