"""pinfold.pinservice.listing: every filter of GET /pins, and its refusals."""

from __future__ import annotations

import pytest

from pinfold.pinservice import PinService, PinServiceError


@pytest.fixture(scope="module")
def svc():
    from pinfold.repo import Repo

    s = PinService(Repo.memory())
    names = ["Alpha.pdf", "alpha.PDF", "beta", "gamma-alpha"]
    s.made = []
    for i, name in enumerate(names):
        cid = s.repo.add(f"content {i}".encode(), pin=False).root
        s.made.append(s.add({"cid": str(cid), "name": name, "meta": {"app": str(i % 2)}}))
    s.queued = s.add({"cid": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
                      "name": "wait"})
    return s


def names(svc, params):
    return [r["pin"].get("name") for r in svc.list(params)["results"]]


def test_default_lists_pinned_newest_first(svc):
    assert names(svc, []) == ["gamma-alpha", "beta", "alpha.PDF", "Alpha.pdf"]


@pytest.mark.parametrize("match, expected", [
    ("exact", ["Alpha.pdf"]), ("iexact", ["alpha.PDF", "Alpha.pdf"]),
    ("partial", ["gamma-alpha", "alpha.PDF"]),
    ("ipartial", ["gamma-alpha", "alpha.PDF", "Alpha.pdf"]),
])
def test_name_match_strategies(svc, match, expected):
    term = "Alpha.pdf" if "exact" in match else "alpha"
    assert names(svc, [("name", term), ("match", match)]) == expected


def test_cid_status_meta_limit_and_pagination(svc):
    first, second = svc.made[0]["pin"]["cid"], svc.made[2]["pin"]["cid"]
    assert names(svc, [("cid", f"{first},{second}")]) == ["beta", "Alpha.pdf"]
    assert names(svc, [("cid", first), ("cid", second)]) == ["beta", "Alpha.pdf"]
    assert names(svc, [("status", "queued")]) == ["wait"]
    assert len(names(svc, [("status", "queued,pinned")])) == 5
    assert names(svc, [("meta", '{"app": "1"}')]) == ["gamma-alpha", "alpha.PDF"]
    page = svc.list([("limit", "2")])
    assert page["count"] == 4 and len(page["results"]) == 2
    before = page["results"][-1]["created"]
    rest = svc.list([("limit", "2"), ("before", before)])
    assert [r["pin"]["name"] for r in rest["results"]] == ["alpha.PDF", "Alpha.pdf"]
    after = svc.list([("after", svc.made[1]["created"])])
    assert [r["pin"]["name"] for r in after["results"]] == ["gamma-alpha", "beta"]


@pytest.mark.parametrize("params, words", [
    ([("limit", "0")], "limit"), ([("limit", "1001")], "limit"), ([("limit", "x")], "limit"),
    ([("limit", "9" * 5000)], "limit"),
    ([("cid", ",".join(["bafkqaaa"] * 11))], "at most 10"), ([("cid", "")], "comma-separated"),
    ([("cid", "nope")], "not a CID"), ([("status", "done")], "status"),
    ([("status", "")], "status"),
    ([("match", "regex")], "match"), ([("name", "n" * 256)], "255"),
    ([("before", "yesterday")], "RFC 3339"), ([("after", "2020-01-01")], "RFC 3339"),
    ([("meta", "{")], "meta"), ([("meta", '{"a": 1}')], "strings"), ([("meta", "[]")], "meta"),
    ([("meta", "null")], "meta"),  # schemathesis: the filter is an object, null is not one
    ([("status", "failed,pinned,failed")], "more than once"),  # the spec's uniqueItems
    ([("cid", "bafkqaaa,bafkqaaa")], "more than once"),
    ([("name", "a"), ("name", "b")], "more than once"),
])
def test_bad_filters_are_400(svc, params, words):
    with pytest.raises(PinServiceError) as info:
        svc.list(params)
    assert info.value.status == 400 and words in info.value.details


def test_times_keep_nanoseconds(svc):
    created = svc.made[1]["created"]
    got = svc.list([("before", created), ("after", svc.made[0]["created"])])
    assert got["count"] == 0
    got = svc.list([("after", svc.made[0]["created"]), ("before", svc.made[2]["created"])])
    assert [r["requestid"] for r in got["results"]] == [svc.made[1]["requestid"]]
