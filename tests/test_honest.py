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
