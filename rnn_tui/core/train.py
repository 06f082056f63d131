"""Training the lesson's RNN (full batch or minibatches), and the built-in presets.

``Trainer`` runs one epoch at a time (for a UI); ``train`` is a loop over it.
Nothing here imports Textual or Rich.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rnn_tui.core.backprop import (
    DERIVATIVES,
    Batch,
    Params,
    TrainingError,
    check_activation,
    loss_and_grads,
)
from rnn_tui.core.cells import GatedWeights, gated_backward, weights_from_dict
from rnn_tui.core.data import Dataset, printable
from rnn_tui.core.model import ACTIVATIONS, WEIGHT_NAMES, Weights
from rnn_tui.core.optim import DEFAULT_LR, OPTIMIZERS, clip_by_global_norm


@dataclass
class History:
    """Per epoch: the mean loss and the accuracy of the forward passes that epoch's
    updates were computed from (so ``losses[0]`` is the loss of the starting weights)."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    stopped: bool = False  # True when the callback asked to stop before the last epoch

    @property
    def epochs(self) -> int:
        """Epochs completed."""
        return len(self.losses)


class TrainResult(NamedTuple):
    weights: Weights
    history: History


#: ``callback(epoch, loss, accuracy)``, epoch 1-based; return False to stop.
Callback = Callable[[int, float, float], "bool | None"]


class _Loop:
    """The epoch loop both trainers share: settings, minibatches, optimizer, history.

    A subclass sets ``_theta`` and ``_grad`` (flat views of its parameters and
    gradients) and ``_loss_and_grads(batch)`` (writes ``_grad``, returns (loss, accuracy)).
    """

    _theta: np.ndarray
    _grad: np.ndarray

    def _setup(
        self,
        vocab: list[str],
        dataset: Dataset,
        lr: float | None,
        seed: int,
        optimizer: str,
        clip: float | None,
        batch_size: int | None,
    ) -> None:
        if optimizer not in OPTIMIZERS:
            raise TrainingError(
                f"optimizer: must be one of {', '.join(OPTIMIZERS)}, not {optimizer!r}"
            )
        lr = DEFAULT_LR[optimizer] if lr is None else float(lr)
        if not (math.isfinite(lr) and lr > 0):
            raise TrainingError(f"lr: must be a positive number, not {lr!r}")
        if clip is not None and not (math.isfinite(clip) and clip > 0):
            raise TrainingError(f"clip: must be a positive number, not {clip!r}")
        if batch_size is not None and batch_size < 1:
            raise TrainingError(f"batch_size: must be at least 1, not {batch_size!r}")
        if tuple(dataset.vocab) != tuple(vocab):
            dataset = dataset.with_vocab(vocab)  # DataError if a token is unknown
        self.dataset = dataset
        self.optimizer, self.lr, self.clip = optimizer, lr, clip
        self.batch_size = batch_size
        self._opt = OPTIMIZERS[optimizer](lr)
        self._target = dataset.labels.astype(np.float64).reshape(-1, 1)
        full = batch_size is None or batch_size >= len(dataset)
        self._whole = Batch(dataset.X, dataset.lengths, self._target) if full else None
        self._rng = np.random.default_rng(seed)
        self.history = History()

    def _loss_and_grads(self, batch: Batch) -> tuple[float, float]:
        raise NotImplementedError

    @property
    def epochs(self) -> int:
        """Epochs done so far."""
        return self.history.epochs

    def epoch(self) -> tuple[float, float]:
        """One pass over the data; returns (loss, accuracy) and records them in ``history``.

        The loss and accuracy are those of the forward passes the updates were
        computed from (before each update). Raises TrainingError when training
        diverges (the loss or a weight stops being finite).
        """
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked below
            if self._whole is not None:
                loss, accuracy = self._update(self._whole)
            else:
                loss, accuracy = self._minibatches()
        if not math.isfinite(loss) and not self.history.losses:
            raise TrainingError(  # the loss before any update: the starting weights
                f"the numbers overflowed: the loss of the starting weights is {loss} "
                "(the weights are too large)"
            )
        if not math.isfinite(loss) or not np.all(np.isfinite(self._theta)):
            raise TrainingError(
                f"training diverged at epoch {self.epochs + 1} (loss {loss}); "
                "try a smaller learning rate or gradient clipping"
            )
        self.history.losses.append(loss)
        self.history.accuracies.append(accuracy)
        return loss, accuracy

    def _minibatches(self) -> tuple[float, float]:
        d, n, size = self.dataset, len(self.dataset), self.batch_size
        assert size is not None
        loss = accuracy = 0.0
        order = self._rng.permutation(n)
        for first in range(0, n, size):
            idx = order[first:first + size]
            part = Batch(d.X[idx], d.lengths[idx], self._target[idx])
            part_loss, part_accuracy = self._update(part)
            loss += part_loss * len(idx) / n
            accuracy += part_accuracy * len(idx) / n
        return loss, accuracy

    def _update(self, batch: Batch) -> tuple[float, float]:
        loss, accuracy = self._loss_and_grads(batch)
        if self.clip is not None:
            clip_by_global_norm(self._grad, self.clip)
        self._opt.step(self._theta, self._grad)
        return loss, accuracy


