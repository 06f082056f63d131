"""Issue 15, "wrong claims": every screen says only what is true, on data of our own.

Padded steps show "carried: h₂ = h₁" (never a sum or an activation applied);
the CLI's export follows --activation; clipping is PyTorch's; rounding never
lies about a sign, nor shows y or a loss as exactly 0 or 1; no double transpose.
"""

from __future__ import annotations

import re

import pytest
from conftest import press

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt
from rnn_tui.teach.narration import narrate, sub
from rnn_tui.tui.app import RNNApp

#: five-plus sentences of lengths 1 to 6 over three words
SENTENCES = ["a", "b c", "c a b", "a b c a", "b c a b c", "c a b c a b"]
LABELS = [1, 0, 1, 0, 1, 0]


def data() -> Dataset:
    return Dataset.from_sentences(SENTENCES, LABELS)


def weights(d: Dataset) -> Weights:
    return Weights.init(d.vocab, hidden=4, seed=7)


def reference(d: Dataset, w: Weights) -> Stepper:
    """An independent engine run, to compare the screen with."""
    s = Stepper(w.copy(), d.X, d.lengths, d.labels)
    s.run()
    return s


def false_claims(text: str, t: int) -> list[str]:
    """Lines claiming h_t = tanh(…) or a sum for a step where the selected sentence ended."""
    return [line for line in text.splitlines()
            if f"h{sub(t)} = tanh(" in line or "sum = x·Wxh" in line]


# --- 1. padded steps -----------------------------------------------------------


@pytest.mark.parametrize(("size", "batch"), [((80, 24), False), ((120, 40), False),
                                             ((120, 40), True)])
async def test_padded_steps_claim_no_sum_and_no_tanh(size, batch) -> None:
    d = data()
    w = weights(d)
    ref = reference(d, w)
    app = RNNApp(d, w.copy(), lang="en")
    B = len(SENTENCES)
    async with app.run_test(size=size) as pilot:
        if batch:
            await press(pilot, "b")
        for b in (0, 2):  # a sentence of length 1 and one of length 3
            length = int(d.lengths[b])
            await press(pilot, "home", str(b + 1))
            for t in range(1, 7):
                for phase in range(1, 5):
                    text = await press(pilot, "right")
                    assert f"t = {t}/6" in text and f"sub-step {phase}/4" in text
                    rec = ref.history[t - 1]
                    if t <= length:
                        continue
                    carried = f"carried: h{sub(t)} = h{sub(t - 1)}"
                    assert carried in text, (b, t, phase)
                    assert fmt.vec(rec.h[b]) in text  # the real numbers (narration, h history)
                    if not batch:
                        # the step box and the equation say nothing is applied
                        assert not false_claims(text, t), (b, t, phase)
                        assert f"h{sub(t)} = tanh(sum)" not in text
                    else:
                        ended = [i for i in range(B) if not rec.active[i]]
                        if phase >= 3:
                            assert text.count("·pad: no sum") == len(ended)
                        if phase == 4:
                            rows = [line for line in text.splitlines()
                                    if f"= h{sub(t - 1)} (carried)" in line]
                            assert len(rows) == len(ended)
                            for i in ended:
                                assert any(fmt.vec(rec.h[i]) in row for row in rows)
                            # the sum of an ended sentence is never shown
                            for i in ended:
                                assert fmt.vec(rec.pre[i]) not in text


async def test_padded_steps_in_korean() -> None:
    d = data()
    w = weights(d)
    ref = reference(d, w)
    app = RNNApp(d, w.copy(), lang="ko")
    async with app.run_test(size=(120, 40)) as pilot:
        text = await press(pilot, "1", "L", "L")  # sentence 1 (length 1), t = 2
        assert "그대로 전달: h₂ = h₁" in text
        assert fmt.vec(ref.history[1].h[0]) in text
        assert "h₂ = tanh(" not in text and "합 = x·Wxh" not in text
        text = await press(pilot, "b")
        assert text.count("·패딩: 합 없음") == 1
        assert "= h₁ (그대로 전달)" in text


