"""Predict, then reveal: questions, grading, and the quiz under Pilot."""

from __future__ import annotations

import pytest
from conftest import screen_text

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt
from rnn_tui.teach.quiz import Score, grade, parse_guess, question
from rnn_tui.tui.app import RNNApp


def lesson_stepper() -> Stepper:
    d = lesson_dataset()
    return Stepper(Weights.init(d.vocab, seed=0), d.X, d.lengths, d.labels)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.25", 0.25), (" -1.5 ", -1.5), ("+.5", 0.5), ("0,75", 0.75), ("−0.2", -0.2),
     ("abc", None), ("", None), ("nan", None), ("inf", None), ("1e400", None)],
)
def test_parse_guess(text: str, value: float | None) -> None:
    assert parse_guess(text) == value


def test_questions_ask_for_the_sum_h_and_y_from_the_engine() -> None:
    s = lesson_stepper()
    s.step()
    s.step()  # t = 2 is computed
    q = question(s, Cursor(7, 3), 0)  # t=2, sub-step 3: the sum
    assert q is not None and q.kind == "pre" and q.t == 2
    assert q.truth == s.history[1].pre[0, q.entry]
    q = question(s, Cursor(8, 3), 2)  # h_2
    assert q.kind == "h" and q.truth == s.history[1].h[2, q.entry]
    assert question(s, Cursor(5, 3), 0) is None  # x·Wxh is shown, not asked
    assert question(s, Cursor(6, 3), 0) is None  # h·Whh neither
    s.step()
    q = question(s, Cursor(13, 3), 1)  # the output
    assert q.kind == "y" and q.entry is None and q.truth == s.output.y[1, 0]


def test_grading_and_the_score() -> None:
    s = lesson_stepper()
    s.run()
    q = question(s, Cursor(13, 3), 0)
    score = Score()
    for guess, points, verdict in [(q.truth + 0.01, 2, "quiz.spot_on"),
                                   (q.truth - 0.15, 1, "quiz.close"),
                                   (q.truth + 0.9, 0, "quiz.far")]:
        g = grade(q, guess)
        assert (g.points, g.verdict) == (points, verdict)
        assert g.error == pytest.approx(abs(guess - q.truth))
        score.add(g)
    assert (score.asked, score.points, score.best) == (3, 3, 6)


async def test_quiz_under_pilot_scores_guesses_and_survives_bad_input() -> None:
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en")
    ref = lesson_stepper()
    ref.run()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k", "L", "right", "right")
        await pilot.press("right")  # asks before revealing the sum of t = 2
        await pilot.pause()
        text = screen_text(app)
        q = app.question
        assert q is not None and "Guess sum₂[" in text and app.pos == 6
        assert q.truth == ref.history[1].pre[0, q.entry]
        assert fmt.vec(ref.history[1].pre[0]) not in text  # not revealed yet

        await pilot.press("a", "b", "c", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "'abc' is not a number" in text
        assert app.question is q and app.pos == 6 and app.score.asked == 0

        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press(*f"{q.truth + 0.1:.3f}", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert app.question is None and app.pos == 7
        assert f"Close: you said {fmt.num(q.truth + 0.1)}, it is {fmt.num(q.truth)}" in text
        assert "quiz 1/2" in text
        assert f"{fmt.vec(ref.history[1].pre[0])} ◀" in text  # now revealed

        await pilot.press("right")  # asks for h_2
        await pilot.pause()
        assert app.question is not None and app.question.kind == "h"
        await pilot.press("escape")  # skip: reveal without points
        await pilot.pause()
        text = screen_text(app)
        assert "Skipped: it is" in text and app.pos == 8 and app.score.asked == 1

        await pilot.press("k")  # quiz off: no more questions
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert app.question is None and app.pos == 11
