"""Issue 15, "Smaller": the plural of a full class, the fake SSH app's resize race,
Korean argparse errors, the saved .tsv's last newline, overflow in the exports,
and the LaTeX preamble for non-ASCII tokens."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from rnn_tui.serve.sshd import full_message

FAKE_APP = str(Path(__file__).with_name("ssh_fake_app.py"))


def test_full_class_message_has_the_right_plural():
    assert "(1 session)" in full_message(1)
    assert "(2 sessions)" in full_message(2)
    assert "1 sessions" not in full_message(1)


def _read_until(fd: int, pattern: bytes, buf: bytes, timeout: float = 5.0) -> bytes:
    end = time.monotonic() + timeout
    while pattern not in buf:
        left = end - time.monotonic()
        assert left > 0, f"no {pattern!r} in {buf!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"EOF before {pattern!r}: {buf!r}"
            buf += chunk
    return buf


def _controlling_tty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pty's size changes then signal the app


def test_fake_app_handles_a_resize_as_soon_as_it_prints_its_size():
    # The race behind the flaky test_odd_terminal_sizes_are_clamped: a resize sent the
    # moment SIZE= is read must be seen (the handler is installed before any output).
    for _ in range(5):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        proc = subprocess.Popen([sys.executable, FAKE_APP], stdin=slave, stdout=slave,
                                stderr=slave, start_new_session=True, close_fds=True,
                                preexec_fn=_controlling_tty)
        os.close(slave)
        try:
            buf = _read_until(master, b"SIZE=80x24", b"")
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
            _read_until(master, b"RESIZED=100x30", buf)
        finally:
            proc.kill()
            proc.wait()
            os.close(master)


ENGLISH_WORDS = ("error", "argument", "unrecognized", "expected", "invalid", "choose",
                 "must", "see ", "required", "whole number")


@pytest.mark.parametrize("argv", [
    ["--lang", "ko", "--bogus"],
    ["--lang", "ko", "--hidden", "x"],
    ["--lang", "ko", "--hidden"],
    ["--lang", "ko", "--lang", "fr"],
    ["--lang", "ko", "--precision", "99"],
    ["--lang", "ko", "--seed", "-1"],
    ["export", "--lang", "ko", "--format", "nope"],
    ["train", "--lang", "ko", "--lr", "-1"],
])
def test_korean_usage_errors_are_korean_throughout(argv, capsys):
    from rnn_tui.cli import main as cli
    from rnn_tui.teach import i18n

    try:
        assert cli.main(argv) == 2
    finally:
        i18n.set_lang("en")
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnn-tui: 오류: ") and "참고" in err, err
    assert len(err.splitlines()) == 1
    assert not [w for w in ENGLISH_WORDS if w in err.lower()], err


def test_english_usage_errors_are_unchanged(capsys):
    from rnn_tui.cli import main as cli

    assert cli.main(["--lang", "en", "--hidden", "x"]) == 2
    assert capsys.readouterr().err.strip() == (
        "rnn-tui: error: argument --hidden: expected a whole number, not 'x' "
        "(see rnn-tui --help)")


def test_saved_sentences_end_with_a_newline(tmp_path, lesson, lesson_weights):
    # own data too: 5 sentences of lengths 1-6 (the last line must end like every other)
    from rnn_tui.core.data import load_data
    from rnn_tui.core.model import Weights
    from rnn_tui.teach.edit import format_data, save_session

    texts = ["a", "a b", "b c a", "c c b a", "a b c a b", "c b a c b a"]
    for dataset, weights in ((lesson, lesson_weights),):
        _, tsv = save_session(tmp_path / "w.json", weights, dataset)
        raw = tsv.read_bytes()
        assert raw.endswith(b"\n") and not raw.endswith(b"\n\n")
        assert len(raw.splitlines()) == 2 + len(dataset.texts)  # header, save id, sentences
        assert format_data(dataset).endswith("\n")
    (tmp_path / "mine.tsv").write_text("".join(f"{i % 2}\t{t}\n" for i, t in enumerate(texts)))
    own = load_data(tmp_path / "mine.tsv")
    _, tsv = save_session(tmp_path / "own.json", Weights.init(own.vocab, hidden=4, seed=1), own)
    raw = tsv.read_bytes()
    assert raw.endswith(b"a c b a\n") and not raw.endswith(b"\n\n")


SIX = ["a b c", "b", "c a", "a b c a", "b b a c a", "c c b a b a"]


def own_data(tmp_path):
    from rnn_tui.core.data import load_data

    path = tmp_path / "six.tsv"
    path.write_text("".join(f"{i % 2}\t{t}\n" for i, t in enumerate(SIX)))
    return load_data(path)


def huge_weights(dataset):
    from rnn_tui.core.model import Weights

    w = Weights.init(dataset.vocab, hidden=4, seed=0).to_dict()
    w["Whh"] = [[1e200] * 4 for _ in range(4)]
    w["Wxh"] = [[1.0] * 4 for _ in range(len(dataset.vocab))]
    return Weights.from_dict(w)


@pytest.mark.parametrize("fmt", ["json", "md", "tex", "csv"])
def test_cli_export_of_an_overflow_is_one_clear_line(tmp_path, fmt, capsys):
    import json

    from rnn_tui.cli import main as cli

    dataset = own_data(tmp_path)
    w = huge_weights(dataset)
    (tmp_path / "w.json").write_text(json.dumps(w.to_dict()))
    out = tmp_path / f"out.{fmt}"
    code = cli.main(["export", "--format", fmt, "--activation", "relu", "--data",
                     str(tmp_path / "six.tsv"), "--weights", str(tmp_path / "w.json"),
                     "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "overflowed" in err and "of sentence 1 is inf" in err and "Traceback" not in err
    assert not out.exists()  # nothing half-written


async def test_app_export_of_an_overflow_says_so_in_the_dialog(tmp_path, monkeypatch):
    from conftest import press, screen_text

    from rnn_tui.tui.app import RNNApp
    from rnn_tui.tui.screens.files import ExportScreen

    monkeypatch.chdir(tmp_path)
    dataset = own_data(tmp_path)
    app = RNNApp(dataset, huge_weights(dataset), lang="en", activation="relu")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "x")
        assert isinstance(app.screen, ExportScreen)
        await press(pilot, *["backspace"] * 20, "b", "i", "g", "full_stop", "j", "s", "o", "n")
        await press(pilot, "enter")
        assert isinstance(app.screen, ExportScreen)  # still open, saying why
        text = screen_text(app)
        assert "overflowed" in text, text
    assert not (tmp_path / "big.json").exists()
