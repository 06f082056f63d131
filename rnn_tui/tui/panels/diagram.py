"""The network, unrolled in time, drawn in text (key ``n``, and a panel at roomy sizes).

::

             x₁         x₂         x₃
             ↓Wxh       ↓Wxh       ↓Wxh
    h₀ ─Whh→ [h₁] ─Whh→ [h₂] ─Whh→ [h₃] ─Wy→ y

The current step and sub-step are highlighted: the x→h arrow during x·Wxh, the
h→h arrow during h·Whh, the box during the sum and the activation, the y arrow
at the output. Past the selected sentence's end a step is padding: its input
says ``·pad`` and its h→h arrow ``=`` (h is carried unchanged). A long
sentence is elided around the current step so that the picture fits.

A gated cell (GRU, LSTM) is drawn the same way, its arrows ``↓Wx*`` and
``─Wh*→`` (every gate has its own matrices), with a fourth line: the cell's
gates for the current step, the one being computed highlighted (``gate_line``).

``diagram`` builds the picture as runs of (text, tag) from plain numbers (the
View gives them: ``diagram_of``); it computes no value of the network. The
panel and the screen style the tags.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from rnn_tui.core.cursor import SUBSTEP_NAMES, Cursor
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.tui.panels import numbers
from rnn_tui.tui.panels.base import Lines, Panel
from rnn_tui.tui.view import View

#: Tags of the runs: the highlighted part (this sub-step), not computed yet, padding.
NOW, TODO, PAD, PLAIN = "now", "todo", "pad", ""

WHH_ARROW = " ─Whh→ "
CARRIED_ARROW = " ──=─→ "  # a padded step: h_t = h_{t-1}, nothing multiplied
WY_ARROW = " ─Wy→ "
GAP_ARROW = " ─→ "
GAP = "…"
WXH_ARROW = "↓Wxh"

Run = tuple[str, str]  # (text, tag)


@dataclass(frozen=True)
class _Column:
    """One column of the picture: its three lines (input, x→h arrow, the chain)."""

    top: Run = ("", PLAIN)
    middle: Run = ("", PLAIN)
    lead: Run = ("", PLAIN)  # the chain's arrow into this column
    box: Run = ("", PLAIN)  # the chain's node: h₀, [h_t], …, y

    @property
    def width(self) -> int:
        """The chain's cells; a wider label above runs on into the next arrow's spaces."""
        return cell_len(self.lead[0]) + cell_len(self.box[0])


#: A gated cell's arrows: each gate has its own Wx_ and Wh_ (as wide as the rnn's).
GATED_WX_ARROW, GATED_WH_ARROW = "↓Wx*", " ─Wh*→ "
#: Where a gated cell's sub-step is in the picture: the x arrow, the h arrow, the box.
GATED_PHASE = {"xW": 1, "hW": 2, "reset": 2, "sum": 3, "act": 3, "c": 3, "h": 4}


def as_rnn(cursor: Cursor) -> Cursor:
    """A gated cell's cursor as the picture's (the vanilla cell's four sub-steps)."""
    if cursor.cell == "rnn" or cursor.pos == 0:
        return Cursor(cursor.pos, cursor.steps)
    if cursor.at_output:
        return Cursor(4 * cursor.steps + 1, cursor.steps)
    step = SUBSTEP_NAMES[cursor.cell][cursor.phase - 1]
    return Cursor(4 * (cursor.t - 1) + GATED_PHASE[step.part], cursor.steps)


def gate_line(cursor: Cursor) -> list[Run]:
    """A gated cell's step as its gates: ``t = 2: i f [g] o c' h'`` (the current one
    highlighted, those done plain, the rest not yet)."""
    if cursor.cell == "rnn":
        return []
    names = SUBSTEP_NAMES[cursor.cell]
    groups: list[str] = []
    for step in names:
        if step.group not in groups:
            groups.append(step.group)
    now = names[cursor.phase - 1].group if 0 < cursor.phase <= len(names) else None
    done_upto = len(groups) if cursor.at_output else (
        groups.index(now) if now is not None else 0)
    runs: list[Run] = [(f"{cursor.cell.upper()} t = {max(cursor.t, 1)}:", PLAIN)]
    for k, group in enumerate(groups):
        label = group + ("'" if group in ("c", "h") else "")
        tag = NOW if group == now else PLAIN if k < done_upto else TODO
        runs.append((" ", PLAIN))
        runs.append((f"[{label}]" if tag == NOW else label, tag))
    return _merge(runs)


def _step_column(i: int, cursor: Cursor, length: int, gated: bool = False) -> _Column:
    """Time step ``i`` (1-based) of a sentence of ``length`` tokens, at ``cursor``."""
    t, phase, at_output = cursor.t, cursor.phase, cursor.at_output
    padded = i > length
    done = at_output or i < t or (i == t and phase == 4)
    read = at_output or i <= t  # its input has been taken (or skipped, past the end)
    box_tag = NOW if i == t and phase in (3, 4) and not at_output else \
        PLAIN if done else TODO
    lead_tag = NOW if i == t and phase == 2 and not at_output else \
        PLAIN if read and (i < t or phase >= 2) else TODO
    input_tag = NOW if i == t and phase == 1 and not at_output else \
        PAD if padded else PLAIN if read else TODO
    if padded:
        top: Run = (tr("word.pad"), input_tag)
        middle: Run = ("", PLAIN)
        lead: Run = (CARRIED_ARROW, lead_tag if lead_tag == NOW else PAD)
    else:
        top = (f"x{sub(i)}", input_tag)
        middle = (GATED_WX_ARROW if gated else WXH_ARROW, input_tag)
        lead = (GATED_WH_ARROW if gated else WHH_ARROW, lead_tag)
    return _Column(top, middle, lead, (f"[h{sub(i)}]", box_tag))


def _columns(steps: int, length: int, cursor: Cursor, shown: list[int | None],
             gated: bool = False) -> list[_Column]:
    t0 = NOW if cursor.pos == 0 else PLAIN
    columns = [_Column(box=(f"h{sub(0)}", t0))]
    for i in shown:
        if i is None:
            columns.append(_Column(lead=(GAP_ARROW, PLAIN), box=(GAP, PLAIN)))
        else:
            columns.append(_step_column(i, cursor, length, gated))
    end = NOW if cursor.at_output else TODO
    columns.append(_Column(lead=(WY_ARROW, end), box=("y", end)))
    return columns


def _window(steps: int, focus: int, count: int) -> list[int | None]:
    """``count`` steps around ``focus`` and the last one, None standing for the rest."""
    if count >= steps:
        return list(range(1, steps + 1))
    first = max(1, min(focus - (count - 1) // 2, steps - count))
    keep = list(range(first, first + count))
    out: list[int | None] = []
    if first > 1:
        out.append(None)
    out.extend(keep)
    if keep[-1] < steps - 1:
        out.append(None)
    if keep[-1] < steps:
        out.append(steps)
    return out


def diagram(steps: int, length: int, cursor: Cursor, width: int = 0) -> list[list[Run]]:
    """The picture's three lines as runs of (text, tag).

    ``steps`` is T, ``length`` the selected sentence's own length (steps past it
    are padding), ``cursor`` where the stepper is; ``width`` (0: no limit) the
    cells it must fit in: steps far from the current one are elided (``…``).
    """
    gated, gates = cursor.cell != "rnn", gate_line(cursor)
    cursor = as_rnn(cursor)
    focus = steps if cursor.at_output else max(cursor.t, 1)
    shown = _window(steps, focus, steps)
    columns = _columns(steps, length, cursor, shown, gated)
    if width:
        for count in range(steps - 1, 0, -1):
            if sum(c.width for c in columns) <= width:
                break
            shown = _window(steps, focus, count)
            columns = _columns(steps, length, cursor, shown, gated)
    lines: list[list[Run]] = [[], [], []]
    over = [0, 0]  # cells a label above ran on into the next column
    for column in columns:
        lead = cell_len(column.lead[0])
        inner = column.width - lead
        for line, (text, tag) in ((0, column.top), (1, column.middle)):
            # above the box's left edge: x₁, then ↓, then [h₁]
            lines[line].append((" " * (lead - over[line]), PLAIN))
            lines[line].append((text, tag))
            lines[line].append((" " * max(inner - cell_len(text), 0), PLAIN))
            over[line] = max(cell_len(text) - inner, 0)
        arrow, tag = column.lead
        core = arrow.strip()
        if core:  # the arrow's spaces are not highlighted with it
            lines[2].append((arrow[:arrow.index(core)], PLAIN))
            lines[2].append((core, tag))
            lines[2].append((arrow[arrow.index(core) + len(core):], PLAIN))
        box, tag = column.box
        lines[2].append((box, tag))
        lines[2].append((" " * (inner - cell_len(box)), PLAIN))
    return [_merge(line) for line in lines] + ([gates] if gates else [])


def _merge(runs: list[Run]) -> list[Run]:
    """Neighbouring runs of one tag joined, empty ones dropped, trailing spaces cut."""
    out: list[Run] = []
    for text, tag in runs:
        if not text:
            continue
        if out and out[-1][1] == tag:
            out[-1] = (out[-1][0] + text, tag)
        else:
            out.append((text, tag))
    while out and not out[-1][0].strip():
        out.pop()
    if out and out[-1][1] == PLAIN:
        out[-1] = (out[-1][0].rstrip(), PLAIN)
    return out


def plain(lines: list[list[Run]]) -> str:
    """The picture as text (tests and the text mode read it)."""
    return "\n".join("".join(text for text, _ in line) for line in lines)


def highlighted(lines: list[list[Run]]) -> list[str]:
    """The highlighted runs' texts, in order."""
    return [text for line in lines for text, tag in line if tag == NOW]


def diagram_of(view: View, width: int = 0) -> list[list[Run]]:
    """The picture of the View's selected sentence at its cursor."""
    length = int(view.stepper.lengths[view.selected])
    return diagram(view.stepper.steps, length, view.cursor, width)


def note_of(view: View) -> str:
    """The line under the picture: what padding means here, or what the arrows are."""
    length = int(view.stepper.lengths[view.selected])
    if length < view.stepper.steps:
        return tr("diagram.pad", n=view.selected + 1, length=length, pad=tr("word.pad"))
    if view.cursor.cell != "rnn":
        return tr("gate.arrows", gates=" ".join(gate_names(view.cursor.cell)))
    return tr("diagram.arrows")


def gate_names(cell: str) -> list[str]:
    """The cell's gates (r z n; i f g o), in order."""
    out: list[str] = []
    for step in SUBSTEP_NAMES[cell]:
        if step.part == "act" and step.group not in out:
            out.append(step.group)
    return out


def styled(lines: list[list[Run]]) -> list[Text]:
    """The runs as Rich Texts: this sub-step reversed, the rest muted or plain."""
    styles = {NOW: "bold reverse", TODO: numbers.muted(), PAD: f"{numbers.muted()} italic",
              PLAIN: ""}
    out = []
    for line in lines:
        text = Text()
        for run, tag in line:
            text.append(run, style=styles[tag].strip())
        out.append(text)
    return out


class NetworkDiagram(Panel[View]):
    """The picture, and (``note``) a line under it: padding, or what the arrows are."""

    def __init__(self, *args, note: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.note = note
        self._view: View | None = None

    def key(self, view: View) -> Hashable:
        return (view.cursor, view.selected, view.version, view.lang, view.theme,
                self.size.width)

    def show(self, view: View) -> None:
        self._view = view
        super().show(view)

    def on_resize(self) -> None:
        if self._view is not None:  # elided for the new width
            self.show(self._view)

    def build(self, view: View) -> Lines:
        width = self.size.width or 76
        lines = Lines(styled(diagram_of(view, width)))
        if self.note:
            lines.append(Text(note_of(view), style=numbers.muted()))
        return lines
