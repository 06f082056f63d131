"""Shared fixtures and helpers for the engine, data and CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn_tui.data import Dataset, lesson_dataset
from rnn_tui.engine import Weights

ROOT = Path(__file__).resolve().parent.parent

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
    from rnn_tui import i18n

    i18n.set_lang("en")


def screen_text(app) -> str:
    """What the terminal shows, as plain text, one line per row (for app tests).

    Reads Textual's compositor, a private API: fine with the pinned Textual.
    """
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def press(pilot, *keys: str) -> str:
    """Press keys, let the app settle, and return the screen's text."""
    await pilot.press(*keys)
    await pilot.pause()
    return screen_text(pilot.app)
