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
