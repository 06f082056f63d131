"""The backward pass in the app (key ``g``): BPTT for one sentence, a key press at a time.

The screen asks the engine for ``training.backward_trace`` of the selected
sentence and steps through it from the output back to t = 1. Positions:
0 is the output (dL/dz, dL/dh_T); then four sub-steps per time step, t = T..1
(the activation's derivative, dL/dpre_t, the step's shares of dWxh, dWhh and
dBh, dL/dh_{t-1}); the last position sums the shares into the gradient.
The panels only format numbers the trace holds; none computes a number of
the network.

A gated cell (GRU, LSTM: issue 21) steps through ``cells.gated_backward_trace``
the same way, gate by gate: at each time step t = T..1 one position per gate
(dL/d(gate), dL/d(its sum), the norms of its share of Wx_, Wh_ and its bias),
then dL/dh_{t-1} (and dL/dc_{t-1}); the last position lists every weight's
gradient (``GatedBackView`` and the ``Gated*`` panels).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import cast

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer

from rnn_tui.core.backprop import BackwardStep, BackwardTrace, backward_trace
from rnn_tui.core.cells import GatedBackward, GatedStepper, gated_backward_trace
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt, i18n
from rnn_tui.teach.i18n import tr
from rnn_tui.tui.keys import (
    LANG_BINDING,
    TranslatedBindings,
    follow_language,
    next_language,
)
from rnn_tui.tui.panels import numbers as n
from rnn_tui.tui.panels.base import Panel
from rnn_tui.tui.panels.stepper import NEW, sub

SUBSTEPS = 4
BAR = "█"
PARTS = " ▏▎▍▌▋▊▉"


def factor_name(act: str, t: int, in_product: bool = False) -> str:
    """The activation's derivative at step t as the lesson writes it: 1 − h_t² for tanh."""
    s = sub(t)
    name = {
        "tanh": f"1 − h{s}²",
        "sigmoid": f"h{s}(1 − h{s})",
        "relu": f"[pre{s} > 0]",
    }.get(act, f"{act}'(pre{s})")
    return f"({name})" if in_product and name.startswith("1 ") else name


