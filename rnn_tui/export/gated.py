"""The trace of a gated cell (GRU, LSTM: issue 21), in the four formats.

Every number of the forward pass, gate by gate: for each sentence and step the
token, x, h_{t-1} (and c_{t-1}), each gate's x·W, h·W, bias, sum and value
(GRU's n also h·Whn + bhn and r ⊙ (…)), the combination's terms (GRU: (1 − z)
⊙ n and z ⊙ h; LSTM: f ⊙ c, i ⊙ g, tanh(c')), c (LSTM) and h; then z, y, the
prediction, the target and the loss; the weights and the gradients (BPTT).

Trace format version 2 (docs/trace-format.md): a ``"cell"`` key; a gated
trace's steps have ``"gates"`` and ``"terms"`` objects (null on padding) and,
for an LSTM, ``"c_prev"`` and ``"c"``. No Textual, no Rich.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import cast

import numpy as np

from rnn_tui import __version__
from rnn_tui.core.cells import (
    GatedStepper,
    GatedWeights,
    check_gated_overflow,
    gated_backward,
    spec,
)
from rnn_tui.core.data import MAX_EXPORT_NUMBERS, Dataset, encode
from rnn_tui.export import trace as base
from rnn_tui.teach import fmt

#: The combination's terms, per cell (GatedStepRecord.terms).
TERMS = {"gru": ("new", "keep"), "lstm": ("forget", "write", "tanh_c")}
#: How the terms are written.
TERM_LABELS = {"new": "(1 − z) ⊙ n", "keep": "z ⊙ h_prev", "forget": "f ⊙ c_prev",
               "write": "i ⊙ g", "tanh_c": "tanh(c)"}
#: The cells' equations, as the JSON trace writes them.
EQUATIONS = {
    "gru": {"r": "r = σ(x·Wxr + h·Whr + br)", "z": "z = σ(x·Wxz + h·Whz + bz)",
            "n": "n = tanh(x·Wxn + bxn + r ⊙ (h·Whn + bhn))",
            "h": "h' = (1 − z) ⊙ n + z ⊙ h"},
    "lstm": {"i": "i = σ(x·Wxi + h·Whi + bi)", "f": "f = σ(x·Wxf + h·Whf + bf)",
             "g": "g = tanh(x·Wxg + h·Whg + bg)", "o": "o = σ(x·Wxo + h·Who + bo)",
             "c": "c' = f ⊙ c + i ⊙ g", "h": "h' = o ⊙ tanh(c')"},
}


def gate_parts(gate: str) -> tuple[str, ...]:
    """A gate's quantities: x·W, h·W, the bias, the sum, the value (GRU's n: also
    h·Whn + bhn and r ⊙ (…))."""
    return ("xW", "hW", "bias", "hWb", "reset", "pre", "value") if gate == "n" else \
        ("xW", "hW", "bias", "pre", "value")


def step_names(cell: str) -> list[str]:
    """Every step's quantities, flat (the CSV's ``quantity``): x, h_prev, (c_prev),
    ``gate.part`` for each gate, the terms, (c), h."""
    names = ["x", "h_prev"] + (["c_prev"] if cell == "lstm" else [])
    for g in spec(cell).gates:
        names += [f"{g}.{part}" for part in gate_parts(g)]
    names += list(TERMS[cell])
    return names + (["c"] if cell == "lstm" else []) + ["h"]


def _computed(name: str) -> bool:
    """Quantities a padding step does not compute (null there)."""
    return "." in name or name in ("new", "keep", "forget", "write", "tanh_c")


@dataclass
class GatedTrace(base.SentenceRows):
    """Every number of a gated cell's forward pass: ``values[name]`` is (B, T, H)
    (x: (B, T, V)), NaN where a padding step computes nothing."""

    weights: GatedWeights
    sentences: tuple[tuple[str, ...], ...]
    labels: np.ndarray | None
    lengths: np.ndarray
    values: dict[str, np.ndarray]
    z: np.ndarray
    y: np.ndarray
    prediction: np.ndarray
    target: np.ndarray | None
    loss: np.ndarray | None
    mean_loss: float | None
    gradients: dict | None = None
    activation: str = "tanh"  # (the vanilla cell's option: the CLI reads it)

    @property
    def cell(self) -> str:
        return self.weights.cell

    @property
    def vocab(self) -> list[str]:
        return self.weights.vocab

    @property
    def steps(self) -> int:
        return self.values["x"].shape[1]

    @property
    def hidden(self) -> int:
        return self.weights.hidden

    def h_last(self, b: int) -> np.ndarray:
        return self.values["h"][b, int(self.lengths[b]) - 1]

    def X(self) -> np.ndarray:  # noqa: N802 (the engine's name)
        X, _ = encode(self.sentences, self.vocab)
        return X

    def dataset(self) -> Dataset:
        if self.labels is None:
            raise base.TraceError("the trace has no labels, so it can't make a Dataset")
        return Dataset.from_sentences(self.sentences, [int(v) for v in self.labels], self.vocab)

    def stepper(self) -> GatedStepper:
        return GatedStepper(self.weights.copy(), self.X(), self.lengths.copy(),
                            None if self.labels is None else self.labels.copy())

    def verify(self, rtol: float = base.RTOL, atol: float = base.ATOL) -> None:
        """Recompute the forward pass; TraceError at the first number that differs."""
        fresh = gated_trace_from_stepper(self.stepper(), gradients=False)
        for name in step_names(self.cell):
            base._compare_steps(name, self.values[name], fresh.values[name], rtol, atol)
        for name in ("z", "y", "prediction", "target", "loss"):
            base._compare_outputs(name, getattr(self, name), getattr(fresh, name), rtol, atol)
        if (self.mean_loss is None) != (fresh.mean_loss is None) or (
                self.mean_loss is not None and fresh.mean_loss is not None
                and not math.isclose(self.mean_loss, fresh.mean_loss, rel_tol=rtol,
                                     abs_tol=atol)):
            raise base.TraceError(f"mean_loss: the trace says {self.mean_loss!r} "
                                  f"but recomputing gives {fresh.mean_loss!r}")


def export_numbers(cell: str, B: int, T: int, V: int, H: int) -> int:
    """How many numbers a gated trace of this size holds (CSV: one row each)."""
    per_step = V + (len(step_names(cell)) - 1) * H
    weights = len(spec(cell).gates) * (V * H + H * H + H) + H + 1 + (H if cell == "gru" else 0)
    return B * T * per_step + 5 * B + 1 + 2 * weights


def gated_trace_from_stepper(stepper: GatedStepper, gradients: bool = True) -> GatedTrace:
    """Run a copy of ``stepper`` to the end and keep every number (the app's stays put).
    TraceError when too big; OverflowedError when a number is not finite."""
    w = stepper.weights
    B, T, V = stepper.X.shape
    H = w.hidden
    count = export_numbers(w.cell, B, T, V, H)
    if count > MAX_EXPORT_NUMBERS:
        raise base.TraceError(f"too big to export: {B} sentences × {T} steps with {V} tokens "
                              f"and {H} hidden nodes make {count:,} numbers, more than the "
                              f"limit of {MAX_EXPORT_NUMBERS:,}")
    s = GatedStepper(w, stepper.X, stepper.lengths, stepper.labels, vocab=stepper.vocab)
    with np.errstate(over="ignore", invalid="ignore"):
        out = s.run()
        check_gated_overflow(s)
        grads = None
        if gradients and s.labels is not None:
            back = gated_backward(w, s.X, s.lengths, s.labels)
            grads = {"loss": float(back.loss),
                     **{f"d{name}": back.grads[name].copy() for name in w.names}}
    values: dict[str, np.ndarray] = {}
    for name in step_names(w.cell):
        width = V if name == "x" else H
        values[name] = np.full((B, T, width), np.nan)
    for r in s.history:
        i = r.t - 1
        values["x"][:, i] = r.x
        values["h_prev"][:, i] = r.h_prev
        values["h"][:, i] = r.h
        if r.c_prev is not None and r.c is not None:
            values["c_prev"][:, i] = r.c_prev
            values["c"][:, i] = r.c
        a = r.active
        for g, gate in r.gates.items():
            for part in gate_parts(g):
                value = getattr(gate, part)
                values[f"{g}.{part}"][a, i] = np.broadcast_to(value, (B, H))[a]
        for name in TERMS[w.cell]:
            values[name][a, i] = r.terms[name][a]
    sentences = cast("tuple[tuple[str, ...], ...]", tuple(
        tuple(s.tokens_at(t)[b] for t in range(1, int(s.lengths[b]) + 1)) for b in range(B)))
    return GatedTrace(
        weights=w.copy(), sentences=sentences,
        labels=None if s.labels is None else np.array(s.labels, dtype=np.int64),
        lengths=np.array(s.lengths, dtype=np.int64), values=values,
        z=out.z[:, 0].copy(), y=out.y[:, 0].copy(), prediction=out.prediction[:, 0].copy(),
        target=None if out.target is None else out.target[:, 0].copy(),
        loss=None if out.loss is None else out.loss.copy(), mean_loss=out.mean_loss,
        gradients=grads)


def build_gated_trace(dataset: Dataset, weights: GatedWeights) -> GatedTrace:
    if list(dataset.vocab) != weights.vocab:
        dataset = dataset.with_vocab(weights.vocab)
    return gated_trace_from_stepper(
        GatedStepper(weights, dataset.X, dataset.lengths, dataset.labels))


# --- JSON ------------------------------------------------------------------------


def _step_dict(trace: GatedTrace, b: int, t: int) -> dict:
    padding = trace.is_padding(b, t)
    i = t - 1
    v = trace.values
    step: dict = {"t": t, "token": trace.token(b, t), "padding": padding,
                  "x": base._ints(v["x"][b, i]), "h_prev": base._floats(v["h_prev"][b, i])}
    if trace.cell == "lstm":
        step["c_prev"] = base._floats(v["c_prev"][b, i])
    gates = spec(trace.cell).gates
    step["gates"] = None if padding else {
        g: {part: base._floats(v[f"{g}.{part}"][b, i]) for part in gate_parts(g)}
        for g in gates}
    step["terms"] = None if padding else {
        name: base._floats(v[name][b, i]) for name in TERMS[trace.cell]}
    if trace.cell == "lstm":
        step["c"] = base._floats(v["c"][b, i])
    step["h"] = base._floats(v["h"][b, i])
    return step


def gated_trace_to_dict(trace: GatedTrace) -> dict:
    data: dict = {
        "format": base.FORMAT,
        "version": base.VERSION,
        "cell": trace.cell,
        "generator": f"rnn-tui {__version__}",
        "equations": {**EQUATIONS[trace.cell], "z": "z = h_T · Wy + by", "y": "y = sigmoid(z)",
                      "prediction": "prediction = 1 if y >= 0.5 else 0",
                      "loss": "loss = -(target · ln y + (1 - target) · ln(1 - y))"},
        "shape": {"batch": trace.batch, "steps": trace.steps, "features": len(trace.vocab),
                  "hidden": trace.hidden},
        "vocab": list(trace.vocab),
        "weights": trace.weights.to_dict(),
        "sentences": [{
            "index": b, "text": trace.texts[b], "tokens": list(trace.sentences[b]),
            "length": int(trace.lengths[b]),
            "label": None if trace.labels is None else int(trace.labels[b]),
            "steps": [_step_dict(trace, b, t) for t in range(1, trace.steps + 1)],
            "output": {
                "h_last": base._floats(trace.h_last(b)), "z": float(trace.z[b]),
                "y": float(trace.y[b]), "prediction": int(trace.prediction[b]),
                "target": None if trace.target is None else int(trace.target[b]),
                "loss": None if trace.loss is None else float(trace.loss[b]),
            }} for b in range(trace.batch)],
        "mean_loss": trace.mean_loss,
    }
    if trace.gradients is not None:
        data["gradients"] = base._jsonable(trace.gradients)
    return data


def render_json(trace: GatedTrace, precision: int | None = None) -> str:
    del precision
    return base.dumps(gated_trace_to_dict(trace)) + "\n"


def _read_group(value: object, names: tuple[str, ...], H: int, where: str) -> dict:
    group = base._object(value, where)
    if set(group) != set(names):
        raise base.TraceError(f"{where}: expected the keys {', '.join(names)}")
    return {name: base._vector(group[name], H, f"{where}.{name}") for name in names}


def gated_trace_from_dict(data: dict) -> GatedTrace:
    """A version-2 trace of a gated cell, checked for structure (``verify`` recomputes
    the numbers), or a one-line TraceError."""
    from rnn_tui.core.cells import weights_from_dict
    from rnn_tui.core.model import WeightsError

    cell = data.get("cell")
    try:
        weights = weights_from_dict(base._need(data, "weights", ""))
    except (WeightsError, ValueError) as exc:
        raise base.TraceError(f"weights.{exc}") from None
    if not isinstance(weights, GatedWeights) or weights.cell != cell:
        raise base.TraceError(f"weights: not the weights of a {cell} cell")
    vocab = base._list(base._need(data, "vocab", ""), "vocab")
    if vocab != weights.vocab:
        raise base.TraceError("vocab: differs from weights.vocab")
    items = base._list(base._need(data, "sentences", ""), "sentences")
    if not items:
        raise base.TraceError("sentences: is empty")
    if len(items) > base.MAX_SENTENCES:
        raise base.TraceError(f"sentences: {len(items):,}, more than the limit of "
                              f"{base.MAX_SENTENCES:,}")
    shape = base._object(base._need(data, "shape", ""), "shape")
    T = base._need(shape, "steps", "shape.")
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise base.TraceError(f"shape.steps: expected a whole number >= 1, found {base.brief(T)}")
    H, V = weights.hidden, len(vocab)
    names = step_names(cell)
    sentences, labels, outputs = [], [], []
    B = len(items)
    values = {name: np.full((B, T, V if name == "x" else H), np.nan) for name in names}
    for b, item in enumerate(items):
        where = f"sentence {b + 1}"
        s = base._object(item, where)
        where += ", "
        tokens = base._list(base._need(s, "tokens", where), where + "tokens")
        if not tokens or not all(isinstance(tok, str) and tok in vocab for tok in tokens):
            raise base.TraceError(f"{where}tokens: must be a non-empty list of the vocab's tokens")
        if len(tokens) > T:
            raise base.TraceError(f"{where}tokens: more than shape.steps ({T})")
        label = base._need(s, "label", where)
        label = None if label is None else base._bit(label, where + "label")
        steps = base._list(base._need(s, "steps", where), where + "steps", T)
        for i, item_t in enumerate(steps):
            t = i + 1
            sw = f"{where}t = {t}, "
            st = base._object(item_t, sw.rstrip(", "))
            if base._need(st, "t", sw) != t:
                raise base.TraceError(f"{sw}t: expected {t}")
            padding = t > len(tokens)
            if base._need(st, "padding", sw) is not padding:
                raise base.TraceError(f"{sw}padding: expected {str(padding).lower()}")
            if base._need(st, "token", sw) != (None if padding else tokens[i]):
                raise base.TraceError(f"{sw}token: is not the sentence's")
            for name in ("x", "h_prev", "c_prev", "c", "h"):
                if name in values:
                    values[name][b, i] = base._vector(base._need(st, name, sw),
                                                      V if name == "x" else H, sw + name)
            gates, terms = base._need(st, "gates", sw), base._need(st, "terms", sw)
            if padding:
                if gates is not None or terms is not None:
                    raise base.TraceError(f"{sw}gates: must be null on a padding step")
                continue
            group = base._object(gates, sw + "gates")
            if set(group) != set(spec(cell).gates):
                raise base.TraceError(f"{sw}gates: expected {', '.join(spec(cell).gates)}")
            for g in spec(cell).gates:
                for part, vec in _read_group(group[g], gate_parts(g), H,
                                             f"{sw}gates.{g}").items():
                    values[f"{g}.{part}"][b, i] = vec
            for name, vec in _read_group(terms, TERMS[cell], H, sw + "terms").items():
                values[name][b, i] = vec
        out = base._object(base._need(s, "output", where), where + "output")
        ow = where + "output."
        output = {"z": base._number(base._need(out, "z", ow), ow + "z"),
                  "y": base._number(base._need(out, "y", ow), ow + "y"),
                  "prediction": base._bit(base._need(out, "prediction", ow), ow + "prediction")}
        if label is not None:
            output["target"] = base._bit(base._need(out, "target", ow), ow + "target")
            output["loss"] = base._number(base._need(out, "loss", ow), ow + "loss")
        sentences.append(tuple(tokens))
        labels.append(label)
        outputs.append(output)
    if max(len(s) for s in sentences) != T:
        raise base.TraceError(f"shape.steps: {T} but the longest sentence has "
                              f"{max(len(s) for s in sentences)} tokens")
    if any(v is None for v in labels) and not all(v is None for v in labels):
        raise base.TraceError("sentences: some labels are null and some are not")
    has = labels[0] is not None
    mean_loss = base._need(data, "mean_loss", "")
    if (mean_loss is None) == has:
        raise base.TraceError("mean_loss: must be null exactly when the labels are null")
    gradients = data.get("gradients")
    if gradients is not None:
        gradients = base._object(gradients, "gradients")

    def col(name: str, dtype: type) -> np.ndarray:
        return np.array([o[name] for o in outputs], dtype=dtype)

    return GatedTrace(
        weights=weights, sentences=tuple(sentences),
        labels=np.array(labels, dtype=np.int64) if has else None,
        lengths=np.array([len(s) for s in sentences], dtype=np.int64), values=values,
        z=col("z", np.float64), y=col("y", np.float64), prediction=col("prediction", np.int64),
        target=col("target", np.int64) if has else None,
        loss=col("loss", np.float64) if has else None,
        mean_loss=None if mean_loss is None else base._number(mean_loss, "mean_loss"),
        gradients=gradients)


# --- CSV ---------------------------------------------------------------------------


def render_csv(trace: GatedTrace, precision: int | None = None) -> str:
    """Tidy CSV, one number per row (the vanilla trace's columns); a step's quantities
    are ``step_names`` (``r.xW``, ``r.value``, ``new``, ``c``, ...)."""
    del precision
    rows: list[tuple] = []
    w = trace.weights
    for name in w.names:
        matrix = w[name]
        for i, j in np.ndindex(matrix.shape):
            token = trace.vocab[i] if name.startswith("Wx") else ""
            rows.append(("", "", token, "", name, i, j, repr(float(matrix[i, j]))))
    for b in range(trace.batch):
        for t in range(1, trace.steps + 1):
            padding = trace.is_padding(b, t)
            token = trace.token(b, t) or ""
            for name in step_names(trace.cell):
                if padding and _computed(name):
                    continue
                for j, v in enumerate(trace.values[name][b, t - 1]):
                    text = str(int(v)) if name == "x" else repr(float(v))
                    rows.append((b, t, token, int(padding), name, "", j, text))
    for b in range(trace.batch):
        t = int(trace.lengths[b])
        for name in base.OUTPUT_QUANTITIES:
            values = getattr(trace, name)
            if values is not None:
                rows.append((b, t, "", "", name, "", "", base._csv_number(values[b].item())))
    if trace.mean_loss is not None:
        rows.append(("", "", "", "", "mean_loss", "", "", repr(float(trace.mean_loss))))
    for name in w.names:
        if trace.gradients is not None and f"d{name}" in trace.gradients:
            matrix = np.asarray(trace.gradients[f"d{name}"], dtype=np.float64).reshape(
                w[name].shape)
            for i, j in np.ndindex(matrix.shape):
                token = trace.vocab[i] if name.startswith("Wx") else ""
                rows.append(("", "", token, "", f"d{name}", i, j, repr(float(matrix[i, j]))))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(base.CSV_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


# --- Markdown and LaTeX ---------------------------------------------------------------


def _act(gate: str) -> str:
    return "tanh" if gate in ("g", "n") else "σ"


def gate_lines(trace: GatedTrace, b: int, t: int, p: int) -> list[str]:
    """A step, gate by gate, as plain text lines (the Markdown's code block)."""
    i = t - 1
    v = trace.values
    vec = lambda name: fmt.vec(v[name][b, i], p)  # noqa: E731
    lines = []
    for g in spec(trace.cell).gates:
        if g == "n":
            lines.append(f"n_{t} = tanh(x_{t}·Wxn + bxn + r_{t} ⊙ (h_{t - 1}·Whn + bhn))")
            lines.append(f"    = tanh({vec('n.xW')} + {vec('n.bias')} + {vec('r.value')} ⊙ "
                         f"{vec('n.hWb')})")
            lines.append(f"    = tanh({vec('n.xW')} + {vec('n.bias')} + {vec('n.reset')})")
        else:
            lines.append(f"{g}_{t} = {_act(g)}(x_{t}·Wx{g} + h_{t - 1}·Wh{g} + b{g})")
            lines.append(f"    = {_act(g)}({vec(f'{g}.xW')} + {vec(f'{g}.hW')} + "
                         f"{vec(f'{g}.bias')})")
        lines.append(f"    = {_act(g)}({vec(f'{g}.pre')}) = {vec(f'{g}.value')}")
    if trace.cell == "gru":
        lines.append(f"h_{t} = (1 − z_{t}) ⊙ n_{t} + z_{t} ⊙ h_{t - 1} = {vec('new')} + "
                     f"{vec('keep')} = {vec('h')}")
    else:
        lines.append(f"c_{t} = f_{t} ⊙ c_{t - 1} + i_{t} ⊙ g_{t} = {vec('forget')} + "
                     f"{vec('write')} = {vec('c')}")
        lines.append(f"h_{t} = o_{t} ⊙ tanh(c_{t}) = {vec('o.value')} ⊙ {vec('tanh_c')} = "
                     f"{vec('h')}")
    return lines


def _carried(trace: GatedTrace, b: int, t: int, p: int) -> str:
    i = t - 1
    text = f"h_{t} = h_{t - 1} = {fmt.vec(trace.values['h'][b, i], p)}"
    if trace.cell == "lstm":
        text += f", c_{t} = c_{t - 1} = {fmt.vec(trace.values['c'][b, i], p)}"
    return text


def render_markdown(trace: GatedTrace, precision: int = 3) -> str:
    p = precision
    cell = trace.cell
    lines = [f"# A many-to-one {cell.upper()}, gate by gate", "", "```text",
             "h_0 = 0" + (", c_0 = 0" if cell == "lstm" else ""),
             *EQUATIONS[cell].values(), "z = h_T·Wy + by", "y = sigmoid(z)", "```", "",
             "Row vectors times matrices (x·W); ⊙ multiplies entry by entry. Sentences, time "
             "steps and entries are counted from 1, as on the screen (JSON and CSV use "
             f"0-based indices). Numbers are rounded to {p} decimals.", "", "## Sentences", ""]
    rows = [[str(b + 1), trace.texts[b],
             "" if trace.labels is None else str(int(trace.labels[b])),
             str(int(trace.lengths[b]))] for b in range(trace.batch)]
    lines += base._md_table(["#", "sentence", "target", "length"], rows, numeric_from=2)
    lines += ["", "## Weights", ""]
    w = trace.weights
    for name in w.names:
        matrix = w[name]
        header = [f"{name} {fmt.shape(matrix)}"] + [f"[{j + 1}]" for j in range(matrix.shape[1])]
        body = [[base._md_code(trace.vocab[i]) if name.startswith("Wx") else f"[{i + 1}]"]
                + [fmt.num(x, p) for x in row] for i, row in enumerate(matrix)]
        lines += base._md_table(header, body) + [""]
    for b in range(trace.batch):
        target = "" if trace.labels is None else f" (target {int(trace.labels[b])})"
        lines += [f"## Sentence {b + 1}: {trace.texts[b]}{target}", ""]
        for t in range(1, trace.steps + 1):
            token = trace.token(b, t)
            if token is None:
                lines += [f"### t = {t}: padding (the sentence has ended)", "",
                          f"No gate is applied; the state is carried: "
                          f"`{_carried(trace, b, t, p)}`.", ""]
                continue
            lines += [f"### t = {t}: token {base._md_code(token)}", "", "```text",
                      *gate_lines(trace, b, t, p), "```", ""]
        lines += base._md_output(trace, b, p)  # type: ignore[arg-type]
    lines += ["## Summary", ""] + base._md_summary(trace, p)  # type: ignore[arg-type]
    if trace.gradients:
        lines += ["", "## Gradients (backpropagation through time)", "",
                  "Of the mean loss over the batch; each has its weight's shape.", ""]
        for name in w.names:
            matrix = np.asarray(trace.gradients[f"d{name}"]).reshape(w[name].shape)
            lines += [f"d{name} {fmt.shape(matrix)}", "", "```text"]
            lines += [fmt.vec(row, p) for row in matrix] + ["```", ""]
    return "\n".join(lines) + "\n"


def _tex_name(name: str) -> str:
    """Wxr -> W_{xr}, br -> b_{r}, bxn -> b_{xn}."""
    return f"{name[0]}_{{{name[1:]}}}"


def render_latex(trace: GatedTrace, precision: int = 3) -> str:
    p = precision
    cell = trace.cell
    w = trace.weights
    bm = base.bmatrix
    sig = {"tanh": r"\tanh", "σ": r"\sigma"}
    lines = [
        *base.tex_preamble(trace.vocab, trace.texts), r"\usepackage{amsmath}",
        r"\usepackage[margin=2cm]{geometry}",
        rf"\setcounter{{MaxMatrixCols}}{{{max(10, len(trace.vocab), trace.hidden)}}}",
        rf"\title{{A many-to-one {cell.upper()}, gate by gate}}",
        rf"\date{{rnn-tui {__version__}}}", r"\begin{document}", r"\maketitle",
        "Row vectors times matrices; $\\odot$ multiplies entry by entry. Sentences and time "
        f"steps are counted from 1. Numbers are rounded to {p} decimals.", "",
        r"\section*{Weights}", r"\begin{align*}",
        r" \\ ".join(rf"{_tex_name(name)} &= {bm(w[name], p)}" for name in w.names),
        r"\end{align*}"]
    for b in range(trace.batch):
        target = "" if trace.labels is None else f" (target {int(trace.labels[b])})"
        lines += ["", rf"\section*{{Sentence {b + 1}: {base.tex_escape(trace.texts[b])}"
                      rf"{target}}}"]
        for t in range(1, trace.steps + 1):
            i = t - 1
            v = trace.values
            token = trace.token(b, t)
            if token is None:
                lines += [rf"\paragraph{{$t = {t}$: padding.}} No gate is applied; "
                          r"the state is carried.", r"\[", rf"h_{{{t}}} = h_{{{t - 1}}} = "
                          rf"{bm(v['h'][b, i], p)}", r"\]"]
                continue
            rows = []
            for g in spec(cell).gates:
                f = sig[_act(g)]
                rows.append(rf"{g}_{{{t}}} &= {f}\Bigl({bm(v[f'{g}.pre'][b, i], p)}\Bigr) "
                            rf"= {bm(v[f'{g}.value'][b, i], p)}")
            if cell == "lstm":
                rows.append(rf"c_{{{t}}} &= f_{{{t}}} \odot c_{{{t - 1}}} + i_{{{t}}} \odot "
                            rf"g_{{{t}}} = {bm(v['c'][b, i], p)}")
                rows.append(rf"h_{{{t}}} &= o_{{{t}}} \odot \tanh(c_{{{t}}}) = "
                            rf"{bm(v['h'][b, i], p)}")
            else:
                rows.append(rf"h_{{{t}}} &= (1 - z_{{{t}}}) \odot n_{{{t}}} + z_{{{t}}} \odot "
                            rf"h_{{{t - 1}}} = {bm(v['h'][b, i], p)}")
            lines += [rf"\paragraph{{$t = {t}$: token {base._tex_token(token)}.}}",
                      r"\begin{align*}", r" \\ ".join(rows), r"\end{align*}"]
        lines += base._tex_output(trace, b, p)  # type: ignore[arg-type]
    if trace.mean_loss is not None:
        lines += ["", f"Mean loss (binary cross-entropy): ${base.prob(trace.mean_loss, p)}$."]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


RENDERERS = {"md": render_markdown, "tex": render_latex, "csv": render_csv, "json": render_json}
