"""The stepper's panels for a gated cell (GRU, LSTM: issue 21), gate by gate.

A time step of a gated cell is revealed in ``Cursor(pos, steps, cell)``'s
sub-steps (``SUBSTEP_NAMES[cell]``): each gate is a group (its x·W term, its
h·W term, the sum, the activation; GRU's n has r ⊙ (…) too), then the
combination (GRU h'; LSTM c', then h'). The step box (``GatePanel``) shows the
current gate only: the box pages by gate, so it fits 80×24. Each panel formats
numbers the engine computed (``GatedStepRecord``); none computes one itself.

The vanilla cell's panels (``stepper.py``) are not changed: ``layout.compose``
puts these in their places (same ids) when the lesson's cell is gated.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from rnn_tui.core.cells import GatedStepper, GatedStepRecord
from rnn_tui.core.cursor import SUBSTEP_NAMES, SubStep
from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import narrate_gated, sub
from rnn_tui.tui.panels import numbers as n
from rnn_tui.tui.panels.base import Lines, Panel
from rnn_tui.tui.panels.stepper import (
    NEW,
    HistoryPanel,
    NarrationPanel,
    StatusBar,
    _column,
    _term_columns,
    clip,
    cut,
    more_line,
    pad,
    window,
)
from rnn_tui.tui.view import View

#: The symbol of each gate's activation, as the equations write it.
ACT = {"sigmoid": "σ", "tanh": "tanh"}


def gated(view: View) -> GatedStepper:
    """The View's stepper, a GatedStepper: ``layout.compose`` mounts these panels only for
    a GRU's or an LSTM's lesson (``View.stepper`` is typed as the vanilla panels read it)."""
    return cast(GatedStepper, view.stepper)


def gated_record(view: View) -> GatedStepRecord | None:
    """``view.record``, the gated stepper's: the time step being revealed, or None."""
    s = gated(view)
    return s.history[-1] if s.history else None


def groups(cell: str) -> tuple[str, ...]:
    """The cell's groups in order: its gates, then the combination (h; LSTM c, h)."""
    out: list[str] = []
    for s in SUBSTEP_NAMES[cell]:
        if s.group not in out:
            out.append(s.group)
    return tuple(out)


def current(view: View) -> tuple[SubStep, int]:
    """The sub-step being shown and its index in the time step (the first one at the
    start, so the box shows the first gate's slots)."""
    names = SUBSTEP_NAMES[view.cell]
    phase = view.phase
    k = min(max(phase, 1), len(names)) - 1
    return names[k], k


def _h(t: int) -> str:
    return f"h{sub(t)}"


def gate_title(cell: str, group: str, t: int) -> str:
    """The group's equation with this step's indices: f₂ = σ(x₂·Wxf + h₁·Whf + bf)."""
    x, h = f"x{sub(t)}", _h(t - 1)
    s = sub(t)
    if group == "h" and cell == "gru":
        return f"h{s} = (1 − z{s}) ⊙ n{s} + z{s} ⊙ {h}"
    if group == "h":
        return f"h{s} = o{s} ⊙ tanh(c{s})"
    if group == "c":
        return f"c{s} = f{s} ⊙ c{sub(t - 1)} + i{s} ⊙ g{s}"
    if group == "n":
        return f"n{s} = tanh({x}·Wxn + bxn + r{s} ⊙ ({h}·Whn + bhn))"
    act = "tanh" if group == "g" else "σ"
    return f"{group}{s} = {act}({x}·Wx{group} + {h}·Wh{group} + b{group})"


class _Block:
    """One sub-step's lines in the box: in full (with its matrix) and compact."""

    def __init__(self, full: Text | Lines, compact: Text | Lines) -> None:
        self.full = _lines(full)
        self.compact = _lines(compact)


def _lines(content: Text | Lines) -> list[Text]:
    return list(content) if isinstance(content, Lines) else list(content.split("\n"))


