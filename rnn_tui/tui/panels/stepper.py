"""The stepper's panels: one per concept of the lesson.

Each panel formats numbers the engine computed (``View.record``,
``View.output``); none computes a number of the network itself. Words come
from the message catalogue (``rnn_tui.teach.i18n.tr``); the maths is the same in
every language.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, cast

from rich.cells import cell_len
from rich.text import Text

from rnn_tui.core.cursor import SUBSTEPS
from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import narrate, sub
from rnn_tui.tui.panels import numbers as n
from rnn_tui.tui.panels.base import Lines, Panel
from rnn_tui.tui.view import View

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import Binding

NEW = "◀"  # marks the value revealed by the last key press


def pad(text: str, width: int) -> str:
    """Left-align in ``width`` terminal cells (Korean and other wide characters count 2)."""
    return text + " " * max(0, width - cell_len(text))


def _term_columns(view: View, left: Text, right: Text) -> Text:
    """The term on the left and its matrix on the right, aligned across panels.

    Plain Text joined line by line: cheaper to build and to render than a
    Rich table, and every step builds several of these.
    """
    W = view.stepper.weights
    width = max(26, n.vec_width(W.hidden, view.precision) + 6)
    lefts, rights = left.split("\n"), right.split("\n")
    out = Text()
    for i in range(max(len(lefts), len(rights))):
        if i:
            out.append("\n")
        line = lefts[i] if i < len(lefts) else Text()
        out.append_text(line)
        if i < len(rights):
            out.append(" " * max(1, width + 1 - line.cell_len))
            out.append_text(rights[i])
    return out


def grid(rows: list[list[Text | list[Text]]], gap: int = 2) -> Lines:
    """Cells of several lines laid out in columns, like a Rich ``Table.grid``.

    Each column is as wide as its widest line, and columns are ``gap`` cells
    apart; a row is as tall as its tallest cell. One Text comes out: far
    cheaper to build and render than a table, which the batch view, repainted
    on every sub-step of a big terminal, was. Lines are put together with
    ``Text.join`` (appending piece by piece costs several times more). A cell
    is a Text, or already a list of its lines. Out come the lines (``Lines``),
    which the panel draws without splitting them again.
    """
    cells = [[cell.split("\n") if isinstance(cell, Text) else cell for cell in row]
             for row in rows]
    columns = max((len(row) for row in cells), default=0)
    widths = [max((line.cell_len for row in cells if c < len(row) for line in row[c]),
                  default=0) for c in range(columns)]
    empty = Text()
    lines = []
    for row in cells:
        for y in range(max((len(cell) for cell in row), default=0)):
            pieces = []
            for c, cell in enumerate(row):
                part = cell[y] if y < len(cell) else empty
                pieces.append(part)
                if c < len(row) - 1:
                    pieces.append(Text(" " * (widths[c] - part.cell_len + gap)))
            line = empty.join(pieces)
            line.rstrip()
            lines.append(line)
    return Lines(lines)


def _mark(text: Text, new: bool) -> Text:
    """Mark a freshly revealed value, with a marker glyph and not by colour alone."""
    if new:
        text.stylize("bold")
        text.append(f" {NEW}", style="bold")
    return text


def _shape_op(a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...]) -> str:
    return f"{fmt.shape(a)}·{fmt.shape(b)}→{fmt.shape(out)}"


class StatusBar(Panel[View]):
    """Top line: where we are, in time steps and sub-steps, and the app's modes."""

    def key(self, view: View) -> Hashable:
        return (view.cursor, view.version, view.message, view.batch, view.playing,
                view.speed, view.lang, view.mode)

    def build(self, view: View) -> Text:
        c = view.cursor
        T = c.steps
        text = Text()
        text.append(" rnn-tui ", style="bold reverse")
        text.append(" ")
        if c.at_output:
            where = tr("status.output", t=T, T=T)
        elif c.phase == 0:
            where = tr("status.start", T=T, h0=f"h{sub(0)}")
        else:
            name = view.act if c.phase == 4 else tr(f"phase.{c.phase}")
            where = tr("status.substep", t=c.t, T=T, k=c.phase, K=SUBSTEPS, name=name)
        if view.message:  # messages go here, not in toasts over the narration: the
            # message comes first, and the sub-step's name gives way to it
            where = f"t = {c.t}/{T}"
        text.append(where, style="bold")
        if view.message:
            text.append(f"  ({view.message})", style="italic")
        if view.batch:
            text.append("  " + tr("status.batch_view"))
        if view.mode:
            text.append("  " + view.mode)
        if view.playing:
            text.append("  " + tr("status.playing", speed=f"{view.speed:g}"))
        return text


