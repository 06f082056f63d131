"""The lesson's state without Textual: operations, status messages, to_dict/from_dict."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import numpy as np
import pytest

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach.edit import rebatch
from rnn_tui.teach.lesson import FORMAT, VERSION, Lesson, LessonError, Status
from rnn_tui.teach.weight_sets import TrainingOutcome

SENTENCES = ["red", "red blue", "blue green red", "green green blue red",
             "red blue green blue red", "blue blue green red green red"]
LABELS = [1, 0, 1, 0, 1, 0]


@pytest.fixture
def data() -> Dataset:
    return Dataset.from_sentences(SENTENCES, LABELS)


@pytest.fixture
def lesson(data: Dataset) -> Lesson:
    return Lesson.start(data, Weights.init(data.vocab, hidden=4, seed=7), seed=7)


def trained_weights(w: Weights) -> Weights:
    return w.with_entry("Whh", 1, 2, 0.75).with_entry("by", 0, 0, -0.5)


def busy(lesson: Lesson) -> Lesson:
    """A lesson with something in every field: trained, edited, moved, quizzed."""
    lesson.add_training(TrainingOutcome(trained_weights(lesson.weights), 12, False, 0.3, 0.8),
                        from_trained=False)
    lesson.install_weights(lesson.weights.with_entry("Wxh", 2, 3, 1.25))
    lesson.select(3)
    lesson.move(9)
    lesson.toggle_batch()
    lesson.toggle_quiz()
    lesson.backward = 5
    lesson.select_number(9)  # no sentence 9: a status message with a value
    return lesson


def numbers_at_every_position(lesson: Lesson) -> list:
    out = []
    for pos in range(lesson.cursor.last + 1):
        lesson.pos = pos
        s = lesson.stepper
        out.append((s.t, s.h.copy(), None if s.output is None else s.output.y.copy()))
    return out


def test_the_lesson_module_imports_no_ui_library() -> None:
    code = ("import sys, rnn_tui.teach.lesson; "
            "print(sorted(m for m in ('textual', 'rich', 'asyncssh') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_moving_and_the_status_message(lesson: Lesson) -> None:
    assert lesson.pos == 0 and lesson.stepper.t == 0
    assert not lesson.back() and lesson.status == Status("msg.at_start")
    assert lesson.step() and not lesson.status and lesson.stepper.t == 1
    assert lesson.to_end() and lesson.cursor.at_output
    assert not lesson.step() and lesson.status.key == "msg.at_end"
    lesson.select(1)  # same time step: the message stays
    assert lesson.status.key == "msg.at_end"
    assert lesson.back_step() and lesson.pos == 4 * lesson.steps
    assert lesson.reset() and lesson.pos == 0 and lesson.stepper.t == 0
    assert lesson.next_step() and lesson.pos == 4


def test_the_stepper_follows_the_cursor(lesson: Lesson, data: Dataset) -> None:
    ref = Stepper(lesson.weights, data.X, data.lengths, data.labels)
    ref.run()
    for pos in (7, 2, 25, 0, 13):
        lesson.pos = pos
        t = Cursor(pos, lesson.steps).t
        assert lesson.stepper.t == t
        np.testing.assert_array_equal(lesson.stepper.h, ref.history[t - 1].h if t else 0)


def test_autoplay_tick_stops_at_the_output(lesson: Lesson) -> None:
    ticks = 0
    while lesson.tick():
        ticks += 1
        assert ticks < 100
    assert ticks == lesson.cursor.last and lesson.cursor.at_output


def test_selecting(lesson: Lesson) -> None:
    assert lesson.select(-1) and lesson.selected == 5
    assert lesson.select_number(2) and lesson.selected == 1
    assert not lesson.select_number(2)
    assert not lesson.select_number(9)
    assert lesson.status == Status("msg.no_sentence", (("n", 9),))


def test_weight_sets_and_hand_edits(lesson: Lesson) -> None:
    assert not lesson.toggle_trained() and lesson.status.key == "msg.not_trained"
    initial = lesson.weights
    lesson.move(6)
    revision = lesson.revision
    new = trained_weights(initial)
    lesson.add_training(TrainingOutcome(new, 5, False, 0.1, 1.0), from_trained=False)
    assert lesson.trained and lesson.weights is new and lesson.pos == 6
    assert lesson.revision == revision + 1 and lesson.weights_label
    assert lesson.status == Status("weights.epochs", (("epochs", 5),))
    assert lesson.edited() == frozenset()
    lesson.install_weights(new.with_entry("Wy", 3, 0, 2.0))
    assert lesson.edited() == frozenset({("Wy", 3, 0)}) and not lesson.status
    assert lesson.toggle_trained() and lesson.weights is initial and not lesson.status
    assert lesson.edited() == frozenset()


def test_quiz_answers_count_and_reveal(lesson: Lesson) -> None:
    lesson.toggle_quiz()
    lesson.move(2)
    q = lesson.question()
    assert q is not None and q.kind == "pre" and q.pos == 3
    g = lesson.answer(q, q.truth)
    assert g.points == 2 and lesson.score.asked == 1 and lesson.pos == 3
    q = lesson.question()
    assert q is not None and q.kind == "h"
    lesson.skip(q)
    assert lesson.pos == 4 and lesson.score.asked == 1
    assert lesson.question() is None  # x·Wxh of the next step: nothing to guess


def test_a_new_dataset_grows_every_weight_set(lesson: Lesson) -> None:
    lesson.add_training(TrainingOutcome(trained_weights(lesson.weights), 3, False, 0.2, 1.0),
                        False)
    lesson.move(5)
    result = rebatch([["red", "purple"], ["blue"]], [1, 0], lesson.weights, lesson.seed)
    lesson.new_dataset(result)
    assert lesson.pos == 0 and lesson.batch == 2 and lesson.selected <= 1
    assert "purple" in lesson.sets.initial.vocab and "purple" in lesson.sets.trained.vocab
    assert lesson.stepper.weights.vocab == lesson.weights.vocab


def test_to_dict_is_small_json(lesson: Lesson) -> None:
    d = busy(lesson).to_dict()
    assert d["format"] == FORMAT and d["version"] == VERSION == 1
    text = json.dumps(d, allow_nan=False)
    assert len(text) < 4000
    assert d["edited"] == [["Wxh", 2, 3]]
    assert d["status"] == {"key": "msg.no_sentence", "values": {"n": 9}}
    assert not {"lang", "theme", "speed", "playing"} & set(d)


def test_round_trip_gives_the_same_numbers_everywhere(lesson: Lesson) -> None:
    busy(lesson)
    d = lesson.to_dict()
    back = Lesson.from_dict(json.loads(json.dumps(d)))
    assert back.to_dict() == d
    assert back.weights == lesson.weights and back.sets.initial == lesson.sets.initial
    assert back.sets.trained == lesson.sets.trained and back.sets.epochs == 12
    assert back.edited() == lesson.edited() == frozenset({("Wxh", 2, 3)})
    assert (back.pos, back.selected, back.batch_view, back.quiz, back.backward) == (
        9, 3, True, True, 5)
    assert back.status == lesson.status and back.trained
    for (t1, h1, y1), (t2, h2, y2) in zip(numbers_at_every_position(lesson),
                                          numbers_at_every_position(back), strict=True):
        assert t1 == t2
        np.testing.assert_array_equal(h1, h2)
        if y1 is None:
            assert y2 is None
        else:
            np.testing.assert_array_equal(y1, y2)


def test_a_fresh_lesson_round_trips(lesson: Lesson) -> None:
    d = lesson.to_dict()
    assert d["trained"] is None and d["status"] == {"key": "", "values": {}}
    assert Lesson.from_dict(d).to_dict() == d


def _bad(d: dict, path: tuple, value: object) -> dict:
    d = copy.deepcopy(d)
    target = d
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


@pytest.mark.parametrize("path, value, words", [
    (("version",), 2, "version 2"),
    (("version",), True, "version"),
    (("format",), "something", "format"),
    (("pos",), 10_000, "pos"),
    (("pos",), -1, "pos"),
    (("pos",), 2.5, "pos"),
    (("pos",), True, "pos"),
    (("selected",), 6, "selected"),
    (("selected",), KeyError, "selected: missing"),
    (("labels",), [1, 0, 1, 0, 1], "labels"),
    (("labels",), [1, 0, 1, 0, 1, 2], "label"),
    (("sentences",), "red", "sentences"),
    (("sentences",), [["red"], [3]], "sentences"),
    (("vocab",), ["red", "blue"], "lesson"),
    (("vocab",), ["blue", "red", "green"], "vocab"),
    (("activation",), "softmax", "activation"),
    (("seed",), -1, "seed"),
    (("weights", "Whh"), [[1.0]], "lesson: weights"),
    (("weights", "Wxh"), [[1.0, 2.0]], "Wxh"),
    (("initial", "vocab"), ["a", "b", "c"], "initial"),
    (("trained",), None, "use_trained"),
    (("use_trained",), 1, "use_trained"),
    (("batch_view",), "yes", "batch_view"),
    (("backward",), 999, "backward"),
    (("score", "points"), 99, "points"),
    (("score",), [], "score"),
    (("status", "key"), "no.such.key", "status"),
    (("status", "values"), {"n": [1]}, "status"),
    (("status", "values"), {"n": "x" * 500}, "status"),
    (("edited",), [["Wxh", 0, 0]], "edited"),
])
def test_bad_dicts_give_one_line_errors(lesson: Lesson, path, value, words) -> None:
    d = busy(lesson).to_dict()
    with pytest.raises(LessonError) as info:
        Lesson.from_dict(_bad(d, path, value))
    message = str(info.value)
    assert words in message and "\n" not in message and message.startswith("lesson")


@pytest.mark.parametrize("data", [None, [], "lesson", 3, {"format": FORMAT}])
def test_not_a_lesson(data) -> None:
    with pytest.raises(LessonError):
        Lesson.from_dict(data)


def test_the_engine_holds_no_ui_text(data: Dataset) -> None:
    """The status message is the lesson's (a catalogue key); the Stepper has none."""
    s = Stepper(Weights.init(data.vocab, hidden=4), data.X, data.lengths, data.labels)
    s.run()
    assert s.step() is None
    assert not hasattr(s, "message")


