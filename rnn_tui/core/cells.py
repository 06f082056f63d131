"""The gated cells, GRU and LSTM, in plain NumPy (float64, row vectors, PyTorch's equations).

Row-vector convention, as the vanilla cell (``rnn_tui.core.model``)::

    GRU                                             LSTM
    r  = σ(x·Wxr + h·Whr + br)                      i  = σ(x·Wxi + h·Whi + bi)
    z  = σ(x·Wxz + h·Whz + bz)                      f  = σ(x·Wxf + h·Whf + bf)
    n  = tanh(x·Wxn + bxn + r ⊙ (h·Whn + bhn))      g  = tanh(x·Wxg + h·Whg + bg)
    h' = (1 − z) ⊙ n + z ⊙ h                        o  = σ(x·Wxo + h·Who + bo)
                                                    c' = f ⊙ c + i ⊙ g
                                                    h' = o ⊙ tanh(c')

    y = sigmoid(h_T·Wy + by)          many-to-one, read at each sentence's last token

Past a sentence's end (padding) h and c are carried unchanged, as the vanilla
cell carries h. Shapes (V = vocabulary, H = hidden nodes): every ``Wx*`` is
(V, H), every ``Wh*`` (H, H), every gate bias (1, H), Wy (H, 1), by (1, 1).

What is here:

- ``CellSpec`` / ``CELL_SPECS``: each cell's gates, weight names and shapes.
- ``GatedWeights``: the weights of a GRU or an LSTM (``w["Wxr"]``), seeded init
  as PyTorch's (uniform ±1/√H, drawn in ``names`` order), strict validation with
  one-line ``WeightsError``s, JSON with a ``"cell"`` key. ``load_any`` reads a
  weights file of any cell (a file without ``"cell"`` is the vanilla RNN's).
- ``cell_step`` (forward, one time step, every intermediate in a ``CellStep``)
  and ``forward_gated`` (the whole batch).
- ``GatedStepper``: step()/back() one time step with history, as ``Stepper``.
- ``gated_gradients`` / ``gated_backward``: BPTT, every step's gate gradients kept.

Nothing here imports Textual or Rich.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnn_tui.core.cursor import SUBSTEP_NAMES, SubStep
from rnn_tui.core.data import (
    MAX_HIDDEN,
    MAX_INPUT_BYTES,
    MAX_VOCAB,
    DataError,
    brief,
    control_character,
    printable,
)
from rnn_tui.core.model import (
    OverflowedError,
    Weights,
    WeightsError,
    _matrix,
    bce,
    check_lengths,
    read_json,
    save_json,
    sigmoid,
)
from rnn_tui.core.stepper import Output, Stepper

#: Every cell, by its ``--cell`` name.
CELLS = ("rnn", "gru", "lstm")
#: The cells with gates (this module); "rnn" is ``rnn_tui.core.model``'s.
GATED_CELLS = ("gru", "lstm")


# --- what each cell is made of ----------------------------------------------------------


@dataclass(frozen=True)
class CellSpec:
    """A gated cell's gates and weights.

    ``gates`` in the order they are computed, each with its activation;
    ``names`` every weight in file, init and optimizer order.
    """

    name: str
    gates: tuple[str, ...]
    activations: dict[str, str]  # gate -> "sigmoid" | "tanh"
    names: tuple[str, ...]

    def shapes(self, vocab_size: int, hidden: int) -> dict[str, tuple[int, int]]:
        """Each weight's shape: Wx* (V, H), Wh* (H, H), biases (1, H), Wy (H, 1), by (1, 1)."""
        out: dict[str, tuple[int, int]] = {}
        for n in self.names:
            if n == "Wy":
                out[n] = (hidden, 1)
            elif n == "by":
                out[n] = (1, 1)
            elif n.startswith("Wx"):
                out[n] = (vocab_size, hidden)
            elif n.startswith("Wh"):
                out[n] = (hidden, hidden)
            else:
                out[n] = (1, hidden)
        return out

    @property
    def substeps(self) -> tuple[SubStep, ...]:
        """The sub-steps of one time step (see ``rnn_tui.core.cursor.SUBSTEP_NAMES``)."""
        return SUBSTEP_NAMES[self.name]


