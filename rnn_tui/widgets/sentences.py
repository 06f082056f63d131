"""The sentences editor (key ``e``): add, edit and remove sentences and their labels.

Each entry is checked (``edit.check_entry``) before anything changes; a bad
one is explained on the line under the form and never applied. A good one is
applied at once: ``edit.rebatch`` builds the new batch (new tokens grow the
vocabulary and Wxh) and the screen posts ``SentencesScreen.Applied`` for the
app to restart its stepper on.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from rnn_tui.data import DataError, Dataset
from rnn_tui.edit import Rebatched, check_entry, rebatch
from rnn_tui.engine import Weights

HINT_TABLE = "↑↓ choose · enter edit · a add · d remove · esc close"
HINT_FORM = "enter apply · tab next field · esc cancel"


class SentencesScreen(ModalScreen[None]):
    """A table of the batch and a two-field form (sentence, label) under it."""

    BINDINGS = [
        Binding("a", "add", "Add", show=False),
        Binding("d,delete", "remove", "Remove", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    class Applied(Message):
        """A new batch (and maybe grown weights): the app restarts its stepper on it."""

        def __init__(self, result: Rebatched) -> None:
            super().__init__()
            self.result = result

    #: The row being edited, -1 for a new sentence, None when the form is closed.
    editing: reactive[int | None] = reactive(None)

    def __init__(self, dataset: Dataset, weights: Weights, seed: int = 0) -> None:
        super().__init__()
        self.sentences = [tuple(s) for s in dataset.sentences]
        self.labels = [int(v) for v in dataset.labels]
        self.weights = weights
        self.seed = seed

    def compose(self) -> ComposeResult:
        with Vertical(id="sentences-box"):
            yield DataTable(id="sentences-table", cursor_type="row", zebra_stripes=False)
            with Horizontal(id="sentences-form"):
                yield Label("sentence ", classes="form-label")
                yield Input(id="entry-sentence", placeholder="words separated by spaces",
                            compact=True)
                yield Label(" label ", classes="form-label")
                yield Input(id="entry-label", placeholder="0/1", max_length=3, compact=True)
            yield Static(id="sentences-message")
            yield Static(HINT_TABLE, id="sentences-hint")

    def on_mount(self) -> None:
        self.query_one("#sentences-box").border_title = "sentences"
        table = self.query_one(DataTable)
        table.add_columns("#", "label", "sentence")
        self._fill()
        table.focus()

    def _fill(self, cursor: int = 0) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for i, (tokens, label) in enumerate(zip(self.sentences, self.labels, strict=True)):
            table.add_row(str(i + 1), str(label), " ".join(tokens))
        table.move_cursor(row=max(0, min(cursor, len(self.sentences) - 1)))

    def say(self, message: str, error: bool = False) -> None:
        widget = self.query_one("#sentences-message", Static)
        widget.update(Text(message, style="bold" if error else "italic"))
        widget.set_class(error, "error")

    def watch_editing(self, editing: int | None) -> None:
        self.set_class(editing is not None, "editing")
        self.query_one("#sentences-hint", Static).update(
            HINT_TABLE if editing is None else HINT_FORM
        )
        self.query_one("#sentences-box").border_title = (
            "sentences" if editing is None
            else "new sentence" if editing < 0 else f"edit sentence {editing + 1}"
        )

    # --- the table ---------------------------------------------------------------------
    def action_add(self) -> None:
        self._open_form(-1, "", "")

    @on(DataTable.RowSelected)
    def _edit_row(self, event: DataTable.RowSelected) -> None:
        i = event.cursor_row
        self._open_form(i, " ".join(self.sentences[i]), str(self.labels[i]))

    def _open_form(self, row: int, sentence: str, label: str) -> None:
        self.editing = row
        self.query_one("#entry-sentence", Input).value = sentence
        self.query_one("#entry-label", Input).value = label
        self.query_one("#entry-sentence", Input).focus()
        self.say("")

    def action_remove(self) -> None:
        if self.editing is not None:
            return
        if len(self.sentences) == 1:
            self.say("✗ the batch needs at least one sentence: nothing removed", error=True)
            return
        i = self.query_one(DataTable).cursor_row
        sentences = self.sentences[:i] + self.sentences[i + 1:]
        labels = self.labels[:i] + self.labels[i + 1:]
        if self._apply(sentences, labels, f"removed sentence {i + 1}"):
            self._fill(i)

    def action_close(self) -> None:
        if self.editing is not None:
            self._close_form()
            self.say("nothing changed")
            return
        self.dismiss(None)

    def _close_form(self) -> None:
        self.editing = None
        self.query_one(DataTable).focus()

    # --- the form ------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self) -> None:
        sentence = self.query_one("#entry-sentence", Input).value
        label = self.query_one("#entry-label", Input).value
        try:
            tokens, value = check_entry(sentence, label)
        except DataError as exc:
            self.say(f"✗ {exc}: not applied", error=True)
            return
        row = self.editing
        if row is None:
            return
        sentences, labels = list(self.sentences), list(self.labels)
        if row < 0:
            sentences.append(tokens)
            labels.append(value)
            row, done = len(sentences) - 1, f"added sentence {len(sentences)}"
        else:
            sentences[row], labels[row] = tokens, value
            done = f"changed sentence {row + 1}"
        if self._apply(sentences, labels, done):
            self._close_form()
            self._fill(row)

    def _apply(self, sentences: list[tuple[str, ...]], labels: list[int], done: str) -> bool:
        try:
            result = rebatch(sentences, labels, self.weights, self.seed)
        except DataError as exc:  # checked above; kept so no input can crash the app
            self.say(f"✗ {exc}: not applied", error=True)
            return False
        self.sentences, self.labels = sentences, labels
        self.weights = result.weights
        self.post_message(self.Applied(result))
        notice = result.notice()
        self.say(f"{done}; the stepper restarts" + (f". {notice}" if notice else ""))
        return True
