"""Export the forward pass as a trace: every number, for every sentence and time step.

A :class:`Trace` holds what a :class:`~rnn_tui.core.stepper.Stepper` computes, laid out
per sentence ``b`` (batch row, 0-based) and time step ``t`` (1-based)::

    x_t · Wxh   h_{t-1} · Whh   Bh (broadcast)   pre = their sum   h_t = tanh(pre)
    z = h_T · Wy + By    y = sigmoid(z)    prediction    target    loss

plus the weights, the vocabulary, the sentences, labels and lengths. Steps past a
sentence's end are *padding*: there h_t = h_{t-1} and the sum is not used, so
``xWxh``, ``hWhh``, ``bias`` and ``pre`` are NaN in memory and ``null`` in JSON.

Renderers turn a trace into Markdown (a handout), LaTeX (a standalone article
with ``bmatrix``), CSV (tidy: one number per row) or JSON (versioned; read back
with :func:`load_trace`). The JSON form is documented in ``docs/trace-format.md``.

Plain Python and NumPy; nothing here imports Textual or Rich.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from rnn_tui import __version__
from rnn_tui.core.data import (
    MAX_EXPORT_NUMBERS,
    MAX_SENTENCES,
    DataError,
    Dataset,
    brief,
    encode,
    printable,
)
from rnn_tui.core.model import (
    ACTIVATIONS,
    WEIGHT_NAMES,
    OverflowedError,
    Weights,
    WeightsError,
    read_json,
)
from rnn_tui.core.stepper import Stepper, overflow
from rnn_tui.teach import fmt

if TYPE_CHECKING:  # the gated cells' traces import this module (their base)
    from rnn_tui.core.cells import GatedStepper, GatedWeights
    from rnn_tui.export.gated import GatedTrace

#: The value of the JSON ``"format"`` key, and the version this module writes and reads.
FORMAT = "rnn-tui-trace"
VERSION = 2  # 2: a "cell" key, and the gated cells' traces (rnn_tui.export.gated)
#: The trace versions this module reads (1: the vanilla cell's, without "cell").
READS = (1, 2)

#: Per-step quantities, in the order of the equation.
STEP_QUANTITIES = ("x", "h_prev", "xWxh", "hWhh", "bias", "pre", "h")
#: Quantities that padding steps don't use (NaN / null there).
SUM_TERMS = ("xWxh", "hWhh", "bias", "pre")
#: Per-sentence output quantities.
OUTPUT_QUANTITIES = ("z", "y", "prediction", "target", "loss")

#: Tolerances used by :meth:`Trace.verify` (recomputing on another machine may differ by ulps).
RTOL = 1e-9
ATOL = 1e-12


class TraceError(ValueError):
    """A bad or inconsistent trace; the message is one line, fit to show a user."""


# --- the trace -----------------------------------------------------------------


class SentenceRows:
    """What a trace knows of its sentences, for the vanilla trace and the gated
    one (rnn_tui/export/gated.py) alike: a row per sentence, time steps from 1."""

    sentences: tuple[tuple[str, ...], ...]
    lengths: np.ndarray

    @property
    def batch(self) -> int:
        return len(self.sentences)

    @property
    def texts(self) -> list[str]:
        return [" ".join(s) for s in self.sentences]

    def is_padding(self, b: int, t: int) -> bool:
        """True where time step t (1-based) is past sentence b's end."""
        return t > int(self.lengths[b])

    def token(self, b: int, t: int) -> str | None:
        """The token sentence b reads at time step t (1-based); None for padding."""
        return None if self.is_padding(b, t) else self.sentences[b][t - 1]


@dataclass
class Trace(SentenceRows):
    """Every number of one forward pass, as arrays indexed ``[b, t - 1, ...]``.

    Shapes (B sentences, T time steps, V vocabulary size, H hidden nodes)::

        x (B, T, V)   h_prev, xWxh, hWhh, bias, pre, h (B, T, H)
        z, y, loss (B,) float   prediction, target (B,) int

    ``labels``, ``target``, ``loss`` and ``mean_loss`` are None when the
    labels are unknown. ``gradients`` is reserved for backpropagation through
    time (see docs/trace-format.md); None until a training module fills it.
    """

    weights: Weights
    sentences: tuple[tuple[str, ...], ...]
    labels: np.ndarray | None
    lengths: np.ndarray
    activation: str
    x: np.ndarray
    h_prev: np.ndarray
    xWxh: np.ndarray
    hWhh: np.ndarray
    bias: np.ndarray
    pre: np.ndarray
    h: np.ndarray
    z: np.ndarray
    y: np.ndarray
    prediction: np.ndarray
    target: np.ndarray | None
    loss: np.ndarray | None
    mean_loss: float | None
    gradients: dict | None = None

    # sizes
    @property
    def vocab(self) -> list[str]:
        return self.weights.vocab

    @property
    def steps(self) -> int:
        """T: the longest sentence's length."""
        return self.x.shape[1]

    @property
    def hidden(self) -> int:
        return self.weights.hidden

    def h_last(self, b: int) -> np.ndarray:
        """h_T for sentence b: its state after its own last token."""
        return self.h[b, int(self.lengths[b]) - 1]

    # replay
    def X(self) -> np.ndarray:
        """The padded one-hot batch (B, T, V), rebuilt from the tokens."""
        X, _ = encode(self.sentences, self.vocab)
        return X

    def dataset(self) -> Dataset:
        """The sentences as a Dataset (needs labels)."""
        if self.labels is None:
            raise TraceError("the trace has no labels, so it can't make a Dataset")
        return Dataset.from_sentences(self.sentences, [int(v) for v in self.labels], self.vocab)

    def stepper(self) -> Stepper:
        """A fresh Stepper at t = 0 over the trace's weights and sentences."""
        return Stepper(
            self.weights.copy(), self.X(), self.lengths.copy(),
            None if self.labels is None else self.labels.copy(),
            activation=self.activation,
        )

    def verify(self, rtol: float = RTOL, atol: float = ATOL) -> None:
        """Recompute the forward pass and raise TraceError at the first number that differs."""
        fresh = trace_from_stepper(self.stepper())
        for name in STEP_QUANTITIES:
            _compare_steps(name, getattr(self, name), getattr(fresh, name), rtol, atol)
        for name in ("z", "y", "prediction", "target", "loss"):
            _compare_outputs(name, getattr(self, name), getattr(fresh, name), rtol, atol)
        if (self.mean_loss is None) != (fresh.mean_loss is None) or (
            self.mean_loss is not None
            and fresh.mean_loss is not None  # (both or neither: the test above)
            and not math.isclose(self.mean_loss, fresh.mean_loss, rel_tol=rtol, abs_tol=atol)
        ):
            raise TraceError(
                f"mean_loss: the trace says {self.mean_loss!r} "
                f"but recomputing gives {fresh.mean_loss!r}"
            )


