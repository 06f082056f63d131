"""Issue 15, the small leftovers.

- the weights editor writes y and the loss as the rest of the app does (never
  1.000 or 0.000 unless exact);
- the exports' loss line shows the ln's argument with digits enough to be true;
- the JSON trace loader counts sentences, time steps and entries from 1;
- keys that arrive together keep their order in the cases left: a binding that
  is off when its key is read (y after Enter in the export dialog), keys typed
  after Enter in the quiz box, keys in the sentence editor's table.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest
from conftest import press

from rnn_tui.core.data import load_data
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.export.trace import TraceError, load_trace, render, trace_from_stepper, trace_to_dict
from rnn_tui.teach import fmt
from rnn_tui.tui.app import RNNApp

#: 5 sentences of 1 to 6 tokens, 4 words; every label 1 (for a tiny mean loss)
DATA = "1\tred\n1\tblue red\n1\tred green blue\n1\tgold red blue green red\n" \
       "1\tblue blue red gold green red\n"


def dataset(tmp_path, text: str = DATA):
    path = tmp_path / "d.tsv"
    path.write_text(text, encoding="utf-8")
    return load_data(path)


def confident(d, by: float) -> Weights:
    """Weights whose output is sigmoid(by) for every sentence (Wy = 0)."""
    w = Weights.init(d.vocab, hidden=4, seed=2)
    w.Wy[:] = 0.0
    w.by[:] = by
    return w


# --- the weights editor: y and the loss ---------------------------------------------------
async def test_the_weights_editor_never_rounds_y_or_the_loss_to_0_or_1(tmp_path) -> None:
    d = dataset(tmp_path)
    app = RNNApp(d, confident(d, 12.0), lang="en")  # y = 0.9999939, loss = 6.1e-6
    async with app.run_test(size=(100, 30)) as pilot:
        text = await press(pilot, "w")
        assert "y  1:>0.999✓ 2:>0.999✓ 3:>0.999✓ 4:>0.999✓ 5:>0.999✓" in text
        assert "mean loss <0.001" in text
        assert "1.000" not in text.split("y  1:")[1].splitlines()[0]


# --- the loss line of the Markdown and LaTeX exports --------------------------------------
def trace_of(d, w):
    return trace_from_stepper(Stepper(w, d.X, d.lengths, d.labels, vocab=list(d.vocab)))


def test_the_loss_line_shows_digits_enough_to_be_true(tmp_path) -> None:
    d = dataset(tmp_path, DATA.replace("1\tblue red", "0\tblue red"))
    trace = trace_of(d, confident(d, 8.95))
    y = 1 / (1 + np.exp(-8.95))  # 0.99987: target 1 -> loss 0.00013; target 0 -> 8.95
    assert f"{1 - y:.2e}" == "1.30e-04"
    md = render(trace, "md", 3)
    assert "= -ln(0.99987) = 0.00013" in md
    assert "= -ln(0.00013) = 8.950" in md
    assert ">0.999)" not in md and "<0.001" not in md.split("loss =")[1]
    tex = render(trace, "tex", 3)
    assert r"= -\ln(0.99987) = 0.00013" in tex and r"= -\ln(0.00013) = 8.950" in tex


@pytest.mark.parametrize(("value", "text"), [
    (0.5, "0.500"), (0.99987, "0.99987"), (1.3e-4, "0.00013"), (8.947, "8.947"),
    (0.0, "0.000"), (1.0, "1.000"), (0.9995, "0.99950"), (1 - 1e-15, ">0.999999999999"),
    (float("inf"), "overflow"),
])
def test_enough_digits(value, text) -> None:
    assert fmt.enough(value, 3) == text


# --- the JSON trace loader counts from 1 -------------------------------------------------
@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s[1]["steps"][0].update(h=[0.1]), "sentence 2, t = 1, h: expected 4 items"),
    (lambda s: s[4]["steps"][5]["xWxh"].__setitem__(3, "x"),
     "sentence 5, t = 6, xWxh[4]: 'x' is not a number"),
    (lambda s: s[0].update(tokens=[]), "sentence 1, tokens: must be a non-empty list"),
    (lambda s: s[2]["steps"][1]["pre"].__setitem__(0, 0.5),
     "sentence 3, t = 2, pre[1]: the trace says 0.5 but recomputing gives"),
    (lambda s: s[3]["output"].update(y=0.123), "sentence 4, y: the trace says 0.123"),
])
def test_the_trace_loader_counts_from_1(tmp_path, change, message) -> None:
    d = dataset(tmp_path)
    data = trace_to_dict(trace_of(d, Weights.init(d.vocab, hidden=4, seed=5)))
    change(data["sentences"])
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TraceError) as info:
        load_trace(path)
    assert str(info.value) == f"{path}: {message}" or str(info.value).startswith(
        f"{path}: {message}"), str(info.value)


# --- keys that arrive together, written straight into a pty --------------------------------
needs_pty = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32",
                               reason="needs a pty")
RIGHT = b"\x1b[C"
BACKSPACE = b"\x7f"


def screen_after(steps, cwd):
    from tests.test_input_bursts import screen_after as run

    return run(steps, cwd)


@needs_pty
def test_a_key_whose_binding_is_off_until_enter_has_played_out(tmp_path) -> None:
    """Enter, then y (overwrite? yes) in one write: y answers, it is not typed into the name."""
    (tmp_path / "rnn-trace.md").write_text("old\n", encoding="utf-8")
    text = screen_after([b"x", b"\ry"], tmp_path)
    assert "(wrote the md trace to rnn-trace.md)" in text.splitlines()[0]
    assert sorted(os.listdir(tmp_path)) == ["rnn-trace.md"]  # not rnn-trace.mdy
    assert (tmp_path / "rnn-trace.md").read_text(encoding="utf-8").startswith("# A many-to-one")


@pytest.mark.slow  # over 9 s on 2 cores: CI's slow set
@needs_pty
def test_keys_typed_after_enter_in_the_quiz_box(tmp_path) -> None:
    """An answer, Enter, and l (go on) in one write: l asks the next question."""
    steps = [b"k", b"L", RIGHT, RIGHT, RIGHT, b"0.5\r" + b"l"]
    text = screen_after(steps, tmp_path)
    assert "quiz 0/2" in text.splitlines()[0]  # the answer counted (0 points, of 2)
    assert "Guess h₂[1] of sentence 1, after the activation." in text  # l asked the next


@pytest.mark.slow  # over 9 s on 2 cores: CI's slow set
@needs_pty
def test_a_and_a_sentence_in_one_burst_in_the_editors_table(tmp_path) -> None:
    text = screen_after([b"e", b"aas soon\t1\r"], tmp_path)
    assert "added sentence 4" in text
    assert "│  4  1      as soon  " in text


@pytest.mark.slow  # over 9 s on 2 cores: CI's slow set
@needs_pty
def test_enter_and_an_edit_in_one_burst_in_the_editors_table(tmp_path) -> None:
    text = screen_after([b"e", b"\r" + BACKSPACE * 20 + b"soon soon\t0\r"], tmp_path)
    assert "changed sentence 1" in text
    assert "│  1  0      soon soon  " in text
