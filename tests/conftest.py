"""Shared fixtures and helpers for the engine, data and CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from textual.errors import NoWidget
from textual.geometry import Region
from textual.message import Message
from textual.notifications import Notify

from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Bytecode caches are written even where PYTHONDONTWRITEBYTECODE is set (as on
    the CI machines): without them each of the README command's six workers rewrote
    every test module's asserts and compiled rnn_tui again (5 s of CPU each before
    any test ran: collecting took 7.0 s, with the caches 2.4 s), and so did every
    app a test starts as a process."""
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


#: SEED.md's X, copied by hand from the lesson (batch, time steps, features) = (3, 3, 2).
LESSON_X = np.array(
    [
        [[1, 0], [1, 0], [0, 1]],  # as as soon   -> 0
        [[0, 1], [1, 0], [1, 0]],  # soon as as   -> 0
        [[1, 0], [0, 1], [1, 0]],  # as soon as   -> 1
    ],
    dtype=np.float64,
)


@pytest.fixture
def lesson() -> Dataset:
    return lesson_dataset()


@pytest.fixture
def lesson_weights(lesson: Dataset) -> Weights:
    return Weights.init(lesson.vocab, hidden=3, seed=0)


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """``python -m rnn_tui ARGS`` in a fresh interpreter, text captured."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "rnn_tui", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch):
    """English messages whatever the machine's locale (the CLI's default follows it);
    and, as an app made with lang="ko" sets the language for the whole process,
    English again after each test."""
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    from rnn_tui.teach import i18n

    i18n.set_lang("en")


def screen_text(app) -> str:
    """What the terminal shows, as plain text, one line per row (for app tests).

    Built from public API: the screen says which widget is on top at a cell
    (``Screen.get_widget_at``) and where each widget is (``Screen.find_widget``),
    and each widget draws its own lines (``Widget.render_lines``, asked once per
    widget for all its lines). Only cells where a widget starts or ends are asked
    about.
    """
    screen = app.screen
    width, height = screen.size
    edges: list[set[int]] = [{0, width} for _ in range(height)]
    for widget in screen.walk_children(with_self=True):
        try:
            x, y, w, h = screen.find_widget(widget).visible_region
        except NoWidget:
            continue
        for row in range(max(y, 0), min(y + h, height)):
            edges[row].update((x, x + w))
    lines: dict = {}  # widget -> its lines, as drawn now
    rows = []
    for y, row_edges in enumerate(edges):
        cuts = sorted(x for x in row_edges if 0 <= x <= width)
        parts = []
        for start, end in pairwise(cuts):
            parts.extend(_span(screen, start, end, y, lines))
        rows.append("".join(parts))
    return "\n".join(rows)


def _top(screen, x: int, y: int):
    try:
        return screen.get_widget_at(x, y)
    except NoWidget:
        return None, None


def _span(screen, start: int, end: int, y: int, lines: dict) -> list[str]:
    """The text of cells start..end of row y, where no widget starts or ends inside
    (one widget on top throughout; a scrollbar, not a child, is checked for)."""
    first = _top(screen, start, y)
    if first[0] is not _top(screen, end - 1, y)[0]:
        runs = []  # something we were not told about (a scrollbar): cell by cell
        run_start, run = start, first
        for x in range(start + 1, end + 1):
            top = _top(screen, x, y) if x < end else (None, None)
            if x == end or top[0] is not run[0]:
                runs.append(_text(run, run_start, x, y, lines))
                run_start, run = x, top
        return runs
    return [_text(first, start, end, y, lines)]


def _text(top, start: int, end: int, y: int, lines: dict) -> str:
    widget, region = top
    if widget is None:
        return " " * (end - start)
    if widget not in lines:
        lines[widget] = widget.render_lines(Region(0, 0, region.width, region.height))
    return lines[widget][y - region.y].crop(start - region.x, end - region.x).text


class Notices:
    """The notifications (toasts) an app raised, seen through ``run_test``'s public
    message hook: ``async with app.run_test(message_hook=(seen := Notices())):``."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.messages.append(message.notification.message)

    def __str__(self) -> str:
        return " | ".join(self.messages)


async def press(pilot, *keys: str) -> str:
    """Press keys, let the app settle, and return the screen's text."""
    await pilot.press(*keys)
    await pilot.pause()
    return screen_text(pilot.app)
