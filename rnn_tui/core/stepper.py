"""The forward pass one time step at a time, every step kept (stepping back is free).

``Stepper`` computes what ``rnn_tui.core.model.forward`` computes, for the
whole batch, and keeps each step's terms for the lesson's views. Nothing here
imports Textual or Rich.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rnn_tui.core.model import (
    ACTIVATIONS,
    OverflowedError,
    Weights,
    bce,
    cell,
    check_lengths,
    check_X,
    output,
)


@dataclass(frozen=True)
class StepRecord:
    """Everything computed in time step ``t`` (1-based), for the whole batch."""

    t: int
    tokens: tuple[str | None, ...]  # (B,) the token read, None for padding
    active: np.ndarray  # (B,) bool: False where the sentence has ended
    x: np.ndarray  # (B, V) one-hot input (zeros for padding)
    h_prev: np.ndarray  # (B, H) h_{t-1}
    xWxh: np.ndarray  # (B, H)
    hWhh: np.ndarray  # (B, H) h_{t-1} · Whh
    bias: np.ndarray  # (1, 1) or (1, H), as stored: broadcast over the batch
    pre: np.ndarray  # (B, H) the sum before the activation
    h: np.ndarray  # (B, H) h_t (carried unchanged where not active)


@dataclass(frozen=True)
class Output:
    """The many-to-one output, read at each sentence's last token."""

    h_last: np.ndarray  # (B, H)
    z: np.ndarray  # (B, 1) h_T · Wy + by
    y: np.ndarray  # (B, 1) sigmoid(z)
    prediction: np.ndarray  # (B, 1) int: 1 where y >= 0.5
    target: np.ndarray | None  # (B, 1) int, when labels are known
    loss: np.ndarray | None  # (B,) binary cross-entropy per sentence
    mean_loss: float | None


@dataclass(init=False)
class Stepper:
    """Run the forward pass one time step at a time, keeping every step.

    >>> from rnn_tui.core.data import lesson_dataset
    >>> d = lesson_dataset()
    >>> s = Stepper(Weights.init(d.vocab), d.X, d.lengths, d.labels)
    >>> s.step().xWxh.shape
    (3, 3)
    """

    # The fields as checked: __init__ takes wider input (lists, None) and
    # stores these, so every reader sees the checked types.
    weights: Weights
    X: np.ndarray  # (B, T, V) float
    lengths: np.ndarray  # (B,) int, each in 1..T
    labels: np.ndarray | None  # (B,) int, when labels are known
    vocab: Sequence[str]
    activation: str
    history: list[StepRecord] = field(default_factory=list, init=False)

    def __init__(
        self,
        weights: Weights,
        X: np.ndarray,
        lengths: Sequence[int] | np.ndarray | None = None,
        labels: Sequence[int] | np.ndarray | None = None,
        vocab: Sequence[str] | None = None,
        activation: str = "tanh",
    ) -> None:
        self.weights = weights
        self.activation = activation
        self.history = []
        self.X = check_X(weights, X)
        self.lengths = check_lengths(self.X, lengths)
        self.labels = None
        if labels is not None:
            self.labels = np.asarray(labels, dtype=np.int64).reshape(-1)
            if self.labels.shape != (self.batch,):
                raise ValueError(f"labels: {self.labels.size} labels for a batch of {self.batch}")
        self.vocab = self.weights.vocab if vocab is None else vocab
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: one of {', '.join(ACTIVATIONS)}")
        self._act = ACTIVATIONS[self.activation]
        self._output: Output | None = None

    # where we are
    @property
    def batch(self) -> int:
        return self.X.shape[0]

    @property
    def steps(self) -> int:
        """T, the number of time steps (the longest sentence)."""
        return self.X.shape[1]

    @property
    def t(self) -> int:
        """Time steps taken so far: 0 before the first, ``steps`` at the end."""
        return len(self.history)

    @property
    def done(self) -> bool:
        return self.t >= self.steps

    @property
    def h(self) -> np.ndarray:
        """The current hidden state h_t, (B, H); zeros at t = 0."""
        if self.history:
            return self.history[-1].h
        return np.zeros((self.batch, self.weights.hidden))

    @property
    def H(self) -> np.ndarray:
        """History h_1..h_t as (B, t, H)."""
        if not self.history:
            return np.zeros((self.batch, 0, self.weights.hidden))
        return np.stack([r.h for r in self.history], axis=1)

    def tokens_at(self, t: int) -> tuple[str | None, ...]:
        """The tokens read at time step t (1-based), None past a sentence's end."""
        out: list[str | None] = []
        for b in range(self.batch):
            if t > self.lengths[b]:
                out.append(None)
            else:
                out.append(self.vocab[int(np.argmax(self.X[b, t - 1]))])
        return tuple(out)

    # moving
    def step(self) -> StepRecord | None:
        """Advance one time step for the whole batch and return its record.

        At the end this is a no-op: it returns None.
        """
        if self.done:
            return None
        W = self.weights
        t = self.t + 1
        x = self.X[:, t - 1]
        h_prev = self.h
        active = self.lengths >= t
        xWxh, hWhh, pre, h_t = cell(x, h_prev, W, self._act)
        h = np.where(active[:, None], h_t, h_prev)  # padding: h carried unchanged
        record = StepRecord(
            t=t,
            tokens=self.tokens_at(t),
            active=active,
            x=x,
            h_prev=h_prev,
            xWxh=xWxh,
            hWhh=hWhh,
            bias=W.bh,
            pre=pre,
            h=h,
        )
        self.history.append(record)
        return record

    def back(self) -> bool:
        """Undo one time step. At t = 0 this is a no-op: returns False."""
        if not self.history:
            return False
        self.history.pop()
        return True

    def reset(self) -> None:
        """Back to t = 0."""
        self.history.clear()

    def run(self) -> Output:
        """Step to the end and return the output."""
        while not self.done:
            self.step()
        out = self.output
        assert out is not None  # done, so the output is there
        return out

    @property
    def output(self) -> Output | None:
        """z, y, prediction and loss once done; None before the end."""
        if not self.done:
            return None
        if self._output is None or self._output.h_last is not self.h:
            self._output = self._compute_output()
        return self._output

    def _compute_output(self) -> Output:
        W = self.weights
        h_last = self.h
        z, y = output(h_last, W)
        prediction = (y >= 0.5).astype(np.int64)
        target = loss = mean_loss = None
        if self.labels is not None:
            target = self.labels.reshape(-1, 1)
            loss = bce(y, z, target)
            mean_loss = float(loss.mean())
        return Output(h_last, z, y, prediction, target, loss, mean_loss)


