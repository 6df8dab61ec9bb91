"""``pinfold name``: Kubo's ``ipfs name`` (publish, resolve, get, put, inspect) over
:class:`pinfold.ipns.Names`, offline, with Kubo's flags, defaults and output."""

from __future__ import annotations

import argparse
import sys

from .. import ipns  # loads its modules (and cryptography) on first use
from ..errors import PinfoldError
from .common import (
    Subcommands,
    bool_flag,
    command_group,
    esc_name,
    flag_value,
    nonneg_int,
    open_repo,
    repo_options,
    repo_path,
)
from .gofmt import go_json, hex_dump, quote, tabwrite
from .keys import read_file, write_private

PUBLISH_HELP = """\
Sign PATH with a key (self by default) into an IPNS record, store the record in the repo and
print 'Published to <name>: <path>'. The name then resolves to PATH in 'name resolve', in
/ipns/ paths given to cat, ls, stat, get, dag export, dag get and pin add, and in the
gateway. Publish again to point the name elsewhere: the sequence goes up by one when the
value changes.

Durations are Go's: 300s, 90m, 1h30m, 1.5h (no 'd').
"""


def register(sub: Subcommands) -> None:
    """Add ``name`` and its subcommands to the ``pinfold`` parser."""
    common = repo_options()
    nsub = command_group(sub, "name", "publish and resolve IPNS names (as 'ipfs name')")

    p = nsub.add_parser("publish", parents=[common], help="publish an IPNS name",
                        description=PUBLISH_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", metavar="PATH", help="ipfs path of the object to be published"
                   " (/ipfs/<cid>[/path], /ipns/<name>, or a CID)")
    p.add_argument("-k", "--key", default="self", help="name of the key to be used, or a valid"
                   " PeerID, as listed by 'key ls -l' (default self)")
    bool_flag(p, "--resolve", dest="resolve", help="check that the path resolves in the repo"
               " before publishing (default true)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("-t", "--lifetime", help="time duration the signed record will be valid"
                      " for, e.g. 300s, 1.5h, 24h (default 48h)")
    when.add_argument("--validity", metavar="RFC3339", help="the record's end of life, e.g."
                      " 2030-01-01T00:00:00Z (written into the record as given)")
    p.add_argument("--ttl", help="time duration to cache this record before checking for"
                   " updates; must not exceed the lifetime (default 5m, capped to it)")
    p.add_argument("--sequence", type=nonneg_int, help="set the record's sequence number (must"
                   " be higher than the current one)")
    bool_flag(p, "--v1compat", dest="v1compat", help="produce a backward-compatible record"
               " with both V1 and V2 signatures (default true)")
    bool_flag(p, "-Q", "--quieter", dest="quieter", default=False,
              help="write only the final IPNS name (k51...)")
    _offline_accepted(p)
    p.set_defaults(func=cmd_name_publish)

    p = nsub.add_parser("resolve", parents=[common], help="resolve an IPNS name to a path",
                        description="Resolve NAME (or /ipns/NAME[/sub/path]) through the"
                        " repo's records and print the /ipfs/ path. NAME defaults to the"
                        " repo's self key.")
    p.add_argument("name", nargs="?", metavar="NAME", help="the IPNS name to resolve"
                   " (default: the self key's)")
    bool_flag(p, "--recursive", "-r", dest="recursive", help="resolve until the result is"
               " not an IPNS name (default true; at most 32 steps)")
    bool_flag(p, "-n", "--nocache", dest="nocache", default=False,
              help="accepted for Kubo: the repo's records are read every time")
    bool_flag(p, "-s", "--stream", dest="stream", default=False,
              help="accepted for Kubo: the one local answer is written when found")
    p.set_defaults(func=cmd_name_resolve)

    p = nsub.add_parser("get", parents=[common], help="write a name's stored signed record",
                        description="Write the stored IPNS record of NAME (protobuf, as the"
                        " IPNS spec defines it) to stdout or -o FILE; 'name inspect' reads it,"
                        " 'name put' on another repo imports it.")
    p.add_argument("name", metavar="NAME", help="the IPNS name to look up")
    p.add_argument("-o", "--output", help="write the record to this file")
    p.set_defaults(func=cmd_name_get)

    p = nsub.add_parser("put", parents=[common], help="store a signed record made elsewhere",
                        description="Store a pre-signed IPNS record for NAME after verifying"
                        " it (signature, size, expiry). A record whose sequence is not higher"
                        " than the stored one's is refused (the same record again is fine)"
                        " unless --force; a record that does not verify is never stored.")
    p.add_argument("name", metavar="NAME", help="the IPNS name (k51... or /ipns/k51...)")
    p.add_argument("file", metavar="FILE", help="file with the signed record, or - for stdin")
    bool_flag(p, "-f", "--force", dest="force", default=False, help="skip the sequence check")
    bool_flag(p, "-q", "--quiet", dest="quiet", default=False, help="write no output")
    _offline_accepted(p)
    p.set_defaults(func=cmd_name_put)

    p = nsub.add_parser("inspect", parents=[common], help="print the fields of an IPNS record",
                        description="Print the values inside an IPNS record (protobuf and its"
                        " DAG-CBOR data), as 'ipfs name inspect'. With --verify NAME the"
                        " record is verified for NAME, and the exit status is 1 when it"
                        " fails.")
    p.add_argument("file", nargs="?", metavar="FILE", help="the record (default stdin)")
    p.add_argument("--verify", metavar="NAME", help="IPNS name to validate the record against")
    bool_flag(p, "--dump", dest="dump", help="include a hex dump of the raw protobuf record"
               " (default true)")
    bool_flag(p, "--json", dest="json", default=False, help="print one JSON object (Kubo's"
                   " --enc=json)")
    p.set_defaults(func=cmd_name_inspect)


