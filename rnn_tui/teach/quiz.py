"""Predict, then reveal: questions about the next value, and how close a guess was.

Plain Python (no Textual). The true values come from the Stepper; this module
only picks which value to ask about and compares a guess with it.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.stepper import Stepper

#: What a sub-step reveals that a student can be asked to predict.
ASKED = {3: "pre", 4: "h", 5: "y"}
#: |guess - truth| at most this much: points.
GRADES = ((0.05, 2, "quiz.spot_on"), (0.2, 1, "quiz.close"), (math.inf, 0, "quiz.far"))


@dataclass(frozen=True)
class Question:
    """Predict ``kind`` (one entry of the sum or of h_t, or y) for sentence ``b``."""

    pos: int  # the position that reveals it
    kind: str  # "pre", "h" or "y"
    b: int
    t: int
    entry: int | None  # which hidden node (0-based); None for y
    truth: float


@dataclass(frozen=True)
class Grade:
    guess: float
    truth: float
    error: float
    points: int
    verdict: str  # a catalogue key


@dataclass
class Score:
    """Points out of the best possible; a skipped question counts as asked for 0 points."""

    asked: int = 0  # answered with a guess
    points: int = 0
    skipped: int = 0  # revealed without a guess

    @property
    def best(self) -> int:
        return 2 * (self.asked + self.skipped)

    def add(self, grade: Grade) -> None:
        self.asked += 1
        self.points += grade.points

    def skip(self) -> None:
        self.skipped += 1


def question(stepper: Stepper, next_cursor: Cursor, b: int) -> Question | None:
    """The question before ``next_cursor`` is revealed, or None if it reveals nothing asked.

    ``stepper`` must already hold time step ``next_cursor.t`` (true for the
    sum, h_t and y, which come after x·Wxh in the same time step).
    """
    kind = ASKED.get(next_cursor.phase)
    if kind is None or stepper.t < next_cursor.t:
        return None
    t = next_cursor.t
    if kind == "y":
        out = stepper.output
        if out is None:
            return None
        return Question(next_cursor.pos, kind, b, t, None, float(out.y[b, 0]))
    record = stepper.history[t - 1]
    if not record.active[b]:
        return None  # padding: nothing new to predict
    H = stepper.weights.hidden
    entry = (t + b + next_cursor.phase) % H  # varies, and the same for everyone
    value = record.pre if kind == "pre" else record.h
    return Question(next_cursor.pos, kind, b, t, entry, float(value[b, entry]))


def parse_guess(text: str) -> float | None:
    """A finite number from what the student typed, or None.

    A decimal comma is fine, and so are the fullwidth digits and punctuation
    an East Asian input method types (``０．３``, ``－０.３``, ``0，3``): NFKC
    folds them to ASCII first.
    """
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", ".").replace("−", "-")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _decimal(x: float) -> Decimal:
    """The shortest decimal that reads back as ``x`` (0.7, not 0.69999999999999995…)."""
    return Decimal(repr(x))


def grade(q: Question, guess: float) -> Grade:
    """Points for ``guess``; the limits are compared in decimal, so 0.75 for 0.7 is within 0.05.

    In binary, 0.75 - 0.7 is 0.05000000000000004 and would miss the limit.
    """
    exact = abs(_decimal(guess) - _decimal(q.truth))
    error = float(exact)
    for limit, points, verdict in GRADES:
        if exact <= _decimal(limit):
            return Grade(guess, q.truth, error, points, verdict)
    raise AssertionError("unreachable: the last grade has no limit")
