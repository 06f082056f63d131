"""Predict, then reveal: the question and the box the guess is typed into."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from rnn_tui.teach.i18n import tr
from rnn_tui.tui.keys import follow_language
from rnn_tui.tui.textfield import TextField

#: The longest guess the box takes, in characters (a number is a few).
MAX_GUESS_CHARS = 40


class QuizBar(Vertical):
    """Shown while a question waits for a guess; Enter answers, Escape skips.

    The question and the hint are functions that render them in the current
    language: F2 renders them again.
    """

    BINDINGS = [Binding("escape", "skip", "Skip", id="quiz_skip")]

    #: Render the open question and its hint (None: no question, no hint).
    question_text: Callable[[], str] | None = None
    hint_text: Callable[[], str] | None = None

    class Guessed(Message):
        """The student pressed Enter; ``text`` is what they typed, not yet checked."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Skipped(Message):
        """The student pressed Escape: reveal without a guess."""

    def compose(self) -> ComposeResult:
        yield Static(id="quiz-question", markup=False)
        yield TextField(id="quiz-input", max_length=MAX_GUESS_CHARS, compact=True)

    def on_mount(self) -> None:
        follow_language(self, self.render_text)

    def ask(self, prompt: Callable[[], str]) -> None:
        self.question_text = prompt
        self.hint_text = None
        field = self.query_one("#quiz-input", Input)
        field.value = ""
        self.render_text()
        field.focus()

    def hint(self, text: Callable[[], str]) -> None:
        """A gentle inline message (e.g. not a number); the question stays open."""
        self.hint_text = text
        self.render_text()

    def render_text(self) -> None:
        """The question, its hint and the placeholder, in the current language."""
        self.query_one("#quiz-input", Input).placeholder = tr("quiz.placeholder")
        prompt, hint = self.question_text, self.hint_text
        if prompt is None:
            return
        text = prompt() if hint is None else f"{prompt()}  {hint()}"
        self.query_one("#quiz-question", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Guessed(event.value))

    def action_skip(self) -> None:
        self.post_message(self.Skipped())
