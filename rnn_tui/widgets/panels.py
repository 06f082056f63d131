"""The stepper's panels: one per concept of the lesson.

Each panel formats numbers the engine computed (``View.record``,
``View.output``); none computes a number of the network itself.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.table import Table
from rich.text import Text

from rnn_tui import fmt
from rnn_tui.cursor import PHASES, SUBSTEPS
from rnn_tui.widgets import numbers as n
from rnn_tui.widgets.base import Panel
from rnn_tui.widgets.view import View

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

NEW = "◀"  # marks the value revealed by the last key press
NEW_STYLE = "bold reverse"


def sub(t: int) -> str:
    """A time index as subscript digits: 12 -> '₁₂'."""
    return str(t).translate(_SUB)


def _grid(*widths: int | None) -> Table:
    table = Table.grid(padding=(0, 1))
    for w in widths:
        table.add_column(min_width=w, no_wrap=True)
    return table


def _term_grid(view: View) -> Table:
    """Two columns, the term on the left and its matrix on the right, aligned across panels."""
    W = view.stepper.weights
    left = max(26, n.vec_width(W.hidden, view.precision) + 6)
    return _grid(left, None)


def _mark(text: Text, new: bool) -> Text:
    """Mark a freshly revealed value, with a marker glyph and not by colour alone."""
    if new:
        text.stylize("bold")
        text.append(f" {NEW}", style="bold")
    return text


class StatusBar(Panel):
    """Top line: where we are, in time steps and sub-steps."""

    def key(self, view: View) -> Hashable:
        return (view.cursor, view.selected, view.version, view.stepper.message, self.app_state())

    def app_state(self) -> tuple:
        app = self.app
        return (getattr(app, "playing", False), getattr(app, "speed", 1.0),
                getattr(app, "batch_view", False), getattr(app, "weights_label", ""))

    def build(self, view: View) -> Text:
        c = view.cursor
        T = c.steps
        text = Text()
        text.append(" rnn-tui ", style="bold reverse")
        text.append(" many-to-one RNN  ")
        if c.at_output:
            where = f"t = {T}/{T}  output: z, y"
        elif c.phase == 0:
            where = f"t = 0/{T}  start: h{sub(0)} = 0"
        else:
            name = view.act if c.phase == 4 else PHASES[c.phase]
            where = f"t = {c.t}/{T}  sub-step {c.phase}/{SUBSTEPS}: {name}"
        text.append(where, style="bold")
        playing, speed, batch_view, weights = self.app_state()
        if weights:  # once there are trained weights: which set is in use
            text.append(f"  [{weights}]")
        if batch_view:
            text.append("  [batch view]")
        if playing:
            text.append(f"  ▶ playing {speed:g}/s")
        if view.stepper.message:
            text.append(f"  ({view.stepper.message})", style="italic")
        return text


class BatchPanel(Panel):
    """Every sentence with its target; the time cursor over the tokens; the selection."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version)

    def build(self, view: View) -> Text:
        s = view.stepper
        T = s.steps
        width = max((len(tok) for tok in s.vocab), default=2)
        width = max(width, 3)
        lines = Text()
        for b in range(s.batch):
            if b:
                lines.append("\n")
            selected = b == view.selected
            lines.append("▸ " if selected else "  ", style="bold" if selected else "")
            lines.append(f"{b + 1} ", style="dim")
            for t in range(1, T + 1):
                token = s.tokens_at(t)[b]
                cell = token if token is not None else "·pad"
                style = "dim italic" if token is None else ""
                if t == view.t:
                    lines.append(f"[{cell:<{width}}]", style=f"{style} bold reverse".strip())
                else:
                    lines.append(f" {cell:<{width}} ", style=style)
            if s.labels is not None:
                lines.append(f" → {int(s.labels[b])}", style="bold" if selected else "")
        return lines


class HistoryPanel(Panel):
    """h_1..h_t of the selected sentence, so one sees how h evolves."""

    def key(self, view: View) -> Hashable:
        return (view.revealed_h, view.phase == 4, view.selected, view.version, view.precision)

    def build(self, view: View) -> Text:
        count = view.revealed_h
        p = view.precision
        if count == 0:
            return Text(f"h{sub(0)} = 0: nothing remembered yet", style="dim")
        text = Text()
        for t in range(1, count + 1):
            h = view.stepper.history[t - 1].h[view.selected]
            if t > 1:
                text.append("\n")
            text.append(f"h{sub(t)} ")
            text.append_text(_mark(n.vec(h, p), t == count and view.phase == 4))
            if not view.stepper.history[t - 1].active[view.selected]:
                text.append(" pad", style="dim italic")
        return text


