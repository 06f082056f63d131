"""The warm process rehearses a session before it forks any (issue 17, item 2a):
rnn_tui/cli/session.py's ``rehearse``.

It runs the real app on a pty inside the warm process, so that the caches the
first frame fills are filled once and shared (and its first screen is known:
tests/test_warm_frame.py); it must leave nothing behind that a forked session
would inherit (a thread, an fd, a signal handler, a stream).
Run in a subprocess: it changes the process it runs in.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_tui.cli.session import whole
from rnn_tui.serve.sshd import session_env

ROOT = Path(__file__).resolve().parent.parent

CHECK = r'''
import json, os, signal, sys, threading
sys.path.insert(0, {root!r})
from rnn_tui.cli import session
session.fix_path()
from rnn_tui.teach import i18n

def state():
    return {{
        "threads": threading.active_count(),
        "tasks": len(os.listdir("/proc/self/task")),
        "fds": sorted(os.listdir("/proc/self/fd")),
        "signals": {{str(int(s)): repr(signal.getsignal(s)) for s in signal.valid_signals()}},
        "streams": [id(getattr(sys, n)) for n in ("stdin", "stdout", "stderr", "__stdin__",
                                                  "__stdout__", "__stderr__")],
        "lang": i18n.lang(),
        "loop": repr(__import__("asyncio").events._get_running_loop()),
    }}

session.preload({options!r})
before = state()
out = session.rehearse({options!r})
after = state()
text = None if out is None else out.output.decode("utf-8", "replace")
frame = None if out is None else out.output[out.frame].decode("utf-8", "replace")
print(json.dumps({{"before": before, "after": after, "out": text, "frame": frame}}))
'''


def run_check(options: list[str]) -> dict:
    env = session_env("xterm-256color")  # the warm process's (one BLAS thread)
    proc = subprocess.run([sys.executable, "-I", "-X", "utf8", "-c",
                           CHECK.format(root=str(ROOT), options=options)],
                          capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_rehearsal_draws_answers_a_key_and_leaves_nothing_behind():
    result = run_check([])
    out = result["out"]
    assert out is not None
    assert "t = 0/3" in out and "one-hot" in out  # the first frame, then → answered
    assert "t = 0/3" in result["frame"]  # Ctrl+L wrote the first screen whole again
    assert "one-hot" not in result["frame"] and "\x1b[?1049" not in result["frame"]
    frame = result["frame"].encode()
    assert whole(frame, (80, 24))  # it paints every cell: it may be drawn ahead
    assert not whole(frame[:-40], (80, 24))  # one cut short may not
    assert "\x1b[?1049l" in out  # and q ended it: the driver left application mode
    before, after = result["before"], result["after"]
    assert after["threads"] == 1 and after["tasks"] == 1  # the driver's threads joined
    assert after["fds"] == before["fds"]  # the pty, the loop's fds: all closed
    assert after["signals"] == before["signals"]  # SIGTSTP, SIGCONT, SIGWINCH: as they were
    assert after["streams"] == before["streams"]
    assert after["lang"] == before["lang"]
    assert after["loop"] == "None"


@pytest.mark.slow  # over 5 s with six workers on 2 cores: CI runs it
def test_rehearsal_speaks_the_sessions_language_and_skips_text_mode():
    result = run_check(["--lang", "ko"])
    assert result["out"] is not None and "t = 0/3" in result["out"]
    assert result["after"]["lang"] == result["before"]["lang"] == "en"
    assert run_check(["--text"])["out"] is None  # nothing to rehearse
    assert run_check(["--hidden", "nope"])["out"] is None  # bad options: skipped, no traceback