class Trainer(_Loop):
    """Training one epoch at a time, for a UI that shows the weights as they learn.

    >>> from rnn_tui.core.data import lesson_dataset
    >>> d = lesson_dataset()
    >>> trainer = Trainer(Weights.init(d.vocab), d)
    >>> loss, accuracy = trainer.epoch()
    >>> trainer.epochs, trainer.weights.Whh.shape
    (1, (3, 3))

    ``train`` is a loop over ``epoch``; the arguments are ``train``'s.
    ``GatedTrainer`` is the same for a GRU or an LSTM.
    """

    def __init__(
        self,
        weights: Weights,
        dataset: Dataset,
        lr: float | None = None,
        seed: int = 0,
        optimizer: str = "adam",
        clip: float | None = None,
        activation: str = "tanh",
        batch_size: int | None = None,
    ) -> None:
        check_activation(activation)
        self._setup(list(weights.vocab), dataset, lr, seed, optimizer, clip, batch_size)
        self.activation = activation
        self._act, self._dact = ACTIVATIONS[activation], DERIVATIVES[activation]
        self._p = Params(weights)
        self._theta, self._grad = self._p.theta, self._p.grad

    @property
    def weights(self) -> Weights:
        """A copy of the current weights."""
        return self._p.weights()

    def _loss_and_grads(self, batch: Batch) -> tuple[float, float]:
        return loss_and_grads(self._p, batch, self._act, self._dact)


class GatedParams:
    """A gated cell's weights as views into one flat float64 vector (and the same for grads)."""

    def __init__(self, weights: GatedWeights) -> None:
        self.cell, self.vocab, self.names = weights.cell, list(weights.vocab), weights.names
        shapes = [weights[n].shape for n in self.names]
        self.theta = np.concatenate([weights[n].reshape(-1) for n in self.names])
        self.grad = np.zeros_like(self.theta)
        self.W: dict[str, np.ndarray] = {}
        self.dW: dict[str, np.ndarray] = {}
        start = 0
        for name, shape in zip(self.names, shapes, strict=True):
            size = int(np.prod(shape))
            self.W[name] = self.theta[start:start + size].reshape(shape)
            self.dW[name] = self.grad[start:start + size].reshape(shape)
            start += size
        self.view = GatedWeights(self.cell, self.vocab, dict(self.W))
        self.view.arrays = self.W  # the views themselves: the forward pass reads theta

    def weights(self) -> GatedWeights:
        return GatedWeights(self.cell, self.vocab, {n: a.copy() for n, a in self.W.items()})


class GatedTrainer(_Loop):
    """``Trainer`` for a GRU or an LSTM (``rnn_tui.core.cells``): the same settings
    (no ``activation``: each gate has its own), the same loop and history."""

    def __init__(
        self,
        weights: GatedWeights,
        dataset: Dataset,
        lr: float | None = None,
        seed: int = 0,
        optimizer: str = "adam",
        clip: float | None = None,
        batch_size: int | None = None,
    ) -> None:
        self._setup(list(weights.vocab), dataset, lr, seed, optimizer, clip, batch_size)
        self.cell = weights.cell
        self._p = GatedParams(weights)
        self._theta, self._grad = self._p.theta, self._p.grad

    @property
    def weights(self) -> GatedWeights:
        """A copy of the current weights."""
        return self._p.weights()

    def _loss_and_grads(self, batch: Batch) -> tuple[float, float]:
        lengths = batch.active[:, :, 0].sum(axis=1)
        back = gated_backward(self._p.view, batch.X, lengths, batch.labels, keep_steps=False)
        for name, g in back.grads.items():
            self._p.dW[name][...] = g
        return back.loss, back.accuracy


