"""The gateway as an ASGI app (Starlette): :func:`create_app`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ..access import ApiKey, check_origin, request_origin
from ..errors import AccessDenied
from ..gateway import handle
from .policy import (
    API_CORS_EXPOSE,
    API_CORS_HEADERS,
    PRIVATE_CACHE,
    bearer,
    cors_headers,
    decide,
    redact,
    redirect_location,
)

log = logging.getLogger("pinfold.web")


class _RedactSecrets(logging.Filter):
    """Access-log lines (uvicorn's) with access-link signatures and gateway tokens hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
        logger.addFilter(_RedactSecrets())


def get_repo(request: Request) -> Any:
    """The repo the app serves (for routes mounted with ``create_app(routes=...)``)."""
    return request.app.state.repo


def _failure(status: int, reason: str, code: str | None = None) -> JSONResponse:
    code = code or {401: "UNAUTHORIZED", 403: "FORBIDDEN"}.get(status, "BAD_REQUEST")
    headers = {"WWW-Authenticate": 'Bearer realm="pinfold"'} if status == 401 else None
    return JSONResponse({"error": {"reason": code, "details": reason}}, status_code=status,
                        headers=headers)


async def require_key(request: Request, scope: str, *,
                      count: bool = True) -> ApiKey | JSONResponse:
    """Authenticate this request's ``Authorization: Bearer <key>`` for ``scope``: the
    :class:`~pinfold.access.ApiKey` (one use counted, unless ``count=False``), or a JSON
    401/403 response to return as it is (``{"error": {"reason": "UNAUTHORIZED"|"FORBIDDEN",
    "details": "..."}}``, the Pinning Service API's failure shape)::

        key = await require_key(request, "files:write")
        if isinstance(key, Response):
            return key
    """
    repo = get_repo(request)
    try:
        secret = bearer(request.headers.get("authorization"))
        if secret is None:
            raise AccessDenied("no API key: send Authorization: Bearer <key>", 401)
        return await run_in_threadpool(repo.access.check_key, secret, scope, count=count)
    except AccessDenied as exc:
        return _failure(exc.status, exc.reason)


def api_route(path: str, endpoint: Callable[[Request], Awaitable[Response]],
              methods: Sequence[str]) -> Route:
    """A route of an API mounted beside the gateway (pins, uploads), open to pages on other
    origins as the repo's gateway rules allow (docs/access.md): a preflight ``OPTIONS`` is
    answered 204, and every answer to a request that names an origin carries
    ``Access-Control-Allow-Origin`` (``*`` while the rules list no origins). Once they list
    some, a request naming another origin is refused with 403 before ``endpoint`` runs, so
    a page elsewhere cannot spend a presigned URL. A request that names no origin (Kubo,
    curl, a server) is not a browser's and is served as it is. The IP allowlist and gateway
    tokens stay the gateway's: these routes authenticate with keys and signatures, as
    Pinata's API does."""
    allowed = ", ".join([*methods, "OPTIONS"])

    async def with_cors(request: Request) -> Response:
        origin = request_origin(request.headers.get("origin"), request.headers.get("referer"))
        headers: list[tuple[str, str]] = []
        if origin is not None:
            rules = await run_in_threadpool(get_repo(request).access.rules)
            try:
                check_origin(rules, origin)
            except AccessDenied as exc:
                resp = _failure(403, exc.reason)
                resp.headers["Vary"] = "Origin"
                return resp
            headers = cors_headers(rules, origin, methods=allowed,
                                   allow_headers=API_CORS_HEADERS, expose=API_CORS_EXPOSE)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allowed, **dict(headers)})
        resp = await endpoint(request)
        for k, v in headers:
            resp.headers[k] = v
        return resp

    return Route(path, with_cors, methods=[*methods, "OPTIONS"])


def _text(status: int, reason: str, method: str, headers: list[tuple[str, str]]) -> Response:
    hdrs = dict(headers)
    if status == 401:
        hdrs["WWW-Authenticate"] = 'Bearer realm="pinfold"'
    if status == 204:
        return Response(status_code=204, headers=hdrs)
    body = "" if method == "HEAD" else reason + "\n"
    resp = PlainTextResponse(body, status_code=status, headers=hdrs)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


async def gateway(request: Request) -> Response:
    """``/ipfs/...`` and ``/ipns/...``: the rules, then :func:`pinfold.gateway.handle`."""
    repo = get_repo(request)
    scope = request.scope
    method = request.method
    query_string = scope.get("query_string", b"").decode("latin-1")
    client = scope.get("client")
    peer = client[0] if client else None
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    d = await run_in_threadpool(decide, repo, method, scope["path"],
                                scope.get("raw_path") or scope["path"].encode(),
                                query_string, headers, peer)
    if d.status is not None:
        return _text(d.status, d.reason, method, d.headers)
    fwd = [(k, v) for k, v in headers if k.lower() not in ("authorization",)]
    resp = await run_in_threadpool(handle, repo, method, d.path, d.query, fwd,
                                   on_error=lambda exc: log.warning("response cut short: %s",
                                                                    exc))
    out = {}
    for k, v in resp.headers:
        out[k] = v
    for k, v in d.headers:
        if k == "Vary" and "Vary" in out:
            out["Vary"] = out["Vary"] + ", " + v
        else:
            out[k] = v
    if d.private:
        out["Cache-Control"] = PRIVATE_CACHE
    if resp.status in (301, 302, 307, 308) and "Location" in out:
        out["Location"] = redirect_location(out["Location"], query_string)
    return StreamingResponse(iter(resp.body), status_code=resp.status, headers=out)


def create_app(repo: Any = None, *, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """An ASGI app serving ``/ipfs/`` and ``/ipns/`` from ``repo`` (default: the repo at
    ``$PINFOLD_REPO``, else ``~/.pinfold``, opened at start-up and closed at shutdown) under
    the repo's gateway rules (docs/access.md). ``routes`` are mounted before the gateway's
    (a Pinning Service API, uploads); they reach the repo with :func:`get_repo` and check
    keys with :func:`require_key`."""
    _install_log_filter()
    own = repo is None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if own:
            app.state.repo.close()

    if own:
        from ..repo import Repo

        repo = Repo()
    app = Starlette(routes=[*routes,
                            Route("/ipfs/{rest:path}", gateway,
                                  methods=["GET", "HEAD", "OPTIONS"]),
                            Route("/ipns/{rest:path}", gateway,
                                  methods=["GET", "HEAD", "OPTIONS"])],
                    lifespan=lifespan)
    app.state.repo = repo
    return app
