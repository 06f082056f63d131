"""The same step as whole-batch matrices: the lesson's sentences stacked in parallel."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.tui.panels import numbers as n
from rnn_tui.tui.panels.base import Lines, Panel
from rnn_tui.tui.panels.stepper import grid, pad
from rnn_tui.tui.view import View


def _matrix(
    title: str,
    rows: np.ndarray | None,
    precision: int,
    count: int,
    width: int,
    onehot: bool = False,
    carried: tuple[np.ndarray, str, str] | None = None,
) -> list[Text]:
    """The title, then a line per row (grid() takes cells as lines: no splitting).

    ``carried`` is (active, text, how): the rows of sentences that have ended
    (not ``active``) are not what the title says; ``how`` "instead" writes
    ``text`` in place of the row, "after" writes it after the row's numbers.
    """
    lines = [Text(title, style="bold")]
    for i in n.shown(count):
        if i is None:
            lines.append(Text(" ⋮"))
        elif rows is None:
            lines.append(n.hidden_text(width))
        elif onehot:
            lines.append(n.onehot(rows[i]))
        elif carried is not None and not carried[0][i]:
            if carried[2] == "instead":
                lines.append(Text(pad(carried[1], width), style=n.muted()))
            else:
                line = n.vec(rows[i], precision)
                line.append(" " + carried[1], style=n.muted())
                lines.append(line)
        else:
            lines.append(n.vec(rows[i], precision))
    return lines


class BatchMatrices(Panel[View]):
    """x_t (B,V)·Wxh (V,H) = (B,H), h_{t-1} (B,H)·Whh (H,H) = (B,H), + Bh, tanh."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: the cells that stay the same through the steps (the weights, the bias),
        #: for the weights, decimals, language and colours they were made with
        self._constant: tuple[Hashable, tuple[list[Text], list[Text], Text]] | None = None

    def key(self, view: View) -> Hashable:
        return (view.t, min(view.phase, 4), view.selected, view.version, view.precision, view.lang)

    def _constant_cells(self, view: View) -> tuple[list[Text], list[Text], Text]:
        """· Wxh, · Whh and + Bh: made once, not on every sub-step (grid() copies them)."""
        key = (view.version, view.precision, view.lang, getattr(view, "theme", None),
               n.limit(), id(view.stepper.weights))
        if self._constant is None or self._constant[0] != key:
            p = view.precision
            W = view.stepper.weights
            w = n.vec_width(W.hidden, p)
            bias = Text()
            bias.append(f"+ Bh {fmt.shape(W.bh)}", style="bold")
            bias.append("\n")
            bias.append_text(n.vec(W.bh, p))
            shape = fmt.shape((view.stepper.batch, W.hidden))
            bias.append("\n" + tr("batch.broadcast", shape=shape), style=n.muted())
            self._constant = (key, (
                _matrix(f"· Wxh {fmt.shape(W.Wxh)}", W.Wxh, p, W.vocab_size, w),
                _matrix(f"· Whh {fmt.shape(W.Whh)}", W.Whh, p, W.hidden, w),
                bias,
            ))
        return self._constant[1]

    def _inputs(self, view: View, x: np.ndarray | None) -> Text:
        """x_t, one row per sentence, each labelled with its token (the selected one marked)."""
        s = view.stepper
        t = view.t
        tokens = s.tokens_at(t) if t else (None,) * s.batch
        width = max(cell_len(tok) for tok in [*s.vocab, tr("word.pad")])
        text = Text()
        text.append(f"x{sub(t)} {fmt.shape((s.batch, s.weights.vocab_size))}", style="bold")
        for b in range(s.batch):
            mark = "▸" if b == view.selected else " "
            token = tokens[b]
            label = token if token is not None else tr("word.pad")
            text.append(f"\n{mark}{b + 1} {pad(label, width)} ")
            if x is None:
                text.append_text(n.hidden_text(2 * s.weights.vocab_size + 1))
            else:
                text.append_text(n.onehot(x[b]))
        return text

    def build(self, view: View) -> Lines:
        p = view.precision
        W = view.stepper.weights
        B = view.stepper.batch
        H = W.hidden
        t = view.t
        rec = view.record
        phase = view.phase if rec is not None else 0
        w = n.vec_width(H, p)
        BH = fmt.shape((B, H))

        def shown(k: int, value: np.ndarray | None) -> np.ndarray | None:
            return value if phase >= k else None

        h_prev = rec.h_prev if rec is not None else None
        wxh, whh, bias = self._constant_cells(view)
        # sentences that have ended: no sum and no activation for them, h carried
        active = rec.active if rec is not None else np.ones(B, dtype=bool)
        ended = not bool(active.all())
        carried_h = tr("carried.h_row", h_prev=f"h{sub(max(t - 1, 0))}")
        return grid(
            [
                [
                    self._inputs(view, shown(1, rec.x) if rec else None),
                    wxh,
                    _matrix(f"= x·Wxh {BH}", shown(1, rec.xWxh) if rec else None, p, B, w),
                ],
                [
                    _matrix(
                        f"h{sub(max(t - 1, 0))} {BH}", shown(2, h_prev) if rec else None, p, B, w
                    ),
                    whh,
                    _matrix(f"= h·Whh {BH}", shown(2, rec.hWhh) if rec else None, p, B, w,
                            carried=(active, tr("carried.unused"), "after") if ended else None),
                ],
                [
                    bias,
                    _matrix(
                        f"= {tr('word.sum')} {BH}", shown(3, rec.pre) if rec else None, p, B, w,
                        carried=(active, tr("carried.sum_row"), "instead") if ended else None,
                    ),
                    _matrix(
                        f"{view.act} → h{sub(t)} {BH}", shown(4, rec.h) if rec else None, p, B, w,
                        carried=(active, carried_h, "after") if ended else None,
                    ),
                ],
            ]
        )