GRU = CellSpec(
    "gru", ("r", "z", "n"), {"r": "sigmoid", "z": "sigmoid", "n": "tanh"},
    ("Wxr", "Whr", "br", "Wxz", "Whz", "bz", "Wxn", "Whn", "bxn", "bhn", "Wy", "by"),
)
LSTM = CellSpec(
    "lstm", ("i", "f", "g", "o"),
    {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid"},
    ("Wxi", "Whi", "bi", "Wxf", "Whf", "bf", "Wxg", "Whg", "bg", "Wxo", "Who", "bo",
     "Wy", "by"),
)
CELL_SPECS: dict[str, CellSpec] = {"gru": GRU, "lstm": LSTM}


def spec(cell: str) -> CellSpec:
    """The spec of a gated cell, or a WeightsError naming the choices."""
    if cell not in CELL_SPECS:
        raise WeightsError(f"cell: must be one of {', '.join(GATED_CELLS)} here, not "
                           f"{brief(cell)}")
    return CELL_SPECS[cell]


def gate_bias(cell: str, gate: str) -> str:
    """The name of the bias added to gate's x·W term (GRU's n: bxn)."""
    return "bxn" if (cell, gate) == ("gru", "n") else f"b{gate}"


# --- weights ----------------------------------------------------------------------------


@dataclass(init=False, eq=False)
class GatedWeights:
    """A GRU's or an LSTM's weights and the vocabulary whose one-hots they take.

    ``w["Wxr"]`` is one weight (float64, 2-D); ``w.Wy`` and ``w.by`` too, so
    ``rnn_tui.core.model.output`` reads them as the vanilla weights'.
    """

    cell: str
    vocab: list[str]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __init__(self, cell: str, vocab: Sequence[str], arrays: dict[str, object]) -> None:
        self.cell = str(cell)
        s = spec(self.cell)
        self.vocab = [str(v) for v in vocab]
        self.arrays = {}
        for name in s.names:
            if name not in arrays:
                raise WeightsError(f"{name}: missing")
            self.arrays[name] = np.array(arrays[name], dtype=np.float64, ndmin=2)
        extra = sorted(set(arrays) - set(s.names))
        if extra:
            raise WeightsError(f"{extra[0]}: not a weight of the {self.cell} cell")
        self.validate()

    @property
    def spec(self) -> CellSpec:
        return CELL_SPECS[self.cell]

    @property
    def names(self) -> tuple[str, ...]:
        return self.spec.names

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @property
    def Wy(self) -> np.ndarray:  # noqa: N802 (the lesson's name)
        return self.arrays["Wy"]

    @property
    def by(self) -> np.ndarray:
        return self.arrays["by"]

    @property
    def hidden(self) -> int:
        return int(self.arrays["Wy"].shape[0])

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def validate(self) -> None:
        """Raise WeightsError naming the key and the problem, if any."""
        V = len(self.vocab)
        if V == 0:
            raise WeightsError("vocab: is empty")
        if len(set(self.vocab)) != V:
            raise WeightsError("vocab: has repeated tokens")
        for token in self.vocab:
            if control_character(token) is not None:
                raise WeightsError(f"vocab: the token {brief(token)} has a control character")
        Wy = self.arrays["Wy"]
        if Wy.ndim != 2 or Wy.shape[1] != 1 or Wy.shape[0] == 0:
            raise WeightsError(f"Wy: shape {Wy.shape}, expected (H, 1)")
        H = Wy.shape[0]
        for name, shape in self.spec.shapes(V, H).items():
            arr = self.arrays[name]
            if arr.shape != shape:
                if name.startswith("Wx") and arr.ndim == 2 and arr.shape[1] == H:
                    raise WeightsError(f"{name}: has {arr.shape[0]} rows but vocab has "
                                       f"{V} tokens")
                raise WeightsError(f"{name}: shape {arr.shape}, expected {shape} "
                                   f"(H = {H} from Wy)")
            if not np.all(np.isfinite(arr)):
                raise WeightsError(f"{name}: contains NaN or infinite values")

    @classmethod
    def init(cls, cell: str, vocab: Sequence[str], hidden: int = 3,
             seed: int = 0) -> GatedWeights:
        """Seeded random weights, the same on any machine for the same seed.

        Every entry is drawn uniformly from ±1/√hidden (PyTorch's GRU and LSTM
        init, Wy and by too) from ``numpy.random.default_rng(seed)``, in
        ``CELL_SPECS[cell].names`` order.
        """
        s = spec(cell)
        if int(hidden) < 1:
            raise WeightsError(f"hidden: must be at least 1, not {hidden}")
        H = int(hidden)
        rng = np.random.default_rng(seed)
        k = 1.0 / math.sqrt(H)
        shapes = s.shapes(len(vocab), H)
        return cls(cell, list(vocab),
                   {n: rng.uniform(-k, k, size=shapes[n]) for n in s.names})

    def extend_vocab(self, new_tokens: Sequence[str], seed: int = 0) -> GatedWeights:
        """A copy whose vocabulary ends with ``new_tokens``; fresh seeded rows in every Wx*.

        As ``Weights.extend_vocab``: row ``i`` of the j-th Wx* matrix (in
        ``names`` order) is drawn from ``default_rng([seed, i, j])``.
        """
        vocab = list(self.vocab)
        for token in new_tokens:
            token = str(token)
            if not token or token.split() != [token]:
                raise WeightsError(f"vocab: {brief(token)} is not a token (empty or has spaces)")
            if control_character(token) is not None:
                raise DataError(f"the token {brief(token)} has a control character")
            if token not in vocab:
                vocab.append(token)
        if len(vocab) > MAX_VOCAB:
            raise DataError(f"{len(vocab):,} distinct tokens, more than the limit of "
                            f"{MAX_VOCAB:,}")
        k = 1.0 / math.sqrt(self.hidden)
        arrays = {n: a.copy() for n, a in self.arrays.items()}
        for j, name in enumerate(n for n in self.names if n.startswith("Wx")):
            rows = [np.random.default_rng([int(seed), i, j]).uniform(-k, k, size=self.hidden)
                    for i in range(self.vocab_size, len(vocab))]
            if rows:
                arrays[name] = np.vstack([arrays[name], *rows])
        return GatedWeights(self.cell, vocab, dict(arrays))

    def with_entry(self, name: str, row: int, col: int, value: float) -> GatedWeights:
        """A copy with ``name[row, col] = value``."""
        if name not in self.names:
            raise WeightsError(f"{name}: not a weight (one of {', '.join(self.names)})")
        value = float(value)
        if not math.isfinite(value):
            raise WeightsError(f"{name}: {value} is not a finite number")
        shape = self.arrays[name].shape
        if not (0 <= row < shape[0] and 0 <= col < shape[1]):
            raise WeightsError(f"{name}: no entry ({row}, {col}) in shape {shape}")
        out = self.copy()
        out.arrays[name][row, col] = value
        return out

    def copy(self) -> GatedWeights:
        return GatedWeights(self.cell, list(self.vocab),
                            {n: a.copy() for n, a in self.arrays.items()})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GatedWeights):
            return NotImplemented
        return (self.cell == other.cell and self.vocab == other.vocab
                and all(np.array_equal(self.arrays[n], other.arrays[n]) for n in self.names))

    __hash__ = None  # type: ignore[assignment]  # mutable arrays

    # JSON
    def to_dict(self) -> dict:
        out: dict = {"cell": self.cell, "vocab": list(self.vocab)}
        for name in self.names:
            out[name] = self.arrays[name].tolist()
        return out

    @classmethod
    def from_dict(cls, data: object) -> GatedWeights:
        if not isinstance(data, dict):
            raise WeightsError("weights: expected a JSON object with keys cell, vocab and "
                               "the cell's weights")
        cell = data.get("cell")
        if not isinstance(cell, str):
            raise WeightsError("cell: missing (one of gru, lstm)")
        s = spec(cell)
        for key in ("vocab", *s.names):
            if key not in data:
                raise WeightsError(f"{key}: missing (a {cell} cell has "
                                   f"{', '.join(s.names)})")
        extra = sorted(k for k in data if k not in ("cell", "vocab", "save", *s.names))
        if extra:
            raise WeightsError(f"{brief(extra[0])}: not a weight of the {cell} cell "
                               f"({', '.join(s.names)})")
        vocab = data["vocab"]
        if not isinstance(vocab, list) or not all(isinstance(v, str) for v in vocab):
            raise WeightsError("vocab: must be a list of strings")
        if len(vocab) > MAX_VOCAB:
            raise WeightsError(f"vocab: {len(vocab):,} tokens, more than the limit of "
                               f"{MAX_VOCAB:,}")
        Wy = data["Wy"]
        if isinstance(Wy, list) and len(Wy) > MAX_HIDDEN:
            raise WeightsError(f"Wy: {len(Wy)} rows (hidden nodes), more than the limit "
                               f"of {MAX_HIDDEN}")
        arrays: dict[str, object] = {n: _matrix(n, data[n]) for n in s.names}
        return cls(cell, vocab, arrays)

    def save(self, path: str | Path) -> None:
        """Write JSON atomically (a temporary file, then rename)."""
        save_json(self.to_dict(), path)

    @classmethod
    def load(cls, path: str | Path) -> GatedWeights:
        w = load_any(path)
        if not isinstance(w, GatedWeights):
            raise WeightsError(f"{printable(str(path), 200)}: cell: holds the vanilla rnn "
                               "cell, not a gated one")
        return w


