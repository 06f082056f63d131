"""The lesson's many-to-one vanilla RNN in plain NumPy (float64, row vectors).

::

    h_0 = 0
    h_t = tanh(x_t · Wxh + h_{t-1} · Whh + Bh)      t = 1..T
    z   = h_T · Wy + By
    y   = sigmoid(z)

The weights, the activations, the loss and ``forward``, which runs the whole
batch at once. ``rnn_tui.core.stepper`` runs it one time step at a time and
keeps every step. Nothing here imports Textual or Rich: use it from a notebook
as well as from the app.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rnn_tui.core.data import (
    MAX_FILE_BYTES,
    MAX_HIDDEN,
    MAX_INPUT_BYTES,
    MAX_VOCAB,
    DataError,
    atomic_write_text,
    brief,
    control_character,
    printable,
    read_text,
)

BIAS_KINDS = ("scalar", "vector")



def save_json(weights: dict, path: str | Path) -> None:
    """A weights dict written as JSON atomically (a temporary file in the same
    folder, then rename); WeightsError (one line) if it can't be written."""
    try:
        import json  # here, not at start-up: the first frame needs no JSON

        atomic_write_text(path, json.dumps(weights, indent=1) + "\n")
    except OSError as exc:
        raise WeightsError(f"{printable(str(path), 200)}: cannot write "
                           f"({exc.strerror or exc})") from None

class WeightsError(ValueError):
    """Bad weights (shape, value or file); the message is one line."""


class OverflowedError(ValueError):
    """The forward pass gave an infinite or NaN number: the weights are too large."""


# --- activations ---------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function: no overflow for any finite z."""
    z = np.asarray(z, dtype=np.float64)
    # exp(-|z|) is in (0, 1]: it never overflows, and its underflow to 0 for
    # |z| > ~745 is exact enough; ignore it even under np.seterr(all="raise").
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


#: Hidden-layer activations by name. The lesson uses tanh.
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": relu,
    "sigmoid": sigmoid,
}


# --- the cell, the output and the loss: written once, used everywhere -------------


