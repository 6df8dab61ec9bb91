"""IPNS: records, names and ``/ipns/`` paths, and Go's duration and time text, from outside.

Records arrive from other nodes, from ``name put`` and from ``--key`` files; names and paths
from users and URLs; durations and times from flags and from records themselves. Seeds are
the spec's vectors, a real Kubo record and records made here, so mutations reach the
signature and validity checks, not only the protobuf parser.
"""

from __future__ import annotations

import pathlib

from hypothesis import given
from hypothesis import strategies as st

from pinfold.ipns import (
    Name,
    create_record,
    format_duration,
    parse_duration,
    parse_rfc3339,
    select_record,
    split_ipns_path,
    unmarshal_record,
    validate_record,
)
from pinfold.keys import generate_key

from .harness import hostile, hostile_text, mostly, mutated, number_text, target

_VECTORS = pathlib.Path(__file__).resolve().parent.parent / "vectors" / "ipns"
_FILES = sorted(_VECTORS.glob("*.ipns-record")) if _VECTORS.is_dir() else []
_KEY = generate_key("ed25519")
_NAME = Name.from_public_key(_KEY.public_key)
_MADE = [create_record(_KEY, "/ipfs/bafkqaaa", 7, "2099-01-01T00:00:00Z",
                       v1_compatible=v1).marshal() for v1 in (True, False)]
SEEDS = [f.read_bytes() for f in _FILES] + _MADE
NAMES = [f.name.split("_", 1)[0] for f in _FILES] + [str(_NAME), _NAME.peer_id]
records = st.one_of(st.binary(max_size=300), mutated(st.sampled_from(SEEDS)))


@target(scale=2)
@given(records)
def test_unmarshal_record(data):
    with hostile():
        record = unmarshal_record(data)
        # every accessor a caller reads, and the bytes it was made from
        for field in ("value", "validity_type", "validity", "sequence", "ttl", "data",
                      "signature_v2", "signature_v1", "public_key_bytes", "has_v1",
                      "signature_type", "size", "signed_data_v2"):
            with hostile():
                getattr(record, field)
        with hostile():
            record.value_path  # noqa: B018 - a property that parses the value
        with hostile():
            record.validity_ns  # noqa: B018
        assert unmarshal_record(record.marshal()).marshal() == record.marshal()


@target(scale=1)
@given(records, st.sampled_from(NAMES), st.integers(0, 1 << 64))
def test_validate_record(data, name, now):
    with hostile():
        record = validate_record(data, name, now_ns=now)
        # a record that validates is one of the valid seeds, or a harmless edit of one
        # (an unsigned field, e.g. the TTL); its signature covered value and validity
        assert record.value


@target(scale=1)
@given(st.lists(records, min_size=1, max_size=4))
def test_select_record(datas):
    with hostile():
        best = select_record(datas)
        assert 0 <= best < len(datas)


@target(scale=2)
@given(mostly(st.sampled_from(NAMES), st.one_of(hostile_text(60), st.text(max_size=60))))
def test_name_parse(text):
    with hostile():
        name = Name.parse(text)
        assert Name.parse(str(name)) == name
        assert Name.parse(name.peer_id) == name


@target(scale=2)
@given(st.builds(lambda pre, name, rest: pre + name + rest,
                 st.sampled_from(["/ipns/", "/ipns", "/ipfs/", "", "//ipns/"]),
                 mostly(st.sampled_from(NAMES + ["example.com"]), hostile_text(20)),
                 st.one_of(st.just(""), hostile_text(30), st.just("/a/../b//c/"))))
def test_split_ipns_path(path):
    with hostile():
        name, rest, trailing = split_ipns_path(path)
        assert isinstance(name, str) and isinstance(rest, list)
        assert isinstance(trailing, bool)


durations = st.one_of(
    hostile_text(20), number_text(),
    st.builds(lambda n, u: n + u, number_text(),
              st.sampled_from(["ns", "us", "µs", "ms", "s", "m", "h", "d", "", "H", "hm"])),
    st.lists(st.builds(lambda n, u: f"{n}{u}", st.integers(0, 10**12),
                       st.sampled_from(["ns", "us", "ms", "s", "m", "h"])),
             min_size=1, max_size=5).map("".join))


@target(scale=3)
@given(durations)
def test_parse_duration(text):
    with hostile():
        ns = parse_duration(text)
        assert isinstance(ns, int)
        assert parse_duration(format_duration(ns)) == ns


times = st.one_of(
    hostile_text(40),
    st.builds(lambda y, mo, d, h, mi, s, frac, zone:
              f"{y}-{mo}-{d}T{h}:{mi}:{s}{frac}{zone}",
              st.sampled_from(["2024", "0000", "9999", "10000", "-001", "２０２４"]),
              st.sampled_from(["01", "12", "13", "00", "1"]),
              st.sampled_from(["01", "31", "32", "00", "29"]),
              st.sampled_from(["00", "23", "24"]), st.sampled_from(["00", "59", "60"]),
              st.sampled_from(["00", "59", "60", "61"]),
              st.sampled_from(["", ".", ".0", ".123456789", "." + "9" * 40]),
              st.sampled_from(["Z", "z", "+00:00", "-23:59", "+24:00", "+0100", ""])))


@target(scale=3)
@given(times)
def test_parse_rfc3339(text):
    with hostile():
        ns = parse_rfc3339(text)
        assert isinstance(ns, int)
