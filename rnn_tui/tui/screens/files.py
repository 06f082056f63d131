"""Writing files from the app: export the trace (key ``x``) and save the weights (key ``s``).

Both ask for a file name, ask again before replacing a file, and write
atomically (``data.atomic_write_text``, the one writer): only a regular file or
a new name, never a symbolic link, a device or a pipe (refused, with a message).
In a served SSH session (``RNN_TUI_SERVED=1``) the app never opens them: the
files would be the server's.
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

from rnn_tui.core.cells import GatedStepper, GatedWeights
from rnn_tui.core.data import Dataset, atomic_write_text, check_target, printable
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.teach import fmt
from rnn_tui.teach.edit import data_path, save_session
from rnn_tui.teach.i18n import tr
from rnn_tui.tui.keys import (
    LANG_BINDING,
    follow_language,
    next_language,
)
from rnn_tui.tui.textfield import TextField

#: Set by ``rnn-tui serve`` for each session it starts.
SERVED_ENV = "RNN_TUI_SERVED"

#: Export formats: key, the catalogue key of what the radio button says, the file suffix.
FORMATS = (
    ("md", "file.format_md", ".md"),
    ("tex", "file.format_tex", ".tex"),
    ("csv", "file.format_csv", ".csv"),
    ("json", "file.format_json", ".json"),
)
SUFFIXES = {suffix: key for key, _, suffix in FORMATS}

#: What a file screen hands back when it wrote: a catalogue key and its values.
Notice = tuple[str, dict[str, str]]


def served_message(what: str, long: bool = False) -> str:
    """Why ``what`` ("export" or "save") is off in a served session: short, or the full reason."""
    return tr(f"served.{what}_long" if long else f"served.{what}")


def served() -> bool:
    """True in a session started by ``rnn-tui serve``: no writing files."""
    return os.environ.get(SERVED_ENV, "") == "1"


class FileScreen(ModalScreen[Notice | None]):
    """Ask for a file name; on enter, confirm any overwrite, then write."""

    CSS_PATH = "../editors.tcss"  # loaded when first opened, not at start-up

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False, id="cancel"),
        Binding("y", "confirm(True)", "Yes", show=False, id="yes"),
        Binding("n", "confirm(False)", "No", show=False, id="no"),
        LANG_BINDING,
    ]

    TITLE_KEY = "file.title"  # catalogue key of the box's title
    DEFAULT_NAME = "rnn-tui.txt"

    #: The paths waiting for a yes/no before they are overwritten.
    confirming: reactive[tuple[Path, ...]] = reactive(())

    def compose(self) -> ComposeResult:
        with Vertical(id="file-box", classes="file-box"):
            yield from self.compose_options()
            yield Static(id="file-prompt")
            # select_on_focus off: a stray key (a space) must not replace the whole name
            yield TextField(self.DEFAULT_NAME, id="file-name", compact=True, select_on_focus=False)
            yield Static(id="file-message")
            yield Static(id="file-hint")

    def compose_options(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        follow_language(self, self.apply_lang)
        self.query_one("#file-name", Input).focus()

    def apply_lang(self) -> None:
        """Every label in the current language; subclasses add their options'."""
        self.refresh_bindings()  # the footer reads the words again
        self.query_one("#file-box").border_title = tr(self.TITLE_KEY)
        self.query_one("#file-prompt", Static).update(tr("file.prompt"))
        self.query_one("#file-hint", Static).update(tr("file.hint"))

    def action_next_lang(self) -> None:
        next_language(self)

    def say(self, message: str, error: bool = False) -> None:
        widget = self.query_one("#file-message", Static)
        widget.update(Text(printable(message, 300), style="bold" if error else "italic"))
        widget.set_class(error, "error")

    # what to write: subclasses
    def targets(self, name: str) -> tuple[Path, ...]:
        return (Path(name),)

    def write(self, paths: tuple[Path, ...]) -> Notice:
        """Write the file(s); what to say in the status line (a catalogue key, its values)."""
        raise NotImplementedError

    # the flow
    @on(Input.Submitted, "#file-name")
    def _submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        """Enter: write the file named in the name field (asking before an overwrite)."""
        if self.confirming:
            return
        name = self.query_one("#file-name", Input).value.strip()
        if not name:
            self.say(tr("file.no_name"), error=True)
            return
        paths = self.targets(name)
        for path in paths:
            if path.is_dir():
                self.say(tr("file.is_folder", path=path), error=True)
                return
            if not path.parent.is_dir():
                self.say(tr("file.no_folder", path=path.parent), error=True)
                return
            try:
                check_target(path)  # a link, a device, a pipe: refused before asking
            except OSError as exc:
                self.say(tr("file.cannot_write", reason=f"{path}: {exc.strerror}"), error=True)
                return
        existing = tuple(p for p in paths if p.exists())
        if existing:
            self.confirming = existing
            self.set_focus(None)  # y and n are answers now, not text
            names = tr("file.and").join(str(p) for p in existing)
            self.say(tr("file.exists" if len(existing) == 1 else "file.exist", names=names),
                     error=True)
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
            self.say(tr("file.not_written"))
            self.query_one("#file-name", Input).focus()

    def _write(self, paths: tuple[Path, ...]) -> None:
        try:
            done = self.write(paths)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.say(tr("file.cannot_write", reason=reason), error=True)
            self.query_one("#file-name", Input).focus()
            return
        self.dismiss(done)  # said in the app's status line: a toast would cover the narration

    def action_cancel(self) -> None:
        if self.confirming:
            self.action_confirm(False)
            return
        self.dismiss(None)