def cell_of(data: object) -> str:
    """The cell a weights JSON object holds: its ``"cell"``, or "rnn" without one."""
    if isinstance(data, dict) and "cell" in data:
        cell = data["cell"]
        if not isinstance(cell, str) or cell not in CELLS:
            raise WeightsError(f"cell: must be one of {', '.join(CELLS)}, not {brief(cell)}")
        return cell
    return "rnn"


def weights_from_dict(data: object) -> Weights | GatedWeights:
    """Weights of any cell from a JSON object (no ``"cell"``: the vanilla RNN, as always)."""
    if cell_of(data) == "rnn":
        return Weights.from_dict(data)
    return GatedWeights.from_dict(data)


def load_any(path: str | Path) -> Weights | GatedWeights:
    """A weights file of any cell; a WeightsError (one line, naming the file) if bad."""
    path = Path(path)
    data = read_json(path, WeightsError, "weights file", MAX_INPUT_BYTES)
    try:
        return weights_from_dict(data)
    except WeightsError as exc:
        raise WeightsError(f"{printable(str(path), 200)}: {exc}") from None


# --- one time step ------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """One gate of one time step, for the whole batch; every array (B, H) but the biases.

    ``pre = xW + bias + hW`` for an ordinary gate; for GRU's n, ``pre = xW + bias
    + reset`` with ``hWb = hW + hbias`` and ``reset = r ⊙ hWb``.
    """

    name: str  # r z n | i f g o
    activation: str  # "sigmoid" | "tanh"
    xW: np.ndarray  # x · Wx_
    hW: np.ndarray  # h_{t-1} · Wh_
    bias: np.ndarray  # (1, H): b_ (GRU's n: bxn)
    pre: np.ndarray  # the sum before the activation
    value: np.ndarray  # the gate: activation(pre)
    hbias: np.ndarray | None = None  # GRU's n only: bhn (1, H)
    hWb: np.ndarray | None = None  # GRU's n only: h·Whn + bhn
    reset: np.ndarray | None = None  # GRU's n only: r ⊙ (h·Whn + bhn)


@dataclass(frozen=True)
class CellStep:
    """One time step of a gated cell, for the whole batch, before padding is applied.

    ``terms``: GRU ``new`` = (1 − z) ⊙ n, ``keep`` = z ⊙ h; LSTM ``forget`` = f ⊙ c,
    ``write`` = i ⊙ g, ``tanh_c`` = tanh(c').
    """

    gates: dict[str, Gate]
    terms: dict[str, np.ndarray]
    h: np.ndarray  # (B, H) h'
    c: np.ndarray | None  # (B, H) c' (LSTM), None for GRU


def _gate(w: GatedWeights, name: str, x: np.ndarray, h: np.ndarray) -> Gate:
    s = w.spec
    xW = x @ w[f"Wx{name}"]
    hW = h @ w[f"Wh{name}"]
    bias = w[gate_bias(w.cell, name)]
    pre = xW + hW + bias
    act = s.activations[name]
    value = sigmoid(pre) if act == "sigmoid" else np.tanh(pre)
    return Gate(name, act, xW, hW, bias, pre, value)


def cell_step(w: GatedWeights, x: np.ndarray, h: np.ndarray,
              c: np.ndarray | None = None) -> CellStep:
    """One time step of ``w``'s cell: x (B, V), h (B, H) h_{t-1}, c (B, H) c_{t-1} (LSTM).

    Returns every intermediate (``CellStep``); padding is the caller's (see
    ``GatedStepper.step``).
    """
    if w.cell == "gru":
        r = _gate(w, "r", x, h)
        z = _gate(w, "z", x, h)
        xW = x @ w["Wxn"]
        hW = h @ w["Whn"]
        hWb = hW + w["bhn"]
        reset = r.value * hWb
        pre = xW + w["bxn"] + reset
        n_value = np.tanh(pre)
        n = Gate("n", "tanh", xW, hW, w["bxn"], pre, n_value, w["bhn"], hWb, reset)
        new = (1.0 - z.value) * n_value
        keep = z.value * h
        return CellStep({"r": r, "z": z, "n": n}, {"new": new, "keep": keep}, new + keep, None)
    if c is None:
        c = np.zeros_like(h)
    gates = {g: _gate(w, g, x, h) for g in LSTM.gates}
    forget = gates["f"].value * c
    write = gates["i"].value * gates["g"].value
    c_new = forget + write
    tanh_c = np.tanh(c_new)
    h_new = gates["o"].value * tanh_c
    return CellStep(gates, {"forget": forget, "write": write, "tanh_c": tanh_c}, h_new, c_new)


def output(h_last: np.ndarray, w: GatedWeights) -> tuple[np.ndarray, np.ndarray]:
    """``z = h_T·Wy + by``, ``y = sigmoid(z)``: (B, 1) each."""
    z = h_last @ w.Wy + w.by
    return z, sigmoid(z)


def forward_gated(
    w: GatedWeights, X: np.ndarray, lengths: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The whole batch at once: ``(H, C, y)``, (B, T, hidden) twice (C None for GRU) and (B, 1).

    h (and c) are carried unchanged past a sentence's end.
    """
    X = _check_X(w, X)
    B, T, _ = X.shape
    lengths = check_lengths(X, lengths)
    active = np.arange(T)[None, :] < lengths[:, None]
    h = np.zeros((B, w.hidden))
    c = np.zeros((B, w.hidden)) if w.cell == "lstm" else None
    Hs = np.zeros((B, T, w.hidden))
    Cs = np.zeros((B, T, w.hidden)) if c is not None else None
    for t in range(T):
        step = cell_step(w, X[:, t], h, c)
        keep = active[:, t, None]
        h = np.where(keep, step.h, h)
        Hs[:, t] = h
        if c is not None and step.c is not None and Cs is not None:
            c = np.where(keep, step.c, c)
            Cs[:, t] = c
    _, y = output(h, w)
    return Hs, Cs, y


