"""Fuzzing the file readers: any bytes give a result or the module's one-line error.

Data files (``load_data`` → DataError), weights JSON (``Weights.load`` →
WeightsError) and trace JSON (``load_trace`` → TraceError). Inputs are random
bytes, and valid files mutated (bytes flipped, cut, repeated, numbers and
nesting made huge). The short runs are derandomized and take a few seconds;
the long run is ``-m slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnn_tui.core.data import DataError, lesson_dataset, load_data
from rnn_tui.core.model import Weights, WeightsError
from rnn_tui.export.trace import TraceError, build_trace, load_trace, render_json

LESSON = lesson_dataset()
WEIGHTS = Weights.init(LESSON.vocab, hidden=2, seed=0)
SEEDS = {
    "data": b"# sentences\n0\tas as soon\n0\tsoon as as\n1\tas soon as\n",
    "weights": (json.dumps(WEIGHTS.to_dict(), indent=1) + "\n").encode(),
    "trace": render_json(build_trace(LESSON, WEIGHTS)).encode(),
}
READERS = {
    "data": (lambda path: load_data(path), DataError),
    "weights": (Weights.load, WeightsError),
    "trace": (load_trace, TraceError),
}
#: Pieces a mutation may insert: JSON and TSV structure, huge and odd numbers, controls.
PIECES = [b"[", b"]", b"{", b"}", b",", b":", b'"', b"\t", b"\n", b"\r", b"\x1b[2J", b"\x00",
          b"\xff", b"\xef\xbb\xbf", b"null", b"true", b"-0", b"1e400", b"NaN", b"Infinity",
          b"9" * 400, b"9" * 4400, b"[" * 5000, b"1.7976931348623157e308", b"0\t", b"1\t",
          b'"as"', b'"vocab"', b'"Wxh"', b'"by"', b'"sentences"', b'"steps"', b'"t"',
          b"\xed\x95\x9c", b"  ", b"#"]


@st.composite
def mutated(draw, kind: str) -> bytes:
    """A valid file of ``kind`` with a few random edits, or plain random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    data = bytearray(SEEDS[kind])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            i = min(at, len(data) - 1)
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(PIECES))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 20))]
        elif op == "repeat":
            chunk = bytes(data[at:at + draw(st.integers(1, 40))])
            data[at:at] = chunk * draw(st.integers(1, 50))
    return bytes(data)


def check(tmp_path: Path, kind: str, content: bytes) -> None:
    read, error = READERS[kind]
    path = tmp_path / f"fuzz.{kind}"
    path.write_bytes(content)
    try:
        read(path)
    except error as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message, repr(message)
        assert "\x1b" not in message, repr(message)
        assert len(message) < 1000, len(message)
    # any other exception fails the test, with the input hypothesis found


def fuzz(kind: str, examples: int, derandomize: bool):
    @settings(max_examples=examples, derandomize=derandomize, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(content=mutated(kind))
    def run(tmp_path: Path, content: bytes) -> None:
        check(tmp_path, kind, content)

    return run


@pytest.mark.parametrize("kind", list(READERS))
def test_readers_short_fuzz(tmp_path, kind) -> None:
    """A fixed, derandomized run of a few seconds: part of the normal set."""
    fuzz(kind, examples=150, derandomize=True)(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(READERS))
def test_readers_long_fuzz(tmp_path, kind) -> None:
    """The long run (``-m slow``): random, many more examples."""
    fuzz(kind, examples=4000, derandomize=False)(tmp_path)


@pytest.mark.parametrize("kind", list(READERS))
@pytest.mark.parametrize("piece", [b"[" * 100000, b"9" * 400, b"9" * 4400, b"\x1b[31m\r",
                                   b"1e400", b"\xff\xfe"],
                         ids=["deep", "400-digits", "4400-digits", "esc-cr", "1e400", "bad-utf8"])
def test_readers_known_bad_pieces(tmp_path, kind, piece) -> None:
    """The pieces issue 13 found, put in the middle of each kind of file."""
    seed = SEEDS[kind]
    for at in (0, len(seed) // 3, len(seed) // 2, len(seed) - 2):
        check(tmp_path, kind, seed[:at] + piece + seed[at:])
