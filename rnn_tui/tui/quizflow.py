"""Predict, then reveal, on the app's side: the open question, the quiz bar, the feedback.

The lesson (``rnn_tui.teach.lesson``) picks the question and keeps the score;
this shows the question, reads the guess and says how close it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rnn_tui.teach import fmt, quiz
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.teach.quiz import Question
from rnn_tui.tui.panels.quizbar import QuizBar

if TYPE_CHECKING:
    from rnn_tui.tui.app import RNNApp


class QuizFlow:
    """The open question and the last feedback, kept as catalogue keys and values.

    Every text is rendered when it is shown, so F2 re-renders the question, its
    hint, its error and the feedback in the new language.
    """

    def __init__(self, app: RNNApp) -> None:
        self.app = app
        self.question: Question | None = None  # waiting for a guess
        self._feedback: tuple[str, dict[str, Any]] | None = None  # how close the last guess was

    @property
    def feedback(self) -> str:
        if self._feedback is None:
            return ""
        key, values = self._feedback
        return tr(key, **values)

    def toggled(self, on: bool) -> None:
        if not on:
            self.close()
        self._feedback = ("quiz.on", {}) if on else None

    def ask(self) -> bool:
        """Ask for a guess before the next sub-step; False if it reveals nothing to guess."""
        q = self.app.lesson.question()
        if q is None:
            return False
        self.question = q
        app = self.app
        if not app.query(QuizBar):  # mounted the first time a question is asked
            app.query_one("#main").mount(QuizBar(id="quiz"))
            app.call_after_refresh(self._show, q)
        else:
            self._show(q)
        return True

    def _show(self, q: Question) -> None:
        self.app.stepper_screen.add_class("asking")
        self.app.query_one(QuizBar).ask(lambda: prompt(q))

    def close(self) -> None:
        self.question = None
        self.app.stepper_screen.remove_class("asking")
        self.app.set_focus(None)

    def guessed(self, text: str) -> bool:
        """A typed guess: graded and revealed (True), or a hint if it is not a number."""
        q = self.question
        if q is None:
            return False
        guess = quiz.parse_guess(text)
        if guess is None:
            typed = text.strip()
            self.app.query_one(QuizBar).hint(lambda: tr("quiz.not_a_number", text=typed))
            return False
        g = self.app.lesson.answer(q, guess)
        p = self.app.precision
        self._feedback = (g.verdict, dict(guess=fmt.num(guess, p), truth=fmt.num(q.truth, p),
                                          error=f"{g.error:.{p}f}", points=g.points))
        self.close()
        return True

    def skipped(self) -> bool:
        q = self.question
        if q is None:
            return False
        self._feedback = ("quiz.skipped", {"truth": fmt.num(q.truth, self.app.precision)})
        self.app.lesson.skip(q)
        self.close()
        return True


def prompt(q: Question) -> str:
    """The question, in the current language."""
    name = {"pre": f"{tr('word.sum')}{sub(q.t)}", "h": f"h{sub(q.t)}", "y": "y"}[q.kind]
    if q.entry is not None:
        name += f"[{q.entry + 1}]"
    return tr(f"quiz.ask_{q.kind}", name=name, n=q.b + 1)
