"""The Textual stepper: the forward pass, one key press at a time.

The app holds a ``Stepper`` (the engine) and a position counted in sub-steps
(``Cursor``). Keys change reactive attributes; watchers move the stepper and
hand a ``View`` down to the panels, each of which repaints only if what it
shows has changed.
"""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Footer, Static

from rnn_tui.cursor import Cursor
from rnn_tui.data import Dataset
from rnn_tui.engine import Stepper, Weights
from rnn_tui.widgets.base import Panel
from rnn_tui.widgets.batchview import BatchMatrices
from rnn_tui.widgets.help import HelpScreen, key_label
from rnn_tui.widgets.panels import (
    BatchPanel,
    EquationLine,
    HistoryPanel,
    InputTerm,
    OutputPanel,
    RecurrentTerm,
    StatusBar,
    SumTerm,
)
from rnn_tui.widgets.view import View

MIN_WIDTH, MIN_HEIGHT = 80, 24
ROOMY_WIDTH, ROOMY_HEIGHT = 110, 34
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # autoplay sub-steps per second


class RNNApp(App[int]):
    """Step through a many-to-one RNN."""

    CSS_PATH = "app.tcss"
    TITLE = "rnn-tui"
    ENABLE_COMMAND_PALETTE = False

    BINDINGS = [
        Binding("right,l,space", "next_substep", "Sub-step", key_display="→"),
        Binding("shift+right,L", "next_step", "Step", key_display="L"),
        Binding("left,h", "back", "Back", key_display="←"),
        Binding("shift+left,H", "back_step", "Back a step", show=False),
        Binding("home,r", "reset", "Reset", show=False),
        Binding("end", "to_end", "Run to the end", show=False),
        Binding("up", "select(-1)", "Sentence", key_display="↑↓"),
        Binding("down", "select(1)", "Next sentence", show=False),
        *[
            Binding(str(i), f"select_number({i})", f"Sentence {i}", show=False)
            for i in range(1, 10)
        ],
        Binding("b", "toggle_batch", "Batch"),
        Binding("p", "toggle_play", "Play"),
        Binding("plus,equals_sign", "speed(1)", "Faster", show=False),
        Binding("minus", "speed(-1)", "Slower", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    #: Help-screen rows: the keys and what they do, in a teacher's words.
    HELP = [
        ("right, l, space", "next sub-step: x·Wxh, then h·Whh, then + bias, then tanh"),
        ("shift+right, L", "next whole time step"),
        ("left, h", "back one sub-step"),
        ("shift+left, H", "back one whole time step"),
        ("home, r", "reset to t = 0"),
        ("end", "run to the end and show the output"),
        ("up, down, 1-9", "select a sentence"),
        ("b", "batch view: the same step as whole-batch matrices"),
        ("p", "autoplay / pause"),
        ("+, -", "autoplay faster / slower"),
        ("?", "this help"),
        ("q", "quit"),
    ]

    # repaint=False: an App's reactive would otherwise repaint the whole screen on
    # every change; the panels repaint themselves, and only when their content changed.
    pos: reactive[int] = reactive(0, repaint=False)
    selected: reactive[int] = reactive(0, repaint=False)
    batch_view: reactive[bool] = reactive(False, repaint=False)
    playing: reactive[bool] = reactive(False, repaint=False)
    speed: reactive[float] = reactive(2.0, repaint=False)

    def __init__(
        self,
        dataset: Dataset,
        weights: Weights,
        precision: int = 3,
        activation: str = "tanh",
    ) -> None:
        super().__init__()
        self.dataset = dataset
        self.weights = weights
        self.precision = precision
        self.activation = activation
        self.version = 0
        self.stepper = self._new_stepper()
        self._timer: Timer | None = None

    def _new_stepper(self) -> Stepper:
        d = self.dataset
        return Stepper(
            self.weights, d.X, d.lengths, d.labels, vocab=list(d.vocab), activation=self.activation
        )

    # --- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical(id="main"):
            with Horizontal(id="top"):
                yield BatchPanel(id="batch")
                yield HistoryPanel(id="history")
            with VerticalScroll(id="middle", can_focus=False):
                with Vertical(id="step"):
                    yield InputTerm(id="input-term")
                    yield RecurrentTerm(id="recurrent-term")
                    yield SumTerm(id="sum-term")
                    yield EquationLine(id="equation")
                yield BatchMatrices(id="batch-matrices")
            yield OutputPanel(id="output")
        yield Static(
            f"Enlarge the terminal to {MIN_WIDTH}×{MIN_HEIGHT} (or more).\n"
            "rnn-tui needs that much room to show a whole step.",
            id="too-small",
        )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#batch").border_title = "batch"
        self.query_one("#history").border_title = "h history (h₀ = 0)"
        self.query_one("#step").border_title = "step"
        self.query_one("#batch-matrices").border_title = "batch view"
        self.query_one("#output").border_title = "output"
        self._apply_size()
        self.refresh_view()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_size(event.size)

    def _apply_size(self, size: Size | None = None) -> None:
        width, height = size or self.size
        self.screen.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "too-small")
        self.screen.set_class(width >= ROOMY_WIDTH and height >= ROOMY_HEIGHT, "roomy")

    # --- state -> screen --------------------------------------------------------
    @property
    def cursor(self) -> Cursor:
        return Cursor(self.pos, self.stepper.steps)

    def view(self) -> View:
        return View(
            stepper=self.stepper,
            cursor=self.cursor,
            selected=self.selected,
            precision=self.precision,
            texts=tuple(self.dataset.texts),
            version=self.version,
            batch=self.batch_view,
        )

    def refresh_view(self) -> None:
        """Move the engine to the cursor's time step, then let each panel repaint if needed."""
        t = self.cursor.t
        while self.stepper.t < t:
            self.stepper.step()
        while self.stepper.t > t:
            self.stepper.back()
        view = self.view()
        for panel in self.query(Panel):
            panel.show(view)
        step = self.query_one("#step")
        title = self._step_title(view)
        if step.border_title != title:  # setting it repaints the whole box, children too
            step.border_title = title
        self.screen.set_class(self.batch_view, "batch-view")

    def _step_title(self, view: View) -> str:
        b = view.selected
        return f"step t = {view.t} · sentence {b + 1}: {view.texts[b]}"

    def watch_pos(self) -> None:
        self.refresh_view()

    def watch_selected(self) -> None:
        self.refresh_view()

    def watch_batch_view(self) -> None:
        self.refresh_view()

    def watch_speed(self) -> None:
        if self.playing:
            self._start_timer()
        self.refresh_view()

    def watch_playing(self, playing: bool) -> None:
        if playing:
            self._start_timer()
        elif self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.refresh_view()

    def _start_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(1.0 / self.speed, self._tick)

    def _tick(self) -> None:
        if self.cursor.at_output:
            self.playing = False
        else:
            self.pos += 1

    def _move(self, pos: int) -> None:
        cursor = self.cursor
        clamped = cursor.clamp(pos)
        if clamped == self.pos:
            self.stepper.message = (
                "already at the end" if pos > self.pos else "already at the start"
            )
            self.refresh_view()
            return
        self.stepper.message = ""
        self.pos = clamped

    # --- actions ------------------------------------------------------------------
    def action_next_substep(self) -> None:
        self._move(self.pos + 1)

    def action_next_step(self) -> None:
        self._move(self.cursor.next_step() if not self.cursor.at_output else self.pos + 1)

    def action_back(self) -> None:
        self._move(self.pos - 1)

    def action_back_step(self) -> None:
        self._move(self.cursor.previous_step() if self.pos else -1)

    def action_reset(self) -> None:
        self.playing = False
        self._move(0 if self.pos else -1)

    def action_to_end(self) -> None:
        self._move(self.cursor.last if not self.cursor.at_output else self.pos + 1)

    def action_select(self, delta: int) -> None:
        self.selected = (self.selected + delta) % self.stepper.batch

    def action_select_number(self, number: int) -> None:
        if number <= self.stepper.batch:
            self.selected = number - 1
        else:
            self.stepper.message = f"there is no sentence {number}"
            self.refresh_view()

    def action_toggle_batch(self) -> None:
        self.batch_view = not self.batch_view

    def action_toggle_play(self) -> None:
        if not self.playing and self.cursor.at_output:
            self.pos = 0
        self.playing = not self.playing

    def action_speed(self, direction: int) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i + direction))]

    def action_help(self) -> None:
        self.push_screen(HelpScreen([(key_label(k), d) for k, d in self.HELP]))


def make_app(model, precision: int = 3) -> RNNApp:
    """The app for a resolved CLI model (see ``cli.build_model``); tests use it too."""
    return RNNApp(model.dataset, model.weights, precision=precision, activation=model.activation)
