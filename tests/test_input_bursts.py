"""Keys that arrive together, as over SSH, written straight into a pty (issue 15).

Textual 8.2.8's Input took a burst's printable keys before the bound keys
(Backspace, Tab, Enter) typed ahead of them (Textualize/textual#6605); every
text field in the app is a TextField (rnn_tui/tui/textfield.py), which keeps
the order. Each burst is one write to the pty, so the app reads it at once.
"""

from __future__ import annotations

import codecs
import os
import sys
import time
from pathlib import Path

import pytest

from tests.test_damage import Replay

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pty")

RIGHT = b"\x1b[C"
BACKSPACE = b"\x7f"


def screen_after(steps: list[bytes], cwd: Path, size: tuple[int, int] = (100, 30)) -> str:
    """The app's screen after each of ``steps`` is written in one write, a frame apart."""
    from benchmarks.ptyrun import PtyProcess

    env = dict(os.environ)
    env.pop("RNN_TUI_RAW_OUTPUT", None)
    argv = [sys.executable, "-m", "rnn_tui", "--lang", "en"]
    p = PtyProcess(argv, size=size, env=env, cwd=str(cwd), resizable=True, sync=True)
    replay = Replay(size)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        p.read_until(b"rnn-tui")
        p.read_frame(first=10.0, settle=0.1)
        replay.feed(decoder.decode(bytes(p.data)))
        for step in steps:
            p.send(step)
            replay.feed(decoder.decode(p.read_frame(first=2.0, settle=0.15)))
        time.sleep(0.2)
        replay.feed(decoder.decode(p.read_until_quiet(0.3, first=0.3), final=True))
    finally:
        p.close()
    return "\n".join(replay.screen.display)


def test_quiz_backspaces_then_a_number_in_one_burst(tmp_path) -> None:
    # quiz on, to t = 2, the question; a wrong guess, then ⌫⌫⌫ 0.5 ⏎ as one write
    steps = [b"k", b"L", RIGHT, RIGHT, RIGHT, b"abc", b"\r", BACKSPACE * 3 + b"0.5\r"]
    text = screen_after(steps, tmp_path)
    assert "you said +0.500" in text
    assert "quiz 0/2" in text or "quiz 1/2" in text or "quiz 2/2" in text


@pytest.mark.slow  # over 9 s on 2 cores: CI's slow set
def test_sentence_tab_and_label_in_one_burst(tmp_path) -> None:
    # the sentences editor, a new sentence: "as soon", Tab, "1", Enter as one write
    text = screen_after([b"e", b"a", b"as soon\t1\r"], tmp_path)
    assert "added sentence 4" in text
    assert "│  4  1      as soon  " in text  # the editor's table: sentence 4, label 1
    assert "▸ 1  as    as    soon  → 0" in text and "4  as    soon  ·pad  → 1" in text


def test_export_name_erased_and_typed_in_one_burst(tmp_path) -> None:
    text = screen_after([b"x", BACKSPACE * 20 + b"t.csv\r"], tmp_path)
    assert (tmp_path / "t.csv").is_file(), text
    assert sorted(os.listdir(tmp_path)) == ["t.csv"]
