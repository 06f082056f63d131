"""Predict, then reveal: the question and the box the guess is typed into."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from rnn_tui.teach.i18n import tr

#: The longest guess the box takes, in characters (a number is a few).
MAX_GUESS_CHARS = 40


class QuizBar(Vertical):
    """Shown while a question waits for a guess; Enter answers, Escape skips."""

    BINDINGS = [Binding("escape", "skip", "Skip", id="quiz_skip")]

    class Guessed(Message):
        """The student pressed Enter; ``text`` is what they typed, not yet checked."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Skipped(Message):
        """The student pressed Escape: reveal without a guess."""

    def compose(self) -> ComposeResult:
        yield Static(id="quiz-question", markup=False)
        yield Input(id="quiz-input", max_length=MAX_GUESS_CHARS, compact=True)

    def ask(self, prompt: str) -> None:
        self._prompt = prompt
        self.query_one("#quiz-question", Static).update(prompt)
        field = self.query_one("#quiz-input", Input)
        field.value = ""
        field.placeholder = tr("quiz.placeholder")
        field.focus()

    def hint(self, text: str) -> None:
        """A gentle inline message (e.g. not a number); the question stays open."""
        self.query_one("#quiz-question", Static).update(f"{self._prompt}  {text}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Guessed(event.value))

    def action_skip(self) -> None:
        self.post_message(self.Skipped())
