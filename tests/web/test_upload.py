"""pinfold.web.upload: uploads under a real uvicorn: keys, presigned URLs, attacks."""

from __future__ import annotations

import socket
import threading

import pytest

from pinfold import cid_of
from pinfold.web import create_app, upload_routes
from tests.upload.helpers import multipart

from .helpers import png


@pytest.fixture
def app(serve, gw_repo):
    s = serve(gw_repo, create_app(gw_repo, routes=upload_routes()))
    s.repo = gw_repo
    s.write = {"Authorization": f"Bearer {gw_repo.access.create_key('w', ['files:write']).secret}"}
    s.read = {"Authorization": f"Bearer {gw_repo.access.create_key('r', ['files:read']).secret}"}
    return s


def _sign(app, **kw) -> str:
    from pinfold.upload import Uploads

    with Uploads(app.repo) as up:
        return up.sign(base_url=app.url, **kw)


def _post(app, url: str, parts, headers=None):
    body, ct = multipart(parts)
    return app.client.post(url, content=body, headers={"Content-Type": ct, **(headers or {})})


def test_keyed_upload_of_a_file_and_a_folder(app):
    r = _post(app, "/upload", [("file", "a.txt", "text/plain", b"hello"),
                               ("name", None, None, "greeting"),
                               ("keyvalues", None, None, '{"k": "v"}')], app.write)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["cid"], data["name"], data["size"], data["mime_type"]) == (
        str(cid_of(b"hello")), "greeting", 5, "text/plain")
    assert data["is_duplicate"] is False and data["keyvalues"] == {"k": "v"}
    tree = [("file", "f/x.txt", None, b"x"), ("file", "f/sub/y.txt", None, b"y")]
    r = _post(app, "/upload", tree, app.write)
    assert r.json()["data"]["cid"] == str(cid_of([{"path": p, "content": d}
                                                  for _, p, _, d in tree]))
    assert app.client.get(f"/ipfs/{r.json()['data']['cid']}/sub/y.txt").content == b"y"


def test_keyed_upload_needs_files_write(app):
    parts = [("file", "a.txt", None, b"a")]
    assert _post(app, "/upload", parts).status_code == 401
    r = _post(app, "/upload", parts, app.read)
    assert r.status_code == 403 and "files:write" in r.json()["error"]["details"]
    r = app.client.post("/upload/json", json={"a": 1}, headers=app.read)
    assert r.status_code == 403
    assert app.repo.pins.list() == []


def test_json_and_car_uploads(app, make_repo):
    r = app.client.post("/upload/json", json={"pinataContent": {"a": 1},
                                              "pinataMetadata": {"name": "x.json"}},
                        headers=app.write)
    assert r.status_code == 200 and r.json()["data"]["name"] == "x.json"
    src = make_repo("memory")
    root = src.add(b"in a car" * 100).root
    car = b"".join(src.car_stream(root))
    r = app.client.post("/upload", content=car, params={"name": "car"},
                        headers={"Content-Type": "application/vnd.ipld.car", **app.write})
    assert r.status_code == 200 and r.json()["data"]["cid"] == str(root)


@pytest.mark.parametrize("parts, status, words", [
    ([("file", "../../etc/passwd", None, b"x")], 400, "'..'"),
    ([("file", "/etc/passwd", None, b"x")], 400, "absolute"),
    ([("file", "/".join(["deep"] * 900) + "/f", None, b"x")], 400, "longer than 4096"),
    ([("file", "/".join(["deep"] * 5000) + "/f", None, b"x")], 400, "headers is longer"),
    ([("file", "/".join(["d"] * 33) + "/f", None, b"x")], 400, "deeper than 32"),
])
def test_hostile_names_are_refused(app, parts, status, words):
    r = _post(app, "/upload", parts, app.write)
    assert r.status_code == status and words in r.json()["error"]["details"]
    assert app.repo.pins.list() == []


def test_many_nested_folders_are_bounded(app):
    parts = [("file", "/".join(["d"] * 30) + f"/{i}", None, b"x") for i in range(200)]
    r = _post(app, "/upload", parts, app.write)
    assert r.status_code == 200 and r.json()["data"]["number_of_files"] == 200


# -- presigned URLs ---------------------------------------------------------------------------
def test_presigned_url_once_with_its_own_name(app):
    url = _sign(app, expires=600, max_file_size=1000, allow_mime_types=["image/*"],
                name="avatar.png", keyvalues={"user": "9"})
    image = png()
    r = _post(app, url, [("file", "me.png", "image/png", image), ("name", None, None, "x")])
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["cid"], data["name"], data["keyvalues"]) == (str(cid_of(image)), "avatar.png",
                                                              {"user": "9"})
    again = _post(app, url, [("file", "me.png", "image/png", image)])
    assert again.status_code == 403 and "used already" in again.json()["error"]["details"]
    assert len(app.repo.pins.list()) == 1


