"""``rnn-tui --text``: the forward pass printed step by step as plain text.

For terminals where a full-screen app can't run, for handouts, and for diffing.
``render`` is the vanilla cell's report, ``render_gated`` a GRU's or an LSTM's
(``--cell gru|lstm``): every gate's terms, c and h, then y.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from rnn_tui.core.cells import GatedStepper, GatedWeights, check_gated_overflow
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


# --- the gated cells (--cell gru|lstm) ------------------------------------------------------

_EQUATIONS = {
    "gru": (
        "  r = σ(x·Wxr + h·Whr + br)    z = σ(x·Wxz + h·Whz + bz)",
        "  n = tanh(x·Wxn + bxn + r ⊙ (h·Whn + bhn))    h' = (1 − z) ⊙ n + z ⊙ h",
    ),
    "lstm": (
        "  i = σ(x·Wxi + h·Whi + bi)    f = σ(x·Wxf + h·Whf + bf)",
        "  g = tanh(x·Wxg + h·Whg + bg)    o = σ(x·Wxo + h·Who + bo)",
        "  c' = f ⊙ c + i ⊙ g    h' = o ⊙ tanh(c')",
    ),
}


def _row(label: str, value: str) -> str:
    return f"    {label:<22} = {value}"


def gated_lines(dataset: Dataset, weights: GatedWeights, precision: int = 3) -> Iterator[str]:
    """The text-mode report of a GRU or an LSTM: every gate's terms, c, h and y.

    Raises ``OverflowedError`` (before the output's lines) when a number is not finite.
    """
    p = precision
    cell = weights.cell
    stepper = GatedStepper(weights, dataset.X, dataset.lengths, dataset.labels)
    W = weights
    B, T, V = dataset.X.shape
    yield f"rnn-tui: many-to-one {cell.upper()}, forward pass"
    yield from _EQUATIONS[cell]
    yield "  y = sigmoid(h_T·Wy + by);  σ is the sigmoid, ⊙ multiplies entry by entry"
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
    for name in W.names:
        arr = W[name]
        yield f"  {name} {fmt.shape(arr)}"
        for row in arr:
            yield f"    {fmt.vec(row, p)}"
    yield ""
    yield "h_0 = 0" + (" and c_0 = 0" if cell == "lstm" else "") + " for every sentence"
    while not stepper.done:
        r = stepper.step()
        assert r is not None
        yield ""
        yield f"--- time step t = {r.t} of {T} ---"
        for b in range(B):
            read = r.tokens[b]
            yield f"  sentence {b + 1}: token {read if read is not None else '(padding)'}"
            if not r.active[b]:
                carried = f"h_{r.t} = h_{r.t - 1} = {fmt.vec(r.h[b], p)}"
                if r.c is not None:
                    carried += f", c_{r.t} = c_{r.t - 1} = {fmt.vec(r.c[b], p)}"
                yield f"    past its end, no gate is computed; carried: {carried}"
                continue
            yield _row("x", fmt.onehot(r.x[b]))
            for gate in r.gates.values():
                g = gate.name
                act = "σ" if gate.activation == "sigmoid" else "tanh"
                if gate.hWb is not None and gate.reset is not None:  # GRU's n
                    yield _row(f"{g}: x·Wx{g} + bx{g}", fmt.vec(gate.xW[b] + gate.bias[0], p))
                    yield _row(f"   h·Wh{g} + bh{g}", fmt.vec(gate.hWb[b], p))
                    yield _row("   r ⊙ (h·Whn + bhn)", fmt.vec(gate.reset[b], p))
                else:
                    yield _row(f"{g}: x·Wx{g}", fmt.vec(gate.xW[b], p))
                    yield _row(f"   h·Wh{g}", fmt.vec(gate.hW[b], p))
                    yield _row(f"   sum (+ b{g})", fmt.vec(gate.pre[b], p))
                if gate.hWb is not None:
                    yield _row("   sum", fmt.vec(gate.pre[b], p))
                yield _row(f"   {g} = {act}(sum)", fmt.vec(gate.value[b], p))
            t, u = r.t, r.t - 1
            if cell == "gru":
                yield _row("(1 − z) ⊙ n", fmt.vec(r.terms["new"][b], p))
                yield _row(f"z ⊙ h_{u}", fmt.vec(r.terms["keep"][b], p))
            else:
                assert r.c is not None
                yield _row(f"f ⊙ c_{u}", fmt.vec(r.terms["forget"][b], p))
                yield _row("i ⊙ g", fmt.vec(r.terms["write"][b], p))
                yield _row(f"c_{t} = f ⊙ c_{u} + i ⊙ g", fmt.vec(r.c[b], p))
                yield _row(f"tanh(c_{t})", fmt.vec(r.terms["tanh_c"][b], p))
            yield _row(f"h_{t}", fmt.vec(r.h[b], p))
    check_gated_overflow(stepper)
    out = stepper.output
    assert out is not None
    yield ""
    yield f"--- output: z = h_T·Wy + by, y = sigmoid(z), {fmt.shape(out.y)} ---"
    for b in range(B):
        verdict = ""
        if out.target is not None:
            assert out.loss is not None
            ok = int(out.prediction[b, 0]) == int(out.target[b, 0])
            verdict = (f"  target {int(out.target[b, 0])}  {'right' if ok else 'wrong'}"
                       f"  loss {fmt.prob(out.loss[b], p)}")
        yield (f"  {b + 1}: {dataset.texts[b]:<24} z {fmt.num(out.z[b, 0], p)}"
               f"  y {fmt.prob(out.y[b, 0], p)}  prediction {int(out.prediction[b, 0])}{verdict}")
    if out.mean_loss is not None:
        yield f"  mean loss (binary cross-entropy): {fmt.prob(out.mean_loss, p)}"


def render_gated(dataset: Dataset, weights: GatedWeights, precision: int = 3) -> str:
    """The whole report of a gated cell, or ``OverflowedError`` (then nothing is printed)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return "\n".join(gated_lines(dataset, weights, precision)) + "\n"
