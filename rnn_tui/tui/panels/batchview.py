"""The same step as whole-batch matrices: the lesson's sentences stacked in parallel."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.tui.panels import numbers as n
from rnn_tui.tui.panels.base import Lines, Panel
from rnn_tui.tui.panels.stepper import cut, grid, pack, pad, step_box_height
from rnn_tui.tui.view import View


def _matrix(
    title: str,
    rows: np.ndarray | None,
    precision: int,
    which: Sequence[int | None],
    width: int,
    onehot: bool = False,
    carried: tuple[np.ndarray, str, str] | None = None,
) -> list[Text]:
    """The title, then a line per row in ``which`` (None: "⋮"; grid() takes cells
    as lines: no splitting).

    ``carried`` is (active, text, how): the rows of sentences that have ended
    (not ``active``) are not what the title says; ``how`` "instead" writes
    ``text`` in place of the row, "after" writes it after the row's numbers.
    """
    lines = [Text(title, style="bold")]
    for i in which:
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


def _width(cell: list[Text]) -> int:
    return max((line.cell_len for line in cell), default=0)


class BatchMatrices(Panel[View]):
    """x_t (B,V)·Wxh (V,H) = (B,H), h_{t-1} (B,H)·Whh (H,H) = (B,H), + Bh, tanh.

    What fits: every row of the grid and every sentence if they fit; else a
    window of sentences around the selected one, then only the current
    sub-step's row of the grid, and a weight matrix left out if the line is too
    narrow. A last line says what was left out.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: the cells that stay the same through the steps (the weights, the bias),
        #: for the weights, decimals, language and colours they were made with
        self._constant: tuple[Hashable, tuple[list[Text], list[Text], list[Text]]] | None = None
        #: the cells of values (x_t, x·Wxh, ...), by what they show, for the weights,
        #: data, decimals, language and colours in ``_cells_key``: a time step's
        #: values are the same at each of its sub-steps, only more of them shown
        self._cells: dict[Hashable, list[Text]] = {}
        self._cells_key: Hashable = None
        #: a grid row's lines by its cells (the same objects: ``_cell`` keeps them) and
        #: the columns' widths: a sub-step lays out again only the row whose cell it reveals
        self._row_lines: dict[Hashable, tuple[tuple[list[Text], ...], list[Text]]] = {}
        #: each cell's width by the cell (``_cell_width``)
        self._widths: dict[int, tuple[list[Text], int]] = {}

    def key(self, view: View) -> Hashable:
        return (view.t, min(view.phase, 4), view.selected, view.version, view.precision,
                view.lang, self.room(view), view.middle_width())

    @staticmethod
    def room(view: View) -> int:
        """Lines inside the panel: the middle rows', or what the step box leaves of them."""
        rows = view.middle_rows() if view.batch else view.middle_rows() - step_box_height(view)
        return rows - 2

    def _constant_cells(self, view: View) -> tuple[list[Text], list[Text], list[Text]]:
        """· Wxh, · Whh and + Bh's lines: made once, not on every sub-step (grid() copies
        them)."""
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
                _matrix(f"· Wxh {fmt.shape(W.Wxh)}", W.Wxh, p, n.shown(W.vocab_size), w),
                _matrix(f"· Whh {fmt.shape(W.Whh)}", W.Whh, p, n.shown(W.hidden), w),
                list(bias.split("\n")),
            ))
        return self._constant[1]

    #: How many cells ``_cells`` keeps (a few time steps' worth).
    CELLS_KEPT = 256

    def _cell(self, view: View, key: Hashable, make) -> list[Text]:
        """``make()``, or the cell it made before for the same ``key`` (and the same
        weights, data, decimals, language and colours). Cells are never changed
        after they are made (grid() copies them)."""
        data = (view.version, id(view.stepper), view.precision, view.lang, view.theme,
                n.palette_key(), n.limit())
        if data != self._cells_key or len(self._cells) >= self.CELLS_KEPT:
            self._cells, self._cells_key = {}, data
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = make()
        return cell

    def _inputs(self, view: View, x: np.ndarray | None, which: list[int]) -> list[Text]:
        """x_t, one row per sentence, each labelled with its token (the selected one marked)."""
        return self._cell(view, ("x", view.t, tuple(which), view.selected, x is None),
                          lambda: self._make_inputs(view, x, which))

    def _make_inputs(self, view: View, x: np.ndarray | None, which: list[int]) -> list[Text]:
        s = view.stepper
        t = view.t
        tokens = s.tokens_at(t) if t else (None,) * s.batch
        width = max(cell_len(tok) for tok in [*s.vocab, tr("word.pad")])
        digits = len(str(s.batch))
        lines = [Text(f"x{sub(t)} {fmt.shape((s.batch, s.weights.vocab_size))}", style="bold")]
        for b in which:
            mark = "▸" if b == view.selected else " "
            token = tokens[b]
            label = token if token is not None else tr("word.pad")
            line = Text(f"{mark}{b + 1:>{digits}} {pad(label, width)} ")
            if x is None:
                line.append_text(n.hidden_text(2 * s.weights.vocab_size + 1))
            else:
                line.append_text(n.onehot(x[b]))
            lines.append(line)
        return lines

    def _labels(self, view: View, which: list[int]) -> list[Text]:
        """Which sentence each row is (beside the rows that are not the inputs')."""
        return self._cell(view, ("labels", tuple(which), view.selected),
                          lambda: self._make_labels(view, which))

    @staticmethod
    def _make_labels(view: View, which: list[int]) -> list[Text]:
        digits = len(str(view.stepper.batch))
        return [Text("")] + [Text(f"{'▸' if b == view.selected else ' '}{b + 1:>{digits}}")
                             for b in which]

    def _rows(self, view: View, which: list[int]) -> list[list[tuple[str, int, list[Text]]]]:
        """The grid's three rows, each cell as (name, rank, lines): rank 0 is the
        row's result, which always stays; the highest rank goes first when too wide."""
        p = view.precision
        W = view.stepper.weights
        B = view.stepper.batch
        t = view.t
        rec = view.record
        phase = view.phase if rec is not None else 0
        w = n.vec_width(W.hidden, p)
        BH = fmt.shape((B, W.hidden))

        def shown(k: int, value: np.ndarray | None) -> np.ndarray | None:
            return value if rec is not None and phase >= k else None

        def cell(title: str, rows: np.ndarray | None, precision: int, which: list[int],
                 width: int, carried: tuple[np.ndarray, str, str] | None = None) -> list[Text]:
            # a time step's values: the same at each of its sub-steps (see _cell)
            key = (title, t, rows is None, tuple(which), width,
                   None if carried is None else carried[1:])
            return self._cell(view, key, lambda: _matrix(title, rows, precision, which, width,
                                                         carried=carried))

        wxh, whh, bias = self._constant_cells(view)
        # sentences that have ended: no sum and no activation for them, h carried
        active = rec.active if rec is not None else np.ones(B, dtype=bool)
        ended = not bool(active.all())
        carried_h = tr("carried.h_row", h_prev=f"h{sub(max(t - 1, 0))}")
        h_prev = f"h{sub(max(t - 1, 0))}"
        return [
            [
                ("x", 1, self._inputs(view, shown(1, rec.x) if rec else None, which)),
                (wxh[0].plain, 2, wxh),
                ("xWxh", 0, cell(f"= x·Wxh {BH}", shown(1, rec.xWxh) if rec else None, p,
                                    list(which), w)),
            ],
            [
                ("h", 1, cell(f"{h_prev} {BH}", shown(2, rec.h_prev) if rec else None, p,
                                 list(which), w)),
                (whh[0].plain, 2, whh),
                ("hWhh", 0, cell(f"= h·Whh {BH}", shown(2, rec.hWhh) if rec else None, p,
                                    list(which), w,
                                    carried=(active, tr("carried.unused"), "after")
                                    if ended else None)),
            ],
            [
                (f"+ Bh {fmt.shape(W.bh)}", 2, bias),
                ("sum", 0 if phase <= 3 else 1, cell(
                    f"= {tr('word.sum')} {BH}", shown(3, rec.pre) if rec else None, p,
                    list(which), w,
                    carried=(active, tr("carried.sum_row"), "instead") if ended else None)),
                ("tanh", 0 if phase >= 4 else 1, cell(
                    f"{view.act} → h{sub(t)} {BH}", shown(4, rec.h) if rec else None, p,
                    list(which), w, carried=(active, carried_h, "after") if ended else None)),
            ],
        ]

    def build(self, view: View) -> Lines:
        s = view.stepper
        B = s.batch
        room = self.room(view)
        phase = view.phase if view.record is not None else 0
        current = 0 if phase <= 1 else 1 if phase == 2 else 2
        # the weights' heights (title included): they do not depend on the window
        tall = [1 + len(n.shown(s.weights.vocab_size)), 1 + len(n.shown(s.weights.hidden)), 4]

        def height(grid_rows: list[int], k: int, short: bool) -> int:
            """At least the lines of this layout (notes of what is left out: one each)."""
            notes = (k < B) + (len(grid_rows) < 3) + short
            return sum(1 + k if short else max(1 + k, tall[r]) for r in grid_rows) + notes

        # every row of the grid with as many sentences as fit (3 at least), else
        # the current sub-step's row, else that row without a weight matrix taller
        # than its sentences (``short``): the first layout whose lines fit
        layouts = [([0, 1, 2], k, False) for k in range(B, min(B, 3) - 1, -1)]
        layouts += [([current], k, short) for short in (False, True) for k in range(B, 0, -1)]
        layouts = ([layout for layout in layouts if height(*layout) <= room]
                   or [([current], 1, True)])
        for grid_rows, k, short in layouts:
            lines = self._layout(view, grid_rows, k, short)
            if len(lines) <= room:
                break
        return Lines(cut(line, view.middle_width()) for line in lines)

    #: How many grid rows ``_row_lines`` keeps.
    ROWS_KEPT = 64

    def _grid(self, rows: list[list[list[Text]]], shared: bool) -> Lines:
        """``grid(rows)`` if the rows share their columns (``shared``), else each row's
        ``grid([row])``: a row whose cells (the same objects) and widths are those of a
        row laid out before gives the lines it gave then (never changed once made)."""
        shared_widths = self._column_widths(rows) if shared else None
        out = Lines()
        for row in rows:
            # (a row's last column is not padded: its width does not change the row)
            widths = (shared_widths[:len(row) - 1] if shared_widths is not None
                      else self._column_widths([row])[:-1])
            key = (tuple(id(cell) for cell in row), widths)
            kept = self._row_lines.get(key)
            if kept is None or any(a is not b for a, b in zip(kept[0], row, strict=True)):
                if len(self._row_lines) >= self.ROWS_KEPT:
                    self._row_lines.clear()
                kept = self._row_lines[key] = (tuple(row), grid([row], widths=widths))
            out.extend(kept[1])
        return out

    def _column_widths(self, rows: list[list[list[Text]]]) -> tuple[int, ...]:
        """``grid_widths(rows)``, each cell measured once (``_cell_width``)."""
        columns = max((len(row) for row in rows), default=0)
        return tuple(max((self._cell_width(row[c]) for row in rows if c < len(row)),
                         default=0) for c in range(columns))

    def _cell_width(self, cell: list[Text]) -> int:
        """``_width(cell)``, kept for the same cell (the same object: cells are never
        changed once made)."""
        kept = self._widths.get(id(cell))
        if kept is None or kept[0] is not cell:
            if len(self._widths) >= self.CELLS_KEPT:
                self._widths.clear()
            kept = self._widths[id(cell)] = (cell, _width(cell))
        return kept[1]

    def _layout(self, view: View, grid_rows: list[int], k: int, short: bool = False) -> Lines:
        """The grid's rows ``grid_rows`` for ``k`` sentences around the selected one,
        a matrix left out where the line is too narrow (or, if ``short``, taller than
        the sentences); then what was left out."""
        B = view.stepper.batch
        width = view.middle_width()
        first = min(max(view.selected - (k - 1) // 2, 0), B - k)
        which = list(range(first, first + k))
        folded = k < B or len(grid_rows) < 3
        left_out: list[str] = []
        rows: list[list[list[Text]]] = []
        all_rows = self._rows(view, which)
        label_cell = self._labels(view, which)

        def labels(cells: list[tuple[str, int, list[Text]]]) -> list[list[Text]]:
            # the rows say which sentence they are where the inputs' do not
            return [label_cell] if folded and cells[0][0] != "x" else []

        def too_wide(cells: list[tuple[str, int, list[Text]]]) -> bool:
            columns = [c for _, _, c in cells] + labels(cells)
            return sum(self._cell_width(c) for c in columns) + 2 * (len(columns) - 1) > width

        for r in grid_rows:
            cells = all_rows[r]
            if short:  # the weights taller than the sentences' rows: left out
                tall = [cell for cell in cells if cell[1] == 2 and len(cell[2]) > 1 + k]
                cells = [cell for cell in cells if cell not in tall]
                left_out += [cell[2][0].plain.lstrip("=· ") for cell in tall]
            while len(cells) > 1 and too_wide(cells):
                drop = max(cells, key=lambda cell: cell[1])
                if drop[1] == 0:
                    break
                cells = [cell for cell in cells if cell is not drop]
                left_out.append(drop[2][0].plain.lstrip("=· "))
            row: list[list[Text]] = [*labels(cells)]
            rows.append(row + [lines for _, _, lines in cells])
        # the rows differ (folded, left out): each lays out its own columns
        out = self._grid(rows, shared=not (folded or left_out))
        muted = n.muted()
        if k < B:
            out.append(Text().append(tr("fit.sentences_left_out", n=B - k), style=muted))
        if len(grid_rows) < 3:
            out.append(Text().append(tr("fit.batch_folded"), style=muted))
        if left_out:
            atoms = [("", Text(tr("fit.not_shown", what=left_out[0])))]
            atoms += [(", ", Text(what)) for what in left_out[1:]]
            out.extend(line.copy() for line in pack(atoms, width))
            for line in out[-1:]:
                line.stylize(muted)
        return out