def _line(label: str, value: Text) -> Text:
    out = Text(label)
    out.append_text(value)
    return out


def _matrix(view: View, name: str, picked: int | None, token_rows: bool) -> Text:
    """A weight matrix, a row per entry (at most ``numbers.shown`` of them); the
    one-hot's row marked ▶ (x·W picks a row)."""
    p = view.precision
    W = gated(view).weights
    M = W[name]
    right = Text()
    right.append(f"{name} {fmt.shape(M)}", style="bold")
    if picked is not None:
        right.append(tr("input.picks_row", row=picked + 1), style="italic")
    room = view.middle_width() - _column(view) - 3 - n.vec_width(W.hidden, p)
    token_width = max(3, min(max(len(tok) for tok in W.vocab), room)) if token_rows else 0
    for i in n.shown(M.shape[0], must=picked):
        right.append("\n")
        if i is None:
            right.append("  ⋮")
            continue
        chosen = i == picked
        if token_rows:
            word = pad(clip(W.vocab[i], token_width), token_width)
            right.append(f"{'▶' if chosen else ' '} {word} ", style="bold" if chosen else "")
        else:
            right.append("  ")
        right.append_text(n.vec(M[i], p, "reverse" if chosen else ""))
    return right


def blocks(view: View, group: str, revealed: int, new: int) -> list[_Block]:
    """The group's sub-steps as blocks, their values shown up to ``revealed`` (an index
    of the time step's sub-steps; ``new`` marks the one the last key revealed)."""
    cell = view.cell
    names = SUBSTEP_NAMES[cell]
    p = view.precision
    W = gated(view).weights
    H = W.hidden
    t = max(view.t, 1)
    rec = gated_record(view)
    b = view.selected
    blank = n.hidden_text(n.vec_width(H, p))
    s = sub(t)

    def val(k: int, value: np.ndarray | None, style: str = "") -> Text:
        if rec is None or k > revealed or value is None:
            return blank
        text = n.vec(value, p, style)
        if k == new:
            text.stylize("bold")
            text.append(f" {NEW}", style="bold")
        return text

    out: list[_Block] = []
    for k, step in enumerate(names):
        if step.group != group:
            continue
        gate = rec.gates.get(group) if rec is not None else None
        part = step.part
        if part == "xW":
            xname = f"x{s}"
            label = f"{xname}·Wx{group}" + (" + bxn" if group == "n" else "")
            value = None if gate is None else (gate.xW + gate.bias if group == "n" else gate.xW)[b]
            left = Text()
            picked = None
            if rec is not None:
                picked = int(np.argmax(rec.x[b]))
                token = gated(view).vocab[picked]
                left.append(f"{xname} = {token!r} = ")
                left.append_text(n.onehot(rec.x[b]))
            else:  # the start: nothing read yet
                left.append(tr("input.start", h0=f"h{sub(0)}").split("\n")[0])
            shapes = f"{fmt.shape((1, W.vocab_size))}·{fmt.shape(W[f'Wx{group}'])}→(1,{H})"
            left.append(f"\n{label} {shapes}\n  = ")
            left.append_text(val(k, value))
            full = _term_columns(view, left, _matrix(view, f"Wx{group}", picked, True))
            out.append(_Block(full, _line(f"{label} = ", val(k, value))))
        elif part == "hW":
            label = f"{_h(t - 1)}·Wh{group}" + (" + bhn" if group == "n" else "")
            hw = None if gate is None else gate.hWb if group == "n" else gate.hW  # (GRU's n: hWb)
            value = None if hw is None else hw[b]
            left = Text(f"{_h(t - 1)} = ")
            left.append_text(n.vec(rec.h_prev[b] if rec is not None else np.zeros(H), p))
            shapes = f"(1,{H})·{fmt.shape(W[f'Wh{group}'])}→(1,{H})"
            left.append(f"\n{label} {shapes}\n  = ")
            left.append_text(val(k, value))
            full = _term_columns(view, left, _matrix(view, f"Wh{group}", None, False))
            out.append(_Block(full, _line(f"{label} = ", val(k, value))))
        elif part == "reset":
            line = _line(f"r{s} ⊙ ({_h(t - 1)}·Whn + bhn) = ",
                         val(k, None if gate is None or gate.reset is None else gate.reset[b]))
            r_line = _line(f"r{s} = ", n.vec(rec.gates["r"].value[b], p)
                           if rec is not None else blank)
            out.append(_Block(Lines([r_line, line]), line))
        elif part == "sum":
            bias = "bxn" if group == "n" else f"b{group}"
            b_line = _line(f"{bias} (1,{H}) = ", n.vec(W[bias], p))
            sum_line = _line("sum = ", val(k, None if gate is None else gate.pre[b]))
            out.append(_Block(Lines([b_line, sum_line]), sum_line))
        elif part == "act":
            act = ACT[gate.activation] if gate is not None else ("tanh" if group in "gn" else "σ")
            line = _line(f"{group}{s} = {act}(sum) = ",
                         val(k, None if gate is None else gate.value[b], "bold"))
            out.append(_Block(line, line))
        elif part == "c":
            terms = rec.terms if rec is not None else {}
            lines = Lines([
                _line(f"f{s} ⊙ c{sub(t - 1)} = ", val(k, terms["forget"][b] if terms else None)),
                _line(f"i{s} ⊙ g{s} = ", val(k, terms["write"][b] if terms else None)),
                _line(f"c{s} = ", val(k, None if rec is None or rec.c is None else rec.c[b],
                                      "bold")),
            ])
            out.append(_Block(lines, Lines([lines[-1]])))
        elif part == "h":
            terms = rec.terms if rec is not None else {}
            if cell == "gru":
                lines = Lines([
                    _line(f"(1 − z{s}) ⊙ n{s} = ", val(k, terms["new"][b] if terms else None)),
                    _line(f"z{s} ⊙ {_h(t - 1)} = ", val(k, terms["keep"][b] if terms else None)),
                ])
            else:
                lines = Lines([_line(f"tanh(c{s}) = ",
                                     val(k, terms["tanh_c"][b] if terms else None))])
            lines.append(_line(f"h{s} = ", val(k, None if rec is None else rec.h[b], "bold")))
            out.append(_Block(lines, Lines([lines[-1]])))
    return out


