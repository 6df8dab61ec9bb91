"""What every fuzz target shares: its budget, the contract it checks, hostile strategies.

A target is a hypothesis test decorated with :func:`target` whose body runs the code under
test inside :func:`hostile`::

    @target(scale=1.0)
    @given(data=st.binary())
    def test_decoder(data):
        with hostile():
            decode(data)

- :func:`target` sizes the budget: the active profile's ``max_examples`` times ``scale``
  (below 1 for a slow target, above for a cheap one). Without ``--hypothesis-profile`` the
  fuzz suite runs the ``fuzz`` profile; ``long`` is the pre-release run (see conftest.py).
- :func:`hostile` is the contract: only :class:`~pinfold.PinfoldError` may leave the block
  (it is swallowed: a clear refusal is a pass), anything else fails the example; an example
  that runs past :data:`HANG_SECONDS` is stopped as a hang; one that allocates more than
  :data:`MEMORY_LIMIT` bytes at its peak fails (memory is traced in the ``long`` profile,
  where time is cheap; in ``fuzz`` only when ``PINFOLD_FUZZ_MEMORY=1``).
- :func:`mutated` turns valid inputs into nearly valid ones (flips, cuts, splices,
  duplicated runs, boundary integers written over), which is where parsers break.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import signal
import sys
import tracemalloc
from collections.abc import Iterator, Sequence

from hypothesis import settings
from hypothesis import strategies as st

from pinfold import PinfoldError

#: An example still running after this long is a hang (a deadline failure comes first for
#: anything merely slow; this stops the ones that would never finish).
HANG_SECONDS = 30
#: The most one example may allocate at its peak (the inputs are a few kilobytes).
MEMORY_LIMIT = 64 << 20

FUZZ, LONG = "fuzz", "long"


def profile_name() -> str:
    """The profile the fuzz targets run under: the one loaded, or ``fuzz`` when the loaded
    one is hypothesis' own (``default``, or ``ci`` when the ``CI`` variable is set)."""
    name = settings.get_current_profile_name()
    return FUZZ if name in ("default", "ci") else name


def target(scale: float = 1.0, deadline: float | None = None):
    """The settings of one fuzz target: the active profile's, ``max_examples`` scaled, and
    ``deadline`` seconds instead of the profile's for a target whose explicit examples are
    heavy by design (say, 100,000-deep nestings)."""
    parent = settings.get_profile(profile_name())
    extra = {} if deadline is None else {"deadline": datetime.timedelta(seconds=deadline)}
    return settings(parent, max_examples=max(1, round(parent.max_examples * scale)), **extra)


class Hang(BaseException):
    """An example ran past :data:`HANG_SECONDS` (a BaseException: the code under test may
    catch Exception, it must not swallow this)."""


def _on_alarm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Hang(f"example still running after {HANG_SECONDS} s")


def _trace_memory() -> bool:
    return profile_name() == LONG or os.environ.get("PINFOLD_FUZZ_MEMORY") == "1"


@contextlib.contextmanager
def hostile(*, seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Run the code under test under the contract (see the module doc)."""
    trace = _trace_memory() and not tracemalloc.is_tracing()
    if trace:  # only while the code under test runs: tracing hypothesis too costs 10x
        tracemalloc.start()
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except PinfoldError:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        if trace:
            tracemalloc.stop()
    assert peak <= MEMORY_LIMIT, f"one example allocated {peak} bytes at its peak"


def run_cli(argv: Sequence[str], stdin: bytes = b"") -> tuple[int, bytes, str]:
    """``pinfold ARGV`` in this process: ``(exit code, stdout bytes, stderr text)``, under
    the CLI's contract: exit 0, 1 or 2; no exception (a traceback); when it fails, stderr
    ends with one ``pinfold: ...`` line and holds nothing else but such lines."""
    from pinfold.cli.main import main

    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    streams = (io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
               io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape",
                                write_through=True),
               io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace",
                                write_through=True))
    sys.stdin, sys.stdout, sys.stderr = streams
    try:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse: usage errors (2), --help and --version (0)
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        for stream in streams:
            stream.flush()
            stream.detach()  # else collecting the wrapper closes the buffer under it
    text = err.getvalue().decode("utf-8")
    assert code in (0, 1, 2), f"exit code {code}"
    lines = text.splitlines()
    assert "Traceback" not in text, text
    assert all(line.startswith(("pinfold: ", "next page: ")) for line in lines), repr(text)
    if code != 0 and lines and not lines[-1].startswith("pinfold: problem: "):
        assert lines[-1].startswith("pinfold: "), text
    return code, out.getvalue(), text


# -- strategies -------------------------------------------------------------------------
#: Integers where parsers and fixed-width fields break.
BOUNDARY_INTS = [0, 1, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF,
                 1 << 32, (1 << 53) + 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 1 << 64]


def hostile_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text with what breaks text handling: lone surrogates (U+D800-U+DFFF, the
    surrogate-escaped bytes among them), NUL, CR/LF, separators, long digit runs."""
    specials = st.sampled_from(["\ud800", "\udfff", "\udcff", "\udc80", "\x00", "\r\n", "\n",
                                "/", "\\", "..", ".", "%", "%2e", "\u202e", "\ufeff", "é",
                                "\U0001f600", "=", ";", ",", '"', "*", "-", ":"])
    digits = st.integers(1, 5000).map(lambda n: "9" * n)
    piece = st.one_of(st.text(max_size=max_size), specials, digits,
                      st.text(st.characters(codec="latin-1"), max_size=max_size),
                      st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                              max_size=4))
    return st.lists(piece, max_size=4).map("".join)