def _check_X(w: GatedWeights, X: np.ndarray) -> np.ndarray:
    # check_X reads only vocab_size: a stand-in with the same message
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3:
        raise ValueError(f"X: shape {X.shape}, expected (batch, time steps, features)")
    if X.shape[2] != w.vocab_size:
        raise ValueError(f"X: {X.shape[2]} features but the weights take {w.vocab_size}")
    return X


# --- the stepper --------------------------------------------------------------------------


@dataclass(frozen=True)
class GatedStepRecord:
    """Everything computed in time step ``t`` (1-based) of a gated cell, whole batch.

    ``gates``/``terms`` are ``CellStep``'s (computed on every row, padding
    included: read them where ``active``); ``h`` and ``c`` are after padding
    (carried unchanged where not active).
    """

    t: int
    tokens: tuple[str | None, ...]
    active: np.ndarray  # (B,) bool
    x: np.ndarray  # (B, V)
    h_prev: np.ndarray  # (B, H)
    c_prev: np.ndarray | None  # (B, H) LSTM
    gates: dict[str, Gate]
    terms: dict[str, np.ndarray]
    h: np.ndarray  # (B, H) h_t
    c: np.ndarray | None  # (B, H) c_t (LSTM)


@dataclass(init=False)
class GatedStepper:
    """A GRU's or an LSTM's forward pass one time step at a time, every step kept.

    The same interface as ``rnn_tui.core.stepper.Stepper`` (``step``, ``back``,
    ``reset``, ``run``, ``t``, ``done``, ``h``, ``H``, ``output``), plus ``c`` and
    ``C`` (the LSTM's memory and its history) and ``substeps``.

    A time step is one ``step()``; the app reveals it in sub-steps
    (``self.substeps``, the same as ``rnn_tui.core.cursor.SUBSTEP_NAMES[cell]``;
    ``Cursor(pos, steps, cell)`` does the arithmetic). Each names a gate (or the
    combination) and a part; the numbers are in the ``GatedStepRecord``:

    GRU (14 sub-steps)::

        r  xW    x·Wxr                     gates["r"].xW
        r  hW    h·Whr                     gates["r"].hW
        r  sum   x·Wxr + h·Whr + br        gates["r"].pre
        r  act   σ(sum)                    gates["r"].value
        z  xW, hW, sum, act                gates["z"]. ...           (as r)
        n  xW    x·Wxn + bxn               gates["n"].xW + gates["n"].bias
        n  hW    h·Whn + bhn               gates["n"].hWb
        n  reset r ⊙ (h·Whn + bhn)         gates["n"].reset
        n  sum   x·Wxn + bxn + r ⊙ (…)     gates["n"].pre
        n  act   tanh(sum)                 gates["n"].value
        h  h     (1 − z) ⊙ n + z ⊙ h       terms["new"], terms["keep"], h

    LSTM (18 sub-steps)::

        i  xW, hW, sum, act                gates["i"]: x·Wxi, h·Whi, + bi, σ
        f  xW, hW, sum, act                gates["f"]: σ
        g  xW, hW, sum, act                gates["g"]: tanh
        o  xW, hW, sum, act                gates["o"]: σ
        c  c     f ⊙ c + i ⊙ g             terms["forget"], terms["write"], c
        h  h     o ⊙ tanh(c')              terms["tanh_c"], h
    """

    weights: GatedWeights
    X: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray | None
    vocab: Sequence[str]
    history: list[GatedStepRecord] = field(default_factory=list, init=False)

    def __init__(
        self,
        weights: GatedWeights,
        X: np.ndarray,
        lengths: Sequence[int] | np.ndarray | None = None,
        labels: Sequence[int] | np.ndarray | None = None,
        vocab: Sequence[str] | None = None,
    ) -> None:
        self.weights = weights
        self.history = []
        self.X = _check_X(weights, X)
        self.lengths = check_lengths(self.X, lengths)
        self.labels = None
        if labels is not None:
            self.labels = np.asarray(labels, dtype=np.int64).reshape(-1)
            if self.labels.shape != (self.batch,):
                raise ValueError(f"labels: {self.labels.size} labels for a batch of {self.batch}")
        self.vocab = weights.vocab if vocab is None else vocab
        self._output: Output | None = None

    @property
    def cell(self) -> str:
        return self.weights.cell

    @property
    def substeps(self) -> tuple[SubStep, ...]:
        return SUBSTEP_NAMES[self.cell]

    @property
    def batch(self) -> int:
        return self.X.shape[0]

    @property
    def steps(self) -> int:
        return self.X.shape[1]

    @property
    def t(self) -> int:
        return len(self.history)

    @property
    def done(self) -> bool:
        return self.t >= self.steps

    @property
    def h(self) -> np.ndarray:
        """h_t, (B, H); zeros at t = 0."""
        if self.history:
            return self.history[-1].h
        return np.zeros((self.batch, self.weights.hidden))

    @property
    def c(self) -> np.ndarray | None:
        """c_t (LSTM), (B, H); zeros at t = 0; None for GRU."""
        if self.cell != "lstm":
            return None
        if self.history:
            return self.history[-1].c
        return np.zeros((self.batch, self.weights.hidden))

    @property
    def H(self) -> np.ndarray:
        """History h_1..h_t as (B, t, H)."""
        if not self.history:
            return np.zeros((self.batch, 0, self.weights.hidden))
        return np.stack([r.h for r in self.history], axis=1)

    @property
    def C(self) -> np.ndarray | None:
        """History c_1..c_t as (B, t, H) (LSTM); None for GRU."""
        if self.cell != "lstm":
            return None
        cs = [r.c for r in self.history if r.c is not None]
        if not cs:
            return np.zeros((self.batch, 0, self.weights.hidden))
        return np.stack(cs, axis=1)

    def tokens_at(self, t: int) -> tuple[str | None, ...]:
        out: list[str | None] = []
        for b in range(self.batch):
            if t > self.lengths[b]:
                out.append(None)
            else:
                out.append(self.vocab[int(np.argmax(self.X[b, t - 1]))])
        return tuple(out)

    def step(self) -> GatedStepRecord | None:
        """Advance one time step; None (no-op) at the end."""
        if self.done:
            return None
        t = self.t + 1
        x = self.X[:, t - 1]
        h_prev, c_prev = self.h, self.c
        active = self.lengths >= t
        s = cell_step(self.weights, x, h_prev, c_prev)
        h = np.where(active[:, None], s.h, h_prev)
        c = None
        if c_prev is not None and s.c is not None:
            c = np.where(active[:, None], s.c, c_prev)
        record = GatedStepRecord(t, self.tokens_at(t), active, x, h_prev, c_prev,
                                 s.gates, s.terms, h, c)
        self.history.append(record)
        return record

    def back(self) -> bool:
        if not self.history:
            return False
        self.history.pop()
        return True

    def reset(self) -> None:
        self.history.clear()

    def run(self) -> Output:
        while not self.done:
            self.step()
        out = self.output
        assert out is not None
        return out

    @property
    def output(self) -> Output | None:
        if not self.done:
            return None
        if self._output is None or self._output.h_last is not self.h:
            h_last = self.h
            z, y = output(h_last, self.weights)
            prediction = (y >= 0.5).astype(np.int64)
            target = loss = mean_loss = None
            if self.labels is not None:
                target = self.labels.reshape(-1, 1)
                loss = bce(y, z, target)
                mean_loss = float(loss.mean())
            self._output = Output(h_last, z, y, prediction, target, loss, mean_loss)
        return self._output


