"""Pin metadata and its filters: the CLI form (``KEY>=V``), Pinata's JSON form, typed values,
and queries run with them over a repo whose pins carry metadata. Only PinfoldError escapes;
what parses runs as a query."""

from __future__ import annotations

import functools

from hypothesis import example, given
from hypothesis import strategies as st

from pinfold import Repo
from pinfold.pins.meta import (
    OPERATORS,
    check_meta,
    filters_from_json,
    infer,
    parse_cli_filter,
    parse_cli_pair,
)

from .harness import hostile, hostile_text, mostly, number_text, target

KEYS = ["a", "size", "when", "name", "tag", "é", "x" * 300, ""]
SYMBOLS = ["=", "!=", ">", ">=", "<", "<=", "~", "=>", "==", "<>"]
TEXT_VALUES = st.one_of(number_text(), st.sampled_from(
    ["true", "FALSE", "2024-05-01", "2024-05-01T12:00:00Z", "2024-13-45", "9999-12-31T23:59:59Z",
     "0000-01-01", "2024-05-01T12:00:00.1234567891+05:30", "%", "_", "\\", "[", "", " "]),
    hostile_text())


@functools.cache
def repo() -> Repo:
    """A repo with pins that carry each type of metadata."""
    r = Repo.memory()
    for i, meta in enumerate([{"a": 1, "tag": "x", "when": {"$time": "2024-05-01T00:00:00Z"}},
                              {"a": 2.5, "tag": "y%", "ok": True},
                              {"a": -(1 << 63), "size": (1 << 63) - 1, "name": "é"}]):
        cid = r.add(f"file {i}".encode()).roots[0].cid
        r.pin(cid, name=f"pin{i}", meta=meta)
    return r


def _run(filters=(), meta=None, **kw) -> None:
    page = repo().pins.query(meta_filters=filters, meta=meta, limit=5, **kw)
    for pin in page.pins:
        pin.to_json()


cli_filters = st.tuples(mostly(st.sampled_from(KEYS), hostile_text(6)), st.sampled_from(SYMBOLS),
                        TEXT_VALUES).map("".join)


@target(scale=2)
@given(st.one_of(cli_filters, hostile_text()))
@example("a=" + "9" * 5000)  # issue 14, hole 6
@example("a>" + "9" * 5000)
@example("a<=-9223372036854775809")
@example("a=٣")
def test_cli_filter(text):
    with hostile():
        f = parse_cli_filter(text)
        _run([f])
    with hostile():
        key, value = parse_cli_pair(text)
        check_meta({key: value.to_python()})
    with hostile():
        infer(text)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(1 << 70), 1 << 70),
                         st.floats(), st.text(max_size=10), hostile_text(6), number_text())
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)
conditions = st.one_of(
    json_values,
    st.fixed_dictionaries({"value": json_values},
                          optional={"op": mostly(st.sampled_from(OPERATORS), hostile_text(6)),
                                    "secondValue": json_values, "extra": json_values}))
json_filters = st.one_of(st.dictionaries(st.sampled_from(KEYS), conditions, max_size=3),
                         json_values)


@target(scale=2)
@given(json_filters)
@example({"a": {"value": 1 << 64, "op": "gt"}})
@example({"a": {"value": float("nan"), "op": "between", "secondValue": 1}})
@example({"a": {"value": "(", "op": "regexp"}})
def test_json_filter(spec):
    with hostile():
        _run(filters_from_json(spec))
    with hostile():
        _run(meta=spec)


@target(scale=1)
@given(st.fixed_dictionaries({}, optional={
    "cursor": st.one_of(number_text(), st.integers(-(1 << 70), 1 << 70), hostile_text()),
    "before": st.one_of(TEXT_VALUES, st.integers(-(1 << 70), 1 << 70), st.floats()),
    "after": st.one_of(TEXT_VALUES, st.integers(-(1 << 70), 1 << 70)),
    "name": hostile_text(), "match": st.sampled_from(["exact", "iexact", "partial", "x"]),
    "min_size": st.integers(-(1 << 70), 1 << 70), "max_size": st.integers(-(1 << 70), 1 << 70),
    "status": st.sampled_from(["pinned", "queued", "x"]), "group": hostile_text(6),
}))
@example({"cursor": "9" * 30})
@example({"before": float("inf")})
@example({"min_size": 1 << 64})
@example({"name": "00\x00", "match": "partial"})  # the long run: FTS5 stops at a NUL
def test_query_parameters(kw):
    with hostile():
        _run(**kw)


@target(scale=1)
@given(st.dictionaries(st.one_of(st.sampled_from(KEYS), hostile_text(6)),
                       st.one_of(json_values, st.just({"$time": "2024-05-01"}),
                                 st.dictionaries(st.just("$time"), hostile_text())),
                       max_size=3), st.booleans())
def test_update_meta(changes, replace):
    pin = repo().pins.query(limit=1).pins[0]
    with hostile():
        repo().pins.update_meta(pin.id, changes, replace=replace)
    with hostile():
        check_meta(changes)


def test_repo_intact():
    assert repo().verify() == []
