"""Typed input (issue 15): a bounded weight, the export dialog's keys as its hint says."""

from __future__ import annotations

import os

import pytest
from conftest import Notices, press, screen_text

from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.export.trace import load_trace
from rnn_tui.teach import i18n
from rnn_tui.teach.edit import MAX_TYPED, parse_value
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.screens.files import ExportScreen
from rnn_tui.tui.screens.weights_editor import WeightsScreen


def lesson_app(lang: str = "en") -> RNNApp:
    d = lesson_dataset()
    return RNNApp(d, Weights.init(d.vocab, seed=0), lang=lang)


# --- the weights editor: what can be typed is bounded ------------------------------------
@pytest.mark.parametrize("text", ["1e308", "-1e308", "1000000.5", "2e6", "１ｅ３０８"])
def test_a_huge_weight_is_refused_with_the_limit(text: str) -> None:
    i18n.set_lang("en")
    with pytest.raises(ValueError) as info:
        parse_value(text)
    assert str(info.value) == "too big: type a value between -1,000,000 and 1,000,000"


@pytest.mark.parametrize(("text", "value"), [
    ("1e6", MAX_TYPED), ("-1000000", -MAX_TYPED), ("０．２５", 0.25), ("－１", -1.0)])
def test_weights_up_to_the_limit_are_read(text: str, value: float) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "too big: type a value between -1,000,000 and 1,000,000: nothing changed"),
    ("ko", "너무 크다: -1,000,000 과 1,000,000 사이의 값을 입력: 바뀐 것 없음"),
])
async def test_the_weights_editor_refuses_1e308_and_says_why(lang: str, words: str) -> None:
    app = lesson_app(lang)
    before = app.weights.copy()
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "w", "enter")
        assert isinstance(app.screen, WeightsScreen)
        text = await press(pilot, *"1e308", "enter")
        assert words in text
        assert app.weights == before and app.screen.weights == before
        text = await press(pilot, *["backspace"] * 5, *"-0.5", "enter")
        assert app.screen.weights.Wxh[0, 0] == -0.5


# --- the export dialog: ↑↓ choose, from either field; enter writes from either ----------
async def test_the_export_hint_is_true_in_the_name_field(tmp_path) -> None:
    os.chdir(tmp_path)
    app = lesson_app()
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen) as pilot:
        text = await press(pilot, "x")
        assert isinstance(app.screen, ExportScreen)
        assert "format (↑↓ to choose): Markdown handout" in text and "space" not in text
        assert app.screen.focused is app.screen.query_one("#file-name")
        text = await press(pilot, "down", "down")  # in the name field: LaTeX, then CSV
        assert "format (↑↓ to choose): CSV" in text
        assert app.screen.query_one("#file-name").value == "rnn-trace.csv"
        await press(pilot, "space")  # a space is typed at the end, the name stays
        assert app.screen.query_one("#file-name").value == "rnn-trace.csv "
        await press(pilot, "backspace", "up")
        assert app.screen.format == "tex"
        text = await press(pilot, "enter")
        assert not isinstance(app.screen, ExportScreen)
    assert "wrote the tex trace to rnn-trace.tex" in text.splitlines()[0] and not seen.messages
    assert os.listdir(tmp_path) == ["rnn-trace.tex"]


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_enter_on_the_format_list_writes_the_chosen_format(tmp_path, lang: str) -> None:
    os.chdir(tmp_path)
    app = lesson_app(lang)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "x", "shift+tab")  # to the formats
        assert "(↑↓ 로 고르기)" in text if lang == "ko" else "(↑↓ to choose)" in text
        assert app.screen.focused is app.screen.query_one("#export-format")
        text = await press(pilot, "up")  # wraps to JSON, chosen at once
        assert app.screen.format == "json" and "JSON" in screen_text(app)
        assert app.screen.query_one("#file-name").value == "rnn-trace.json"
        await press(pilot, "enter")
        assert not isinstance(app.screen, ExportScreen)
    trace = load_trace(tmp_path / "rnn-trace.json")
    assert trace.weights == app.weights
