"""pinfold.upload.uploader: uploads into a repo (multipart, folders, CAR, JSON, presigned)."""

from __future__ import annotations

import io
import json

import pytest

from pinfold import PinfoldError, cid_of, cid_of_json
from pinfold.upload import UploadError, Uploads

from .helpers import Trickle, multipart, url_pairs


@pytest.fixture
def up(make_repo):
    u = Uploads(make_repo("fs"))
    yield u
    u.close()


def _files(repo):
    return [(p.name, str(p.cid)) for p in repo.pins.list()]


def test_one_file_cid_as_add_with_fields(up):
    data = b"hello upload" * 10000
    body, ct = multipart([("file", "hello.txt", "text/plain", data), ("name", None, None, "hi"),
                          ("keyvalues", None, None, '{"env": "prod", "n": 3}'),
                          ("group", None, None, "docs")])
    r = up.upload(Trickle(body, 977), ct)
    assert r.cid == cid_of(data) and r.size == len(data) and r.number_of_files == 1
    assert (r.name, r.mime_type, r.is_duplicate) == ("hi", "text/plain", False)
    assert r.keyvalues == {"env": "prod", "n": 3} and r.group_id == up.repo.pins.group_id("docs")
    j = r.to_json()
    assert set(j) >= {"id", "cid", "size", "name", "number_of_files", "mime_type",
                      "is_duplicate"}
    assert up.repo.pins.get(r.id).status == "pinned"
    again = up.upload(io.BytesIO(body), ct)
    assert again.is_duplicate and again.id == r.id  # same name: the same pin


@pytest.mark.parametrize("opts, kw", [
    ([("cidVersion", None, None, "1")], {"cid_version": 1}),
    ([("wrapWithDirectory", None, None, "true")], {"wrap_with_directory": True}),
    ([], {}),
])
def test_import_options(up, opts, kw):
    body, ct = multipart(opts + [("file", "x.bin", None, b"\x00" * 300_000)])
    got = up.upload(io.BytesIO(body), ct).cid
    expected = cid_of([{"path": "x.bin", "content": b"\x00" * 300_000}], **kw) \
        if kw.get("wrap_with_directory") else cid_of(b"\x00" * 300_000, **kw)
    assert got == expected


def test_folder_with_relative_paths_is_the_folders_cid(up):
    tree = {"site/index.html": b"<img src=img/a.png>", "site/img/a.png": b"\x89PNG" * 5000,
            "site/css/s.css": b"p{}"}
    body, ct = multipart([("file", p, "text/plain", d) for p, d in tree.items()])
    r = up.upload(io.BytesIO(body), ct)
    assert r.cid == cid_of([{"path": p, "content": d} for p, d in tree.items()])
    assert (r.name, r.mime_type, r.number_of_files) == ("site", "directory", 3)
    two_tops, ct = multipart([("file", "a.txt", None, b"a"), ("file", "b/c.txt", None, b"c")])
    wrapped = up.upload(io.BytesIO(two_tops), ct)
    assert wrapped.cid == cid_of([{"path": "a.txt", "content": b"a"},
                                  {"path": "b/c.txt", "content": b"c"}], wrap_with_directory=True)


@pytest.mark.parametrize("parts, words", [
    ([("file", "../etc/passwd", None, b"x")], "'..'"),
    ([("file", "/abs", None, b"x")], "absolute"),
    ([("file", "/".join(["d"] * 40) + "/f", None, b"x")], "deeper"),
    ([("file", "a", None, b"x"), ("file", "a", None, b"y")], "twice"),
    ([("file", "a", None, b"x"), ("file", "a/b", None, b"y")], "both a file and a folder"),
    ([("file", "a", None, b"x"), ("cidVersion", None, None, "1")], "before the files"),
    ([("cidVersion", None, None, "7"), ("file", "a", None, b"x")], "cidVersion"),
    ([("file", "a", None, b"x"), ("wrapWithDirectory", None, None, "yes")], "true or false"),
    ([("file", "a", None, b"x"), ("keyvalues", None, None, "[1]")], "JSON object"),
    ([("file", "a", None, b"x"), ("network", None, None, "dark")], "public or private"),
    ([("file", "a", None, b"x"), ("name", None, None, "a"), ("name", None, None, "b")], "twice"),
])
def test_refused_uploads_pin_nothing_and_gc_takes_their_blocks(up, parts, words):
    body, ct = multipart([("file", "first.bin", None, b"F" * 200_000)] + parts)
    with pytest.raises(UploadError, match=words):
        up.upload(io.BytesIO(body), ct)
    assert _files(up.repo) == []
    up.repo.gc()
    assert up.repo.stat().blocks == 0


