"""Issue 15: a picture of the network, unrolled in time (key n; a panel when roomy).

``diagram`` draws x₁ → [h₁] → … → [h_T] → y with the Wxh, Whh and Wy arrows,
the current sub-step highlighted and padded steps marked; it is checked here
for sentences of length 6 and 1 at several positions, then in the app.
"""

from __future__ import annotations

import pytest
from conftest import press
from rich.cells import cell_len

from rnn_tui.core.cursor import Cursor
from rnn_tui.core.data import load_data
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.panels.diagram import NOW, PAD, TODO, diagram, highlighted, plain
from rnn_tui.tui.screens.diagram import DiagramScreen

#: 5 sentences of 1 to 6 tokens, 4 words (label<TAB>sentence); hidden 4
DATA = "1\tred\n0\tblue red\n1\tred green blue\n0\tgold red blue green red\n" \
       "1\tblue blue red gold green red\n"

SIX = ("         x₁         x₂         x₃         x₄         x₅         x₆\n"
       "         ↓Wxh       ↓Wxh       ↓Wxh       ↓Wxh       ↓Wxh       ↓Wxh\n"
       "h₀ ─Whh→ [h₁] ─Whh→ [h₂] ─Whh→ [h₃] ─Whh→ [h₄] ─Whh→ [h₅] ─Whh→ [h₆] ─Wy→ y")
ONE_OF_SIX = ("         x₁         ·pad       ·pad       ·pad       ·pad       ·pad\n"
              "         ↓Wxh\n"
              "h₀ ─Whh→ [h₁] ──=─→ [h₂] ──=─→ [h₃] ──=─→ [h₄] ──=─→ [h₅] ──=─→ [h₆] ─Wy→ y")


def pos(t: int, phase: int) -> int:
    """The cursor position of sub-step ``phase`` (1-4) of time step ``t``."""
    return 4 * (t - 1) + phase


def tags(lines, text: str) -> list[str]:
    """The tags of the runs holding ``text``."""
    return [tag for line in lines for run, tag in line if text in run]


# --- the picture ------------------------------------------------------------------------
@pytest.mark.parametrize(("t", "phase", "lit"), [
    (0, 0, ["h₀"]),
    (1, 1, ["x₁", "↓Wxh"]),  # x₁·Wxh: the input and its arrow
    (3, 1, ["x₃", "↓Wxh"]),
    (3, 2, ["─Whh→"]),  # h₂·Whh: the arrow into h₃
    (3, 3, ["[h₃]"]),  # the sum
    (6, 4, ["[h₆]"]),  # tanh
    (6, 5, ["─Wy→", "y"]),  # the output
])
def test_a_sentence_of_six(t, phase, lit) -> None:
    cursor = Cursor(0 if t == 0 else 25 if phase == 5 else pos(t, phase), 6)
    lines = diagram(6, 6, cursor)
    assert plain(lines) == SIX
    assert highlighted(lines) == lit
    if 0 < t < 6 and phase < 5:  # the sub-step lit is the one in time step t
        assert plain([lines[2]]).index(lit[-1] if phase > 1 else "[h₁]") >= 0
    assert PAD not in [tag for line in lines for _, tag in line]  # no padding


def test_the_highlight_moves_along_the_time_steps() -> None:
    """h·Whh lights the arrow into h_t, one arrow further each time step."""
    chain = "h₀ ─Whh→ [h₁] ─Whh→ [h₂] ─Whh→ [h₃] ─Whh→ [h₄] ─Whh→ [h₅] ─Whh→ [h₆] ─Wy→ y"
    arrows = [i for i in range(len(chain)) if chain.startswith("─Whh→", i)]
    for t in range(1, 7):
        line = diagram(6, 6, Cursor(pos(t, 2), 6))[2]
        at, lit = 0, []
        for text, tag in line:
            if tag == NOW:
                lit.append(at)
            at += len(text)
        assert lit == [arrows[t - 1]], t