def gated_overflow(stepper: GatedStepper) -> str | None:
    """Where the steps so far stopped being finite, or None (one line, as ``overflow``)."""
    for r in stepper.history:
        named: list[tuple[str, np.ndarray | None]] = [
            (g.name, g.value) for g in r.gates.values()]
        named += [("c", r.c), ("h", r.h)]
        for name, arr in named:
            if arr is None:
                continue
            part = arr[r.active]
            bad = ~np.isfinite(part)
            if bad.any():
                row = int(np.flatnonzero(r.active)[np.argwhere(bad)[0][0]])
                return (f"the numbers overflowed: {name} at t = {r.t} of sentence {row + 1} is "
                        f"{float(part[bad][0])} (the weights are too large)")
    out = stepper.output
    if out is not None:
        for name, arr in (("z", out.z), ("y", out.y), ("loss", out.loss)):
            if arr is not None and not np.all(np.isfinite(arr)):
                return f"the numbers overflowed: {name} is not finite (the weights are too large)"
    return None


def check_gated_overflow(stepper: GatedStepper) -> None:
    message = gated_overflow(stepper)
    if message:
        raise OverflowedError(message)


# --- backpropagation through time ---------------------------------------------------------


@dataclass(frozen=True)
class GatedBackwardStep:
    """Time step ``t`` of the backward pass, whole batch; arrays (B, H).

    ``dh``/``dc`` arrive from step t+1 (or the output); ``dpre[gate]`` is
    dL/d(the gate's sum before its activation) (zero on padded rows);
    ``dh_prev``/``dc_prev`` go on to step t-1 (passed through unchanged on
    padded rows). GRU's n also has ``dpre["n_h"]`` = dL/d(h·Whn + bhn).
    """

    t: int
    dh: np.ndarray
    dc: np.ndarray | None
    dgate: dict[str, np.ndarray]  # dL/d(gate value)
    dpre: dict[str, np.ndarray]
    dh_prev: np.ndarray
    dc_prev: np.ndarray | None
    shares: dict[str, np.ndarray]  # this step's share of each weight's gradient (not Wy, by)


