"""A request body as a blocking stream, for the library's synchronous upload code.

:class:`BodyStream` is read on a worker thread (``run_in_threadpool``); each ``read`` pulls
the next chunk of the ASGI body from the event loop (:func:`anyio.from_thread.run`), so the
body streams through with at most one chunk held here. A client that disconnects part way
makes ``read`` raise :class:`~pinfold.upload.UploadError` ("cut off"): the upload pins
nothing.
"""

from __future__ import annotations

import anyio.from_thread
from starlette.requests import ClientDisconnect, Request

from ..upload import UploadError


class BodyStream:
    """``request``'s body, read with ``read(n)`` from a worker thread."""

    def __init__(self, request: Request) -> None:
        self._chunks = request.stream().__aiter__()
        self._buf = b""
        self._done = False

    async def _next(self) -> bytes | None:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            return None
        except ClientDisconnect:
            raise UploadError("the upload was cut off (the client disconnected)") from None

    def read(self, n: int = -1) -> bytes:
        while not self._buf and not self._done:
            chunk = anyio.from_thread.run(self._next)
            if chunk is None:
                self._done = True
            else:
                self._buf = chunk
        if n is None or n < 0 or n >= len(self._buf):
            data, self._buf = self._buf, b""
        else:
            data, self._buf = self._buf[:n], self._buf[n:]
        return data


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body, refused (413) past ``limit`` bytes."""
    out = bytearray()
    try:
        async for chunk in request.stream():
            out += chunk
            if len(out) > limit:
                raise UploadError(f"the body is larger than {limit} bytes", 413)
    except ClientDisconnect:
        raise UploadError("the body was cut off (the client disconnected)") from None
    return bytes(out)
