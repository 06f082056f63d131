"""Key ``m``: the memory view (issue 21). How much h_T depends on each token of the
selected sentence, ‖∂h_T/∂x_t‖ (``rnn_tui.core.cells.memory``), as bars, for the
lesson's cell: on a long sentence (examples/long.tsv) the vanilla cell's bars
for the early tokens vanish, an LSTM's (examples/long-lstm.json) do not.

↑↓ choose the sentence; ``m`` or esc closes. The numbers are the engine's; the
bars are scaled to the sentence's largest.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from rnn_tui.core.cells import memory
from rnn_tui.core.data import printable
from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.lesson import Lesson
from rnn_tui.tui.keys import LANG_BINDING, follow_language, next_language
from rnn_tui.tui.panels import numbers

#: Eighths of a cell, for a bar's last cell.
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, top: float, width: int) -> str:
    """``value`` of ``top`` as a bar of at most ``width`` cells (to an eighth of a cell)."""
    if top <= 0 or not np.isfinite(value) or width <= 0:
        return ""
    eighths = int(round(max(0.0, min(value / top, 1.0)) * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def memory_lines(lesson: Lesson, width: int, rows: int, precision: int = 3) -> list[Text]:
    """The view's lines for the selected sentence, at most ``rows`` of them and ``width``
    cells each: a line per token (the first ones and the last ones where they do not all
    fit, "⋮ n more" between), then the first token's bar over the last one's."""
    d = lesson.dataset
    b = lesson.selected
    length = int(d.lengths[b])
    head = Text(tr("memory.sentence", n=b + 1, text=printable(d.texts[b], 200),
                   cell=lesson.cell, T=length), style="bold")
    lines = [head]
    if length == 0:
        return [*lines, Text(tr("memory.none"))]
    with np.errstate(over="ignore", invalid="ignore"):
        values = memory(lesson.weights, d.X[b, :length], lesson.activation)
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    tokens = d.sentences[b]
    token_width = min(max(cell_len(t) for t in tokens), 12)
    digits = len(str(length))
    number_width = max(len(fmt.num(float(v), precision)) for v in values)
    bar_width = max(1, width - (digits + 1 + token_width + 2 + number_width + 1))
    room = max(1, rows - 2)  # the head and the ratio
    shown = list(range(length))
    if length > room:  # the first tokens and the last ones: where the memory is, or is not
        first = (room - 1) // 2
        last = room - 1 - first
        shown = [*range(first), -1, *range(length - last, length)]
    for t in shown:
        if t < 0:
            lines.append(Text(tr("fit.more_below", n=length - (room - 1)).replace("▾", "⋮"),
                              style=numbers.muted()))
            continue
        line = Text(f"{t + 1:>{digits}} ", style=numbers.muted())
        word = tokens[t]
        if cell_len(word) > token_width:
            word = word[:token_width - 1] + "…"
        line.append(word + " " * max(0, token_width - cell_len(word)) + "  ")
        line.append(bar(float(values[t]), top, bar_width).ljust(bar_width), style="bold")
        line.append(" " + fmt.num(float(values[t]), precision))
        lines.append(line)
    ratio = values[0] / values[-1] if values[-1] else float("inf")
    lines.append(Text(tr("memory.first_last", ratio=f"{ratio:.2g}"), style="italic"))
    for line in lines:
        line.truncate(width, overflow="ellipsis")
    return lines[:rows]


class MemoryScreen(ModalScreen[None]):
    """The bars of ‖∂h_T/∂x_t‖ for the selected sentence; ↑↓ another sentence."""

    BINDINGS = [
        Binding("m,escape", "close", "Close", id="close"),
        Binding("up", "select(-1)", "Sentence", key_display="↑↓", id="up"),
        Binding("down", "select(1)", "Next sentence", show=False, id="down"),
        LANG_BINDING,
    ]

    def __init__(self, lesson: Lesson, precision: int = 3) -> None:
        super().__init__()
        self.lesson = lesson
        self.precision = precision

    def compose(self) -> ComposeResult:
        with Vertical(id="memory-box"):
            yield Static(id="memory-bars", markup=False)
            yield Static(id="memory-hint", markup=False)

    def on_mount(self) -> None:
        follow_language(self, self.draw)

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        self.query_one("#memory-box").border_title = Content(tr("memory.title"))
        self.query_one("#memory-hint", Static).update(
            Text(tr("memory.hint"), style=numbers.muted()))
        width, height = self.app.size
        rows = max(3, height - 3)  # the box's borders and the hint
        lines = memory_lines(self.lesson, max(20, min(width, 80) - 4), rows, self.precision)
        self.query_one("#memory-bars", Static).update(Text("\n").join(lines))

    def action_select(self, delta: int) -> None:
        self.lesson.select(delta)
        self.draw()

    def action_next_lang(self) -> None:
        next_language(self)

    def action_close(self) -> None:
        self.dismiss(None)
        refresh = getattr(self.app, "refresh_view", None)
        if callable(refresh):
            refresh()  # the selection may have changed
