"""Resizing never leaves a stale panel (issue 15): a panel hidden at one size
catches up with the lesson when a resize shows it again."""

from __future__ import annotations

import pytest
from conftest import press

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp

SENTENCES = ["cat", "the dog", "a cat sat", "the dog sat down", "a dog and a cat",
             "the cat sat on a dog"]


def app() -> RNNApp:
    d = Dataset.from_sentences(SENTENCES, [1, 0, 1, 0, 1, 0])
    return RNNApp(d, Weights.init(d.vocab, hidden=4, seed=3), lang="en")


@pytest.mark.parametrize("batch", [False, True])
async def test_a_resize_round_trip_leaves_no_stale_panel(batch: bool) -> None:
    """At 120x40 step to t = 2, shrink to 80x24 (the batch view's matrices hide),
    go home, grow back: the screen is a fresh app's at t = 0, not t = 2's."""
    keys = ["b"] if batch else []
    async with app().run_test(size=(120, 40)) as pilot:
        await press(pilot, *keys, "L", "L")
        await pilot.resize_terminal(80, 24)
        await press(pilot, "home")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        resized = await press(pilot)
    async with app().run_test(size=(120, 40)) as pilot:
        fresh = await press(pilot, *keys)
    assert "t = 0" in fresh
    assert resized == fresh