def train(
    weights: Weights,
    dataset: Dataset,
    epochs: int,
    lr: float | None = None,
    seed: int = 0,
    optimizer: str = "adam",
    clip: float | None = None,
    activation: str = "tanh",
    callback: Callback | None = None,
    batch_size: int | None = None,
) -> TrainResult:
    """Train and return ``(new_weights, history)``; ``weights`` is not changed.

    Full-batch gradient descent unless ``batch_size`` is smaller than the
    dataset; then each epoch visits the sentences in an order shuffled by
    ``numpy.random.default_rng(seed)``. The same inputs and seed give the same
    result. ``lr`` defaults to ``DEFAULT_LR[optimizer]``; ``clip`` clips the
    gradient's global norm before each update. After every epoch
    ``callback(epoch, loss, accuracy)`` is called; returning False stops
    training there (e.g. from a UI's worker thread), with ``history.stopped``
    set. Raises TrainingError for bad settings or when the loss stops being finite.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise TrainingError(f"epochs: must be a whole number 0 or more, not {epochs!r}")
    trainer = Trainer(weights, dataset, lr=lr, seed=seed, optimizer=optimizer, clip=clip,
                      activation=activation, batch_size=batch_size)
    for epoch in range(1, epochs + 1):
        loss, accuracy = trainer.epoch()
        if callback is not None and callback(epoch, loss, accuracy) is False:
            trainer.history.stopped = epoch < epochs
            break
    return TrainResult(trainer.weights, trainer.history)


class GatedTrainResult(NamedTuple):
    weights: GatedWeights
    history: History


def train_gated(
    weights: GatedWeights,
    dataset: Dataset,
    epochs: int,
    lr: float | None = None,
    seed: int = 0,
    optimizer: str = "adam",
    clip: float | None = None,
    callback: Callback | None = None,
    batch_size: int | None = None,
) -> GatedTrainResult:
    """``train`` for a GRU or an LSTM: the same arguments (no activation), the same loop."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise TrainingError(f"epochs: must be a whole number 0 or more, not {epochs!r}")
    trainer = GatedTrainer(weights, dataset, lr=lr, seed=seed, optimizer=optimizer, clip=clip,
                           batch_size=batch_size)
    for epoch in range(1, epochs + 1):
        loss, accuracy = trainer.epoch()
        if callback is not None and callback(epoch, loss, accuracy) is False:
            trainer.history.stopped = epoch < epochs
            break
    return GatedTrainResult(trainer.weights, trainer.history)


# --- the built-in preset ---------------------------------------------------------------

#: How ``presets/trained.json`` is made (``make_trained_preset``). The same file, byte
#: for byte, from the command line (every other setting is ``rnn-tui train``'s default)::
#:
#:     rnn-tui train --epochs 2000 --seed 0 --decimals 6 --out rnn_tui/presets/trained.json
PRESET_RECIPE: dict[str, Any] = {
    "hidden": 3,
    "seed": 0,
    "bias": "scalar",
    "epochs": 2000,
    "optimizer": "adam",
    "lr": DEFAULT_LR["adam"],
    "activation": "tanh",
    "decimals": 6,
}


def rounded(weights: Weights, decimals: int) -> Weights:
    """The weights rounded to ``decimals`` places: shorter files, same bytes on any machine."""
    return Weights(
        list(weights.vocab),
        *(np.round(getattr(weights, n), decimals) + 0.0 for n in WEIGHT_NAMES),
    )


def make_trained_preset() -> Weights:
    """Train the lesson's network by ``PRESET_RECIPE`` (what ships as ``trained``)."""
    from rnn_tui.core.data import lesson_dataset

    r = PRESET_RECIPE
    dataset = lesson_dataset()
    start = Weights.init(dataset.vocab, hidden=r["hidden"], seed=r["seed"], bias=r["bias"])
    result = train(start, dataset, r["epochs"], lr=r["lr"], seed=r["seed"],
                   optimizer=r["optimizer"], activation=r["activation"])
    return rounded(result.weights, r["decimals"])


def preset_names() -> list[str]:
    """The built-in weights, loadable with ``--weights NAME``."""
    folder = resources.files("rnn_tui.core") / "presets"
    if not folder.is_dir():
        return []
    return sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".json"))


