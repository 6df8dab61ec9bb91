"""The access facade: :class:`Access`, one per repo (``repo.access``)."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence

from . import links as _links
from .errors import AccessDenied, AccessError
from .parse import check_scope, parse_cidrs, parse_duration, parse_origin, parse_scopes
from .records import ApiKey, GatewayRules, GatewayToken, NewApiKey, NewGatewayToken
from .store import AccessStore

FILE = "access.sqlite"
KEY_PREFIX = "pfk_"
TOKEN_PREFIX = "pgt_"
_KEY_COLS = "id, name, scopes, max_uses, uses, expires, created, revoked"
_MAX_SECRET = 512


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _seconds(value: int | str | None) -> int | None:
    if value is None or isinstance(value, str):
        return None if value is None else parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AccessError("a duration is a positive number of seconds or a text such as 1h")
    return value


def _key(row: tuple) -> ApiKey:
    return ApiKey(row[0], row[1], tuple(row[2].split()), row[3], row[4], row[5], row[6],
                  row[7])


class Access:
    """Link secret, API keys, gateway tokens and gateway rules of one repo.

    ``Access(path)`` opens (creating if missing) ``<path>/access.sqlite``;
    ``Access.memory()`` keeps them in memory. Thread-safe; several processes may share the
    file (key uses are counted atomically across them)."""

    def __init__(self, repo_path: str | os.PathLike) -> None:
        self.store = AccessStore(os.path.join(os.fspath(repo_path), FILE))

    @classmethod
    def memory(cls) -> Access:
        self = object.__new__(cls)
        self.store = AccessStore(":memory:")
        return self

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"Access({self.store.path!r})"

    # -- the link secret and access links --------------------------------------------------
    def ensure_secret(self) -> None:
        """Make the link secret if there is none yet (``Repo.init`` does)."""
        self._secret()

    def _secret(self) -> bytes:
        with self.store.read() as c:
            row = c.execute("SELECT secret FROM link_secrets ORDER BY id DESC LIMIT 1"
                            ).fetchone()
        if row is not None:
            return bytes(row[0])
        with self.store.tx() as c:
            row = c.execute("SELECT secret FROM link_secrets ORDER BY id DESC LIMIT 1"
                            ).fetchone()
            if row is not None:
                return bytes(row[0])
            secret = secrets.token_bytes(32)
            c.execute("INSERT INTO link_secrets(secret, created) VALUES (?, ?)",
                      (secret, int(time.time())))
            return secret

    def rotate(self) -> None:
        """A new link secret: every access link made before stops working."""
        with self.store.tx() as c:
            c.execute("DELETE FROM link_secrets")
            c.execute("INSERT INTO link_secrets(secret, created) VALUES (?, ?)",
                      (secrets.token_bytes(32), int(time.time())))

    def link(self, path: str, *, expires: int | str = "1h", method: str = "GET",
             base_url: str = "", date: int | None = None,
             query: Sequence[tuple[str, str]] = ()) -> str:
        """A signed access link for ``path`` (``<cid>[/sub]`` or ``/ipfs/<cid>[/sub]``),
        valid ``expires`` (seconds or ``90s``/``10m``/``1h``/``30d``) from ``date`` (now),
        for ``method``; relative (``/ipfs/...?X-...``) unless ``base_url``. ``query``: other
        parameters the link carries, signed with it (``[("format", "car")]``)."""
        return _links.make_link(self._secret(), path, _seconds(expires) or 3600,
                                method=method, base_url=base_url, date=date, query=query)

    def check_link(self, method: str, path: str, query: Iterable[tuple[str, str]], *,
                   now: float | None = None) -> bool:
        """Whether the request carries an access link (``False``: it has none of the
        ``X-*`` parameters); :class:`AccessDenied` (403) if it carries one that does not
        open ``method`` on ``path`` (decoded) with these other query parameters now."""
        link, rest = _links.parse_query(query)
        if link is None:
            return False
        _links.verify([self._secret()], method, path, link, rest, now=now)
        return True

    # -- API keys --------------------------------------------------------------------------
    def create_key(self, name: str, scopes: Iterable[str] = (), *, admin: bool = False,
                   max_uses: int | None = None,
                   expires: int | str | None = None) -> NewApiKey:
        """A new API key; its secret is in the result only (a hash is stored)."""
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise AccessError("an API key needs a name of 1 to 255 characters")
        stored = parse_scopes(scopes, admin=admin)
        if max_uses is not None and (isinstance(max_uses, bool) or not isinstance(max_uses, int)
                                     or max_uses < 1):
            raise AccessError("--max-uses is a whole number of at least 1")
        ttl = _seconds(expires)
        now = int(time.time())
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(uuid.uuid4().hex[:16], name, stored, max_uses, 0,
                     now + ttl if ttl is not None else None, now)
        with self.store.tx() as c:
            c.execute(f"INSERT INTO api_keys({_KEY_COLS}, hash) VALUES (?,?,?,?,?,?,?,?,?)",
                      (key.id, key.name, " ".join(key.scopes), key.max_uses, 0, key.expires,
                       key.created, None, _hash(secret)))
        return NewApiKey(key, secret)

    def keys(self) -> list[ApiKey]:
        """Every key (revoked ones too), oldest first."""
        with self.store.read() as c:
            return [_key(r) for r in c.execute(
                f"SELECT {_KEY_COLS} FROM api_keys ORDER BY created, rowid")]

    def key(self, key_id: str) -> ApiKey:
        with self.store.read() as c:
            row = c.execute(f"SELECT {_KEY_COLS} FROM api_keys WHERE id = ?",
                            (key_id,)).fetchone()
        if row is None:
            raise AccessError(f"no API key with id {str(key_id)[:40]!r}")
        return _key(row)

    def revoke_key(self, key_id: str) -> ApiKey:
        with self.store.tx() as c:
            if c.execute("UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL",
                         (int(time.time()), key_id)).rowcount == 0:
                if not c.execute("SELECT 1 FROM api_keys WHERE id = ?", (key_id,)).fetchone():
                    raise AccessError(f"no API key with id {str(key_id)[:40]!r}")
        return self.key(key_id)

    def check_key(self, secret: str | None, scope: str, *, count: bool = True,
                  now: float | None = None) -> ApiKey:
        """The key whose secret this is, if it may act on ``scope`` (``files:read``, ...);
        with ``count`` this is one use, taken atomically (``max_uses`` successes in all,
        across processes). Refused with :class:`AccessDenied`: 401 for no key or an
        unknown, revoked, expired or used-up one, 403 for a key without the scope. The
        reason names the key's id, never the secret."""
        scope = check_scope(scope)
        if not secret or not isinstance(secret, str):
            raise AccessDenied("no API key given", 401)
        if len(secret) > _MAX_SECRET:
            raise AccessDenied("unknown API key", 401)
        digest = _hash(secret)
        now_s = int(time.time() if now is None else now)
        with self.store.tx() as c:
            row = c.execute(f"SELECT {_KEY_COLS} FROM api_keys WHERE hash = ?",
                            (digest,)).fetchone()
            if row is None:
                raise AccessDenied("unknown API key", 401)
            key = _key(row)
            if key.revoked is not None:
                raise AccessDenied(f"API key {key.id} is revoked", 401)
            if key.expires is not None and now_s >= key.expires:
                raise AccessDenied(f"API key {key.id} has expired", 401)
            if not key.allows(scope):
                raise AccessDenied(f"API key {key.id} does not have the scope {scope}", 403)
            if key.max_uses is not None and key.uses >= key.max_uses:
                raise AccessDenied(f"API key {key.id} has used all of its {key.max_uses}"
                                   " uses", 401)
            if count:
                c.execute("UPDATE api_keys SET uses = uses + 1 WHERE id = ?", (key.id,))
                key = _key((*row[:4], key.uses + 1, *row[5:]))
            return key

    # -- gateway tokens --------------------------------------------------------------------
    def create_token(self, name: str = "") -> NewGatewayToken:
        """A new gateway token: from now on every gateway request must carry one (or a valid
        access link or API key)."""
        if not isinstance(name, str) or len(name) > 255:
            raise AccessError("a token's name is at most 255 characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = GatewayToken(uuid.uuid4().hex[:16], name, int(time.time()))
        with self.store.tx() as c:
            c.execute("INSERT INTO gateway_tokens(id, name, hash, created) VALUES (?,?,?,?)",
                      (token.id, token.name, _hash(secret), token.created))
        return NewGatewayToken(token, secret)

    def tokens(self) -> list[GatewayToken]:
        with self.store.read() as c:
            return [GatewayToken(*r) for r in c.execute(
                "SELECT id, name, created, revoked FROM gateway_tokens ORDER BY created, rowid")]

    def revoke_token(self, token_id: str) -> GatewayToken:
        with self.store.tx() as c:
            c.execute("UPDATE gateway_tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                      (int(time.time()), token_id))
            row = c.execute("SELECT id, name, created, revoked FROM gateway_tokens"
                            " WHERE id = ?", (token_id,)).fetchone()
        if row is None:
            raise AccessError(f"no gateway token with id {str(token_id)[:40]!r}")
        return GatewayToken(*row)

    def tokens_required(self) -> bool:
        """Whether any token exists (revoked ones count: revoking the last token does not
        open the gateway to everyone; delete none, create another)."""
        with self.store.read() as c:
            return c.execute("SELECT 1 FROM gateway_tokens LIMIT 1").fetchone() is not None

    def check_token(self, secret: str | None) -> GatewayToken:
        """The token whose secret this is; :class:`AccessDenied` 401 if none is given, or it
        is unknown or revoked."""
        if not secret or not isinstance(secret, str):
            raise AccessDenied("this gateway needs a token (the x-pinfold-gateway-token"
                               " header or the pinfoldGatewayToken query parameter)", 401)
        if len(secret) > _MAX_SECRET:
            raise AccessDenied("unknown gateway token", 401)
        with self.store.read() as c:
            row = c.execute("SELECT id, name, created, revoked FROM gateway_tokens"
                            " WHERE hash = ?", (_hash(secret),)).fetchone()
        if row is None:
            raise AccessDenied("unknown gateway token", 401)
        token = GatewayToken(*row)
        if token.revoked is not None:
            raise AccessDenied(f"gateway token {token.id} is revoked", 401)
        return token

    # -- gateway rules ---------------------------------------------------------------------
    def rules(self) -> GatewayRules:
        with self.store.read() as c:
            row = c.execute("SELECT value FROM settings WHERE key = 'gateway_rules'"
                            ).fetchone()
        if row is None:
            return GatewayRules()
        import json

        data = json.loads(row[0])
        return GatewayRules(bool(data.get("restricted", True)),
                            tuple(parse_cidrs(data.get("allow_ip", []))),
                            tuple(parse_cidrs(data.get("trusted_proxies", []))),
                            tuple(data.get("allow_origins", [])))

    def set_rules(self, *, restricted: bool | None = None,
                  allow_ip: Iterable[str] | None = None,
                  trusted_proxies: Iterable[str] | None = None,
                  allow_origins: Iterable[str] | None = None,
                  clear: bool = False) -> GatewayRules:
        """Change the rules: each argument given replaces that rule; ``clear`` first goes
        back to the defaults (restricted, no allowlists, no trusted proxy)."""
        new_ip = tuple(parse_cidrs(list(allow_ip))) if allow_ip is not None else None
        new_px = (tuple(parse_cidrs(list(trusted_proxies))) if trusted_proxies is not None
                  else None)
        new_or = None
        if allow_origins is not None:
            new_or = tuple(dict.fromkeys(parse_origin(o) for o in allow_origins))
        if restricted is not None and not isinstance(restricted, bool):
            raise AccessError("restricted is true or false")
        with self.store.tx():
            cur = GatewayRules() if clear else self.rules()
            rules = GatewayRules(
                cur.restricted if restricted is None else restricted,
                cur.allow_ip if new_ip is None else new_ip,
                cur.trusted_proxies if new_px is None else new_px,
                cur.allow_origins if new_or is None else new_or)
            self.store.conn.execute(
                "INSERT INTO settings(key, value) VALUES ('gateway_rules', ?) ON CONFLICT(key)"
                " DO UPDATE SET value = excluded.value", (rules.dumps(),))
        return rules


__all__ = ["Access", "AccessDenied"]