def test_boxes_not_computed_yet_are_muted() -> None:
    lines = diagram(6, 6, Cursor(pos(2, 4), 6))  # h₂ = tanh(...) just revealed
    assert tags(lines, "[h₁]") == [""] and tags(lines, "[h₂]") == [NOW]
    assert all(tags(lines, f"[h{s}]") == [TODO] for s in "₃₄₅₆")
    assert lines[2][-1] == ("y", TODO)


def test_a_sentence_of_one_in_a_batch_of_six() -> None:
    """Past its end every step is padding: ·pad, no Wxh arrow, an = arrow (carried)."""
    lines = diagram(6, 1, Cursor(pos(1, 1), 6))
    assert plain(lines) == ONE_OF_SIX
    assert highlighted(lines) == ["x₁", "↓Wxh"]
    assert tags(lines, "·pad") == [PAD] * 5
    assert tags(lines, "──=─→") == [PAD] * 5
    assert highlighted(diagram(6, 1, Cursor(pos(4, 1), 6))) == ["·pad"]  # no x₄
    assert highlighted(diagram(6, 1, Cursor(pos(4, 2), 6))) == ["──=─→"]  # h₄ = h₃
    assert highlighted(diagram(6, 1, Cursor(pos(4, 4), 6))) == ["[h₄]"]
    assert highlighted(diagram(6, 1, Cursor(25, 6))) == ["─Wy→", "y"]


def test_a_batch_of_one_step() -> None:
    assert plain(diagram(1, 1, Cursor(0, 1))) == (
        "         x₁\n         ↓Wxh\nh₀ ─Whh→ [h₁] ─Wy→ y")
    assert highlighted(diagram(1, 1, Cursor(1, 1))) == ["x₁", "↓Wxh"]
    assert highlighted(diagram(1, 1, Cursor(4, 1))) == ["[h₁]"]
    assert highlighted(diagram(1, 1, Cursor(5, 1))) == ["─Wy→", "y"]


@pytest.mark.parametrize("width", [44, 60, 76])  # 76: inside a box at 80 columns
@pytest.mark.parametrize("t", [1, 7, 12])
def test_a_long_sentence_is_elided_around_t(width, t) -> None:
    lines = diagram(12, 12, Cursor(pos(t, 3), 12), width)
    text = plain(lines)
    assert max(len(line) for line in text.splitlines()) <= width
    chain = text.splitlines()[2]
    assert f"[h{'₁₂'[:1] if t == 1 else ''}" in chain
    sub = str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    assert highlighted(lines) == [f"[h{sub}]"]  # the current step is always drawn
    assert chain.startswith("h₀") and chain.endswith("[h₁₂] ─Wy→ y")  # and h_T and y
    assert "…" in chain


def test_wide_enough_nothing_is_elided() -> None:
    assert "…" not in plain(diagram(6, 6, Cursor(9, 6), 76))


# --- the app: key n -----------------------------------------------------------------------
def make_app(tmp_path, lang: str = "en") -> RNNApp:
    path = tmp_path / "d.tsv"
    path.write_text(DATA, encoding="utf-8")
    d = load_data(path)
    return RNNApp(d, Weights.init(d.vocab, hidden=4, seed=3), lang=lang)


def box_lines(text: str) -> list[str]:
    """The diagram box's inner lines (inside its │ borders)."""
    out = []
    for line in text.splitlines():
        if line.startswith("│") and line.rstrip().endswith("│"):
            out.append(line.rstrip()[1:-1].rstrip()[1:])
    return out


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_key_n_shows_the_picture_at_80x24_and_follows_the_keys(tmp_path, lang) -> None:
    app = make_app(tmp_path, lang)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "5", "n")  # sentence 5: six tokens
        assert isinstance(app.screen, DiagramScreen)
        lines = text.splitlines()
        assert len(lines) == 24 and all(cell_len(line) == 80 for line in lines)
        title = "the network, unrolled in time" if lang == "en" else "시간으로 펼친 신경망"
        assert f"╭─ {title} ─" in text
        inner = box_lines(text)
        for row in SIX.splitlines():
            assert row in inner, (row, inner)
        assert ("highlighted: h₀ = 0" if lang == "en" else "강조: h₀ = 0") in text
        text = await press(pilot, "L", "L", "l", "l")  # t = 3, h₂·Whh
        assert app.lesson.pos == pos(3, 2)
        assert ("highlighted: t = 3: h·Whh" if lang == "en" else "강조: t = 3: h·Whh") in text
        big = app.screen.query_one("#diagram-big")
        assert highlighted_on(big) == ["─Whh→"]
        assert any("╰──" in line for line in text.splitlines())  # the box closes on screen
        text = await press(pilot, "n")
        assert not isinstance(app.screen, DiagramScreen)
        assert app.lesson.pos == pos(3, 2)  # the stepper is where the picture left it