class BatchPanel(Panel[View]):
    """Every sentence with its target; the time cursor over the tokens; the selection."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, view.lang)

    def build(self, view: View) -> Text:
        s = view.stepper
        T = s.steps
        pad_word = tr("word.pad")
        width = max([cell_len(tok) for tok in s.vocab] + [cell_len(pad_word), 3])
        lines = Text()
        for b in range(s.batch):
            if b:
                lines.append("\n")
            selected = b == view.selected
            lines.append("▸ " if selected else "  ", style="bold" if selected else "")
            lines.append(f"{b + 1} ", style=n.muted())
            for t in range(1, T + 1):
                token = s.tokens_at(t)[b]
                cell = pad(token if token is not None else pad_word, width)
                style = f"{n.muted()} italic" if token is None else ""
                if t == view.t:
                    lines.append(f"[{cell}]", style=f"{style} bold reverse".strip())
                else:
                    lines.append(f" {cell} ", style=style)
            if s.labels is not None:
                lines.append(f" → {int(s.labels[b])}", style="bold" if selected else "")
        return lines


class HistoryPanel(Panel[View]):
    """h_1..h_t of the selected sentence, so one sees how h evolves."""

    def key(self, view: View) -> Hashable:
        return (view.revealed_h, view.phase == 4, view.selected, view.version, view.precision,
                view.lang)

    ROWS = 9  # at most this many time steps at once: the last ones revealed

    def build(self, view: View) -> Text:
        """One row per time step from the start, filled in as h_t is revealed.

        The panel keeps its height as the steps go by, so a step repaints only
        the row that changed (bytes per step matter over SSH).
        """
        count = view.revealed_h
        p = view.precision
        T = view.stepper.steps
        last = min(T, max(count, self.ROWS))
        first = max(1, last - self.ROWS + 1)
        blank = n.hidden_text(n.vec_width(view.stepper.weights.hidden, p))
        text = Text()
        for t in range(first, last + 1):
            if t > first:
                text.append("\n")
            text.append(f"h{sub(t)} ")
            if t > count:
                text.append_text(blank)
                continue
            record = view.stepper.history[t - 1]
            text.append_text(_mark(n.vec(record.h[view.selected], p),
                                   t == count and view.phase == 4))
            if not record.active[view.selected]:
                text.append(" " + tr("word.pad"), style=f"{n.muted()} italic")
        return text


class InputTerm(Panel[View]):
    """x_t and x_t·Wxh: a one-hot vector times a matrix picks a row."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, view.edited, view.phase >= 1, view.phase == 1,
                view.precision, view.lang)

    def build(self, view: View) -> Text:
        p = view.precision
        W = view.stepper.weights
        t = view.t
        rec = view.record
        b = view.selected
        left = Text()
        row = view.token_index()
        if rec is None:
            left.append(tr("input.start", h0=f"h{sub(0)}"))
        elif not view.active:
            left.append(f"x{sub(t)} = {tr('word.padding')} = ")
            left.append_text(n.onehot(rec.x[b]))
            left.append("\n" + tr("input.ended", n=b + 1, h=f"h{sub(t)}", h_prev=f"h{sub(t - 1)}"))
        else:
            assert row is not None  # a record, and the sentence is active at t
            left.append(f"x{sub(t)} = {view.stepper.vocab[row]!r} = ")
            left.append_text(n.onehot(rec.x[b]))
            shapes = _shape_op((1, W.vocab_size), W.Wxh.shape, (1, W.hidden))
            left.append(f"\nx{sub(t)}·Wxh {shapes}\n  = ")
            left.append_text(_mark(n.vec(rec.xWxh[b], p), view.phase == 1))
        right = Text()
        right.append(f"Wxh {fmt.shape(W.Wxh)}", style="bold")
        if row is not None:
            right.append(tr("input.picks_row", row=row + 1), style="italic")
        token_width = max(cell_len(tok) for tok in W.vocab)
        for i in n.shown(len(W.vocab), must=row):
            right.append("\n")
            if i is None:
                right.append("  ⋮")
                continue
            token, picked = W.vocab[i], i == row
            right.append(f"{'▶' if picked else ' '} {pad(token, token_width)} ",
                         style="bold" if picked else "")
            right.append_text(n.vec(W.Wxh[i], p, "reverse" if picked else "",
                                    view.marked("Wxh", i)))
        return _term_columns(view, left, right)