def bar(value: float, top: float, width: int) -> str:
    """A text bar, value/top of ``width`` cells, in eighths; at least a sliver if value > 0."""
    if top <= 0 or not np.isfinite(value):
        return ""
    eighths = int(round(min(value / top, 1.0) * width * 8))
    if value > 0 and eighths == 0:
        eighths = 1
    return BAR * (eighths // 8) + (PARTS[eighths % 8] if eighths % 8 else "")


def norm_text(value: float) -> str:
    """Three significant digits, so a vanishing 3e-07 still reads as a number."""
    return f"{value:.3g}"


class BackPositions:
    """The backward screen's positions, for the vanilla and the gated view alike:
    0 the output, then ``per_step`` sub-steps a time step (backward order), then
    the totals (``last``)."""

    pos: int

    @property
    def per_step(self) -> int:
        raise NotImplementedError

    @property
    def length(self) -> int:
        raise NotImplementedError

    @property
    def last(self) -> int:
        return self.per_step * self.length + 1

    @property
    def at_output(self) -> bool:
        return self.pos == 0

    @property
    def at_totals(self) -> bool:
        return self.pos == self.last

    @property
    def index(self) -> int:
        """Which step (backward order) the position is in; -1 at the output."""
        return -1 if self.at_output else min((self.pos - 1) // self.per_step, self.length - 1)

    @property
    def phase(self) -> int:
        """1..per_step within a time step; 0 at the output, per_step + 1 at the totals."""
        if self.at_output:
            return 0
        if self.at_totals:
            return self.per_step + 1
        return (self.pos - 1) % self.per_step + 1

    def reached(self, i: int, phase: int) -> bool:
        """Whether step ``i`` (backward order) has shown its sub-step ``phase`` yet."""
        return self.pos >= 1 + i * self.per_step + (phase - 1)


@dataclass(frozen=True)
class BackwardView(BackPositions):
    """What the backward screen shows now (the widgets read it)."""

    trace: BackwardTrace
    pos: int
    precision: int
    act: str
    text: str  # the sentence
    weights_label: str = ""
    lang: str = "en"  # panels repaint when it changes

    @property
    def per_step(self) -> int:
        return SUBSTEPS

    @property
    def length(self) -> int:
        return self.trace.length

    @property
    def step(self) -> BackwardStep | None:
        return None if self.at_output else self.trace.steps[self.index]


class BackwardStatus(Panel[BackwardView]):
    """Top line: which sentence, which time step and sub-step of the backward pass."""

    def key(self, view: BackwardView) -> Hashable:
        return (view.pos, view.text, view.trace.b, view.weights_label, view.lang)

    def build(self, view: BackwardView) -> Text:
        T = view.trace.length
        text = Text()
        text.append(" rnn-tui ", style="bold reverse")
        text.append(f" {tr('bw.title')}  ")
        if view.at_output:
            where = tr("bw.where_output", dh="dL/dh" + sub(T))
        elif view.at_totals:
            where = tr("bw.where_totals")
        else:
            step = view.step
            assert step is not None  # None only at the output
            t = step.t
            name = {1: f"{view.act}'", 2: f"dL/dpre{sub(t)}", 3: tr("bw.shares"),
                    4: f"dL/dh{sub(t - 1)}"}[view.phase]
            where = tr("status.substep", t=step.t, T=T, k=view.phase, K=SUBSTEPS, name=name)
        text.append(where, style="bold")
        if view.weights_label:
            text.append(f"  [{view.weights_label}]")
        return text


class OutputGrad(Panel[BackwardView]):
    """Where the backward pass starts: y, the loss, dL/dz = y − target, dL/dh_T."""

    def key(self, view: BackwardView) -> Hashable:
        return (view.at_output, view.trace.b, view.precision, id(view.trace), view.lang)

    def build(self, view: BackwardView) -> Text:
        trace, p = view.trace, view.precision
        T = trace.length
        text = Text()
        text.append(tr("bw.output_line", y=fmt.prob(trace.y, p), target=trace.target,
                        loss=fmt.prob(trace.loss, p)))
        text.append(tr("bw.dz"))
        text.append_text(_new(n.num(trace.dz, p), view.at_output))
        text.append(f"\ndL/dh{sub(T)} = dL/dz·Wyᵀ = ")
        text.append_text(_new(n.vec(trace.dh_T, p), view.at_output))
        return text


def _new(text: Text, new: bool) -> Text:
    """Mark the value the last key press revealed (a glyph as well as bold)."""
    if new:
        text.stylize("bold")
        text.append(f" {NEW}", style="bold")
    return text


class StepGrad(Panel[BackwardView]):
    """One time step going back: act', dL/dpre_t, its shares, dL/dh_{t-1}; or the totals."""

    def key(self, view: BackwardView) -> Hashable:
        return (view.pos, view.trace.b, view.precision, id(view.trace), view.lang)

    def build(self, view: BackwardView) -> Text | Group:
        if view.at_output:
            return Text(tr("bw.intro", T=view.trace.length, act=view.act), style="dim")
        if view.at_totals:
            return self._totals(view)
        return self._step(view)

    def _step(self, view: BackwardView) -> Text:
        step, p, phase = view.step, view.precision, view.phase
        assert step is not None
        t, T, H = step.t, view.trace.length, step.dh.shape[0]
        blank = n.hidden_text(n.vec_width(H, p))
        text = Text()
        text.append(f"dL/dh{sub(t)} = ")
        text.append_text(n.vec(step.dh, p))
        source = tr("bw.from_output") if t == T else tr("bw.from_step", t=t + 1)
        text.append(f"  ({source})", style="dim")

        factor = factor_name(view.act, t)
        text.append(f"\n{factor} = ")
        text.append_text(_new(n.vec(step.dact, p), phase == 1) if phase >= 1 else blank)
        text.append(f"  ({view.act}'(pre{sub(t)}))", style="dim")

        text.append(f"\ndL/dpre{sub(t)} = dL/dh{sub(t)} ⊙ {factor_name(view.act, t, True)} = ")
        text.append_text(_new(n.vec(step.dpre, p), phase == 2) if phase >= 2 else blank)

        row = int(np.argmax(step.x))
        lead = f"dWhh += h{sub(t - 1)}ᵀ·dL/dpre{sub(t)} {fmt.shape(step.dWhh)} = "
        row_name = tr("bw.row", token=repr(step.token))
        text.append(f"\ndWxh += x{sub(t)}ᵀ·dL/dpre{sub(t)}: {row_name} += ")
        text.append_text(_new(n.vec(step.dWxh[row], p), phase == 3) if phase >= 3 else blank)
        for i in range(H):
            text.append("\n" + (lead if i == 0 else " " * len(lead)))
            text.append_text(n.vec(step.dWhh[i], p) if phase >= 3 else blank)
        summed = tr("bw.bh_summed") if step.dbh.shape == (1, 1) and H > 1 else ""
        text.append(f"\ndBh += dL/dpre{sub(t)}{summed} = ")
        text.append_text(n.vec(step.dbh, p) if phase >= 3 else blank)

        text.append(f"\ndL/dh{sub(t - 1)} = dL/dpre{sub(t)}·Whhᵀ = ")
        text.append_text(_new(n.vec(step.dh_prev, p), phase == 4) if phase >= 4 else blank)
        if t == 1 and phase >= 4:
            text.append("  " + tr("bw.stops"), style="dim")
        return text

    def _totals(self, view: BackwardView) -> Group:
        trace, p = view.trace, view.precision
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, min_width=10)
        table.add_column(no_wrap=True)
        table.add_column(style="dim")
        for name, arr in (("dWxh", trace.dWxh), ("dWhh", trace.dWhh), ("dBh", trace.dbh)):
            for i in range(arr.shape[0]):
                table.add_row(f"{name} {fmt.shape(arr)}" if i == 0 else "", n.vec(arr[i], p))
        table.add_row(f"dWy {fmt.shape(trace.dWy)}", n.vec(trace.dWy[:, 0], p).append("ᵀ"),
                      f"= h{sub(trace.length)}ᵀ·dL/dz")
        table.add_row(f"dBy {fmt.shape(trace.dby)}", n.vec(trace.dby, p), "= dL/dz")
        heading = Text(tr("bw.totals", T=trace.length), style="dim")
        return Group(heading, table)


class NormBars(Panel[BackwardView]):
    """‖dL/dh_t‖ and the norm of each step's share, as bars: vanishing or exploding."""

    DH_BAR, SHARE_BAR = 20, 14

    def key(self, view: BackwardView) -> Hashable:
        return (view.pos, view.trace.b, id(view.trace), view.lang)

    def build(self, view: BackwardView) -> Table:
        trace = view.trace
        steps = trace.steps
        top_dh = max((s.dh_norm for s in steps), default=0.0)
        top_share = max((s.grad_norm for s in steps), default=0.0)
        tw = max(len(s.token) for s in steps) if steps else 1
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)  # t and token
        table.add_column(no_wrap=True, min_width=self.DH_BAR)
        table.add_column(no_wrap=True, min_width=8)
        table.add_column(no_wrap=True, min_width=self.SHARE_BAR)
        table.add_column(no_wrap=True, min_width=8)
        table.add_column(no_wrap=True)
        table.add_row(Text(""), Text(tr("bw.norm_dh"), style="bold"), "",
                      Text(tr("bw.norm_share"), style="bold"), "", "")
        width = len(str(trace.length))
        for i, s in enumerate(steps):  # t = T first: bars that shrink going down vanish
            here = view.index == i and not view.at_totals
            label = Text(f"t={s.t:<{width}} {s.token:<{tw}}", style="bold" if here else "")
            if view.reached(i, 1):
                dh_bar = Text(bar(s.dh_norm, top_dh, self.DH_BAR), style="bold")
                dh_value = Text(norm_text(s.dh_norm))
            else:
                dh_bar, dh_value = Text("·", style="dim"), Text("")
            if view.reached(i, 3):
                share_bar = Text(bar(s.grad_norm, top_share, self.SHARE_BAR), style="bold")
                share_value = Text(norm_text(s.grad_norm))
            else:
                share_bar, share_value = Text("·", style="dim"), Text("")
            table.add_row(label, dh_bar, dh_value, share_bar, share_value,
                          Text(NEW if here else "", style="bold"))
        return table


