"""The trace export: every format's numbers match the Stepper, JSON reloads, the CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn_tui.cli.main import main
from rnn_tui.core.data import Dataset, lesson_dataset
from rnn_tui.core.model import Weights
from rnn_tui.core.stepper import Stepper
from rnn_tui.export.trace import (
    CSV_COLUMNS,
    FORMAT,
    VERSION,
    TraceError,
    bmatrix,
    build_trace,
    load_trace,
    render,
    render_csv,
    render_json,
    render_latex,
    render_markdown,
    tex_escape,
    trace_from_dict,
    trace_from_stepper,
    trace_to_dict,
)
from rnn_tui.teach import fmt

# --- fixtures ------------------------------------------------------------------


def lesson() -> tuple[Dataset, Weights]:
    d = lesson_dataset()
    return d, Weights.init(d.vocab, hidden=3, seed=0)


def padded() -> tuple[Dataset, Weights]:
    """Sentences of different lengths (so padding steps) and a vector bias."""
    d = Dataset.from_sentences(["as soon", "soon as as soon", "as"], [0, 1, 1])
    return d, Weights.init(d.vocab, hidden=4, seed=7, bias="vector")


CASES = {"lesson": lesson, "padded": padded}


@pytest.fixture(params=sorted(CASES))
def case(request) -> tuple[Dataset, Weights]:
    return CASES[request.param]()


def run(dataset: Dataset, weights: Weights) -> Stepper:
    s = Stepper(weights, dataset.X, dataset.lengths, dataset.labels)
    s.run()
    return s


def active_steps(stepper: Stepper):
    """(b, t, record) for every step a sentence really takes (not padding)."""
    for r in stepper.history:
        for b in range(stepper.batch):
            if r.active[b]:
                yield b, r.t, r


# --- the trace itself ----------------------------------------------------------


def test_trace_holds_the_steppers_numbers(case):
    d, w = case
    s = run(d, w)
    trace = build_trace(d, w)
    B, T, H = s.batch, s.steps, w.hidden
    assert trace.x.shape == (B, T, len(w.vocab)) and trace.h.shape == (B, T, H)
    for b, t, r in active_steps(s):
        np.testing.assert_array_equal(trace.xWxh[b, t - 1], r.xWxh[b])
        np.testing.assert_array_equal(trace.hWhh[b, t - 1], r.hWhh[b])
        np.testing.assert_array_equal(trace.bias[b, t - 1], np.broadcast_to(w.bh[0], (H,)))
        np.testing.assert_array_equal(trace.pre[b, t - 1], r.pre[b])
        np.testing.assert_array_equal(trace.h[b, t - 1], r.h[b])
        np.testing.assert_array_equal(trace.h_prev[b, t - 1], r.h_prev[b])
        assert trace.token(b, t) == r.tokens[b]
    out = s.output
    np.testing.assert_array_equal(trace.z, out.z[:, 0])
    np.testing.assert_array_equal(trace.y, out.y[:, 0])
    np.testing.assert_array_equal(trace.prediction, out.prediction[:, 0])
    np.testing.assert_array_equal(trace.target, d.labels)
    np.testing.assert_array_equal(trace.loss, out.loss)
    assert trace.mean_loss == out.mean_loss
    assert [list(s) for s in trace.sentences] == [list(s) for s in d.sentences]


def test_padding_steps_carry_h_and_have_no_sum():
    d, w = padded()
    trace = build_trace(d, w)
    # sentence 2 is "as": t = 2..4 are padding
    assert trace.is_padding(2, 2) and not trace.is_padding(2, 1)
    assert trace.token(2, 2) is None
    for t in (2, 3, 4):
        np.testing.assert_array_equal(trace.h[2, t - 1], trace.h[2, 0])
        assert np.isnan(trace.pre[2, t - 1]).all() and np.isnan(trace.xWxh[2, t - 1]).all()
        np.testing.assert_array_equal(trace.x[2, t - 1], [0, 0])
    np.testing.assert_array_equal(trace.h_last(2), trace.h[2, 0])


def test_trace_from_stepper_leaves_the_stepper_where_it_was():
    d, w = lesson()
    s = Stepper(w, d.X, d.lengths, d.labels)
    s.step()
    trace = trace_from_stepper(s)
    assert s.t == 1
    np.testing.assert_array_equal(trace.h[:, 0], s.h)


def test_trace_without_labels_has_no_target_or_loss():
    d, w = lesson()
    trace = trace_from_stepper(Stepper(w, d.X, d.lengths))
    assert trace.labels is None and trace.target is None and trace.loss is None
    assert trace.mean_loss is None
    for text in (render_markdown(trace), render_latex(trace), render_csv(trace)):
        assert "loss" not in text.replace("binary cross-entropy", "")
    again = trace_from_dict(json.loads(render_json(trace)))
    again.verify()
    assert again.target is None


# --- JSON ----------------------------------------------------------------------


def test_json_numbers_match_the_stepper_exactly(case):
    d, w = case
    s = run(d, w)
    data = json.loads(render_json(build_trace(d, w)))
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert data["vocab"] == w.vocab and Weights.from_dict(data["weights"]) == w
    assert data["shape"] == {"batch": s.batch, "steps": s.steps,
                             "features": len(w.vocab), "hidden": w.hidden}
    # the gradients of the mean loss, as the training module computes them
    from rnn_tui.core.backprop import gradients

    loss, grads = gradients(w, d.X, d.lengths, d.labels)
    assert data["gradients"]["loss"] == loss
    for name in ("dWxh", "dWhh", "dbh", "dWy", "dby"):
        assert np.array_equal(np.array(data["gradients"][name]), getattr(grads, name)), name
    for b, t, r in active_steps(s):
        step = data["sentences"][b]["steps"][t - 1]
        assert step["t"] == t and step["token"] == r.tokens[b] and step["padding"] is False
        assert step["x"] == [int(v) for v in r.x[b]]
        assert step["xWxh"] == r.xWxh[b].tolist()  # repr floats: exact round trip
        assert step["hWhh"] == r.hWhh[b].tolist()
        assert step["pre"] == r.pre[b].tolist()
        assert step["h"] == r.h[b].tolist()
        assert step["h_prev"] == r.h_prev[b].tolist()
    out = s.output
    for b, sentence in enumerate(data["sentences"]):
        assert sentence["output"]["z"] == out.z[b, 0]
        assert sentence["output"]["y"] == out.y[b, 0]
        assert sentence["output"]["prediction"] == out.prediction[b, 0]
        assert sentence["output"]["target"] == sentence["label"] == d.labels[b]
        assert sentence["output"]["loss"] == out.loss[b]
        assert sentence["length"] == d.lengths[b]
    assert data["mean_loss"] == out.mean_loss


def test_json_marks_padding_steps_with_nulls():
    d, w = padded()
    steps = json.loads(render_json(build_trace(d, w)))["sentences"][0]["steps"]
    assert [st["padding"] for st in steps] == [False, False, True, True]
    assert steps[2]["token"] is None
    assert steps[2]["pre"] is None and steps[2]["bias"] is None
    assert steps[2]["h"] == steps[2]["h_prev"] == steps[1]["h"]


def test_json_round_trip_gives_the_same_numbers(tmp_path, case):
    d, w = case
    trace = build_trace(d, w)
    path = tmp_path / "trace.json"
    path.write_text(render_json(trace), encoding="utf-8")
    again = load_trace(path)
    assert again.weights == w
    assert again.sentences == trace.sentences
    for name in ("x", "h_prev", "xWxh", "hWhh", "bias", "pre", "h",
                 "z", "y", "prediction", "target", "loss", "lengths", "labels"):
        np.testing.assert_array_equal(getattr(again, name), getattr(trace, name), err_msg=name)
    assert again.mean_loss == trace.mean_loss
    assert render_json(again) == render_json(trace)


def test_a_loaded_trace_replays_as_dataset_and_stepper(tmp_path):
    d, w = lesson()
    path = tmp_path / "t.json"
    path.write_text(render_json(build_trace(d, w)), encoding="utf-8")
    trace = load_trace(path)
    ds = trace.dataset()
    np.testing.assert_array_equal(ds.X, d.X)
    np.testing.assert_array_equal(ds.labels, d.labels)
    s = trace.stepper()
    assert s.t == 0
    np.testing.assert_array_equal(s.run().y, run(d, w).output.y)


def test_gradients_section_is_carried_through(tmp_path):
    d, w = lesson()
    trace = build_trace(d, w)
    trace.gradients = {"dWxh": np.ones((2, 3)), "note": "from BPTT"}
    data = json.loads(render_json(trace))
    assert data["gradients"] == {"dWxh": [[1.0] * 3] * 2, "note": "from BPTT"}
    path = tmp_path / "g.json"
    path.write_text(render_json(trace), encoding="utf-8")
    assert load_trace(path).gradients == data["gradients"]


def _write(tmp_path: Path, data: object, name: str = "t.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _good() -> dict:
    return trace_to_dict(build_trace(*padded()))


def _edit(change) -> dict:
    data = _good()
    change(data)
    return data


BAD_TRACES = {
    "format": (lambda d: d.update(format="something-else"), "format: expected"),
    "newer": (lambda d: d.update(version=VERSION + 1), "is newer than"),
    "no weights": (lambda d: d.pop("weights"), "weights: missing"),
    "weight shape": (lambda d: d["weights"].update(Wy=[[1.0]]), "weights.Wy: shape"),
    "vocab": (lambda d: d.update(vocab=["x", "y"]), "vocab: differs"),
    "short h": (lambda d: d["sentences"][1]["steps"][0].update(h=[0.1]),
                "sentence 2, t = 1, h: expected 4 items"),  # counted from 1
    "text h": (lambda d: d["sentences"][1]["steps"][0]["h"].__setitem__(0, "big"),
               "sentence 2, t = 1, h[1]: 'big' is not a number"),
    "token": (lambda d: d["sentences"][0]["steps"][1].update(token="as"), "token: expected"),
    "padding": (lambda d: d["sentences"][0]["steps"][3].update(pre=[0, 0, 0, 0]),
                "must be null on a padding step"),
    "length": (lambda d: d["sentences"][0].update(length=4), "length: 4 but there are 2"),
    "label": (lambda d: d["sentences"][0].update(label=2), "label: must be 0 or 1"),
    "shape": (lambda d: d["shape"].update(batch=5), "shape.batch: 5"),
    "unknown token": (lambda d: d["sentences"][2].update(tokens=["later"]), "not in the vocab"),
    "changed number": (lambda d: d["sentences"][1]["steps"][2]["pre"].__setitem__(1, 0.5),
                       "sentence 2, t = 3, pre[2]: the trace says 0.5 but recomputing gives"),
    "changed loss": (lambda d: d["sentences"][2]["output"].update(loss=9.0),
                     "sentence 3, loss: the trace says 9.0"),
    "changed weight": (lambda d: d["weights"]["Whh"][0].__setitem__(0, 3.0),
                       "the trace says"),
}


@pytest.mark.parametrize("name", sorted(BAD_TRACES))
def test_load_trace_rejects_bad_traces_in_one_line(tmp_path, name):
    change, message = BAD_TRACES[name]
    path = _write(tmp_path, _edit(change))
    with pytest.raises(TraceError) as info:
        load_trace(path)
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{path}: ") and "\n" not in text


def test_load_trace_can_skip_the_recomputation(tmp_path):
    change, _ = BAD_TRACES["changed number"]
    trace = load_trace(_write(tmp_path, _edit(change)), verify=False)
    assert trace.pre[1, 2, 1] == 0.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "trace: expected a JSON object"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_load_trace_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(TraceError, match=message):
        load_trace(path)


def test_load_trace_ignores_unknown_keys(tmp_path):
    trace = load_trace(_write(tmp_path, _edit(lambda d: d.update(comment="from class 3"))))
    assert trace.batch == 3


# --- CSV -----------------------------------------------------------------------


def _csv(trace) -> list[dict]:
    reader = csv.DictReader(io.StringIO(render_csv(trace)))
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    return list(reader)


def test_csv_numbers_match_the_stepper_exactly(case):
    d, w = case
    s = run(d, w)
    rows = _csv(build_trace(d, w))
    steps = {(int(r["sentence"]), int(r["t"]), r["quantity"], int(r["col"])): r
             for r in rows if r["quantity"] in ("x", "h_prev", "xWxh", "hWhh", "bias", "pre", "h")}
    for b, t, r in active_steps(s):
        for name in ("xWxh", "hWhh", "pre", "h", "h_prev"):
            for j, v in enumerate(getattr(r, name)[b]):
                row = steps[(b, t, name, j)]
                assert float(row["value"]) == v
                assert row["token"] == r.tokens[b] and row["padding"] == "0"
        for j, v in enumerate(r.x[b]):
            assert steps[(b, t, "x", j)]["value"] == str(int(v))
    out = s.output
    outputs = {(int(r["sentence"]), r["quantity"]): r for r in rows
               if r["quantity"] in ("z", "y", "prediction", "target", "loss")}
    for b in range(s.batch):
        assert float(outputs[(b, "z")]["value"]) == out.z[b, 0]
        assert float(outputs[(b, "y")]["value"]) == out.y[b, 0]
        assert int(outputs[(b, "prediction")]["value"]) == out.prediction[b, 0]
        assert int(outputs[(b, "target")]["value"]) == d.labels[b]
        assert float(outputs[(b, "loss")]["value"]) == out.loss[b]
        assert int(outputs[(b, "z")]["t"]) == d.lengths[b]
    (mean,) = [r for r in rows if r["quantity"] == "mean_loss"]
    assert float(mean["value"]) == out.mean_loss
    weights = [r for r in rows if r["quantity"] == "Wxh"]
    for r in weights:
        assert float(r["value"]) == w.Wxh[int(r["row"]), int(r["col"])]
        assert r["token"] == w.vocab[int(r["row"])]


def test_csv_row_count_and_padding_rows():
    d, w = padded()
    rows = _csv(build_trace(d, w))
    V, H = 2, 4
    weights = V * H + H * H + H + H + 1
    active = int(d.lengths.sum())
    padding = 3 * 4 - active
    per_active = V + 6 * H  # x, then h_prev xWxh hWhh bias pre h
    per_padding = V + 2 * H  # x, h_prev, h
    outputs = 3 * 5 + 1
    gradients = weights  # dWxh ... dby, the weights' shapes
    assert len(rows) == (weights + active * per_active + padding * per_padding + outputs
                         + gradients)
    pad = [r for r in rows if r["padding"] == "1"]
    assert {r["quantity"] for r in pad} == {"x", "h_prev", "h"}
    assert {r["token"] for r in pad} == {""}


# --- Markdown ------------------------------------------------------------------


def _sections(text: str, marker: str) -> list[str]:
    return text.split(marker)[1:]


def test_markdown_numbers_match_the_stepper(case):
    d, w = case
    s = run(d, w)
    p = 4
    text = render_markdown(build_trace(d, w), precision=p)
    sentences = _sections(text.split("\n## Summary")[0], "\n## Sentence ")
    assert len(sentences) == s.batch
    for b, t, r in active_steps(s):
        step = _sections(sentences[b], "\n### t = ")[t - 1]
        assert step.startswith(f"{t}: token `{r.tokens[b]}`")

        def row(label, values):
            return "| " + " | ".join([label] + [fmt.num(v, p) for v in values]) + " |"

        assert row(f"x_{t}·Wxh", r.xWxh[b]) in step
        assert row(f"h_{t - 1}·Whh", r.hWhh[b]) in step
        assert row("Bh", np.broadcast_to(w.bh[0], (w.hidden,))) in step
        assert row("sum", r.pre[b]) in step
        assert row(f"h_{t} = tanh(sum)", r.h[b]) in step
        assert f"    = tanh({fmt.vec(r.pre[b], p)})" in step
        assert f"    = {fmt.onehot(r.x[b])}" not in step  # x appears inside tanh(...)
        assert f"tanh({fmt.onehot(r.x[b])}·Wxh + {fmt.vec(r.h_prev[b], p)}·Whh" in step
    out = s.output
    for b in range(s.batch):
        output = sentences[b].split("### Output")[1]
        assert f"  = {fmt.num(out.z[b, 0], p)}\n" in output
        assert f"y = sigmoid(z) = 1 / (1 + e^(-z)) = {out.y[b, 0]:.{p}f}" in output
        assert f"prediction = {out.prediction[b, 0]}" in output
        assert output.rstrip().endswith(f"= {out.loss[b]:.{p}f}\n```")
    assert f"Mean loss (binary cross-entropy): **{out.mean_loss:.{p}f}**" in text


def test_markdown_says_where_padding_carries_h():
    d, w = padded()
    s = run(d, w)
    text = render_markdown(build_trace(d, w))
    sentence = _sections(text, "\n## Sentence ")[2]
    pad = _sections(sentence, "\n### t = ")[1]
    assert pad.startswith("2: padding")
    assert f"h_2 = h_1 = `{fmt.vec(s.history[0].h[2])}`" in pad


def test_markdown_shows_the_onehot_selecting_a_row():
    text = render_markdown(build_trace(*lesson()))
    assert "x_1 = one-hot(`as`) = `[1 0]`, so x_1·Wxh is row `as` of Wxh." in text
    assert "| `soon` | [0 1] |" in text
    assert "Bh is one number, broadcast over the 3 hidden nodes." in text


# --- LaTeX ---------------------------------------------------------------------


def test_latex_numbers_match_the_stepper(case):
    d, w = case
    s = run(d, w)
    text = render_latex(build_trace(d, w))
    assert text.startswith("% Compile with pdflatex") and "\n\\documentclass{article}\n" in text
    assert "\\usepackage{amsmath}" in text and text.rstrip().endswith("\\end{document}")
    sentences = _sections(text.split("\\section*{Summary}")[0], "\\section*{Sentence ")
    assert len(sentences) == s.batch
    for b, t, r in active_steps(s):
        step = _sections(sentences[b], "\\paragraph{$t = ")[t - 1]
        assert step.startswith(f"{t}$: token \\texttt{{{r.tokens[b]}}}")
        for values in (r.xWxh[b], r.hWhh[b], r.pre[b]):
            assert bmatrix(values, 3) in step
        assert f"&= {bmatrix(r.h[b], 3)}\n" in step
    out = s.output
    for b in range(s.batch):
        assert f"= {fmt.num(out.z[b, 0], 3)} \\\\" in sentences[b]
        assert f"= {out.loss[b]:.3f}" in sentences[b]


def test_bmatrix_and_escaping():
    assert bmatrix(np.array([0.5, -0.25]), 2) == r"\begin{bmatrix}+0.50 & -0.25\end{bmatrix}"
    assert bmatrix(np.array([[1, 0], [0, 1]]), 2, integers=True) == (
        r"\begin{bmatrix}1 & 0 \\ 0 & 1\end{bmatrix}"
    )
    assert tex_escape("a_b & 50% #1 {x} $") == r"a\_b \& 50\% \#1 \{x\} \$"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not on PATH")
@pytest.mark.parametrize("which", ["lesson", "odd tokens", "no labels"])
def test_latex_compiles(tmp_path, which):
    if which == "odd tokens":
        d = Dataset.from_sentences(["a_b & c%", "{x} #y $z ~w^ <v>|", "back\\slash"], [0, 1, 0])
        w = Weights.init(d.vocab, hidden=5, bias="vector")
        trace = build_trace(d, w)
    else:
        d, w = padded() if which == "no labels" else lesson()
        trace = build_trace(d, w)
        if which == "no labels":
            trace = trace_from_stepper(Stepper(w, d.X, d.lengths))
    (tmp_path / "trace.tex").write_text(render_latex(trace), encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "trace.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "trace.pdf").stat().st_size > 0


# --- all formats ---------------------------------------------------------------


def test_precision_only_changes_the_human_formats():
    trace = build_trace(*lesson())
    assert "+0.15815 " in render_markdown(trace, 5) and "+0.158 " in render_markdown(trace, 3)
    assert render(trace, "json", 1) == render(trace, "json", 8)
    assert render(trace, "csv", 1) == render(trace, "csv", 8)
    with pytest.raises(ValueError, match="format"):
        render(trace, "xml")


def test_export_module_does_not_import_the_tui():
    code = (
        "import sys, rnn_tui.export.trace, rnn_tui.cli.export; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- CLI -----------------------------------------------------------------------


def test_cli_json_to_stdout_matches_the_engine(capsys):
    assert main(["export", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == trace_to_dict(build_trace(*lesson()))


@pytest.mark.parametrize("fmt_name", ["md", "tex", "csv", "json"])
def test_cli_writes_each_format_to_stdout(capsys, fmt_name):
    assert main(["export", "--format", fmt_name, "--seed", "3", "--precision", "2"]) == 0
    d = lesson_dataset()
    expected = render(build_trace(d, Weights.init(d.vocab, seed=3)), fmt_name, 2)
    assert capsys.readouterr().out == expected


def test_cli_out_writes_the_file_and_nothing_to_stdout(tmp_path, capsys):
    out = tmp_path / "trace.csv"
    out.write_text("old", encoding="utf-8")
    assert main(["export", "--format", "csv", "--hidden", "2", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    d = lesson_dataset()
    assert out.read_text(encoding="utf-8") == render_csv(
        build_trace(d, Weights.init(d.vocab, hidden=2))
    )
    assert [p.name for p in tmp_path.iterdir()] == ["trace.csv"]  # no temporary left


def test_cli_takes_the_format_from_the_out_suffix(tmp_path):
    out = tmp_path / "t.json"
    assert main(["export", "--out", str(out)]) == 0
    assert load_trace(out).batch == 3


def test_cli_uses_data_and_weights_files(tmp_path, capsys):
    data = tmp_path / "data.tsv"
    data.write_text("1\tsoon as\n0\tas\n", encoding="utf-8")
    d, w = lesson()
    weights = tmp_path / "w.json"
    w.save(weights)
    assert main(["export", "--format", "json", "--data", str(data),
                 "--weights", str(weights)]) == 0
    trace = trace_from_dict(json.loads(capsys.readouterr().out))
    trace.verify()
    assert trace.weights == w and trace.texts == ["soon as", "as"]
    assert trace.is_padding(1, 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export"], "choose a format with --format"),
        (["export", "--format", "pdf"], "invalid choice: 'pdf'"),
        (["export", "--format", "md", "--data", "/no/such/file"], "/no/such/file: no such file"),
        (["export", "--format", "md", "--precision", "12"], "must be between 0 and 8"),
        (["export", "--format", "md", "--out", "/no/such/dir/t.md"], "cannot write"),
        (["export", "--out", "t.txt"], "choose a format"),
    ],
)
def test_cli_bad_input_is_one_line(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("rnn-tui: error: ") and message in captured.err
    assert captured.err.count("\n") == 1


def test_cli_out_to_a_directory_is_an_error(tmp_path, capsys):
    assert main(["export", "--format", "md", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_cli_bad_data_file_has_no_traceback(tmp_path):
    data = tmp_path / "data.tsv"
    data.write_text("7\tas soon\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "rnn_tui", "export", "--format", "md", "--data", str(data)],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert "label must be 0 or 1" in result.stderr


def test_cli_help_mentions_export(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "--format" in capsys.readouterr().out


# --- docs ----------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "trace-format.md"


def _fenced(text: str, language: str) -> str:
    return text.split(f"```{language}\n", 1)[1].split("\n```", 1)[0]


def test_the_documented_json_example_is_a_valid_trace():
    example = json.loads(_fenced(DOCS.read_text(encoding="utf-8"), "json"))
    trace = trace_from_dict(example)
    trace.verify()
    d = Dataset.from_sentences(["as soon", "soon"], [1, 0])
    assert render_json(trace) == render_json(build_trace(d, Weights.init(d.vocab, hidden=2)))


def test_the_documented_csv_columns_are_the_real_ones():
    header = _fenced(DOCS.read_text(encoding="utf-8"), "csv").splitlines()[0]
    assert header == ",".join(CSV_COLUMNS)