class RecurrentTerm(Panel[View]):
    """h_{t-1}·Whh: the memory fed back in."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, view.edited, view.phase >= 2, view.phase == 2,
                view.precision, view.lang)

    def build(self, view: View) -> Text:
        p = view.precision
        W = view.stepper.weights
        t = view.t
        rec = view.record
        shapes = _shape_op((1, W.hidden), W.Whh.shape, (1, W.hidden))
        left = Text()
        if rec is not None and not view.active:  # past the end: h_{t-1} is carried, not used
            left.append(f"h{sub(t - 1)} = ")
            left.append_text(n.vec(rec.h_prev[view.selected], p))
            left.append("\n" + tr("carried.recurrent"))
        elif rec is None or view.phase < 2:
            left.append(f"h{sub(max(t - 1, 0))}·Whh {shapes}\n  = ")
            left.append_text(n.hidden_text(n.vec_width(W.hidden, p)))
        else:
            b = view.selected
            left.append(f"h{sub(t - 1)} = ")
            left.append_text(n.vec(rec.h_prev[b], p))
            left.append(f"\nh{sub(t - 1)}·Whh {shapes}\n  = ")
            left.append_text(_mark(n.vec(rec.hWhh[b], p), view.phase == 2))
        right = Text()
        title = f"Whh {fmt.shape(W.Whh)} "
        for k, i in enumerate(n.shown(W.hidden)):
            if k:
                right.append("\n" + " " * len(title))
            else:
                right.append(title, style="bold")
            if i is None:
                right.append(" ⋮")
            else:
                right.append_text(n.vec(W.Whh[i], p, marked=view.marked("Whh", i)))
        return _term_columns(view, left, right)


class SumTerm(Panel[View]):
    """+ Bh, the sum before the activation, and h_t = tanh(sum)."""

    def key(self, view: View) -> Hashable:
        phase = view.phase
        return (view.t, view.selected, view.version, view.edited, phase >= 3, phase == 3,
                phase >= 4, view.precision, view.lang)

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
        if rec is not None and not rec.active[b]:
            # past the sentence's end: no sum and no activation; h_t = h_{t-1}, carried
            length = int(view.stepper.lengths[b])
            text.append(tr("carried.no_sum", act=view.act, n=b + 1, length=length),
                        style=n.muted())
            text.append("\n" + tr("carried", h=f"h{sub(t)}", h_prev=f"h{sub(t - 1)}") + " = ")
            text.append_text(_mark(n.vec(rec.h[b], p), phase == 4) if phase >= 4 else blank)
            text.append("\n")
            return text
        text.append(f"+ Bh {fmt.shape(W.bh)} = ")
        text.append_text(_mark(n.vec(W.bh, p, marked=view.marked("bh", 0)), phase == 3))
        kind = "sum.broadcast" if W.bias == "scalar" else "sum.per_unit"
        text.append(f"  ({tr(kind, shape=fmt.shape((1, H)))})", style=n.muted())
        text.append(f"\n{tr('word.sum')} = x·Wxh + h·Whh + Bh {fmt.shape((1, H))} = ")
        # (phase is 0 without a record)
        text.append_text(_mark(n.vec(rec.pre[b], p), phase == 3)
                         if rec is not None and phase >= 3 else blank)
        # before the first step, the step to come is t = 1
        text.append(f"\nh{sub(max(t, 1))} = {view.act}({tr('word.sum')}) {fmt.shape((1, H))} = ")
        text.append_text(_mark(n.vec(rec.h[b], p), phase == 4)
                         if rec is not None and phase >= 4 else blank)
        return text


class EquationLine(Panel[View]):
    """h_t = tanh(x_t·Wxh + h_{t-1}·Whh + Bh), the numbers filled in as they are revealed."""

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, min(view.phase, 4), view.precision,
                view.lang)

    def build(self, view: View) -> Text:
        p = view.precision
        t = view.t
        rec = view.record
        b = view.selected
        phase = view.phase if rec is not None else 0
        text = Text()
        if rec is not None and not rec.active[b]:
            text.append(tr("carried", h=f"h{sub(t)}", h_prev=f"h{sub(t - 1)}") + " = ")
            text.append_text(n.vec(rec.h[b], p))
            text.append("  " + tr("equation.padding"), style=n.muted())
            return text
        W = view.stepper.weights
        if rec is None:  # before the first step: the equation of t = 1, all slots
            t = 1
        text.append(f"h{sub(t)} = {view.act}(")
        terms = [
            (1, rec.xWxh[b] if rec else None, f"x{sub(t)}·Wxh", W.hidden),
            (2, rec.hWhh[b] if rec else None, f"h{sub(t - 1)}·Whh", W.hidden),
            (3, W.bh, "Bh", W.bh.size),
        ]
        for i, (k, value, symbol, size) in enumerate(terms):
            if i:
                text.append(" + ")
            if phase >= k and value is not None:  # (phase is 0 without a record)
                text.append_text(n.vec(value, p))
            else:
                text.append_text(self._slot(symbol, size, p))
        text.append(") = ")
        if rec is not None and phase >= 4:  # (phase is 0 without a record)
            text.append_text(n.vec(rec.h[b], p, "bold"))
        else:
            text.append_text(self._slot(f"h{sub(t)}", W.hidden, p))
        return text

    @staticmethod
    def _slot(symbol: str, size: int, p: int) -> Text:
        """A value not revealed yet: its name, as wide as its ``size`` numbers will be.

        The line keeps its length (and where it wraps) from sub-step to sub-step.
        """
        width = n.vec_width(size, p)
        inner = f"{symbol} "
        return Text("[" + inner + "·" * max(0, width - 2 - cell_len(inner)) + "]",
                    style=n.muted())


class OutputPanel(Panel[View]):
    """The end: z = h_T·Wy + By, y = sigmoid(z), the prediction against the target, the loss."""

    def key(self, view: View) -> Hashable:
        return (view.cursor.at_output, view.selected, view.version, view.edited, view.precision,
                view.batch, view.lang)

    def build(self, view: View) -> Text:
        out = view.output
        if out is None:
            return Text("")
        p = view.precision
        W = view.stepper.weights
        s = view.stepper
        b = view.selected
        T = int(s.lengths[b])
        h = f"h{sub(T)}"
        text = Text()
        text.append(tr("output.read_at", n=b + 1, text=view.texts[b], t=T), style="bold")
        text.append(f"\n{h} = ")
        text.append_text(n.vec(out.h_last[b], p))
        # Wy is a column (H,1): written as a row, transposed once
        text.append(f"    Wy {fmt.shape(W.Wy)} = ")
        text.append_text(n.vec(W.Wy, p, marked={r for n_, r, _ in view.edited if n_ == "Wy"}))
        text.append("ᵀ")
        text.append(f"\nz = {h}·Wy + By   "
                    f"{fmt.shape((1, W.hidden))}·{fmt.shape(W.Wy)} + (1,1) → (1,1)")
        if W.hidden <= 4:  # written out term by term while it fits on a line
            text.append("\n  = ")
            for j in range(W.hidden):
                if j:
                    text.append(" + ")
                text.append("(")
                text.append_text(n.num(out.h_last[b, j], p))
                text.append(")(")
                text.append_text(n.num(W.Wy[j, 0], p))
                text.append(")")
            text.append(" + (")
            text.append_text(n.num(W.by[0, 0], p, "underline" if view.marked("by", 0) else ""))
            text.append(")")
        text.append("\n  = ")
        text.append_text(_mark(n.num(out.z[b, 0], p), True))
        text.append("\ny = sigmoid(z) = 1 / (1 + e^(−z)) = ")
        text.append(fmt.prob(out.y[b, 0], p), style="bold")
        text.append("\n" + tr("output.prediction", pred=int(out.prediction[b, 0])))
        if out.target is not None and out.loss is not None:
            target = int(out.target[b, 0])
            ok = int(out.prediction[b, 0]) == target
            text.append("   " + tr("output.target", target=target) + "  ")
            text.append(tr("output.right") if ok else tr("output.wrong"), style="bold")
            text.append("\n" + tr("output.loss", loss=fmt.prob(out.loss[b], p)))
        text.append("\n")
        text.append_text(self._batch(view, out))
        return text

    def _batch(self, view: View, out) -> Text:
        """The whole batch's output: z and y as (B, 1) columns, written as rows."""
        p = view.precision
        B = view.stepper.batch
        text = Text()
        text.append(tr("output.batch_title", B=B), style="bold")
        text.append(f" z {fmt.shape(out.z)} = ")
        text.append_text(n.vec(out.z, p))
        text.append("ᵀ")
        text.append(f"\ny {fmt.shape(out.y)} = [{' '.join(fmt.prob(v, p) for v in out.y[:, 0])}]ᵀ")
        text.append("   " + tr("output.predictions",
                               pred=" ".join(str(int(v)) for v in out.prediction[:, 0])))
        if out.target is not None:
            text.append("   " + tr("output.targets",
                                   target=" ".join(str(int(v)) for v in out.target[:, 0])))
            text.append("\n" + tr("output.mean_loss", B=B, loss=fmt.prob(out.mean_loss, p)))
        return text


