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
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from rnn_tui.core.data import DataError, Dataset
from rnn_tui.core.model import Weights
from rnn_tui.teach import fmt
from rnn_tui.teach.edit import Rebatched, check_entry, rebatch
from rnn_tui.teach.i18n import tr
from rnn_tui.tui.keys import (
    LANG_BINDING,
    follow_language,
    next_language,
)
from rnn_tui.tui.textfield import KeepsKeyOrder, TextField

#: The longest sentence the form takes, in characters (a flood of keys stops here).
MAX_SENTENCE_CHARS = 2000


def vocabulary_notice(result: Rebatched) -> tuple[str, dict[str, str]]:
    """The status line's message (a catalogue key and its values) for new tokens: short,
    as it shares one line with t (the editor's own message line says it in full)."""
    tokens = result.new_tokens
    words = ", ".join(repr(fmt.clip(t, 12)) for t in tokens[:3])
    if len(tokens) > 3:
        words += ", …"
    key = "notice.new_tokens" if len(tokens) > 1 else "notice.new_token"
    return key, {"words": words, "size": str(result.weights.vocab_size),
                 "shape": str(result.weights.Wxh.shape)}


class SentenceTable(KeepsKeyOrder, DataTable):
    """The editor's table: keys that arrive together keep their order (``a`` and a
    sentence typed in one burst: the sentence goes into the form ``a`` opens)."""


class SentencesScreen(ModalScreen[None]):
    """A table of the batch and a two-field form (sentence, label) under it."""

    CSS_PATH = "../editors.tcss"  # loaded when first opened, not at start-up

    BINDINGS = [
        Binding("a", "add", "Add", show=False, id="add"),
        Binding("d,delete", "remove", "Remove", show=False, id="remove"),
        Binding("escape", "close", "Close", show=False, id="close"),
        LANG_BINDING,
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
            yield SentenceTable(id="sentences-table", cursor_type="row", zebra_stripes=False)
            with Horizontal(id="sentences-form"):
                yield Label(id="label-sentence", classes="form-label", markup=False)
                yield TextField(id="entry-sentence", max_length=MAX_SENTENCE_CHARS, compact=True)
                yield Label(id="label-label", classes="form-label", markup=False)
                yield TextField(id="entry-label", placeholder="0/1", max_length=3, compact=True)
            yield Static(id="sentences-message", markup=False)
            yield Static(id="sentences-hint", markup=False)

    def on_mount(self) -> None:
        follow_language(self, self._apply_lang)
        self.query_one(DataTable).focus()

    def _apply_lang(self) -> None:
        """Labels, the table's header, the hint and the title in the current language."""
        self.refresh_bindings()  # the footer reads the words again
        self.query_one("#label-sentence", Label).update(tr("sent.field_sentence"))
        self.query_one("#label-label", Label).update(tr("sent.field_label"))
        self.query_one("#entry-sentence", Input).placeholder = tr("sent.placeholder")
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_columns("#", tr("sent.col_label"), tr("sent.col_sentence"))
        self._fill(cursor)
        self.watch_editing(self.editing)

    def action_next_lang(self) -> None:
        next_language(self)

    def _fill(self, cursor: int = 0) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for i, (tokens, label) in enumerate(zip(self.sentences, self.labels, strict=True)):
            # Text: a str cell would be parsed as markup, and tokens are the user's text
            table.add_row(str(i + 1), str(label), Text(" ".join(tokens)))
        table.move_cursor(row=max(0, min(cursor, len(self.sentences) - 1)))

    def say(self, message: str, error: bool = False) -> None:
        widget = self.query_one("#sentences-message", Static)
        widget.update(Text(message, style="bold" if error else "italic"))
        widget.set_class(error, "error")

    def watch_editing(self, editing: int | None) -> None:
        self.set_class(editing is not None, "editing")
        self.query_one("#sentences-hint", Static).update(
            tr("sent.hint_table" if editing is None else "sent.hint_form")
        )
        self.query_one("#sentences-box").border_title = Content(
            tr("sent.title") if editing is None
            else tr("sent.title_new") if editing < 0
            else tr("sent.title_edit", n=editing + 1)
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
            self.say(tr("sent.keep_one"), error=True)
            return
        i = self.query_one(DataTable).cursor_row
        sentences = self.sentences[:i] + self.sentences[i + 1:]
        labels = self.labels[:i] + self.labels[i + 1:]
        if self._apply(sentences, labels, tr("sent.removed", n=i + 1)):
            self._fill(i)

    def action_close(self) -> None:
        if self.editing is not None:
            self._close_form()
            self.say(tr("edit.nothing_changed"))
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
            self.say(tr("sent.not_applied", error=exc), error=True)
            return
        row = self.editing
        if row is None:
            return
        sentences, labels = list(self.sentences), list(self.labels)
        if row < 0:
            sentences.append(tokens)
            labels.append(value)
            row, done = len(sentences) - 1, tr("sent.added", n=len(sentences))
        else:
            sentences[row], labels[row] = tokens, value
            done = tr("sent.changed", n=row + 1)
        if self._apply(sentences, labels, done):
            self._close_form()
            self._fill(row)

    def _apply(self, sentences: list[tuple[str, ...]], labels: list[int], done: str) -> bool:
        try:
            result = rebatch(sentences, labels, self.weights, self.seed)
        except DataError as exc:  # checked above; kept so no input can crash the app
            self.say(tr("sent.not_applied", error=exc), error=True)
            return False
        self.sentences, self.labels = sentences, labels
        self.weights = result.weights
        self.post_message(self.Applied(result))
        notice = result.notice()
        self.say(tr("sent.applied_notice", done=done, notice=notice) if notice
                 else tr("sent.applied", done=done))
        return True
