"""Upload routes, as Pinata's upload API: ``POST /upload`` (multipart files and folders, or a
CAR with ``Content-Type: application/vnd.ipld.car``) and ``POST /upload/json`` with a
``files:write`` key; ``POST /upload/signed?X-…`` through a presigned URL, with no key;
``GET /upload/page``, a plain HTML page that uploads a chosen file through the presigned URL
in its fragment (``/upload/page#<url>``: a fragment never reaches a server log) and shows it
through the gateway. Answers are ``{"data": {id, cid, size, name, number_of_files,
mime_type, is_duplicate, …}}`` as Pinata's v3, failures ``{"error": {"reason",
"details"}}`` with a 4xx status.

Mount them with ``create_app(repo, routes=upload_routes())`` (docs/pinning-api.md).
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import PinfoldError
from ..importer import ImportOptions
from ..upload import UploadError, Uploads
from ..upload.uploader import MAX_JSON_BYTES
from .app import api_route, get_repo, require_key
from .body import BodyStream, read_limited

_CODES = {400: "BAD_REQUEST", 403: "FORBIDDEN", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
          415: "UNSUPPORTED_MEDIA_TYPE"}
_lock = threading.Lock()


def _failure(status: int, details: str) -> JSONResponse:
    return JSONResponse({"error": {"reason": _CODES.get(status, "BAD_REQUEST"),
                                   "details": details}}, status_code=status,
                        headers={"Connection": "close"} if status == 413 else None)


def upload_routes(*, options: ImportOptions | None = None,
                  max_upload_size: int | None = None) -> list[BaseRoute]:
    """The upload routes. ``options``: how files are imported (default: the importer's,
    Kubo's); ``max_upload_size``: the most file bytes a keyed upload may carry."""

    def uploads(request: Request) -> Uploads:
        state = request.app.state
        with _lock:
            up = getattr(state, "pinfold_uploads", None)
            if up is None:
                up = state.pinfold_uploads = Uploads(get_repo(request), options=options,
                                                     max_upload_size=max_upload_size)
        return up

    async def run(fn, *args: Any) -> Response:
        try:
            result = await run_in_threadpool(fn, *args)
        except UploadError as exc:
            return _failure(exc.status, exc.reason)
        except PinfoldError as exc:
            return _failure(400, str(exc))
        return JSONResponse({"data": result.to_json()})

    async def upload(request: Request) -> Response:
        key = await require_key(request, "files:write")
        if isinstance(key, Response):
            return key
        up = uploads(request)
        fields = dict(request.query_params.items())
        return await run(lambda: up.upload(BodyStream(request),
                                           request.headers.get("content-type", ""),
                                           fields=fields))

    async def upload_json(request: Request) -> Response:
        key = await require_key(request, "files:write")
        if isinstance(key, Response):
            return key
        up = uploads(request)
        try:
            body = await read_limited(request, MAX_JSON_BYTES)
        except UploadError as exc:
            return _failure(exc.status, exc.reason)
        return await run(up.upload_json, body)

    async def upload_signed(request: Request) -> Response:
        up = uploads(request)
        pairs = request.query_params.multi_items()
        ctype = request.headers.get("content-type", "")
        return await run(lambda: up.upload_signed(pairs, BodyStream(request), ctype))

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE, headers={"Cache-Control": "no-store",
                                           "Referrer-Policy": "no-referrer"})

    return [api_route("/upload", upload, ["POST"]),
            api_route("/upload/json", upload_json, ["POST"]),
            api_route("/upload/signed", upload_signed, ["POST"]),
            Route("/upload/page", page, methods=["GET"])]


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Upload</title>
<style>body{font-family:sans-serif;margin:2em}#out{white-space:pre-wrap}</style></head>
<body>
<h1>Upload a file</h1>
<form id="form"><input type="file" id="file" name="file"> <button id="send">Upload</button></form>
<p id="status"></p>
<pre id="out"></pre>
<p><a id="link" hidden>open through the gateway</a></p>
<img id="shown" alt="" hidden>
<script>
const url = decodeURIComponent(location.hash.slice(1));
const status = document.getElementById("status");
if (!url) status.textContent = "no presigned URL: open this page as /upload/page#<url>";
document.getElementById("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = document.getElementById("file").files[0];
  if (!file) { status.textContent = "choose a file first"; return; }
  const data = new FormData();
  data.append("file", file, file.name);
  status.textContent = "uploading...";
  try {
    const res = await fetch(url, {method: "POST", body: data});
    const body = await res.json();
    if (!res.ok) { status.textContent = "refused: " + body.error.details; return; }
    const cid = body.data.cid;
    document.getElementById("out").textContent = JSON.stringify(body.data, null, 2);
    const link = document.getElementById("link");
    link.href = "/ipfs/" + cid; link.hidden = false;
    if (body.data.mime_type.startsWith("image/")) {
      const img = document.getElementById("shown");
      img.onload = () => { status.dataset.cid = cid; status.textContent = "uploaded " + cid; };
      img.onerror = () => { status.textContent = "uploaded, but the gateway did not show it"; };
      img.src = "/ipfs/" + cid; img.hidden = false;
    } else { status.dataset.cid = cid; status.textContent = "uploaded " + cid; }
  } catch (e) { status.textContent = "failed: " + e; }
});
</script>
</body>
</html>
"""
