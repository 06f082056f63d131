"""Editing without Textual: extend_vocab, with_entry, rebatch, entry checks, saving."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rnn_tui.core.data import DataError, Dataset, lesson_dataset, load_data
from rnn_tui.core.model import Weights, WeightsError, forward
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach.edit import (
    check_entry,
    data_path,
    format_data,
    outputs,
    parse_value,
    rebatch,
    save_session,
)


def test_extend_vocab_adds_seeded_rows_and_keeps_the_rest(lesson_weights: Weights) -> None:
    w = lesson_weights.extend_vocab(["later", "as", "later", "now"], seed=5)
    assert w.vocab == ["as", "soon", "later", "now"]
    assert w.Wxh.shape == (4, 3)
    np.testing.assert_array_equal(w.Wxh[:2], lesson_weights.Wxh)
    for name in ("Whh", "bh", "Wy", "by"):
        np.testing.assert_array_equal(getattr(w, name), getattr(lesson_weights, name))
    k = 1 / np.sqrt(3)
    assert np.all(np.abs(w.Wxh[2:]) <= k)
    assert not np.array_equal(w.Wxh[2], w.Wxh[3])
    # deterministic, and independent of adding the tokens together or one by one
    assert w == lesson_weights.extend_vocab(["later", "now"], seed=5)
    assert w == lesson_weights.extend_vocab(["later"], seed=5).extend_vocab(["now"], seed=5)
    assert w != lesson_weights.extend_vocab(["later", "now"], seed=6)
    # the original is untouched
    assert lesson_weights.vocab == ["as", "soon"] and lesson_weights.Wxh.shape == (2, 3)


def test_extend_vocab_with_nothing_new_is_an_equal_copy(lesson_weights: Weights) -> None:
    w = lesson_weights.extend_vocab(["soon"])
    assert w == lesson_weights and w.Wxh is not lesson_weights.Wxh


@pytest.mark.parametrize("bad", ["", "two words"])
def test_extend_vocab_refuses_non_tokens(lesson_weights: Weights, bad: str) -> None:
    with pytest.raises(WeightsError, match="not a token"):
        lesson_weights.extend_vocab([bad])


def test_with_entry_changes_one_number(lesson_weights: Weights) -> None:
    w = lesson_weights.with_entry("Whh", 1, 2, 0.5)
    assert w.Whh[1, 2] == 0.5
    diff = w.Whh != lesson_weights.Whh
    assert diff.sum() == 1
    assert lesson_weights.Whh[1, 2] != 0.5  # a copy
    assert w.with_entry("bh", 0, 0, -2).bh[0, 0] == -2.0
    with pytest.raises(WeightsError, match="no entry"):
        w.with_entry("Wy", 0, 1, 1.0)
    with pytest.raises(WeightsError, match="not a weight"):
        w.with_entry("Wq", 0, 0, 1.0)
    with pytest.raises(WeightsError, match="finite"):
        w.with_entry("by", 0, 0, float("nan"))


def test_check_entry() -> None:
    assert check_entry("  as  soon ", " 1 ") == (("as", "soon"), 1)
    with pytest.raises(DataError, match="sentence is empty"):
        check_entry("   ", "0")
    with pytest.raises(DataError, match="must be 0 or 1, not '2'"):
        check_entry("as", "2")
    with pytest.raises(DataError, match="label is empty"):
        check_entry("as", "")


def test_rebatch_grows_the_vocabulary_and_matches_forward(lesson_weights: Weights) -> None:
    sentences = [("as", "soon", "as"), ("later", "as"), ("soon",)]
    r = rebatch(sentences, [1, 0, 0], lesson_weights, seed=0)
    assert r.new_tokens == ("later",)
    assert r.dataset.vocab == ("as", "soon", "later")
    assert r.weights.vocab == ["as", "soon", "later"]
    assert "'later'" in r.notice() and "(3, 3)" in r.notice()
    out = outputs(r.dataset, r.weights)
    _, y = forward(r.weights, r.dataset.X, r.dataset.lengths)
    np.testing.assert_allclose(out.y, y)
    same = rebatch(sentences[:1], [1], lesson_weights)
    assert same.new_tokens == () and same.notice() == "" and same.weights == lesson_weights
    with pytest.raises(DataError):
        rebatch([], [], lesson_weights)


def test_parse_value() -> None:
    assert parse_value(" -0.25 ") == -0.25
    assert parse_value("−1") == -1.0  # a typographic minus
    for bad in ("", "abc", "nan", "inf"):
        with pytest.raises(ValueError):
            parse_value(bad)


def test_save_session_writes_weights_and_sentences_that_reload(tmp_path, lesson: Dataset,
                                                               lesson_weights: Weights) -> None:
    path = tmp_path / "mine.json"
    written = save_session(path, lesson_weights, lesson)
    assert written == (path, tmp_path / "mine.tsv")
    assert Weights.load(path) == lesson_weights
    again = load_data(tmp_path / "mine.tsv", lesson_weights.vocab)
    assert again.texts == lesson.texts and list(again.labels) == list(lesson.labels)
    assert data_path("x.tsv").name == "x.data.tsv"
    assert format_data(lesson).splitlines()[1] == "0\tas as soon"
    assert sorted(os.listdir(tmp_path)) == ["mine.json", "mine.tsv"]  # no temporary left
    json.loads(path.read_text())


def test_edited_weights_change_nothing_before_the_token(lesson_weights: Weights) -> None:
    """Wxh's row of 'soon' is read first at t = 3, 1, 2 in the lesson's sentences."""
    d = lesson_dataset()
    w = lesson_weights.with_entry("Wxh", 1, 0, 0.9)
    a = Stepper(lesson_weights, d.X, d.lengths, d.labels)
    b = Stepper(w, d.X, d.lengths, d.labels)
    a.run(), b.run()
    first_soon = [3, 1, 2]
    for s in range(3):
        for t in range(1, 4):
            same = np.array_equal(a.history[t - 1].h[s], b.history[t - 1].h[s])
            assert same == (t < first_soon[s]), (s, t)


def test_edit_imports_no_textual_or_rich() -> None:
    code = (
        "import sys\n"
        "import rnn_tui.teach.edit\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