def cell(
    x: np.ndarray | None,
    h_prev: np.ndarray,
    w: Weights | WeightArrays,
    act: Callable[[np.ndarray], np.ndarray],
    xWxh: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One time step of the recurrence, for a batch of row vectors::

        h_t = act(x_t · Wxh + h_{t-1} · Whh + Bh)

    x (B, V) one-hot inputs, h_prev (B, H) h_{t-1}; ``w`` has Wxh (V, H),
    Whh (H, H) and bh (1, 1) or (1, H), broadcast over the batch. Pass ``xWxh``
    (B, H) instead of x when every step's x · Wxh was computed at once.
    Returns ``(xWxh, hWhh, pre, h)``, each (B, H): the three terms of the sum
    as the lesson shows them, the sum before the activation, and h_t.
    """
    if xWxh is None:
        xWxh = x @ w.Wxh  # (B, V) @ (V, H) -> (B, H)
    hWhh = h_prev @ w.Whh  # (B, H) @ (H, H) -> (B, H)
    pre = xWxh + hWhh + w.bh  # (B, H) + (B, H) + (1, 1) or (1, H)
    return xWxh, hWhh, pre, act(pre)


def output(h_last: np.ndarray, w: Weights | WeightArrays) -> tuple[np.ndarray, np.ndarray]:
    """The many-to-one output ``z = h_T · Wy + By``, ``y = sigmoid(z)``.

    h_last (B, H) @ Wy (H, 1) + by (1, 1) -> z (B, 1); returns ``(z, y)``.
    """
    z = h_last @ w.Wy + w.by
    return z, sigmoid(z)


def bce(y: np.ndarray, z: np.ndarray, target: np.ndarray | float) -> np.ndarray:
    """Binary cross-entropy of y = sigmoid(z) against 0/1 targets, per row.

    Computed from the logit z as log(1 + e^z) - target·z, which stays finite
    where log(y) would be log(0).
    """
    del y  # the logit form is exact; y is accepted for readability at call sites
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    target = np.asarray(target, dtype=np.float64).reshape(-1)
    with np.errstate(under="ignore"):  # log(1 + e^-1e300) underflows to 0: harmless
        return np.logaddexp(0.0, z) - target * z


# --- weights -------------------------------------------------------------------

#: The network's weights, in the order the lesson, the files and the optimizer use.
WEIGHT_NAMES = ("Wxh", "Whh", "bh", "Wy", "by")
_KEYS = ("vocab", *WEIGHT_NAMES)  # a weights file's keys


class WeightArrays(NamedTuple):
    """The five weight matrices without the vocabulary (e.g. views into one flat vector)."""

    Wxh: np.ndarray  # (V, H)
    Whh: np.ndarray  # (H, H)
    bh: np.ndarray  # (1, 1) or (1, H)
    Wy: np.ndarray  # (H, 1)
    by: np.ndarray  # (1, 1)


@dataclass
class Weights:
    """The network's parameters and the vocabulary whose one-hots they take.

    Shapes (V = len(vocab), H = hidden nodes)::

        Wxh (V, H)   Whh (H, H)   bh (1, 1) or (1, H)   Wy (H, 1)   by (1, 1)
    """

    vocab: list[str]
    Wxh: np.ndarray
    Whh: np.ndarray
    bh: np.ndarray
    Wy: np.ndarray
    by: np.ndarray

    def __post_init__(self) -> None:
        self.vocab = [str(v) for v in self.vocab]
        for name in WEIGHT_NAMES:
            setattr(self, name, np.array(getattr(self, name), dtype=np.float64, ndmin=2))
        self.validate()

    # shapes
    @property
    def hidden(self) -> int:
        return self.Whh.shape[0]

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def bias(self) -> str:
        """``"scalar"`` for a (1, 1) bias broadcast over the hidden nodes, else ``"vector"``."""
        return "scalar" if self.bh.shape == (1, 1) else "vector"

    def validate(self) -> None:
        """Raise WeightsError naming the key and the problem, if any."""
        V, H = len(self.vocab), self.Whh.shape[0]
        if V == 0:
            raise WeightsError("vocab: is empty")
        if len(set(self.vocab)) != V:
            raise WeightsError("vocab: has repeated tokens")
        for token in self.vocab:
            if control_character(token) is not None:
                raise WeightsError(f"vocab: the token {brief(token)} has a control character")
        expected = {
            "Wxh": [(V, H)],
            "Whh": [(H, H)],
            "bh": [(1, 1), (1, H)],
            "Wy": [(H, 1)],
            "by": [(1, 1)],
        }
        if self.Whh.ndim != 2 or self.Whh.shape[0] != self.Whh.shape[1] or H == 0:
            raise WeightsError(f"Whh: shape {self.Whh.shape} is not square (H, H)")
        for name, shapes in expected.items():
            arr = getattr(self, name)
            if arr.shape not in shapes:
                want = " or ".join(str(s) for s in shapes)
                if name == "Wxh" and arr.ndim == 2 and arr.shape[1] == H:
                    raise WeightsError(
                        f"Wxh: has {arr.shape[0]} rows but vocab has {V} tokens"
                    )
                raise WeightsError(f"{name}: shape {arr.shape}, expected {want}")
            if not np.all(np.isfinite(arr)):
                raise WeightsError(f"{name}: contains NaN or infinite values")

    # construction
    @classmethod
    def init(
        cls,
        vocab: Sequence[str],
        hidden: int = 3,
        seed: int = 0,
        bias: str = "scalar",
    ) -> Weights:
        """Seeded random weights, the same on any machine for the same seed.

        Every entry is drawn uniformly from ±1/√hidden (PyTorch's RNN init),
        from ``numpy.random.default_rng(seed)`` (PCG64, platform independent),
        in the order Wxh, Whh, bh, Wy, by.
        """
        if bias not in BIAS_KINDS:
            raise WeightsError(f"bias: must be 'scalar' or 'vector', not {bias!r}")
        if int(hidden) < 1:
            raise WeightsError(f"hidden: must be at least 1, not {hidden}")
        V, H = len(vocab), int(hidden)
        rng = np.random.default_rng(seed)
        k = 1.0 / math.sqrt(H)

        def draw(*shape: int) -> np.ndarray:
            return rng.uniform(-k, k, size=shape)

        return cls(
            vocab=list(vocab),
            Wxh=draw(V, H),
            Whh=draw(H, H),
            bh=draw(1, 1 if bias == "scalar" else H),
            Wy=draw(H, 1),
            by=draw(1, 1),
        )

    def extend_vocab(self, new_tokens: Sequence[str], seed: int = 0) -> Weights:
        """A copy whose vocabulary ends with ``new_tokens``, with fresh seeded Wxh rows.

        Tokens already in the vocabulary (or repeated) are skipped. Row ``i`` of
        Wxh is drawn uniformly from ±1/√hidden by ``default_rng([seed, i])``, so
        it depends only on the seed and the row's position: adding two tokens
        at once or one after the other gives the same weights. Other weights
        are copied unchanged.
        """
        vocab = list(self.vocab)
        for token in new_tokens:
            token = str(token)
            if not token or token.split() != [token]:
                raise WeightsError(f"vocab: {brief(token)} is not a token (empty or has spaces)")
            if control_character(token) is not None:  # the data's fault, as below
                raise DataError(f"the token {brief(token)} has a control character")
            if token not in vocab:
                vocab.append(token)
        if len(vocab) > MAX_VOCAB:  # the data's fault: a DataError, as the editor expects
            raise DataError(f"{len(vocab):,} distinct tokens, more than the limit of "
                            f"{MAX_VOCAB:,}")
        k = 1.0 / math.sqrt(self.hidden)
        rows = [
            np.random.default_rng([int(seed), i]).uniform(-k, k, size=self.hidden)
            for i in range(self.vocab_size, len(vocab))
        ]
        Wxh = np.vstack([self.Wxh, *rows]) if rows else self.Wxh.copy()
        return Weights(vocab, Wxh, self.Whh.copy(), self.bh.copy(), self.Wy.copy(),
                       self.by.copy())

    def with_entry(self, name: str, row: int, col: int, value: float) -> Weights:
        """A copy with ``name[row, col] = value`` (name one of Wxh, Whh, bh, Wy, by)."""
        if name not in WEIGHT_NAMES:
            raise WeightsError(f"{name}: not a weight (one of {', '.join(WEIGHT_NAMES)})")
        value = float(value)
        if not math.isfinite(value):
            raise WeightsError(f"{name}: {value} is not a finite number")
        shape = getattr(self, name).shape
        if not (0 <= row < shape[0] and 0 <= col < shape[1]):
            raise WeightsError(f"{name}: no entry ({row}, {col}) in shape {shape}")
        out = self.copy()
        getattr(out, name)[row, col] = value
        return out

    def copy(self) -> Weights:
        return Weights(
            list(self.vocab),
            self.Wxh.copy(),
            self.Whh.copy(),
            self.bh.copy(),
            self.Wy.copy(),
            self.by.copy(),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Weights):
            return NotImplemented
        return self.vocab == other.vocab and all(
            np.array_equal(getattr(self, k), getattr(other, k)) for k in WEIGHT_NAMES
        )

    # JSON
    def to_dict(self) -> dict:
        out: dict = {"vocab": list(self.vocab)}
        for name in WEIGHT_NAMES:
            out[name] = getattr(self, name).tolist()
        return out

    @classmethod
    def from_dict(cls, data: object) -> Weights:
        if not isinstance(data, dict):
            raise WeightsError("weights: expected a JSON object with keys " + ", ".join(_KEYS))
        cell = data.get("cell", "rnn")
        if cell != "rnn":  # a gated cell's file: rnn_tui.core.cells reads it
            raise WeightsError(f"cell: these are the weights of a {brief(cell)} cell, not the "
                               "vanilla rnn's (use --cell with that cell)")
        for key in _KEYS:
            if key not in data:
                raise WeightsError(f"{key}: missing")
        vocab = data["vocab"]
        if not isinstance(vocab, list) or not all(isinstance(v, str) for v in vocab):
            raise WeightsError("vocab: must be a list of strings")
        if len(vocab) > MAX_VOCAB:  # before any array is made
            raise WeightsError(f"vocab: {len(vocab):,} tokens, more than the limit of "
                               f"{MAX_VOCAB:,}")
        Whh = data["Whh"]
        if isinstance(Whh, list) and len(Whh) > MAX_HIDDEN:
            raise WeightsError(f"Whh: {len(Whh)} rows (hidden nodes), more than the limit "
                               f"of {MAX_HIDDEN}")
        arrays = {}
        for key in WEIGHT_NAMES:
            arrays[key] = _matrix(key, data[key])
        return cls(vocab=vocab, **arrays)

    def save(self, path: str | Path) -> None:
        """Write JSON atomically: a temporary file in the same folder, then rename."""
        save_json(self.to_dict(), path)

    @classmethod
    def load(cls, path: str | Path) -> Weights:
        path = Path(path)
        data = read_json(path, WeightsError, "weights file", MAX_INPUT_BYTES)
        try:
            return cls.from_dict(data)
        except WeightsError as exc:
            raise WeightsError(f"{printable(str(path), 200)}: {exc}") from None


def read_json(path: Path, error: type[ValueError], what: str,
              limit: int = MAX_FILE_BYTES) -> object:
    """The JSON in ``path``, or ``error`` with a one-line message naming the file.

    UTF-8, a byte order mark tolerated; ``what`` names the kind of file.
    """
    import json

    text = read_text(path, error, what, limit)
    name = printable(str(path), 200)
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise error(f"{name}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:  # '[[[[…' deeper than Python's stack
        raise error(f"{name}: not valid JSON (nested too deeply)") from None
    except ValueError as exc:  # anything else the parser refuses
        raise error(f"{name}: not valid JSON ({printable(str(exc), 100)})") from None


def _json_int(text: str) -> int | float:
    """A JSON integer: a long one becomes a float (inf past 1e308), never an error.

    Python refuses to convert integers of more than 4,300 digits, and a
    400-digit one overflows a float64 later: both are just "not finite" here.
    """
    return int(text) if len(text) <= 18 else float(text)


def _matrix(key: str, value: object) -> np.ndarray:
    """A nested list of numbers as a 2-D float64 array, or a WeightsError."""
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise WeightsError(f"{key}: must be a non-empty list of rows (a matrix)")
    widths = {len(r) for r in value}
    if len(widths) != 1:
        raise WeightsError(f"{key}: rows have different lengths {brief(sorted(widths))}")
    if len(value) * len(value[0]) > MAX_VOCAB * MAX_HIDDEN:  # before looking at each entry
        raise WeightsError(f"{key}: {len(value):,} × {len(value[0]):,} entries, more than "
                           f"the largest weights ({MAX_VOCAB:,} × {MAX_HIDDEN})")
    for row in value:
        for v in row:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise WeightsError(f"{key}: {brief(v)} is not a number")
    try:
        arr = np.array(value, dtype=np.float64)
    except OverflowError:  # a Python int too big for a float64
        raise WeightsError(f"{key}: contains NaN or infinite values") from None
    if not np.all(np.isfinite(arr)):
        raise WeightsError(f"{key}: contains NaN or infinite values")
    return arr


# --- the batch forward pass (the reference) ------------------------------------


def check_lengths(X: np.ndarray, lengths: Sequence[int] | np.ndarray | None) -> np.ndarray:
    B, T = X.shape[0], X.shape[1]
    if lengths is None:
        return np.full(B, T, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if lengths.shape != (B,):
        raise ValueError(f"lengths: {lengths.shape[0]} lengths for a batch of {B}")
    if np.any(lengths < 1) or np.any(lengths > T):
        raise ValueError(f"lengths: each must be in 1..{T}")
    return lengths


def check_X(weights: Weights, X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3:
        raise ValueError(f"X: shape {X.shape}, expected (batch, time steps, features)")
    if X.shape[2] != weights.vocab_size:
        raise ValueError(
            f"X: {X.shape[2]} features but the weights take {weights.vocab_size}"
        )
    return X


def forward(
    weights: Weights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None = None,
    activation: str = "tanh",
) -> tuple[np.ndarray, np.ndarray]:
    """The whole batch at once. Returns ``(H, y)``: (B, T, hidden) and (B, 1).

    Past a sentence's own end (padding), its hidden state is carried unchanged,
    so ``H[b, -1]`` is always sentence b's state after its last token, and
    ``y[b]`` is read there.
    """
    X = check_X(weights, X)
    B, T, _ = X.shape
    lengths = check_lengths(X, lengths)
    act = ACTIVATIONS[activation]
    active = np.arange(T)[None, :] < lengths[:, None]  # (B, T)
    # Every step's input term at once: (B, T, V) @ (V, H) -> (B, T, H).
    XW = X @ weights.Wxh
    H = np.zeros((B, T, weights.hidden))
    h = np.zeros((B, weights.hidden))
    for t in range(T):
        h_t = cell(None, h, weights, act, xWxh=XW[:, t])[3]
        h = np.where(active[:, t, None], h_t, h)  # padding: h carried unchanged
        H[:, t] = h
    _, y = output(h, weights)
    return H, y
