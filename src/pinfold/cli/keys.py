"""``pinfold key``: Kubo's ``ipfs key`` (gen, ls/list, rename, rm, export, import, sign,
verify) over :class:`pinfold.keys.Keyring`, with Kubo's flags, defaults and output."""

from __future__ import annotations

import argparse
import os
import sys

from .. import keys as libkeys  # loads its modules on first use
from ..errors import PinfoldError
from ..keys.formats import FORMATS, LIBP2P_FORMAT, PEM_FORMAT
from .common import (
    Subcommands,
    bool_flag,
    command_group,
    esc_name,
    flag_value,
    read_input,
    repo_options,
    repo_path,
)
from .gofmt import go_json, tabwrite

IPNS_BASE_HELP = ("encoding of key IDs: base36 (k51..., default), base32, another multibase"
                  " name or prefix letter, or b58mh (12D3KooW...)")


def keyring(args: argparse.Namespace) -> libkeys.Keyring:
    return libkeys.Keyring.open(repo_path(args))


def _base(args: argparse.Namespace) -> str:
    libkeys.check_key_encoding(args.ipns_base)
    return args.ipns_base


def read_file(path: str | None) -> bytes:
    """The bytes of ``path``, or of stdin when it is ``None`` or ``-``."""
    return read_input(path or "-", error="cannot read ")


def register(sub: Subcommands) -> None:
    """Add ``key`` and its subcommands to the ``pinfold`` parser."""
    common = repo_options()
    ksub = command_group(sub, "key", "create and list IPNS name keypairs (as 'ipfs key')")

    def base_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ipns-base", default="base36", metavar="BASE", help=IPNS_BASE_HELP)

    p = ksub.add_parser("gen", parents=[common], help="create a new keypair; print its ID",
                        description="Create a new keypair in the repo's keystore and print"
                        " its ID (an IPNS name).")
    p.add_argument("name", metavar="NAME", help="name of key to create")
    p.add_argument("-t", "--type", default="ed25519", choices=("ed25519", "rsa", "secp256k1"),
                   help="type of the key to create (default ed25519)")
    p.add_argument("-s", "--size", type=int, help="size of the key to generate (RSA: 2048,"
                   " 3072, 4096; default 2048)")
    base_opt(p)
    p.set_defaults(func=cmd_key_gen)

    for name, extra in (("ls", ""), ("list", " (Kubo's old spelling of 'key ls')")):
        p = ksub.add_parser(name, parents=[common], help="list all local keypairs" + extra)
        bool_flag(p, "-l", dest="long", default=False,
                  help="show extra information about keys: '<id> <name>'")
        base_opt(p)
        p.set_defaults(func=cmd_key_ls)

    p = ksub.add_parser("rename", parents=[common], help="rename a keypair")
    p.add_argument("old", metavar="NAME", help="name of key to rename")
    p.add_argument("new", metavar="NEWNAME", help="new name of the key")
    bool_flag(p, "-f", "--force", dest="force", default=False, help="allow to overwrite an existing"
                   " key")
    base_opt(p)
    p.set_defaults(func=cmd_key_rename)

    p = ksub.add_parser("rm", parents=[common], help="remove keypairs")
    p.add_argument("names", nargs="+", metavar="NAME", help="names of keys to remove")
    bool_flag(p, "-l", dest="long", default=False, help="show extra information about keys")
    base_opt(p)
    p.set_defaults(func=cmd_key_rm)

    p = ksub.add_parser("export", parents=[common], help="export a keypair to a file",
                        description="Export a named key to ./<name>.key (libp2p protobuf) or"
                        " ./<name>.pem (PEM PKCS #8), or to -o PATH. The file holds the"
                        " private key in clear: it is written readable by you only.")
    p.add_argument("name", metavar="NAME", help="name of key to export")
    p.add_argument("-o", "--output", help="the path where the output should be stored")
    p.add_argument("-f", "--format", default=LIBP2P_FORMAT, choices=FORMATS,
                   help=f"format of the exported private key (default {LIBP2P_FORMAT})")
    p.set_defaults(func=cmd_key_export)

    p = ksub.add_parser("import", parents=[common], help="import a key; print its ID",
                        description="Import a private key and store it under NAME. RSA,"
                        " Ed25519 and secp256k1 keys are taken; others need"
                        " --allow-any-key-type.")
    p.add_argument("name", metavar="NAME", help="name to associate with key in keychain")
    p.add_argument("file", metavar="FILE", help="key file (from 'key export', openssl"
                   " genpkey, ...), or - for stdin")
    p.add_argument("-f", "--format", default=LIBP2P_FORMAT, choices=FORMATS,
                   help=f"format of the private key to import (default {LIBP2P_FORMAT})")
    bool_flag(p, "--allow-any-key-type", dest="allow_any", help="allow importing any key"
               " type (default false)")
    base_opt(p)
    p.set_defaults(func=cmd_key_import)

    p = ksub.add_parser("sign", parents=[common], help="sign data with a key (prints JSON)",
                        description="Sign the data, prefixed with 'libp2p-key signed message:',"
                        " as 'ipfs key sign' does; prints {Key, Signature} as JSON, the"
                        " signature in multibase base64url.")
    p.add_argument("file", nargs="?", metavar="FILE", help="the data to sign (default stdin)")
    p.add_argument("-k", "--key", default="", help="the name of the key to use (default self)")
    base_opt(p)
    p.set_defaults(func=cmd_key_sign)

    p = ksub.add_parser("verify", parents=[common], help="verify a 'key sign' signature",
                        description="Verify a signature made by 'key sign'; prints {Key,"
                        " SignatureValid} as JSON.")
    p.add_argument("file", nargs="?", metavar="FILE", help="the signed data (default stdin)")
    p.add_argument("-k", "--key", default="", help="name of the key, or an IPNS name / peer"
                   " ID (default self)")
    p.add_argument("-s", "--signature", required=True, help="multibase-encoded signature")
    base_opt(p)
    p.set_defaults(func=cmd_key_verify)