# --- a gated cell (GRU, LSTM) ------------------------------------------------------


def back_gates(cell: str) -> tuple[str, ...]:
    """The order the view goes back through a cell's gates: the last computed first
    (LSTM o, g, f, i; GRU n, z, r: r reaches h only through n)."""
    from rnn_tui.core.cells import spec

    return tuple(reversed(spec(cell).gates))


@dataclass(frozen=True)
class GatedBackView(BackPositions):
    """What the backward screen shows for a gated cell."""

    back: GatedBackward
    cell: str
    b: int
    tokens: tuple[str, ...]
    y: float
    target: int
    pos: int
    precision: int
    text: str
    weights_label: str = ""
    lang: str = "en"

    @property
    def gates(self) -> tuple[str, ...]:
        return back_gates(self.cell)

    @property
    def per_step(self) -> int:
        """The gates (1..len(gates)), then dL/dh_{t-1}."""
        return len(self.gates) + 1

    @property
    def length(self) -> int:
        return len(self.back.steps)



class GatedBackStatus(Panel[GatedBackView]):
    def key(self, view: GatedBackView) -> Hashable:
        return (view.pos, view.text, view.b, view.weights_label, view.lang)

    def build(self, view: GatedBackView) -> Text:
        T = view.length
        text = Text()
        text.append(" rnn-tui ", style="bold reverse")
        text.append(f" {tr('bw.title')} ({view.cell.upper()})  ")
        if view.at_output:
            where = tr("bw.where_output", dh="dL/dh" + sub(T))
        elif view.at_totals:
            where = tr("bw.where_totals")
        else:
            t = view.back.steps[view.index].t
            name = f"dL/d{view.gates[view.phase - 1]}{sub(t)}" if view.phase <= len(view.gates) \
                else f"dL/dh{sub(t - 1)}"
            where = tr("status.substep", t=t, T=T, k=view.phase, K=view.per_step, name=name)
        text.append(where, style="bold")
        if view.weights_label:
            text.append(f"  [{view.weights_label}]")
        return text


