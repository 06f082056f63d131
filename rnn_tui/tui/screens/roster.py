"""The class roster on a teacher's key (``c``): everyone connected, and hands to lower.

↑↓ choose a session, enter lowers its hand, esc or c closes. The list follows
the hub's roster messages as they come (``ClassLink._show_roster``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rnn_tui.teach.i18n import tr
from rnn_tui.tui.keys import LANG_BINDING, TranslatedBindings, follow_language, next_language
from rnn_tui.tui.panels.roster import roster_lines

if TYPE_CHECKING:
    from rnn_tui.tui.classlink import ClassLink


class RosterScreen(TranslatedBindings, Screen[None]):
    """The whole class, one line per session."""

    OWNS_KEYS = True  # the stepper's keys are off while it is open (RNNApp.check_action)

    DEFAULT_CSS = """
    RosterScreen #roster-title { height: 1; text-style: bold; background: $panel; }
    RosterScreen #roster-body { height: 1fr; }
    """

    BINDINGS = [
        Binding("up", "choose(-1)", "Previous", key_display="↑↓", id="roster_up"),
        Binding("down", "choose(1)", "Next", show=False, id="roster_down"),
        Binding("enter", "lower_hand", "Lower the hand", id="roster_lower"),
        Binding("escape,c", "close", "Close", key_display="esc", id="close"),
        LANG_BINDING,
    ]

    def __init__(self, link: ClassLink) -> None:
        super().__init__()
        self.link = link
        self.chosen: int | None = None  # a session's id
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="roster-title", markup=False)
        with VerticalScroll(id="roster-body", can_focus=False):
            yield Static("", id="roster-list", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        follow_language(self, self._apply_lang)

    def _apply_lang(self) -> None:
        self.refresh_bindings()  # the footer reads the words again
        self._shown = None
        self.show_roster()

    def action_next_lang(self) -> None:
        next_language(self)

    def _ids(self) -> list[int]:
        roster = self.link.roster
        return [s["id"] for s in roster["students"]] if roster else []

    def _first(self) -> int | None:
        """Who is chosen first: a raised hand, else the first student, else anyone."""
        roster = self.link.roster
        entries = roster["students"] if roster else []
        for wanted in (lambda e: e["hand"], lambda e: e["role"] == "student", lambda e: True):
            for e in entries:
                if wanted(e):
                    return e["id"]
        return None

    def show_roster(self) -> None:
        if not self.is_mounted:
            return
        ids = self._ids()
        if self.chosen not in ids:
            self.chosen = self._first()
        self.query_one("#roster-title", Static).update(
            Text(" " + tr("class.roster_title") + " · " + tr("class.roster_hint")))
        lines = roster_lines(self.link.roster, self.link.leader, max(self.size.width, 40),
                             chosen=self.chosen, wide=True)
        key = tuple((line.plain, line.style) for line in lines)
        if key != self._shown:
            self._shown = key
            self.query_one("#roster-list", Static).update(Text("\n").join(lines))

    def on_resize(self) -> None:
        self._shown = None
        self.show_roster()

    def action_choose(self, delta: int) -> None:
        ids = self._ids()
        if ids:
            i = ids.index(self.chosen) if self.chosen in ids else 0
            self.chosen = ids[(i + delta) % len(ids)]
            self.show_roster()

    def action_lower_hand(self) -> None:
        if self.chosen is not None:
            self.link.clear_hand(self.chosen)

    def action_close(self) -> None:
        self.dismiss(None)