def fit_blocks(blocks_: list[_Block], here: int, room: int) -> list[list[Text]]:
    """Each block in full or compact, or left out, so that they fit in ``room`` lines:
    compact first, then the farthest from ``here`` left out while they do not fit,
    then the nearest shown in full while they fit."""
    order = sorted(range(len(blocks_)), key=lambda i: (abs(i - here), i))
    chosen: dict[int, list[Text]] = {i: blocks_[i].compact for i in range(len(blocks_))}
    for i in reversed(order):
        if sum(len(v) for v in chosen.values()) <= room:
            break
        del chosen[i]
    for i in order:
        if i not in chosen:
            continue
        extra = len(blocks_[i].full) - len(chosen[i])
        if sum(len(v) for v in chosen.values()) + extra <= room:
            chosen[i] = blocks_[i].full
    return [chosen[i] for i in sorted(chosen)]


class GatePanel(Panel[View]):
    """The step box of a gated cell: the current gate's terms, with shapes.

    One gate (or the combination) at a time: x·W (the one-hot picks a row of the
    matrix beside it), h·W (the matrix beside it), the sum with the bias, the
    activation. What does not fit in the box is shown compact, or left out,
    farthest from the sub-step first; a line never wraps.
    """

    def key(self, view: View) -> Hashable:
        return (view.cursor, view.selected, view.version, view.precision, view.lang,
                view.middle_rows(), view.middle_width(), n.limit())

    def build(self, view: View) -> Lines:
        width = view.middle_width()
        room = max(1, view.middle_rows() - 2)  # the box's borders
        step, k = current(view)
        t = max(view.t, 1)
        group = step.group
        gs = groups(view.cell)
        title = Text(gate_title(view.cell, group, t), style="bold")
        title.append(f"   {tr(f'gate.role.{view.cell}.{group}')}"
                     f" ({gs.index(group) + 1}/{len(gs)})", style="italic")
        lines = [title]
        rec = gated_record(view)
        if rec is not None and not rec.active[view.selected]:
            b = view.selected
            lines.append(_line(f"x{sub(t)} = {tr('word.padding')} = ", n.onehot(rec.x[b])))
            lines.append(Text(tr("gate.carried_line", n=b + 1, length=int(gated(view).lengths[b]),
                                 h=_h(t), h_prev=_h(t - 1)), style=n.muted()))
            lines.append(_line(f"{_h(t)} = ", n.vec(rec.h[b], view.precision)))
            if rec.c is not None:
                lines.append(_line(f"c{sub(t)} = ", n.vec(rec.c[b], view.precision)))
        else:
            revealed = k if view.phase >= 1 else -1
            bl = blocks(view, group, revealed, k if view.phase >= 1 else -1)
            first = next(i for i, s in enumerate(SUBSTEP_NAMES[view.cell]) if s.group == group)
            for chunk in fit_blocks(bl, k - first, room - 1):
                lines.extend(chunk)
        return Lines(cut(line, width) for line in lines[:room])


