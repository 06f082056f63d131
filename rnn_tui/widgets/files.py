"""Writing files from the app: export the trace (key ``x``) and save the weights (key ``s``).

Both ask for a file name, ask again before replacing a file, and write
atomically (``engine.atomic_write_text``). In a served SSH session
(``RNN_TUI_SERVED=1``) the app never opens them: the files would be the server's.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static

from rnn_tui.data import Dataset
from rnn_tui.edit import data_path, save_session
from rnn_tui.engine import Stepper, Weights, atomic_write_text

#: Set by ``rnn-tui serve`` for each session it starts.
SERVED_ENV = "RNN_TUI_SERVED"
SERVED_MESSAGE = ("{what} is off in a served session: it would write files on the server, "
                  "not on your computer")

#: Export formats: key, what the radio button says, the file suffix.
FORMATS = (
    ("md", "Markdown handout", ".md"),
    ("tex", "LaTeX (bmatrix)", ".tex"),
    ("csv", "CSV, one number a row", ".csv"),
    ("json", "JSON (rnn-tui --trace)", ".json"),
)
SUFFIXES = {suffix: key for key, _, suffix in FORMATS}


def served() -> bool:
    """True in a session started by ``rnn-tui serve``: no writing files."""
    return os.environ.get(SERVED_ENV, "") == "1"


class FileScreen(ModalScreen[None]):
    """Ask for a file name; on enter, confirm any overwrite, then write."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("y", "confirm(True)", "Yes", show=False),
        Binding("n", "confirm(False)", "No", show=False),
    ]

    TITLE_TEXT = "write a file"
    DEFAULT_NAME = "rnn-tui.txt"

    #: The paths waiting for a yes/no before they are overwritten.
    confirming: reactive[tuple[Path, ...]] = reactive(())

    def compose(self) -> ComposeResult:
        with Vertical(id="file-box", classes="file-box"):
            yield from self.compose_options()
            yield Static("file name (in the folder rnn-tui was started from):", id="file-prompt")
            yield Input(self.DEFAULT_NAME, id="file-name", compact=True)
            yield Static(id="file-message")
            yield Static("enter write · tab next field · esc cancel", id="file-hint")

    def compose_options(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one("#file-box").border_title = self.TITLE_TEXT
        self.query_one("#file-name", Input).focus()

    def say(self, message: str, error: bool = False) -> None:
        widget = self.query_one("#file-message", Static)
        widget.update(Text(message, style="bold" if error else "italic"))
        widget.set_class(error, "error")

    # what to write: subclasses
    def targets(self, name: str) -> tuple[Path, ...]:
        return (Path(name),)

    def write(self, paths: tuple[Path, ...]) -> str:
        raise NotImplementedError

    # the flow
    @on(Input.Submitted, "#file-name")
    def _submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            self.say("✗ type a file name", error=True)
            return
        paths = self.targets(name)
        for path in paths:
            if path.is_dir():
                self.say(f"✗ {path} is a folder: type a file name", error=True)
                return
            if not path.parent.is_dir():
                self.say(f"✗ there is no folder {path.parent}", error=True)
                return
        existing = tuple(p for p in paths if p.exists())
        if existing:
            self.confirming = existing
            self.set_focus(None)  # y and n are answers now, not text
            names = " and ".join(str(p) for p in existing)
            self.say(f"{names} exist{'s' if len(existing) == 1 else ''}. "
                     "Overwrite? y = yes, n = no", error=True)
            return
        self._write(paths)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return bool(self.confirming)
        return True

    def action_confirm(self, yes: bool) -> None:
        paths = self.targets(self.query_one("#file-name", Input).value.strip())
        self.confirming = ()
        if yes:
            self._write(paths)
        else:
            self.say("nothing written: type another name")
            self.query_one("#file-name", Input).focus()

    def _write(self, paths: tuple[Path, ...]) -> None:
        try:
            done = self.write(paths)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.say(f"✗ cannot write: {reason}", error=True)
            self.query_one("#file-name", Input).focus()
            return
        self.app.notify(done, title=self.TITLE_TEXT, timeout=6)
        self.dismiss(None)

    def action_cancel(self) -> None:
        if self.confirming:
            self.action_confirm(False)
            return
        self.dismiss(None)


class ExportScreen(FileScreen):
    """Key ``x``: the whole forward pass as Markdown, LaTeX, CSV or JSON."""

    TITLE_TEXT = "export the trace"
    DEFAULT_NAME = "rnn-trace.md"

    def __init__(self, stepper: Stepper, precision: int = 3) -> None:
        super().__init__()
        self.stepper = stepper
        self.precision = precision

    def compose_options(self) -> ComposeResult:
        yield Static(self._prompt(0), id="format-prompt")
        with RadioSet(id="export-format", compact=True):
            for i, (_, label, suffix) in enumerate(FORMATS):
                yield RadioButton(f"{label} ({suffix})", value=i == 0)

    @staticmethod
    def _prompt(index: int) -> str:
        return f"format (↑↓ then space to choose): {FORMATS[index][1]}"

    @property
    def format(self) -> str:
        index = self.query_one(RadioSet).pressed_index
        return FORMATS[max(index, 0)][0]

    @on(RadioSet.Changed)
    def _format_changed(self, event: RadioSet.Changed) -> None:
        """The file name follows the format: rnn-trace.md becomes rnn-trace.csv."""
        self.query_one("#format-prompt", Static).update(self._prompt(event.index))
        name = self.query_one("#file-name", Input)
        suffix = FORMATS[event.index][2]
        path = Path(name.value.strip() or "rnn-trace")
        if path.suffix.lower() in SUFFIXES or not path.suffix:
            name.value = str(path.with_suffix(suffix))

    @on(Input.Changed, "#file-name")
    def _name_changed(self, event: Input.Changed) -> None:
        """A typed .csv (etc.) picks that format."""
        key = SUFFIXES.get(Path(event.value.strip()).suffix.lower())
        if key is not None and key != self.format:
            index = [k for k, _, _ in FORMATS].index(key)
            list(self.query(RadioButton))[index].value = True

    def write(self, paths: tuple[Path, ...]) -> str:
        from rnn_tui.export import render, trace_from_stepper

        trace = trace_from_stepper(self.stepper)  # a copy runs; the app's stepper stays put
        atomic_write_text(paths[0], render(trace, self.format, self.precision))
        return f"wrote the {self.format} trace to {paths[0]}"


class SaveScreen(FileScreen):
    """Key ``s``: the weights as JSON (``--weights``), the sentences beside (``--data``)."""

    TITLE_TEXT = "save weights and sentences"
    DEFAULT_NAME = "rnn-weights.json"

    def __init__(self, weights: Weights, dataset: Dataset) -> None:
        super().__init__()
        self.weights = weights.copy()
        self.dataset = dataset

    def compose_options(self) -> ComposeResult:
        yield Static("The weights go to the file you name, the sentences beside it "
                     "(same name, .tsv).", id="save-about")

    def targets(self, name: str) -> tuple[Path, ...]:
        return (Path(name), data_path(name))

    def write(self, paths: tuple[Path, ...]) -> str:
        weights, data = save_session(paths[0], self.weights, self.dataset)
        return (f"saved {weights} and {data}; reopen with: "
                f"rnn-tui --weights {weights} --data {data}")
