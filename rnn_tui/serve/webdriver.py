"""The driver of a browser student's app process (``rnn-tui web``).

The web door (:mod:`rnn_tui.serve.web`) starts each session with
``TEXTUAL_DRIVER=rnn_tui.serve.webdriver:SessionWebDriver``: Textual's own
:class:`~textual.drivers.web_driver.WebDriver` (the packet protocol
textual-serve speaks over stdin and stdout), with the input bounded as a
terminal session's is (:class:`rnn_tui.tui.driver.InputGate`: at most a few
key presses in the app's hands, then the driver waits and the server stops
reading the browser) and no mouse events when the app runs without the mouse
(a served session always does: the web driver turns mouse reporting on in the
browser whatever the app asked, so reports arrive and are dropped here). What
it writes goes through the app's model of the screen as on a terminal: only
the cells that change (a whole step is about 1 kB instead of Textual's 15).

Only the app process imports this module (not the server, which needs no Textual).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App
from textual.drivers.web_driver import WebDriver

from rnn_tui.term import Terminal
from rnn_tui.tui import driver as drivers


class SessionWebDriver(WebDriver):
    """Textual's web driver; input through the app's gate, no mouse without the mouse,
    and (as on a terminal, rnn_tui.tui.driver.compacting) only the cells that change
    written, through the app's model of the screen."""

    def __init__(self, app: App[Any], *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self.mouse_on = mouse
        self.rnn_app = app
        gate = getattr(app, "input_gate", None)
        self.gate: drivers.InputGate | None = (
            gate if isinstance(gate, drivers.InputGate) else None)
        terminal = getattr(app, "terminal", None)
        self.screen_model: Terminal | None = (
            terminal if isinstance(terminal, Terminal) and drivers.enabled() else None)

    def write(self, data: str) -> None:
        terminal = self.screen_model
        if terminal is None:
            super().write(data)
            return
        # one rewrite at a time (the input thread writes too), its output sent before the next
        with terminal.lock:
            size = self.rnn_app.size
            super().write(terminal.rewrite(data, (size.width, size.height)))

    def process_message(self, message) -> None:
        # NOTE: runs in the driver's input thread
        if isinstance(message, drivers.GATED):
            if isinstance(message, events.MouseEvent) and not self.mouse_on:
                return
            if self.gate is not None and not self.gate.admit(self.exit_event.is_set):
                return
        super().process_message(message)
