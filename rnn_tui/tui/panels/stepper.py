"""The stepper's panels: one per concept of the lesson.

Each panel formats numbers the engine computed (``View.record``,
``View.output``); none computes a number of the network itself. Words come
from the message catalogue (``rnn_tui.teach.i18n.tr``); the maths is the same in
every language.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, cast

from rich.cells import cell_len
from rich.style import Style as RichStyle
from rich.text import Span, Text
from textual.strip import Strip

from rnn_tui.core.cursor import SUBSTEPS
from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import narrate, sub
from rnn_tui.tui.panels import numbers as n
from rnn_tui.tui.panels.base import Lines, Panel, text_strips
from rnn_tui.tui.view import View

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import Binding

NEW = "◀"  # marks the value revealed by the last key press


def pad(text: str, width: int) -> str:
    """Left-align in ``width`` terminal cells (Korean and other wide characters count 2)."""
    return text + " " * max(0, width - cell_len(text))


def clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: cut, with "…", if it is longer."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def cut(line: Text, width: int) -> Text:
    """A line longer than ``width`` cells, cut with "…" (a line never wraps)."""
    if line.cell_len > width:
        line = line.copy()
        line.truncate(width, overflow="ellipsis")
    return line


def _column(view: View) -> int:
    """Where the matrix of a term starts (the term's own lines are on its left)."""
    return max(26, n.vec_width(view.stepper.weights.hidden, view.precision) + 6) + 1


def _term_columns(view: View, left: Text, right: Text | list[Text]) -> Text:
    """The term on the left and its matrix on the right, aligned across panels.

    Plain Text joined line by line: cheaper to build and to render than a
    Rich table, and every step builds several of these. A line longer than the
    panel is cut, with "…": it never wraps.
    """
    width = _column(view) - 1
    lefts = left.split("\n")
    rights = right.split("\n") if isinstance(right, Text) else right  # (or already its lines)
    out = Text()
    for i in range(max(len(lefts), len(rights))):
        if i:
            out.append("\n")
        line = lefts[i] if i < len(lefts) else Text()
        if i < len(rights):
            line = line.copy()
            line.append(" " * max(1, width + 1 - line.cell_len))
            line.append_text(rights[i])
        out.append_text(cut(line, view.middle_width()))
    return out


def grid(rows: Sequence[Sequence[Text | list[Text]]], gap: int = 2,
         widths: tuple[int, ...] | None = None) -> Lines:
    """Cells of several lines laid out in columns, like a Rich ``Table.grid``.

    Each column is as wide as its widest line, and columns are ``gap`` cells
    apart; a row is as tall as its tallest cell. One Text comes out: far
    cheaper to build and render than a table, which the batch view, repainted
    on every sub-step of a big terminal, was. Each line is put together as
    ``Text.join`` would, from the pieces' text and spans (appending piece by
    piece costs several times more, and a Text per gap half as much). A cell
    is a Text, or already a list of its lines. Out come the lines (``Lines``),
    which the panel draws without splitting them again. ``widths``: the columns'
    (those of more rows: these rows laid out as those rows are), if known; the last
    column's may be left out (it is not padded).
    """
    cells = [[cell.split("\n") if isinstance(cell, Text) else cell for cell in row]
             for row in rows]
    lengths = [[[line.cell_len for line in cell] for cell in row] for row in cells]
    if widths is None:
        columns = max((len(row) for row in cells), default=0)
        widths = tuple(max((length for row in lengths if c < len(row) for length in row[c]),
                           default=0) for c in range(columns))
    lines = []
    for row, row_lengths in zip(cells, lengths, strict=True):
        last = len(row) - 1
        for y in range(max((len(cell) for cell in row), default=0)):
            # as Text().join(pieces, with Texts of spaces between): its plain text
            # and spans put together here, without a Text for each gap
            plain: list[str] = []
            spans: list[Span] = []
            at = 0
            for c, cell in enumerate(row):
                if y < len(cell):
                    part = cell[y]
                    size = len(part)
                    plain.append(part.plain)
                    if part.style:
                        spans.append(Span(at, at + size, part.style))
                    spans.extend(Span(at + a, at + b, style) for a, b, style in part.spans)
                    at += size
                    length = row_lengths[c][y]
                else:
                    length = 0
                if c < last:
                    spaces = widths[c] - length + gap
                    plain.append(" " * spaces)
                    at += spaces
            line = Text("".join(plain), spans=spans)
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
        text = Text()
        text.append(" rnn-tui ", style="bold reverse")
        text.append(" ")
        text.append(self.where(view), style="bold")
        if view.message:
            text.append(f"  ({view.message})", style="italic")
        if view.batch:
            text.append("  " + tr("status.batch_view"))
        if view.mode:
            text.append("  " + view.mode)
        if view.playing:
            text.append("  " + tr("status.playing", speed=f"{view.speed:g}"))
        return text

    def where(self, view: View) -> str:
        """Where the stepper is: the time step and the sub-step's name."""
        c = view.cursor
        T = c.steps
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
        return where


def window(count: int, focus: int, room: int) -> tuple[int, int]:
    """Items ``first..last - 1`` of ``count`` to show in ``room`` lines, ``focus``
    among them, with a line saying how many more there are above (if ``first``)
    and below (if ``last < count``): those lines count in ``room``."""
    if count <= room:
        return 0, count
    room = max(room, 3)
    if focus < room - 1:  # near the top: only a line below
        return 0, room - 1
    if focus >= count - (room - 1):  # near the bottom: only a line above
        return count - (room - 1), count
    k = room - 2
    first = min(max(focus - (k - 1) // 2, 1), count - 1 - k)
    return first, first + k


def more_line(count: int, below: bool) -> Text:
    """"▴ 2 more" above a window, "▾ 3 more" below it."""
    return Text(tr("fit.more_below" if below else "fit.more_above", n=count), style=n.muted())


class BatchPanel(Panel[View]):
    """Every sentence with its target; the time cursor over the tokens; the selection.

    One line per sentence, never wrapped: a window of sentences around the
    selected one when they do not all fit ("▾ 3 more"), and a window of tokens
    around t when a sentence is longer than the line ("…" where tokens are left out).
    """

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, view.lang, view.strip_rows(),
                view.top_width())

    def build(self, view: View) -> Text:
        s = view.stepper
        T = s.steps
        pad_word = tr("word.pad")
        width = max([cell_len(tok) for tok in s.vocab] + [cell_len(pad_word), 3])
        digits = len(str(s.batch))
        label = 4 if s.labels is not None else 0  # " → 1"
        room = view.top_width() - (2 + digits + 1) - label
        first_t, last_t = 1, T
        if T * (width + 2) > room:  # the tokens around t, "…" for the others
            fit = max(1, (room - 2) // (width + 2))
            first_t = min(max(view.t - (fit - 1) // 2, 1), max(T - fit + 1, 1))
            last_t = min(T, first_t + fit - 1)
        first, last = window(s.batch, view.selected, view.strip_rows())
        lines = Text()
        if first:
            lines.append_text(more_line(first, below=False))
        for b in range(first, last):
            if lines:
                lines.append("\n")
            selected = b == view.selected
            lines.append("▸ " if selected else "  ", style="bold" if selected else "")
            lines.append(f"{b + 1:>{digits}} ", style=n.muted())
            if first_t > 1:
                lines.append("…", style=n.muted())
            for t in range(first_t, last_t + 1):
                token = s.tokens_at(t)[b]
                cell = pad(token if token is not None else pad_word, width)
                style = f"{n.muted()} italic" if token is None else ""
                if t == view.t:
                    lines.append(f"[{cell}]", style=f"{style} bold reverse".strip())
                else:
                    lines.append(f" {cell} ", style=style)
            if last_t < T:
                lines.append("…", style=n.muted())
            if s.labels is not None:
                lines.append(f" → {int(s.labels[b])}", style="bold" if selected else "")
        if last < s.batch:
            lines.append("\n")
            lines.append_text(more_line(s.batch - last, below=True))
        return lines


class HistoryPanel(Panel[View]):
    """h_1..h_t of the selected sentence, so one sees how h evolves."""

    def key(self, view: View) -> Hashable:
        return (view.revealed_h, view.t, view.phase == 4, view.selected, view.version,
                view.precision, view.lang, view.strip_rows(), view.top_width())

    def build(self, view: View) -> Text:
        """One row per time step from the start, filled in as h_t is revealed.

        The panel keeps its height as the steps go by, so a step repaints only
        the row that changed (bytes per step matter over SSH). At most
        ``View.strip_rows`` rows: the last ones revealed. A padded step says so
        on its own line, "h₄ […] ·pad", or "h₄ = h₃ (carried)" if that is too long.
        """
        count = view.revealed_h
        p = view.precision
        T = view.stepper.steps
        rows = view.strip_rows()
        last = min(T, max(count, view.t, rows))  # the step being revealed, too
        first = max(1, last - rows + 1)
        blank = n.hidden_text(n.vec_width(view.stepper.weights.hidden, p))
        pad_word = tr("word.pad")
        text = Text()
        for t in range(first, last + 1):
            if t > first:
                text.append("\n")
            text.append(f"h{sub(t)} ")
            if t > count:
                text.append_text(blank)
                continue
            record = view.stepper.history[t - 1]
            new = t == count and view.phase == 4
            value = _mark(n.vec(record.h[view.selected], p), new)
            if record.active[view.selected]:
                text.append_text(value)
                continue
            if cell_len(f"h{sub(t)} ") + value.cell_len + 1 + cell_len(pad_word) \
                    <= view.top_width():
                text.append_text(value)
                text.append(" " + pad_word, style=f"{n.muted()} italic")
            else:  # the numbers are h_{t-1}'s, on the line above
                text.append(tr("carried.h_row", h_prev=f"h{sub(t - 1)}"),
                            style=f"{n.muted()} italic")
                if new:
                    text.append(f" {NEW}", style="bold")
        return text


class Part:
    """One part of the step box (``StepBox``): what it depends on (``key``) and its
    lines (``build``). Not a widget: the box draws its parts, so a sub-step refreshes
    one widget, and folding the box changes its lines, not the layout."""

    def key(self, view: View) -> Hashable:
        raise NotImplementedError

    def build(self, view: View) -> Text | Lines:
        raise NotImplementedError


def _weights_key(view: View) -> Hashable:
    """What a weight matrix on screen is made of, besides the weights' numbers: a
    new Stepper (new weights, new data) bumps ``version``; hand edits are marked;
    and the decimals, the words, the colours and the entries shown."""
    return (view.version, id(view.stepper.weights), view.precision, view.edited, view.lang,
            view.theme, n.palette_key(), n.limit())


class InputTerm(Part):
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
        key = (_weights_key(view), row, view.middle_width())
        if self._matrix is None or self._matrix[0] != key:
            self._matrix = (key, list(self._wxh(view, row).split("\n")))
        return _term_columns(view, left, self._matrix[1])

    #: Wxh's lines, for the weights and the row picked (_term_columns copies them)
    _matrix: tuple[Hashable, list[Text]] | None = None

    @staticmethod
    def _wxh(view: View, row: int | None) -> Text:
        """Wxh, the row ``row`` picked: the same on every step that picks that row."""
        p = view.precision
        W = view.stepper.weights
        right = Text()
        right.append(f"Wxh {fmt.shape(W.Wxh)}", style="bold")
        if row is not None:
            right.append(tr("input.picks_row", row=row + 1), style="italic")
        token_width = max(cell_len(tok) for tok in W.vocab)
        # the rows' numbers always fit: long tokens are cut to the room left of them
        room = view.middle_width() - _column(view) - 3 - n.vec_width(W.hidden, p)
        token_width = max(3, min(token_width, room))
        for i in n.shown(len(W.vocab), must=row):
            right.append("\n")
            if i is None:
                right.append("  ⋮")
                continue
            token, picked = W.vocab[i], i == row
            right.append(f"{'▶' if picked else ' '} {pad(clip(token, token_width), token_width)} ",
                         style="bold" if picked else "")
            right.append_text(n.vec(W.Wxh[i], p, "reverse" if picked else "",
                                    view.marked("Wxh", i)))
        return right


class RecurrentTerm(Part):
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
        key = _weights_key(view)
        if self._matrix is None or self._matrix[0] != key:
            self._matrix = (key, list(self._whh(view).split("\n")))
        return _term_columns(view, left, self._matrix[1])

    #: Whh's lines, for the weights they were made of (_term_columns copies them)
    _matrix: tuple[Hashable, list[Text]] | None = None

    @staticmethod
    def _whh(view: View) -> Text:
        """Whh: the same on every step, for the same weights."""
        p = view.precision
        W = view.stepper.weights
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
        return right


class SumTerm(Part):
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


def pack(atoms: list[tuple[str, Text]], width: int) -> Lines:
    """Pieces of a line, each a separator and a body, packed into lines of at most
    ``width`` cells: a piece that does not fit starts a new line, indented, its
    separator trimmed ("  + [...]"). A piece wider than the line gets a line of its own.
    """
    lines: list[Text] = []
    line = Text()
    for sep, body in atoms:
        if line and line.cell_len + cell_len(sep) + body.cell_len > width:
            lines.append(line)
            line = Text("  " + sep.strip() + " " if sep.strip() else "  ")
        elif line or sep.strip():
            line.append(sep)
        line.append_text(body)
    lines.append(line)
    return Lines(lines)


class EquationLine(Part):
    """h_t = tanh(x_t·Wxh + h_{t-1}·Whh + Bh), the numbers filled in as they are revealed.

    Broken between its terms to the panel's width (``pack``), never inside a vector.
    """

    def key(self, view: View) -> Hashable:
        return (view.t, view.selected, view.version, min(view.phase, 4), view.precision,
                view.lang, view.middle_width())

    def build(self, view: View) -> Lines:
        return pack(self.atoms(view), view.middle_width())

    @classmethod
    def atoms(cls, view: View, t: int | None = None, carried: bool | None = None
              ) -> list[tuple[str, Text]]:
        """The equation's pieces; ``t`` and ``carried`` ask for another step's form
        (with nothing revealed: to measure its height)."""
        p = view.precision
        rec = view.record if t is None else None
        t = view.t if t is None else t
        b = view.selected
        phase = view.phase if rec is not None else 0
        if carried if carried is not None else (rec is not None and not rec.active[b]):
            head = Text(tr("carried", h=f"h{sub(t)}", h_prev=f"h{sub(t - 1)}") + " = ")
            h = view.stepper.weights.hidden
            head.append_text(n.vec(rec.h[b], p) if rec is not None
                             else n.hidden_text(n.vec_width(h, p)))
            return [("", head), ("  ", Text(tr("equation.padding"), style=n.muted()))]
        W = view.stepper.weights
        if rec is None and t == 0:  # before the first step: the equation of t = 1, all slots
            t = 1
        terms = [
            (1, rec.xWxh[b] if rec else None, f"x{sub(t)}·Wxh", W.hidden),
            (2, rec.hWhh[b] if rec else None, f"h{sub(t - 1)}·Whh", W.hidden),
            (3, W.bh, "Bh", W.bh.size),
        ]
        atoms: list[tuple[str, Text]] = []
        for i, (k, value, symbol, size) in enumerate(terms):
            body = Text(f"h{sub(t)} = {view.act}(") if i == 0 else Text()
            if phase >= k and value is not None:  # (phase is 0 without a record)
                body.append_text(n.vec(value, p))
            else:
                body.append_text(cls._slot(symbol, size, p))
            if i == 2:
                body.append(")")
            atoms.append(("" if i == 0 else " + ", body))
        if rec is not None and phase >= 4:  # (phase is 0 without a record)
            atoms.append((" = ", n.vec(rec.h[b], p, "bold")))
        else:
            atoms.append((" = ", cls._slot(f"h{sub(t)}", W.hidden, p)))
        return atoms

    @staticmethod
    def _slot(symbol: str, size: int, p: int) -> Text:
        """A value not revealed yet: its name, as wide as its ``size`` numbers will be.

        The line keeps its length (and where it wraps) from sub-step to sub-step.
        """
        width = n.vec_width(size, p)
        inner = f"{symbol} "
        return Text("[" + inner + "·" * max(0, width - 2 - cell_len(inner)) + "]",
                    style=n.muted())


#: The step box's parts, in order (their ids in the layout).
STEP_PARTS = ("input-term", "recurrent-term", "sum-term", "equation")


#: step_heights' last answers, by what they depend on (asked several times a key
#: press, at two sizes where the network diagram may take rows: a few kept, not one)
_heights: dict[Hashable, dict[str, int]] = {}
#: How many answers ``_heights`` keeps.
HEIGHTS_KEPT = 8


def step_heights(view: View) -> dict[str, int]:
    """Lines each part of the step box takes at its tallest, at this size.

    From the shapes, not from one step's numbers, so that the box folds (or
    not) the same way at every step of the data.
    """
    W = view.stepper.weights
    key = (W.vocab_size, W.hidden, W.bh.size, view.stepper.steps, view.act, view.size,
           view.precision, view.lang, n.limit())
    heights = _heights.get(key)
    if heights is None:
        if len(_heights) >= HEIGHTS_KEPT:
            del _heights[next(iter(_heights))]  # the oldest
        heights = _heights[key] = _step_heights(view)
    return heights


def _step_heights(view: View) -> dict[str, int]:
    W = view.stepper.weights
    T = view.stepper.steps
    width = view.middle_width()
    equation = max(len(pack(EquationLine.atoms(view, t=T, carried=False), width)),
                    len(pack(EquationLine.atoms(view, t=T, carried=True), width)))
    return {
        "input-term": max(3, 1 + n.most_shown(W.vocab_size)),  # Wxh, its picked row kept
        "recurrent-term": max(3, len(n.shown(W.hidden))),
        "sum-term": 3,
        "equation": equation,
    }


def step_parts(view: View) -> tuple[str, ...]:
    """The parts of the step box on screen: all of them where they fit, else the
    current sub-step's (x·Wxh, h·Whh, the sum, or the sum and h_t = tanh(sum)),
    the equation under it, then the sub-steps before it and after it, as many as fit."""
    return _parts_at(step_heights(view), view.middle_rows() - 2, view.phase)


def _parts_at(heights: dict[str, int], room: int, phase: int) -> tuple[str, ...]:
    """``step_parts`` at sub-step ``phase``, in ``room`` lines (the box's, inside its borders)."""
    if sum(heights.values()) <= room:
        return STEP_PARTS
    current = {0: "input-term", 1: "input-term", 2: "recurrent-term"}.get(phase, "sum-term")
    parts = {current, "equation"} if phase >= 4 else {current}
    here = STEP_PARTS.index(current)
    others = ["equation", *STEP_PARTS[here - 1::-1][:here], *STEP_PARTS[here + 1:3]]
    for part in others:
        if part not in parts and sum(heights[p] for p in parts) + heights[part] <= room:
            parts.add(part)
    return tuple(part for part in STEP_PARTS if part in parts)


def step_box_height(view: View) -> int:
    """Rows the step box takes, borders included: the same at every sub-step (the
    most its parts take at any of them), so that folding it is never a new layout."""
    heights = step_heights(view)
    room = view.middle_rows() - 2
    return max(sum(heights[part] for part in _parts_at(heights, room, phase))
               for phase in range(SUBSTEPS + 1)) + 2


#: The step box's parts by their names (``STEP_PARTS``).
PART_TYPES: dict[str, type[Part]] = {
    "input-term": InputTerm, "recurrent-term": RecurrentTerm, "sum-term": SumTerm,
    "equation": EquationLine,
}


class StepBox(Panel[View]):
    """The step box: x·Wxh, h·Whh, the sum and the equation (its ``Part``s), the
    ones that fit (``step_parts``), one under the other, each as tall as it is at
    its tallest (``step_heights``), in a box as tall at every sub-step
    (``step_box_height``): a sub-step repaints this one panel, only its changed
    lines, and never asks for a new layout. The equation is bold."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parts: dict[str, Part] = {name: cls() for name, cls in PART_TYPES.items()}
        #: each part's last lines, by what they were made of (``_part_key``): a sub-step
        #: builds again only the parts whose key changed (never changed once made)
        self._built: dict[str, tuple[Hashable, list[Text]]] = {}

    def _part_key(self, name: str, view: View) -> Hashable:
        """What part ``name``'s lines are made of: its own key, the size (its lines are
        cut to the width), the colours and the entries shown."""
        return (self.parts[name].key(view), view.size, view.theme, n.palette_key(), n.limit())

    def _lines_of(self, name: str, view: View) -> list[Text]:
        """Part ``name``'s lines: kept from the last build if its key is the same."""
        key = self._part_key(name, view)
        kept = self._built.get(name)
        if kept is not None and kept[0] == key:
            return kept[1]
        content = self.parts[name].build(view)
        lines = list(content if isinstance(content, Lines) else
                     content.split("\n", allow_blank=True))
        if name == "equation":  # bold where Textual draws them too (a mouse selection)
            for line in lines:  # (pack's lines, made afresh: ours to style)
                line.style = "bold"
        self._built[name] = (key, lines)
        return lines

    def key(self, view: View) -> Hashable:
        parts = step_parts(view)
        return (parts, step_box_height(view), tuple(self._part_key(name, view) for name in parts))

    def build(self, view: View) -> Lines:
        heights = step_heights(view)
        lines = Lines()
        for name in step_parts(view):
            part = self._lines_of(name, view)
            if name == "equation":  # (the content's own: a content shown again keeps it)
                lines.bold = (len(lines), len(lines) + len(part))
            lines.extend(part)
            lines.extend(Text() for _ in range(heights[name] - len(part)))
        lines.extend(Text() for _ in range(step_box_height(view) - 2 - len(lines)))
        return lines

    def _strips(self, content: Text | Lines, width: int, base: RichStyle,
                cache: dict) -> list[Strip] | None:
        """The lines as Strips, the equation's on a bold base (as ``text-style: bold``)."""
        if not isinstance(content, Lines):
            return super()._strips(content, width, base, cache)
        first, last = content.bold
        pieces = ((content[:first], base), (content[first:last], base + _BOLD),
                  (content[last:], base))
        strips: list[Strip] = []
        for i, (lines, style) in enumerate(pieces):
            made = text_strips(Lines(lines), width, style, self.app.console,
                               cache.setdefault(i, {}))
            if made is None:
                return None
            strips += made
        return strips


_BOLD = RichStyle(bold=True)


class OutputPanel(Panel[View]):
    """The end: z = h_T·Wy + By, y = sigmoid(z), the prediction against the target, the loss.

    No line is wider than the panel (Wy goes on a line of its own, the term by
    term expansion of z is elided with …), and where the lines do not all fit,
    the least needed go first: y, the prediction, the loss and the mean loss stay.
    """

    def key(self, view: View) -> Hashable:
        return (view.cursor.at_output, view.selected, view.version, view.edited, view.precision,
                view.batch, view.lang, view.middle_rows(), view.middle_width())

    def build(self, view: View) -> Lines:
        out = view.output
        if out is None:
            return Lines([Text("")])
        width = view.middle_width()
        room = view.middle_rows() - 2  # the panel's borders
        lines = self._rows(view, out, width, compact=False)
        if len(lines) > room:
            lines = self._rows(view, out, width, compact=True)
            for drop in sorted({rank for rank, _ in lines}, reverse=True):
                if len(lines) <= room or drop == 0:
                    break
                lines = [(rank, line) for rank, line in lines if rank < drop]
        return Lines(cut(line, width) for _, line in lines)

    def _rows(self, view: View, out, width: int, compact: bool) -> list[tuple[int, Text]]:
        """The output's lines, each with its rank: 0 always stays, higher goes first."""
        p = view.precision
        W = view.stepper.weights
        s = view.stepper
        b = view.selected
        T = int(s.lengths[b])
        h = f"h{sub(T)}"
        lines: list[tuple[int, Text]] = []
        # (a span, not the Text's own style: Lines are drawn line by line)
        lines.append((3, Text().append(tr("output.read_at", n=b + 1, text=view.texts[b], t=T),
                                       style="bold")))
        h_line = Text(f"{h} = ")
        h_line.append_text(n.vec(out.h_last[b], p))
        # Wy is a column (H,1): written as a row, transposed once
        wy = Text(f"Wy {fmt.shape(W.Wy)} = ")
        wy.append_text(n.vec(W.Wy, p, marked={r for n_, r, _ in view.edited if n_ == "Wy"}))
        wy.append("ᵀ")
        if not compact and h_line.cell_len + 4 + wy.cell_len <= width:
            h_line.append("    ")
            h_line.append_text(wy)
            lines.append((2, h_line))
        else:
            lines.append((2, h_line))
            lines.append((4, wy))
        z_value = _mark(n.num(out.z[b, 0], p), True)
        if compact:
            z = Text(f"z = {h}·Wy + By = ")
            z.append_text(z_value)
            lines.append((1, z))
        else:
            lines.append((6, Text(f"z = {h}·Wy + By   "
                                  f"{fmt.shape((1, W.hidden))}·{fmt.shape(W.Wy)} + (1,1) → (1,1)")))
            lines.append((7, self._expansion(view, out, width)))
            z = Text("  = ")
            z.append_text(z_value)
            lines.append((1, z))
        y = Text("y = sigmoid(z) = 1 / (1 + e^(−z)) = ")
        y.append(fmt.prob(out.y[b, 0], p), style="bold")
        lines.append((0, y))
        prediction = Text(tr("output.prediction", pred=int(out.prediction[b, 0])))
        if out.target is not None and out.loss is not None:
            target = int(out.target[b, 0])
            ok = int(out.prediction[b, 0]) == target
            verdict = Text("   " + tr("output.target", target=target) + "  ")
            verdict.append(tr("output.right") if ok else tr("output.wrong"), style="bold")
            if prediction.cell_len + verdict.cell_len <= width:
                prediction.append_text(verdict)
            else:
                lines.append((0, prediction))
                prediction = Text(tr("output.target", target=target) + "  ")
                prediction.append(tr("output.right") if ok else tr("output.wrong"), style="bold")
            lines.append((0, prediction))
            lines.append((0, Text(tr("output.loss", loss=fmt.prob(out.loss[b], p)))))
        else:
            lines.append((0, prediction))
        lines.extend(self._batch(view, out, width))
        return lines

    @staticmethod
    def _expansion(view: View, out, width: int) -> Text:
        """  = (h₁)(Wy₁) + … + (By): the terms while they fit on the line, then …"""
        p = view.precision
        W = view.stepper.weights
        b = view.selected
        terms = []
        for j in range(W.hidden):
            term = Text("(")
            term.append_text(n.num(out.h_last[b, j], p))
            term.append(")(")
            term.append_text(n.num(W.Wy[j, 0], p))
            term.append(")")
            terms.append(term)
        by = Text("(")
        by.append_text(n.num(W.by[0, 0], p, "underline" if view.marked("by", 0) else ""))
        by.append(")")
        line = Text("  = ")
        line.append_text(Text(" + ").join([*terms, by]))
        if line.cell_len <= width:
            return line
        line = Text("  = ")
        ending = Text(" + … + ")
        ending.append_text(by)
        for j, term in enumerate(terms):
            if line.cell_len + (3 if j else 0) + term.cell_len + ending.cell_len > width:
                break
            if j:
                line.append(" + ")
            line.append_text(term)
        line.append_text(ending)
        return line

    @staticmethod
    def _batch(view: View, out, width: int) -> list[tuple[int, Text]]:
        """The whole batch's output: z and y as (B, 1) columns, written as rows."""
        p = view.precision
        B = view.stepper.batch
        z = Text()
        z.append(tr("output.batch_title", B=B), style="bold")
        z.append(f" z {fmt.shape(out.z)} = ")
        z.append_text(n.vec(out.z, p))
        z.append("ᵀ")
        rows = n.shown(B)  # as many entries as z shows

        def entries(write) -> str:
            return " ".join("…" if i is None else write(i) for i in rows)

        y = Text(f"y {fmt.shape(out.y)} = [{entries(lambda i: fmt.prob(out.y[i, 0], p))}]ᵀ")
        labels = Text(tr("output.predictions",
                         pred=entries(lambda i: str(int(out.prediction[i, 0])))))
        if out.target is not None:
            target = out.target
            labels.append("   " + tr("output.targets",
                                     target=entries(lambda i: str(int(target[i, 0])))))
        lines = [(5, z)]
        if y.cell_len + 3 + labels.cell_len <= width:
            y.append("   ")
            y.append_text(labels)
            lines.append((4, y))
        else:
            lines += [(4, y), (5, labels)]
        if out.target is not None:
            lines.append((0, Text(tr("output.mean_loss", B=B, loss=fmt.prob(out.mean_loss, p)))))
        return lines


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
