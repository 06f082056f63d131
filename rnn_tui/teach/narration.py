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
