"""The floor: what Textual costs, done the usual way, for a screen like rnn-tui's.

A Textual app with as many widgets as rnn-tui's stepper screen, each a Static of a
fixed height, that on every key replaces the text of as many of them as rnn-tui
repaints per press (on average: 3.8 is four on four presses in five, three on the
fifth) with ``Static.update(..., layout=False)``. It computes nothing: what it costs
is Textual's own work for that many widgets and repaints (the key's dispatch, the
messages, the compositor, and under Pilot a callback to every widget after each key).

It is not a lower bound: a Static repaints all its lines, where rnn-tui's panels
hand Textual only the lines that changed. With ``repaints=0`` it is the cost of the
widgets alone. Row 2 quotes rnn-tui against it (issue 22).

Run:  python benchmarks/floor_app.py [WIDGETS REPAINTS]      (q quits)
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

#: A line of the repainted text: every cell of a wide Static changes, as a row of
#: rnn-tui's numbers does.
FILL = "0.1234 -0.5678 " * 14


class FloorApp(App[int]):
    ENABLE_COMMAND_PALETTE = False
    CSS = "Static { height: 1fr; }"
    BINDINGS = [
        Binding("right,l,L,space,left,h,H,home,end,r", "bump", "Bump"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, widgets: int = 12, repaints: float = 3.8) -> None:
        super().__init__()
        if widgets < 1 or not 0 <= repaints <= widgets:
            raise ValueError(f"need 1 <= widgets and 0 <= repaints <= widgets, got "
                             f"{widgets}, {repaints}")
        self.widgets, self.repaints = widgets, repaints
        self.count = 0
        self._owed = 0.0  # the fraction of a repaint carried to the next press
        self._next = 0  # the Static repainted next (they take turns)
        self._statics: list[Static] = []

    def compose(self) -> ComposeResult:
        for i in range(self.widgets):
            yield Static(self._text(i), markup=False)

    def on_mount(self) -> None:
        self._statics = list(self.query(Static))

    def _text(self, i: int) -> str:
        return f"static {i}, press {self.count:06d} {FILL}"

    def action_bump(self) -> None:
        self.count += 1
        self._owed += self.repaints
        now = int(self._owed)
        self._owed -= now
        for _ in range(now):
            i = self._next
            self._next = (i + 1) % self.widgets
            # the same size: a repaint, not a layout (as rnn-tui's panels do)
            self._statics[i].update(self._text(i), layout=False)


if __name__ == "__main__":
    widgets, repaints = (int(sys.argv[1]), float(sys.argv[2])) if len(sys.argv) > 2 else (12, 3.8)
    FloorApp(widgets, repaints).run()