def test_fields_without_files(up):
    body, ct = multipart([("name", None, None, "only a field")])
    with pytest.raises(UploadError, match="no file"):
        up.upload(io.BytesIO(body), ct)


def test_cut_off_upload_leaves_no_pin_and_gc_collects(up):
    data = bytes(range(256)) * (160 << 12)  # 40 MiB: a full batch is written before the cut
    body, ct = multipart([("file", "big.bin", None, data)])
    with pytest.raises(PinfoldError, match="cut off"):
        up.upload(Trickle(body, 1 << 20, cut=len(body) * 9 // 10), ct)
    assert _files(up.repo) == [] and up.repo.stat().blocks > 0
    assert up.repo.gc().blocks > 0 and up.repo.stat().blocks == 0


def test_max_upload_size_refused_while_streaming(make_repo):
    up = Uploads(make_repo("fs"), max_upload_size=1 << 20)
    body, ct = multipart([("file", "big.bin", None, b"B" * (3 << 20))])
    stream = Trickle(body, 65536)
    with pytest.raises(UploadError, match="larger than 1048576") as info:
        up.upload(stream, ct)
    assert info.value.status == 413
    assert stream.buf.tell() < 2 << 20  # refused before the body was read to its end
    assert _files(up.repo) == []
    up.repo.gc()
    assert up.repo.stat().blocks == 0


def test_car_upload(up, make_repo):
    src = make_repo("memory")
    root = src.add([{"path": "d/a", "content": b"car me" * 1000}]).root
    car = b"".join(src.car_stream(root))
    r = up.upload(io.BytesIO(car), "application/vnd.ipld.car",
                  fields={"name": "from-car", "keyvalues": '{"k": "v"}'})
    assert (r.cid, r.name, r.mime_type, r.size) == (root, "from-car",
                                                    "application/vnd.ipld.car", len(car))
    with pytest.raises(PinfoldError):
        up.upload(io.BytesIO(car[:-10]), "application/vnd.ipld.car")
    assert len(_files(up.repo)) == 1


def test_json_upload_pinata_and_plain(up):
    r = up.upload_json(json.dumps({"pinataContent": {"a": [1, "é"]},
                                   "pinataMetadata": {"name": "meta.json",
                                                      "keyvalues": {"x": "y"}},
                                   "pinataOptions": {"cidVersion": 1}}).encode())
    assert r.cid == cid_of_json({"a": [1, "é"]}, cid_version=1)
    assert (r.name, r.mime_type, r.keyvalues) == ("meta.json", "application/json", {"x": "y"})
    plain = up.upload_json(b'[1, 2]')
    assert plain.cid == cid_of_json([1, 2]) and plain.name == "data.json"
    for bad in (b"{", b"NaN", b"\xff", b'{"pinataContent": 1, "pinataOptions": 3}'):
        with pytest.raises(UploadError):
            up.upload_json(bad)


def test_unsupported_content_type(up):
    with pytest.raises(UploadError) as info:
        up.upload(io.BytesIO(b"x"), "text/plain")
    assert info.value.status == 415


# -- presigned URLs ---------------------------------------------------------------------------
def test_presigned_upload_once_with_signed_fields_only(up):
    url = up.sign(expires="10m", max_file_size=1000, allow_mime_types=["image/*"],
                  name="avatar", group="users", keyvalues={"user": "7"})
    pairs = url_pairs(url)
    body, ct = multipart([("file", "me.png", "image/png", b"\x89PNG" * 10),
                          ("name", None, None, "evil"), ("keyvalues", None, None, '{"a":"b"}'),
                          ("group", None, None, "admins")])
    r = up.upload_signed(pairs, io.BytesIO(body), ct)
    assert (r.name, r.keyvalues, r.group_id) == ("avatar", {"user": "7"},
                                                  up.repo.pins.group_id("users"))
    with pytest.raises(UploadError, match="used already") as info:
        up.upload_signed(pairs, io.BytesIO(body), ct)
    assert info.value.status == 403 and len(_files(up.repo)) == 1


def test_refused_attempts_do_not_use_the_url_up(up):
    pairs = url_pairs(up.sign(expires=600, max_file_size=100, allow_mime_types=["image/png"]))
    attempts = [
        (multipart([("file", "a.png", "image/png", b"x" * 101)]), 413),
        (multipart([("file", "a.gif", "image/gif", b"x")]), 415),
        (multipart([("file", "../a.png", "image/png", b"x")]), 400),
    ]
    for (body, ct), status in attempts:
        with pytest.raises(UploadError) as info:
            up.upload_signed(pairs, io.BytesIO(body), ct)
        assert info.value.status == status
    body, ct = multipart([("file", "a.png", "image/png", b"x" * 30)])
    with pytest.raises(PinfoldError, match="cut off"):
        up.upload_signed(pairs, Trickle(body, 10, cut=len(body) - 20), ct)
    assert _files(up.repo) == []
    r = up.upload_signed(pairs, io.BytesIO(body), ct)  # still good
    assert r.cid == cid_of(b"x" * 30)


def test_rotation_invalidates_urls(up):
    pairs = url_pairs(up.sign(expires=600))
    up.rotate()
    with pytest.raises(UploadError, match="does not match"):
        up.check_url(pairs)


def test_secret_lives_in_the_repo(make_repo, tmp_path):
    from pinfold.repo import Repo

    repo = make_repo("fs")
    url = Uploads(repo).sign(expires=600)
    other = Uploads(Repo(repo.path))  # another process opening the same repo
    assert other.check_url(url_pairs(url)).expires == 600


def test_private_uploads(up, make_repo):
    body, ct = multipart([("file", "p.txt", None, b"private"), ("network", None, None, "private")])
    r = up.upload(io.BytesIO(body), ct)
    assert r.network == "private" and up.repo.pins.get(r.id).network == "private"
    assert up.repo.pins.reach(r.cid) == "private"
    src = make_repo("memory")
    root = src.add(b"private car").root
    car = b"".join(src.car_stream(root))
    r = up.upload(io.BytesIO(car), "application/vnd.ipld.car", fields={"network": "private"})
    assert up.repo.pins.get(r.id).network == "private"
    pairs = url_pairs(up.sign(expires=60, network="private"))
    body, ct = multipart([("file", "s.txt", None, b"signed"), ("network", None, None, "public")])
    r = up.upload_signed(pairs, io.BytesIO(body), ct)
    assert up.repo.pins.get(r.id).network == "private"  # the signature's, not the field's


def test_uploads_import_with_the_repos_profile(make_repo):
    """An upload into a repo made with a profile is imported with it (``cidVersion`` still
    adjusts it), as ``add`` into that repo is."""
    repo = make_repo("fs", profile="unixfs-v1-2025")
    data = b"profiled upload" * 100_000
    with Uploads(repo) as up:
        body, ct = multipart([("file", "a.bin", "application/octet-stream", data)])
        got = up.upload(io.BytesIO(body), ct)
        assert got.cid == cid_of(data, profile="unixfs-v1-2025")
        body, ct = multipart([("file", "b.bin", "application/octet-stream", data)])
        got = up.upload(io.BytesIO(body), ct, fields={"cidVersion": "0"})
        assert got.cid == cid_of(data, profile="unixfs-v1-2025", cid_version=0)
