"""Textual's driver, wrapped: what it writes goes through the terminal model
(:mod:`rnn_tui.term`), and what it reads is bounded.

- :func:`compacting`: writes go through :meth:`rnn_tui.term.Terminal.rewrite`
  (only the cells that change), or :func:`rnn_tui.term.compact` alone (colour
  codes as changes), one write at a time under the terminal's lock.
- :func:`guarded` and :class:`InputGate`: at most a few input events in the
  app's hands (backpressure on a flood of keys), and no mouse events when the
  app runs without the mouse.

The terminal model knows nothing of Textual; this module is where the two meet.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from textual import events
from textual.driver import Driver

from rnn_tui.term import Terminal, compact


def enabled() -> bool:
    """On unless ``RNN_TUI_RAW_OUTPUT`` is set (to compare, or to rule this out)."""
    return not os.environ.get("RNN_TUI_RAW_OUTPUT")


def compacting(driver_class: type[Driver], terminal: Terminal | None = None,
               size: Callable[[], tuple[int, int]] | None = None) -> type[Driver]:
    """A subclass of ``driver_class`` whose writes go through :func:`compact`.

    Given a :class:`~rnn_tui.term.Terminal` and the screen's ``size``, writes
    go through ``terminal.rewrite`` instead: only the cells that change, under
    ``terminal.lock`` (which :meth:`~rnn_tui.term.Terminal.forget` takes too)."""

    # mypy cannot check a class whose base is a variable (the driver Textual chose)
    class CompactingDriver(driver_class):  # type: ignore[misc, valid-type]
        def write(self, data: str) -> None:
            if terminal is None or size is None or self.is_inline:
                super().write(compact(data))
                return
            # the driver's input thread writes too (switching modes on): one
            # rewrite at a time, and its output queued before the next one's
            with terminal.lock:
                super().write(terminal.rewrite(data, size()))

    CompactingDriver.__name__ = CompactingDriver.__qualname__ = f"Compacting{driver_class.__name__}"
    return CompactingDriver


# --- input: bounded, and no mouse when mouse support is off -----------------------

#: Input events the driver may have handed the app and the app not yet taken.
MAX_PENDING_INPUT = 32
#: How long the input thread waits for the app to catch up before dropping input.
STALL_WAIT = 1.0


class InputGate:
    """Backpressure between Textual's input thread and the app.

    Textual's driver thread reads the terminal as fast as bytes come and posts
    an event per key into the app's queue, which has no limit: a flood of keys
    grew a session by gigabytes. Through this gate the thread holds at most
    ``limit`` input events in the app's hands: past that it waits (so the
    terminal, and over SSH the server, stop sending), and when the app has not
    taken one for ``stall`` seconds it drops them, until the app catches up.
    The app calls :meth:`taken` as it takes each one, and :meth:`idle` when it
    has nothing queued (which also mends any count of an event that never
    reached it).
    """

    def __init__(self, limit: int = MAX_PENDING_INPUT, stall: float = STALL_WAIT) -> None:
        self.limit = limit
        self.stall = stall
        self.pending = 0
        self.dropped = 0  # how many events were dropped (tests read it)
        self.stalled = False
        self._ready = threading.Condition(threading.Lock())

    def admit(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """In the input thread, before posting an event: True to post it, False to drop it."""
        with self._ready:
            if self.pending >= self.limit and not self.stalled:
                deadline = time.monotonic() + self.stall
                while self.pending >= self.limit and not stop():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self.stalled = True  # drop at once until the app takes one
                        break
                    self._ready.wait(min(left, 0.1))
            if self.pending >= self.limit:
                self.dropped += 1
                return False
            self.pending += 1
            return True

    def taken(self) -> None:
        """In the app, as it takes an input event the driver posted."""
        if self.pending:  # events from elsewhere (tests, simulated keys) were never counted
            with self._ready:
                if self.pending:
                    self.pending -= 1
                    self.stalled = False
                    self._ready.notify()

    def idle(self) -> None:
        """In the app, when its queue is empty: nothing it was handed is waiting."""
        if self.pending:
            with self._ready:
                self.pending = 0
                self.stalled = False
                self._ready.notify()


#: Events the input thread posts one per key, press or paste: they go through the gate.
GATED = (events.Key, events.Paste, events.MouseEvent)


def guarded(driver_class: type[Driver], gate: InputGate) -> type[Driver]:
    """A subclass of ``driver_class`` whose input goes through ``gate``, and which
    drops mouse events when the app runs without mouse support (``mouse=False``).

    Textual turns mouse reporting off then, but its parser still reads mouse
    reports from the input: bytes a user typed (over SSH, anything) would
    click on the screen. Without the mouse, nothing is clicked.
    """

    # mypy cannot check a class whose base is a variable (the driver Textual chose)
    class GuardedDriver(driver_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.mouse_on = bool(kwargs.get("mouse", True))

        def process_message(self, message) -> None:
            # NOTE: runs in the driver's input thread
            if isinstance(message, GATED):
                if isinstance(message, events.MouseEvent) and not self.mouse_on:
                    return
                exit_event = getattr(self, "exit_event", None)
                stop = exit_event.is_set if exit_event is not None else (lambda: False)
                if not gate.admit(stop):
                    return
            super().process_message(message)

    GuardedDriver.__name__ = GuardedDriver.__qualname__ = f"Guarded{driver_class.__name__}"
    return GuardedDriver
