"""The snapshot of app state that widgets render from (no Textual here), and how it
is built from the lesson and the app's presentation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.stepper import Output, Stepper, StepRecord
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.lesson import Lesson

#: The room of a part when the terminal's size is not known (no limit).
UNBOUNDED = 10_000


@dataclass(frozen=True)
class View:
    """What the screen should show now. Widgets read it; they never compute numbers."""

    # already moved to ``cursor.t``. A gated lesson's View holds a GatedStepper: the
    # panels mounted for its cell (layout.compose) read it so (panels/gates.py: gated).
    stepper: Stepper
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
    size: tuple[int, int] = (0, 0)  # the terminal (columns, rows); (0, 0): no limit
    quiz: bool = False  # quiz mode: the narration takes a line more
    diagram: bool = False  # the network diagram is under #top (its rows are off size)

    # --- the room each part of the screen has (see rnn_tui.tui.layout) ------------
    # Layout arithmetic only, from the terminal's size: app.tcss gives the status
    # and key bars a line each, the narration 4 lines (5 in quiz mode), the batch
    # strip and the history (#top) their lines and borders, the middle rows the rest
    # (#step, #batch-matrices, #output: #main's children between #top and the narration).

    def strip_rows(self) -> int:
        """Lines the batch strip and the history may take (a window of them beyond)."""
        height = self.size[1]
        return max(4, min(9, height - 18)) if height else UNBOUNDED

    def top_height(self) -> int:
        """Rows of #top (the batch strip and the history, borders included)."""
        if self.batch:
            return 0
        s = self.stepper
        return min(max(s.batch, s.steps), self.strip_rows()) + 2

    def middle_rows(self) -> int:
        """The middle rows: the step box, the batch view or the output."""
        height = self.size[1]
        if not height:
            return UNBOUNDED
        return height - 2 - (5 if self.quiz else 4) - self.top_height()

    def middle_width(self) -> int:
        """Columns inside a middle panel (its border and padding taken off)."""
        width = self.size[0]
        return width - 4 if width else UNBOUNDED

    def top_width(self) -> int:
        """Columns inside the batch strip or the history (half the width each)."""
        width = self.size[0]
        return width // 2 - 4 if width else UNBOUNDED

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
        """How many of h_1..h_t are on screen (h_t appears at the tanh sub-step; a gated
        cell's at its last sub-step, h')."""
        return self.t if self.phase >= self.cursor.per_step else max(self.t - 1, 0)

    @property
    def cell(self) -> str:
        """The cell stepped: "rnn" (the lesson's), "gru" or "lstm"."""
        return self.cursor.cell

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
                speed: float = 2.0, lang: str = "en", theme: str = "default",
                size: tuple[int, int] = (0, 0)) -> View:
    """The View of ``lesson`` with the app's presentation (the stepper moved to the cursor)."""
    status = lesson.status
    return View(
        # typed as the vanilla cell's panels (mounted only for an rnn lesson) read it;
        # the gate panels take it back as a GatedStepper (panels/gates.py: gated)
        stepper=cast(Stepper, lesson.stepper),
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
        size=(int(size[0]), int(size[1])),
        quiz=lesson.quiz,
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
