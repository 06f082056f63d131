"""The help screen: every key, generated from the app's bindings, and what the
screen's marks mean (a one-line legend on top, a row for each mark below the keys)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rnn_tui.teach import fmt
from rnn_tui.teach.i18n import tr
from rnn_tui.tui.panels import numbers

KEY_NAMES = {
    "right": "→", "left": "←", "up": "↑", "down": "↓", "space": "space",
    "shift+right": "shift+→", "shift+left": "shift+←", "home": "home", "end": "end",
    "question_mark": "?", "plus": "+", "minus": "-", "escape": "esc",
}


def key_label(keys: str) -> str:
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


#: The help box's inner width at 80 columns (app.tcss: #help-box is 76 wide, padding 1).
LEGEND_WIDTH = 71
#: What stands for a value not computed yet (the panels draw a row of these).
PENDING = "····"
#: The mark of the value the last key revealed (``stepper.NEW``).
NEW = "◀"


def legend_line(token: str, width: int = 0) -> str:
    """The marks in one line, in the current language; ``token`` is a word of the data.
    With a ``width``, broken between marks (at " · ") into lines that fit it."""
    line = tr("legend.line", token=fmt.clip(token, 8), pad=tr("word.pad"))
    if not width:
        return line
    lines: list[str] = []
    for part in line.split(" · "):
        if lines and cell_len(lines[-1]) + 3 + cell_len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def legend_rows(token: str, precision: int = 3) -> list[tuple[Text, str]]:
    """Each mark as the screen draws it, and what it means (current language).

    A tanh h that rounds to ±1 is shown as ``+1.000``/``-1.000`` (the columns keep
    their width), and this legend says what that means: |h| is at least 0.9995.
    """
    sign = Text()
    sign.append(fmt.num(0.25, 2), style=numbers.style_of(1.0))
    sign.append(" ")
    sign.append(fmt.num(-0.25, 2), style=numbers.style_of(-1.0))
    return [
        (sign, tr("legend.sign")),
        (Text(NEW, style="bold"), tr("legend.new")),
        (Text(f"[{fmt.clip(token, 8)}]", style="bold"), tr("legend.token")),
        (Text(PENDING, style=numbers.muted()), tr("legend.pending")),
        (Text(tr("word.pad"), style=numbers.muted()), tr("legend.pad")),
        (Text(tr("legend.underline"), style="underline"), tr("legend.edited")),
        (Text(f"±{fmt.num(1.0, precision)[1:]}"),
         tr("legend.rounded", edge=f"{1 - 0.5 * 10.0 ** -precision:.{precision + 1}f}")),
    ]


def _grid(left: list[Text], right: list[Text]) -> Table:
    """Two columns: the keys (or marks), bold unless styled, and what they do (wrapped)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for a, b in zip(left, right, strict=True):
        table.add_row(a, b)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists all keys; any of ?, escape or q closes it; ↑↓ scroll the list."""

    AUTO_FOCUS = "#help-scroll"

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss_help", "Close", show=True, id="close"),
    ]

    def __init__(self, rows: list[tuple[str, str]], token: str = "as",
                 precision: int = 3) -> None:
        super().__init__()
        self.rows = rows
        self.token = token  # a word of the data, for the legend's "[as]"
        self.precision = precision  # the app's decimals (the legend's ±1.000)

    def compose(self) -> ComposeResult:
        # text, never markup
        table = _grid([Text(k) for k, _ in self.rows], [Text(d) for _, d in self.rows])
        marks = legend_rows(self.token, self.precision)
        legend = _grid([m for m, _ in marks], [Text(meaning) for _, meaning in marks])
        with Vertical(id="help-box"):
            yield Static(tr("help.title"), id="help-title", markup=False)
            with VerticalScroll(id="help-scroll"):
                yield Static(Text(legend_line(self.token, LEGEND_WIDTH), style="italic"),
                             id="help-legend")
                yield Static(table, id="help-table")
                yield Static(Text("\n" + tr("legend.title"), style="bold"), id="legend-title")
                yield Static(legend, id="help-marks")
            yield Static(tr("help.hint"), id="help-hint", markup=False)

    def on_mount(self) -> None:
        self.refresh_bindings()  # the footer reads the words again
        for widget in self.query("#help-table, #help-marks, #help-legend"):
            widget.styles.width = "100%"  # long lines wrap instead of running off the box

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
