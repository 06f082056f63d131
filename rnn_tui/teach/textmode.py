"""``rnn-tui --text``: the forward pass printed step by step as plain text.

For terminals where a full-screen app can't run, for handouts, and for diffing.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import WEIGHT_NAMES, Weights
from rnn_tui.core.stepper import Stepper, check_overflow
from rnn_tui.teach import fmt


def lines(
    dataset: Dataset, weights: Weights, precision: int = 3, activation: str = "tanh"
) -> Iterator[str]:
    """The lines of the text-mode report.

    Raises ``engine.OverflowedError`` (before the output's lines) when a number
    is infinite or NaN: the weights are too large, and the numbers mean nothing.
    """
    p = precision
    stepper = Stepper(weights, dataset.X, dataset.lengths, dataset.labels,
                      activation=activation)
    W = weights
    B, T, V = dataset.X.shape
    H = W.hidden
    yield "rnn-tui: many-to-one RNN, forward pass"
    yield f"  h_t = {activation}(x_t·Wxh + h_{{t-1}}·Whh + Bh),  y = sigmoid(h_T·Wy + By)"
    yield "  sentences and time steps are counted from 1, as on the screen"
    yield ""
    yield f"vocabulary (one-hot, first-seen order): {len(W.vocab)} tokens"
    for i, token in enumerate(W.vocab):
        row = ["0"] * len(W.vocab)
        row[i] = "1"
        yield f"  {token:<12} [{' '.join(row)}]"
    yield ""
    yield f"batch X {fmt.shape(dataset.X)} = (batch, time steps, features)"
    for b, text in enumerate(dataset.texts):
        yield f"  {b + 1}: {text:<30} target {int(dataset.labels[b])}   length {dataset.lengths[b]}"
    yield ""
    yield "weights"
    for name in WEIGHT_NAMES:
        arr = getattr(W, name)
        yield f"  {name} {fmt.shape(arr)}"
        for row in arr:
            yield f"    {fmt.vec(row, p)}"
    yield ""
    yield "h_0 = 0 for every sentence"
    while not stepper.done:
        r = stepper.step()
        assert r is not None
        yield ""
        yield f"--- time step t = {r.t} of {T} ---"
        yield (
            f"  x_{r.t}{fmt.shape((B, V))}·Wxh{fmt.shape(W.Wxh)}"
            f" + h_{r.t - 1}{fmt.shape((B, H))}·Whh{fmt.shape(W.Whh)}"
            f" + Bh{fmt.shape(W.bh)} -> {fmt.shape(r.pre)}"
        )
        for b in range(B):
            read = r.tokens[b]
            yield f"  sentence {b + 1}: token {read if read is not None else '(padding)'}"
            if not r.active[b]:
                # nothing is applied past the end: no sum, no activation
                yield (f"    past its end, no sum and no {activation};"
                       f" carried: h_{r.t} = h_{r.t - 1} = {fmt.vec(r.h[b], p)}")
                continue
            yield f"    x        = {fmt.onehot(r.x[b])}"
            yield f"    x·Wxh    = {fmt.vec(r.xWxh[b], p)}"
            yield f"    h·Whh    = {fmt.vec(r.hWhh[b], p)}"
            yield f"    Bh       = {fmt.vec(r.bias, p)}"
            yield f"    sum      = {fmt.vec(r.pre[b], p)}"
            yield f"    {activation:<8} = {fmt.vec(r.h[b], p)}   (h_{r.t})"
    check_overflow(stepper)
    out = stepper.output
    assert out is not None
    yield ""
    yield f"--- output: z = h_T·Wy + By, y = sigmoid(z), {fmt.shape(out.y)} ---"
    for b in range(B):
        verdict = ""
        if out.target is not None:
            assert out.loss is not None  # computed with the target
            ok = int(out.prediction[b, 0]) == int(out.target[b, 0])
            verdict = (
                f"  target {int(out.target[b, 0])}  {'right' if ok else 'wrong'}"
                f"  loss {fmt.prob(out.loss[b], p)}"
            )
        yield (
            f"  {b + 1}: {dataset.texts[b]:<24} z {fmt.num(out.z[b, 0], p)}"
            f"  y {fmt.prob(out.y[b, 0], p)}  prediction {int(out.prediction[b, 0])}{verdict}"
        )
    if out.mean_loss is not None:
        yield f"  mean loss (binary cross-entropy): {fmt.prob(out.mean_loss, p)}"


def render(
    dataset: Dataset, weights: Weights, precision: int = 3, activation: str = "tanh"
) -> str:
    """The whole report, or ``engine.OverflowedError`` (then nothing is printed)."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported, not warned
        return "\n".join(lines(dataset, weights, precision, activation)) + "\n"
