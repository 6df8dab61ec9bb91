"""pinfold.pinservice.service: the Pinning Service API's operations over a repo."""

from __future__ import annotations

import pytest

from pinfold.pinservice import ORIGINS_KEY, PinService, PinServiceError
from pinfold.repo import Repo


@pytest.fixture
def svc(make_repo):
    return PinService(make_repo("fs"))


def _err(fn, *args) -> PinServiceError:
    with pytest.raises(PinServiceError) as info:
        fn(*args)
    return info.value


def test_add_present_cid_is_pinned_with_name_meta_origins(svc):
    cid = svc.repo.add(b"present", pin=False).root
    st = svc.add({"cid": str(cid), "name": "doc", "meta": {"app_id": "42"},
                  "origins": ["/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWA"]})
    assert st["status"] == "pinned"
    assert st["pin"] == {"cid": str(cid), "name": "doc", "meta": {"app_id": "42"},
                         "origins": ["/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWA"]}
    assert st["delegates"] == [] and st["info"]["dag_size"] == "15"
    assert st["created"].endswith("Z") and len(st["created"]) == 30
    pin = svc.repo.pins.get(st["requestid"])
    assert pin.meta[ORIGINS_KEY] and svc.get(st["requestid"]) == st


def test_missing_blocks_stay_queued_and_complete_when_they_arrive(svc):
    from pinfold import cid_of

    data = b"arrives later" * 1000
    cid = cid_of(data)
    st = svc.add({"cid": str(cid), "name": "later"})
    assert st["status"] == "queued" and "waiting for blocks" in st["info"]["status_details"]
    assert svc.list([])["count"] == 0  # the default lists pinned only
    assert svc.list([("status", "queued")])["count"] == 1
    svc.repo.add(data, pin=False)  # the blocks arrive through any writer
    assert svc.get(st["requestid"])["status"] == "pinned"


def test_same_request_again_is_idempotent_and_takes_new_meta(svc):
    cid = svc.repo.add(b"x", pin=False).root
    a = svc.add({"cid": str(cid), "name": "n", "meta": {"v": "1"}})
    b = svc.add({"cid": str(cid), "name": "n", "meta": {"v": "2"}})
    assert a["requestid"] == b["requestid"] and b["pin"]["meta"] == {"v": "2"}
    c = svc.add({"cid": str(cid), "name": "other"})
    assert c["requestid"] != a["requestid"]
    assert svc.list([("cid", str(cid))])["count"] == 2


def test_replace_takes_the_new_pin_before_removing_the_old(svc):
    old = svc.repo.add([{"path": "d/a", "content": b"a" * 5000},
                        {"path": "d/b", "content": b"b"}], pin=False).root
    new = svc.repo.add([{"path": "d/a", "content": b"a" * 5000},
                        {"path": "d/b", "content": b"c"}], pin=False).root
    st = svc.add({"cid": str(old), "name": "site"})
    st2 = svc.replace(st["requestid"], {"cid": str(new), "name": "site"})
    assert st2["requestid"] != st["requestid"] and st2["pin"]["cid"] == str(new)
    assert _err(svc.get, st["requestid"]).status == 404
    svc.repo.gc()
    assert svc.repo.verify() == []
    assert _err(svc.replace, "nope", {"cid": str(new)}).status == 404


def test_remove_then_gc_frees_the_blocks(svc):
    cid = svc.repo.add(b"gone soon" * 100, pin=False).root
    st = svc.add({"cid": str(cid)})
    svc.remove(st["requestid"])
    assert _err(svc.remove, st["requestid"]).reason == "NOT_FOUND"
    assert svc.repo.gc().blocks == 1
    q = svc.add({"cid": str(cid)})  # gone: queued again
    assert q["status"] == "queued"
    svc.remove(q["requestid"])  # a queued pin is removed too
    assert svc.list([("status", "queued,pinned")])["count"] == 0


@pytest.mark.parametrize("body, words", [
    ([], "JSON object"), ({}, "Pin.cid is required"), ({"cid": "nope"}, "not a CID"),
    ({"cid": "bafkqaaa", "name": 5}, "Pin.name"), ({"cid": "bafkqaaa", "name": "é" * 200},
                                                    "255 bytes"),
    ({"cid": "bafkqaaa", "meta": {"a": 1}}, "values are strings"),
    ({"cid": "bafkqaaa", "meta": {ORIGINS_KEY: "x"}}, "reserved"),
    ({"cid": "bafkqaaa", "origins": ["x"]}, "multiaddr"),
    ({"cid": "bafkqaaa", "origins": ["/a"] * 2}, "unique"),
    ({"cid": "bafkqaaa", "origins": [f"/o/{i}" for i in range(21)]}, "at most 20"),
    ({"cid": "bafkqaaa", "extra": 1}, "unknown Pin fields"),
    ({"cid": "\ud800"}, "not valid text"),
])
def test_bad_bodies_are_400_bad_request(svc, body, words):
    err = _err(svc.add, body)
    assert (err.status, err.reason) == (400, "BAD_REQUEST") and words in err.details
    assert err.to_json() == {"error": {"reason": "BAD_REQUEST", "details": err.details}}


@pytest.mark.parametrize("rid", ["", "x" * 500, "\ud800", "a\nb", "no-such-id"])
def test_unknown_requestids_are_404(svc, rid):
    assert _err(svc.get, rid).status == 404


def test_typed_metadata_shows_as_strings(svc):
    import datetime as dt

    cid = svc.repo.add(b"typed", pin=False).root
    pin = svc.repo.pin(cid, meta={"n": 3, "f": 2.5, "b": True, "s": "x",
                                  "t": dt.datetime(2024, 5, 1, tzinfo=dt.UTC)})
    st = svc.get(pin.id)
    assert st["pin"]["meta"] == {"n": "3", "f": "2.5", "b": "true", "s": "x",
                                 "t": "2024-05-01T00:00:00Z"}


def test_delegates_are_the_mounters(make_repo):
    svc = PinService(Repo.memory(), delegates=["/dns4/pin.example/tcp/4001/p2p/12D3KooWA"])
    cid = svc.repo.add(b"d", pin=False).root
    assert svc.add({"cid": str(cid)})["delegates"] == ["/dns4/pin.example/tcp/4001/p2p/12D3KooWA"]
