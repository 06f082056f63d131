"""Backpropagation through time and training for the lesson's RNN (plain NumPy, float64).

The forward pass (see ``rnn_tui.core.engine``), for a batch of B sentences::

    pre_t = x_t · Wxh + h_{t-1} · Whh + Bh          h_t = act(pre_t)      t = 1..T
    z     = h_T · Wy + By                           y   = sigmoid(z)
    L     = mean over the batch of  BCE(y, target)

and its backward pass, from the output back to t = 1::

    dL/dz       = (y - target) / B                  (sigmoid + cross-entropy)
    dWy         = h_Tᵀ · dL/dz        dBy = sum of dL/dz
    dL/dh_T     = dL/dz · Wyᵀ
    dL/dpre_t   = dL/dh_t ⊙ act'(pre_t)             act' = 1 - h_t² for tanh
    dWxh       += x_tᵀ · dL/dpre_t
    dWhh       += h_{t-1}ᵀ · dL/dpre_t
    dBh        += dL/dpre_t  (summed over the batch, and over the hidden nodes if Bh is (1, 1))
    dL/dh_{t-1} = dL/dpre_t · Whhᵀ

Past a sentence's own end the engine carries h unchanged (h_t = h_{t-1}), so
there dL/dh_{t-1} = dL/dh_t and the padded step adds nothing to any gradient.

``gradients`` is the batch gradient; ``backward_trace`` is the same computation
for one sentence, every intermediate kept, for a view that steps backwards;
``train`` runs SGD or Adam. Nothing here imports Textual or Rich.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rnn_tui.core.data import Dataset, printable
from rnn_tui.core.engine import ACTIVATIONS, Weights, _check_X, _lengths, forward, sigmoid


class TrainingError(ValueError):
    """Bad training settings, or training that diverged; the message is one line."""


# --- activation derivatives -------------------------------------------------------


def dtanh(pre: np.ndarray, h: np.ndarray) -> np.ndarray:
    """tanh'(pre) = 1 - tanh(pre)² = 1 - h²."""
    return 1.0 - h * h


def drelu(pre: np.ndarray, h: np.ndarray) -> np.ndarray:
    """relu'(pre) = 1 where pre > 0, else 0 (0 at the kink)."""
    return (pre > 0.0).astype(np.float64)


def dsigmoid(pre: np.ndarray, h: np.ndarray) -> np.ndarray:
    """sigmoid'(pre) = h (1 - h)."""
    return h * (1.0 - h)


#: d act / d pre, as a function of (pre, h = act(pre)), by activation name.
DERIVATIVES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "tanh": dtanh,
    "relu": drelu,
    "sigmoid": dsigmoid,
}


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise TrainingError(
            f"activation: must be one of {', '.join(ACTIVATIONS)}, not {activation!r}"
        )


def _check_labels(labels: object, batch: int) -> np.ndarray:
    if labels is None:
        raise TrainingError("labels: needed for the loss, but none were given")
    target = np.asarray(labels, dtype=np.float64).reshape(-1)
    if target.shape != (batch,):
        raise TrainingError(f"labels: {target.size} labels for a batch of {batch}")
    if not np.all((target == 0.0) | (target == 1.0)):
        raise TrainingError("labels: each must be 0 or 1")
    return target.reshape(-1, 1)


# --- gradients -----------------------------------------------------------------------


@dataclass
class Grads:
    """dL/d(each weight), each the shape of the weight it belongs to."""

    dWxh: np.ndarray  # (V, H)
    dWhh: np.ndarray  # (H, H)
    dbh: np.ndarray  # (1, 1) or (1, H), like weights.bh
    dWy: np.ndarray  # (H, 1)
    dby: np.ndarray  # (1, 1)

    NAMES = ("dWxh", "dWhh", "dbh", "dWy", "dby")

    def arrays(self) -> list[np.ndarray]:
        return [getattr(self, n) for n in self.NAMES]

    def norm(self) -> float:
        """The global norm: √(sum of every squared entry of every gradient)."""
        return math.sqrt(sum(float(np.sum(a * a)) for a in self.arrays()))


