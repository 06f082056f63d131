"""The baseline: a minimal Textual app that imports NumPy and shows one Static.

Every figure of the suite is quoted as a ratio to this app, measured in the
same run, so that a slow or busy machine does not change the verdict.

The keys the benchmarks press on rnn-tui (right, l, L, home, end, ...) update
the Static here, so a key press costs the least a Textual app can do for it.

Run:  python benchmarks/baseline_app.py      (q quits)
"""

from __future__ import annotations

import numpy as np
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

#: Printed in the first frame; the pty benchmarks wait for it.
MARKER = "baseline ready"


class BaselineApp(App[int]):
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("right,l,L,space,left,h,H,home,end,r", "bump", "Bump"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.values = np.zeros(3)

    def compose(self) -> ComposeResult:
        yield Static(f"{MARKER}: key presses 0", id="static")

    def action_bump(self) -> None:
        self.count += 1
        self.values += 1.0
        self.query_one("#static", Static).update(f"{MARKER}: key presses {self.count}")


if __name__ == "__main__":
    BaselineApp().run()
