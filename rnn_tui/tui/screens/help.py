"""The help screen: every key, generated from the app's bindings."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rnn_tui.teach.i18n import tr

KEY_NAMES = {
    "right": "→", "left": "←", "up": "↑", "down": "↓", "space": "space",
    "shift+right": "shift+→", "shift+left": "shift+←", "home": "home", "end": "end",
    "question_mark": "?", "plus": "+", "minus": "-", "escape": "esc",
}


def key_label(keys: str) -> str:
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """Lists all keys; any of ?, escape or q closes it; ↑↓ scroll the list."""

    AUTO_FOCUS = "#help-scroll"

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss_help", "Close", show=True, id="close"),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for keys, description in self.rows:
            table.add_row(Text(keys), Text(description))  # text, never markup
        with Vertical(id="help-box"):
            yield Static(tr("help.title"), id="help-title", markup=False)
            with VerticalScroll(id="help-scroll"):
                yield Static(table, id="help-table")
            yield Static(tr("help.hint"), id="help-hint", markup=False)

    def on_mount(self) -> None:
        self.refresh_bindings()  # the footer reads the words again

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