async def test_the_app_keeps_its_state_in_the_lesson(lesson: Lesson) -> None:
    """Keys change app.lesson; the backward view's position is followed while it is open."""
    from rnn_tui.tui.app import RNNApp

    app = RNNApp(lesson.dataset, lesson.weights, seed=lesson.seed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("right", "right", "down", "b", "k", "9")
        assert (app.lesson.pos, app.lesson.selected, app.lesson.batch_view, app.lesson.quiz) == (
            2, 1, True, True)
        assert app.lesson.status.key == "msg.no_sentence"
        await pilot.press("b", "g")
        assert app.lesson.backward == 0
        await pilot.press("right", "right", "right")
        assert app.lesson.backward == 3
        await pilot.press("escape")
        assert app.lesson.backward is None
        d = app.lesson.to_dict()
        assert Lesson.from_dict(json.loads(json.dumps(d))).to_dict() == d


def test_the_app_is_a_controller() -> None:
    """RNNApp renders the lesson and maps keys: it stays short (issue 14: under 350 lines)."""
    import rnn_tui.tui.app as app_module

    with open(app_module.__file__, encoding="utf-8") as f:
        assert len(f.readlines()) < 350


async def test_the_status_message_is_shown_in_the_current_language(lesson: Lesson) -> None:
    """The lesson keeps a catalogue key: switching language (F2) translates the message."""
    from conftest import press

    from rnn_tui.tui.app import RNNApp

    app = RNNApp(lesson.dataset, lesson.weights, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        text = await press(pilot, "end", "right")
        assert "(already at the end)" in text
        text = await press(pilot, "f2")
        assert "(이미 끝에 있음)" in text and "already at the end" not in text


ODD_VALUES = (None, True, -1, 2**70, 1e308, "x", "", [], [[]], {}, {"key": 1}, [None])


def test_any_odd_value_anywhere_is_a_lesson_error_or_a_lesson(lesson: Lesson) -> None:
    """Every key of the dict (one level into weights, score, status) set to odd values."""
    d = busy(lesson).to_dict()
    paths = [(k,) for k in d] + [(k, n) for k in ("weights", "initial", "trained", "score",
                                                 "status") for n in d[k]]
    for path in paths:
        for value in (*ODD_VALUES, KeyError):
            try:
                back = Lesson.from_dict(_bad(d, path, value))
            except LessonError as exc:
                assert "\n" not in str(exc)
            else:
                assert back.to_dict()["format"] == FORMAT
