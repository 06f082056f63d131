"""Quiz rules (issue 15): decimal grading at the limits, fullwidth input, skips in the score."""

from __future__ import annotations

import json

import pytest
from conftest import screen_text

from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.teach.lesson import Lesson
from rnn_tui.teach.quiz import Question, Score, grade, parse_guess
from rnn_tui.tui.app import RNNApp

SENTENCES = ["red", "red blue", "blue green red", "green green blue red",
             "red blue green blue red", "blue blue green red green red"]
LABELS = [1, 0, 1, 0, 1, 0]


def q(truth: float) -> Question:
    return Question(pos=3, kind="pre", b=0, t=1, entry=0, truth=truth)


@pytest.mark.parametrize(("guess", "truth", "points"), [
    (0.75, 0.7, 2),  # 0.75 - 0.7 == 0.05000000000000004 in binary
    (0.65, 0.7, 2),
    (-0.65, -0.7, 2),
    (0.9, 0.7, 1),  # 0.20000000000000007 in binary
    (0.3, 0.1, 1),
    (0.751, 0.7, 1),
    (0.901, 0.7, 0),
    (1e300, -0.5, 0),
])
def test_grading_at_the_limits_is_decimal(guess: float, truth: float, points: int) -> None:
    g = grade(q(truth), guess)
    assert g.points == points
    assert g.error == pytest.approx(abs(guess - truth))


@pytest.mark.parametrize(("text", "value"), [
    ("０．３", 0.3), ("－０.３", -0.3), ("0，3", 0.3), ("－０，２５", -0.25),
    ("　０．５　", 0.5), ("＋１", 1.0), ("０．３ｘ", None), ("ｎａｎ", None),
])
def test_fullwidth_input_is_a_number(text: str, value: float | None) -> None:
    assert parse_guess(text) == value


def test_skips_count_in_the_best_score() -> None:
    s = Score()
    s.add(grade(q(0.5), 0.5))
    s.skip()
    assert (s.asked, s.skipped, s.points, s.best) == (1, 1, 2, 4)


@pytest.fixture
def lesson() -> Lesson:
    d = Dataset.from_sentences(SENTENCES, LABELS)
    return Lesson.start(d, Weights.init(d.vocab, hidden=4, seed=7), seed=7)


def test_a_lesson_counts_skips_and_keeps_them(lesson: Lesson) -> None:
    lesson.toggle_quiz()
    lesson.move(2)
    question = lesson.question()
    assert question is not None
    lesson.skip(question)
    assert (lesson.score.points, lesson.score.best) == (0, 2)
    d = lesson.to_dict()
    assert d["score"]["skipped"] == 1
    back = Lesson.from_dict(json.loads(json.dumps(d)))
    assert back.score == lesson.score
    del d["score"]["skipped"]  # a lesson saved before skips were counted
    assert Lesson.from_dict(d).score == Score(0, 0, 0)


async def test_the_status_line_counts_a_skip() -> None:
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k", "L", "right", "right")
        await pilot.press("right")  # asks before revealing the sum of t = 2
        await pilot.pause()
        assert app.question is not None
        await pilot.press("escape")
        await pilot.pause()
        assert app.question is None
        assert "quiz 0/2" in screen_text(app)


async def test_f2_renders_the_open_question_its_error_and_the_feedback_again() -> None:
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("k", "L", "right", "right", "right")
        await pilot.pause()
        assert app.question is not None
        await pilot.press("a", "b", "c", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Guess sum₂[" in text and "'abc' is not a number" in text
        assert "a number, e.g. -0.25" not in text  # typed text hides the placeholder
        await pilot.press("f2")
        await pilot.pause()
        text = screen_text(app)
        assert app.lang == "ko" and app.question is not None
        assert "합₂[" in text and "(활성화 전) 을 맞혀 보자" in text
        assert "'abc' 은 숫자가 아니다" in text
        assert "Guess" not in text and "is not a number" not in text
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press("escape")  # skip: the feedback, in Korean
        await pilot.pause()
        assert "건너뜀: 정답은" in screen_text(app)
        await pilot.press("f2")
        await pilot.pause()
        text = screen_text(app)
        assert app.lang == "en" and "Skipped: it is" in text and "건너뜀" not in text
