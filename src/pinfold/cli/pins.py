"""``pinfold pin add|rm|ls|meta|export|import|verify|update``: pins, over ``Repo.pin``,
``Repo.unpin`` and the pin set's public methods."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ..cid import CID
from ..errors import PinfoldError
from .common import (
    Subcommands,
    bool_flag,
    command_group,
    flag_value,
    meta_from_args,
    meta_options,
    meta_pairs,
    nonneg_int,
    open_repo,
    out,
    positive_int,
    repo_options,
)

if TYPE_CHECKING:
    from ..repo import Repo


def register(sub: Subcommands) -> None:
    common = repo_options()
    psub = command_group(sub, "pin", "pin, unpin, list, query and verify pins")
    p = psub.add_parser("add", parents=[common, meta_options()],
                        help="pin CIDs (recursively by default)")
    p.add_argument("cids", nargs="+", metavar="CID")
    p.add_argument("--name", default="", help="name of the pin (at most 255 bytes)")
    bool_flag(p, "--recursive", "-r", dest="recursive",
              help="pin the whole DAG (default true); false pins the block only")
    p.add_argument("--queue", "--background", action="store_true",
                   help="if blocks are missing, keep the pin 'queued' until they arrive"
                        " (Pinata's pin by hash) instead of failing")
    bool_flag(p, "--private", dest="private",
              help="pin on the private network: gateways serve it only to access links and"
                   " API keys (default false: public)")
    p.set_defaults(func=cmd_pin_add)
    p = psub.add_parser("rm", parents=[common], help="unpin CIDs")
    p.add_argument("cids", nargs="*", metavar="CID")
    p.add_argument("--name", default=None, help="only the pin with this name")
    p.add_argument("--id", dest="pin_id", default=None, help="remove the pin with this id")
    p.set_defaults(func=cmd_pin_rm)
    p = psub.add_parser("ls", parents=[common], help="list and query pins: <cid> <type> [<name>]",
                        description="List pins. With no filter, as Kubo: recursive, direct and"
                        " indirect pins. Filters query the pin records (newest first).")
    p.add_argument("cids", nargs="*", metavar="CID")
    p.add_argument("-t", "--type", default="all",
                   choices=("all", "recursive", "direct", "indirect"))
    p.add_argument("-q", "--quiet", action="store_true", help="print only CIDs")
    p.add_argument("--json", action="store_true", help="one JSON object per pin")
    p.add_argument("--name", dest="q_name", help="pins whose name matches TEXT")
    p.add_argument("--match", default="exact", choices=("exact", "iexact", "partial", "ipartial"))
    p.add_argument("--meta", dest="q_meta", action="append", default=[], metavar="FILTER",
                   help="KEY=V, KEY!=V, KEY>V, KEY>=V, KEY<V, KEY<=V, KEY~PATTERN (repeat: AND)")
    p.add_argument("--meta-json", help="Pinata's filter JSON: {\"key\": {\"value\": V,"
                   " \"op\": \"gte\"}}")
    p.add_argument("--status", action="append", default=[],
                   choices=("queued", "pinning", "pinned", "failed"))
    p.add_argument("--group", help="pins in this group (name or id)")
    p.add_argument("--before", help="created before TIME (ISO-8601)")
    p.add_argument("--after", help="created after TIME (ISO-8601)")
    p.add_argument("--min-size", type=nonneg_int, help="DAG size at least N bytes")
    p.add_argument("--max-size", type=nonneg_int, help="DAG size at most N bytes")
    p.add_argument("--limit", type=positive_int, help="at most N pins (next cursor on stderr)")
    p.add_argument("--cursor", help="continue after the page that printed this cursor")
    p.add_argument("--network", choices=("public", "private"), default=None,
                   help="only pins on this network")
    p.set_defaults(func=cmd_pin_ls)
    p = psub.add_parser("meta", parents=[common], help="change a pin's metadata")
    p.add_argument("pin", metavar="PIN", help="pin id, or a CID with one pin")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--set-str", action="append", default=[], metavar="KEY=VALUE",
                   help="set a value as a string, whatever it looks like")
    p.add_argument("--unset", action="append", default=[], metavar="KEY")
    p.add_argument("--replace", action="store_true", help="replace all metadata with --set")
    p.add_argument("--name", dest="new_name", help="rename the pin")
    p.set_defaults(func=cmd_pin_meta)
    p = psub.add_parser("export", parents=[common], help="write every pin as JSON Lines")
    p.add_argument("-o", "--output", help="file (default stdout)")
    p.set_defaults(func=cmd_pin_export)
    p = psub.add_parser("import", parents=[common], help="recreate pins from JSON Lines")
    p.add_argument("file", help="a file written by 'pin export', or - for stdin")
    p.set_defaults(func=cmd_pin_import)
    p = psub.add_parser("verify", parents=[common],
                        help="check that every block of every pinned DAG is present and intact")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_pin_verify)
    p = psub.add_parser("update", parents=[common],
                        help="move a recursive pin from OLD to NEW without a gc gap")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    bool_flag(p, "--unpin", dest="unpin", help="remove the old pin (default true)")
    p.set_defaults(func=cmd_pin_update)


def pin_id(repo: Repo, text: str) -> str:
    """A pin id, or the id of the only pin on a CID."""
    try:
        return repo.pins.get(text).id
    except PinfoldError:
        pass
    try:
        cid = CID(text)
    except PinfoldError:
        raise PinfoldError(f"no pin with id {text}") from None
    pins = repo.pins.list(cid=cid)
    if not pins:
        raise PinfoldError(f"{cid} is not pinned")
    if len(pins) > 1:
        raise PinfoldError(f"{cid} has {len(pins)} pins; name one by its id")
    return pins[0].id


def _cid_or_path(repo: Repo, text: str) -> CID:
    text = repo.ipfs_path(text)
    if "/" in text:
        from ..exporter import resolve

        return resolve(repo, text).cid
    return CID(text)


def cmd_pin_add(args: argparse.Namespace) -> int:
    recursive = flag_value(args, "recursive", True)
    meta = meta_from_args(args)
    with open_repo(args) as repo:
        for text in args.cids:
            pin = repo.pin(_cid_or_path(repo, text), name=args.name, recursive=recursive,
                           meta=meta, groups=args.set_groups, queue=args.queue,
                           network="private" if flag_value(args, "private", False)
                           else "public")
            state = "" if pin.status == "pinned" else f" ({pin.status})"
            net = " private" if pin.network == "private" else ""
            out(f"pinned {pin.cid} {pin.type}{net}" + (f" {pin.name}" if pin.name else "")
                + state)
    return 0


def cmd_pin_rm(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        if args.pin_id:
            for pin in repo.unpin(pin_id=args.pin_id):
                out(f"unpinned {pin.cid}")
        elif not args.cids:
            raise PinfoldError("name a CID (or --id) to unpin")
        for text in args.cids:
            for pin in repo.unpin(CID(text), name=args.name):
                out(f"unpinned {pin.cid}")
    return 0


def _has_query(args: argparse.Namespace) -> bool:
    return bool(args.q_name is not None or args.q_meta or args.meta_json or args.status
                or args.group or args.before or args.after or args.min_size is not None
                or args.max_size is not None or args.limit or args.cursor or args.json
                or args.network is not None)


def cmd_pin_ls(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        if _has_query(args):
            return _pin_query(repo, args)
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
            for pin in repo.pins.query(type=t, status="pinned", limit=None).pins:
                _pin_line(args, pin.cid, pin.type, pin.name)
        if args.type in ("all", "indirect"):
            for cid in repo.pins.indirect():
                _pin_line(args, cid, "indirect", "")
    return 0


def _pin_query(repo: Repo, args: argparse.Namespace) -> int:
    from ..pins.meta import filters_from_json, parse_cli_filter

    filters = [parse_cli_filter(t) for t in args.q_meta]
    if args.meta_json:
        try:
            spec = json.loads(args.meta_json)
        except ValueError as exc:
            raise PinfoldError(f"--meta-json is not JSON: {exc}") from None
        filters.extend(filters_from_json(spec))
    if args.type == "indirect":
        raise PinfoldError("filters apply to pin records; indirect pins have none")
    page = repo.pins.query(
        cid=[CID(c) for c in args.cids] or None, name=args.q_name, match=args.match,
        status=args.status or None, group=args.group, before=args.before, after=args.after,
        min_size=args.min_size, max_size=args.max_size, meta_filters=filters,
        type=None if args.type == "all" else args.type, limit=args.limit, cursor=args.cursor,
        network=args.network,
    )
    for pin in page.pins:
        if args.json:
            out(json.dumps(pin.to_json(), ensure_ascii=False))
        else:
            _pin_line(args, pin.cid, pin.type, pin.name)
    if args.json:
        out(json.dumps({"cursor": page.cursor, "count": page.total}))
    elif page.cursor is not None:
        sys.stderr.write(f"next page: --cursor {page.cursor} ({page.total} pins match)\n")
    return 0


def _pin_line(args: argparse.Namespace, cid: CID, kind: str, name: str) -> None:
    out(str(cid) if args.quiet else f"{cid} {kind}" + (f" {name}" if name else ""))


def cmd_pin_meta(args: argparse.Namespace) -> int:
    changes: dict = meta_pairs(args.set, args.set_str)
    if args.replace and args.unset:
        raise PinfoldError("--replace and --unset do not go together")
    for key in args.unset:
        changes[key] = None
    with open_repo(args) as repo:
        pid = pin_id(repo, args.pin)
        if args.new_name is not None:
            repo.pins.rename(pid, args.new_name)
        if changes or args.replace:
            pin = repo.pins.update_meta(pid, changes, replace=args.replace)
        else:
            pin = repo.pins.get(pid)
        out(json.dumps(pin.to_json()["meta"], ensure_ascii=False, sort_keys=True))
    return 0


def cmd_pin_export(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        if args.output:
            try:
                with open(args.output, "w", encoding="utf-8") as f:
                    n = repo.pins.export(f)
            except OSError as exc:
                raise PinfoldError(f"{args.output}: {exc.strerror}") from None
        else:
            n = repo.pins.export(sys.stdout)
        sys.stderr.write(f"exported {n} pins\n")
    return 0


def cmd_pin_import(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        if args.file == "-":
            lines = sys.stdin.read().splitlines()
        else:
            try:
                with open(args.file, encoding="utf-8") as f:
                    lines = f.read().splitlines()
            except OSError as exc:
                raise PinfoldError(f"{args.file}: {exc.strerror}") from None
        pins = repo.pins.import_(lines)
        queued = sum(p.status == "queued" for p in pins)
        out(f"imported {len(pins)} pins ({queued} queued, waiting for their blocks)")
    return 0


def cmd_pin_verify(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        problems = repo.pins.verify_pins()
        for p in problems:
            out(f"{p.cid} {p.kind}: {p.detail}")
        if not problems and not args.quiet:
            out(f"verified {len(repo.pins.list())} pins: every pinned block present and intact")
    return 1 if problems else 0


def cmd_pin_update(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        pin = repo.pins.update(CID(args.old), CID(args.new),
                               unpin=flag_value(args, "unpin", True))
        out(f"updated {args.old} to {pin.cid}")
    return 0
