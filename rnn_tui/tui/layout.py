"""The stepper screen's layout: its panels, their titles, the size classes, and
which panels are on screen (the rules of app.tcss, in Python).

The app asks ``shown`` before handing a panel the view: a hidden panel is not
recomputed, and catches up when it is shown again. ``place`` shows and hides the
parts by the same rule; the step box shows the parts that fit itself (``StepBox``).

Everything is designed to fit 80×24 with data, not only the lesson's example:
the room of each part is in ``View`` (``strip_rows``, ``middle_rows``, ...), and
each panel shows what fits in it, never a line wider than itself.
"""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.geometry import Size
from textual.widgets import Static

from rnn_tui.teach.i18n import tr
from rnn_tui.tui.panels import numbers
from rnn_tui.tui.panels.batchview import BatchMatrices
from rnn_tui.tui.panels.diagram import NetworkDiagram
from rnn_tui.tui.panels.stepper import (
    BatchPanel,
    HistoryPanel,
    KeyBar,
    NarrationPanel,
    OutputPanel,
    StatusBar,
    StepBox,
    step_heights,
)
from rnn_tui.tui.view import View

MIN_WIDTH, MIN_HEIGHT = 80, 24
ROOMY_WIDTH, ROOMY_HEIGHT = 110, 34
#: Panel titles: the panel's id and the catalogue key (the step's title changes with it).
TITLES = (("batch", "title.batch"), ("batch-matrices", "title.batch_view"),
          ("output", "title.output"), ("narration", "title.narration"))
#: Rows of the network diagram under #top at roomy sizes (between #top's and the step
#: box's borders: it needs no title, its arrows say Wxh, Whh and Wy).
DIAGRAM_ROWS = 3


def compose(cell: str = "rnn") -> ComposeResult:
    """The stepper's widgets (call from ``compose``); a gated cell's (GRU, LSTM) panels
    in the same places, with the same ids (``rnn_tui.tui.panels.gates``)."""
    if cell != "rnn":
        yield from _compose_gated()
        return
    yield StatusBar(id="status")
    with Vertical(id="main"):
        with Horizontal(id="top"):
            yield BatchPanel(id="batch")
            yield HistoryPanel(id="history")
        yield NetworkDiagram(id="diagram", note=False)  # roomy only: see with_diagram
        # the middle rows (no container of their own: see app.tcss)
        yield StepBox(id="step")  # its parts drawn in it, folded to fit (step_parts)
        yield BatchMatrices(id="batch-matrices")
        yield OutputPanel(id="output")
        yield NarrationPanel(id="narration")  # docked at #main's bottom
    yield Static(id="too-small", markup=False)
    yield KeyBar(id="keys")


def _compose_gated() -> ComposeResult:
    from rnn_tui.tui.panels.gates import (
        GateBatch,
        GateHistory,
        GateNarration,
        GatePanel,
        GateStatusBar,
    )

    yield GateStatusBar(id="status")
    with Vertical(id="main"):
        with Horizontal(id="top"):
            yield BatchPanel(id="batch")
            yield GateHistory(id="history")
        yield NetworkDiagram(id="diagram", note=False)  # (not at a gated cell's side)
        with Vertical(id="step"):
            yield GatePanel(id="gate")
        yield GateBatch(id="batch-matrices")
        yield OutputPanel(id="output")
        yield GateNarration(id="narration")
    yield Static(id="too-small", markup=False)
    yield KeyBar(id="keys")


def apply_lang(root: DOMNode) -> None:
    """The titles and the too-small message, in the current language."""
    # Content: a title is text, never markup (Textual parses a str as markup)
    for panel_id, key in TITLES:
        root.query_one(f"#{panel_id}").border_title = Content(tr(key))
    root.query_one("#history").border_title = Content(tr("title.history", h0="h₀"))
    root.query_one("#too-small", Static).update(tr("too_small", w=MIN_WIDTH, h=MIN_HEIGHT))


def apply_size(screen: DOMNode, size: Size) -> bool:
    """The size classes of the stepper's screen; True: the panels must look again
    (what fits in them follows the size: ``View.size``)."""
    width, height = size
    screen.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "too-small")
    screen.set_class(width >= ROOMY_WIDTH and height >= ROOMY_HEIGHT, "roomy")
    # wide layers: how many entries of a vector fit (the lesson's 3 always do)
    limit = 5 if width < 120 else 9 if width < 200 else 0
    numbers.set_limit(limit)
    return True


#: The least lines the batch view needs beside the step box at a roomy size
#: (a title, two sentences, and two lines saying what was left out).
MATRICES_MIN = 5


def with_diagram(view: View, roomy: bool) -> View:
    """The View with the network diagram under #top, where a roomy terminal has the rows
    for it beside the whole step box, and not in the batch view's place: the rows it
    takes come off the View's size (so the middle rows' arithmetic counts them)."""
    width, height = view.size
    if not roomy or view.batch or not height or view.cell != "rnn":
        return view
    left = view.middle_rows() - (sum(step_heights(view).values()) + 2)
    matrices = left - 2 >= MATRICES_MIN  # the batch view fits beside the step box
    if left - DIAGRAM_ROWS < ((MATRICES_MIN + 2) if matrices else 0):
        return view
    return replace(view, size=(width, height - DIAGRAM_ROWS), diagram=True)


#: The parts whose display ``shown`` decides: set by ``place``, not by app.tcss's
#: rules on a class of the screen (app.tcss gives only where they start hidden).
PLACED = "#top, #diagram, #step, #batch-matrices, #output"


def placed(screen: DOMNode) -> list[DOMNode]:
    """The parts ``place`` shows and hides (the stepper's screen keeps them: ask once,
    a query walks the whole screen)."""
    return list(screen.query(PLACED))


def place(parts: list[DOMNode], view: View, roomy: bool) -> None:
    """Show the parts (``placed``) ``shown`` says are on screen and hide the others:
    the batch view beside the step only if it has room, the network diagram where
    ``with_diagram`` found it room, the output in the step's place. Set here rather
    than by a class and app.tcss's rules, so the rules are written once, and reaching
    the output restyles nothing (a class would match every rule of the stylesheet
    again on the part of the screen it is on). (The step box folds its own parts:
    ``StepBox``.)"""
    for node in parts:
        display = shown(node.id, view, roomy)
        if node.display != display:
            node.display = display


def shown(panel_id: str | None, view: View, roomy: bool) -> bool:
    """Whether the panel is on screen in this view (``roomy``: a large terminal)."""
    at_output = view.cursor.at_output
    if view.cell != "rnn" and panel_id in ("gate", "batch-matrices"):
        return not at_output and (view.batch == (panel_id == "batch-matrices"))
    if panel_id == "step":
        return not at_output and not view.batch
    if panel_id == "batch-matrices":
        return not at_output and (view.batch or (
            roomy and BatchMatrices.room(view) >= MATRICES_MIN))
    if panel_id == "output":
        return at_output
    if panel_id in ("top", "batch", "history"):
        return not view.batch
    if panel_id == "diagram":
        return view.diagram
    return True
