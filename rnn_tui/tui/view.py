"""The snapshot of app state that widgets render from (no Textual here), and how it
is built from the lesson and the app's presentation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.stepper import Output, Stepper, StepRecord
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.lesson import Lesson


@dataclass(frozen=True)
class View:
    """What the screen should show now. Widgets read it; they never compute numbers."""

    stepper: Stepper  # already moved to ``cursor.t``
    cursor: Cursor
    selected: int
    precision: int
    texts: tuple[str, ...]  # the sentences as text
    version: int = 0  # bumped whenever the stepper is replaced (new weights or data)
    batch: bool = False  # the batch view: whole-batch matrices instead of one sentence
    playing: bool = False  # autoplay on
    speed: float = 2.0  # autoplay sub-steps per second
    lang: str = "en"  # the message catalogue in use (panels repaint when it changes)
    theme: str = "default"  # rnn_tui.tui.themes.THEMES (panels repaint when it changes)
    mode: str = ""  # extra words for the status bar (e.g. which weights are in use)
    feedback: str = ""  # quiz: how close the last guess was
    edited: frozenset = frozenset()  # (weight name, row, col) changed by hand
    message: str = ""  # the lesson's status message, in the current language

    def marked(self, name: str, row: int) -> frozenset[int]:
        """Columns of ``name``'s row ``row`` that were edited by hand."""
        return frozenset(c for n_, r, c in self.edited if n_ == name and r == row)

    @property
    def act(self) -> str:
        """The hidden activation's name: tanh in the lesson, relu or sigmoid to compare."""
        return self.stepper.activation

    @property
    def t(self) -> int:
        return self.cursor.t

    @property
    def phase(self) -> int:
        return self.cursor.phase

    @property
    def record(self) -> StepRecord | None:
        """The time step being revealed, or None at the start."""
        return self.stepper.history[-1] if self.stepper.history else None

    @property
    def revealed_h(self) -> int:
        """How many of h_1..h_t are on screen (h_t appears at the tanh sub-step)."""
        return self.t if self.phase >= 4 else max(self.t - 1, 0)

    @property
    def output(self) -> Output | None:
        return self.stepper.output if self.cursor.at_output else None

    @property
    def active(self) -> bool:
        """Whether the selected sentence reads a token at t (False past its end)."""
        rec = self.record
        return bool(rec is not None and rec.active[self.selected])

    def token_index(self) -> int | None:
        """Which row of Wxh the selected sentence's one-hot picks at t, if any."""
        rec = self.record
        if rec is None or not rec.active[self.selected]:
            return None
        return int(np.argmax(rec.x[self.selected]))


def lesson_view(lesson: Lesson, *, precision: int, feedback: str = "", playing: bool = False,
                speed: float = 2.0, lang: str = "en", theme: str = "default") -> View:
    """The View of ``lesson`` with the app's presentation (the stepper moved to the cursor)."""
    status = lesson.status
    return View(
        stepper=lesson.stepper,
        cursor=lesson.cursor,
        selected=lesson.selected,
        precision=precision,
        texts=tuple(lesson.dataset.texts),
        version=lesson.revision,
        batch=lesson.batch_view,
        playing=playing,
        speed=speed,
        lang=lang,
        theme=theme,
        mode=mode_text(lesson),
        feedback=feedback,
        edited=lesson.edited(),
        message=tr(status.key, **dict(status.values)) if status else "",
    )


def mode_text(lesson: Lesson) -> str:
    """Extra words for the status bar: the activation, the weight set, the quiz score."""
    parts = []
    if lesson.activation != "tanh":  # the lesson's is tanh: say when it is another
        parts.append(f"[{lesson.activation}]")
    if lesson.weights_label:  # once there are trained weights: which set is in use
        parts.append(f"[{lesson.weights_label}]")
    if lesson.quiz:
        parts.append(tr("status.quiz", points=lesson.score.points, best=lesson.score.best))
    return "  ".join(parts)