@dataclass(frozen=True)
class GatedBackward:
    loss: float
    accuracy: float
    grads: dict[str, np.ndarray]  # "Wxr" -> dL/dWxr, each the weight's shape
    dz: np.ndarray  # (B, 1)
    dh_T: np.ndarray  # (B, H)
    steps: tuple[GatedBackwardStep, ...]  # t = T..1 (backward order)

    def norm(self) -> float:
        return math.sqrt(sum(float(np.sum(g * g)) for g in self.grads.values()))


def _labels(labels: object, batch: int) -> np.ndarray:
    from rnn_tui.core.backprop import TrainingError

    if labels is None:
        raise TrainingError("labels: needed for the loss, but none were given")
    target = np.asarray(labels, dtype=np.float64).reshape(-1)
    if target.shape != (batch,):
        raise TrainingError(f"labels: {target.size} labels for a batch of {batch}")
    if not np.all((target == 0.0) | (target == 1.0)):
        raise TrainingError("labels: each must be 0 or 1")
    return target.reshape(-1, 1)


def backward_step(
    w: GatedWeights,
    s: CellStep,
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray | None,
    dh: np.ndarray,
    dc: np.ndarray | None,
    active: np.ndarray,
    t: int = 0,
) -> GatedBackwardStep:
    """One time step of the backward pass: ``s`` is the step's forward (``cell_step``),
    ``x`` (B, V), ``h_prev``/``c_prev`` (B, H) its inputs, ``dh``/``dc`` (B, H)
    dL/dh_t and dL/dc_t, ``active`` (B, 1) or (B,) False on padded rows.

    Returns the step's record: each gate's gradients, dh_prev/dc_prev, and its
    share of every weight's gradient (``shares``).
    """
    on = np.asarray(active, dtype=bool).reshape(-1, 1)
    g = {k: v.value for k, v in s.gates.items()}
    dgate: dict[str, np.ndarray] = {}
    dpre: dict[str, np.ndarray] = {}
    shares: dict[str, np.ndarray] = {}
    B, H = h_prev.shape
    if w.cell == "gru":
        dgate["n"] = dh * (1.0 - g["z"])
        dgate["z"] = dh * (h_prev - g["n"])
        dh_prev = dh * g["z"]
        dpre["n"] = dgate["n"] * (1.0 - g["n"] ** 2) * on
        hWb = s.gates["n"].hWb
        assert hWb is not None
        dgate["r"] = dpre["n"] * hWb
        dpre["n_h"] = dpre["n"] * g["r"]
        dpre["r"] = dgate["r"] * g["r"] * (1.0 - g["r"]) * on
        dpre["z"] = dgate["z"] * g["z"] * (1.0 - g["z"]) * on
        for k in ("r", "z"):
            shares[f"Wx{k}"] = x.T @ dpre[k]
            shares[f"Wh{k}"] = h_prev.T @ dpre[k]
            shares[f"b{k}"] = dpre[k].sum(axis=0, keepdims=True)
            dh_prev = dh_prev + dpre[k] @ w[f"Wh{k}"].T
        shares["Wxn"] = x.T @ dpre["n"]
        shares["Whn"] = h_prev.T @ dpre["n_h"]
        shares["bxn"] = dpre["n"].sum(axis=0, keepdims=True)
        shares["bhn"] = dpre["n_h"].sum(axis=0, keepdims=True)
        dh_prev = dh_prev + dpre["n_h"] @ w["Whn"].T
        dc_prev = None
    else:
        assert dc is not None and c_prev is not None
        tanh_c = s.terms["tanh_c"]
        dgate["o"] = dh * tanh_c
        dc_full = dc + dh * g["o"] * (1.0 - tanh_c ** 2)
        dgate["f"] = dc_full * c_prev
        dgate["i"] = dc_full * g["g"]
        dgate["g"] = dc_full * g["i"]
        for k in ("i", "f", "o"):
            dpre[k] = dgate[k] * g[k] * (1.0 - g[k]) * on
        dpre["g"] = dgate["g"] * (1.0 - g["g"] ** 2) * on
        dh_prev = np.zeros((B, H))
        for k in LSTM.gates:
            shares[f"Wx{k}"] = x.T @ dpre[k]
            shares[f"Wh{k}"] = h_prev.T @ dpre[k]
            shares[f"b{k}"] = dpre[k].sum(axis=0, keepdims=True)
            dh_prev += dpre[k] @ w[f"Wh{k}"].T
        dc_prev = np.where(on, dc_full * g["f"], dc)
    dh_prev = np.where(on, dh_prev, dh)
    return GatedBackwardStep(t, dh, dc, dgate, dpre, dh_prev, dc_prev, shares)


