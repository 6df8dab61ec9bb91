"""pinfold.cli.dag: ``pinfold dag import|export|put|get``."""

from __future__ import annotations

import io
import json

import pytest
from gen import make_content

from pinfold.car import CarReader
from pinfold.cid import CID

from .helpers import FIX, R1, R2, cli, either_side, run_usage


def one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 1, err
    assert err.startswith("pinfold: error: ") and err.count("\n") == 1
    for w in words:
        assert w in err


@pytest.fixture(params=["fs", "lmdb"])
def repo_args(request, tmp_path, capsysbinary):
    path = str(tmp_path / "repo")
    code, _, _ = cli(capsysbinary, "init", "--backend", request.param, "--no-fsync",
                     "--repo", path)
    assert code == 0
    return ["--repo", path]


def test_dag_import_prints_pinned_roots(capsysbinary, repo_args):
    code, out, _ = cli(capsysbinary, "dag", "import", str(FIX / "carv1-basic.car"), "--stats",
                       *repo_args)
    assert code == 0
    assert out.decode().splitlines() == [
        f"Pinned root\t{R1}\tsuccess", f"Pinned root\t{R2}\tsuccess",
        "Imported 8 blocks (323 bytes)"]
    code, out, _ = cli(capsysbinary, "pin", "ls", "--type", "recursive", "-q", *repo_args)
    assert set(out.decode().split()) == {R1, R2}


def test_dag_import_no_pin_and_metadata(capsysbinary, repo_args):
    code, out, _ = cli(capsysbinary, "dag", "import", "--no-pin", str(FIX / "carv1-basic.car"),
                       *repo_args)
    assert code == 0 and out == b""
    code, out, _ = cli(capsysbinary, "pin", "ls", "-q", *repo_args)
    assert out == b""
    code, out, _ = cli(capsysbinary, "dag", "import", "--name", "nft", "--meta", "edition=3",
                       str(FIX / "carv1-basic.car"), *repo_args)
    assert code == 0
    code, out, _ = cli(capsysbinary, "pin", "ls", "--meta", "edition=3", "--json", *repo_args)
    pins = [p for p in map(json.loads, out.decode().splitlines()) if "cid" in p]
    assert {p["cid"] for p in pins} == {R1, R2} and {p["name"] for p in pins} == {"nft"}


def test_dag_import_errors_are_one_line(capsysbinary, repo_args, tmp_path):
    code, _, err = cli(capsysbinary, "dag", "import", str(tmp_path / "missing.car"),
                       *repo_args)
    one_line_error(code, err, "missing.car")
    bad = tmp_path / "bad.car"
    data = (FIX / "carv1-basic.car").read_bytes()
    bad.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    code, _, err = cli(capsysbinary, "dag", "import", str(bad), *repo_args)
    one_line_error(code, err, R2, "does not match")
    cut = tmp_path / "cut.car"
    cut.write_bytes(data[:200])
    code, _, err = cli(capsysbinary, "dag", "import", str(cut), *repo_args)
    one_line_error(code, err, "truncated")
    code, out, _ = cli(capsysbinary, "pin", "ls", "-q", *repo_args)
    assert out == b""  # nothing pinned by the failed imports


def test_dag_export_matches_go_car_and_round_trips(capsysbinary, repo_args, tmp_path):
    v2 = (FIX / "carv2-basic.car").read_bytes()
    cli(capsysbinary, "dag", "import", str(FIX / "carv2-basic.car"), *repo_args)
    root = "QmfEoLyB5NndqeKieExd1rtJzTduQUPEV8TwAYcUiy3H5Z"
    code, out, _ = cli(capsysbinary, "dag", "export", root, *repo_args)
    assert code == 0 and out == v2[51:51 + 448]  # go-car's payload, byte for byte
    target = tmp_path / "out.car"
    code, out, _ = cli(capsysbinary, "dag", "export", root, "-o", str(target),
                       "--car-version", "2", *repo_args)
    assert code == 0 and out == b""
    car = CarReader(target)
    assert car.version == 2 and [str(r) for r in car.roots] == [root] and len(list(car)) == 5
    code, out, _ = cli(capsysbinary, "car", "verify", str(target))
    assert code == 0 and b"OK (CARv2, 5 blocks verified)" in out


