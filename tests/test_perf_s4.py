"""Issue 22, session 4: the step box is one panel (``StepBox``) that folds by its lines,
and what the panels keep between key presses draws what a fresh panel would.

No timing here: speed is measured in benchmarks/.
"""

from __future__ import annotations

import pytest
from rich.text import Text
from test_app import _cells
from textual.strip import Strip
from textual.visual import Visual, visualize

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.tui import layout
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.panels.base import Lines, Panel
from rnn_tui.tui.panels.stepper import STEP_PARTS, KeyBar, StepBox, step_heights, step_parts
from rnn_tui.tui.view import lesson_view

#: six sentences of lengths 1 to 6 over three words (hidden 4: the step box folds at 80×24)
SENTENCES = ["a", "b c", "c a b", "a b c a", "b c a b c", "c a b c a b"]


def six_app() -> RNNApp:
    d = Dataset.from_sentences(SENTENCES, [1, 0, 1, 0, 1, 0])
    return RNNApp(d, Weights.init(d.vocab, hidden=4, seed=7), lang="en")


def drawn(panel: Panel) -> list[Strip]:
    """The panel's lines as it hands them to Textual (the kept ones, if it kept them)."""
    return [panel.render_line(y) for y in range(panel.size.height)]


def fresh(panel: Panel, app: RNNApp) -> list[Strip]:
    """The same panel's content built afresh by a new panel (which keeps nothing), drawn
    by Textual's general path on the panel's style, padded to its height."""
    content = type(panel)().build(app.view())
    if isinstance(content, Lines):
        content = content.joined()
    width, height = panel.size
    style = panel.visual_style
    lines = Visual.to_strips(panel, visualize(panel, content, markup=False), width, height,
                             style)
    return (lines + [Strip.blank(width, style.rich_style)] * height)[:height]


def check(app: RNNApp, label: str) -> int:
    """Every panel on screen draws what a fresh one would; how many were checked."""
    view = app.view()
    roomy = app.stepper_screen.has_class("roomy")
    checked = 0
    for panel in app.stepper_screen.query(Panel):
        width, height = panel.size
        if isinstance(panel, KeyBar) or not panel.display or not width or not height \
                or not layout.shown(panel.id, view, roomy):
            continue  # (the key bar reads the app's bindings: no fresh one without an app)
        base = panel.visual_style.rich_style
        assert _cells(drawn(panel), width, base) == _cells(fresh(panel, app), width, base), (
            label, panel.id)
        checked += 1
    return checked


@pytest.mark.slow  # over 5 s with six workers on 2 cores: CI runs it
async def test_kept_lines_are_fresh_lines_after_every_kind_of_change() -> None:
    app = six_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert check(app, "start") >= 4
        steps = [["right"]] * 6 + [["down"], ["right"], ["L"], ["down", "down"], ["right"] * 3,
                                   ["up"], ["left"], ["f2"], ["right"], ["f3"], ["right"],
                                   ["b"], ["right"], ["b"], ["end"], ["home"], ["f2"], ["f3"]]
        for keys in steps:
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            assert check(app, " ".join(keys)) >= 3
        for size in ((200, 60), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert check(app, f"resize {size}") >= 3
            for key in ("down", "right", "right", "L"):
                await pilot.press(key)
                await pilot.pause()
                check(app, f"{size} {key}")
        app.install_weights(app.weights.with_entry("Wxh", 1, 2, 0.9))  # a hand edit
        await pilot.pause()
        check(app, "edited Wxh")
        app.install_weights(app.weights.with_entry("Whh", 0, 1, -0.5))
        await pilot.pause()
        for key in ("right", "right", "right", "down", "right"):
            await pilot.press(key)
            await pilot.pause()
            check(app, f"edited, {key}")


async def test_a_folded_step_box_keeps_its_height_and_the_layout() -> None:
    # 80×24, hidden 4: the step box shows one or two of its parts at a sub-step
    app = six_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        box = app.query_one("#step", StepBox)
        assert step_parts(app.view()) != STEP_PARTS  # folded
        layouts = []
        original = box.refresh

        def spy(*regions, **kwargs):
            if kwargs.get("layout"):
                layouts.append(app.view().cursor)
            return original(*regions, **kwargs)

        box.refresh = spy  # type: ignore[method-assign]
        heights, shown = set(), set()
        await pilot.press("down", "down", "down", "down", "down")  # the longest sentence
        for _ in range(4 * app.stepper.steps):
            await pilot.press("right")
            await pilot.pause()
            if app.cursor.at_output:
                break
            heights.add(box.outer_size.height)
            shown.add(step_parts(app.view()))
        assert len(shown) >= 3  # x·Wxh, h·Whh, the sum: one after the other
        assert len(heights) == 1 and not layouts  # the same box: no new layout
        # the box is as tall as the most its parts take, borders included
        tallest = max(sum(step_heights(app.view())[p] for p in parts) for parts in shown)
        assert heights == {tallest + 2}


async def test_a_substep_refreshes_one_step_panel_and_only_its_changed_lines() -> None:
    app = six_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.press("down", "down", "L")
        await pilot.pause()
        before = {p.id: p.repaints for p in app.query(Panel)}
        box = app.query_one("#step", StepBox)
        lines = box.lines_repainted
        await pilot.press("right")  # x·Wxh revealed: one step panel, a few of its lines
        await pilot.pause()
        changed = {p.id for p in app.query(Panel) if p.repaints != before[p.id]}
        assert {"step", "status", "narration"} <= changed
        assert not changed & set(STEP_PARTS)  # no widget per part any more
        assert 0 < box.lines_repainted - lines < box.size.height


def test_a_part_unchanged_is_not_built_again() -> None:
    """Parts whose key did not change hand back the lines they made (the same Texts)."""
    box = StepBox()
    app = six_app()
    view = lesson_view(app.lesson, precision=3)  # (no screen: the lesson at its start)
    first = [box._lines_of(name, view) for name in STEP_PARTS]
    again = [box._lines_of(name, view) for name in STEP_PARTS]
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert all(isinstance(line, Text) for part in first for line in part)