class _Params:
    """The five weights as views into one flat float64 vector (and the same for grads).

    One flat vector makes an optimizer step, clipping and the gradient norm a
    handful of NumPy calls instead of five of each: that is most of the speed.
    """

    NAMES = ("Wxh", "Whh", "bh", "Wy", "by")

    def __init__(self, weights: Weights) -> None:
        self.vocab = list(weights.vocab)
        self.shapes = [getattr(weights, n).shape for n in self.NAMES]
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.theta = np.concatenate([getattr(weights, n).reshape(-1) for n in self.NAMES])
        self.grad = np.zeros_like(self.theta)
        self.W = self._views(self.theta, sizes)
        self.dW = self._views(self.grad, sizes)

    def _views(self, flat: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
        views, start = [], 0
        for size, shape in zip(sizes, self.shapes, strict=True):
            views.append(flat[start:start + size].reshape(shape))
            start += size
        return views

    def weights(self) -> Weights:
        return Weights(self.vocab, *(w.copy() for w in self.W))


class _Batch:
    """A batch prepared once for many forward/backward passes."""

    def __init__(self, X: np.ndarray, lengths: np.ndarray, target: np.ndarray) -> None:
        B, T, V = X.shape
        self.X = X
        self.B, self.T = B, T
        self.target = target  # (B, 1) float
        self.labels = target.reshape(-1)
        active = np.arange(T)[None, :] < lengths[:, None]  # (B, T)
        self.padded = not bool(active.all())
        self.active = active[:, :, None]  # (B, T, 1) bool: True for a real token, False padding
        self.X_flat_T = np.ascontiguousarray(X.reshape(B * T, V).T)  # (V, B·T)


def _loss_and_grads(
    p: _Params, batch: _Batch, act: Callable, dact: Callable
) -> tuple[float, float]:
    """Forward and backward over ``batch``; writes p.dW in place, returns (loss, accuracy)."""
    Wxh, Whh, bh, Wy, by = p.W
    dWxh, dWhh, dbh, dWy, dby = p.dW
    B, T, X = batch.B, batch.T, batch.X
    H = Whh.shape[0]

    # forward, keeping pre_t and h_t (Hs[:, t] is h_t; Hs[:, 0] is h_0 = 0)
    XWxh = X @ Wxh  # (B, T, H): every step's input term at once
    Pre = np.empty((B, T, H))
    Hs = np.zeros((B, T + 1, H))
    for t in range(T):
        h_prev = Hs[:, t]
        pre = XWxh[:, t] + h_prev @ Whh + bh
        Pre[:, t] = pre
        h = act(pre)
        if batch.padded:  # past a sentence's end, h is carried unchanged (as the engine does)
            h = np.where(batch.active[:, t], h, h_prev)
        Hs[:, t + 1] = h
    h_T = Hs[:, T]
    z = h_T @ Wy + by
    y = sigmoid(z)
    target = batch.target
    loss = float(np.mean(np.logaddexp(0.0, z) - target * z))
    accuracy = float(np.mean((y[:, 0] >= 0.5) == (batch.labels == 1.0)))

    # backward
    dz = (y - target) / B  # (B, 1)
    dWy[...] = h_T.T @ dz
    dby[...] = dz.sum()
    dh = dz @ Wy.T  # (B, H) dL/dh_T
    dAct = dact(Pre, Hs[:, 1:])  # (B, T, H): act'(pre_t) for every step
    if batch.padded:
        dAct *= batch.active
    dPre = np.empty((B, T, H))
    WhhT = Whh.T
    for t in range(T - 1, -1, -1):
        dpre = dh * dAct[:, t]
        dPre[:, t] = dpre
        dh_prev = dpre @ WhhT
        if batch.padded:  # a carried h passes its gradient back unchanged
            dh_prev = np.where(batch.active[:, t], dh_prev, dh)
        dh = dh_prev
    dPre_flat = dPre.reshape(B * T, H)
    dWxh[...] = batch.X_flat_T @ dPre_flat
    dWhh[...] = Hs[:, :T].reshape(B * T, H).T @ dPre_flat
    dbh[...] = dPre_flat.sum() if bh.shape == (1, 1) else dPre_flat.sum(axis=0)
    return loss, accuracy


def _prepare(
    weights: Weights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None,
    labels: Sequence[int] | np.ndarray,
    activation: str,
) -> tuple[_Batch, Callable, Callable]:
    _check_activation(activation)
    X = _check_X(weights, X)
    lengths = _lengths(X, lengths)
    target = _check_labels(labels, X.shape[0])
    return _Batch(X, lengths, target), ACTIVATIONS[activation], DERIVATIVES[activation]


def gradients(
    weights: Weights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None,
    labels: Sequence[int] | np.ndarray,
    activation: str = "tanh",
) -> tuple[float, Grads]:
    """Mean binary cross-entropy over the batch, and its gradient for every weight (BPTT).

    ``X`` is (B, T, V) one-hot, ``lengths`` each sentence's own length (None:
    all T), ``labels`` 0/1 per sentence. ``weights`` is not changed.
    """
    batch, act, dact = _prepare(weights, X, lengths, labels, activation)
    p = _Params(weights)
    loss, _ = _loss_and_grads(p, batch, act, dact)
    return loss, Grads(*(g.copy() for g in p.dW))


def evaluate(weights: Weights, dataset: Dataset, activation: str = "tanh") -> tuple[float, float]:
    """(mean loss, accuracy) of ``weights`` on ``dataset``: accuracy counts y >= 0.5 as 1."""
    _check_activation(activation)
    if tuple(dataset.vocab) != tuple(weights.vocab):
        dataset = dataset.with_vocab(weights.vocab)
    H, y = forward(weights, dataset.X, dataset.lengths, activation)
    z = H[:, -1] @ weights.Wy + weights.by
    loss = float(np.mean(np.logaddexp(0.0, z[:, 0]) - dataset.labels * z[:, 0]))
    accuracy = float(np.mean((y[:, 0] >= 0.5) == (dataset.labels == 1)))
    return loss, accuracy


# --- one sentence, every intermediate kept -----------------------------------------------


@dataclass(frozen=True)
class BackwardStep:
    """Time step ``t`` of one sentence's backward pass. Vectors are 1-D (H,) arrays.

    ``dh`` arrives from step t+1 (or from the output at t = T); this step turns
    it into ``dpre``, adds its share to dWxh, dWhh and dBh, and passes
    ``dh_prev`` on to step t-1.
    """

    t: int  # 1-based
    token: str
    x: np.ndarray  # (V,) the one-hot read at t
    h_prev: np.ndarray  # (H,) h_{t-1}
    pre: np.ndarray  # (H,) x_t·Wxh + h_{t-1}·Whh + Bh
    h: np.ndarray  # (H,) h_t = act(pre)
    dh: np.ndarray  # (H,) dL/dh_t
    dact: np.ndarray  # (H,) act'(pre_t): 1 - h_t² for tanh
    dpre: np.ndarray  # (H,) dL/dpre_t = dh ⊙ dact
    dWxh: np.ndarray  # (V, H) this step's share: x_tᵀ · dpre (only the token's row is non-zero)
    dWhh: np.ndarray  # (H, H) this step's share: h_{t-1}ᵀ · dpre
    dbh: np.ndarray  # (1, 1) or (1, H) this step's share: dpre (summed if Bh is scalar)
    dh_prev: np.ndarray  # (H,) dL/dh_{t-1} = dpre · Whhᵀ
    dh_norm: float  # ‖dL/dh_t‖: watch it shrink (vanish) or grow (explode) going back
    grad_norm: float  # ‖(dWxh, dWhh, dbh) of this step‖: how much this step teaches


@dataclass(frozen=True)
class BackwardTrace:
    """One sentence's backward pass, from the output back to t = 1.

    The loss here is that sentence's own BCE (not divided by the batch size):
    the batch gradient from ``gradients`` is the mean of ``trace.grads`` over
    the sentences. Padded steps (past the sentence's end) pass the gradient
    through unchanged and add nothing, so ``steps`` lists only t = length..1.
    """

    b: int  # which sentence of the batch
    tokens: tuple[str, ...]
    target: int
    h_T: np.ndarray  # (H,) the hidden state the output reads
    z: float
    y: float
    loss: float
    dz: float  # dL/dz = y - target
    dWy: np.ndarray  # (H, 1) h_Tᵀ · dz
    dby: np.ndarray  # (1, 1) dz
    dh_T: np.ndarray  # (H,) dL/dh_T = dz · Wyᵀ
    steps: tuple[BackwardStep, ...]  # t = length, length-1, ..., 1 (backward order)
    dWxh: np.ndarray  # (V, H) sum of the steps' shares
    dWhh: np.ndarray  # (H, H)
    dbh: np.ndarray  # (1, 1) or (1, H)

    @property
    def length(self) -> int:
        return len(self.tokens)

    def step(self, t: int) -> BackwardStep:
        """The record of time step t (1-based)."""
        if not 1 <= t <= self.length:
            raise IndexError(f"t: must be in 1..{self.length}, not {t}")
        return self.steps[self.length - t]

    @property
    def dh_norms(self) -> np.ndarray:
        """‖dL/dh_t‖ for t = 1..length (forward order), ready to plot."""
        return np.array([s.dh_norm for s in reversed(self.steps)])

    @property
    def grads(self) -> Grads:
        return Grads(self.dWxh, self.dWhh, self.dbh, self.dWy, self.dby)


def backward_trace(
    weights: Weights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None,
    labels: Sequence[int] | np.ndarray,
    b: int,
    activation: str = "tanh",
) -> BackwardTrace:
    """The backward pass of sentence ``b`` of the batch, every intermediate kept.

    Takes the same arguments as a ``Stepper`` (its ``weights``, ``X``,
    ``lengths``, ``labels``, ``activation``) plus the sentence index.
    """
    _check_activation(activation)
    X = _check_X(weights, X)
    lengths = _lengths(X, lengths)
    target_all = _check_labels(labels, X.shape[0])
    if not 0 <= b < X.shape[0]:
        raise TrainingError(f"b: must be in 0..{X.shape[0] - 1}, not {b}")
    act, dact = ACTIVATIONS[activation], DERIVATIVES[activation]
    W = weights
    L = int(lengths[b])
    x_seq = X[b, :L]  # (L, V)
    target = float(target_all[b, 0])

    # forward, keeping everything
    h_prev = np.zeros(W.hidden)
    hs, pres = [h_prev], []
    for t in range(L):
        pre = x_seq[t] @ W.Wxh + h_prev @ W.Whh + W.bh[0]
        h_prev = act(pre)
        pres.append(pre)
        hs.append(h_prev)
    h_T = hs[-1]
    z = float(h_T @ W.Wy[:, 0] + W.by[0, 0])
    y = float(sigmoid(np.array(z)))
    loss = float(np.logaddexp(0.0, z) - target * z)

    # backward
    dz = y - target
    dWy = (h_T * dz).reshape(-1, 1)
    dby = np.array([[dz]])
    dh_T = dz * W.Wy[:, 0]
    dh = dh_T
    steps = []
    dWxh_total = np.zeros_like(W.Wxh)
    dWhh_total = np.zeros_like(W.Whh)
    dbh_total = np.zeros_like(W.bh)
    for t in range(L, 0, -1):
        x, pre, h, h_prev = x_seq[t - 1], pres[t - 1], hs[t], hs[t - 1]
        dact_t = dact(pre, h)
        dpre = dh * dact_t
        dWxh = np.outer(x, dpre)
        dWhh = np.outer(h_prev, dpre)
        dbh = np.array([[dpre.sum()]]) if W.bh.shape == (1, 1) else dpre.reshape(1, -1)
        dh_prev = dpre @ W.Whh.T
        grad_norm = math.sqrt(float(np.sum(dWxh**2) + np.sum(dWhh**2) + np.sum(dbh**2)))
        steps.append(BackwardStep(
            t=t,
            token=W.vocab[int(np.argmax(x))],
            x=x.copy(),
            h_prev=h_prev,
            pre=pre,
            h=h,
            dh=dh,
            dact=dact_t,
            dpre=dpre,
            dWxh=dWxh,
            dWhh=dWhh,
            dbh=dbh,
            dh_prev=dh_prev,
            dh_norm=float(np.linalg.norm(dh)),
            grad_norm=grad_norm,
        ))
        dWxh_total += dWxh
        dWhh_total += dWhh
        dbh_total += dbh
        dh = dh_prev
    return BackwardTrace(
        b=b,
        tokens=tuple(s.token for s in reversed(steps)),
        target=int(target),
        h_T=h_T,
        z=z,
        y=y,
        loss=loss,
        dz=dz,
        dWy=dWy,
        dby=dby,
        dh_T=dh_T,
        steps=tuple(steps),
        dWxh=dWxh_total,
        dWhh=dWhh_total,
        dbh=dbh_total,
    )


# --- optimizers -------------------------------------------------------------------------


class SGD:
    """Plain gradient descent: θ ← θ - lr·g."""

    name = "sgd"

    def __init__(self, lr: float) -> None:
        self.lr = float(lr)

    def step(self, theta: np.ndarray, g: np.ndarray) -> None:
        """Update the flat parameter vector ``theta`` in place."""
        theta -= self.lr * g


class Adam:
    """Adam (Kingma & Ba), written as PyTorch's ``torch.optim.Adam`` computes it::

        m ← β1·m + (1-β1)·g          v ← β2·v + (1-β2)·g²
        θ ← θ - lr/(1-β1ᵗ) · m / (√v / √(1-β2ᵗ) + ε)
    """

    name = "adam"

    def __init__(
        self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.lr, self.beta1, self.beta2, self.eps = float(lr), beta1, beta2, eps
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.t = 0

    def step(self, theta: np.ndarray, g: np.ndarray) -> None:
        """Update the flat parameter vector ``theta`` in place."""
        if self.m is None or self.v is None:
            self.m = np.zeros_like(theta)
            self.v = np.zeros_like(theta)
        self.t += 1
        m, v, b1, b2 = self.m, self.v, self.beta1, self.beta2
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        denom = np.sqrt(v)
        denom /= math.sqrt(1.0 - b2**self.t)
        denom += self.eps
        theta -= (self.lr / (1.0 - b1**self.t)) * (m / denom)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}

#: A learning rate that works for the lesson, per optimizer (``train``'s default).
DEFAULT_LR = {"sgd": 0.5, "adam": 0.05}


def clip_by_global_norm(g: np.ndarray, max_norm: float) -> float:
    """Scale the flat gradient ``g`` in place so its norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: returns the norm before clipping.
    """
    norm = math.sqrt(float(g @ g))
    if norm > max_norm:
        g *= max_norm / (norm + 1e-6)
    return norm


# --- training ----------------------------------------------------------------------------


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


class Trainer:
    """Training one epoch at a time, for a UI that shows the weights as they learn.

    >>> from rnn_tui.core.data import lesson_dataset
    >>> d = lesson_dataset()
    >>> trainer = Trainer(Weights.init(d.vocab), d)
    >>> loss, accuracy = trainer.epoch()
    >>> trainer.epochs, trainer.weights.Whh.shape
    (1, (3, 3))

    ``train`` is a loop over ``epoch``; the arguments are ``train``'s.
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
        _check_activation(activation)
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
        if tuple(dataset.vocab) != tuple(weights.vocab):
            dataset = dataset.with_vocab(weights.vocab)  # DataError if a token is unknown
        self.dataset = dataset
        self.activation, self.optimizer, self.lr, self.clip = activation, optimizer, lr, clip
        self.batch_size = batch_size
        self._act, self._dact = ACTIVATIONS[activation], DERIVATIVES[activation]
        self._p = _Params(weights)
        self._opt = OPTIMIZERS[optimizer](lr)
        self._target = dataset.labels.astype(np.float64).reshape(-1, 1)
        full = batch_size is None or batch_size >= len(dataset)
        self._whole = _Batch(dataset.X, dataset.lengths, self._target) if full else None
        self._rng = np.random.default_rng(seed)
        self.history = History()

    @property
    def epochs(self) -> int:
        """Epochs done so far."""
        return self.history.epochs

    @property
    def weights(self) -> Weights:
        """A copy of the current weights."""
        return self._p.weights()

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
        p = self._p
        if not math.isfinite(loss) and not self.history.losses:
            raise TrainingError(  # the loss before any update: the starting weights
                f"the numbers overflowed: the loss of the starting weights is {loss} "
                "(the weights are too large)"
            )
        if not math.isfinite(loss) or not np.all(np.isfinite(p.theta)):
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
            part = _Batch(d.X[idx], d.lengths[idx], self._target[idx])
            part_loss, part_accuracy = self._update(part)
            loss += part_loss * len(idx) / n
            accuracy += part_accuracy * len(idx) / n
        return loss, accuracy

    def _update(self, batch: _Batch) -> tuple[float, float]:
        p = self._p
        loss, accuracy = _loss_and_grads(p, batch, self._act, self._dact)
        if self.clip is not None:
            clip_by_global_norm(p.grad, self.clip)
        self._opt.step(p.theta, p.grad)
        return loss, accuracy


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


# --- the built-in preset ---------------------------------------------------------------

#: How ``presets/trained.json`` is made (``make_trained_preset``). The same file, byte
#: for byte, from the command line (every other setting is ``rnn-tui train``'s default)::
#:
#:     rnn-tui train --epochs 2000 --seed 0 --decimals 6 --out rnn_tui/presets/trained.json
PRESET_RECIPE = {
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
        *(np.round(getattr(weights, n), decimals) + 0.0 for n in _Params.NAMES),
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
    from rnn_tui.core.engine import read_json

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