class NarrationPanel(Panel[View]):
    """What the last key press revealed, in plain words with the engine's numbers."""

    WRAPS = True  # sentences, wrapped to the width

    def key(self, view: View) -> Hashable:
        return (view.cursor, view.selected, view.version, view.precision, view.lang,
                view.feedback)

    def build(self, view: View) -> Text:
        text = Text()
        if view.feedback:
            text.append(view.feedback + "\n", style="bold")
        text.append(narrate(view.stepper, view.cursor, view.selected, view.precision))
        return text


class KeyBar(Panel[View]):
    """The bottom line: the main keys and what they do, in the current language.

    One line of text rather than Textual's Footer (a widget per key): the app
    starts faster and the line costs fewer bytes. The help screen (?) lists
    every key.
    """

    def key(self, view: View) -> Hashable:
        return (view.lang, self._enabled())

    def _enabled(self) -> tuple[str | None, ...]:
        """The shown bindings that work now (a screen on top may take the keys)."""
        app = self.app
        return tuple(b.id for b in _bindings(app)
                     if b.show and app.check_action(b.action.split("(")[0], ()))

    def build(self, view: View) -> Text:
        text = Text()
        enabled = self._enabled()
        for binding in _bindings(self.app):
            if binding.id not in enabled:
                continue
            label = binding.key_display or binding.key.split(",")[0]
            if text:
                text.append(" ")
            text.append(label, style=n.key_style())
            text.append(f" {tr(f'key.{binding.id}')}")
        return text


def _bindings(app: App[object]) -> list[Binding]:
    """The app's BINDINGS: RNNApp writes each as a Binding (App allows tuples too)."""
    return cast("list[Binding]", app.BINDINGS)
