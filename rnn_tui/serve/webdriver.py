"""The driver of a browser student's app process (``rnn-tui web``).

The web door (:mod:`rnn_tui.serve.web`) starts each session with
``TEXTUAL_DRIVER=rnn_tui.serve.webdriver:SessionWebDriver``: Textual's own
:class:`~textual.drivers.web_driver.WebDriver` (the packet protocol
textual-serve speaks over stdin and stdout), with the input bounded as a
terminal session's is (:class:`rnn_tui.tui.driver.InputGate`: at most a few
key presses in the app's hands, then the driver waits and the server stops
reading the browser) and no mouse events when the app runs without the mouse
(a served session always does: the web driver turns mouse reporting on in the
browser whatever the app asked, so reports arrive and are dropped here).

Only the app process imports this module (not the server, which needs no Textual).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App
from textual.drivers.web_driver import WebDriver

from rnn_tui.tui import driver as drivers


class SessionWebDriver(WebDriver):
    """Textual's web driver; input through the app's gate, no mouse without the mouse."""

    def __init__(self, app: App[Any], *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self.mouse_on = mouse
        gate = getattr(app, "input_gate", None)
        self.gate: drivers.InputGate | None = (
            gate if isinstance(gate, drivers.InputGate) else None)

    def process_message(self, message) -> None:
        # NOTE: runs in the driver's input thread
        if isinstance(message, drivers.GATED):
            if isinstance(message, events.MouseEvent) and not self.mouse_on:
                return
            if self.gate is not None and not self.gate.admit(self.exit_event.is_set):
                return
        super().process_message(message)