def test_dag_export_scopes_and_ranges(capsysbinary, repo_args, tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(make_content({"gen": "sha256ctr", "seed": "x", "size": 1024000}))  # 4 leaves
    code, out, _ = cli(capsysbinary, "add", "-Q", str(f), *repo_args)
    root = out.decode().strip()

    def export(*extra) -> list[str]:
        code, out, err = cli(capsysbinary, "dag", "export", root, *extra, *repo_args)
        assert code == 0, err
        return [str(c) for c, _ in CarReader(io.BytesIO(out))]

    everything = export()
    assert len(everything) == 5 and everything[0] == root
    assert export("--dag-scope", "block") == [root]
    assert export("--entity-bytes", "0:10") == everything[:2]
    assert export("--entity-bytes=-1:*") == [root, everything[-1]]
    assert export("--entity-bytes", "-1:*") == [root, everything[-1]]  # as the spec writes it
    assert export("--entity-bytes", "-3:-2") == [root, everything[-1]]
    assert export("--entity-bytes", "2000000:*") == [root]
    code, _, err = cli(capsysbinary, "dag", "export", root, "--entity-bytes", "x", *repo_args)
    one_line_error(code, err, "entity-bytes")


def test_dag_export_failure_leaves_no_file(capsysbinary, repo_args, tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(make_content({"gen": "sha256ctr", "seed": "y", "size": 1024000}))
    code, out, _ = cli(capsysbinary, "add", "-Q", "--pin=false", str(f), *repo_args)
    root = out.decode().strip()
    code, out, _ = cli(capsysbinary, "dag", "export", root, *repo_args)
    leaf = str(list(CarReader(io.BytesIO(out)))[2][0])
    code, _, err = cli(capsysbinary, "block", "rm", leaf, *repo_args)
    assert code == 0, err
    target = tmp_path / "x.car"
    code, _, err = cli(capsysbinary, "dag", "export", root, "-o", str(target), *repo_args)
    one_line_error(code, err, leaf)
    assert not target.exists() and list(tmp_path.glob("x.car*")) == []
    code, _, err = cli(capsysbinary, "dag", "export", "bafkreiabaddeadbeefnotacid", *repo_args)
    one_line_error(code, err)


def test_dag_import_from_stdin(capsysbinary, repo_args, monkeypatch):
    class Stdin:
        buffer = io.BytesIO((FIX / "go-car-dfs.car").read_bytes())

    monkeypatch.setattr("sys.stdin", Stdin)
    code, out, _ = cli(capsysbinary, "dag", "import", "-", *repo_args)
    assert code == 0 and out.decode().count("success") == 2
    assert CID(R1)


def _stdin(monkeypatch, data: bytes) -> None:
    class Stdin:
        buffer = io.BytesIO(data)

    monkeypatch.setattr("sys.stdin", Stdin)


def test_dag_put_and_get(capsysbinary, repo_args, monkeypatch, tmp_path):
    img = tmp_path / "cat.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    code, out, _ = cli(capsysbinary, "add", "-Q", "--cid-version=1", str(img), *repo_args)
    image = out.decode().strip()
    meta = {"name": "Cat #1", "image": {"/": image}, "attributes": [{"trait": "eyes",
                                                                      "value": 7}]}
    _stdin(monkeypatch, json.dumps(meta).encode())
    code, out, err = cli(capsysbinary, "dag", "put", "--pin", *repo_args)
    assert code == 0, err
    cid = out.decode().strip()
    assert cid.startswith("bafyrei")  # dag-cbor, CIDv1
    code, out, _ = cli(capsysbinary, "dag", "get", cid, *repo_args)
    assert json.loads(out) == meta
    assert out == (b'{"attributes":[{"trait":"eyes","value":7}],"image":{"/":"' + image.encode()
                   + b'"},"name":"Cat #1"}')
    code, out, _ = cli(capsysbinary, "dag", "get", f"{cid}/attributes/0/value", *repo_args)
    assert out == b"7"
    code, out, _ = cli(capsysbinary, "dag", "get", f"/ipfs/{cid}/name", *repo_args)
    assert out == b'"Cat #1"'
    # the pin on the metadata keeps the image: unpinning the image and collecting frees nothing
    cli(capsysbinary, "pin", "rm", image, *repo_args)
    cli(capsysbinary, "repo", "gc", *repo_args)
    code, out, _ = cli(capsysbinary, "cat", image, *repo_args)
    assert code == 0 and out == img.read_bytes()
    code, _, err = cli(capsysbinary, "dag", "get", f"{cid}/attributes/5", *repo_args)
    one_line_error(code, err)


def test_dag_put_codecs(capsysbinary, repo_args, monkeypatch):
    _stdin(monkeypatch, b'{"a": 1}')
    code, out, _ = cli(capsysbinary, "dag", "put", "--store-codec", "dag-json", *repo_args)
    cid = CID(out.decode().strip())
    assert cid.codec == "dag-json"
    code, out, _ = cli(capsysbinary, "block", "get", str(cid), *repo_args)
    assert out == b'{"a":1}'
    # plain json: a {"/": ...} map is data, not a link
    _stdin(monkeypatch, b'{"/": "not a link"}')
    code, out, err = cli(capsysbinary, "dag", "put", "--input-codec", "json", *repo_args)
    assert code == 0, err
    code, out, _ = cli(capsysbinary, "dag", "get", out.decode().strip(), *repo_args)
    assert out == b'{"/":"not a link"}'
    _stdin(monkeypatch, b'{"a": ')
    code, _, err = cli(capsysbinary, "dag", "put", *repo_args)
    one_line_error(code, err)
    _stdin(monkeypatch, b'{"/": "bafynotacid"}')
    code, _, err = cli(capsysbinary, "dag", "put", *repo_args)
    one_line_error(code, err)


def test_dag_put_pin_needs_the_linked_blocks(capsysbinary, repo_args, monkeypatch):
    missing = "bafkreifw7plhl6mofk6sfvhnfh64qmkq73oeqwl6sloru6rehaoujituke"
    _stdin(monkeypatch, json.dumps({"x": {"/": missing}}).encode())
    code, _, err = cli(capsysbinary, "dag", "put", "--pin", *repo_args)
    one_line_error(code, err, missing)
    code, out, _ = cli(capsysbinary, "pin", "ls", "-q", *repo_args)
    assert out == b""


def test_progress_bars_on_request(capsysbinary, repo_args, tmp_path):
    code, _, err = cli(capsysbinary, "dag", "import", "--progress=true",
                       str(FIX / "carv1-basic.car"), *repo_args)
    assert code == 0 and "/ 715 B" in err  # the size of the CAR
    code, _, err = cli(capsysbinary, "dag", "export", R1, "-o", str(tmp_path / "x.car"),
                       "--progress=true", *repo_args)
    assert code == 0 and "\r" in err and (tmp_path / "x.car").exists()


def test_dag_export_into_a_fifo_keeps_it(capsysbinary, repo_args, tmp_path):
    """``-o /dev/null`` (or a FIFO) is written into, not replaced by a regular file."""
    import os
    import stat
    import threading

    f = tmp_path / "f.bin"
    f.write_bytes(make_content({"gen": "sha256ctr", "seed": "fifo", "size": 300000}))
    code, out, _ = cli(capsysbinary, "add", "-Q", str(f), *repo_args)
    root = out.decode().strip()
    code, expected, _ = cli(capsysbinary, "dag", "export", root, *repo_args)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _, err = cli(capsysbinary, "dag", "export", root, "-o", str(fifo), *repo_args)
    reader.join()
    assert code == 0, err
    assert got == [expected]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert list(tmp_path.glob("pipe.*")) == []


def test_dag_flags_before_and_after_the_files(capsysbinary, repo_args, tmp_path, monkeypatch):
    """Issue 13: dag import --pin-roots/--stats/--progress, dag put --pin, dag export --dups on
    either side of the files."""
    car = str(FIX / "carv1-basic.car")
    code, out, err = either_side(capsysbinary, ["dag", "import", *repo_args],
                                 ["--pin-roots=false", "--stats"], [car])
    assert (code, out, err) == (0, "Imported 8 blocks (323 bytes)\n", "")
    code, out, _ = cli(capsysbinary, "pin", "ls", "-q", *repo_args)
    assert out == b""
    code, out, err = either_side(capsysbinary, ["dag", "import", *repo_args],
                                 ["--pin-roots", "-p=false"], [car])
    assert (code, err) == (0, "") and out.count("Pinned root") == 2
    for argv in (["--progress", car], [car, "-p"]):
        code, _, err = cli(capsysbinary, "dag", "import", *repo_args, *argv)
        assert code == 0 and "%" in err
    value = tmp_path / "v.json"
    value.write_text('{"a": 1}')
    code, out, _ = either_side(capsysbinary, ["dag", "put", *repo_args], ["--pin"], [str(value)])
    assert code == 0
    code, pins, _ = cli(capsysbinary, "pin", "ls", "-q", "-t", "recursive", *repo_args)
    assert out.strip() in pins.decode().split()
    plain = tmp_path / "plain.car"
    dups = tmp_path / "dups.car"
    for flags, dest in ((["--dups=false"], plain), (["--dups"], dups)):
        code, _, _ = either_side(capsysbinary, ["dag", "export", *repo_args],
                                 [*flags, "-o", str(dest)], [R1])
        assert code == 0
    assert dups.stat().st_size >= plain.stat().st_size


def test_dag_import_silent_and_local_only(capsysbinary, repo_args):
    car = str(FIX / "carv1-basic.car")
    code, out, err = cli(capsysbinary, "dag", "import", "--silent", "--stats", car, *repo_args)
    assert (code, out, err) == (0, b"", "")
    code, out, _ = cli(capsysbinary, "pin", "ls", "-q", "-t", "recursive", *repo_args)
    assert set(out.decode().split()) == {R1, R2}
    cli(capsysbinary, "pin", "rm", R1, R2, *repo_args)
    code, out, _ = cli(capsysbinary, "dag", "import", car, "--local-only", "--stats", *repo_args)
    assert (code, out) == (0, b"Imported 8 blocks (323 bytes)\n")
    code, out, _ = cli(capsysbinary, "pin", "ls", "-q", *repo_args)
    assert out == b""
    code, _, err = cli(capsysbinary, "dag", "import", car, "--local-only", "--pin-roots",
                       *repo_args)
    one_line_error(code, err, "--local-only")
    code, _, err = run_usage(capsysbinary, "dag", "export", R1, "--local-only", *repo_args)
    assert code == 2 and "not supported by pinfold" in err and err.count("\n") == 1