def cmd_key_gen(args: argparse.Namespace) -> int:
    base = _base(args)
    info = keyring(args).generate(args.name, args.type, args.size)
    sys.stdout.write(info.id(base) + "\n")
    return 0


def _write_list(infos, long: bool, base: str) -> None:
    if long:
        sys.stdout.write(tabwrite([[i.id(base), esc_name(i.name), ""] for i in infos],
                                  minwidth=1, padding=1))
    else:
        sys.stdout.write("".join(esc_name(i.name) + "\n" for i in infos))


def cmd_key_ls(args: argparse.Namespace) -> int:
    base = _base(args)
    _write_list(keyring(args).list(), args.long, base)
    return 0


def cmd_key_rename(args: argparse.Namespace) -> int:
    base = _base(args)
    info, overwritten = keyring(args).rename(args.old, args.new, force=args.force)
    tail = " with overwriting" if overwritten else ""
    sys.stdout.write(f"Key {info.id(base)} renamed to {esc_name(args.new)}{tail}\n")
    return 0


def cmd_key_rm(args: argparse.Namespace) -> int:
    base = _base(args)
    ring = keyring(args)
    removed = [ring.remove(name) for name in args.names]
    _write_list(removed, args.long, base)
    return 0


def cmd_key_export(args: argparse.Namespace) -> int:
    data = keyring(args).export(args.name, args.format)
    out = args.output
    if not out:
        ext = "pem" if args.format == PEM_FORMAT else "key"
        out = os.path.basename(f"{args.name}.{ext}".rstrip("/"))
    write_private(out, data)
    return 0


def write_private(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (0600), whole or not at all (a
    device, FIFO or other special file that exists is written to, not replaced)."""
    if os.path.exists(path) and not os.path.isfile(path):
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise PinfoldError(f"cannot write {path}: {exc.strerror}") from None
        return
    tmp = f"{path}.pinfold-{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise PinfoldError(f"cannot write {path}: {exc.strerror}") from None


def cmd_key_import(args: argparse.Namespace) -> int:
    base = _base(args)
    data = read_file(args.file)
    info = keyring(args).import_(args.name, data, args.format,
                                 allow_any_type=flag_value(args, "allow_any", False))
    sys.stdout.write(info.id(base) + "\n")
    return 0


def cmd_key_sign(args: argparse.Namespace) -> int:
    from multiformats import multibase

    base = _base(args)
    data = read_file(args.file)
    info, sig = keyring(args).sign(args.key, data)
    sys.stdout.write(go_json({"Key": {"Name": info.name, "Id": info.id(base)},
                              "Signature": multibase.encode(sig, "base64url")}))
    return 0


def cmd_key_verify(args: argparse.Namespace) -> int:
    from multiformats import multibase

    base = _base(args)
    try:
        signature = multibase.decode(args.signature)
    except Exception:  # noqa: BLE001 - any multibase failure is the same user error
        raise PinfoldError(f"--signature {args.signature!r} is not multibase-encoded") from None
    data = read_file(args.file)
    info, valid = keyring(args).verify(args.key, signature, data)
    sys.stdout.write(go_json({"Key": {"Name": info.name, "Id": info.id(base)},
                              "SignatureValid": valid}))
    return 0