def test_presigned_url_from_another_origin(app):
    """A page elsewhere may upload (CORS: preflight and answer), unless the gateway rules
    list origins and its own is not among them: then 403 before the URL is used."""
    url = _sign(app, expires=600, max_file_size=1000)
    path = url[len(app.url):]
    pre = app.client.options(path, headers={"Origin": "https://dapp.example",
                                            "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]
    app.repo.access.set_rules(allow_origins=["https://dapp.example"])
    evil = _post(app, url, [("file", "a.txt", "text/plain", b"from evil")],
                 {"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "evil.example" in evil.json()["error"]["details"]
    assert "access-control-allow-origin" not in evil.headers
    assert app.repo.pins.list() == []
    ok = _post(app, url, [("file", "a.txt", "text/plain", b"from the dapp")],
               {"Origin": "https://dapp.example"})
    assert ok.status_code == 200, ok.text  # the refusal did not use the URL up
    assert ok.headers["access-control-allow-origin"] == "https://dapp.example"
    assert "Origin" in ok.headers["vary"]
    assert ok.json()["data"]["cid"] == str(cid_of(b"from the dapp"))
    # a keyed upload from a server names no origin and is not refused by the list
    r = _post(app, "/upload", [("file", "b.txt", "text/plain", b"server side")], app.write)
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_altered_presigned_url_is_refused(app):
    url = _sign(app, expires=600, max_file_size=10)
    tampered = url.replace("X-Signature=", "X-Signature=0") [: len(url)]
    for bad in (tampered, url + "&name=x", url.replace("PINFOLD-UPLOAD1", "PINATA1")):
        r = _post(app, bad, [("file", "a", None, b"a")])
        assert r.status_code == 403, bad
    assert app.repo.pins.list() == []


def test_wrong_mime_then_right_one(app):
    url = _sign(app, expires=600, allow_mime_types=["image/png"])
    r = _post(app, url, [("file", "a.html", "text/html", b"<script>")])
    assert r.status_code == 415 and "text/html" in r.json()["error"]["details"]
    r = _post(app, url, [("file", "a.png", "image/png", png())])
    assert r.status_code == 200  # the refusal did not use the URL up


def test_over_max_file_size_refused_while_streaming_nothing_pinned(app):
    url = _sign(app, expires=600, max_file_size=1 << 20)
    body, ct = multipart([("file", "big.bin", None, b"B" * (40 << 20))])
    path = url[len(app.url):]
    status = _raw_post(app.port, path, ct, body)
    assert status == 413
    assert app.repo.pins.list() == []
    app.repo.gc()
    assert app.repo.stat().blocks == 0
    r = _post(app, url, [("file", "small.bin", None, b"s")])
    assert r.status_code == 200


def test_cut_off_upload_pins_nothing_and_gc_collects(serve, gw_repo):
    inner = create_app(gw_repo, routes=upload_routes())
    handled = threading.Event()

    async def app(scope, receive, send):  # tells the test when a request's handler returned
        try:
            await inner(scope, receive, send)
        finally:
            if scope["type"] == "http":
                handled.set()

    served = serve(gw_repo, app)
    key = gw_repo.access.create_key("w", ["files:write"]).secret
    body, ct = multipart([("file", "big.bin", None, bytes(range(256)) * (160 << 12))])
    head = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ct}\r\n"
            f"Authorization: Bearer {key}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as s:
        s.sendall(head + body[: len(body) * 9 // 10])
        s.shutdown(socket.SHUT_WR)  # the client goes away half way
        while s.recv(65536):
            pass
    assert handled.wait(60), "the upload's handler did not return"
    assert gw_repo.stat().blocks > 0  # a batch was written before the cut
    assert gw_repo.pins.list() == []
    gw_repo.gc()
    assert gw_repo.stat().blocks == 0


def _raw_post(port: int, target: str, ctype: str, body: bytes) -> int:
    """POST ``body``, stopping when the server answers (it may answer before the body is
    all sent); the status."""
    head = (f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        sent = 0
        s.setblocking(True)
        answer = b""
        try:
            while sent < len(body):
                s.sendall(body[sent: sent + (1 << 20)])
                sent += 1 << 20
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    assert sent < len(body) or answer, "no answer"
    return int(answer.split(b" ", 2)[1])
