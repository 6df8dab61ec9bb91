"""``pinfold access link|rotate``, ``pinfold apikey create|ls|revoke`` and ``pinfold gateway
rules|token``: access control, over the repo's :class:`pinfold.access.Access`.

Commands that make a secret (a link, a key, a token) print it alone on their last line.
"""

from __future__ import annotations

import argparse
import json

from .common import (
    Subcommands,
    bool_flag,
    command_group,
    flag_value,
    open_repo,
    out,
    positive_int,
    repo_options,
)


def register(sub: Subcommands) -> None:
    common = repo_options()
    asub = command_group(sub, "access", "access links to private content: link, rotate")
    p = asub.add_parser("link", parents=[common],
                        help="print a signed, expiring URL for /ipfs/<cid>[/path]")
    p.add_argument("path", metavar="PATH", help="<cid>[/sub/path] or /ipfs/<cid>[/sub/path]")
    p.add_argument("--expires", default="1h", metavar="DURATION",
                   help="how long the link works: 90s, 10m, 1h (default), 30d")
    p.add_argument("--base-url", default="", metavar="URL",
                   help="the gateway's URL (default: print the path and query alone)")
    p.add_argument("--method", default="GET", help="GET (default) or HEAD")
    p.set_defaults(func=cmd_access_link)
    p = asub.add_parser("rotate", parents=[common],
                        help="make a new link secret: every older access link stops working")
    p.set_defaults(func=cmd_access_rotate)

    ksub = command_group(sub, "apikey", "scoped API keys: create, ls, revoke")
    p = ksub.add_parser("create", parents=[common],
                        help="make a key; its secret is printed once, on the last line")
    p.add_argument("name")
    p.add_argument("--scope", dest="scopes", action="append", default=[], metavar="SCOPE",
                   help="files:read, files:write, groups:read, groups:write, gateways:read,"
                        " gateways:write (repeat for several)")
    bool_flag(p, "--admin", dest="admin", help="every scope")
    p.add_argument("--max-uses", type=positive_int, default=None, metavar="N",
                   help="the key works N times in all, then is used up")
    p.add_argument("--expires", default=None, metavar="DURATION",
                   help="the key stops working after this long (90s, 10m, 1h, 30d)")
    bool_flag(p, "--json", dest="json", help="print the whole record (with the secret)")
    p.set_defaults(func=cmd_apikey_create)
    p = ksub.add_parser("ls", parents=[common],
                        help="<id> <name> <scopes> <uses>/<max> <expires> <created> <revoked>")
    bool_flag(p, "--json", dest="json", help="one JSON object per key")
    p.set_defaults(func=cmd_apikey_ls)
    p = ksub.add_parser("revoke", parents=[common], help="stop a key from working")
    p.add_argument("id")
    p.set_defaults(func=cmd_apikey_revoke)

    gsub = command_group(sub, "gateway", "the gateway's rules and tokens: rules, token")
    p = gsub.add_parser("rules", parents=[common],
                        help="set the gateway rules (with no option: print them)")
    bool_flag(p, "--restricted", dest="restricted",
              help="serve only what a pin reaches (the default: true)")
    p.add_argument("--allow-ip", dest="allow_ip", action="append", default=None,
                   metavar="CIDR", help="only these clients (repeat; '' empties the list)")
    p.add_argument("--trusted-proxy", dest="trusted_proxy", action="append", default=None,
                   metavar="CIDR", help="peers whose X-Forwarded-For is believed (repeat)")
    p.add_argument("--allow-origin", dest="allow_origin", action="append", default=None,
                   metavar="ORIGIN", help="only pages of these origins; CORS for them")
    p.add_argument("--clear", action="store_true",
                   help="back to the defaults first (restricted, no lists)")
    bool_flag(p, "--json", dest="json", help="print the rules as JSON")
    p.set_defaults(func=cmd_gateway_rules)
    tsub = command_group(gsub, "token", "gateway tokens: create, ls, revoke")
    p = tsub.add_parser("create", parents=[common],
                        help="make a token (from then on every request needs one)")
    p.add_argument("name", nargs="?", default="")
    p.set_defaults(func=cmd_token_create)
    p = tsub.add_parser("ls", parents=[common], help="<id> <created> <revoked> <name>")
    bool_flag(p, "--json", dest="json", help="one JSON object per token")
    p.set_defaults(func=cmd_token_ls)
    p = tsub.add_parser("revoke", parents=[common], help="stop a token from working")
    p.add_argument("id")
    p.set_defaults(func=cmd_token_revoke)


def cmd_access_link(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        out(repo.access.link(args.path, expires=args.expires, method=args.method,
                             base_url=args.base_url))
    return 0


def cmd_access_rotate(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        repo.access.rotate()
    out("new link secret: every access link made before is now invalid")
    return 0


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def cmd_apikey_create(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        new = repo.access.create_key(args.name, args.scopes,
                                     admin=flag_value(args, "admin", False),
                                     max_uses=args.max_uses, expires=args.expires)
    if flag_value(args, "json", False):
        out(json.dumps(new.to_json()))
        return 0
    k = new.key
    out(f"API key {k.id} ({k.name}): {' '.join(k.scopes)}; uses {_dash(k.max_uses)};"
        f" expires {_dash(k.to_json()['expires'])}. The secret is shown only now:")
    out(new.secret)
    return 0


def cmd_apikey_ls(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        keys = repo.access.keys()
    for k in keys:
        if flag_value(args, "json", False):
            out(json.dumps(k.to_json()))
            continue
        j = k.to_json()
        out(f"{k.id} {k.name} {','.join(k.scopes)} {k.uses}/{_dash(k.max_uses)}"
            f" {_dash(j['expires'])} {j['created']} {_dash(j['revoked'])}")
    return 0


def cmd_apikey_revoke(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        k = repo.access.revoke_key(args.id)
    out(f"revoked API key {k.id} ({k.name})")
    return 0


def cmd_gateway_rules(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        if (args.restricted is None and args.allow_ip is None and args.trusted_proxy is None
                and args.allow_origin is None and not args.clear):
            rules = repo.access.rules()
        else:
            rules = repo.access.set_rules(restricted=args.restricted, allow_ip=args.allow_ip,
                                          trusted_proxies=args.trusted_proxy,
                                          allow_origins=args.allow_origin, clear=args.clear)
        tokens = repo.access.tokens_required()
    j = rules.to_json()
    if flag_value(args, "json", False):
        out(json.dumps({**j, "tokens_required": tokens}))
        return 0
    out(f"restricted: {str(rules.restricted).lower()}")
    out(f"allow-ip: {' '.join(j['allow_ip']) or '(anyone)'}")
    out(f"trusted-proxy: {' '.join(j['trusted_proxies']) or '(none)'}")
    out(f"allow-origin: {' '.join(j['allow_origins']) or '(any)'}")
    out(f"tokens: {'required' if tokens else 'none'}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        new = repo.access.create_token(args.name)
    out(f"gateway token {new.token.id}: every gateway request now needs a token."
        " It is shown only now:")
    out(new.secret)
    return 0


def cmd_token_ls(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        tokens = repo.access.tokens()
    for t in tokens:
        j = t.to_json()
        if flag_value(args, "json", False):
            out(json.dumps(j))
        else:
            out(f"{t.id} {j['created']} {_dash(j['revoked'])} {t.name}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    with open_repo(args) as repo:
        t = repo.access.revoke_token(args.id)
    out(f"revoked gateway token {t.id}")
    return 0