def load_weights(path_or_preset: str) -> Weights:
    """Weights from a JSON file or, when no such file exists, the built-in preset of that name."""
    if not Path(path_or_preset).exists() and path_or_preset in preset_names():
        return load_preset(path_or_preset)
    return Weights.load(path_or_preset)


def check_saved_pair(weights_path: str | Path, data_path: str | Path) -> None:
    """TrainingError when the two files were written by different saves (key ``s``).

    A save writes the sentences first, then the weights, both marked with one
    random id: the weights JSON's ``"save"`` and the data file's ``# saved with
    NAME, save ID`` line. A save killed between the two leaves a new data file
    beside the old weights; their ids differ. Files without ids (written by
    hand or another tool), a data file saved with another weights file, and a
    data file edited by hand that kept its line, are not refused.
    """
    from rnn_tui.core.data import MAX_INPUT_BYTES, read_text, save_id
    from rnn_tui.core.model import read_json

    weights_path, data_path = Path(weights_path), Path(data_path)
    data = read_json(weights_path, TrainingError, "weights file", MAX_INPUT_BYTES)
    said = data.get("save") if isinstance(data, dict) else None
    if not isinstance(said, str):
        return
    found = save_id(read_text(data_path, TrainingError, "data file", MAX_INPUT_BYTES))
    if found is not None and found[0] == printable(weights_path.name, 100) and found[1] != said:
        raise TrainingError(
            f"{printable(str(data_path), 200)} and {printable(str(weights_path), 200)} "
            "come from different saves (one was interrupted): save them again with s "
            "(or delete the '# saved with' line of the data file to use them together)"
        )


def load_preset(name: str) -> Weights:
    """Built-in weights by name (e.g. ``"trained"``)."""
    if name not in preset_names():
        known = ", ".join(preset_names()) or "none"
        raise TrainingError(f"no built-in weights named {name!r} (built in: {known})")
    text = (resources.files("rnn_tui.core") / "presets" / f"{name}.json").read_text("utf-8")
    return Weights.from_dict(json.loads(text))


# --- the gated cells' presets -------------------------------------------------------------

#: How ``presets/trained-gru.json`` and ``presets/trained-lstm.json`` are made
#: (``make_cell_preset``); the same files, byte for byte, from the command line::
#:
#:     rnn-tui train --cell gru --seed 0 --decimals 6 --out rnn_tui/core/presets/trained-gru.json
#:     rnn-tui train --cell lstm --seed 0 --decimals 6 --out rnn_tui/core/presets/trained-lstm.json
CELL_PRESET_RECIPE: dict[str, dict[str, Any]] = {
    cell: {"hidden": 3, "seed": 0, "epochs": 2000, "optimizer": "adam",
           "lr": DEFAULT_LR["adam"], "decimals": 6}
    for cell in ("gru", "lstm")
}


def cell_preset_name(cell: str) -> str:
    """A cell's built-in trained weights: ``trained`` (rnn), ``trained-gru``, ``trained-lstm``."""
    return "trained" if cell == "rnn" else f"trained-{cell}"


def make_cell_preset(cell: str) -> GatedWeights:
    """Train the lesson's GRU or LSTM by ``CELL_PRESET_RECIPE[cell]``."""
    from rnn_tui.core.data import lesson_dataset

    r = CELL_PRESET_RECIPE[cell]
    dataset = lesson_dataset()
    start = GatedWeights.init(cell, dataset.vocab, hidden=r["hidden"], seed=r["seed"])
    result = train_gated(start, dataset, r["epochs"], lr=r["lr"], seed=r["seed"],
                         optimizer=r["optimizer"])
    return rounded_gated(result.weights, r["decimals"])


def rounded_gated(weights: GatedWeights, decimals: int) -> GatedWeights:
    """``rounded`` for a gated cell's weights."""
    return GatedWeights(weights.cell, list(weights.vocab),
                        {n: np.round(weights[n], decimals) + 0.0 for n in weights.names})


def load_any_weights(path_or_preset: str) -> Weights | GatedWeights:
    """Weights of any cell from a JSON file or, when no such file exists, a built-in preset.

    A file or preset without a ``"cell"`` key is the vanilla RNN's (``Weights``).
    """
    from rnn_tui.core.cells import load_any

    if not Path(path_or_preset).exists() and path_or_preset in preset_names():
        text = (resources.files("rnn_tui.core") / "presets"
                / f"{path_or_preset}.json").read_text("utf-8")
        return weights_from_dict(json.loads(text))
    return load_any(path_or_preset)
