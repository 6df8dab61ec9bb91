"""Fixtures of the web tests: the gateway app under a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
import uvicorn

from pinfold.web import create_app


class Served:
    """A uvicorn server running ``create_app(repo)`` in a thread, on a socket bound before it
    starts (so a client can connect at once: no waiting, no sleeps)."""

    def __init__(self, repo, app=None, **config) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config.setdefault("log_level", "warning")
        cfg = uvicorn.Config(app if app is not None else create_app(repo), proxy_headers=False,
                             lifespan="on", **config)
        self.server = uvicorn.Server(cfg)
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.client = httpx.Client(base_url=self.url, timeout=30.0)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.errors.append(exc)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()
        assert not self.thread.is_alive(), "uvicorn did not stop"
        assert not self.errors, f"uvicorn failed: {self.errors[0]!r}"


@pytest.fixture
def serve():
    """``serve(repo, app=None) -> Served``: ``app`` (default ``create_app(repo)``) under
    uvicorn (stopped after)."""
    servers: list[Served] = []

    def start(repo, app=None, **config) -> Served:
        s = Served(repo, app, **config)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def gw_repo(make_repo):
    return make_repo("fs")
