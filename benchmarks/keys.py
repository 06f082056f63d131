"""Row 2: CPU time per key press under Pilot, against the baseline app.

In-process (``App.run_test``, headless: the frame is composed but not written).
After a warm-up, N presses cycle through the lesson: Right to the output, then
Home. The baseline updates its Static on the same keys. The floor
(benchmarks/floor_app.py) has as many widgets as the app's screen and repaints as
many of them per press as the app did in its first round. Rounds alternate
the three; each figure is the median over rounds of (process CPU time for N
presses) / N.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.app import App

from benchmarks.baseline_app import BaselineApp
from benchmarks.floor_app import FloorApp


def make_rnn_app(app_args: tuple[str, ...] = ()) -> App:
    """The app as ``rnn-tui ARGS`` would build it."""
    from rnn_tui.cli.main import build_model, run_parser
    from rnn_tui.tui.app import make_app

    args = run_parser().parse_args(list(app_args))
    return make_app(build_model(args), precision=args.precision)


def time_steps(app_args: tuple[str, ...] = ()) -> int:
    return make_rnn_app(app_args).stepper.steps


def cycle_keys(steps: int) -> list[str]:
    """Right through every sub-step to the output, then Home."""
    return ["right"] * (4 * steps + 1) + ["home"]


@dataclass
class PressCost:
    cpu: float  # seconds of process CPU time per press
    wall: float  # seconds of wall time per press (includes Pilot's idle waits)
    repaints: float = 0.0  # panel repaints per press (rnn-tui only)
    widgets: int = 0  # the widgets of the app's screen (the screen not counted)


async def _run(app: App, keys: list[str], size: tuple[int, int], warmup: int,
               presses: int) -> PressCost:
    seq = itertools.cycle(keys)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for _ in range(warmup):
            await pilot.press(next(seq))
        repaints0 = _repaints(app)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(presses):
            await pilot.press(next(seq))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        repaints = _repaints(app) - repaints0
        widgets = len(list(app.screen.walk_children()))
    return PressCost(cpu / presses, wall / presses, repaints / presses, widgets)


def _repaints(app: App) -> int:
    from rnn_tui.tui.panels.base import Panel

    try:
        return sum(p.repaints for p in app.query(Panel))
    except Exception:
        return 0


def press_cost(make: Callable[[], App], keys: list[str], size: tuple[int, int],
               warmup: int, presses: int) -> PressCost:
    return asyncio.run(_run(make(), keys, size, warmup, presses))


@dataclass
class KeyCosts:
    app: list[PressCost] = field(default_factory=list)
    baseline: list[PressCost] = field(default_factory=list)
    floor: list[PressCost] = field(default_factory=list)

    # the floor's shape: the app's, in its first round (before the floor's first)
    @property
    def widgets(self) -> int:
        return self.app[0].widgets if self.app else 0

    @property
    def repaints(self) -> float:
        return self.app[0].repaints if self.app else 0.0


def measure(size: tuple[int, int], presses: int = 200, warmup: int = 20, rounds: int = 5,
            app_args: tuple[str, ...] = (), floor: bool = True) -> KeyCosts:
    keys = cycle_keys(time_steps(app_args))
    out = KeyCosts()
    runs: dict[str, tuple[Callable[[], App], list[PressCost]]] = {
        "baseline": (BaselineApp, out.baseline),
        "app": (lambda: make_rnn_app(app_args), out.app),
    }
    if floor:  # after "app": the first round measures the app before the floor
        runs["floor"] = (lambda: FloorApp(out.widgets, out.repaints), out.floor)
    names = list(runs)
    for i in range(rounds):
        # each app first in turn, so that none is always measured after the same one
        for name in names[i % len(names):] + names[:i % len(names)]:
            make, costs = runs[name]
            costs.append(press_cost(make, keys, size, warmup, presses))
    return out
