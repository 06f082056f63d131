"""Issue 13: text from users and files is text, never Textual markup.

Every screen that shows a sentence, a token or typed text is fed tokens that
are markup to Textual (``[/]`` alone crashed the app at start; a ``[@click=...]``
title ran an action when clicked, ``app.screenshot`` writing a file anywhere),
and must show them as they are and do nothing with them.
"""

from __future__ import annotations

import os

import pytest
from conftest import press, run_cli, screen_text
from textual.notifications import Notify

from rnn_tui.core.data import load_data
from rnn_tui.core.model import Weights
from rnn_tui.tui.app import RNNApp
from rnn_tui.tui.screens.backward import BackwardScreen
from rnn_tui.tui.screens.files import SERVED_ENV
from rnn_tui.tui.screens.sentences import SentencesScreen
from rnn_tui.tui.screens.weights_editor import WeightsScreen

QUIT = "[@click=app.quit]x[/]"
TOKENS = ("[/]", QUIT, "[UNK]", "[bold]", "a[b]c")

#: 6 sentences, 1 to 6 tokens, every token above; label<TAB>sentence
SENTENCES = (
    (1, "[/]"),
    (0, "[UNK] a[b]c"),
    (1, f"{QUIT} [bold] [UNK]"),
    (0, "a[b]c [/] [bold] [UNK]"),
    (1, f"[bold] [UNK] [/] a[b]c {QUIT}"),
    (0, "[UNK] [UNK] a[b]c [bold] [/] [UNK]"),
)

SIZES = [(80, 24), (120, 40)]


def write_data(path, sentences=SENTENCES) -> str:
    path.write_text("".join(f"{label}\t{text}\n" for label, text in sentences), encoding="utf-8")
    return str(path)


def markup_app(path) -> RNNApp:
    d = load_data(path)
    return RNNApp(d, Weights.init(d.vocab, hidden=4, seed=0), lang="en")


class Toasts:
    """Notifications the app raised (run_test's message hook): text, and whether as markup."""

    def __init__(self) -> None:
        self.seen: list = []

    def __call__(self, message) -> None:
        if isinstance(message, Notify):
            self.seen.append(message.notification)

    def __str__(self) -> str:
        return " | ".join(n.message for n in self.seen)

    @property
    def all_text(self) -> bool:
        return all(not n.markup for n in self.seen)