def test_narration_of_a_padded_step_has_the_carried_numbers() -> None:
    d = data()
    w = weights(d)
    s = Stepper(w.copy(), d.X, d.lengths, d.labels)
    s.run()
    from rnn_tui.core.cursor import Cursor

    for phase in range(1, 5):
        cursor = Cursor(pos=4 * 2 + phase, steps=6)  # t = 3
        assert cursor.t == 3 and cursor.phase == phase
        text = narrate(s, cursor, 1)  # "b c" ended at t = 2
        assert "carried: h₃ = h₂ = " + fmt.vec(s.history[2].h[1]) in text
        assert "no sum and no tanh" in text


def test_text_mode_says_carried() -> None:
    from rnn_tui.teach import textmode

    d = data()
    w = weights(d)
    out = textmode.render(d, w)
    ref = reference(d, w)
    assert f"carried: h_2 = h_1 = {fmt.vec(ref.history[1].h[0])}" in out
    assert not re.search(r"past its end: h_", out)


# --- 2. rnn-tui export --activation ------------------------------------------------


def test_export_cli_follows_activation(tmp_path) -> None:
    import csv
    import io
    import json

    import numpy as np
    from conftest import run_cli

    from rnn_tui.core.model import forward

    d = data()
    lines = [f"{label}\t{text}\n" for text, label in zip(SENTENCES, LABELS, strict=True)]
    (tmp_path / "d.tsv").write_text("".join(lines), encoding="utf-8")
    w = weights(d)
    w.save(tmp_path / "w.json")
    common = ("--data", str(tmp_path / "d.tsv"), "--weights", str(tmp_path / "w.json"),
              "--activation", "relu")
    H_relu, y_relu = forward(w, d.X, d.lengths, activation="relu")
    H_tanh, _ = forward(w, d.X, d.lengths, activation="tanh")
    assert not np.allclose(H_relu, H_tanh)  # the test can tell them apart
    outputs = {}
    for f in ("json", "csv", "md"):
        result = run_cli("export", "--format", f, *common)
        assert result.returncode == 0, result.stderr
        outputs[f] = result.stdout
    trace = json.loads(outputs["json"])
    assert trace["activation"] == "relu" and "relu(" in trace["equations"]["h"]
    for b, sentence in enumerate(trace["sentences"]):
        for step in sentence["steps"]:
            assert np.array_equal(step["h"], H_relu[b, step["t"] - 1])
        assert sentence["output"]["y"] == float(y_relu[b, 0])
    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    hs = [r for r in rows if r["quantity"] == "h"]
    assert hs and all(float(r["value"]) == H_relu[int(r["sentence"]), int(r["t"]) - 1,
                                                    int(r["col"])] for r in hs)
    md = outputs["md"]
    assert "h_t = relu(" in md and "tanh" not in md
    assert fmt.vec(H_relu[0, 0]).strip("[]").split()[0] in md


# --- 3. gradient clipping as torch.nn.utils.clip_grad_norm_ ------------------------


def _torch_clip(g, max_norm: float):
    """clip_grad_norm_'s rule, written out: scale by min(max_norm / (norm + 1e-6), 1)."""
    import numpy as np

    norm = float(np.sqrt(g @ g))
    return g * min(max_norm / (norm + 1e-6), 1.0), norm


@pytest.mark.parametrize("max_norm", [5.0, 5.0 + 4e-7, 5.0 + 9e-7,  # the window
                                      4.0, 1.0,  # above: clipped
                                      5.0 + 1e-6, 6.0, 100.0])  # below: unchanged
def test_clipping_is_pytorchs(max_norm: float) -> None:
    import numpy as np

    from rnn_tui.core.optim import clip_by_global_norm

    g = np.array([3.0, 4.0])  # norm 5
    want, norm = _torch_clip(g.copy(), max_norm)
    got = g.copy()
    assert clip_by_global_norm(got, max_norm) == norm == 5.0
    np.testing.assert_array_equal(got, want)
    if norm <= max_norm < norm + 1e-6:  # the window: PyTorch scales, a little
        assert np.linalg.norm(got) < 5.0


# --- 4. rounding that does not lie -------------------------------------------------


def test_num_shows_the_values_sign() -> None:
    assert fmt.num(-0.0004) == "-0.000" and fmt.num(0.0004) == "+0.000"
    assert fmt.num(-0.04, 1) == "-0.0" and fmt.num(-0.4, 0) == "-0"
    assert fmt.num(0.0) == fmt.num(-0.0) == "+0.000"  # zero itself has no sign
    import numpy as np

    rng = np.random.default_rng(1)
    for v in np.concatenate([rng.normal(size=300) * 1e-3, rng.normal(size=300)]):
        for p in (0, 1, 3):
            assert fmt.num(v, p)[0] == ("-" if v < 0 else "+"), (v, p)


