"""The Textual stepper, driven with Pilot; assertions on the text the screen shows."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from conftest import press, screen_text

from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights, forward
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt, i18n
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.panels.base import Panel


def lesson_app(**kwargs) -> RNNApp:
    d = lesson_dataset()
    kwargs.setdefault("lang", "en")
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), **kwargs)


def reference(app: RNNApp) -> Stepper:
    """An independent engine run on the same data and weights, to compare the screen with."""
    d = app.dataset
    s = Stepper(app.weights.copy(), d.X, d.lengths, d.labels)
    s.run()
    return s


async def test_start_screen_shows_the_batch_and_h0() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        text = screen_text(app)
        assert "t = 0/3" in text
        assert "h₀ = 0" in text
        words = " ".join(text.split())  # whitespace normalised
        assert "▸ 1 as as soon → 0" in words
        assert "2 soon as as → 0" in words
        assert "3 as soon as → 1" in words
        # Wxh and Whh are shown from the start, with their shapes
        assert "Wxh (2,3)" in text and "Whh (3,3)" in text
        assert fmt.vec(app.weights.Wxh[0]) in text
        assert pilot.app.stepper.t == 0


async def test_substeps_reveal_the_terms_in_order() -> None:
    app = lesson_app()
    ref = reference(app)
    r1, r2 = ref.history[0], ref.history[1]
    async with app.run_test(size=(80, 24)) as pilot:
        # t = 1 for sentence 1 ("as as soon"); h_0 = 0 so h·Whh is zero: look at t = 2
        await press(pilot, "right", "right", "right", "right")
        text = await press(pilot, "right")  # t=2, sub-step 1: x·Wxh
        assert "t = 2/3  sub-step 1/4: x·Wxh" in text
        assert "x₂ = 'as' = [1 0]" in text
        assert "one-hot x picks row 1" in text
        assert f"= {fmt.vec(r2.xWxh[0])} ◀" in text
        assert fmt.vec(r2.hWhh[0]) not in text  # not yet
        assert fmt.vec(r2.pre[0]) not in text

        text = await press(pilot, "right")  # sub-step 2: h·Whh
        assert "sub-step 2/4: h·Whh" in text
        assert f"h₁ = {fmt.vec(r1.h[0])}" in text
        assert f"= {fmt.vec(r2.hWhh[0])} ◀" in text
        assert fmt.vec(r2.pre[0]) not in text

        text = await press(pilot, "right")  # sub-step 3: + bias, the sum
        assert "sub-step 3/4: + bias" in text
        assert f"Bh (1,1) = {fmt.vec(app.weights.bh)} ◀" in text
        assert f"{fmt.vec(r2.pre[0])} ◀" in text
        assert "h₂ [" not in text

        text = await press(pilot, "right")  # sub-step 4: tanh, h_2 joins the history
        assert "sub-step 4/4: tanh" in text
        assert f"h₂ {fmt.vec(r2.h[0])} ◀" in text
        equation = (f"h₂ = tanh({fmt.vec(r2.xWxh[0])} + {fmt.vec(r2.hWhh[0])} + "
                    f"{fmt.vec(r2.bias)}) =")
        # the equation may be broken between its terms at 80 columns ("  + [..]" goes on)
        assert equation in re.sub(r" *│\n│ +\+", " +", re.sub(r" *│\n│ +=", " =", text))


async def test_back_and_reset_at_both_granularities() -> None:
    app = lesson_app()
    ref = reference(app)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "L", "L")
        assert "t = 2/3  sub-step 4/4" in text
        assert f"h₂ {fmt.vec(ref.history[1].h[0])}" in text
        text = await press(pilot, "left")
        assert "t = 2/3  sub-step 3/4" in text
        assert "h₂ [" not in text
        text = await press(pilot, "H")
        assert "t = 1/3  sub-step 4/4" in text
        assert app.stepper.t == 1
        text = await press(pilot, "shift+right")
        assert "t = 2/3  sub-step 4/4" in text
        text = await press(pilot, "home")
        assert "t = 0/3" in text and app.stepper.t == 0
        text = await press(pilot, "left")
        assert "already at the start" in text and app.pos == 0
        await press(pilot, "L")
        text = await press(pilot, "r")
        assert "t = 0/3" in text


async def test_end_shows_the_output_of_the_engine() -> None:
    app = lesson_app()
    ref = reference(app)
    out = ref.output
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "end")
        assert "output: z, y" in text
        assert "z = h₃·Wy + By   (1,3)·(3,1) + (1,1) → (1,1)" in text
        assert f"  = {fmt.num(out.z[0, 0])} ◀" in text
        h3, Wy = out.h_last[0], app.weights.Wy[:, 0]
        products = " + ".join(f"({fmt.num(a)})({fmt.num(b)})" for a, b in zip(h3, Wy, strict=True))
        assert f"= {products} + ({fmt.num(app.weights.by[0, 0])})" in text
        assert f"y = sigmoid(z) = 1 / (1 + e^(−z)) = {out.y[0, 0]:.3f}" in text
        assert f"log(1−y)] = {out.loss[0]:.3f}" in text
        assert f"mean loss over 3 sentences = {out.mean_loss:.3f}" in text
        for t in range(3):
            assert f"h{'₁₂₃'[t]} {fmt.vec(ref.history[t].h[0])}" in text
        text = await press(pilot, "right")
        assert "already at the end" in text
        text = await press(pilot, "3")
        assert f"  = {fmt.num(out.z[2, 0])} ◀" in text
        assert "target 1  ✗ wrong" in text


async def test_selecting_a_sentence() -> None:
    app = lesson_app()
    ref = reference(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "L")
        text = await press(pilot, "down")
        assert "sentence 2: soon as as" in text
        assert "x₁ = 'soon' = [0 1]" in text
        assert f"h₁ {fmt.vec(ref.history[0].h[1])}" in text
        text = await press(pilot, "3")
        assert "sentence 3: as soon as" in text
        assert "▸ 3" in text
        text = await press(pilot, "down")  # wraps around
        assert "sentence 1: as as soon" in text
        text = await press(pilot, "up")
        assert "sentence 3" in text
        text = await press(pilot, "9")
        assert "there is no sentence 9" in text and app.selected == 2


async def test_batch_view_shows_whole_batch_matrices() -> None:
    app = lesson_app()
    ref = reference(app)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "L", "b")
        assert "[batch view]" in text
        assert "x₁ (3,2)" in text and "= x·Wxh (3,3)" in text and "tanh → h₁ (3,3)" in text
        for b in range(3):
            assert fmt.vec(ref.history[0].h[b]) in text
        text = await press(pilot, "end")
        assert "y (3,1) = [" + " ".join(f"{v:.3f}" for v in ref.output.y[:, 0]) + "]ᵀ" in text
        text = await press(pilot, "b")
        assert "[batch view]" not in text


async def test_help_screen_lists_every_key() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "question_mark")
        assert "Keys" in text and "↑↓ scroll" in text
        for _ in range(4):  # the list scrolls at 80x24 (the keys, then the marks' legend)
            text += await press(pilot, "pagedown")
        for keys, description in RNNApp.HELP_ROWS:
            first = keys.split(",")[0].replace("right", "→").replace("left", "←")
            first = first.replace("up", "↑")
            assert first.strip() in text, first
            assert i18n.tr(description) in text, description
        assert "autoplay / pause" in text
        text = await press(pilot, "escape")
        assert "Keys" not in text
        assert "t = 0/3" in text


async def test_small_terminal_shows_a_message_and_reflows() -> None:
    app = lesson_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Enlarge the terminal to 80×24" in text
        assert "Wxh" not in text
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        text = screen_text(app)
        assert "Enlarge the terminal" not in text
        assert "Wxh (2,3)" in text


async def test_padding_is_shown_as_padding() -> None:
    d = Dataset.from_sentences(["as soon as", "soon"], [1, 0])
    app = RNNApp(d, Weights.init(d.vocab, seed=3), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        text = screen_text(app)
        assert "·pad" in text
        text = await press(pilot, "2", "L", "L")
        assert "x₂ = padding" in text
        assert "carried: h₂ = h₁" in text
        text = await press(pilot, "end")
        y = forward(app.weights, d.X, d.lengths)[1]
        assert "z = h₁·Wy + By" in text  # read at its own last token
        assert f"1 / (1 + e^(−z)) = {y[1, 0]:.3f}" in text


async def test_only_changed_panels_repaint_on_a_substep() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "L")
        before = {p.id: p.repaints for p in app.query(Panel)}
        await press(pilot, "right")  # t=2 sub-step 1: the batch cursor moves, x·Wxh appears
        after = {p.id: p.repaints for p in app.query(Panel)}
        changed = {k for k in after if after[k] != before[k]}
        # a new time step: everything on screen; not the output (shown at the end only)
        # nor the batch matrices (shown in the batch view, or on a big terminal), nor
        # the network diagram (on a big terminal)
        assert changed == set(after) - {"output", "batch-matrices", "keys", "diagram"}
        before = after
        await press(pilot, "right")  # sub-step 2: only the h·Whh term, the equation, the status
        after = {p.id: p.repaints for p in app.query(Panel)}
        changed = {k for k in after if after[k] != before[k]}
        assert changed == {"status", "step", "narration"}  # the step box: its parts drawn in it
        await press(pilot, "b")  # the batch view catches up when it is shown
        assert "= h·Whh (3,3)" in screen_text(app)
        assert fmt.vec(app.stepper.history[1].hWhh[2]) in screen_text(app)


async def test_autoplay_advances_and_stops_at_the_end() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "plus", "plus", "plus")  # 16 sub-steps per second at most
        assert app.speed == 8.0
        await press(pilot, "p")
        assert app.playing
        assert "playing" in screen_text(app)
        for _ in range(60):
            await pilot.pause(0.1)
            if not app.playing:
                break
        assert not app.playing
        assert app.cursor.at_output
        await press(pilot, "minus")
        assert app.speed == 4.0


@pytest.mark.parametrize("presses", [50, pytest.param(250, marks=pytest.mark.slow)])
async def test_random_keys_never_crash_and_the_screen_follows_the_engine(presses: int) -> None:
    rng = random.Random(1234)
    keys = ["right", "l", "space", "L", "left", "h", "H", "home", "r", "end", "up", "down",
            "1", "2", "3", "4", "b"]
    app = lesson_app()
    ref = reference(app)
    async with app.run_test(size=(80, 24)) as pilot:
        for i in range(presses):
            await pilot.press(rng.choice(keys))
            if i % 5:
                continue
            await pilot.pause()
            text = screen_text(app)
            c = app.cursor
            assert app.stepper.t == c.t
            assert f"t = {c.t}/3" in text
            if not app.batch_view:
                # the history panel shows exactly the engine's h_1..h_k, k revealed so far
                k = c.t if c.phase >= 4 else max(c.t - 1, 0)
                for t in range(1, k + 1):
                    h = ref.history[t - 1].h[app.selected]
                    assert f"h{'₀₁₂₃'[t]} {fmt.vec(h)}" in text
                assert f"h{'₀₁₂₃'[k + 1]} [" not in text if k < 3 else True
            np.testing.assert_array_equal(app.stepper.h, ref.history[c.t - 1].h if c.t else 0)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_roomy_terminals_show_more(size: tuple[int, int]) -> None:
    app = lesson_app()
    async with app.run_test(size=size) as pilot:
        text = await press(pilot, "L")
        both = "x → h · sentence 1" in text and "x₁ (3,2)" in text
        assert both == (size == (120, 40))


async def test_another_activation_is_named_and_used() -> None:
    d = lesson_dataset()
    app = RNNApp(d, Weights.init(d.vocab, hidden=3, seed=0), activation="relu", lang="en")
    ref = Stepper(app.weights.copy(), d.X, d.lengths, d.labels, activation="relu")
    ref.run()
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "L")
        assert "sub-step 4/4: relu" in text
        assert "h₁ = relu(sum)" in text
        assert f"h₁ {fmt.vec(ref.history[0].h[0])}" in text
        assert np.all(ref.history[0].h >= 0)


def test_changed_span_covers_only_the_differing_cells() -> None:
    from rich.segment import Segment
    from textual.strip import Strip

    from rnn_tui.tui.panels.base import _changed_span

    old = Strip([Segment("ab"), Segment("cd"), Segment("ef")])
    new = Strip([Segment("ab"), Segment("XY"), Segment("ef")])
    assert _changed_span(old, new, 6) == (2, 4)
    assert _changed_span(old, old, 6) == (0, 6)  # equal lines are never asked; whole line


async def test_a_substep_repaints_only_changed_lines() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "right")  # t = 1: the step's panels change height or content
        before = {p.id: p.lines_repainted for p in app.query(Panel)}
        text = await press(pilot, "right")  # same t: x·Wxh's marker moves to h·Whh
        assert "sub-step 2/4" in text
        after = {p.id: p.lines_repainted for p in app.query(Panel)}
        assert after["step"] > before["step"]  # partial, not a whole repaint
        # x·Wxh's line loses its marker, h·Whh's 3 lines and the equation's fill in
        assert after["step"] - before["step"] <= 5 < app.query_one("#step").size.height
        # the narration has a fixed height: a shorter text is padded, not a new layout
        narration = app.query_one("#narration", Panel)
        for _ in range(6):
            before = narration.lines_repainted, narration.repaints
            await press(pilot, "right")
            assert narration.repaints == before[1] + 1
            assert 0 < narration.lines_repainted - before[0] <= narration.size.height


async def test_resizing_under_another_screen_reaches_the_stepper() -> None:
    app = lesson_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "question_mark")
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        text = await press(pilot, "escape")
        assert "Enlarge the terminal to 80×24" in text
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "Wxh (2,3)" in screen_text(app)


def test_grid_lays_cells_out_in_aligned_columns() -> None:
    from rich.text import Text

    from rnn_tui.tui.panels.stepper import grid

    out = grid([
        [Text("x (3,2)\n▸1 as"), Text("· Wxh\n[+0.158]\n[-0.558]"), Text("=\nh₁")],
        [Text("+ Bh"), Text("= sum"), Text("tanh → h₂")],
    ])
    # worked by hand: columns 7 and 8 cells wide, 2 apart; no trailing spaces;
    # a row is as tall as its tallest cell
    assert [line.plain for line in out] == [
        "x (3,2)  · Wxh     =",
        "▸1 as    [+0.158]  h₁",
        "         [-0.558]",
        "+ Bh     = sum     tanh → h₂",
    ]
    styled = grid([[Text("a", style="bold"), Text("b", style="red")]]).joined()
    assert [(styled.plain[s.start:s.end], str(s.style)) for s in styled.spans] == [
        ("a", "bold"), ("b", "red")]


def _cells(strips, width: int, base) -> list[list[tuple[str, str]]]:
    """Each cell's character and how its style is written (spaces: background only),
    the lines padded with the panel's style as Textual pads them on screen."""
    from rich.color import ColorSystem

    rows = []
    for strip in strips:
        row = []
        for segment in strip.extend_cell_length(width, base).crop(0, width):
            style = segment.style
            for ch in segment.text:
                if ch == " " and style is not None and not style.underline:
                    # a space shows only its background (its colour, if reversed)
                    shown = style.color if style.reverse else style.bgcolor
                    ansi = str(shown and shown.get_truecolor())
                else:
                    ansi = style.render("x", color_system=ColorSystem.TRUECOLOR) if style else ""
                row.append((ch, ansi))
        rows.append(row)
    return rows


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_quick_lines_look_like_textuals_own(size: tuple[int, int], lang: str) -> None:
    """text_strips (the panels' quick path) draws what Textual's Content path
    draws, wrapped sentences (the narration's, in both languages) included."""
    from textual.visual import Visual

    app = lesson_app(lang=lang)
    quick_ids = set()
    async with app.run_test(size=size) as pilot:
        quick = 0
        for keys in (["L", "right", "right"], ["right", "right"], ["end"]):
            await press(pilot, *keys)
            for panel in app.query(Panel):
                width, height = panel.size
                if not panel.display or panel._content is None or not width:
                    continue
                lines = panel._quick_lines(width, height)
                if lines is None:
                    continue
                quick += 1
                quick_ids.add(panel.id)
                textual_lines = Visual.to_strips(panel, panel.render(), width, height,
                                                 panel.visual_style)
                base = panel.visual_style.rich_style
                assert _cells(lines, width, base) == _cells(textual_lines, width, base), panel.id
        assert quick >= 10  # most panels take the quick path
        assert "narration" in quick_ids