def flat(text: str) -> str:
    """Screen text with box borders and runs of spaces taken out (lines may wrap)."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("─", " ").split())


@pytest.fixture(autouse=True)
def local(monkeypatch, tmp_path):
    monkeypatch.delenv(SERVED_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("size", SIZES)
async def test_sentences_show_literally_in_the_stepper(tmp_path, size) -> None:
    """Step title, batch and history panels: every token as it is, for every sentence."""
    app = markup_app(write_data(tmp_path / "m.tsv"))
    async with app.run_test(size=size) as pilot:
        for b, (_label, sentence) in enumerate(SENTENCES):
            text = await press(pilot, str(b + 1))
            assert f"sentence {b + 1}: {sentence}" in text  # the step panel's title
            assert app.query_one("#step").border_title is not None
            text = await press(pilot, "end")  # every step: the history lists the tokens
            for token in sentence.split():
                assert token in text, (token, text)
            await press(pilot, "home")
        text = await press(pilot, "b", "right")  # the batch view
        for b in range(len(SENTENCES)):  # (at 80x24 it shows a window of the sentences)
            text += await press(pilot, str(b + 1))
        for token in ("[/]", "[UNK]", QUIT):
            assert token in text
        assert app.is_running


async def test_sentences_in_the_batch_panel(tmp_path) -> None:
    app = markup_app(write_data(tmp_path / "m.tsv"))
    async with app.run_test(size=(120, 40)) as pilot:
        text = flat(await press(pilot, "right"))
        for b, (_label, sentence) in enumerate(SENTENCES[:5]):
            first = sentence.split()[0]  # columns of tokens; at t = 1 the first is [first]
            assert f"{b + 1} {first}" in text or f"{b + 1} [{first}" in text, sentence
            for token in sentence.split():
                assert token in text


@pytest.mark.parametrize("size", SIZES)
async def test_backward_screen_titles_show_tokens_literally(tmp_path, size) -> None:
    app = markup_app(write_data(tmp_path / "m.tsv"))
    async with app.run_test(size=size) as pilot:
        await press(pilot, "5")
        text = await press(pilot, "g")
        assert isinstance(app.screen, BackwardScreen)
        assert f"sentence 5: {SENTENCES[4][1]}" in text
        tokens = SENTENCES[4][1].split()
        for t in range(len(tokens), 0, -1):  # back through each time step
            text = await press(pilot, "L")
            token = tokens[t - 1]
            assert f"= {token!r}" in text, (token, text)  # the step's title
        await press(pilot, "escape")
        assert app.is_running


@pytest.mark.parametrize("size", SIZES)
async def test_sentence_editor_and_new_token_notice(tmp_path, size) -> None:
    app = markup_app(write_data(tmp_path / "m.tsv"))
    toasts = Toasts()
    async with app.run_test(size=size, message_hook=toasts) as pilot:
        text = flat(await press(pilot, "e"))
        assert isinstance(app.screen, SentencesScreen)
        for b, (label, sentence) in enumerate(SENTENCES):
            assert f"{b + 1} {label} {sentence}" in text, sentence
        new = "[x] [/]x [@click=app.quit]y[/] [UNK]"
        await press(pilot, "a", *new)
        assert new in screen_text(app)  # the input shows what is typed
        await press(pilot, "tab", "1")
        text = flat(await press(pilot, "enter"))
        assert app.is_running and app.stepper.batch == 7
        assert not toasts.seen  # the status line says it (issue 15: no toasts)
        for token in ("[x]", "[/]x", "[@click=app.quit]y[/]"):
            assert repr(token) in text  # the editor's message line, as typed
        assert f"7 1 {new}" in text  # the table
        await press(pilot, "escape")
        text = await press(pilot, "7")
        assert f"sentence 7: {new}" in text
        assert "new tokens '[x]', '[/]x', '[@click=app…': vocabulary 8" in text.splitlines()[0]
        assert app.weights.vocab[-3:] == ["[x]", "[/]x", "[@click=app.quit]y[/]"]


async def test_weights_editor_row_labels_are_tokens(tmp_path) -> None:
    app = markup_app(write_data(tmp_path / "m.tsv"))
    vocab = list(app.weights.vocab)
    assert set(TOKENS) <= set(vocab)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await press(pilot, "w")
        assert isinstance(app.screen, WeightsScreen)
        for i, token in enumerate(vocab):
            assert f"Wxh[{token}, h1] =" in text, (token, text)
            assert token in text
            if i + 1 < len(vocab):
                text = await press(pilot, "down")
        await press(pilot, "escape")
        assert app.is_running


@pytest.mark.parametrize("size", SIZES)
async def test_quiz_echoes_typed_text_literally(tmp_path, size) -> None:
    app = markup_app(write_data(tmp_path / "m.tsv"))
    async with app.run_test(size=size) as pilot:
        await press(pilot, "2", "k")
        for _ in range(4):  # to the first sub-step that asks
            if app.question is None:
                await press(pilot, "right")
        assert app.question is not None
        for typed in ("[/]", "[bold]x", "[@click=app.quit]q[/]"):
            await press(pilot, *typed)
            text = flat(await press(pilot, "enter"))
            assert f"'{typed}' is not a number" in text, text
            assert app.question is not None and app.is_running
            await press(pilot, *["backspace"] * len(typed))


@pytest.mark.slow  # over 9 s on 2 cores: CI's slow set
async def test_clicking_a_markup_title_does_nothing(tmp_path) -> None:
    """A sentence written as an action is only text: clicking its title runs nothing."""
    shots = tmp_path / "shots"
    shots.mkdir()
    shot = f"[@click=app.screenshot('x.svg','{shots}')]CLICK[/]"
    app = markup_app(write_data(tmp_path / "m.tsv", [(1, shot), (0, f"{QUIT} a"), (1, "b")]))
    async with app.run_test(size=(120, 30)) as pilot:
        for b, every in ((1, 3), (2, 1)):  # CLICK is 5 columns wide, x one
            await press(pilot, str(b))
            step = app.query_one("#step")
            x, y = step.region.x, step.region.y  # the title is on the box's top border
            title = len(f"x → h · sentence {b}: {app.dataset.texts[b - 1]}")
            for dx in range(0, min(step.region.width, title + 5), every):
                await pilot.click(offset=(x + dx, y))
            await pilot.pause()
            assert app.is_running
        assert f"sentence 1: {shot}" in screen_text(app) or app.selected == 1
    assert list(shots.iterdir()) == []


async def test_textual_file_actions_refuse_in_a_served_session(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(SERVED_ENV, "1")
    app = markup_app(write_data(tmp_path / "m.tsv"))
    toasts = Toasts()
    async with app.run_test(size=(80, 24), message_hook=toasts) as pilot:
        app.action_screenshot("x.svg", str(tmp_path))
        await app.run_action(f"screenshot('y.svg', '{tmp_path}')")
        text = await press(pilot)
        assert "no screenshots over SSH" in text.splitlines()[0]
        assert not toasts.seen  # the status line says it (issue 15: no toasts)
        app.action_suspend_process()
        await pilot.pause()
        assert app.is_running
    assert not list(tmp_path.glob("*.svg"))


async def test_screenshots_still_work_locally(tmp_path) -> None:
    app = markup_app(write_data(tmp_path / "m.tsv"))
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_screenshot("x.svg", str(tmp_path))
        await pilot.pause()
    assert (tmp_path / "x.svg").exists()


def test_text_mode_prints_markup_literally(tmp_path) -> None:
    data = write_data(tmp_path / "m.tsv")
    out = run_cli("--text", "--data", data, "--hidden", "4")
    assert out.returncode == 0, out.stderr
    for _label, sentence in SENTENCES:
        assert sentence in out.stdout
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pty")
def test_the_app_starts_on_a_pty_with_markup_in_the_data(tmp_path) -> None:
    """`rnn-tui --data f.tsv` with `[/]` in it: it used to die at start with MarkupError."""
    import sys

    from benchmarks.ptyrun import PtyProcess

    data = write_data(tmp_path / "m.tsv")
    p = PtyProcess([sys.executable, "-m", "rnn_tui", "--data", data, "--hidden", "4"],
                   cwd=str(tmp_path.parent))
    try:
        p.read_until(b"sentence 1: [/]", timeout=20)
        p.read_until_quiet(0.3)
    finally:
        code = p.close()
    assert code == 0
    assert b"MarkupError" not in p.data and b"Traceback" not in p.data


# --- served sessions: no mouse, so no clicks -------------------------------------------


def click(x: int, y: int) -> bytes:
    """A left click at column x, row y (1-based) as an SGR mouse report: press, release."""
    return f"\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m".encode()


def click_everywhere(p, rows: range, cols: int = 80) -> bytes:
    """Click every cell of ``rows``; what the app writes in answer."""
    import time

    p.data.clear()
    for y in rows:
        p.send(b"".join(click(x, y) for x in range(1, cols + 1)))
        time.sleep(0.01)
    return p.read_until_quiet(0.5, first=1.0)


def served_app(tmp_path, data: str):
    import sys

    from benchmarks.ptyrun import PtyProcess

    env = dict(os.environ, RNN_TUI_SERVED="1")
    env.pop("RNN_TUI_RAW_OUTPUT", None)
    p = PtyProcess([sys.executable, "-m", "rnn_tui", "--lang", "en", "--data", data,
                    "--hidden", "4"], env=env, cwd=str(tmp_path))
    p.read_until(b"rnn-tui", timeout=30)
    p.read_until_quiet(0.3, first=10.0)
    return p


def alive(p) -> bool:
    pid, _ = os.waitpid(p.pid, os.WNOHANG)
    return pid == 0


@pytest.mark.slow  # over 9 s on 2 cores: CI's slow set
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pty")
def test_served_clicks_on_action_titles_do_nothing(tmp_path) -> None:
    """The issue's attack: a title written as ``[@click=app.screenshot(...)]``, clicked
    with mouse reports typed into a served session. No file; still running."""
    shots = tmp_path / "shots"
    shots.mkdir()
    shot = f"[@click=app.screenshot('x.svg','{shots}')]CLICK[/]"
    data = write_data(tmp_path / "m.tsv", [(1, shot), (0, f"{QUIT} a"), (1, "b [/]")])
    p = served_app(tmp_path, data)
    try:
        for key in (b"1", b"2"):  # each title in turn, then click all over the screen
            p.send(key)
            p.read_until_quiet(0.3)
            assert click_everywhere(p, range(1, 25)) == b""  # nothing even redrawn
            assert alive(p)
        assert list(shots.iterdir()) == []
    finally:
        code = p.close()
    assert code == 0  # q still quits: the clicks left the app as it was
    assert list(shots.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pty")
def test_served_sessions_ignore_mouse_reports(tmp_path) -> None:
    """The backward screen's footer is clickable (esc closes): in a served session,
    where mouse support is off, mouse reports typed as bytes click nothing."""
    p = served_app(tmp_path, write_data(tmp_path / "m.tsv"))
    try:
        p.send(b"g")
        p.read_until(b"dL/dz", timeout=10)
        p.read_until_quiet(0.3)
        assert click_everywhere(p, range(20, 25)) == b""  # the footer and above: no effect
        p.send(b"L")  # still the backward screen, and it answers keys
        assert b"dL/dh" in p.read_until_quiet(0.3, first=5.0)
        assert alive(p)
        p.send(b"\x1b")  # back to the stepper, where q quits
        p.read_until_quiet(0.3)
    finally:
        code = p.close()
    assert code == 0


def test_the_driver_drops_mouse_events_without_mouse_support() -> None:
    from textual import events

    from rnn_tui.tui import driver as wire

    class FakeDriver:
        def __init__(self, *args, **kwargs) -> None:
            self.got: list = []

        def process_message(self, message) -> None:
            self.got.append(message)

    def down():
        return events.MouseDown(None, 1, 1, 0, 0, 1, False, False, False, screen_x=1,
                                screen_y=1)

    gate = wire.InputGate()
    without = wire.guarded(FakeDriver, gate)(mouse=False)  # type: ignore[arg-type]
    without.process_message(down())
    without.process_message(events.Key("l", "l"))
    assert [type(m) for m in without.got] == [events.Key]
    with_mouse = wire.guarded(FakeDriver, gate)(mouse=True)  # type: ignore[arg-type]
    with_mouse.process_message(down())
    assert [type(m) for m in with_mouse.got] == [events.MouseDown]


async def test_a_file_name_with_brackets_is_shown_as_typed(tmp_path) -> None:
    """Saving locally to ``[bold]w[UNK].json``: the notification names it as typed."""
    app = markup_app(write_data(tmp_path / "m.tsv"))
    toasts = Toasts()
    async with app.run_test(size=(120, 30), message_hook=toasts) as pilot:
        await press(pilot, "s")
        await press(pilot, *["backspace"] * 40, *"[bold]w[UNK].json")
        text = await press(pilot, "enter")
        assert app.is_running
        assert (tmp_path / "[bold]w[UNK].json").exists()
        assert "saved [bold]w[UNK].json" in text.splitlines()[0]  # the status line, as typed
        assert not toasts.seen
