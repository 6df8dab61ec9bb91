"""pinfold.pins.catalogue: groups, metadata kept on update, export and import."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from pinfold import PinfoldError
from pinfold.pins import PinError
from pinfold.repo import Repo
from tests.repo.helpers import KINDS, raw_cid

from .helpers import (
    OPTS,
    QDATA,
    QROOT,
    UTC,
    T,
    build_export,
    name_set,
    names,
    pin_block,
    pin_view,
)


# -- groups -------------------------------------------------------------------------------------
def test_groups(repo):
    a = pin_block(repo, "ga", "a", groups=["auto"])
    b = pin_block(repo, "gb", "b")
    c = pin_block(repo, "gc", "c")
    photos = repo.pins.group_create("photos")
    assert (photos.name, photos.pins) == ("photos", 0)
    with pytest.raises(PinError, match="exists already"):
        repo.pins.group_create("photos")
    with pytest.raises(PinError, match="exists already"):
        repo.pins.group_create("auto")
    with pytest.raises(PinError):
        repo.pins.group_create("")
    with pytest.raises(PinError, match="255 bytes"):
        repo.pins.group_create("g" * 256)
    assert repo.pins.group_add("photos", [a.id, b.id]) == 2
    assert repo.pins.group_add(photos.id, [a.id]) == 0  # already in it
    # adding an unknown pin changes nothing
    with pytest.raises(PinError, match="no pin"):
        repo.pins.group_add("photos", [c.id, "nope"])
    assert [(g.name, g.pins) for g in repo.pins.groups()] == [("auto", 1), ("photos", 2)]
    assert repo.pins.get(a.id).groups == ("auto", "photos")
    assert names(repo, group="photos") == ["b", "a"]
    renamed = repo.pins.group_rename("photos", "pictures")
    assert renamed.id == photos.id and renamed.pins == 2
    with pytest.raises(PinError, match="exists already"):
        repo.pins.group_rename("pictures", "auto")
    assert repo.pins.group_rename(photos.id, "pictures").name == "pictures"
    assert names(repo, group="pictures") == ["b", "a"]
    with pytest.raises(PinError, match="no group"):
        repo.pins.query(group="photos")
    assert repo.pins.get(a.id).groups == ("auto", "pictures")
    assert repo.pins.group_remove("pictures", [a.id, c.id]) == 1
    assert names(repo, group="pictures") == ["b"]
    repo.pins.group_delete("pictures")
    assert [g.name for g in repo.pins.groups()] == ["auto"]
    assert names(repo) == ["c", "b", "a"]  # the pins stay
    assert repo.pins.get(b.id).groups == ()
    with pytest.raises(PinError, match="no group"):
        repo.pins.group_delete("pictures")
    with pytest.raises(PinError, match="no group"):
        repo.pins.group_add("pictures", [a.id])
    # unpinning takes the pin out of its groups
    repo.unpin(pin_id=a.id)
    assert repo.pins.group("auto").pins == 0


def test_pin_update_keeps_metadata_and_groups(repo):
    """``pin update OLD NEW`` moves a pin; its record (metadata, groups) must move with it, as
    its name does. Found: PinSet.update re-creates the pins with ``self.add(new, name=name)``
    only, so the metadata and group memberships of the old pin are silently dropped."""
    old = repo.block_put(b"site v1")
    new = repo.block_put(b"site v2")
    repo.pin(old, name="site", meta={"version": 1}, groups=["web"])
    moved = repo.pins.update(old, new)
    assert (moved.cid, moved.name) == (new, "site")
    assert moved.meta == {"version": 1}
    assert moved.groups == ("web",)


@pytest.mark.parametrize("dest_kind", KINDS)
def test_export_import_round_trip(repo, make_repo, dest_kind):
    build_export(repo)
    out = io.StringIO()
    assert repo.pins.export(out) == 4
    lines = out.getvalue().splitlines()
    assert [json.loads(x)["name"] for x in lines] == [
        "file", "direct", "queued", "ünïcode \"quoted\""]  # oldest first
    assert json.loads(lines[0])["meta"]["t"] == {"$time": "2024-05-01T10:00:00Z"}
    # into a repo without the blocks: everything comes back queued
    empty = make_repo(dest_kind)
    imported = empty.pins.import_(lines)
    assert [p.status for p in imported] == ["queued"] * 4
    assert [pin_view(p) for p in empty.pins.list()] == [pin_view(p) for p in repo.pins.list()]
    file_pin = empty.pins.list(cid=QROOT)[0]
    assert file_pin.meta["t"] == dt.datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert file_pin.meta["digits"] == "007" and file_pin.meta["f"] == 2.5
    assert name_set(empty, meta={"t": {"value": "2024-05-01T11:00:00+01:00"}}) == {"file"}
    assert name_set(empty, group="g2") == {"file", "direct"}
    # the blocks arrive later: the pins complete
    empty.add(QDATA, pin=False, **OPTS)
    empty.block_put(b"direct block")
    assert {p.name: p.status for p in empty.pins.list()} == {
        "file": "pinned", "direct": "pinned", "queued": "queued", "ünïcode \"quoted\"": "queued"}
    # into a repo that has some blocks: those come back pinned at once
    dest = make_repo(dest_kind)
    dest.add(QDATA, pin=False, **OPTS)
    dest.pins.import_(lines)
    assert {p.name: p.status for p in dest.pins.list()} == {
        "file": "pinned", "direct": "queued", "queued": "queued",
        "ünïcode \"quoted\"": "queued"}
    assert dest.gc().blocks == 0 and dest.verify() == []
    # importing the same lines again adds nothing
    dest.pins.import_(lines)
    assert len(dest.pins.list()) == 4


MALFORMED = [
    "not json", "[1, 2]", '{"name": "no cid"}', '{"cid": "not-a-cid"}',
    '{"cid": "bafkqaaa", "meta": {"x": [1]}}', '{"cid": "bafkqaaa", "type": "sideways"}',
    '{"cid": "bafkqaaa", "name": ' + json.dumps("n" * 256) + "}",
    '{"cid": "bafkqaaa", "meta": {"t": {"$time": "2024-02-30"}}}',
    '{"cid": "bafkqaaa", "groups": [""]}',
]


def test_import_of_a_malformed_line_imports_nothing(repo):
    src = Repo.memory()
    build_export(src)
    out = io.StringIO()
    src.pins.export(out)
    src.close()
    repo.add(QDATA, pin=False, **OPTS)  # one of the pins would be pinned at once
    for bad in MALFORMED:
        lines = out.getvalue().splitlines()
        lines.insert(2, bad)
        with pytest.raises(PinfoldError):
            repo.pins.import_(lines)
        assert repo.pins.list() == [], bad
        assert repo.pins.groups() == [], bad
        assert repo.pins.stats()["kept_blocks"] == 0, bad
    with pytest.raises(PinfoldError, match="line 3"):
        repo.pins.import_(out.getvalue().splitlines()[:2] + ["{oops"])
    # inside a caller's transaction that goes on, a line that fails in its add (after the
    # lines before it were added) leaves none of the import either
    with repo.pins.transaction():
        for bad in MALFORMED[4:]:
            with pytest.raises(PinfoldError):
                repo.pins.import_(out.getvalue().splitlines() + [bad])
        kept = repo.pins.add(repo.block_put(b"kept", pin=False), name="kept")
    assert repo.pins.list() == [kept]
    assert repo.pins.groups() == []
    repo.pins.remove(pin_id=kept.id)
    assert len(repo.pins.import_(out.getvalue().splitlines())) == 4


# -- what add returns -------------------------------------------------------------------------
def _tricky_numbers() -> list:
    """Numbers whose read-back form is the question: integral floats (SQLite's NUMERIC keeps
    them as integers inside int64's range, ends excluded), the ends themselves, floats past
    2**53 whose shortest repr is not their exact value, and random bit patterns."""
    import random
    import struct

    edge = [0.0, -0.0, 3.0, -7.0, 2.5, 0.1, 1e15, 2.0**53, 2.0**53 + 2, 2.0**60,
            123456789012345678.0, -(2.0**63), 2.0**63, 2.0**64, 1e300, -1e300, 5e-324,
            0, 1, -1, -(1 << 63), (1 << 63) - 1, 1 << 53]
    rng = random.Random(20261204)
    while len(edge) < 400:
        x = struct.unpack("<d", rng.randbytes(8))[0]
        if x == x and abs(x) != float("inf"):
            edge.append(x)
    return edge


def test_add_returns_the_record_get_reads_back(repo):
    """An add inside a transaction builds its Pin from what it wrote (no read back); it must
    be the Pin ``get`` reads, value types and key order included, for every kind of value,
    group given by id, by name or twice, and every status an add can leave."""
    numbers = _tricky_numbers()
    keyed = repo.pins.group_create("zeta")
    raw = [repo.block_put(f"as-written {i}".encode()) for i in range(9)]
    tree = repo.add(b"x" * 5000, pin=False, **OPTS).root
    cbor = repo.dag_put({"a": 1, "link": raw[0]})
    missing = raw_cid(b"never stored as-written")
    metas = [{f"n{j:03d}": v for j, v in enumerate(numbers[k : k + 100])}
             for k in range(0, len(numbers), 100)]
    metas += [
        {"s": "", "é": "ünïcode ✓", "b": True, "f": False, "B": "upper first"},
        {"t": dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
         "naive": dt.datetime(2020, 1, 2, 3, 4, 5), "d": dt.date(1999, 12, 31),
         "j": T("2024-05-01T12:00:00.123456789Z")},
        {},
    ]
    cases = []
    for i, meta in enumerate(metas):
        cases.append(dict(cid=raw[i % 6], name=f"p{i}", meta=meta,
                          groups=["alpha", keyed.id, "alpha", "Beta"][: i % 5]))
    cases += [
        dict(cid=tree, name="a tree", groups=["zeta"]),
        dict(cid=cbor, name="cbor", meta={"x": 1.0}),
        dict(cid=missing, name="queued", queue=True, meta={"y": 2.0}),
        # its root is here (a size could be taken) but a child is not: queued, no size
        dict(cid=repo.dag_put({"gone": missing}), name="queued on a child", queue=True),
        dict(cid=raw[8], name="direct", type="direct"),
        dict(cid=raw[2], name="private", network="private"),
    ]
    with repo.pins.transaction():
        added = [repo.pins.add(c.pop("cid"), **c) for c in map(dict, cases)]
    assert [p.status for p in added[-5:]] == ["pinned", "queued", "queued", "pinned", "pinned"]
    assert added[-6].size == repo.pins.get(added[-6].id).size > 5000
    assert added[-4].size is None and added[-3].size is None
    for pin in added:
        back = repo.pins.get(pin.id)
        assert pin == back
        assert repr(pin) == repr(back)  # 3 == 3.0, but repr tells an int from a float
        assert [type(v) for v in pin.meta.values()] == [type(v) for v in back.meta.values()]
    # outside a transaction (two steps, then read back) the same record comes back
    again = repo.pins.add(raw[3], name="outside", meta=metas[0], groups=["Beta", "alpha"])
    assert repr(again) == repr(repo.pins.get(again.id))


def test_a_failed_change_in_a_transaction_that_goes_on_leaves_nothing(repo):
    """Metadata changes that would pass the key limit, and a group add naming one missing pin,
    raise after some of their writes: in a caller's transaction that catches the error and
    commits, none of those writes stay (each is a savepoint of its own)."""
    from pinfold.pins.limits import MAX_KEYS
    from pinfold.pins.meta import MetadataError

    a = repo.pins.add(repo.block_put(b"atomic a", pin=False), name="a",
                      meta={f"k{i}": i for i in range(MAX_KEYS - 1)})
    b = repo.pins.add(repo.block_put(b"atomic b", pin=False), name="b")
    g = repo.pins.group_create("g")
    with repo.pins.transaction():
        with pytest.raises(MetadataError, match="at most"):
            repo.pins.update_meta(a.id, {"new1": 1, "new2": 2})
        with pytest.raises(PinError, match="no pin with id"):
            repo.pins.group_add(g.id, [a.id, b.id, "0" * 32])
        repo.pins.rename(b.id, "b2")  # what succeeds in the transaction stays
    assert repo.pins.get(a.id).meta == a.meta
    assert repo.pins.group(g.id).pins == 0
    assert repo.pins.query(group=g.id).pins == []
    assert repo.pins.get(b.id).name == "b2"
    # outside a transaction the same changes fail the same way and change nothing
    with pytest.raises(MetadataError):
        repo.pins.update_meta(a.id, {"new1": 1, "new2": 2})
    assert repo.pins.group_add(g.id, [a.id, b.id]) == 2