def number_text() -> st.SearchStrategy[str]:
    """Numbers as text, well and badly formed: signs, huge digit runs, non-ASCII digits,
    underscores, spaces, exponents."""
    plain = st.integers(-(1 << 70), 1 << 70).map(str)
    return st.one_of(
        plain,
        st.sampled_from([str(n) for n in BOUNDARY_INTS] + ["-0", "+1", "1_000", " 5", "5 ",
                                                          "٣", "²", "1e999", "-1e999", "nan",
                                                          "inf", "0x10", "", "-", "+"]),
        st.integers(4000, 6000).map(lambda n: "9" * n),
        st.integers(4000, 6000).map(lambda n: "0" * n + "1"),
    )


@st.composite
def mutated(draw, seeds: st.SearchStrategy[bytes], max_edits: int = 4) -> bytes:
    """A seed with a few edits: byte flips, truncation, insertion, deletion, a duplicated or
    moved run, or a little-endian/big-endian boundary integer written over some bytes."""
    data = bytearray(draw(seeds))
    for _ in range(draw(st.integers(0, max_edits))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "dup", "int", "byte"]))
        pos = draw(st.integers(0, len(data))) if data else 0
        if kind == "flip" and data:
            pos = min(pos, len(data) - 1)
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and data:
            pos = min(pos, len(data) - 1)
            data[pos] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF, 0x01, 0x20]))
        elif kind == "cut":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif kind == "dup":
            n = draw(st.integers(1, 64))
            data[pos:pos] = data[pos:pos + n]
        elif kind == "int":
            width = draw(st.sampled_from([1, 2, 4, 8]))
            value = draw(st.sampled_from(BOUNDARY_INTS)) % (1 << (8 * width))
            order = draw(st.sampled_from(["little", "big"]))
            data[pos:pos + width] = value.to_bytes(width, order)
    return bytes(data)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


@st.composite
def protobuf(draw, fields: dict[int, st.SearchStrategy], max_fields: int = 8,
             order: list[int] | None = None) -> bytes:
    """A protobuf message of fields drawn from ``fields`` (number -> strategy of ``int``,
    for a varint, or ``bytes``, for a length-delimited field), with an occasional unknown
    field or wrong wire type: structure-aware input for protobuf decoders, which random
    bytes rarely get past. Most messages have each field of ``order`` once, in that order
    (the canonical form decoders accept); the rest any fields in any order and number."""
    numbers = sorted(fields)
    if order is not None and draw(st.integers(0, 7)) != 5:  # (not 0: hypothesis favours it)
        chosen = [n for i, n in enumerate(order) if i == 0 or draw(st.booleans())]
    else:
        chosen = draw(st.lists(st.sampled_from(numbers + [15, 0]), max_size=max_fields))
    out = bytearray()
    for number in chosen:
        value = draw(fields[number]) if number in fields else draw(
            st.one_of(st.integers(0, 1 << 64), st.binary(max_size=8)))
        if draw(st.integers(0, 60)) == 37:  # the wrong wire type now and then
            value = b"" if isinstance(value, int) else 1
        if isinstance(value, int):
            out += _varint(number << 3) + _varint(value % (1 << 64))
        else:
            out += _varint(number << 3 | 2) + _varint(len(value)) + value
    return bytes(out)


def varints() -> st.SearchStrategy[int]:
    """Varint field values: small, boundary, negative int64s as protobuf writes them."""
    return st.one_of(st.integers(0, 300), st.sampled_from(BOUNDARY_INTS),
                     st.integers(-(1 << 63), -1).map(lambda n: n % (1 << 64)))


@st.composite
def mostly(draw, usual: st.SearchStrategy, rare: st.SearchStrategy, one_in: int = 5):
    """``usual`` most of the time, ``rare`` about once in ``one_in`` draws: hostile
    variations sprinkled over otherwise valid input, so the code past the first check is
    reached too. (Drawn as an integer hitting one value in the middle: hypothesis favours
    the ends of a range.)"""
    return draw(rare if draw(st.integers(0, one_in - 1)) == one_in // 2 else usual)