def gated_backward(
    w: GatedWeights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None,
    labels: Sequence[int] | np.ndarray,
    keep_steps: bool = True,
    dh_T: np.ndarray | None = None,
) -> GatedBackward:
    """Mean binary cross-entropy over the batch and its gradient for every weight (BPTT).

    The backward pass, from ``dL/dz = (y − target)/B`` back to t = 1 (σ' = s(1−s),
    tanh' = 1 − v²)::

        GRU   dn = dh'⊙(1−z)   dz = dh'⊙(h − n)   dh = dh'⊙z
              dpre_n = dn⊙(1−n²);  d(h·Whn+bhn) = dpre_n⊙r;  dr = dpre_n⊙(h·Whn+bhn)
        LSTM  dc = dc' + dh'⊙o⊙(1 − tanh²c')   do = dh'⊙tanh c'
              df = dc⊙c   di = dc⊙g   dg = dc⊙i   dc_prev = dc⊙f
        every gate: dWx_ += xᵀ·dpre_, dWh_ += hᵀ·dpre_, db_ += Σ dpre_, dh += dpre_·Wh_ᵀ

    Padded steps pass dh (and dc) through unchanged and add nothing. ``dh_T``
    (B, H), when given, starts the backward pass instead of dL/dh_T (``memory`` uses it).
    """
    X = _check_X(w, X)
    B, T, _ = X.shape
    lengths = check_lengths(X, lengths)
    target = _labels(labels, B)
    active = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]  # (B, T, 1)
    lstm = w.cell == "lstm"
    H = w.hidden
    # forward, every step kept
    hs = [np.zeros((B, H))]
    cs: list[np.ndarray] = [np.zeros((B, H))]
    steps: list[CellStep] = []
    for t in range(T):
        s = cell_step(w, X[:, t], hs[-1], cs[-1] if lstm else None)
        steps.append(s)
        hs.append(np.where(active[:, t], s.h, hs[-1]))
        if lstm and s.c is not None:
            cs.append(np.where(active[:, t], s.c, cs[-1]))
    z, y = output(hs[-1], w)
    loss = float(np.mean(bce(y, z, target)))
    accuracy = float(np.mean((y[:, 0] >= 0.5) == (target[:, 0] == 1.0)))

    grads = {n: np.zeros_like(w[n]) for n in w.names}
    dz = (y - target) / B
    grads["Wy"] = hs[-1].T @ dz
    grads["by"] = dz.sum(axis=0, keepdims=True)
    dh = dz @ w.Wy.T if dh_T is None else np.asarray(dh_T, dtype=np.float64)
    dh_T = dh
    dc = np.zeros((B, H)) if lstm else None
    records: list[GatedBackwardStep] = []
    for t in range(T - 1, -1, -1):
        record = backward_step(w, steps[t], X[:, t], hs[t], cs[t] if lstm else None,
                               dh, dc, active[:, t], t + 1)
        for name, share in record.shares.items():
            grads[name] += share
        if keep_steps:
            records.append(record)
        dh, dc = record.dh_prev, record.dc_prev
    return GatedBackward(loss, accuracy, grads, dz, dh_T, tuple(records))