class InputTerm(Panel):
    """x_t and x_t·Wxh: a one-hot vector times a matrix picks a row."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, view.phase >= 1, view.phase == 1,
                view.precision)

    def build(self, view: View) -> Table:
        p = view.precision
        W = view.stepper.weights
        t = view.t
        rec = view.record
        left = Text()
        row = view.token_index()
        if rec is None:
            left.append(f"h{sub(0)} = 0: nothing remembered yet.\n")
            left.append("Press → to read the first token.")
        elif not view.active:
            left.append(f"x{sub(t)} = padding = ")
            left.append_text(n.onehot(rec.x[view.selected]))
            left.append(f"\nsentence {view.selected + 1} has ended:\n")
            left.append(f"h{sub(t)} = h{sub(t - 1)} (carried)")
        else:
            token = view.stepper.vocab[row]
            left.append(f"x{sub(t)} = {token!r} = ")
            left.append_text(n.onehot(rec.x[view.selected]))
            left.append(f"\nx{sub(t)}·Wxh {fmt.shape((1, W.vocab_size))}·{fmt.shape(W.Wxh)}"
                        f"→{fmt.shape((1, W.hidden))}\n  = ")
            left.append_text(_mark(n.vec(rec.xWxh[view.selected], p), view.phase == 1))
        right = Text()
        right.append(f"Wxh {fmt.shape(W.Wxh)}", style="bold")
        if row is not None:
            right.append(f": one-hot x picks row {row + 1}", style="italic")
        tw = max(len(tok) for tok in W.vocab)
        for i, token in enumerate(W.vocab):
            picked = i == row
            right.append("\n")
            right.append(f"{'▶' if picked else ' '} {token:<{tw}} ",
                         style="bold" if picked else "")
            right.append_text(n.vec(W.Wxh[i], p, "reverse" if picked else ""))
        grid = _term_grid(view)
        grid.add_row(left, right)
        return grid


class RecurrentTerm(Panel):
    """h_{t-1}·Whh: the memory fed back in."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, view.phase >= 2, view.phase == 2,
                view.precision)

    def build(self, view: View) -> Table:
        p = view.precision
        W = view.stepper.weights
        t = view.t
        rec = view.record
        left = Text()
        if rec is None or view.phase < 2:
            tp = max(t - 1, 0)
            left.append(f"h{sub(tp)}·Whh ")
            left.append(f"{fmt.shape((1, W.hidden))}·{fmt.shape(W.Whh)}→{fmt.shape((1, W.hidden))}")
            left.append("\n  = ")
            left.append_text(n.hidden_text(n.vec_width(W.hidden, p)))
        else:
            b = view.selected
            left.append(f"h{sub(t - 1)} = ")
            left.append_text(n.vec(rec.h_prev[b], p))
            left.append(f"\nh{sub(t - 1)}·Whh {fmt.shape((1, W.hidden))}·{fmt.shape(W.Whh)}"
                        f"→{fmt.shape((1, W.hidden))}\n  = ")
            left.append_text(_mark(n.vec(rec.hWhh[b], p), view.phase == 2))
        right = Text()
        title = f"Whh {fmt.shape(W.Whh)} "
        for i in range(W.hidden):
            if i:
                right.append("\n" + " " * len(title))
            else:
                right.append(title, style="bold")
            right.append_text(n.vec(W.Whh[i], p))
        grid = _term_grid(view)
        grid.add_row(left, right)
        return grid


class SumTerm(Panel):
    """+ Bh, the sum before tanh, and h_t = tanh(sum)."""

    def key(self, view: View) -> Hashable:
        phase = view.phase
        return (view.t, view.selected, view.version, phase >= 3, phase == 3, phase >= 4,
                view.precision)

    def build(self, view: View) -> Text:
        p = view.precision
        W = view.stepper.weights
        t = view.t
        rec = view.record
        phase = view.phase if rec is not None else 0
        b = view.selected
        H = W.hidden
        blank = n.hidden_text(n.vec_width(H, p))
        text = Text()
        bias_kind = "broadcast to " + fmt.shape((1, H)) if W.bias == "scalar" else "one per unit"
        text.append(f"+ Bh {fmt.shape(W.bh)} = ")
        text.append_text(_mark(n.vec(W.bh, p), phase == 3))
        text.append(f"  ({bias_kind})", style="dim")
        text.append(f"\nsum = x·Wxh + h·Whh + Bh {fmt.shape((1, H))} = ")
        text.append_text(_mark(n.vec(rec.pre[b], p), phase == 3) if phase >= 3 else blank)
        text.append(f"\nh{sub(t)} = {view.act}(sum) {fmt.shape((1, H))} = ")
        text.append_text(_mark(n.vec(rec.h[b], p), phase == 4) if phase >= 4 else blank)
        return text