class GatedOutputGrad(Panel[GatedBackView]):
    def key(self, view: GatedBackView) -> Hashable:
        return (view.at_output, view.b, view.precision, id(view.back), view.lang)

    def build(self, view: GatedBackView) -> Text:
        p, back = view.precision, view.back
        text = Text(tr("bw.output_line", y=fmt.prob(view.y, p), target=view.target,
                       loss=fmt.prob(back.loss, p)))
        text.append(tr("bw.dz"))
        text.append_text(_new(n.num(float(back.dz[0, 0]), p), view.at_output))
        text.append(f"\ndL/dh{sub(view.length)} = dL/dz·Wyᵀ = ")
        text.append_text(_new(n.vec(back.dh_T[0], p), view.at_output))
        return text


class GatedStepGrad(Panel[GatedBackView]):
    """One time step going back, gate by gate; or every weight's gradient."""

    def key(self, view: GatedBackView) -> Hashable:
        return (view.pos, view.b, view.precision, id(view.back), view.lang)

    def build(self, view: GatedBackView) -> Text:
        p = view.precision
        if view.at_output:
            return Text(tr("gate.bw_intro", T=view.length, gates=" ".join(view.gates)),
                        style="dim")
        if view.at_totals:
            text = Text(tr("bw.totals", T=view.length), style="dim")
            for name, grad in view.back.grads.items():
                size = norm_text(float(np.linalg.norm(grad)))
                text.append(f"\n‖d{name}‖ {fmt.shape(grad)} = {size}")
                if grad.shape[0] == 1 or grad.shape[1] == 1:
                    text.append("  ")
                    text.append_text(n.vec(grad, p))
            return text
        step = view.back.steps[view.index]
        t, H = step.t, step.dh.shape[1]
        blank = n.hidden_text(n.vec_width(H, p))
        text = Text(f"dL/dh{sub(t)} = ")
        text.append_text(n.vec(step.dh[0], p))
        source = tr("bw.from_output") if t == view.length else tr("bw.from_step", t=t + 1)
        text.append(f"  ({source})", style="dim")
        if step.dc is not None:
            text.append(f"\ndL/dc{sub(t)} = ")
            text.append_text(n.vec(step.dc[0], p))
        for k, g in enumerate(view.gates, start=1):
            shown = view.phase >= k
            text.append(f"\n{g}: dL/d{g}{sub(t)} = ")
            text.append_text(_new(n.vec(step.dgate[g][0], p), view.phase == k)
                             if shown else blank)
            text.append("\n   dL/dsum = ")
            text.append_text(n.vec(step.dpre[g][0], p) if shown else blank)
            if shown:
                shares = "  ".join(
                    f"‖{name}‖ {norm_text(float(np.linalg.norm(step.shares[name])))}"
                    for name in (f"Wx{g}", f"Wh{g}") if name in step.shares)
                text.append(f"   Δ {shares}", style="dim")
        last = view.phase >= view.per_step
        text.append(f"\ndL/dh{sub(t - 1)} = ")
        text.append_text(_new(n.vec(step.dh_prev[0], p), view.phase == view.per_step)
                         if last else blank)
        if step.dc_prev is not None:
            text.append(f"   dL/dc{sub(t - 1)} = ")
            text.append_text(n.vec(step.dc_prev[0], p) if last else blank)
        if t == 1 and last:
            text.append("\n" + tr("bw.stops"), style="dim")
        return text