class GateStatusBar(StatusBar):
    """The top line for a gated cell: the time step, the gate and its sub-step."""

    def where(self, view: View) -> str:
        c = view.cursor
        if c.at_output or c.phase == 0 or view.message:
            return super().where(view)
        step = SUBSTEP_NAMES[c.cell][c.phase - 1]
        gs = groups(c.cell)
        return tr("gate.status", t=c.t, T=c.steps, gate=step.group,
                  g=gs.index(step.group) + 1, G=len(gs), name=step.label,
                  k=c.phase, K=c.per_step)


class GateHistory(HistoryPanel):
    """h₁..h_t of the selected sentence; for an LSTM, c_t under each h_t (the memory's
    own row), in as many lines as the vanilla history has (a window ending at t)."""

    def key(self, view: View) -> Hashable:
        return (view.revealed_h, view.t, view.phase, view.selected, view.version,
                view.precision, view.lang, view.strip_rows(), view.top_width(), view.cell)

    def build(self, view: View) -> Text:
        if view.cell != "lstm":
            return super().build(view)
        p = view.precision
        s = gated(view)
        T = s.steps
        rows = min(max(s.batch, T), view.strip_rows())
        c_step = SUBSTEP_NAMES["lstm"].index(next(x for x in SUBSTEP_NAMES["lstm"]
                                                  if x.group == "c")) + 1
        blank = n.hidden_text(n.vec_width(s.weights.hidden, p))
        entries = [(t, kind) for t in range(1, T + 1) for kind in ("h", "c")]
        # the window ends at the step being revealed (its c line), as the vanilla one
        end = min(len(entries), max(2 * max(view.t, 1), rows))
        first = max(0, end - rows)
        text = Text()
        for i, (t, kind) in enumerate(entries[first:end]):
            if i:
                text.append("\n")
            text.append(f"{kind}{sub(t)} ")
            shown = t < view.t or (t == view.t and (
                view.phase >= (c_step if kind == "c" else c_step + 1) or view.cursor.at_output))
            if not shown:
                text.append_text(blank)
                continue
            rec = s.history[t - 1]
            c = cast(np.ndarray, rec.c)  # an LSTM's step (the other cells returned above) has c
            value = c[view.selected] if kind == "c" else rec.h[view.selected]
            new = t == view.t and view.phase == (c_step if kind == "c" else c_step + 1)
            line = n.vec(value, p)
            if new:
                line.stylize("bold")
                line.append(f" {NEW}", style="bold")
            row = Text(f"{kind}{sub(t)} ")
            row.append_text(line)
            if not rec.active[view.selected] \
                    and row.cell_len + 1 + cell_len(tr("word.pad")) <= view.top_width():
                row.append(" " + tr("word.pad"), style=f"{n.muted()} italic")
            text.append_text(cut(row, view.top_width())[len(f"{kind}{sub(t)} "):])
        return text


