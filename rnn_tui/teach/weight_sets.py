"""The weight sets the app keeps: the initial one and, once trained, the trained one.

Plain Python (no Textual): the app holds a ``WeightSets`` from the start, and
the training screen (``rnn_tui.tui.screens.training``) is only imported when ``t``
is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnn_tui.core.cells import GatedWeights
from rnn_tui.core.model import Weights
from rnn_tui.teach.i18n import tr


@dataclass(frozen=True)
class TrainingOutcome:
    """What a finished (or stopped) run hands back to the app."""

    weights: Weights
    epochs: int  # epochs run in this session
    stopped: bool  # stopped before the last epoch
    loss: float  # of the last epoch
    accuracy: float


@dataclass
class WeightSets:
    """The weights the app started with and, once trained, the trained ones.

    The initial set never changes, so a class can always go back to it: the
    same seed gives the same initial weights, before and after training.
    """

    initial: Weights | GatedWeights  # a gated lesson's too (it is not trained yet)
    trained: Weights | GatedWeights | None = None
    epochs: int = 0  # epochs behind ``trained``, counted from ``initial``

    def add(self, outcome: TrainingOutcome, from_trained: bool) -> None:
        """Keep a run's result; a run from the trained weights continues their count."""
        self.epochs = outcome.epochs + (self.epochs if from_trained else 0)
        self.trained = outcome.weights

    def get(self, trained: bool) -> Weights | GatedWeights:
        return self.trained if trained and self.trained is not None else self.initial

    def label(self, trained: bool) -> str:
        """For the status bar: empty until there is a trained set to compare with."""
        if self.trained is None:
            return ""
        return tr("weights.trained" if trained else "weights.initial")

    def describe(self, trained: bool) -> str:
        if trained and self.trained is not None:
            return tr("weights.epochs", epochs=self.epochs)
        return ""