def highlighted_on(panel) -> list[str]:
    """The reversed (highlighted) runs the panel draws."""
    from textual.geometry import Region

    out = []
    for strip in panel.render_lines(Region(0, 0, *panel.outer_size)):  # borders too
        out.extend(seg.text for seg in strip if seg.style and seg.style.reverse)
    return out


async def test_key_n_marks_the_padding_of_a_short_sentence(tmp_path) -> None:
    app = make_app(tmp_path, "ko")
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "1", "n", "L", "L", "l", "l")  # sentence 1: one token
        inner = box_lines(text)
        assert any(row.startswith("h₀ ─Whh→ [h₁] ──=─→ [h₂] ──=─→ [h₃]") for row in inner)
        assert any(row.split() == ["x₁"] + ["·패딩"] * 5 for row in inner), inner
        assert "문장 1 은 t = 1 에서 끝남: ·패딩 단계는 h 를 그대로 전달 (=)" in text
        assert "강조: t = 3: 그대로 전달: h₃ = h₂" in text


async def test_help_lists_key_n(tmp_path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "question_mark")
        assert "the network unrolled in time, this sub-step highlighted" in text
        await press(pilot, "escape")
        assert app.screen is app.stepper_screen


# --- the panel beside the step at roomy sizes ----------------------------------------------
@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_the_picture_is_beside_the_step_at_120x40(tmp_path, lang) -> None:
    app = make_app(tmp_path, lang)
    async with app.run_test(size=(120, 40)) as pilot:
        text = await press(pilot, "5", "L", "L", "l", "l")  # sentence 5, t = 3, h₂·Whh
        rows = text.splitlines()
        at = next(i for i, row in enumerate(rows) if row.strip() == SIX.splitlines()[0].strip())
        assert "╰─" in rows[at - 1]  # right under the batch strip and the history
        assert [row.strip() for row in rows[at:at + 3]] == [
            row.strip() for row in SIX.splitlines()]
        assert rows[at + 3].startswith("╭─ x → h")  # the step box right under it
        if lang == "ko":
            assert "x → h · 문장 5" in rows[at + 3]
        panel = app.stepper_screen.query_one("#diagram")
        assert highlighted_on(panel) == ["─Whh→"]
        # the whole step box is still there: its last line (the equation) and its bottom
        box_end = next(i for i in range(at + 4, len(rows)) if rows[i].startswith("╰"))
        assert "h₃ = tanh(" in rows[box_end - 1] or "h₃ = tanh(" in rows[box_end - 2]
        text = await press(pilot, "end")  # the output: the y arrow is lit
        assert highlighted_on(panel) == ["─Wy→", "y"]
        assert SIX.splitlines()[2] in text


async def test_no_picture_panel_at_80x24_nor_in_the_batch_view(tmp_path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        chain = "h₀ ─Whh→ [h₁] ──=─→ [h₂]"  # sentence 1: one token, then padding
        text = await press(pilot, "L")
        assert chain not in text
        assert not app.stepper_screen.query_one("#diagram").display
        await pilot.resize_terminal(120, 40)
        text = await press(pilot)
        assert chain in text
        text = await press(pilot, "b")
        assert chain not in text and "batch view" in text
        text = await press(pilot, "b")
        assert chain in text
