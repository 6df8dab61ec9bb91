"""The Pinning Service API's request parsers: ``GET /pins`` query parameters and ``Pin``
bodies, then the operations over a repo. Only PinfoldError escapes (a PinServiceError is a
4xx with the spec's Failure body); what is accepted runs and gives a valid PinStatus."""

from __future__ import annotations

import functools
import json

from hypothesis import given
from hypothesis import strategies as st

from pinfold import Repo
from pinfold.pinservice import PinService, PinServiceError, parse_list, parse_pin

from .harness import hostile, hostile_text, mostly, number_text, target

CIDS = ["bafkqaaa", "QmWfVY9y3xjsixTgbd9AorQxH7VtMpzfx2HaWtsoUYecaX",
        "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"]
KEYS = ["cid", "name", "match", "status", "before", "after", "limit", "meta", "other"]
VALUES = st.one_of(
    st.sampled_from(CIDS + [",".join(CIDS), "exact", "ipartial", "queued,pinned", "pinned,",
                            "2020-07-27T17:32:28Z", "2020-07-27T17:32:28.123456789+05:30",
                            "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", '{"a": "b"}',
                            '{"a": 1}', "[]", "{", '{"pinfold:origins": "x"}']),
    number_text(), hostile_text(30))


@functools.cache
def service() -> PinService:
    svc = PinService(Repo.memory())
    cid = svc.repo.add(b"fuzzed").root
    svc.add({"cid": str(cid), "name": "n", "meta": {"a": "b"}})
    return svc


@target(scale=1)
@given(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6))
def test_list_params(pairs):
    with hostile():
        parse_list(pairs)
        out = service().list(pairs)
        json.dumps(out)
        assert out["count"] >= len(out["results"])


pin_bodies = st.fixed_dictionaries(
    {"cid": mostly(st.sampled_from(CIDS), st.one_of(hostile_text(20), st.integers()))},
    optional={"name": mostly(st.text(max_size=20), st.one_of(hostile_text(300), st.integers())),
              "origins": st.lists(mostly(st.just("/p2p/Qm"), hostile_text(10)), max_size=3),
              "meta": st.dictionaries(hostile_text(8), mostly(st.text(max_size=5),
                                                             st.integers()), max_size=3)})


@target(scale=1)
@given(st.one_of(pin_bodies, st.recursive(st.none() | st.text(max_size=5),
                                          lambda c: st.lists(c) | st.dictionaries(
                                              st.text(max_size=4), c), max_leaves=6)))
def test_pin_bodies(body):
    with hostile():
        parse_pin(body)
        st_ = service().add(body)
        assert st_["status"] in ("queued", "pinning", "pinned", "failed")
        json.dumps(st_)
        service().remove(st_["requestid"])


@target(scale=2)
@given(mostly(st.sampled_from(["x", "0" * 32]), hostile_text(200)))
def test_requestids(rid):
    try:
        service().get(rid)
    except PinServiceError as exc:
        assert exc.status == 404
