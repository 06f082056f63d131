"""Issue 15: the help (?) says what the screen's marks mean, in English and Korean.

A one-line legend on top of the help, and a row for each mark under the keys:
colour = sign (blue positive, orange negative), ◀ just revealed, [as] the
current token, ···· not computed yet, ·pad padding, underline edited by hand,
and ±1.000 (a rounded tanh).
"""

from __future__ import annotations

import pytest
from conftest import press, screen_text
from textual.geometry import Region

from rnn_tui.core.data import load_data
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.screens.help import HelpScreen
from rnn_tui.tui.themes import PALETTES

DATA = "1\tred\n0\tblue red\n1\tred green blue\n0\tgold red blue green red\n" \
       "1\tblue blue red gold green red\n"

#: (mark, its meaning) as the help writes them
MARKS = {
    "en": [("+0.25 -0.25", "colour = sign: blue positive, orange negative"),
           ("◀", "just revealed by the last key"),
           ("[red]", "the current token"),
           ("····", "not computed yet"),
           ("·pad", "padding: the sentence has ended, h is carried unchanged"),
           ("underline", "edited by hand"),
           ("±1.000", "rounded: |h| ≥ 0.9995; tanh comes close to ±1 but never")],
    "ko": [("+0.25 -0.25", "색 = 부호: 파랑은 양수, 주황은 음수"),
           ("◀", "마지막 키로 방금 드러난 값"),
           ("[red]", "현재 토큰"),
           ("····", "아직 계산되지 않음"),
           ("·패딩", "패딩: 문장이 끝났고, h 는 그대로 전달된다"),
           ("밑줄", "직접 수정한 값"),
           ("±1.000", "반올림: |h| ≥ 0.9995; tanh 는 ±1 에 다가가지만")],
}
LINE = {"en": "blue +, orange − · ◀ just revealed · [red] current token · ···· not yet",
        "ko": "파랑 +, 주황 − · ◀ 방금 드러남 · [red] 현재 토큰 · ···· 아직"}


def make_app(tmp_path, lang: str) -> RNNApp:
    path = tmp_path / "d.tsv"
    path.write_text(DATA, encoding="utf-8")
    d = load_data(path)
    return RNNApp(d, Weights.init(d.vocab, hidden=4, seed=1), lang=lang)


async def to_the_end(pilot) -> str:
    """Scroll the help to its end (the marks are under the keys); the screen's text."""
    pilot.app.screen.query_one("#help-scroll").scroll_end(animate=False)
    return await press(pilot)


def rows_of(text: str) -> list[str]:
    """The screen's lines with the boxes' borders taken off (the panels' show around the help)."""
    rows = []
    for line in text.splitlines():
        if line.count("│") >= 2:  # inside the help box (which is inside the stepper's)
            line = line[line.index("│") + 1:line.rindex("│")].replace("│", " ")
        rows.append(" ".join(line.split()))
    return rows


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_help_says_what_each_mark_means(tmp_path, lang) -> None:
    app = make_app(tmp_path, lang)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert LINE[lang] in " ".join(rows_of(text))  # the one-line legend, on top
        text = await to_the_end(pilot)
        rows = rows_of(text)
        title = "What the marks mean" if lang == "en" else "표시의 뜻"
        assert any(row == title for row in rows), rows
        for mark, meaning in MARKS[lang]:
            # each mark on one row with (the start of) what it means
            assert any(row.startswith(f"{mark} {meaning}") for row in rows), (mark, rows)


async def test_the_sign_sample_is_coloured_as_the_numbers_are(tmp_path) -> None:
    app = make_app(tmp_path, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "question_mark")
        marks = app.screen.query_one("#help-marks")
        segments = [seg for strip in marks.render_lines(Region(0, 0, *marks.size))
                    for seg in strip if seg.text.strip() and seg.style]
        colours = {seg.text.strip(): seg.style.color.name.lower() for seg in segments
                   if seg.style.color}
        palette = PALETTES["default"]
        assert colours["+0.25"] == palette.positive and colours["-0.25"] == palette.negative
        assert any(seg.text.strip() == "underline" and seg.style.underline for seg in segments)


async def test_the_help_fits_at_80x24_and_still_lists_every_key(tmp_path) -> None:
    app = make_app(tmp_path, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "question_mark")
        lines = text.splitlines()
        assert len(lines) == 24 and all(len(line) == 80 for line in lines)
        assert "next sub-step: x·Wxh, h·Whh, + bias, activation" in " ".join(rows_of(text))
        text = await to_the_end(pilot)
        assert "counts start at 1: sentence 1, t = 1, [1] (JSON, CSV: 0)" in text
        assert "╰───" in screen_text(app).splitlines()[-2]  # the box closes on screen