def gated_backward_trace(
    w: GatedWeights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None,
    labels: Sequence[int] | np.ndarray | None,
    b: int,
) -> GatedBackward:
    """Sentence ``b``'s backward pass alone (for a view that steps back through the gates).

    As ``backprop.backward_trace``: the loss is the sentence's own BCE (not divided
    by the batch size), and only its own steps t = length..1 are there (no padding);
    the batch gradient is the mean of the sentences' ``grads``. Vectors are (1, H).
    """
    from rnn_tui.core.backprop import TrainingError

    X = _check_X(w, X)
    lengths = check_lengths(X, lengths)
    target = _labels(labels, X.shape[0])
    if not 0 <= b < X.shape[0]:
        raise TrainingError(f"b: must be in 0..{X.shape[0] - 1}, not {b}")
    L = int(lengths[b])
    return gated_backward(w, X[b:b + 1, :L], [L], target[b:b + 1, 0])


def make_stepper(
    weights: Weights | GatedWeights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None = None,
    labels: Sequence[int] | np.ndarray | None = None,
    activation: str = "tanh",
) -> Stepper | GatedStepper:
    """The stepper for ``weights``' cell: ``Stepper`` (rnn) or ``GatedStepper`` (gru, lstm)."""
    if isinstance(weights, GatedWeights):
        if activation != "tanh":
            raise ValueError(f"activation: the {weights.cell} cell's gates have their own")
        return GatedStepper(weights, X, lengths, labels)
    return Stepper(weights, X, lengths, labels, activation=activation)


def memory(w: Weights | GatedWeights, x_seq: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """How much h_T depends on each input: ‖∂h_T/∂x_t‖ (Frobenius, (H, V)) for t = 1..L.

    ``x_seq`` (L, V) is one sentence's one-hots (no padding). For the memory view:
    the vanilla cell's dependence on early tokens vanishes, a gated cell's need not.
    """
    x_seq = np.asarray(x_seq, dtype=np.float64)
    L, H = x_seq.shape[0], w.hidden
    eye = np.eye(H)
    out = np.zeros(L)
    if isinstance(w, GatedWeights):
        X = np.broadcast_to(x_seq, (H, *x_seq.shape))  # row k follows output unit k
        back = gated_backward(w, X, None, np.zeros(H), dh_T=eye)
        for step in back.steps:
            J = sum(step.dpre[g] @ w[f"Wx{g}"].T for g in w.spec.gates)
            out[step.t - 1] = float(np.linalg.norm(J))
        return out
    from rnn_tui.core.backprop import DERIVATIVES
    from rnn_tui.core.model import ACTIVATIONS

    act, dact = ACTIVATIONS[activation], DERIVATIVES[activation]
    h = np.zeros((1, H))
    pres, hs = [], []
    for t in range(L):
        pre = x_seq[t:t + 1] @ w.Wxh + h @ w.Whh + w.bh
        h = act(pre)
        pres.append(pre)
        hs.append(h)
    dh = eye
    for t in range(L - 1, -1, -1):
        dpre = dh * dact(pres[t], hs[t])
        out[t] = float(np.linalg.norm(dpre @ w.Wxh.T))
        dh = dpre @ w.Whh.T
    return out


def gated_gradients(
    w: GatedWeights,
    X: np.ndarray,
    lengths: Sequence[int] | np.ndarray | None,
    labels: Sequence[int] | np.ndarray,
) -> tuple[float, dict[str, np.ndarray]]:
    """``(mean loss, {name: dL/dname})``, as ``backprop.gradients`` for the vanilla cell."""
    back = gated_backward(w, X, lengths, labels, keep_steps=False)
    return back.loss, back.grads


def mean_loss(w: GatedWeights, X: np.ndarray, lengths: Sequence[int] | np.ndarray | None,
              labels: Sequence[int] | np.ndarray) -> float:
    """The mean binary cross-entropy of the forward pass alone (for finite differences)."""
    Hs, _, _ = forward_gated(w, X, lengths)
    z, y = output(Hs[:, -1], w)
    return float(np.mean(bce(y, z, np.asarray(labels, dtype=np.float64))))


__all__ = [
    "CELLS", "CELL_SPECS", "GATED_CELLS", "GRU", "LSTM", "CellSpec", "CellStep", "Gate",
    "GatedBackward", "GatedBackwardStep", "backward_step", "gated_backward_trace",
    "make_stepper", "GatedStepRecord", "GatedStepper", "GatedWeights",
    "cell_of", "cell_step", "check_gated_overflow", "forward_gated", "gated_backward",
    "gated_gradients", "gated_overflow", "load_any", "mean_loss", "memory", "output", "spec",
    "weights_from_dict",
]