class GateNarration(NarrationPanel):
    """What the last key revealed about the gate, in words, with the engine's numbers."""

    def build(self, view: View) -> Text:
        text = Text()
        if view.feedback:
            text.append(view.feedback + "\n", style="bold")
        text.append(narrate_gated(gated(view), view.cursor, view.selected, view.precision))
        return text


class GateBatch(Panel[View]):
    """The batch view (b) of a gated cell: the current sub-step's row for every sentence
    (the token read at t and the value), as many sentences as fit."""

    def key(self, view: View) -> Hashable:
        return (view.cursor, view.selected, view.version, view.precision, view.lang,
                view.middle_rows(), view.middle_width(), n.limit())

    def build(self, view: View) -> Lines:
        width = view.middle_width()
        room = max(1, view.middle_rows() - 2)
        s = gated(view)
        p = view.precision
        step, _ = current(view)
        t = max(view.t, 1)
        head = Text(gate_title(view.cell, step.group, t), style="bold")
        head.append(f"   {step.label}", style="italic")
        lines = [head]
        rec = gated_record(view)
        token_width = max([len(tok) for tok in s.vocab] + [len(tr("word.pad")), 3])
        token_width = min(token_width, 12)
        first, last = window(s.batch, view.selected, max(1, room - 1))
        if first:
            lines.append(more_line(first, below=False))
        for b in range(first, last):
            line = Text("▸ " if b == view.selected else "  ", style="bold")
            line.append(f"{b + 1} ", style=n.muted())
            token = s.tokens_at(t)[b] if s.steps else None
            line.append(pad(clip(token if token is not None else tr("word.pad"), token_width),
                            token_width) + "  ")
            if rec is None or view.phase == 0:
                line.append_text(n.hidden_text(n.vec_width(s.weights.hidden, p)))
            else:
                value = part_value(rec, step, b)
                line.append(f"{part_symbol(step, t)} = ")
                line.append_text(n.vec(value, p))
                if not rec.active[b]:
                    line.append(" " + tr("word.pad"), style=f"{n.muted()} italic")
            lines.append(line)
        if last < s.batch:
            lines.append(more_line(s.batch - last, below=True))
        return Lines(cut(line, width) for line in lines[:room])


def part_symbol(step: SubStep, t: int) -> str:
    """How the batch view names a sub-step's value: f₂, x·Wxf, sum, c₂, h₂."""
    s = sub(t)
    if step.part == "act":
        return f"{step.group}{s}"
    if step.part in ("c", "h"):
        return f"{step.part}{s}"
    if step.part == "sum":
        return f"sum({step.group})"
    return step.label.split(" = ")[0]


def part_value(rec, step: SubStep, b: int) -> np.ndarray:
    """The value a sub-step reveals for sentence ``b`` (the engine's numbers)."""
    if step.part == "c":
        return rec.c[b]
    if step.part == "h":
        return rec.h[b]
    gate = rec.gates[step.group]
    if step.part == "xW":
        return (gate.xW + gate.bias)[b] if step.group == "n" else gate.xW[b]
    if step.part == "hW":
        return gate.hWb[b] if step.group == "n" else gate.hW[b]
    if step.part == "reset":
        return gate.reset[b]
    if step.part == "sum":
        return gate.pre[b]
    return gate.value[b]