# --- overflow ------------------------------------------------------------------


def _first_bad(arr: np.ndarray) -> tuple[int, float] | None:
    """(row, value) of the first non-finite entry of a (B, …) array, or None."""
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return index[0], float(arr[index])


def overflow(stepper: Stepper) -> str | None:
    """Where the steps taken so far stopped being finite numbers, or None.

    Sums on padding rows are not looked at (nothing uses them). The message is
    one line, e.g. ``the numbers overflowed: sum at t = 2 of sentence 0 is inf``.
    """
    found: tuple[str, int, float] | None = None
    for r in stepper.history:
        for name, arr in (("x·Wxh", r.xWxh), ("h·Whh", r.hWhh), ("sum", r.pre), ("h", r.h)):
            bad = _first_bad(arr[r.active])
            if bad is not None:
                rows = np.flatnonzero(r.active)
                found = (f"{name} at t = {r.t}", int(rows[bad[0]]), bad[1])
                break
        if found:
            break
    out = stepper.output
    if found is None and out is not None:
        named: tuple[tuple[str, np.ndarray | None], ...] = (
            ("z", out.z), ("y", out.y), ("loss", out.loss))
        for name, values in named:
            bad = None if values is None else _first_bad(values)
            if bad is not None:
                found = (name, bad[0], bad[1])
                break
        if found is None and out.mean_loss is not None and not math.isfinite(out.mean_loss):
            return (f"the numbers overflowed: the mean loss is {out.mean_loss} "
                    "(the weights are too large)")
    if found is None:
        return None
    what, b, value = found
    return (f"the numbers overflowed: {what} of sentence {b + 1} is {value} "
            "(the weights are too large)")


def check_overflow(stepper: Stepper) -> None:
    """OverflowedError when :func:`overflow` finds a number that is not finite."""
    message = overflow(stepper)
    if message:
        raise OverflowedError(message)
