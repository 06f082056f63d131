"""Key ``n``: the network unrolled in time, this sub-step highlighted, at any size.

The stepping keys work here too (the picture follows them); ``n`` or esc
closes. At roomy sizes the stepper also shows the picture in a panel of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from rnn_tui.teach.i18n import tr
from rnn_tui.teach.narration import sub
from rnn_tui.tui.keys import LANG_BINDING, follow_language, next_language
from rnn_tui.tui.panels import numbers
from rnn_tui.tui.panels.diagram import NetworkDiagram
from rnn_tui.tui.screens.help import legend_line
from rnn_tui.tui.view import View

#: How often the picture looks at the lesson again (autoplay moves it).
FOLLOW_SECONDS = 0.25


def where_of(view: View) -> str:
    """What the highlight stands for, in words (current language)."""
    c = view.cursor
    if c.pos == 0:
        return tr("diagram.now", what=f"h{sub(0)} = 0")
    if c.at_output:
        return tr("diagram.now", what=tr("diagram.output"))
    length = int(view.stepper.lengths[view.selected])
    if c.t > length:  # padding: nothing is applied, h is carried
        what = tr("carried", h=f"h{sub(c.t)}", h_prev=f"h{sub(c.t - 1)}")
    elif c.cell != "rnn":  # a gated cell's sub-step, as the equations write it
        what = c.substep.label if c.substep is not None else ""
    else:
        what = view.act if c.phase == 4 else tr(f"phase.{c.phase}")
    return tr("diagram.now", what=f"t = {c.t}: {what}")


class DiagramScreen(ModalScreen[None]):
    """The picture, what is highlighted, the marks' legend, and the keys."""

    BINDINGS = [
        Binding("n,escape", "close", "Close", id="close"),
        Binding("right,l,space", "go('next_substep')", "Sub-step", key_display="→", id="next"),
        Binding("shift+right,L", "go('next_step')", "Step", key_display="L", id="step"),
        Binding("left,h", "go('back_substep')", "Back", key_display="←", id="back"),
        Binding("shift+left,H", "go('back_step')", "Back a step", show=False, id="back_step"),
        Binding("home,r", "go('reset')", "Reset", show=False, id="reset"),
        Binding("end", "go('to_end')", "Run to the end", show=False, id="end"),
        Binding("up", "go('select(-1)')", "Sentence", key_display="↑↓", id="up"),
        Binding("down", "go('select(1)')", "Next sentence", show=False, id="down"),
        LANG_BINDING,
    ]

    def __init__(self, view_of: Callable[[], View], quiz_on: Callable[[], bool],
                 token: str = "as") -> None:
        super().__init__()
        self.view_of = view_of  # the app's View now
        self.quiz_on = quiz_on  # a quiz asks before a step: that happens on the stepper
        self.token = token

    def compose(self) -> ComposeResult:
        with Vertical(id="diagram-box"):
            yield NetworkDiagram(id="diagram-big")
            yield Static(id="diagram-where", markup=False)
            yield Static(id="diagram-legend", markup=False)
            yield Static(id="diagram-hint", markup=False)

    def on_mount(self) -> None:
        follow_language(self, self._apply_lang)
        self.set_interval(FOLLOW_SECONDS, self.follow)

    def _apply_lang(self) -> None:
        self.refresh_bindings()
        self.query_one("#diagram-box").border_title = Content(tr("diagram.title"))
        self.query_one("#diagram-legend", Static).update(
            Text(legend_line(self.token, 76), style=f"{numbers.muted()} italic".strip()))
        self.query_one("#diagram-hint", Static).update(tr("diagram.hint"))
        self.follow()

    def follow(self) -> None:
        """Draw the lesson as it is now (a key here, autoplay, a language switch)."""
        view = self.view_of()
        self.query_one(NetworkDiagram).show(view)
        self.query_one("#diagram-where", Static).update(where_of(view))

    async def action_go(self, action: str) -> None:
        """A stepping key: the app's action, then the picture follows."""
        if self.quiz_on():  # the question is asked on the stepper's screen
            self.dismiss(None)
        await self.app.run_action(action)
        if self.is_attached:
            self.follow()

    def action_next_lang(self) -> None:
        next_language(self)

    def action_close(self) -> None:
        self.dismiss(None)
