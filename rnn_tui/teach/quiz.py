"""Predict, then reveal: questions about the next value, and how close a guess was.

Plain Python (no Textual). The true values come from the Stepper; this module
only picks which value to ask about and compares a guess with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    asked: int = 0
    points: int = 0

    @property
    def best(self) -> int:
        return 2 * self.asked

    def add(self, grade: Grade) -> None:
        self.asked += 1
        self.points += grade.points


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
    """A finite number from what the student typed (a decimal comma is fine), or None."""
    cleaned = text.strip().replace(",", ".").replace("−", "-")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def grade(q: Question, guess: float) -> Grade:
    error = abs(guess - q.truth)
    for limit, points, verdict in GRADES:
        if error <= limit:
            return Grade(guess, q.truth, error, points, verdict)
    raise AssertionError("unreachable: the last grade has no limit")
