"""The weights editor (key ``w``): pick a cell of Wxh, Whh, Bh, Wy or By and change it.

The editor holds the weights being edited and posts ``WeightsScreen.Edited``
after each change; the app rebuilds its Stepper on them (the engine
recomputes) and the screen behind repaints. The output line here is the
engine's ``Output`` for the whole batch; no widget computes a network value.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import WEIGHT_NAMES, Weights, WeightsError
from rnn_tui.teach import fmt
from rnn_tui.teach.edit import NUDGE, outputs, parse_value
from rnn_tui.teach.i18n import tr
from rnn_tui.tui.keys import (
    LANG_BINDING,
    follow_language,
    next_language,
)
from rnn_tui.tui.panels import numbers as n
from rnn_tui.tui.textfield import TextField

#: How the editor names each weight (the lesson writes the biases Bh and By).
TITLES = {"Wxh": "Wxh", "Whh": "Whh", "bh": "Bh", "Wy": "Wy", "by": "By"}
CHANGED = "*"  # marks a cell that differs from the initial weights (not by colour alone)
MAX_ROWS = 5  # rows of a matrix shown at once; the window follows the cursor


def row_names(weights: Weights, name: str) -> list[str]:
    """What each row of a weight stands for."""
    H = weights.hidden
    if name == "Wxh":
        return list(weights.vocab)
    if name in ("Whh", "Wy"):
        return [f"h{i + 1}" for i in range(H)]
    return [TITLES[name]]


def col_names(weights: Weights, name: str) -> list[str]:
    cols = getattr(weights, name).shape[1]
    return ["y"] if name in ("Wy", "by") else [f"h{j + 1}" for j in range(cols)]


def _window(index: int, count: int, size: int) -> range:
    """``size`` consecutive indices out of ``count`` that include ``index``."""
    size = min(size, count)
    start = min(max(index - size // 2, 0), count - size)
    return range(start, start + size)


#: The longest value the entry takes, in characters (a number is a few).
MAX_VALUE_CHARS = 40

class WeightGrid(Static):
    """One weight matrix with the selected cell bracketed and changed cells starred."""

    def show(self, weights: Weights, initial: Weights, name: str, row: int, col: int,
             precision: int) -> None:
        matrix = getattr(weights, name)
        before = getattr(initial, name) if getattr(initial, name).shape == matrix.shape else None
        rows, cols = row_names(weights, name), col_names(weights, name)
        cell = max(fmt.width(precision), *(len(fmt.num(v, precision)) for v in matrix.flat))
        title = f"{TITLES[name]} {fmt.shape(matrix)}"
        label = max(len(title), *(len(r) for r in rows))  # the title heads the row labels
        fit = max(1, (self.size.width or 76) - label - 18) // (cell + 2)
        shown_cols = _window(col, len(cols), fit)
        text = Text()
        text.append(title.ljust(label + 1), style="bold")
        for j in shown_cols:
            text.append(f" {cols[j]:>{cell}} ", style="dim")
        if len(shown_cols) < len(cols):
            text.append("  " + tr("wed.columns", first=shown_cols.start + 1,
                                  last=shown_cols.stop, count=len(cols)), style="dim")
        shown_rows = _window(row, len(rows), MAX_ROWS)
        for i in shown_rows:
            text.append("\n")
            text.append(f"{rows[i]:<{label}} ", style="bold" if i == row else "")
            for j in shown_cols:
                value = matrix[i, j]
                changed = before is not None and before[i, j] != value
                selected = (i, j) == (row, col)
                number = n.num(value, precision, "bold reverse" if selected else "")
                number.pad_left(cell - len(number))
                if changed:
                    number.stylize("underline")
                text.append("[" if selected else " ")
                text.append_text(number)
                text.append("]" if selected else CHANGED if changed else " ", style="bold")
            if i == shown_rows.stop - 1 and len(shown_rows) < len(rows):
                text.append("  " + tr("wed.rows", first=shown_rows.start + 1,
                                      last=shown_rows.stop, count=len(rows)), style="dim")
        self.update(text)


class WeightsScreen(ModalScreen[None]):
    """Select a cell with the arrows, tab to the next weight, +/- or enter to change it."""

    CSS_PATH = "../editors.tcss"  # loaded when first opened, not at start-up

    AUTO_FOCUS = ""  # keys go to the screen's bindings until enter opens the value field

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False, id="cell_up"),
        Binding("down", "move(1, 0)", "Down", show=False, id="cell_down"),
        Binding("left", "move(0, -1)", "Left", show=False, id="cell_left"),
        Binding("right", "move(0, 1)", "Right", show=False, id="cell_right"),
        Binding("tab", "matrix(1)", "Next weight", show=False, priority=True,
                id="next_weight"),
        Binding("shift+tab", "matrix(-1)", "Previous weight", show=False, priority=True,
                id="previous_weight"),
        Binding("plus,equals_sign", "nudge(1)", "Nudge +", show=False, id="nudge_up"),
        Binding("minus", "nudge(-1)", "Nudge -", show=False, id="nudge_down"),
        Binding("enter", "type_value", "Type a value", show=False, id="type_value"),
        Binding("r", "restore", "Restore initial", show=False, id="restore"),
        Binding("escape", "close", "Close", show=False, id="close"),
        LANG_BINDING,
    ]

    class Edited(Message):
        """The weights changed (a cell or a restore): the app recomputes on them."""

        def __init__(self, weights: Weights) -> None:
            super().__init__()
            self.weights = weights

    matrix: reactive[int] = reactive(0)
    row: reactive[int] = reactive(0)
    col: reactive[int] = reactive(0)
    typing: reactive[bool] = reactive(False)

    def __init__(self, weights: Weights, initial: Weights, dataset: Dataset,
                 activation: str = "tanh", precision: int = 3) -> None:
        super().__init__()
        self.weights = weights.copy()
        self.initial = initial
        self.dataset = dataset
        self.activation = activation
        self.precision = precision

    @property
    def name_(self) -> str:
        return WEIGHT_NAMES[self.matrix]

    def compose(self) -> ComposeResult:
        with Vertical(id="weights-box"):
            yield Static(id="weights-tabs", markup=False)
            yield WeightGrid(id="weights-grid", markup=False)
            yield Static(id="weights-cell", markup=False)
            with Horizontal(id="weights-entry"):
                yield Label(id="weights-entry-label", markup=False)
                yield TextField(id="weights-value", max_length=MAX_VALUE_CHARS, compact=True)
            yield Static(id="weights-message", markup=False)
            yield Static(id="weights-output", markup=False)
            yield Static(id="weights-hint", markup=False)

    def on_mount(self) -> None:
        follow_language(self, self._apply_lang)

    def _apply_lang(self) -> None:
        self.refresh_bindings()  # the footer reads the words again
        self.query_one("#weights-box").border_title = Content(tr("wed.title"))
        self.query_one("#weights-entry-label", Label).update(tr("wed.new_value"))
        self.query_one("#weights-value", Input).placeholder = tr("wed.placeholder")
        self.query_one("#weights-hint", Static).update(tr("wed.hint"))
        self.repaint()

    def action_next_lang(self) -> None:
        next_language(self)

    # --- state -> screen -----------------------------------------------------------
    def repaint(self) -> None:
        w, name = self.weights, self.name_
        tabs = Text()
        for i, key in enumerate(WEIGHT_NAMES):
            edited = not _same(getattr(w, key), getattr(self.initial, key))
            label = f" {TITLES[key]}{CHANGED if edited else ''} "
            tabs.append(label, style="bold reverse" if i == self.matrix else "")
            tabs.append(" ")
        tabs.append(" " + tr("wed.changed_mark", mark=CHANGED), style="dim")
        self.query_one("#weights-tabs", Static).update(tabs)
        self.query_one(WeightGrid).show(w, self.initial, name, self.row, self.col,
                                        self.precision)
        p = self.precision
        value = getattr(w, name)[self.row, self.col]
        cell = Text()
        where = f"{TITLES[name]}[{row_names(w, name)[self.row]}, {col_names(w, name)[self.col]}]"
        cell.append(f"{where} = ", style="bold")
        cell.append_text(n.num(value, p, "bold"))
        start = getattr(self.initial, name)
        if start.shape == getattr(w, name).shape and start[self.row, self.col] != value:
            cell.append("   " + tr("wed.initially", value=fmt.num(start[self.row, self.col], p)),
                        style="dim")
        self.query_one("#weights-cell", Static).update(cell)
        self.query_one("#weights-output", Static).update(self._output_line())
        self.set_class(self.typing, "typing")

    def _output_line(self) -> Text:
        """y per sentence and the mean loss: the engine's numbers for the edited weights."""
        out = outputs(self.dataset, self.weights, self.activation)
        p = self.precision
        text = Text("y ", style="bold")
        for b in range(len(out.y)):
            ok = out.target is None or int(out.prediction[b, 0]) == int(out.target[b, 0])
            # fmt.prob: never 1.000 or 0.000 unless it is (a sigmoid never reaches either)
            text.append(f" {b + 1}:{fmt.prob(out.y[b, 0], p)}{'✓' if ok else '✗'}")
        if out.mean_loss is not None:
            text.append("   " + tr("wed.mean_loss", loss=fmt.prob(out.mean_loss, p)),
                        style="bold")
        return text

    def say(self, message: str, error: bool = False) -> None:
        widget = self.query_one("#weights-message", Static)
        widget.update(Text(message, style="bold" if error else "italic"))
        widget.set_class(error, "error")

    def watch_matrix(self) -> None:
        self._clamp()

    def watch_row(self) -> None:
        self._refresh()

    def watch_col(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        if self.is_mounted:
            self.repaint()

    def _clamp(self) -> None:
        """Keep the cell inside the current weight (both indices first, then one repaint)."""
        rows, cols = getattr(self.weights, self.name_).shape
        self.set_reactive(WeightsScreen.row, min(self.row, rows - 1))
        self.set_reactive(WeightsScreen.col, min(self.col, cols - 1))
        self._refresh()

    # --- actions ---------------------------------------------------------------------
    def action_move(self, drow: int, dcol: int) -> None:
        if self.typing:
            return
        rows, cols = getattr(self.weights, self.name_).shape
        self.row = (self.row + drow) % rows
        self.col = (self.col + dcol) % cols
        self.say("")

    def action_matrix(self, delta: int) -> None:
        if self.typing:
            return
        self.matrix = (self.matrix + delta) % len(WEIGHT_NAMES)
        self.say("")

    def action_nudge(self, direction: int) -> None:
        if self.typing:
            return
        value = getattr(self.weights, self.name_)[self.row, self.col] + direction * NUDGE
        self._set(round(value, 12))

    def action_type_value(self) -> None:
        self.typing = True
        value = self.query_one("#weights-value", Input)
        value.value = ""
        value.focus()
        self.repaint()
        self.say(tr("wed.type"))

    @on(Input.Submitted, "#weights-value")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            value = parse_value(event.value)
        except ValueError as exc:
            self.say(tr("wed.not_changed", error=exc), error=True)
            return
        self._stop_typing()
        self._set(value)

    def _stop_typing(self) -> None:
        self.typing = False
        self.query_one("#weights-value", Input).value = ""
        self.set_focus(None)
        self.repaint()

    def _set(self, value: float) -> None:
        try:
            self.weights = self.weights.with_entry(self.name_, self.row, self.col, value)
        except WeightsError as exc:
            self.say(f"✗ {exc}", error=True)
            return
        self.post_message(self.Edited(self.weights.copy()))
        self.repaint()
        self.say(tr("wed.changed"))

    def action_restore(self) -> None:
        self.weights = self.initial.copy()
        self.post_message(self.Edited(self.weights.copy()))
        self._clamp()
        self.say(tr("wed.restored"))

    def action_close(self) -> None:
        if self.typing:
            self._stop_typing()
            self.say(tr("edit.nothing_changed"))
            return
        self.dismiss(None)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b))
