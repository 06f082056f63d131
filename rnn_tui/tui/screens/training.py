"""Training in the app (key ``t``): the trainer runs in a worker thread.

``TrainingScreen`` trains a copy of the weights the stepper uses with
``rnn_tui.core.train.Trainer``, one epoch at a time, in a thread worker. The
worker posts ``Progress`` messages (the new losses since the last message) and
one ``Finished``; the screen only displays them: a progress bar, the loss
curve (``LossCurve``) and the accuracy. ``s`` or ``esc`` stops; afterwards
``enter`` or ``esc`` returns a ``TrainingOutcome`` to the app, which keeps both
weight sets in ``WeightSets`` so a class can switch between them (key ``i``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from rnn_tui.core.backprop import TrainingError
from rnn_tui.core.data import Dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.optim import DEFAULT_LR
from rnn_tui.core.train import PRESET_RECIPE, Trainer
from rnn_tui.teach.i18n import tr
from rnn_tui.teach.weight_sets import TrainingOutcome, WeightSets  # noqa: F401 (re-exported)
from rnn_tui.tui.keys import (
    LANG_BINDING,
    follow_language,
    next_language,
)

#: The app trains as the built-in preset was made: Adam, full batch, 2000 epochs.
EPOCHS = PRESET_RECIPE["epochs"]
OPTIMIZER = PRESET_RECIPE["optimizer"]
#: At the watching pace a run takes about this long (the trainer itself needs ~0.2 s).
WATCH_SECONDS = 3.0
#: Progress messages at most this often (seconds): the UI repaints at ~30 frames/s.
POST_EVERY = 1 / 30


class LossCurve(Widget):
    """The loss per epoch as a text plot; the x axis spans the whole run from the start.

    On a log scale by default: the loss falls from ~0.6 to ~1e-4, and on a linear
    scale everything after the first hundred epochs lies flat on the axis.
    """

    count: reactive[int] = reactive(0)  # losses received so far (repaints on change)
    # not `log`: that is Textual's logger (MessagePump.log)
    log_scale: reactive[bool] = reactive(True)

    BLOCKS = " ▁▂▃▄▅▆▇█"
    LABEL = 8  # the y-axis label column, e.g. " 0.581 ┤"

    def __init__(self, total: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.total = max(total, 1)
        self.losses: list[float] = []

    def extend(self, losses: list[float]) -> None:
        self.losses.extend(losses)
        self.count = len(self.losses)

    def _scale(self) -> tuple[float, float, Callable[[float], float]]:
        """(bottom, top, f) with f mapping a loss to 0..1 of the plot's height."""
        finite = [v for v in self.losses if math.isfinite(v) and v > 0]
        top = max(finite, default=1.0)
        if not self.log_scale:
            return 0.0, top, lambda v: v / top
        bottom = min(min(finite, default=top), top / 10)
        span = math.log(top) - math.log(bottom)
        return bottom, top, lambda v: (math.log(max(v, bottom)) - math.log(bottom)) / span

    def render(self) -> Text:
        rows = max(self.size.height - 2, 1)  # a title line, the plot, the x axis
        width = max(self.size.width - self.LABEL, 1)
        bottom, top, scale = self._scale()
        # one column per bucket of epochs; a column is drawn once its epochs have run
        heights: list[float | None] = []
        for c in range(width):
            first = c * self.total // width
            last = max((c + 1) * self.total // width, first + 1)
            part = self.losses[first:last]
            heights.append(scale(sum(part) / len(part)) * rows if part else None)
        text = Text(tr("train.curve_log" if self.log_scale else "train.curve_linear") + "\n",
                    style="bold")
        for r in range(rows, 0, -1):  # top row first
            label = (_short(top) if r == rows else _short(bottom) if r == 1 else "")
            text.append(f"{label:>6} ┤", style="dim")
            line = []
            for h in heights:
                if h is None:
                    line.append(" ")
                else:
                    eighths = round((h - (r - 1)) * 8)
                    line.append(self.BLOCKS[max(0, min(8, eighths))])
            text.append("".join(line), style="bold")
            text.append("\n")
        axis = " " + tr("train.axis", total=self.total)
        text.append(" " * (self.LABEL - 1) + "└", style="dim")
        text.append(("─" * width)[: max(width - cell_len(axis), 0)] + axis, style="dim")
        return text


def _short(value: float) -> str:
    """A loss in at most six characters: 0.5812, 0.0031, 3e-05."""
    return f"{value:.4f}" if value >= 0.001 else f"{value:.0e}" if value > 0 else "0"


class TrainingScreen(ModalScreen[TrainingOutcome | None]):
    """Trains in a worker thread; shows progress, the loss curve and the accuracy."""

    OWNS_KEYS = True  # the stepper's keys are off while it is open (RNNApp.check_action)

    CSS_PATH = "../training.tcss"

    BINDINGS = [
        Binding("s,escape", "stop", "Stop / close", show=False, id="train_stop"),
        Binding("enter", "close", "Use these weights", show=False, id="train_use"),
        Binding("f", "toggle_fast", "Full speed", show=False, id="train_fast"),
        Binding("l", "toggle_log", "Log/linear", show=False, id="train_log"),
        Binding("q", "app.quit", "Quit", id="quit"),  # a modal screen hides the app's keys
        LANG_BINDING,
    ]

    state: reactive[str] = reactive("running")  # running, stopping, done, stopped, failed
    epoch: reactive[int] = reactive(0)
    loss: reactive[float | None] = reactive(None)
    accuracy: reactive[float | None] = reactive(None)
    fast: reactive[bool] = reactive(False)

    class Progress(Message):
        """Posted from the worker: epochs done, and the losses since the last message."""

        def __init__(self, epoch: int, losses: list[float], accuracy: float) -> None:
            super().__init__()
            self.epoch, self.losses, self.accuracy = epoch, losses, accuracy

    class Finished(Message):
        """Posted from the worker once, at the end (stopped, done, or failed)."""

        def __init__(self, outcome: TrainingOutcome | None, error: str = "") -> None:
            super().__init__()
            self.outcome, self.error = outcome, error

    def __init__(
        self,
        weights: Weights,
        dataset: Dataset,
        activation: str = "tanh",
        start: str = "initial",
        epochs: int = EPOCHS,
        fast: bool = False,
    ) -> None:
        super().__init__()
        self.weights = weights
        self.dataset = dataset
        self.activation = activation
        self.start = start
        self.epochs = epochs
        self.outcome: TrainingOutcome | None = None
        self.error = ""
        self._stop = threading.Event()
        self.set_reactive(TrainingScreen.fast, fast)

    def compose(self) -> ComposeResult:
        with Vertical(id="training-box"):
            yield Static(id="training-settings", markup=False)
            yield ProgressBar(total=self.epochs, show_eta=False, id="training-progress")
            yield Static(id="training-numbers", markup=False)
            yield LossCurve(self.epochs, id="training-curve")
            yield Static(id="training-hint", markup=False)

    def on_mount(self) -> None:
        follow_language(self, self._apply_lang)
        self._train()

    def _apply_lang(self) -> None:
        """The title, the settings line, the keys and the numbers in the current language."""
        self.refresh_bindings()  # the footer reads the words again
        self.query_one("#training-box").border_title = Content(tr("train.title"))
        self.query_one("#training-settings", Static).update(tr(
            "train.settings", optimizer=OPTIMIZER.capitalize(), lr=f"{DEFAULT_LR[OPTIMIZER]:g}",
            n=len(self.dataset), activation=self.activation,
            start=tr(f"weights.{self.start}")))
        self.query_one(LossCurve).refresh()
        self._show()

    def action_next_lang(self) -> None:
        next_language(self)

    # --- the worker: a thread; an epoch holds the GIL for ~0.1 ms, so keys stay quick ---
    @work(thread=True, exclusive=True, group="training")
    def _train(self) -> None:
        worker = get_current_worker()
        error = ""
        trainer: Trainer | None = None
        try:
            trainer = Trainer(self.weights, self.dataset, optimizer=OPTIMIZER,
                              activation=self.activation)
            due = time.monotonic()
            posted = sent = 0
            last_post = 0.0
            for k in range(1, self.epochs + 1):
                if self._stop.is_set() or worker.is_cancelled:
                    break
                _, accuracy = trainer.epoch()
                now = time.monotonic()
                if self.fast:
                    due = now
                else:  # the watching pace: sleep until this epoch is due
                    due += WATCH_SECONDS / self.epochs
                    if due > now:
                        time.sleep(due - now)
                if now - last_post >= POST_EVERY or k == self.epochs:
                    sent = len(trainer.history.losses)
                    self.post_message(self.Progress(
                        k, trainer.history.losses[posted:sent], accuracy))
                    posted, last_post = sent, now
        except TrainingError as exc:
            error = str(exc)
        outcome = None
        if trainer is not None and not error and trainer.epochs:
            h = trainer.history
            if h.epochs > posted:
                self.post_message(self.Progress(h.epochs, h.losses[posted:], h.accuracies[-1]))
            outcome = TrainingOutcome(trainer.weights, h.epochs, h.epochs < self.epochs,
                                      h.losses[-1], h.accuracies[-1])
        self.post_message(self.Finished(outcome, error))

    # --- messages up from the worker, attributes down to the widgets -------------
    def on_training_screen_progress(self, message: Progress) -> None:
        self.query_one(LossCurve).extend(message.losses)
        self.epoch = message.epoch
        self.loss = message.losses[-1] if message.losses else self.loss
        self.accuracy = message.accuracy

    def on_training_screen_finished(self, message: Finished) -> None:
        self.outcome = message.outcome
        if message.error:
            self.error = message.error
            self.state = "failed"
        elif message.outcome is None or message.outcome.stopped:
            self.state = "stopped"
        else:
            self.state = "done"

    def watch_epoch(self) -> None:
        self._show()

    def watch_state(self) -> None:
        self._show()

    def watch_fast(self) -> None:
        self._show()

    def _show(self) -> None:
        if not self.is_mounted:
            return
        self.query_one(ProgressBar).update(progress=self.epoch)
        if self.state == "failed":
            self.query_one("#training-numbers", Static).update(
                Text(tr("train.failed", error=self.error), style="bold"))
        else:
            self.query_one("#training-numbers", Static).update(self._numbers())
        self.query_one("#training-hint", Static).update(self._hint())

    def _numbers(self) -> Text:
        text = Text()
        text.append(tr("train.epoch", epoch=self.epoch, total=self.epochs), style="bold")
        if self.loss is not None and self.accuracy is not None:
            n = len(self.dataset)
            right = round(self.accuracy * n)
            text.append(tr("train.loss", loss=f"{self.loss:.4g}", right=right, n=n,
                           percent=f"{self.accuracy:.0%}"))
        if self.state != "running":
            text.append(tr(f"train.{self.state}"), style="bold")
        return text

    def _hint(self) -> Text:
        if self.state in ("running", "stopping"):
            pace = tr("train.pace_watch" if self.fast else "train.pace_full")
            return Text(tr("train.hint_running", pace=pace, scale=self._scale_hint()),
                        style="dim")
        if self.state == "failed":
            return Text(tr("train.hint_failed"), style="dim")
        scale = self._scale_hint()
        if self.outcome is None:
            return Text(tr("train.hint_none", scale=scale), style="dim")
        return Text(tr("train.hint_done", scale=scale), style="dim")

    def _scale_hint(self) -> str:
        log_scale = self.query_one(LossCurve).log_scale
        return tr("train.scale_linear" if log_scale else "train.scale_log")

    # --- actions -----------------------------------------------------------------------
    def action_stop(self) -> None:
        if self.state == "running":
            self._stop.set()
            self.state = "stopping"
        elif self.state != "stopping":
            self.action_close()

    def action_close(self) -> None:
        if self.state in ("done", "stopped", "failed"):
            self.dismiss(self.outcome)

    def action_toggle_fast(self) -> None:
        self.fast = not self.fast

    def action_toggle_log(self) -> None:
        curve = self.query_one(LossCurve)
        curve.log_scale = not curve.log_scale
        self._show()