def _offline_accepted(p: argparse.ArgumentParser) -> None:
    """Kubo's network switches: pinfold only stores records in the repo, which is what they
    allow, so both are accepted and change nothing."""
    bool_flag(p, "--allow-offline", dest="allow_offline", default=False,
              help="accepted for Kubo: records are always stored locally, never broadcast")
    bool_flag(p, "--allow-delegated", dest="allow_delegated", default=False,
              help="accepted for Kubo: there is no DHT or delegated publisher here")


def _names(args: argparse.Namespace, blocks=None) -> ipns.Names:
    return ipns.Names.open(repo_path(args), blocks=blocks)


def _duration(text: str, what: str | None) -> int:
    try:
        return ipns.parse_duration(text)
    except ipns.TimeFormatError as exc:
        raise ipns.IpnsError(f"error parsing {what} option: {exc}" if what else str(exc)) from None


def cmd_name_publish(args: argparse.Namespace) -> int:
    lifetime = None if args.lifetime is None else _duration(args.lifetime, "lifetime")
    ttl = None if args.ttl is None else _duration(args.ttl, None)
    resolve = flag_value(args, "resolve", True)
    with open_repo(args) as repo:
        published = repo.names.publish(
            args.path, args.key, lifetime=lifetime, validity=args.validity, ttl=ttl,
            sequence=args.sequence, v1_compatible=flag_value(args, "v1compat", True),
            resolve=resolve)
    if args.quieter:
        sys.stdout.write(f"{published.name}\n")
    else:
        sys.stdout.write(f"Published to {published.name}: {esc_name(published.value)}\n")
    return 0


def cmd_name_resolve(args: argparse.Namespace) -> int:
    names = _names(args)
    target = args.name
    if target is None:
        target = names.keys.self_key().public_key.peer_id()
        target = str(ipns.Name(target))
    result = names.resolve(target, recursive=flag_value(args, "recursive", True))
    sys.stdout.write(result.path + "\n")
    return 0


def cmd_name_get(args: argparse.Namespace) -> int:
    data = _names(args).get(args.name)
    if args.output:
        write_private(args.output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def cmd_name_put(args: argparse.Namespace) -> int:
    name = ipns.Name.parse(args.name)
    data = read_file(args.file)
    try:
        _names(args).put(name, data, force=args.force)
    except ipns.InvalidRecordError as exc:
        raise ipns.IpnsError(f"invalid IPNS record: {exc}") from None
    except ipns.RecordValidationError as exc:
        raise ipns.IpnsError(f"record validation failed: {exc}") from None
    if not args.quiet:
        sys.stdout.write(f"{name}\n")
    return 0


def _inspect(data: bytes, verify: str | None, dump: bool) -> dict:
    rec = ipns.unmarshal_record(data)
    entry: dict = {"Value": "", "ValidityType": None, "Validity": None, "Sequence": None,
                   "TTL": None}
    getters = (("Value", lambda: rec.value_path), ("ValidityType", lambda: rec.validity_type),
               ("Validity", lambda: ipns.format_rfc3339nano(rec.validity_ns)),
               ("Sequence", lambda: rec.sequence), ("TTL", lambda: rec.ttl))
    for key, get in getters:
        try:
            entry[key] = get()
        except ipns.InvalidRecordError:
            pass
    out: dict = {"Entry": entry, "PbSize": rec.size, "SignatureType": rec.signature_type,
                 "HexDump": hex_dump(data) if dump else "", "Validation": None}
    if verify is not None:
        name = ipns.Name.parse(verify)
        validation = {"Valid": True, "Reason": "", "Name": str(name)}
        try:
            ipns.validate_record(rec, name)
        except (ipns.RecordValidationError, ipns.InvalidRecordError) as exc:
            validation["Valid"] = False
            validation["Reason"] = getattr(exc, "reason", str(exc))
        out["Validation"] = validation
    return out


def _inspect_text(out: dict) -> str:
    e = out["Entry"]
    rows = []
    if e["Value"]:
        rows.append(["Value:", quote(e["Value"])])
    if e["ValidityType"] is not None:
        rows.append(["Validity Type:", str(e["ValidityType"])])
    if e["Validity"] is not None:
        rows.append(["Validity:", quote(e["Validity"])])
    if e["Sequence"] is not None:
        rows.append(["Sequence:", str(e["Sequence"])])
    if e["TTL"] is not None:
        rows.append(["TTL:", ipns.format_duration(e["TTL"])])
    rows.append(["Protobuf Size:", str(out["PbSize"])])
    rows.append(["Signature Type:", out["SignatureType"]])
    text = tabwrite(rows)
    v = out["Validation"]
    if v is None:
        text += "\nThis record was not verified. Pass '--verify k51...' to verify.\n"
    else:
        text += "\nValidation results:\n"
        rows = [["", "Valid:", "true" if v["Valid"] else "false"]]
        if v["Reason"]:
            rows.append(["", "Reason:", v["Reason"]])
        rows.append(["", "Name:", v["Name"]])
        text += tabwrite(rows)
    if out["HexDump"]:
        text += "\nHex Dump:\n" + out["HexDump"]
    return text


def cmd_name_inspect(args: argparse.Namespace) -> int:
    data = read_file(args.file)
    try:
        out = _inspect(data, args.verify, flag_value(args, "dump", True))
    except ipns.InvalidRecordError as exc:
        raise PinfoldError(str(exc)) from None
    if args.json:
        sys.stdout.write(go_json(out))
    else:
        sys.stdout.write(_inspect_text(out))
    v = out["Validation"]
    return 1 if v is not None and not v["Valid"] else 0
