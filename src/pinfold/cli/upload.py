"""``pinfold upload sign|rotate``: presigned upload URLs (Pinata's ``files/sign``), over the
library's :class:`pinfold.upload.Uploads`. ``sign`` prints the URL alone on its last line."""

from __future__ import annotations

import argparse

from .common import CLIError, Subcommands, command_group, open_repo, out, parse_size, repo_options


def register(sub: Subcommands) -> None:
    common = repo_options()
    usub = command_group(sub, "upload", "presigned upload URLs: sign, rotate")
    p = usub.add_parser("sign", parents=[common],
                        help="print a URL a browser can POST one upload to, without a key")
    p.add_argument("--expires", default="10m", metavar="DURATION",
                   help="how long the URL works: 90s, 10m (default), 1h, 30d")
    p.add_argument("--max-file-size", type=parse_size, default=None, metavar="N",
                   help="the most file bytes the upload may carry (262144, 10MiB, ...)")
    p.add_argument("--allow-mime-type", dest="mime_types", action="append", default=[],
                   metavar="TYPE", help="a MIME type its files may have: image/png, image/*"
                                        " (repeat for several; default: any)")
    p.add_argument("--group", default=None, help="the group the upload goes into")
    p.add_argument("--name", default=None, help="the name it is pinned with")
    p.add_argument("--keyvalue", dest="keyvalues", action="append", default=[],
                   metavar="K=V", help="metadata it is pinned with (repeat for several)")
    p.add_argument("--network", choices=("public", "private"), default=None,
                   help="public (default) or private")
    p.add_argument("--base-url", default="", metavar="URL",
                   help="where the upload routes are mounted (default: print the path and"
                        " query alone)")
    p.set_defaults(func=cmd_upload_sign)
    p = usub.add_parser("rotate", parents=[common],
                        help="new signing secret: every presigned URL made before stops working")
    p.set_defaults(func=cmd_upload_rotate)


def cmd_upload_sign(args: argparse.Namespace) -> int:
    from ..upload import Uploads

    keyvalues: dict[str, str] = {}
    for pair in args.keyvalues:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CLIError(f"bad --keyvalue {pair!r}: use KEY=VALUE")
        keyvalues[key] = value
    with open_repo(args) as repo, Uploads(repo) as uploads:
        out(uploads.sign(expires=args.expires, max_file_size=args.max_file_size,
                         allow_mime_types=args.mime_types, name=args.name, group=args.group,
                         keyvalues=keyvalues, network=args.network, base_url=args.base_url))
    return 0


def cmd_upload_rotate(args: argparse.Namespace) -> int:
    from ..upload import Uploads

    with open_repo(args) as repo, Uploads(repo) as uploads:
        uploads.rotate()
    out("new upload secret: every presigned upload URL made before is now invalid")
    return 0
