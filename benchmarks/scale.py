"""Row 4: the engine at scale, and the Stepper's memory per step.

A batch of B random one-hot sentences of T tokens over a vocabulary of V, H
hidden nodes. Three ways to run the forward pass, alternated, median of runs:

- bare: the smallest NumPy loop, ``h = tanh(X[:, t] @ Wxh + h @ Whh + bh)``, keeping nothing;
- ``forward``: the engine's batch pass (keeps H, (B, T, H));
- ``Stepper``: one step at a time, keeping a ``StepRecord`` per step.

Memory: the Stepper's history is measured with tracemalloc (NumPy reports its
buffers to it) at T/2 and T steps; per step it must be a constant number of
(B, H) arrays, so the whole history is O(T·B·H), and x must be a view of X.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rnn_tui.core.model import Weights, forward
from rnn_tui.core.stepper import Stepper


def make_problem(hidden: int, vocab: int, batch: int, steps: int,
                 seed: int = 0) -> tuple[Weights, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = Weights.init([f"w{i}" for i in range(vocab)], hidden=hidden, seed=seed)
    X = np.zeros((batch, steps, vocab))
    tokens = rng.integers(0, vocab, size=(batch, steps))
    X[np.arange(batch)[:, None], np.arange(steps)[None, :], tokens] = 1.0
    return weights, X


def bare_loop(weights: Weights, X: np.ndarray) -> np.ndarray:
    Wxh, Whh, bh = weights.Wxh, weights.Whh, weights.bh
    h = np.zeros((X.shape[0], Whh.shape[0]))
    for t in range(X.shape[1]):
        h = np.tanh(X[:, t] @ Wxh + h @ Whh + bh)
    return h


def run_forward(weights: Weights, X: np.ndarray) -> np.ndarray:
    return forward(weights, X)[0][:, -1]


def run_stepper(weights: Weights, X: np.ndarray) -> np.ndarray:
    s = Stepper(weights, X)
    s.run()
    return s.h


WAYS: dict[str, Callable[[Weights, np.ndarray], np.ndarray]] = {
    "bare": bare_loop,
    "forward": run_forward,
    "stepper": run_stepper,
}


@dataclass
class Memory:
    per_step: float  # bytes the history grows by per step (second half of the run)
    per_step_first_half: float
    bh_bytes: int  # one (B, H) float64 array
    x_is_view: bool

    @property
    def arrays_per_step(self) -> float:
        return self.per_step / self.bh_bytes

    @property
    def linear(self) -> bool:
        """The same growth in both halves: nothing grows with t."""
        a, b = self.per_step_first_half, self.per_step
        return abs(a - b) <= 0.1 * max(a, b, 1.0)


@dataclass
class Scale:
    hidden: int
    vocab: int
    batch: int
    steps: int
    seconds: dict[str, list[float]] = field(default_factory=dict)
    memory: Memory | None = None


def measure_memory(weights: Weights, X: np.ndarray) -> Memory:
    B, T = X.shape[0], X.shape[1]
    half = T // 2
    tracemalloc.start()
    try:
        s = Stepper(weights, X)
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(half):
            s.step()
        middle = tracemalloc.get_traced_memory()[0]
        for _ in range(T - half):
            s.step()
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    x_is_view = all(not r.x.flags.owndata and np.may_share_memory(r.x, X) for r in s.history)
    return Memory(
        per_step=(end - middle) / (T - half),
        per_step_first_half=(middle - start) / max(half, 1),
        bh_bytes=B * weights.hidden * 8,
        x_is_view=x_is_view,
    )


def measure(hidden: int = 512, vocab: int = 10_000, batch: int = 64, steps: int = 100,
            runs: int = 5) -> Scale:
    weights, X = make_problem(hidden, vocab, batch, steps)
    out = Scale(hidden, vocab, batch, steps, {name: [] for name in WAYS})
    reference = bare_loop(weights, X)  # also a warm-up
    for name, way in WAYS.items():  # warm-up, and the three must agree
        if not np.allclose(way(weights, X), reference, atol=1e-10):
            raise AssertionError(f"{name} disagrees with the bare loop")
    names = list(WAYS)
    for i in range(runs):
        for name in names[i % len(names):] + names[: i % len(names)]:  # rotate the order
            start = time.perf_counter()
            WAYS[name](weights, X)
            out.seconds[name].append(time.perf_counter() - start)
    out.memory = measure_memory(weights, X)
    return out