class EquationLine(Panel):
    """h_t = tanh(x_t·Wxh + h_{t-1}·Whh + Bh), the numbers filled in as they are revealed."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, min(view.phase, 4), view.precision)

    def build(self, view: View) -> Text:
        p = view.precision
        t = view.t
        rec = view.record
        b = view.selected
        phase = view.phase if rec is not None else 0
        text = Text()
        if rec is None:
            text.append(f"h_t = {view.act}(x_t·Wxh + h_{{t-1}}·Whh + Bh)   h{sub(0)} = 0",
                        style="dim")
            return text
        if not rec.active[b]:
            text.append(f"h{sub(t)} = h{sub(t - 1)} = ")
            text.append_text(n.vec(rec.h[b], p))
            text.append("  (padding: the sentence has ended)", style="dim")
            return text
        text.append(f"h{sub(t)} = {view.act}(")
        terms = [
            (1, rec.xWxh[b], f"x{sub(t)}·Wxh"),
            (2, rec.hWhh[b], f"h{sub(t - 1)}·Whh"),
            (3, rec.bias, "Bh"),
        ]
        for i, (k, value, symbol) in enumerate(terms):
            if i:
                text.append(" + ")
            if phase >= k:
                text.append_text(n.vec(value, p))
            else:
                text.append(symbol, style="dim")
        text.append(")")
        if phase >= 4:
            text.append(" = ")
            text.append_text(n.vec(rec.h[b], p, "bold"))
        return text


class OutputPanel(Panel):
    """z = h_T·Wy + By, y = sigmoid(z), the prediction against the target, the loss."""

    def key(self, view: View) -> Hashable:
        return (view.cursor.at_output, view.selected, view.version, view.precision, view.batch)

    def build(self, view: View) -> Text:
        p = view.precision
        W = view.stepper.weights
        T = view.cursor.steps
        out = view.output
        b = view.selected
        text = Text()
        if out is None:
            text.append(f"z = h{sub(T)}·Wy + By {fmt.shape((1, W.hidden))}·{fmt.shape(W.Wy)}"
                        "+(1,1)→(1,1),  y = sigmoid(z)\n"
                        "many-to-one: one output per sentence, after its last token", style="dim")
            return text
        if view.batch:
            return self._batch(view, out)
        text.append(f"z = h{sub(int(view.stepper.lengths[b]))}·Wy + By = ")
        text.append_text(_mark(n.num(out.z[b, 0], p), True))
        text.append("   y = sigmoid(z) = ")
        text.append(f"{out.y[b, 0]:.{p}f}", style="bold")
        text.append(f"\nprediction {int(out.prediction[b, 0])}")
        if out.target is not None and out.loss is not None:
            target = int(out.target[b, 0])
            ok = int(out.prediction[b, 0]) == target
            text.append(f" · target {target} ")
            text.append("✓ right" if ok else "✗ wrong", style="bold")
            text.append(f" · loss {out.loss[b]:.{p}f} (batch mean {out.mean_loss:.{p}f})")
        return text

    def _batch(self, view: View, out) -> Text:
        """The whole batch's output: z and y as (B, 1) columns, written as rows."""
        p = view.precision
        B = view.stepper.batch
        text = Text(f"z = h_T·Wy + By {fmt.shape(out.z)} = ")
        text.append_text(n.vec(out.z, p))
        text.append("ᵀ (each sentence's own last h)")
        text.append(f"\ny = sigmoid(z) = [{' '.join(f'{v:.{p}f}' for v in out.y[:, 0])}]ᵀ")
        text.append(f"  prediction [{' '.join(str(int(v)) for v in out.prediction[:, 0])}]ᵀ")
        if out.target is not None:
            text.append(f"  target [{' '.join(str(int(v)) for v in out.target[:, 0])}]ᵀ")
            text.append(f"\nmean loss (binary cross-entropy) over {B} sentences = "
                        f"{out.mean_loss:.{p}f}")
        return text
