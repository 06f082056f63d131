"""Issue 22, session 4 (round 2): what the panels keep between key presses (the batch
view's rows and cells' widths, the narration's wrapped lines) draws what a fresh
panel would, after every kind of change.

No timing here: speed is measured in benchmarks/.
"""

from __future__ import annotations

import pytest
from test_perf_caches import drawn
from test_perf_s4 import SENTENCES, six_app
from test_perf_s4 import check as check_screen

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.panels import batchview
from rnn_tui.tui.panels.base import Lines
from rnn_tui.tui.panels.batchview import BatchMatrices

#: every kind of change a press can make: sub-steps, steps, back, the sentence, the
#: batch view, the end, the start, the language, the theme
KEYS = ["right"] * 6 + ["down", "right", "L", "up", "left", "left", "b", "right", "right",
                        "b", "down", "down", "right", "end", "home", "f3", "right", "f2",
                        "right", "f2", "f3", "right"]


def check_matrices(app: RNNApp, label: str) -> None:
    """The batch view's lines, built with what it kept, are a fresh panel's."""
    view = app.view()
    panel = app.stepper_screen.query_one(BatchMatrices)
    assert drawn(panel.build(view)) == drawn(BatchMatrices().build(view)), label


async def walk(app: RNNApp, sizes: tuple[tuple[int, int], ...]) -> None:
    async with app.run_test(size=sizes[0]) as pilot:
        await pilot.pause()
        for size in sizes:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            for key in KEYS:
                await pilot.press(key)
                await pilot.pause()
                check_matrices(app, f"{size} {key}")
                check_screen(app, f"{size} {key}")
        app.install_weights(app.weights.with_entry("Wxh", 1, 2, 0.9))  # a hand edit
        await pilot.pause()
        check_matrices(app, "edited Wxh")
        check_screen(app, "edited Wxh")
        app.install_weights(app.weights.with_entry("Whh", 0, 1, -0.5))
        for key in ("right", "right", "right", "down", "right", "b", "right", "b"):
            await pilot.press(key)
            await pilot.pause()
            check_matrices(app, f"edited, {key}")
            check_screen(app, f"edited, {key}")


@pytest.mark.slow  # over 5 s with six workers on 2 cores: CI runs it
async def test_kept_rows_and_widths_are_fresh_ones_six_sentences() -> None:
    # 200×60: the batch view beside the step box; 120×40 and 80×24: in the batch view (b)
    await walk(six_app(), ((200, 60), (120, 40), (80, 24)))


@pytest.mark.slow  # over 5 s with six workers on 2 cores: CI runs it
async def test_kept_rows_and_widths_are_fresh_ones_the_lesson() -> None:
    from conftest import lesson_dataset

    d = lesson_dataset()
    await walk(RNNApp(d, Weights.init(d.vocab, hidden=3, seed=1), lang="en"), ((200, 60),))


async def test_a_substep_lays_out_only_the_row_it_reveals(monkeypatch) -> None:
    """Within a time step the batch view lays out again one row of its grid (the one
    whose cell the sub-step reveals), not all three."""
    rows_laid_out: list[int] = []
    grid = batchview.grid

    def counting(rows, *args, **kwargs):
        rows_laid_out.append(len(rows))
        return grid(rows, *args, **kwargs)

    monkeypatch.setattr(batchview, "grid", counting)
    d = Dataset.from_sentences(SENTENCES[:3], [1, 0, 1])
    app = RNNApp(d, Weights.init(d.vocab, hidden=4, seed=7), lang="en")
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.press("right")  # t = 1, x revealed: a new time step, every row
        await pilot.pause()
        panel = app.stepper_screen.query_one(BatchMatrices)
        assert panel.display and panel.repaints
        for _ in range(3):  # h·Whh, the sum, tanh
            rows_laid_out.clear()
            await pilot.press("right")
            await pilot.pause()
            assert sum(rows_laid_out) <= 1, rows_laid_out


def test_a_kept_row_is_laid_out_again_when_another_row_widens_its_columns() -> None:
    from rich.text import Text

    from rnn_tui.tui.panels.stepper import grid

    panel = BatchMatrices()
    a, b, c = [Text("ab"), Text("c")], [Text("xyz", style="bold")], [Text("1")]
    narrow, wide = [Text("n")], [Text("wider than the rest")]
    for shared in (True, False):
        for other in (narrow, wide, narrow):
            rows = [[a, b, c], [other, c]]
            expected = grid(rows) if shared else Lines([*grid([rows[0]]), *grid([rows[1]])])
            assert drawn(panel._grid(rows, shared)) == drawn(expected), (shared, other)


@pytest.mark.slow  # over 5 s with six workers on 2 cores: CI runs it
async def test_narration_is_wrapped_once_per_text_and_kept_lines_are_fresh(monkeypatch) -> None:
    """Back at a sub-step seen before, the narration's lines are the kept ones (no
    wrapping again); after every kind of change they are what a fresh panel draws."""
    from rich.text import Text

    from rnn_tui.tui.panels.stepper import NarrationPanel

    wraps: list[str] = []
    wrap = Text.wrap

    def counting(self, *args, **kwargs):
        wraps.append(self.plain)
        return wrap(self, *args, **kwargs)

    monkeypatch.setattr(Text, "wrap", counting)
    app = six_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in KEYS:  # (every kind of change; check_screen compares the narration too)
            await pilot.press(key)
            await pilot.pause()
            check_screen(app, key)
        panel = app.stepper_screen.query_one(NarrationPanel)
        for key in ("home", "right", "right", "home", "right"):
            await pilot.press(key)
        await pilot.pause()
        wraps.clear()
        for key in ("right", "left", "home", "right"):  # seen before, at this width
            await pilot.press(key)
            await pilot.pause()
            check_screen(app, f"again {key}")
        assert panel.repaints and not wraps, wraps
        await pilot.resize_terminal(100, 30)  # a new width: wrapped again, for it
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        assert wraps
        check_screen(app, "wider")
