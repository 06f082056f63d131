"""Backpropagation through time and training for the lesson's RNN (plain NumPy, float64).

The forward pass (see ``rnn_tui.core.model``), for a batch of B sentences::

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
``rnn_tui.core.train`` runs SGD or Adam
(``rnn_tui.core.optim``) on it. Nothing here imports Textual or Rich.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rnn_tui.core.data import Dataset
from rnn_tui.core.model import (
    ACTIVATIONS,
    WEIGHT_NAMES,
    WeightArrays,
    Weights,
    bce,
    cell,
    check_lengths,
    check_X,
    forward,
    output,
)


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


def check_activation(activation: str) -> None:
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

    NAMES = tuple(f"d{name}" for name in WEIGHT_NAMES)  # dWxh, dWhh, dbh, dWy, dby

    def arrays(self) -> list[np.ndarray]:
        return [getattr(self, n) for n in self.NAMES]

    def norm(self) -> float:
        """The global norm: √(sum of every squared entry of every gradient)."""
        return math.sqrt(sum(float(np.sum(a * a)) for a in self.arrays()))


class Params:
    """The five weights as views into one flat float64 vector (and the same for grads).

    One flat vector makes an optimizer step, clipping and the gradient norm a
    handful of NumPy calls instead of five of each: that is most of the speed.
    """

    def __init__(self, weights: Weights) -> None:
        self.vocab = list(weights.vocab)
        self.shapes = [getattr(weights, n).shape for n in WEIGHT_NAMES]
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.theta = np.concatenate([getattr(weights, n).reshape(-1) for n in WEIGHT_NAMES])
        self.grad = np.zeros_like(self.theta)
        self.W = WeightArrays(*self._views(self.theta, sizes))
        self.dW = WeightArrays(*self._views(self.grad, sizes))

    def _views(self, flat: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
        views, start = [], 0
        for size, shape in zip(sizes, self.shapes, strict=True):
            views.append(flat[start:start + size].reshape(shape))
            start += size
        return views

    def weights(self) -> Weights:
        return Weights(self.vocab, *(w.copy() for w in self.W))


class Batch:
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


def loss_and_grads(
    p: Params, batch: Batch, act: Callable, dact: Callable
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
        _, _, pre, h = cell(None, h_prev, p.W, act, xWxh=XWxh[:, t])
        Pre[:, t] = pre
        if batch.padded:  # past a sentence's end, h is carried unchanged (as the engine does)
            h = np.where(batch.active[:, t], h, h_prev)
        Hs[:, t + 1] = h
    h_T = Hs[:, T]
    z, y = output(h_T, p.W)
    target = batch.target
    loss = float(np.mean(bce(y, z, target)))
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
) -> tuple[Batch, Callable, Callable]:
    check_activation(activation)
    X = check_X(weights, X)
    lengths = check_lengths(X, lengths)
    target = _check_labels(labels, X.shape[0])
    return Batch(X, lengths, target), ACTIVATIONS[activation], DERIVATIVES[activation]


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
    p = Params(weights)
    loss, _ = loss_and_grads(p, batch, act, dact)
    return loss, Grads(*(g.copy() for g in p.dW))


def evaluate(weights: Weights, dataset: Dataset, activation: str = "tanh") -> tuple[float, float]:
    """(mean loss, accuracy) of ``weights`` on ``dataset``: accuracy counts y >= 0.5 as 1."""
    check_activation(activation)
    if tuple(dataset.vocab) != tuple(weights.vocab):
        dataset = dataset.with_vocab(weights.vocab)
    H, _ = forward(weights, dataset.X, dataset.lengths, activation)
    z, y = output(H[:, -1], weights)
    loss = float(np.mean(bce(y, z, dataset.labels)))
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
    labels: Sequence[int] | np.ndarray | None,  # None: a TrainingError (no loss without)
    b: int,
    activation: str = "tanh",
) -> BackwardTrace:
    """The backward pass of sentence ``b`` of the batch, every intermediate kept.

    Takes the same arguments as a ``Stepper`` (its ``weights``, ``X``,
    ``lengths``, ``labels``, ``activation``) plus the sentence index.
    """
    check_activation(activation)
    X = check_X(weights, X)
    lengths = check_lengths(X, lengths)
    target_all = _check_labels(labels, X.shape[0])
    if not 0 <= b < X.shape[0]:
        raise TrainingError(f"b: must be in 0..{X.shape[0] - 1}, not {b}")
    act, dact = ACTIVATIONS[activation], DERIVATIVES[activation]
    W = weights
    L = int(lengths[b])
    x_seq = X[b, :L]  # (L, V)
    target = float(target_all[b, 0])

    # forward, keeping everything (the cell takes a batch of one row: (1, V), (1, H))
    h_prev = np.zeros(W.hidden)
    hs, pres = [h_prev], []
    for t in range(L):
        _, _, pre, h = cell(x_seq[t:t + 1], h_prev[None], W, act)
        pres.append(pre[0])
        hs.append(h[0])
        h_prev = h[0]
    h_T = hs[-1]
    z_row, y_row = output(h_T[None], W)  # (1, 1) each
    z, y = float(z_row[0, 0]), float(y_row[0, 0])
    loss = float(bce(y_row, z_row, target)[0])

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
