"""Asking the class (issue 18), end to end: the real ``rnn-tui serve`` and app, a teacher
and three students with the OpenSSH client in tmux, a late joiner and a student
killed mid-question; the histogram on every screen, the points, the CSV's rows."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import sys

import numpy as np
import pytest

from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.teach import fmt
from tests.test_class_ssh import FOLLOWING, SEED, Class, keys_file, write_key
from tests.test_ssh import HAVE_SSH, HAVE_TMUX

pytestmark = pytest.mark.skipif(not (HAVE_SSH and HAVE_TMUX), reason="needs ssh and tmux")


class QuizClass(Class):
    """The class of test_class_ssh, with the results in the test's folder."""

    async def start(self) -> None:
        write_key(self.tmp / "teacher", "Ms Kim")
        import asyncssh

        keys_file(self.tmp / "teachers.pub",
                  asyncssh.read_private_key(str(self.tmp / "teacher")))
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rnn_tui", "serve", "--no-auth", "--port", "0",
            "--student-nice", "0",  # the suite fills the CPUs: nicer sessions would starve
            "--host-key", str(self.tmp / "host_key"), "--seed", str(SEED),
            "--teacher-keys", str(self.tmp / "teachers.pub"),
            "--results", str(self.tmp / "results"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        banner = b""
        while b"Stop with Ctrl-C" not in banner:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 15)
            assert line, banner
            banner += line
        assert f"Class quiz results (CSV) go to:  {self.tmp / 'results'}".encode() in banner
        self.port = int(re.search(rb"ssh -p (\d+) ", banner).group(1))
        self._reader = asyncio.create_task(self._read_log())


def truth() -> float:
    """The first question's value (the sum at t = 1, entry 2, sentence 1), by NumPy."""
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=SEED)
    pre = d.X[0, 0, :] @ w.Wxh + np.zeros(3) @ w.Whh + w.bh
    return float(np.ravel(pre)[1])


def counts(screen: str) -> list[int]:
    out = []
    for label in ("under by > 0.2", "under by 0.05–0.2", "within 0.05", "over by 0.05–0.2",
                  "over by > 0.2"):
        m = re.search(re.escape(label) + r" +█* *(\d+)", screen)
        assert m, f"no {label!r} line:\n{screen}"
        out.append(int(m.group(1)))
    return out


@pytest.fixture
async def klass(tmp_path):
    k = QuizClass(tmp_path)
    try:
        await k.start()
        yield k
    finally:
        await k.close()


async def test_ask_answer_late_joiner_killed_student_reveal(klass, tmp_path):
    await klass.join("kim", teacher=True)
    for who in ("ann", "bob", "cho"):
        await klass.join(who)
    await klass.wait_for("kim", "you lead the class")
    for who in ("ann", "bob", "cho"):
        await klass.wait_for(who, FOLLOWING)
    await klass.keys("kim", "K")
    await klass.wait_for("kim", "Question 1:", "answered 0 / 3")
    for who in ("ann", "bob", "cho"):
        await klass.wait_for(who, "Question 1:", "no answer yet")
    value = truth()
    near = f"{value + 0.02:.3f}"  # within 0.05: 2 points
    await klass.keys("ann", "abc", "Enter")  # not a number: said inline, nothing sent
    await klass.wait_for("ann", "'abc' is not a number")
    await klass.keys("ann", "BSpace", "BSpace", "BSpace", near, "Enter")
    await klass.wait_for("ann", f"your answer: {fmt.num(float(near))} (counted)")
    await klass.keys("bob", "1", "Enter")  # far over
    await klass.wait_for("kim", "answered 2 / 3")
    # a late joiner gets the open question
    await klass.join("dan")
    await klass.wait_for("dan", "Question 1:", "no answer yet")
    await klass.wait_for("kim", "answered 2 / 4")
    # cho's session is killed mid-question: counted as not answered, nothing breaks
    os.kill(klass.pid("cho"), 9)
    await klass.wait_for("kim", "answered 2 / 3")
    await klass.keys("kim", "K")  # dan never answers: the teacher reveals
    shown = fmt.num(value)
    screens = {}
    for who in ("kim", "ann", "bob", "dan"):
        screens[who] = await klass.wait_for(who, f"is {shown}.", "esc: close")
        assert counts(screens[who]) == [0, 0, 1, 0, 1], who
    assert re.search(r"within 0\.05 +█+ +1  ◀ you", screens["ann"])
    assert re.search(r"over by > 0\.2 +█+ +1  ◀ you", screens["bob"])
    assert "◀ you" not in screens["dan"] and "◀ you" not in screens["kim"]
    assert f"you said {fmt.num(float(near))}: +2" in screens["ann"]
    assert f"you said {fmt.num(1.0)}: +0" in screens["bob"]
    assert "you did not answer: +0" in screens["dan"]
    assert "top: ann 2 · bob 0" in screens["kim"]
    # the class steps on to the sum revealed
    for who in ("kim", "ann", "dan"):
        await klass.wait_for(who, "t = 1/3  sub-step 3/4")
    log = "\n".join(klass.log)
    assert "asks question 1" in log and "question 1 revealed: 2 answered" in log
    # the server killed between questions: the file on disk has every row, whole
    klass.proc.kill()
    await klass.proc.wait()
    files = list((tmp_path / "results").glob("*.csv"))
    assert len(files) == 1
    with open(files[0], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["student"], r["guess"], r["points"]) for r in rows] == [
        ("ann", near.rstrip("0"), "2"), ("bob", "1.0", "0")]
    assert all(r["true value"] == repr(value) and r["question"] == "1: sum1[2] of sentence 1"
               for r in rows)
    assert files[0].read_bytes().endswith(b"\n")
    assert not list((tmp_path / "results").glob("*.tmp"))
