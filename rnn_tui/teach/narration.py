"""Plain words for the current sub-step, with the engine's own numbers in them.

Nothing here is written per example: every sentence is a catalogue message
(``rnn_tui.teach.i18n``) filled in from the Stepper's records and output. No Textual.
"""

from __future__ import annotations

import numpy as np

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(t: int) -> str:
    """A time index as subscript digits: 12 -> '₁₂'."""
    return str(t).translate(_SUB)


def narrate(stepper: Stepper, cursor: Cursor, b: int, precision: int = 3) -> str:
    """One or two sentences explaining what the last key press revealed, for sentence b.

    ``stepper`` must already be at ``cursor.t``.
    """
    p = precision
    t, phase = cursor.t, cursor.phase
    act = stepper.activation
    if phase == 0:
        first = stepper.tokens_at(1)[b] if stepper.steps else None
        return tr("narr.start", h0=f"h{sub(0)}", token=first, n=b + 1)
    if phase == 5:
        return _narrate_output(stepper, b, p)
    rec = stepper.history[t - 1]
    if not rec.active[b]:
        # nothing is applied: no sum, no activation; h is carried unchanged
        return tr("narr.padding", n=b + 1, length=int(stepper.lengths[b]), t=t, act=act,
                  h=f"h{sub(t)}", h_prev=f"h{sub(t - 1)}", value=fmt.vec(rec.h[b], p))
    if phase == 1:
        row = int(np.argmax(rec.x[b]))
        return tr("narr.input", token=rec.tokens[b], onehot=fmt.onehot(rec.x[b]),
                  row=row + 1, x=f"x{sub(t)}", value=fmt.vec(rec.xWxh[b], p))
    if phase == 2:
        if t == 1:
            return tr("narr.recurrent_first", h0=f"h{sub(0)}", value=fmt.vec(rec.hWhh[b], p))
        return tr("narr.recurrent", h_prev=f"h{sub(t - 1)}", hv=fmt.vec(rec.h_prev[b], p),
                  value=fmt.vec(rec.hWhh[b], p), t=t)
    if phase == 3:
        key = "narr.bias_scalar" if stepper.weights.bias == "scalar" else "narr.bias_vector"
        return tr(key, bias=fmt.vec(rec.bias, p), hidden=stepper.weights.hidden,
                  sum=fmt.vec(rec.pre[b], p))
    # phase 4: the activation
    text = tr(f"narr.act_{act}", pre=fmt.vec(rec.pre[b], p), h=f"h{sub(t)}",
              value=fmt.vec(rec.h[b], p))
    if t == int(stepper.lengths[b]):
        text += " " + tr("narr.last", h=f"h{sub(t)}")
    return text


def _narrate_output(stepper: Stepper, b: int, p: int) -> str:
    out = stepper.output
    assert out is not None
    T = int(stepper.lengths[b])
    text = tr("narr.output", h=f"h{sub(T)}", z=fmt.num(out.z[b, 0], p),
              y=fmt.prob(out.y[b, 0], p), pred=int(out.prediction[b, 0]))
    if out.target is not None and out.loss is not None:
        target = int(out.target[b, 0])
        key = "narr.right" if int(out.prediction[b, 0]) == target else "narr.wrong"
        text += " " + tr(key, target=target, loss=fmt.prob(out.loss[b], p))
    return text


# --- a gated cell (GRU, LSTM: issue 21), sub-step by sub-step ----------------------
def _level(values: np.ndarray) -> str:
    """How open a σ gate is, in a word's key: its mean is near 0, near 1 or between."""
    mean = float(np.mean(values))
    return "low" if mean < 1 / 3 else "high" if mean > 2 / 3 else "mid"


def narrate_gated(stepper, cursor: Cursor, b: int, precision: int = 3) -> str:
    """What the last key revealed of a GRU's or an LSTM's step, for sentence ``b``:
    a gate's terms, then what the gate does with these numbers ("f ≈ 0.1: most of c
    is forgotten"). ``stepper`` (a ``GatedStepper``) must be at ``cursor.t``."""
    from rnn_tui.core.cursor import SUBSTEP_NAMES

    p = precision
    t, phase = cursor.t, cursor.phase
    if phase == 0:
        first = stepper.tokens_at(1)[b] if stepper.steps else None
        return tr("narr.start", h0=f"h{sub(0)}", token=first, n=b + 1)
    if cursor.at_output:
        return _narrate_output(stepper, b, p)
    rec = stepper.history[t - 1]
    s = sub(t)
    h_prev = f"h{sub(t - 1)}"
    if not rec.active[b]:
        return tr("gate.padding", n=b + 1, length=int(stepper.lengths[b]), t=t,
                  h=f"h{s}", h_prev=h_prev, value=fmt.vec(rec.h[b], p))
    step = SUBSTEP_NAMES[cursor.cell][phase - 1]
    g = step.group
    gate = rec.gates.get(g)
    if step.part == "xW":
        row = int(np.argmax(rec.x[b]))
        value = gate.xW[b] + (gate.bias[0] if g == "n" else 0)
        key = "gate.xW_n" if g == "n" else "gate.xW"
        return tr(key, token=rec.tokens[b], row=row + 1, x=f"x{s}", gate=g,
                  value=fmt.vec(value, p))
    if step.part == "hW":
        key = "gate.hW_n" if g == "n" else "gate.hW"
        value = gate.hWb[b] if g == "n" else gate.hW[b]
        return tr(key, h_prev=h_prev, gate=g, hv=fmt.vec(rec.h_prev[b], p),
                  value=fmt.vec(value, p))
    if step.part == "reset":
        return tr("gate.reset", r=fmt.vec(rec.gates["r"].value[b], p),
                  value=fmt.vec(gate.reset[b], p), t=s)
    if step.part == "sum":
        bias = "bxn" if g == "n" else f"b{g}"
        return tr("gate.sum", gate=g, bias=bias, value=fmt.vec(gate.pre[b], p))
    if step.part == "act":
        value = gate.value[b]
        what = f"gate.does.{cursor.cell}.{g}"
        if gate.activation == "sigmoid":
            what += "." + _level(value)
        mean = f"{float(np.mean(value)):.1f}"  # the gate's mean, roughly (a word's worth)
        return tr("gate.act_sigmoid" if gate.activation == "sigmoid" else "gate.act_tanh",
                  gate=f"{g}{s}", value=fmt.vec(value, p)) + " " + tr(
            what, mean=mean, c_prev=f"c{sub(t - 1)}", h_prev=h_prev, t=s)
    if step.part == "c":
        return tr("gate.c", t=s, c_prev=f"c{sub(t - 1)}",
                  forget=fmt.vec(rec.terms["forget"][b], p),
                  write=fmt.vec(rec.terms["write"][b], p), value=fmt.vec(rec.c[b], p))
    # the new h
    if cursor.cell == "gru":
        text = tr("gate.h_gru", t=s, h_prev=h_prev, new=fmt.vec(rec.terms["new"][b], p),
                  keep=fmt.vec(rec.terms["keep"][b], p), value=fmt.vec(rec.h[b], p))
    else:
        text = tr("gate.h_lstm", t=s, tanh_c=fmt.vec(rec.terms["tanh_c"][b], p),
                  value=fmt.vec(rec.h[b], p))
    if t == int(stepper.lengths[b]):
        text += " " + tr("narr.last", h=f"h{s}")
    return text
