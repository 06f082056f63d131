"""A class in one process (issue 16): Pilot apps linked to a real class hub.

The teacher's app and the students' apps run side by side on one loop, each
linked to ``rnn_tui.serve.hub.Hub`` over its unix socket, as ``rnn-tui serve``
links its sessions' processes. The screens are read as text, and the numbers
checked against an independent NumPy run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np
from conftest import screen_text

from rnn_tui.core.data import lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.serve.hub import Hub
from rnn_tui.teach import fmt
from rnn_tui.tui.app import RNNApp

SIZE = (100, 30)
TEACHER_SEED, STUDENT_SEED = 7, 0  # a follower's numbers can only be the teacher's


def class_app(hub: Hub, name: str, role: str, seed: int, lang: str = "en") -> RNNApp:
    d = lesson_dataset()
    token = hub.admit(name, role)
    return RNNApp(d, Weights.init(d.vocab, hidden=3, seed=seed), lang=lang,
                  classroom=(hub.path, token))


def h1(seed: int) -> np.ndarray:
    """h₁ of every sentence, computed here from the weights (no engine code)."""
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=seed)
    return np.tanh(d.X[:, 0, :] @ w.Wxh + np.zeros((3, 3)) @ w.Whh + w.bh)


def y(seed: int) -> np.ndarray:
    """y of every sentence, by plain NumPy."""
    d = lesson_dataset()
    w = Weights.init(d.vocab, hidden=3, seed=seed)
    h = np.zeros((d.X.shape[0], w.Whh.shape[0]))
    for t in range(d.X.shape[1]):
        active = (t < d.lengths)[:, None]
        h = np.where(active, np.tanh(d.X[:, t, :] @ w.Wxh + h @ w.Whh + w.bh), h)
    return 1 / (1 + np.exp(-(h @ w.Wy + w.by)))


async def until(pilots, check, timeout: float = 5.0) -> None:
    """Let every app run until ``check()`` holds (bounded in time)."""
    deadline = time.monotonic() + timeout
    while True:
        for p in pilots:
            await p.pause()
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the class did not settle in time")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def hub_running(**kwargs):
    hub = Hub(**kwargs)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.close()


def up(*apps: RNNApp) -> bool:
    return all(a.classlink.state == "up" for a in apps)


async def test_students_follow_the_teacher_step_and_output() -> None:
    async with hub_running() as hub:
        teacher = class_app(hub, "kim", "teacher", TEACHER_SEED)
        ann = class_app(hub, "ann", "student", STUDENT_SEED)
        bob = class_app(hub, "bob", "student", STUDENT_SEED)
        async with teacher.run_test(size=SIZE) as tp, ann.run_test(size=SIZE) as ap, \
                bob.run_test(size=SIZE) as bp:
            pilots = (tp, ap, bp)
            await until(pilots, lambda: up(teacher, ann, bob) and teacher.classlink.leads)
            await until(pilots, lambda: ann.pos == bob.pos == 0
                        and ann.classlink.applied is not None)
            await tp.press("L")
            await until(pilots, lambda: ann.pos == bob.pos == 4)
            want = h1(TEACHER_SEED)
            for app in (ann, bob):
                np.testing.assert_allclose(app.stepper.h, want, rtol=1e-12)
                text = screen_text(app)
                assert "following kim" in text
                for value in want[0]:
                    assert fmt.num(value) in text
            await tp.press("end")
            await until(pilots, lambda: ann.cursor.at_output and bob.cursor.at_output)
            want_y = y(TEACHER_SEED)
            for app in (ann, bob):
                np.testing.assert_allclose(app.stepper.output.y, want_y, rtol=1e-12)
                assert fmt.prob(want_y[0, 0]) in screen_text(app)