class FormatList(RadioSet):
    """The export formats: ↑↓ (and ←→) choose at once, space too; enter writes the file."""

    BINDINGS = [
        Binding("down,right", "step(1)", "Next format", show=False),
        Binding("up,left", "step(-1)", "Previous format", show=False),
        Binding("enter", "screen.submit", "Write", show=False),
    ]

    def action_step(self, delta: int) -> None:
        """Press the next (or previous) format; the set's highlight follows the pressed one."""
        buttons = list(self.query(RadioButton))
        index = (max(self.pressed_index, 0) + delta) % len(buttons)
        buttons[index].value = True


class ExportScreen(FileScreen):
    """Key ``x``: the whole forward pass as Markdown, LaTeX, CSV or JSON.

    ↑↓ choose the format from the name field as well as from the list; enter
    writes from either.
    """

    TITLE_KEY = "file.title_export"
    DEFAULT_NAME = "rnn-trace.md"

    BINDINGS = [
        Binding("down", "format(1)", "Next format", show=False, id="next_format"),
        Binding("up", "format(-1)", "Previous format", show=False, id="previous_format"),
    ]

    def __init__(self, stepper: Stepper | GatedStepper, precision: int = 3) -> None:
        super().__init__()
        self.stepper = stepper
        self.precision = precision

    def compose_options(self) -> ComposeResult:
        yield Static(self._prompt(0), id="format-prompt")
        with FormatList(id="export-format", compact=True):
            for i, (_, label, suffix) in enumerate(FORMATS):
                yield RadioButton(f"{tr(label)} ({suffix})", value=i == 0)

    def apply_lang(self) -> None:
        super().apply_lang()
        index = max(self.query_one(RadioSet).pressed_index, 0)
        self.query_one("#format-prompt", Static).update(self._prompt(index))
        for button, (_, label, suffix) in zip(self.query(RadioButton), FORMATS, strict=True):
            button.label = f"{tr(label)} ({suffix})"

    def action_format(self, delta: int) -> None:
        if not self.confirming:
            self.query_one(FormatList).action_step(delta)

    @staticmethod
    def _prompt(index: int) -> str:
        return tr("file.format_prompt", format=tr(FORMATS[index][1]))

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
            name.cursor_position = len(name.value)  # typing goes on after the suffix

    @on(Input.Changed, "#file-name")
    def _name_changed(self, event: Input.Changed) -> None:
        """A typed .csv (etc.) picks that format."""
        key = SUFFIXES.get(Path(event.value.strip()).suffix.lower())
        if key is not None and key != self.format:
            index = [k for k, _, _ in FORMATS].index(key)
            list(self.query(RadioButton))[index].value = True

    def write(self, paths: tuple[Path, ...]) -> Notice:
        from rnn_tui.export.trace import render, trace_from_stepper

        trace = trace_from_stepper(self.stepper)  # a copy runs; the app's stepper stays put
        atomic_write_text(paths[0], render(trace, self.format, self.precision))
        return "file.wrote_trace", {"format": self.format,
                                    "path": fmt.clip(str(paths[0]), 30, keep_end=True)}


class SaveScreen(FileScreen):
    """Key ``s``: the weights as JSON (``--weights``), the sentences beside (``--data``)."""

    TITLE_KEY = "file.title_save"
    DEFAULT_NAME = "rnn-weights.json"

    def __init__(self, weights: Weights | GatedWeights, dataset: Dataset) -> None:
        super().__init__()
        self.weights = weights.copy()
        self.dataset = dataset

    def compose_options(self) -> ComposeResult:
        yield Static(id="save-about")

    def apply_lang(self) -> None:
        super().apply_lang()
        self.query_one("#save-about", Static).update(tr("file.save_about"))

    def targets(self, name: str) -> tuple[Path, ...]:
        return (Path(name), data_path(name))

    def write(self, paths: tuple[Path, ...]) -> Notice:
        weights, data = save_session(paths[0], self.weights, self.dataset)
        return "notice.saved", {"weights": fmt.clip(str(weights), 20, keep_end=True),
                                "data": fmt.clip(str(data), 20, keep_end=True)}
