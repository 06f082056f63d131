"""The app's side of the terminal: RNNApp's base class.

- the driver, wrapped (``rnn_tui.tui.driver``): only the cells that change are
  written, input is bounded, no mouse events without mouse support;
- Ctrl+L writes the whole screen again;
- Textual's own actions that write files or stop the process (screenshot,
  suspend) are refused in a served session, with the reason;
- keys can be held back for a moment (``hold_keys``), while what a key typed
  ahead of them set off plays out (``rnn_tui.tui.textfield``): they keep their order;
- no toast: every notification, Textual's own too, goes to ``show_notice`` (RNNApp
  writes it in the status line: a toast would cover the narration at 80x24).
"""

from __future__ import annotations

import os
import sys

from textual import events
from textual.app import App
from textual.content import Content
from textual.driver import Driver
from textual.notifications import SeverityLevel

from rnn_tui.term import CJK_LANGUAGES, Terminal, cjk_locale
from rnn_tui.tui import driver as drivers

#: Keys held back at most while a key's effects play out (a flood stops here).
MAX_HELD_KEYS = 256
#: However it went, held keys go on after this long (a hold is a few message hops).
MAX_HOLD_SECONDS = 1.0


class TerminalApp(App[int]):
    def __init__(self, lang: str) -> None:
        # what the terminal shows, for writing only what changes (before
        # App.__init__, which asks for the driver class); in a CJK locale it
        # does not guess the width of characters terminals draw one way or another
        self.terminal = Terminal(cjk=cjk_locale() or lang in CJK_LANGUAGES)
        # the input the driver may hand over before the app takes it (see drivers.InputGate)
        self.input_gate = drivers.InputGate()
        self._key_holds = 0  # how many widgets hold the keys back (see hold_keys)
        self._key_holds_started = 0  # how many holds there were (the newest is checked)
        self._held_keys: list[events.Key] = []
        super().__init__()

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal, writing only the cells that change
        with fewer colour codes (see rnn_tui/term and driver.py)."""
        driver = super().get_driver_class()
        if os.environ.get("TEXTUAL_DRIVER"):
            return driver  # another driver asked for by name (a web one): as it is
        # input bounded, and no mouse events without mouse support (see drivers.guarded)
        driver = drivers.guarded(driver, self.input_gate)
        if not drivers.enabled():
            return driver
        if sys.platform == "win32":
            # Textual cuts a write into 8 kB pieces there, escape codes too, and
            # a piece is more than the screen model follows: colour codes only
            return drivers.compacting(driver)
        return drivers.compacting(driver, self.terminal,
                                  lambda: (self.size.width, self.size.height))

    async def on_event(self, event: events.Event) -> None:
        # an input event the driver posted, taken now: the driver may post another
        if isinstance(event, drivers.GATED) and not event.is_forwarded:
            self.input_gate.taken()
            if self._key_holds and isinstance(event, events.Key):
                if len(self._held_keys) < MAX_HELD_KEYS:  # its turn comes with release_keys
                    self._held_keys.append(events.Key(event.key, event.character))
                return
        await super().on_event(event)

    def hold_keys(self) -> None:
        """Keys from the terminal wait (in order) until ``release_keys``: a widget that
        took a key whose effects come later (a message to the app, a focus change)
        holds the keys it had, and the app the ones still coming."""
        self._key_holds += 1
        self._key_holds_started += 1
        holds = self._key_holds_started
        self.set_timer(MAX_HOLD_SECONDS, lambda: self._unstick(holds))

    def _unstick(self, holds: int) -> None:
        """A hold still on after MAX_HOLD_SECONDS, and no hold since: let the keys go."""
        if self._key_holds and holds == self._key_holds_started:
            self._key_holds = 1
            self.release_keys()

    def release_keys(self) -> None:
        """The keys held back go on, in order, to whatever has the focus now."""
        self._key_holds = max(self._key_holds - 1, 0)
        if not self._key_holds:
            held, self._held_keys = self._held_keys, []
            for key in held:
                self.post_message(key)

    def on_idle(self) -> None:
        self.input_gate.idle()

    def action_redraw(self) -> None:
        """Write the whole screen again, as if nothing were known of it (Ctrl+L,
        as in curses programs): for when something else wrote over it."""
        self.terminal.forget()
        self.screen.refresh()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Not a toast: the notification's text goes to ``show_notice`` (thread-safe, as
        Textual's is: it is handed over through the app's queue)."""
        text = Content.from_markup(message).plain if markup else message
        self.call_later(self.show_notice, f"{title}: {text}" if title else text)

    def show_notice(self, text: str) -> None:
        """Where a notification goes (RNNApp: the status line); here, a toast after all."""
        super().notify(text, markup=False)

    def refuse(self, what: str) -> None:
        """Say why ``what`` is off in a served session. RNNApp overrides it: it says so in
        its status line, as a toast would cover the narration at 80x24."""
        from rnn_tui.tui.screens.files import served_message

        self.notify(served_message(what, long=True), severity="warning", markup=False)

    # --- Textual's own actions that touch files or the process: not in a served session
    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        from rnn_tui.tui.screens.files import served

        if served():
            self.refuse("screenshot")
            return
        super().action_screenshot(filename, path)

    def action_suspend_process(self) -> None:
        from rnn_tui.tui.screens.files import served

        if served():
            self.refuse("suspend")
            return
        super().action_suspend_process()