class GatedNormBars(Panel[GatedBackView]):
    """‖dL/dh_t‖ per time step (and ‖dL/dc_t‖ for an LSTM), as bars."""

    def key(self, view: GatedBackView) -> Hashable:
        return (view.pos, view.b, id(view.back), view.lang)

    def build(self, view: GatedBackView) -> Text:
        steps = view.back.steps
        norms = [float(np.linalg.norm(s.dh)) for s in steps]
        top = max(norms, default=0.0)
        tw = max((len(tok) for tok in view.tokens), default=1)
        text = Text(tr("bw.norm_dh"), style="bold")
        for i, s in enumerate(steps):
            here = view.index == i and not view.at_totals
            text.append(f"\nt={s.t:<{len(str(view.length))}} {view.tokens[s.t - 1]:<{tw}} ",
                        style="bold" if here else "")
            if view.reached(i, 1):
                text.append(bar(norms[i], top, 20).ljust(20), style="bold")
                text.append(" " + norm_text(norms[i]))
            else:
                text.append("·", style="dim")
            if here:
                text.append(f" {NEW}", style="bold")
        return text


class BackwardScreen(TranslatedBindings, Screen[int]):
    """Steps through ``backward_trace`` for one sentence; returns the sentence selected."""

    OWNS_KEYS = True  # the stepper's keys are off while it is open (RNNApp.check_action)

    CSS_PATH = "../training.tcss"

    BINDINGS = [
        Binding("right,l,space", "move(1)", "Next", key_display="→", id="bw_next"),
        Binding("shift+right,L", "step(1)", "Step", key_display="L", id="step"),
        Binding("left,h", "move(-1)", "Back", key_display="←", id="back"),
        Binding("shift+left,H", "step(-1)", "Back a step", show=False, id="back_step"),
        Binding("home,r", "jump(0)", "Start", show=False, id="bw_start"),
        Binding("end", "jump(-1)", "Sum", show=False, id="bw_sum"),
        Binding("up", "select(-1)", "Sentence", key_display="↑↓", id="up"),
        Binding("down", "select(1)", "Next sentence", show=False, id="down"),
        Binding("plus,equals_sign", "decimals(1)", "Decimals", key_display="+-",
                id="bw_decimals"),
        Binding("minus", "decimals(-1)", "Fewer decimals", show=False, id="bw_fewer"),
        Binding("escape,g", "close", "Close", key_display="esc", id="close"),
        LANG_BINDING,
    ]

    pos: reactive[int] = reactive(0)
    selected: reactive[int] = reactive(0)
    precision: reactive[int] = reactive(4)

    def __init__(
        self,
        stepper: Stepper | GatedStepper,
        selected: int,
        texts: tuple[str, ...],
        precision: int = 4,
        weights_label: str = "",
    ) -> None:
        super().__init__()
        self.stepper = stepper
        self.gated = isinstance(stepper, GatedStepper)  # a GRU's or an LSTM's (issue 21)
        self.texts = texts
        self.weights_label = weights_label
        self.trace = self._trace(selected)
        self.set_reactive(BackwardScreen.selected, selected)
        self.set_reactive(BackwardScreen.precision, max(1, min(8, precision)))

    def _trace(self, b: int) -> BackwardTrace | GatedBackward:
        s = self.stepper
        if isinstance(s, GatedStepper):
            return gated_backward_trace(s.weights, s.X, s.lengths, s.labels, b)
        return backward_trace(s.weights, s.X, s.lengths, s.labels, b, s.activation)

    def compose(self) -> ComposeResult:
        gated = self.gated
        yield (GatedBackStatus if gated else BackwardStatus)(id="bw-status")
        with VerticalScroll(id="bw-body", can_focus=False):
            yield (GatedOutputGrad if gated else OutputGrad)(id="bw-output")
            yield (GatedStepGrad if gated else StepGrad)(id="bw-step")
            yield (GatedNormBars if gated else NormBars)(id="bw-norms")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        follow_language(self, self._apply_lang)

    def _apply_lang(self) -> None:
        self.refresh_bindings()  # the footer reads the words again
        # the app's "[trained weights]" label, in the language just chosen
        self.weights_label = getattr(self.app, "weights_label", self.weights_label)
        self.query_one("#bw-norms").border_title = Content(tr("bw.norms_title"))
        self.refresh_view()

    def action_next_lang(self) -> None:
        next_language(self)

    def view(self) -> BackwardView | GatedBackView:
        b, s = self.selected, self.stepper
        if isinstance(s, GatedStepper):
            out = s.run() if s.output is None else s.output  # (a copy's would do: s is at T)
            return GatedBackView(
                back=cast(GatedBackward, self.trace),  # _trace made it from this GatedStepper
                cell=s.cell, b=b,
                tokens=tuple(tok for tok in (s.tokens_at(t)[b] for t in range(1, s.steps + 1))
                             if tok is not None),
                y=float(out.y[b, 0]), target=int(s.labels[b]) if s.labels is not None else 0,
                pos=self.pos, precision=self.precision, text=self.texts[b],
                weights_label=self.weights_label, lang=i18n.lang())
        return BackwardView(
            trace=cast(BackwardTrace, self.trace),  # _trace made it from this Stepper
            pos=self.pos,
            precision=self.precision,
            act=s.activation,
            text=self.texts[b],
            weights_label=self.weights_label,
            lang=i18n.lang(),
        )

    def refresh_view(self) -> None:
        view = self.view()
        for panel in self.query(Panel):
            panel.show(view)
        if isinstance(view, GatedBackView):
            self.query_one("#bw-output").border_title = Content(tr(
                "bw.output_title", n=view.b + 1, text=view.text))
            self.query_one("#bw-step").border_title = Content(
                tr("bw.going_back") if view.at_output else tr("bw.gradient")
                if view.at_totals else tr("bw.back_through", t=view.back.steps[view.index].t,
                                          x=f"x{sub(view.back.steps[view.index].t)}",
                                          token=repr(view.tokens[view.back.steps[
                                              view.index].t - 1])))
            return
        trace = view.trace
        # titles as Content: the sentence and its tokens are text, never markup
        self.query_one("#bw-output").border_title = Content(tr(
            "bw.output_title", n=trace.b + 1, text=view.text))
        step = view.step
        self.query_one("#bw-step").border_title = Content(
            tr("bw.going_back") if step is None
            else tr("bw.gradient") if view.at_totals
            else tr("bw.back_through", t=step.t, x=f"x{sub(step.t)}", token=repr(step.token)))

    def watch_pos(self) -> None:
        self.refresh_view()

    def watch_precision(self) -> None:
        self.refresh_view()

    def watch_selected(self, selected: int) -> None:
        self.trace = self._trace(selected)
        self.pos = 0
        self.refresh_view()

    @property
    def per_step(self) -> int:
        s = self.stepper
        return len(back_gates(s.cell)) + 1 if isinstance(s, GatedStepper) else SUBSTEPS

    @property
    def last(self) -> int:
        trace = self.trace
        length = len(trace.steps) if isinstance(trace, GatedBackward) else trace.length
        return self.per_step * length + 1

    def action_move(self, delta: int) -> None:
        self.pos = max(0, min(self.last, self.pos + delta))

    def action_step(self, delta: int) -> None:
        """Like the stepper's L and H: to the last sub-step of the next (previous) time step."""
        K = self.per_step
        if delta > 0:
            target = (self.pos // K + 1) * K
            self.pos = self.last if target >= self.last else target
        else:
            self.pos = max(0, (self.pos - 1) // K * K)

    def action_jump(self, where: int) -> None:
        self.pos = self.last if where < 0 else 0

    def action_select(self, delta: int) -> None:
        self.selected = (self.selected + delta) % self.stepper.batch

    def action_decimals(self, delta: int) -> None:
        self.precision = max(1, min(8, self.precision + delta))

    def action_close(self) -> None:
        self.dismiss(self.selected)

