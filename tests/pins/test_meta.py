"""pinfold.pins.meta: typed metadata, its validation, filter forms, merge and replace."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pinfold
from pinfold import PinfoldError
from pinfold.pins import PinError
from pinfold.pins.meta import (
    MetadataError,
    MetaFilter,
    filters_from_json,
    parse_cli_filter,
    parse_time,
    stored_time,
    typed,
)
from tests.repo.helpers import raw_cid

from .helpers import UTC, T, name_set, names, pin_block


def test_metadata_values_keep_their_type(meta_repo):
    pins = {p.name: p for p in meta_repo.pins.list()}
    assert pins["nine"].meta == {
        "n": 9, "s": "apple", "t": dt.datetime(2024, 5, 1, tzinfo=UTC), "b": True,
        "tag": "red", "w": 1}
    assert pins["ten"].meta["t"] == dt.datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert pins["hundred"].meta["t"] == dt.datetime(2024, 1, 1, 0, 59, 59, tzinfo=UTC)
    assert pins["neg"].meta["n"] == -2.5
    assert pins["text10"].meta == {"n": "10", "s": 5, "t": "2024-05-01T00:00:00Z", "b": "true"}
    assert pins["bare"].meta == {}
    assert pins["nine"].to_json()["meta"]["t"] == {"$time": "2024-05-01T00:00:00Z"}
    assert pins["hundred"].to_json()["meta"]["t"] == {"$time": "2024-01-01T00:59:59Z"}


def test_pinata_json_and_cli_filter_forms_build_the_same_filters():
    assert filters_from_json({"n": 5}) == [MetaFilter("n", "eq", 5)]
    assert filters_from_json({"n": {"value": 5}}) == [MetaFilter("n", "eq", 5)]
    assert filters_from_json({"n": {"value": 5, "op": "gte"}}) == [MetaFilter("n", "gte", 5)]
    assert filters_from_json({"n": {"value": 1, "secondValue": 2, "op": "notBetween"}}) == [
        MetaFilter("n", "notBetween", [1, 2])]
    assert filters_from_json({"t": T("2024-05-01")}) == [MetaFilter("t", "eq", T("2024-05-01"))]
    assert parse_cli_filter("n>4") == MetaFilter("n", "gt", 4)
    assert parse_cli_filter("n>=4.5") == MetaFilter("n", "gte", 4.5)
    assert parse_cli_filter("n<4") == MetaFilter("n", "lt", 4)
    assert parse_cli_filter("n<=4") == MetaFilter("n", "lte", 4)
    assert parse_cli_filter("n!=4") == MetaFilter("n", "ne", 4)
    assert parse_cli_filter("b=true") == MetaFilter("b", "eq", True)
    assert parse_cli_filter("s=hello") == MetaFilter("s", "eq", "hello")
    assert parse_cli_filter("s~he%o") == MetaFilter("s", "like", "he%o")
    assert parse_cli_filter("url=http://x/?a=b<c") == MetaFilter("url", "eq", "http://x/?a=b<c")
    assert parse_cli_filter("t>2024-05-01T00:00:00Z") == MetaFilter(
        "t", "gt", T("2024-05-01T00:00:00Z"))


# -- invalid metadata and filters ---------------------------------------------------------------
BAD_META = [
    ({f"k{i}": i for i in range(1001)}, "at most 1000"),
    ({"k" * 256: 1}, "255 bytes"),
    ({"é" * 128: 1}, "255 bytes"),
    ({"": 1}, "non-empty"),
    ({1: 1}, "non-empty strings"),
    ({"x": float("nan")}, "finite"),
    ({"x": float("inf")}, "finite"),
    ({"x": [1, 2]}, "list"),
    ({"x": {"a": 1}}, "dict"),
    ({"x": b"bytes"}, "bytes"),
    ({"x": None}, "no value"),
    ({"x": "v" * 65537}, "longer than"),
    ({"x": T("2024-02-30")}, "malformed date"),
    ({"ok": 1, "x": [1]}, "list"),
]


def test_invalid_metadata_is_refused_and_nothing_is_written(repo):
    cid = repo.block_put(b"invalid")
    good = repo.pin(cid, name="good", meta={"keep": 1, "t": T("2024-05-01")})
    good_meta = {"keep": 1, "t": dt.datetime(2024, 5, 1, tzinfo=UTC)}
    for meta, words in BAD_META:
        with pytest.raises(MetadataError, match=words):
            repo.pin(cid, name="bad", meta=meta, groups=["new-group"])
        with pytest.raises(MetadataError, match=words):
            repo.pin(raw_cid(b"absent"), name="bad", meta=meta, queue=True)
        if meta.get("x", 0) is not None:  # a None value means "remove" in a merge
            with pytest.raises(MetadataError, match=words):
                repo.pins.update_meta(good.id, {"keep": 2, **meta})
        with pytest.raises(MetadataError):
            repo.pins.update_meta(good.id, {"keep": 2, **meta}, replace=True)
        with pytest.raises(MetadataError, match=words):
            repo.add(b"never stored", meta=meta)
        assert [(p.name, p.meta) for p in repo.pins.list()] == [("good", good_meta)], words
        assert repo.pins.groups() == [], words
        assert not repo.has(pinfold.cid_of(b"never stored")), words


def test_metadata_key_and_count_limits_are_inclusive(repo):
    cid = repo.block_put(b"limits")
    big = {f"k{i}": i for i in range(1000)}
    big["é" * 127 + "x"] = "255-byte key"
    del big["k999"]
    pin = repo.pin(cid, meta=big)
    assert len(pin.meta) == 1000
    # a merge that would make 1001 keys is refused, and changes nothing
    with pytest.raises(MetadataError, match="1000"):
        repo.pins.update_meta(pin.id, {"k0": "changed", "one-more": 1})
    assert repo.pins.get(pin.id).meta == big
    # a merge that removes one and adds one is fine
    after = repo.pins.update_meta(pin.id, {"k0": None, "one-more": 1})
    assert len(after.meta) == 1000 and "k0" not in after.meta and after.meta["one-more"] == 1


def test_integers_too_large_for_sqlite_are_handled(repo):
    """A huge integer is either stored or refused with a MetadataError. Found: it reaches SQLite
    and raises OverflowError ("Python int too large to convert to SQLite INTEGER"), which is
    not a PinfoldError (the CLI prints a traceback, see the CLI test below)."""
    cid = repo.block_put(b"huge")
    try:
        pin = repo.pin(cid, name="huge", meta={"n": 2**64})
    except PinfoldError:
        assert repo.pins.list() == []
    else:
        assert pin.meta["n"] == 2**64
    try:
        below = names(repo, meta={"n": {"value": 2**64, "op": "lt"}})
    except PinfoldError:
        pass
    else:
        assert below == []


def test_metadata_merge_and_replace(repo):
    pin = pin_block(repo, "upd", "u", meta={"a": 1, "b": "x", "c": True})
    merged = repo.pins.update_meta(pin.id, {"b": None, "d": T("2024-05-01T02:00:00+02:00"),
                                            "a": "one"})
    assert merged.meta == {"a": "one", "c": True, "d": dt.datetime(2024, 5, 1, tzinfo=UTC)}
    assert name_set(repo, meta={"a": 1}) == set()
    assert name_set(repo, meta={"a": "one"}) == {"u"}
    assert name_set(repo, meta={"d": "2024-05-01T00:00:00Z"}) == {"u"}
    assert name_set(repo, meta={"b": "x"}) == set()
    # removing a key that is not there is fine
    assert repo.pins.update_meta(pin.id, {"zzz": None}).meta == merged.meta
    replaced = repo.pins.update_meta(pin.id, {"z": 2.5}, replace=True)
    assert replaced.meta == {"z": 2.5}
    assert name_set(repo, meta={"c": True}) == set()
    assert repo.pins.update_meta(pin.id, {}, replace=True).meta == {}
    with pytest.raises(PinError, match="no pin"):
        repo.pins.update_meta("nope", {"a": 1})
    with pytest.raises(PinError, match="no pin"):
        repo.pins.rename("nope", "x")


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                    timezones=st.one_of(st.none(), st.timezones())) | st.dates())
def test_a_stored_time_reads_back_as_parse_time_reads_it(value):
    """Reads of stored times skip parse_time's checks (``fromisoformat`` on the UTC form the
    database holds): the same datetime, tz and repr, for every time or date a pin can hold."""
    text = typed(value).text
    assert text.endswith("Z")
    fast, checked = stored_time(text), parse_time(text)
    assert fast == checked and repr(fast) == repr(checked)
    assert stored_time("2024-05-01") == parse_time("2024-05-01")  # other forms: parse_time