def _mismatch(where: str, said: float, got: float) -> TraceError:
    return TraceError(f"{where}: the trace says {said!r} but recomputing gives {got!r}")


def _compare_steps(name: str, said: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> None:
    close = np.isclose(said, got, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        b, t, j = (int(i) for i in np.argwhere(~close)[0])
        where = f"sentence {b + 1}, t = {t + 1}, {name}[{j + 1}]"  # counted from 1
        raise _mismatch(where, float(said[b, t, j]), float(got[b, t, j]))


def _compare_outputs(
    name: str, said: np.ndarray | None, got: np.ndarray | None, rtol: float, atol: float
) -> None:
    if said is None or got is None:
        if (said is None) != (got is None):
            raise TraceError(f"{name}: present in only one of the trace and the recomputation")
        return
    close = np.isclose(said, got, rtol=rtol, atol=atol)
    if not close.all():
        b = int(np.argwhere(~close)[0][0])
        raise _mismatch(f"sentence {b + 1}, {name}", said[b].item(), got[b].item())


# --- building a trace ----------------------------------------------------------


def export_numbers(B: int, T: int, V: int, H: int) -> int:
    """How many numbers a trace of this size holds (CSV: one row each): every step's
    x (V) and six H-vectors, the outputs, and the weights with their gradients."""
    return B * T * (V + 6 * H) + 5 * B + 1 + 2 * (V * H + H * H + 2 * H + 1)


def trace_from_stepper(stepper: Stepper | GatedStepper) -> Trace | GatedTrace:
    """Run a copy of ``stepper`` from t = 0 to the end and keep every number.

    The stepper passed in is not moved, so the app can export mid-lesson.
    A GRU's or an LSTM's ``GatedStepper`` gives a ``GatedTrace``. Raises
    TraceError when the trace would have more than ``MAX_EXPORT_NUMBERS``
    numbers (checked first), and ``engine.OverflowedError`` (a ValueError) when
    a number is infinite or NaN.
    """
    if not isinstance(stepper, Stepper):  # a GRU's or an LSTM's (issue 21)
        from rnn_tui.export.gated import gated_trace_from_stepper

        return gated_trace_from_stepper(stepper)
    B, T, V = stepper.X.shape
    H = stepper.weights.hidden
    count = export_numbers(B, T, V, H)
    if count > MAX_EXPORT_NUMBERS:
        raise TraceError(f"too big to export: {B} sentences × {T} steps with {V} tokens and "
                         f"{H} hidden nodes make {count:,} numbers, more than the limit of "
                         f"{MAX_EXPORT_NUMBERS:,}")
    s = Stepper(
        stepper.weights, stepper.X, stepper.lengths, stepper.labels,
        vocab=stepper.vocab, activation=stepper.activation,
    )
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported, not warned
        out = s.run()
        message = overflow(s)
        if message:
            raise OverflowedError(message)
        gradients = batch_gradients(s)
    B, T, H = s.batch, s.steps, s.weights.hidden
    nan = np.full((B, T, H), np.nan)
    arrays = {name: nan.copy() for name in SUM_TERMS}
    for r in s.history:
        active = r.active
        arrays["xWxh"][active, r.t - 1] = r.xWxh[active]
        arrays["hWhh"][active, r.t - 1] = r.hWhh[active]
        arrays["bias"][active, r.t - 1] = np.broadcast_to(r.bias, (B, H))[active]
        arrays["pre"][active, r.t - 1] = r.pre[active]
    # Within a sentence's length no token is None (None marks padding past its end).
    sentences = cast("tuple[tuple[str, ...], ...]", tuple(
        tuple(s.tokens_at(t)[b] for t in range(1, int(s.lengths[b]) + 1)) for b in range(B)
    ))
    return Trace(
        gradients=gradients,
        weights=s.weights.copy(),
        sentences=sentences,
        labels=None if s.labels is None else np.array(s.labels, dtype=np.int64),
        lengths=np.array(s.lengths, dtype=np.int64),
        activation=s.activation,
        x=s.X.copy(),
        h_prev=np.stack([r.h_prev for r in s.history], axis=1),
        h=s.H,
        z=out.z[:, 0].copy(),
        y=out.y[:, 0].copy(),
        prediction=out.prediction[:, 0].copy(),
        target=None if out.target is None else out.target[:, 0].copy(),
        loss=None if out.loss is None else out.loss.copy(),
        mean_loss=out.mean_loss,
        **arrays,
    )


#: The gradient section's keys, in order (each the shape of its weight).
GRADIENT_NAMES = tuple(f"d{name}" for name in WEIGHT_NAMES)  # dWxh, dWhh, dbh, dWy, dby


def batch_gradients(stepper: Stepper) -> dict | None:
    """Gradients of the mean loss over the batch (BPTT), when the labels are known.

    ``{"loss": mean loss, "dWxh": ..., "dWhh": ..., "dbh": ..., "dWy": ..., "dby": ...}``
    """
    if stepper.labels is None:
        return None
    from rnn_tui.core.backprop import gradients  # the training module, only when exporting

    loss, grads = gradients(stepper.weights, stepper.X, stepper.lengths, stepper.labels,
                            stepper.activation)
    return {"loss": float(loss), **{name: getattr(grads, name).copy() for name in GRADIENT_NAMES}}


def _gradient_matrices(trace: Trace) -> list[tuple[str, np.ndarray]]:
    """(name, matrix) of each gradient in the trace, none when it has no gradients."""
    g = trace.gradients or {}
    return [(name, np.asarray(g[name], dtype=np.float64).reshape(
        getattr(trace.weights, name[1:]).shape)) for name in GRADIENT_NAMES if name in g]


def build_trace(dataset: Dataset, weights: Weights | GatedWeights,
                activation: str = "tanh") -> Trace | GatedTrace:
    """The trace of ``weights`` run over ``dataset`` (encoded against the weights' vocab);
    a GRU's or an LSTM's weights give a ``GatedTrace`` (rnn_tui.export.gated)."""
    if not isinstance(weights, Weights):
        from rnn_tui.export.gated import build_gated_trace

        return build_gated_trace(dataset, weights)
    if list(dataset.vocab) != weights.vocab:
        dataset = dataset.with_vocab(weights.vocab)
    return trace_from_stepper(
        Stepper(weights, dataset.X, dataset.lengths, dataset.labels, activation=activation)
    )


# --- JSON ----------------------------------------------------------------------


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(values).reshape(-1)]


def _ints(values: np.ndarray) -> list[int]:
    return [int(v) for v in np.asarray(values).reshape(-1)]


def _jsonable(value: object) -> object:
    """NumPy arrays and scalars inside ``value`` as plain lists and numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _step_dict(trace: Trace, b: int, t: int) -> dict:
    padding = trace.is_padding(b, t)
    i = t - 1
    step: dict = {
        "t": t,
        "token": trace.token(b, t),
        "padding": padding,
        "x": _ints(trace.x[b, i]),
        "h_prev": _floats(trace.h_prev[b, i]),
    }
    for name in SUM_TERMS:
        step[name] = None if padding else _floats(getattr(trace, name)[b, i])
    step["h"] = _floats(trace.h[b, i])
    return step


def _sentence_dict(trace: Trace, b: int) -> dict:
    return {
        "index": b,
        "text": trace.texts[b],
        "tokens": list(trace.sentences[b]),
        "length": int(trace.lengths[b]),
        "label": None if trace.labels is None else int(trace.labels[b]),
        "steps": [_step_dict(trace, b, t) for t in range(1, trace.steps + 1)],
        "output": {
            "h_last": _floats(trace.h_last(b)),
            "z": float(trace.z[b]),
            "y": float(trace.y[b]),
            "prediction": int(trace.prediction[b]),
            "target": None if trace.target is None else int(trace.target[b]),
            "loss": None if trace.loss is None else float(trace.loss[b]),
        },
    }


def trace_to_dict(trace: Trace) -> dict:
    """The JSON form (see docs/trace-format.md), as plain Python objects."""
    data: dict = {
        "format": FORMAT,
        "version": VERSION,
        "cell": "rnn",
        "generator": f"rnn-tui {__version__}",
        "activation": trace.activation,
        "equations": {
            "h": f"h_t = {trace.activation}(x_t · Wxh + h_{{t-1}} · Whh + Bh), h_0 = 0",
            "z": "z = h_T · Wy + By",
            "y": "y = sigmoid(z)",
            "prediction": "prediction = 1 if y >= 0.5 else 0",
            "loss": "loss = -(target · ln y + (1 - target) · ln(1 - y))",
        },
        "shape": {
            "batch": trace.batch,
            "steps": trace.steps,
            "features": len(trace.vocab),
            "hidden": trace.hidden,
        },
        "vocab": list(trace.vocab),
        "weights": trace.weights.to_dict(),
        "sentences": [_sentence_dict(trace, b) for b in range(trace.batch)],
        "mean_loss": trace.mean_loss,
    }
    if trace.gradients is not None:
        data["gradients"] = _jsonable(trace.gradients)
    return data


def _is_flat(value: object) -> bool:
    """A vector or a matrix of numbers/strings (no objects inside)."""
    if not isinstance(value, list):
        return False
    return all(
        not isinstance(v, (dict, list)) or (isinstance(v, list) and _is_flat(v)) for v in value
    )


def dumps(value: object, indent: int = 1, _level: int = 0) -> str:
    """JSON with one key per line, every vector on one line, a matrix one row a line."""
    pad, inner = " " * indent * _level, " " * indent * (_level + 1)
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent, _level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and (
        not _is_flat(value) or any(isinstance(v, list) for v in value)
    ):  # a list of objects, or a matrix: one item (row) per line
        items = [inner + dumps(v, indent, _level + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def render_json(trace: Trace, precision: int | None = None) -> str:
    """The trace as JSON text. Floats are written in full (``repr``); precision is ignored."""
    del precision
    return dumps(trace_to_dict(trace)) + "\n"


# --- reading JSON back ---------------------------------------------------------


def _need(data: dict, key: str, where: str) -> object:
    if key not in data:
        raise TraceError(f"{where}{key}: missing")
    return data[key]


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise TraceError(f"{where}: expected a JSON object")
    return value


def _list(value: object, where: str, length: int | None = None) -> list:
    if not isinstance(value, list):
        raise TraceError(f"{where}: expected a list")
    if length is not None and len(value) != length:
        raise TraceError(f"{where}: expected {length} items, found {len(value)}")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TraceError(f"{where}: {brief(value)} is not a number")
    if not math.isfinite(value):
        raise TraceError(f"{where}: is not finite")
    return float(value)


def _bit(value: object, where: str) -> int:
    if isinstance(value, bool) or value not in (0, 1):
        raise TraceError(f"{where}: must be 0 or 1, not {brief(value)}")
    return int(value)


def _vector(value: object, length: int, where: str) -> np.ndarray:
    items = _list(value, where, length)  # entries counted from 1, as on the screen
    return np.array([_number(v, f"{where}[{i + 1}]") for i, v in enumerate(items)])


def _read_step(data: object, where: str, t: int, tokens: Sequence[str], V: int, H: int) -> dict:
    step = _object(data, where)
    where = where + ", "
    if _need(step, "t", where) != t:
        raise TraceError(f"{where}t: expected {t}, found {brief(step['t'])}")
    padding = t > len(tokens)
    if _need(step, "padding", where) is not padding:
        raise TraceError(f"{where}padding: expected {str(padding).lower()}")
    token = None if padding else tokens[t - 1]
    if _need(step, "token", where) != token:
        raise TraceError(f"{where}token: expected {brief(token)}, found {brief(step['token'])}")
    values = {name: _vector(_need(step, name, where), V if name == "x" else H, where + name)
              for name in ("x", "h_prev", "h")}
    for name in SUM_TERMS:
        value = _need(step, name, where)
        if padding:
            if value is not None:
                raise TraceError(f"{where}{name}: must be null on a padding step")
            values[name] = np.full(H, np.nan)
        else:
            values[name] = _vector(value, H, where + name)
    return values


def _read_sentence(data: object, b: int, T: int, vocab: list[str], H: int) -> tuple:
    where = f"sentence {b + 1}"  # counted from 1 (the JSON list index is b), as everywhere
    s = _object(data, where)
    where += ", "
    tokens = _list(_need(s, "tokens", where), where + "tokens")
    if not tokens or not all(isinstance(tok, str) for tok in tokens):
        raise TraceError(f"{where}tokens: must be a non-empty list of strings")
    known = set(vocab)
    for tok in tokens:
        if tok not in known:
            raise TraceError(f"{where}tokens: {brief(tok)} is not in the vocab")
    if _need(s, "length", where) != len(tokens):
        raise TraceError(f"{where}length: {brief(s['length'])} but there are {len(tokens)} tokens")
    label = _need(s, "label", where)
    label = None if label is None else _bit(label, where + "label")
    steps = _list(_need(s, "steps", where), where + "steps", T)
    read = [_read_step(st, f"{where}t = {i + 1}", i + 1, tokens, len(vocab), H)
            for i, st in enumerate(steps)]
    out = _object(_need(s, "output", where), where + "output")
    ow = where + "output."
    output = {
        "z": _number(_need(out, "z", ow), ow + "z"),
        "y": _number(_need(out, "y", ow), ow + "y"),
        "prediction": _bit(_need(out, "prediction", ow), ow + "prediction"),
    }
    h_last = _vector(_need(out, "h_last", ow), H, ow + "h_last")
    if not np.array_equal(h_last, read[len(tokens) - 1]["h"]):
        raise TraceError(f"{ow}h_last: is not h at the sentence's last token")
    for key in ("target", "loss"):
        value = _need(out, key, ow)
        if (value is None) != (label is None):
            raise TraceError(f"{ow}{key}: must be null exactly when the label is null")
    if label is not None:
        output["target"] = _bit(out["target"], ow + "target")
        if output["target"] != label:
            raise TraceError(f"{ow}target: {output['target']} but the label is {label}")
        output["loss"] = _number(out["loss"], ow + "loss")
    return tuple(tokens), label, read, output


def trace_from_dict(data: object) -> Trace | GatedTrace:
    """Check a parsed JSON trace and turn it into a Trace (a gated cell's: a GatedTrace),
    or raise a one-line TraceError.

    This checks structure and consistency (shapes, tokens, padding), not the
    numbers themselves: :meth:`Trace.verify` recomputes those.
    """
    data = _object(data, "trace")
    if data.get("format") != FORMAT:
        raise TraceError(f"format: expected {brief(FORMAT)}, found {brief(data.get('format'))}")
    version = _need(data, "version", "")
    if isinstance(version, bool) or not isinstance(version, int):
        raise TraceError(f"version: expected a whole number, found {brief(version)}")
    if version > VERSION:
        raise TraceError(f"version: {version} is newer than this rnn-tui reads ({VERSION})")
    if version not in READS:
        raise TraceError(f"version: {version} is not a trace version")
    cell = data.get("cell", "rnn") if version >= 2 else "rnn"  # version 1: the vanilla cell
    if version >= 2 and "cell" not in data:
        raise TraceError("cell: missing")
    if cell in ("gru", "lstm"):
        from rnn_tui.export.gated import gated_trace_from_dict

        return gated_trace_from_dict(data)
    if cell != "rnn":
        raise TraceError(f"cell: {brief(cell)} is not one of rnn, gru, lstm")
    activation = _need(data, "activation", "")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise TraceError(f"activation: {brief(activation)} is not one of {', '.join(ACTIVATIONS)}")
    try:
        weights = Weights.from_dict(_need(data, "weights", ""))
    except WeightsError as exc:
        raise TraceError(f"weights.{exc}") from None
    vocab = _list(_need(data, "vocab", ""), "vocab")
    if vocab != weights.vocab:
        raise TraceError("vocab: differs from weights.vocab")
    items = _list(_need(data, "sentences", ""), "sentences")
    if not items:
        raise TraceError("sentences: is empty")
    if len(items) > MAX_SENTENCES:
        raise TraceError(f"sentences: {len(items):,}, more than the limit of {MAX_SENTENCES:,}")
    shape = _object(_need(data, "shape", ""), "shape")
    T = _need(shape, "steps", "shape.")
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise TraceError(f"shape.steps: expected a whole number >= 1, found {brief(T)}")
    H = weights.hidden
    read = [_read_sentence(s, b, T, weights.vocab, H) for b, s in enumerate(items)]
    expected_shape = {"batch": len(read), "steps": max(len(r[0]) for r in read),
                      "features": len(vocab), "hidden": H}
    for key, value in expected_shape.items():
        if shape.get(key) != value:
            raise TraceError(f"shape.{key}: {brief(shape.get(key))} but the trace has {value}")
    labels = [r[1] for r in read]
    if any(v is None for v in labels) and not all(v is None for v in labels):
        raise TraceError("sentences: some labels are null and some are not")
    has_labels = labels[0] is not None
    mean_loss = _need(data, "mean_loss", "")
    if (mean_loss is None) == has_labels:
        raise TraceError("mean_loss: must be null exactly when the labels are null")
    gradients = data.get("gradients")
    if gradients is not None:
        gradients = _object(gradients, "gradients")

    def stack(name: str) -> np.ndarray:
        return np.array([[step[name] for step in r[2]] for r in read])

    def outputs(name: str, dtype: type) -> np.ndarray:
        return np.array([r[3][name] for r in read], dtype=dtype)

    return Trace(
        weights=weights,
        sentences=tuple(r[0] for r in read),
        labels=np.array(labels, dtype=np.int64) if has_labels else None,
        lengths=np.array([len(r[0]) for r in read], dtype=np.int64),
        activation=activation,
        **{name: stack(name) for name in STEP_QUANTITIES},
        z=outputs("z", np.float64),
        y=outputs("y", np.float64),
        prediction=outputs("prediction", np.int64),
        target=outputs("target", np.int64) if has_labels else None,
        loss=outputs("loss", np.float64) if has_labels else None,
        mean_loss=None if mean_loss is None else _number(mean_loss, "mean_loss"),
        gradients=gradients,
    )


def load_trace(path: str | Path, verify: bool = True) -> Trace | GatedTrace:
    """Read a JSON trace, check it, and (by default) check its numbers by recomputing.

    Every problem is a TraceError with a one-line message that starts with the path.
    """
    path = Path(path)
    data = read_json(path, TraceError, "trace file")
    try:
        trace = trace_from_dict(data)
        if verify:
            trace.verify()
    except (TraceError, DataError, ValueError) as exc:
        raise TraceError(f"{printable(str(path), 200)}: {exc}") from None
    return trace


# --- CSV: tidy, one number per row ---------------------------------------------

#: The CSV header (see docs/trace-format.md).
CSV_COLUMNS = ("sentence", "t", "token", "padding", "quantity", "row", "col", "value")


def _csv_number(value: float | int) -> str:
    return str(value) if isinstance(value, (int, np.integer)) else repr(float(value))


def csv_rows(trace: Trace) -> list[tuple]:
    """The CSV rows after the header: weights, then every step, then outputs, then mean loss.

    - weights: ``sentence``, ``t`` and ``padding`` empty; ``row``/``col`` index the matrix;
      ``token`` names the vocabulary token of a Wxh row (x·Wxh selects that row).
    - steps: ``row`` empty, ``col`` the component (0-based); quantities x, h_prev,
      xWxh, hWhh, bias (broadcast), pre, h. Padding steps have ``padding`` 1 and
      only x, h_prev and h (h = h_prev).
    - outputs: z, y, prediction, target, loss, with ``t`` the sentence's last step;
      target and loss only when the labels are known.
    - ``mean_loss`` last, when the labels are known.
    """
    rows: list[tuple] = []
    for name in WEIGHT_NAMES:
        matrix = getattr(trace.weights, name)
        for i, j in np.ndindex(matrix.shape):
            token = trace.vocab[i] if name == "Wxh" else ""
            rows.append(("", "", token, "", name, i, j, repr(float(matrix[i, j]))))
    for b in range(trace.batch):
        for t in range(1, trace.steps + 1):
            padding = trace.is_padding(b, t)
            token = trace.token(b, t) or ""
            for name in STEP_QUANTITIES:
                if padding and name in SUM_TERMS:
                    continue
                values = getattr(trace, name)[b, t - 1]
                for j, v in enumerate(values):
                    text = str(int(v)) if name == "x" else repr(float(v))
                    rows.append((b, t, token, int(padding), name, "", j, text))
    for b in range(trace.batch):
        t = int(trace.lengths[b])
        for name in OUTPUT_QUANTITIES:
            values = getattr(trace, name)
            if values is not None:
                rows.append((b, t, "", "", name, "", "", _csv_number(values[b].item())))
    if trace.mean_loss is not None:
        rows.append(("", "", "", "", "mean_loss", "", "", repr(float(trace.mean_loss))))
    for name, matrix in _gradient_matrices(trace):
        for i, j in np.ndindex(matrix.shape):
            token = trace.vocab[i] if name == "dWxh" else ""
            rows.append(("", "", token, "", name, i, j, repr(float(matrix[i, j]))))
    return rows


def render_csv(trace: Trace, precision: int | None = None) -> str:
    """The trace as tidy CSV (one number per row). Full precision; precision is ignored."""
    del precision
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(trace))
    return buffer.getvalue()


# --- Markdown: a handout ----------------------------------------------------------


def _md_code(text: str) -> str:
    """Inline code that survives backticks in a token."""
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1
) -> list[str]:
    align = [":---" if i < numeric_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


def _md_matrix(trace: Trace, name: str, p: int) -> list[str]:
    matrix = getattr(trace.weights, name)
    header = [f"{name} {fmt.shape(matrix)}"] + [f"[{j + 1}]" for j in range(matrix.shape[1])]
    rows = []
    for i, row in enumerate(matrix):
        label = f"{_md_code(trace.vocab[i])}" if name == "Wxh" else f"[{i + 1}]"
        rows.append([label] + [fmt.num(v, p) for v in row])
    return _md_table(header, rows)


def _md_step(trace: Trace, b: int, t: int, p: int) -> list[str]:
    i, act = t - 1, trace.activation
    if trace.is_padding(b, t):
        return [
            f"### t = {t}: padding (the sentence has ended)",
            "",
            f"Past its end the state is carried unchanged: "
            f"h_{t} = h_{t - 1} = `{fmt.vec(trace.h[b, i], p)}`.",
            "",
        ]
    token = trace.token(b, t)
    assert token is not None
    x = trace.x[b, i]
    lines = [
        f"### t = {t}: token {_md_code(token)}",
        "",
        f"x_{t} = one-hot({_md_code(token)}) = `{fmt.onehot(x)}`, so x_{t}·Wxh is "
        f"row {_md_code(token)} of Wxh.",
        "",
        "```text",
        f"h_{t} = {act}(x_{t}·Wxh + h_{t - 1}·Whh + Bh)",
        f"    = {act}({fmt.onehot(x)}·Wxh + {fmt.vec(trace.h_prev[b, i], p)}·Whh"
        f" + {fmt.vec(trace.weights.bh, p)})",
        f"    = {act}({fmt.vec(trace.xWxh[b, i], p)} + {fmt.vec(trace.hWhh[b, i], p)}"
        f" + {fmt.vec(trace.bias[b, i], p)})",
        f"    = {act}({fmt.vec(trace.pre[b, i], p)})",
        f"    = {fmt.vec(trace.h[b, i], p)}",
        "```",
        "",
    ]
    header = ["quantity"] + [f"[{j + 1}]" for j in range(trace.hidden)]
    rows = [
        [f"x_{t}·Wxh"] + [fmt.num(v, p) for v in trace.xWxh[b, i]],
        [f"h_{t - 1}·Whh"] + [fmt.num(v, p) for v in trace.hWhh[b, i]],
        ["Bh"] + [fmt.num(v, p) for v in trace.bias[b, i]],
        ["sum"] + [fmt.num(v, p) for v in trace.pre[b, i]],
        [f"h_{t} = {act}(sum)"] + [fmt.num(v, p) for v in trace.h[b, i]],
    ]
    return lines + _md_table(header, rows) + [""]


def prob(value: float, precision: int = 3) -> str:
    """A value that is never negative (y, a loss) with fixed decimals, no sign, as textmode."""
    return fmt.prob(value, precision)


def _ln_terms(target: int, y: float, loss: float, p: int) -> tuple[str, str]:
    """The ln's argument and the loss, with digits enough that the line is true
    (``-ln(0.99987) = 0.00013``, not ``-ln(>0.999) = <0.001``)."""
    return fmt.enough(y if target == 1 else 1.0 - y, p), fmt.enough(loss, p)


def _loss_text(target: int, y: float, loss: float, p: int) -> str:
    arg, value = _ln_terms(target, y, loss, p)
    return f"loss = -(target·ln y + (1 - target)·ln(1 - y)) = -ln({arg}) = {value}"


def _md_output(trace: Trace, b: int, p: int) -> list[str]:
    T = int(trace.lengths[b])
    h_last, Wy = trace.h_last(b), trace.weights.Wy[:, 0]
    by = float(trace.weights.by[0, 0])
    products = " + ".join(
        f"({fmt.num(h, p)})({fmt.num(w, p)})" for h, w in zip(h_last, Wy, strict=True)
    )
    z, y = float(trace.z[b]), float(trace.y[b])
    prediction = int(trace.prediction[b])
    lines = [
        f"### Output (read at t = {T}, the sentence's last token)",
        "",
        "```text",
        f"z = h_{T}·Wy + By",
        f"  = {products} + ({fmt.num(by, p)})",
        f"  = {fmt.num(z, p)}",
        f"y = sigmoid(z) = 1 / (1 + e^(-z)) = {prob(y, p)}",
        f"prediction = {prediction}   (1 if y >= 0.5, else 0)",
    ]
    if trace.target is not None and trace.loss is not None:
        target = int(trace.target[b])
        verdict = "right" if prediction == target else "wrong"
        lines.append(f"target = {target}   ({verdict})")
        lines.append(_loss_text(target, y, float(trace.loss[b]), p))
    return lines + ["```", ""]


def _md_summary(trace: Trace, p: int) -> list[str]:
    header = ["#", "sentence", "z", "y", "prediction"]
    if trace.target is not None:
        header += ["target", "loss"]
    rows = []
    for b in range(trace.batch):
        row = [str(b + 1), trace.texts[b], fmt.num(trace.z[b], p), prob(trace.y[b], p),
               str(int(trace.prediction[b]))]
        if trace.target is not None and trace.loss is not None:
            row += [str(int(trace.target[b])), prob(trace.loss[b], p)]
        rows.append(row)
    lines = _md_table(header, rows, numeric_from=2)
    if trace.mean_loss is not None:
        lines += ["", f"Mean loss (binary cross-entropy): **{prob(trace.mean_loss, p)}**"]
    return lines


def markdown_lines(trace: Trace, precision: int = 3) -> list[str]:
    p, act = precision, trace.activation
    V, H = len(trace.vocab), trace.hidden
    lines = [
        "# A many-to-one RNN, step by step",
        "",
        "```text",
        "h_0 = 0",
        f"h_t = {act}(x_t·Wxh + h_(t-1)·Whh + Bh)     t = 1..T",
        "z   = h_T·Wy + By",
        "y   = sigmoid(z)",
        "```",
        "",
        "Row vectors times matrices (x·W). Sentences, time steps and the entries of vectors",
        "and matrices are counted from 1, as on the screen (the JSON and CSV exports use",
        f"NumPy's 0-based indices). Numbers are rounded to {p} decimals.",
        "",
        "## Vocabulary (one-hot, first-seen order)",
        "",
    ]
    rows = [[_md_code(tok), fmt.onehot(np.eye(V)[i])] for i, tok in enumerate(trace.vocab)]
    lines += _md_table(["token", "one-hot"], rows, numeric_from=2) + ["", "## Sentences", ""]
    rows = [
        [str(b + 1), trace.texts[b],
         "" if trace.labels is None else str(int(trace.labels[b])), str(int(trace.lengths[b]))]
        for b in range(trace.batch)
    ]
    lines += _md_table(["#", "sentence", "target", "length"], rows, numeric_from=2)
    lines += [
        "",
        f"Stacked as X with shape (batch, time steps, features) = "
        f"{fmt.shape((trace.batch, trace.steps, V))}.",
        "",
        "## Weights",
        "",
    ]
    for name in WEIGHT_NAMES:
        lines += _md_matrix(trace, name, p) + [""]
    if trace.weights.bh.shape[1] == 1 and H > 1:
        lines += [f"Bh is one number, broadcast over the {H} hidden nodes.", ""]
    for b in range(trace.batch):
        target = "" if trace.labels is None else f" (target {int(trace.labels[b])})"
        lines += [f"## Sentence {b + 1}: {trace.texts[b]}{target}", "",
                  f"h_0 = `{fmt.vec(np.zeros(H), p)}`", ""]
        for t in range(1, trace.steps + 1):
            lines += _md_step(trace, b, t, p)
        lines += _md_output(trace, b, p)
    lines += ["## Summary", ""] + _md_summary(trace, p)
    grads = _gradient_matrices(trace)
    if grads:
        lines += ["", "## Gradients (backpropagation through time)", "",
                  "Of the mean loss over the batch; each has its weight's shape.", ""]
        for name, matrix in grads:
            lines += [f"{name} {fmt.shape(matrix)}", "", "```text"]
            lines += [fmt.vec(row, p) for row in matrix] + ["```", ""]
    return lines


def render_markdown(trace: Trace, precision: int = 3) -> str:
    """A Markdown handout: weights, then per sentence and step the equation with numbers."""
    return "\n".join(markdown_lines(trace, precision)) + "\n"


# --- LaTeX: a standalone article with bmatrix --------------------------------------

_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
    "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def tex_escape(text: str) -> str:
    """Text safe to put in a LaTeX paragraph."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in text)


def _tex_token(token: str) -> str:
    return r"\texttt{" + tex_escape(token) + "}"


def bmatrix(values: np.ndarray, precision: int, integers: bool = False) -> str:
    """A vector (as one row) or a matrix as a ``bmatrix``, with signed fixed decimals."""
    matrix = np.asarray(values, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    cell = (lambda v: str(int(v))) if integers else (lambda v: fmt.num(v, precision))
    rows = [" & ".join(cell(v) for v in row) for row in matrix]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _tex_step(trace: Trace, b: int, t: int, p: int) -> list[str]:
    i, act = t - 1, trace.activation
    h_t, h_prev = f"h_{{{t}}}", f"h_{{{t - 1}}}"
    if trace.is_padding(b, t):
        return [
            rf"\paragraph{{$t = {t}$: padding.}} The sentence has ended, so the state is"
            " carried unchanged:",
            r"\[",
            f"{h_t} = {h_prev} = {bmatrix(trace.h[b, i], p)}",
            r"\]",
        ]
    token = trace.token(b, t)
    assert token is not None
    x = trace.x[b, i]
    f = _tex_activation(act)
    # The lesson's 3 hidden nodes fit a line; wider layers break after the second term.
    br = r" \\ &\qquad " if trace.hidden > 3 else " "
    return [
        rf"\paragraph{{$t = {t}$: token {_tex_token(token)}.}}"
        rf" $x_{{{t}}}$ is its one-hot vector, so $x_{{{t}}} W_{{xh}}$ is row"
        f" {_tex_token(token)} of $W_{{xh}}$.",
        r"\begin{align*}",
        rf"{h_t} &= {f}\Bigl(x_{{{t}}} W_{{xh}} + {h_prev} W_{{hh}} + B_h\Bigr) \\",
        rf"&= {f}\Bigl({bmatrix(x, p, integers=True)} W_{{xh}} + "
        rf"{bmatrix(trace.h_prev[b, i], p)} W_{{hh}}{br}+ {bmatrix(trace.weights.bh, p)}\Bigr) \\",
        rf"&= {f}\Bigl({bmatrix(trace.xWxh[b, i], p)} + {bmatrix(trace.hWhh[b, i], p)}"
        rf"{br}+ {bmatrix(trace.bias[b, i], p)}\Bigr) \\",
        rf"&= {f}\Bigl({bmatrix(trace.pre[b, i], p)}\Bigr) \\",
        rf"&= {bmatrix(trace.h[b, i], p)}",
        r"\end{align*}",
    ]


def _tex_activation(name: str) -> str:
    return r"\tanh" if name == "tanh" else rf"\operatorname{{{name}}}"


def _tex_output(trace: Trace, b: int, p: int) -> list[str]:
    T = int(trace.lengths[b])
    W = trace.weights
    z, y = float(trace.z[b]), float(trace.y[b])
    lines = [
        rf"\paragraph{{Output}} (read at $t = {T}$, the sentence's last token)",
        r"\begin{align*}",
        rf"z &= h_{{{T}}} W_y + B_y = {bmatrix(trace.h_last(b), p)} {bmatrix(W.Wy, p)}"
        rf" + {bmatrix(W.by, p)} = {fmt.num(z, p)} \\",
        rf"y &= \sigma(z) = \frac{{1}}{{1 + e^{{-z}}}} = {prob(y, p)} \\",
        rf"\text{{prediction}} &= {int(trace.prediction[b])}"
        r" \qquad (1 \text{ if } y \ge 0.5)",
    ]
    if trace.target is not None and trace.loss is not None:
        target = int(trace.target[b])
        arg, value = _ln_terms(target, y, float(trace.loss[b]), p)
        lines[-1] += r" \\"
        lines.append(
            rf"\text{{loss}} &= -\bigl(\text{{target}} \ln y + (1 - \text{{target}})"
            rf" \ln(1 - y)\bigr) = -\ln({arg}) = {value}"
            rf" \qquad (\text{{target}} = {target})"
        )
    return lines + [r"\end{align*}"]


_TEX_WEIGHT = {"dWxh": "W_{xh}", "dWhh": "W_{hh}", "dbh": "B_h", "dWy": "W_y", "dby": "B_y"}


def _hangul(text: str) -> bool:
    """True if ``text`` has a Hangul syllable or jamo."""
    return any("\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff"
               or "\u3130" <= c <= "\u318f" for c in text)


def tex_preamble(vocab: Sequence[str], texts: Sequence[str]) -> list[str]:
    """The document class and the packages for the characters the tokens use.

    ASCII tokens: pdflatex (or xelatex, lualatex). Anything else: xelatex (or
    lualatex) with fontspec, which read UTF-8 and take any font; pdflatex can't
    typeset Hangul with inputenc alone. Hangul adds kotex (TeX Live's ko.TeX),
    which picks a Korean font. A comment at the top says which engine to run.
    """
    text = "".join(vocab) + "".join(texts)
    if text.isascii():
        return [
            "% Compile with pdflatex (or xelatex, lualatex): pdflatex FILE.tex",
            r"\documentclass{article}",
            r"\usepackage[utf8]{inputenc}",
        ]
    lines = [
        "% Some tokens are not ASCII: compile with xelatex (or lualatex), not pdflatex:",
        "%   xelatex FILE.tex",
    ]
    if _hangul(text):
        lines.append("% Korean needs the kotex package (TeX Live: ko.tex, fonts included).")
    lines += [r"\documentclass{article}", r"\usepackage{fontspec}"]
    if _hangul(text):
        lines.append(r"\usepackage{kotex}")
    return lines


def latex_lines(trace: Trace, precision: int = 3) -> list[str]:
    p, W = precision, trace.weights
    V, H = len(trace.vocab), trace.hidden
    f = _tex_activation(trace.activation)
    lines = [
        *tex_preamble(trace.vocab, trace.texts),
        r"\usepackage{amsmath}",
        r"\usepackage[margin=2cm]{geometry}",
        rf"\setcounter{{MaxMatrixCols}}{{{max(10, V, H)}}}",
        r"\title{A many-to-one RNN, step by step}",
        rf"\date{{rnn-tui {__version__}}}",
        r"\begin{document}",
        r"\maketitle",
        r"\[",
        rf"h_0 = 0, \qquad h_t = {f}\left(x_t W_{{xh}} + h_{{t-1}} W_{{hh}} + B_h\right),"
        r" \qquad z = h_T W_y + B_y, \qquad y = \sigma(z)",
        r"\]",
        "Row vectors times matrices. Sentences and time steps are counted from 1, as on"
        " the screen (the JSON and CSV exports use NumPy's 0-based indices)."
        f" Numbers are rounded to {p} decimals.",
        "",
        r"\section*{Vocabulary and sentences}",
        "One-hot vectors in first-seen order: "
        + ", ".join(
            f"{_tex_token(tok)} $= {bmatrix(np.eye(V)[i], p, integers=True)}$"
            for i, tok in enumerate(trace.vocab)
        )
        + ".",
        "",
        r"\begin{tabular}{rlrr}",
        r"\# & sentence & target & length \\ \hline",
    ]
    for b in range(trace.batch):
        target = "" if trace.labels is None else str(int(trace.labels[b]))
        lines.append(rf"{b + 1} & {tex_escape(trace.texts[b])} & {target} & "
                     rf"{int(trace.lengths[b])} \\")
    lines += [
        r"\end{tabular}",
        "",
        r"\section*{Weights}",
        "Rows of $W_{xh}$ in vocabulary order: "
        + ", ".join(_tex_token(tok) for tok in trace.vocab) + ".",
        r"\begin{align*}",
        rf"W_{{xh}} &= {bmatrix(W.Wxh, p)} & W_{{hh}} &= {bmatrix(W.Whh, p)} \\",
        rf"B_h &= {bmatrix(W.bh, p)} & W_y &= {bmatrix(W.Wy, p)} & B_y &= {bmatrix(W.by, p)}",
        r"\end{align*}",
    ]
    if W.bh.shape[1] == 1 and H > 1:
        lines.append(f"$B_h$ is one number, broadcast over the {H} hidden nodes.")
    for b in range(trace.batch):
        target = "" if trace.labels is None else f" (target {int(trace.labels[b])})"
        lines += [
            "",
            rf"\section*{{Sentence {b + 1}: {tex_escape(trace.texts[b])}{target}}}",
            rf"$h_0 = {bmatrix(np.zeros(H), p)}$.",
        ]
        for t in range(1, trace.steps + 1):
            lines += _tex_step(trace, b, t, p)
        lines += _tex_output(trace, b, p)
    labelled = trace.target is not None and trace.loss is not None
    header = r"\# & sentence & $z$ & $y$ & prediction"
    header += r" & target & loss \\ \hline" if labelled else r" \\ \hline"
    columns = "rlrrrrr" if labelled else "rlrrr"
    lines += ["", r"\section*{Summary}", rf"\begin{{tabular}}{{{columns}}}", header]
    for b in range(trace.batch):
        cells = [str(b + 1), tex_escape(trace.texts[b]), f"${fmt.num(trace.z[b], p)}$",
                 f"${prob(trace.y[b], p)}$", str(int(trace.prediction[b]))]
        if trace.target is not None and trace.loss is not None:
            cells += [str(int(trace.target[b])), f"${prob(trace.loss[b], p)}$"]
        lines.append(" & ".join(cells) + r" \\")
    lines.append(r"\end{tabular}")
    if trace.mean_loss is not None:
        lines += ["", f"Mean loss (binary cross-entropy): ${prob(trace.mean_loss, p)}$."]
    grads = _gradient_matrices(trace)
    if grads:
        lines += ["", r"\section*{Gradients (backpropagation through time)}",
                  "Of the mean loss over the batch.", r"\begin{align*}"]
        cells = [rf"\frac{{\partial L}}{{\partial {_TEX_WEIGHT[name]}}} &= {bmatrix(m, p)}"
                 for name, m in grads]
        lines.append(r" \\".join(cells))
        lines.append(r"\end{align*}")
    lines.append(r"\end{document}")
    return lines


def render_latex(trace: Trace, precision: int = 3) -> str:
    """A standalone LaTeX article (amsmath, bmatrix): compile with pdflatex, or with
    xelatex when a token is not ASCII (the first lines say which, see tex_preamble)."""
    return "\n".join(latex_lines(trace, precision)) + "\n"


# --- all formats -------------------------------------------------------------------

#: Format name -> renderer(trace, precision) -> text. Precision only affects md and tex.
RENDERERS: dict[str, Callable[[Trace, int], str]] = {
    "md": render_markdown,
    "tex": render_latex,
    "csv": render_csv,
    "json": render_json,
}


def render(trace: Trace | GatedTrace, format: str, precision: int = 3) -> str:
    """The trace in ``format`` (one of RENDERERS)."""
    if format not in RENDERERS:
        raise ValueError(f"format: one of {', '.join(RENDERERS)}, not {format!r}")
    if not isinstance(trace, Trace):  # a GatedTrace (rnn_tui.export.gated)
        from rnn_tui.export import gated

        return gated.RENDERERS[format](trace, precision)
    return RENDERERS[format](trace, precision)
