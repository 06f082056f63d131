"""Issue 15: messages never cover the equation or the narration at 80x24.

Every notice the app gives (a new token from the sentence editor, a served
session's refusals, what export and save wrote) goes to the status line, not
a toast floating over the narration. Each test triggers one at 80x24 and reads
the screen: the narration's text (from ``narrate``, the engine's words) is all
there, row for row, and the message is on the top line.
"""

from __future__ import annotations

import os

import pytest
from conftest import Notices, press, screen_text
from textual.app import App

from rnn_tui.core.data import load_data
from rnn_tui.core.model import Weights
from rnn_tui.teach.narration import narrate
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.screens.files import SERVED_ENV

#: 5 sentences of 1 to 6 tokens, 4 words; hidden 4 (label<TAB>sentence)
DATA = "1\tred\n0\tblue red\n1\tred green blue\n0\tgold red blue green red\n" \
       "1\tblue blue red gold green red\n"


@pytest.fixture(autouse=True)
def local(monkeypatch, tmp_path):
    monkeypatch.delenv(SERVED_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


def make_app(tmp_path, lang: str = "en") -> RNNApp:
    path = tmp_path / "d.tsv"
    path.write_text(DATA, encoding="utf-8")
    d = load_data(path)
    return RNNApp(d, Weights.init(d.vocab, hidden=4, seed=3), lang=lang)


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_narration_whole(app: RNNApp) -> None:
    """The narration's rows on screen hold all of its text (nothing drawn over it)."""
    text = screen_text(app)
    panel = app.stepper_screen.query_one("#narration")
    region = app.screen.find_widget(panel).region
    rows = text.splitlines()[region.y:region.y + region.height]
    words = narrate(app.stepper, app.cursor, app.selected, app.precision)
    assert flat(words) in flat(" ".join(rows)), (words, rows)


async def test_the_check_sees_a_toast(tmp_path) -> None:
    """The check above fails when a toast covers the narration (it is not vacuous)."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await press(pilot, "l", "l")
        assert_narration_whole(app)
        # Textual's own toast (the app's notify writes in the status line instead)
        App.notify(app, "a message that would cover the narration " * 2, timeout=30)
        await press(pilot)
        with pytest.raises(AssertionError):
            assert_narration_whole(app)


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_a_new_token_is_said_in_the_status_line(tmp_path, lang) -> None:
    app = make_app(tmp_path, lang)
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen, notifications=True) as pilot:
        text = await press(pilot, "e", "a", *"red purple", "tab", "1", "enter", "escape")
        assert not seen.messages
        status = text.splitlines()[0]
        if lang == "en":
            assert "(new token 'purple': vocabulary 5, Wxh (5, 4))" in status
        else:
            assert "(새 토큰 'purple': 어휘 5, Wxh (5, 4))" in status
        assert_narration_whole(app)


@pytest.mark.parametrize("key", ["x", "s"])
async def test_served_refusals_are_said_in_the_status_line(monkeypatch, tmp_path, key) -> None:
    monkeypatch.setenv(SERVED_ENV, "1")
    app = make_app(tmp_path)
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen, notifications=True) as pilot:
        await press(pilot, "L", "l")
        text = await press(pilot, key)
        what = {"x": "export", "s": "saving"}[key]
        assert f"(no {what} over SSH)" in text.splitlines()[0]
        app.action_screenshot("x.svg", str(tmp_path))
        text = await press(pilot)
        assert "(no screenshots over SSH)" in text.splitlines()[0]
        assert not seen.messages
        assert_narration_whole(app)
    assert os.listdir(tmp_path) == ["d.tsv"]


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_what_export_and_save_wrote_is_said_in_the_status_line(tmp_path, lang) -> None:
    app = make_app(tmp_path, lang)
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen, notifications=True) as pilot:
        await press(pilot, "L", "L", "l")
        text = await press(pilot, "x", "enter")
        wrote = ("(wrote the md trace to rnn-trace.md)" if lang == "en"
                 else "(md 기록을 rnn-trace.md 에 씀)")
        assert wrote in text.splitlines()[0]
        assert_narration_whole(app)
        text = await press(pilot, "s", "enter")
        saved = ("(saved rnn-weights.json and rnn-weights.tsv)" if lang == "en"
                 else "(rnn-weights.json, rnn-weights.tsv 저장함)")
        assert saved in text.splitlines()[0]
        assert_narration_whole(app)
        assert not seen.messages
    assert sorted(os.listdir(tmp_path)) == ["d.tsv", "rnn-trace.md", "rnn-weights.json",
                                            "rnn-weights.tsv"]


async def test_a_long_file_name_is_cut_to_fit(tmp_path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        name = "a-rather-long-name-for-a-handout-of-the-whole-trace.md"
        await press(pilot, "x", *["backspace"] * 20, *name, "enter")
        status = screen_text(app).splitlines()[0]
        assert "(wrote the md trace to …handout-of-the-whole-trace.md)" in status
        assert (tmp_path / name).exists()


@pytest.mark.parametrize("lang", ["en", "ko"])
async def test_ctrl_c_says_how_to_quit_in_the_status_line(tmp_path, lang) -> None:
    """Textual answers ctrl+c with a toast ("Press q to quit"): here, the status line."""
    app = make_app(tmp_path, lang)
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen, notifications=True) as pilot:
        await press(pilot, "L", "l")
        text = await press(pilot, "ctrl+c")
        assert app.is_running and not seen.messages
        said = ("(ctrl+c does not quit here: press q)" if lang == "en"
                else "(ctrl+c 로는 끝나지 않는다: q 를 누른다)")
        assert said in text.splitlines()[0]
        assert_narration_whole(app)


async def test_any_notification_goes_to_the_status_line(tmp_path) -> None:
    """Textual's own notifications (a screenshot saved...) too, markup taken as text."""
    app = make_app(tmp_path)
    seen = Notices()
    async with app.run_test(size=(80, 24), message_hook=seen, notifications=True) as pilot:
        await press(pilot, "L")
        app.notify("Saved screenshot to [$text-success]'x.svg'", title="Screenshot")
        app.notify("[b]not[/b] markup", markup=False)
        text = await press(pilot)
        assert not seen.messages
        assert "([b]not[/b] markup)" in text.splitlines()[0]
        app.notify("Saved screenshot to [$text-success]'x.svg'", title="Screenshot")
        text = await press(pilot)
        assert "(Screenshot: Saved screenshot to 'x.svg')" in text.splitlines()[0]
        assert_narration_whole(app)
