"""Issue 22: what a panel keeps between key presses (the weight matrices, the batch
view's cells) is what it would build afresh, after every kind of change.

No timing here: speed is measured in benchmarks/.
"""

from __future__ import annotations

from conftest import lesson_dataset
from rich.text import Text

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.panels.base import Lines, Panel
from rnn_tui.tui.panels.batchview import BatchMatrices
from rnn_tui.tui.panels.stepper import BatchPanel, InputTerm, Part, RecurrentTerm, StepBox

CACHING = (InputTerm, RecurrentTerm, BatchMatrices, BatchPanel)


def drawn(content) -> list[tuple[str, list]]:
    """Each line's text and spans: what the panel would draw."""
    lines = content if isinstance(content, Lines) else content.split("\n", allow_blank=True)
    return [(line.plain, [(s.start, s.end, str(s.style)) for s in line.spans], str(line.style))
            for line in lines]


def check(app: RNNApp, label: str) -> None:
    view = app.view()
    for cls in CACHING:
        if issubclass(cls, Part):  # drawn in the step box (issue 22, session 4)
            panel = next(p for p in app.stepper_screen.query_one(StepBox).parts.values()
                         if isinstance(p, cls))
        else:
            panel = app.stepper_screen.query_one(cls)
        kept = panel.build(view)  # with what it kept from the presses before
        fresh = cls().build(view)  # a new panel keeps nothing
        assert isinstance(kept, (Text, Lines))
        assert drawn(kept) == drawn(fresh), (label, cls.__name__)


async def walk(app: RNNApp, size: tuple[int, int]) -> None:
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        check(app, "start")
        keys = ["right"] * 6 + ["down", "right", "L", "up", "left", "b", "right", "b", "L",
                                "end", "home", "f3", "right", "f2", "right", "f2", "f3"]
        for key in keys:
            await pilot.press(key)
            check(app, key)
        # weights edited by hand: marks; new weights: a new Stepper
        app.install_weights(app.weights.with_entry("Wxh", 1, 2, 0.9))
        await pilot.pause()
        check(app, "edited Wxh")
        app.install_weights(app.weights.with_entry("Whh", 0, 1, -0.5))
        await pilot.pause()
        check(app, "edited Whh")
        for key in ("right", "right", "right"):
            await pilot.press(key)
            check(app, key)
        app.install_weights(app.initial_weights)
        await pilot.pause()
        check(app, "initial again")


async def test_kept_content_is_fresh_content_lesson() -> None:
    d = lesson_dataset()
    await walk(RNNApp(d, Weights.init(d.vocab, seed=0), lang="en"), (80, 24))


async def test_kept_content_is_fresh_content_five_sentences_roomy() -> None:
    d = Dataset.from_sentences(["a", "b c", "c a b", "a b c a b", "c a b c a b"],
                               [1, 0, 1, 0, 1])
    await walk(RNNApp(d, Weights.init(d.vocab, hidden=4, seed=7), lang="en"), (200, 60))


def test_panels_are_the_ones_the_layout_shows() -> None:
    assert all(issubclass(cls, (Panel, Part)) for cls in CACHING)


async def test_refresh_view_finds_the_panels_query_finds() -> None:
    # refresh_view walks the stepper screen's panels: what app.query(Panel) gives,
    # with the stepper alone and with another screen (the backward pass's) on top
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, seed=0), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen_stack[0].walk_children(Panel) == list(app.query(Panel))
        await pilot.press("end", "g", "right")
        await pilot.pause()
        assert len(app.screen_stack) == 2
        assert app.screen_stack[0].walk_children(Panel) == list(app.query(Panel))
        assert app.screen.walk_children(Panel) != list(app.query(Panel))
