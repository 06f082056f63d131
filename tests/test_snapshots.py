"""SVG snapshots of a few states at 80×24 and 120×40 (pytest-textual-snapshot).

Stable only against the pinned Textual (see the test extra in pyproject.toml).
After a deliberate change to the screen: ``pytest tests/test_snapshots.py
--snapshot-update``, then open the SVGs in tests/__snapshots__/ and look.
"""

from __future__ import annotations

import pytest

from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp


def lesson_app() -> RNNApp:
    d = lesson_dataset()
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), lang="en")


STATES = {
    "start": [],
    "t2-sum": ["L", "right", "right", "right", "3"],
    "output": ["end", "3"],
    "batch": ["L", "right", "right", "b"],
    "help": ["question_mark"],
}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("state", list(STATES))
def test_snapshot(snap_compare, state: str, size: tuple[int, int]) -> None:
    assert snap_compare(lesson_app(), press=STATES[state], terminal_size=size)
