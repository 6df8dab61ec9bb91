"""The Pinning Service API's routes (``GET/POST /pins``, ``GET/POST/DELETE
/pins/{requestid}``) over :class:`pinfold.pinservice.PinService`, with ``Authorization:
Bearer`` API keys: ``files:read`` to list and get, ``files:write`` to add, replace and
delete. Mount them with ``create_app(repo, routes=pinning_routes())`` (docs/pinning-api.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..errors import PinfoldError
from ..pinservice import PinService, PinServiceError
from ..upload import UploadError
from .app import api_route, get_repo, require_key
from .body import read_limited

MAX_BODY = 1 << 20  # a Pin object (1000 meta keys of 255 bytes and more fit)


def _failure(exc: PinServiceError) -> JSONResponse:
    return JSONResponse(exc.to_json(), status_code=exc.status)


def pinning_routes(*, delegates: Sequence[str] = ()) -> list[BaseRoute]:
    """The routes, to mount where the service should live (Kubo's ``ipfs pin remote service
    add NAME <endpoint> <key>`` appends ``/pins`` to the endpoint). ``delegates``: the
    multiaddrs every ``PinStatus`` names (none by default: pinfold dials no peers)."""

    def service(request: Request) -> PinService:
        return PinService(get_repo(request), delegates=delegates)

    async def body_of(request: Request) -> object:
        try:
            raw = await read_limited(request, MAX_BODY)
        except UploadError as exc:
            raise PinServiceError(exc.status, "BAD_REQUEST", exc.reason) from None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise PinServiceError(400, "BAD_REQUEST", "the body is not JSON") from None

    async def run(request: Request, scope: str, fn, status: int = 200) -> Response:
        key = await require_key(request, scope)
        if isinstance(key, Response):
            return key
        if "requestid" in request.path_params and request.query_params:
            return _failure(PinServiceError(400, "BAD_REQUEST",
                                            "this operation takes no query parameters"))
        try:
            result = await fn()
        except PinServiceError as exc:
            return _failure(exc)
        except PinfoldError as exc:
            return _failure(PinServiceError(400, "BAD_REQUEST", str(exc)))
        if result is None:
            return Response(status_code=status)
        return JSONResponse(result, status_code=status)

    async def pins(request: Request) -> Response:
        svc = service(request)
        if request.method == "GET":
            params = request.query_params.multi_items()
            return await run(request, "files:read",
                             lambda: run_in_threadpool(svc.list, params))

        async def add():
            body = await body_of(request)
            return await run_in_threadpool(svc.add, body)

        return await run(request, "files:write", add, 202)

    async def pin(request: Request) -> Response:
        svc = service(request)
        rid = request.path_params["requestid"]
        if request.method == "GET":
            return await run(request, "files:read", lambda: run_in_threadpool(svc.get, rid))
        if request.method == "DELETE":
            return await run(request, "files:write",
                             lambda: run_in_threadpool(svc.remove, rid), 202)

        async def replace():
            body = await body_of(request)
            return await run_in_threadpool(svc.replace, rid, body)

        return await run(request, "files:write", replace, 202)

    return [api_route("/pins", pins, ["GET", "POST"]),
            api_route("/pins/{requestid}", pin, ["GET", "POST", "DELETE"])]
