"""Autoplay (key p): a timer that reveals one sub-step per tick."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.timer import Timer

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # sub-steps per second


def next_speed(speed: float, direction: int) -> float:
    """The speed one notch faster (+1) or slower (-1), within ``SPEEDS``."""
    i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - speed))
    return SPEEDS[max(0, min(len(SPEEDS) - 1, i + direction))]


class Autoplay:
    """Calls ``tick`` at ``speed`` per second while started."""

    def __init__(self, app: App, tick: Callable[[], None]) -> None:
        self._app = app
        self._tick = tick
        self._timer: Timer | None = None

    def run(self, on: bool, speed: float) -> None:
        """Start, or restart at a new speed; or stop."""
        self.stop()
        if on:
            self._timer = self._app.set_interval(1.0 / speed, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
