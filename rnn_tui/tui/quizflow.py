"""Predict, then reveal, on the app's side: the open question, the quiz bar, the feedback.

The lesson (``rnn_tui.teach.lesson``) picks the question and keeps the score;
this shows the question, reads the guess and says how close it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnn_tui.teach import fmt, quiz
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.teach.quiz import Question
from rnn_tui.tui.panels.quizbar import QuizBar

if TYPE_CHECKING:
    from rnn_tui.tui.app import RNNApp


class QuizFlow:
    def __init__(self, app: RNNApp) -> None:
        self.app = app
        self.question: Question | None = None  # waiting for a guess
        self.feedback = ""  # how close the last guess was

    def toggled(self, on: bool) -> None:
        if not on:
            self.close()
        self.feedback = tr("quiz.on") if on else ""

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
        name = {"pre": f"{tr('word.sum')}{sub(q.t)}", "h": f"h{sub(q.t)}", "y": "y"}[q.kind]
        if q.entry is not None:
            name += f"[{q.entry + 1}]"
        self.app.stepper_screen.add_class("asking")
        self.app.query_one(QuizBar).ask(tr(f"quiz.ask_{q.kind}", name=name, n=q.b + 1))

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
            self.app.query_one(QuizBar).hint(tr("quiz.not_a_number", text=text.strip()))
            return False
        g = self.app.lesson.answer(q, guess)
        p = self.app.precision
        self.feedback = tr(g.verdict, guess=fmt.num(guess, p), truth=fmt.num(q.truth, p),
                           error=f"{g.error:.{p}f}", points=g.points)
        self.close()
        return True

    def skipped(self) -> bool:
        q = self.question
        if q is None:
            return False
        self.feedback = tr("quiz.skipped", truth=fmt.num(q.truth, self.app.precision))
        self.app.lesson.skip(q)
        self.close()
        return True