def test_colour_follows_the_values_sign() -> None:
    import numpy as np

    from rnn_tui.tui.panels import numbers as n

    small = n.vec(np.array([-0.0004, 0.0004]), 3)
    assert small.plain == "[-0.000 +0.000]"
    negative, positive = (n.style_of(-1.0), n.style_of(1.0))
    assert negative in str(small.spans[0].style) and positive in str(small.spans[1].style)
    assert negative in str(n.num(-0.0004, 3).style)


@pytest.mark.parametrize("p", [0, 1, 3, 6])
def test_prob_is_never_exactly_0_or_1_unless_it_is(p: int) -> None:
    assert fmt.prob(0.0, p) == f"{0:.{p}f}" and fmt.prob(1.0, p) == f"{1:.{p}f}"
    eps = 10.0 ** -(p + 2)
    low, high = fmt.prob(eps, p), fmt.prob(1 - eps, p)
    assert low.startswith("<") and float(low[1:]) == 10.0 ** -p
    assert high.startswith(">") and float(high[1:]) < 1
    assert fmt.prob(1 + eps, p).startswith(">")  # a loss just above 1
    assert fmt.prob(0.25, 3) == "0.250" and fmt.prob(float("nan")) == fmt.OVERFLOW


def _trained():
    from rnn_tui.core.data import lesson_dataset
    from rnn_tui.core.train import load_preset

    return lesson_dataset(), load_preset("trained")


def test_trained_y_and_loss_are_not_0_or_1_anywhere(tmp_path) -> None:
    from rnn_tui.core.model import forward
    from rnn_tui.export.trace import build_trace, render
    from rnn_tui.teach import textmode

    d, w = _trained()
    _, y = forward(w, d.X, d.lengths)
    assert all(0 < v < 1 for v in y[:, 0]) and (y > 0.999).any() and (y < 0.001).any()
    text = textmode.render(d, w)
    assert "y >0.999" in text and "y <0.001" in text and "loss <0.001" in text
    assert "y 1.000" not in text and "y 0.000" not in text and "loss 0.000" not in text
    assert "mean loss (binary cross-entropy): <0.001" in text
    trace = build_trace(d, w)
    md, tex = render(trace, "md"), render(trace, "tex")
    for out in (md, tex):
        assert ">0.999" in out and "<0.001" in out
        # no unsigned 0.000 or 1.000 (y and the loss are the unsigned numbers)
        assert not re.search(r"(?<![\d.+-])[01]\.000(?!\d)", out)
    import json

    data = json.loads(render(trace, "json"))
    assert data["sentences"][2]["output"]["y"] == float(y[2, 0])  # data: full precision
    assert repr(float(y[2, 0])) in render(trace, "csv")


async def test_trained_output_panel_says_not_1() -> None:
    d, w = _trained()
    app = RNNApp(d, w, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        text = await press(pilot, "3", "end")
        assert "y = sigmoid(z) = 1 / (1 + e^(−z)) = >0.999" in text
        assert "loss = −[target·log y + (1−target)·log(1−y)] = <0.001" in text
        assert "= 1.000" not in text and "= 0.000" not in text


async def test_gradient_view_at_one_decimal_keeps_the_sign() -> None:
    d = data()
    w = weights(d)
    app = RNNApp(d, w, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "g")
        text = await press(pilot, "minus", "minus", "minus", "end")
        trace = app.screen.trace
        small = [v for arr in (trace.dWxh, trace.dWhh, trace.dbh, trace.dWy, trace.dby)
                 for v in arr.ravel() if -0.05 < v < 0]
        assert small  # the data has a small negative gradient entry
        for arr in (trace.dWxh, trace.dWhh):
            for row in arr:
                assert fmt.vec(row, 1) in text
        assert "-0.0" in text


# --- 5. notation: one transpose ------------------------------------------------------


async def test_wy_is_transposed_once() -> None:
    d = data()
    w = weights(d)
    app = RNNApp(d, w, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        text = await press(pilot, "end")
        assert f"Wy (4,1) = {fmt.vec(w.Wy)}ᵀ" in text  # a column, written as a row
        assert "Wyᵀ (1," not in text
